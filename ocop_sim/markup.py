"""HTML from Jinja2 templates (``ocop_sim/templates/``), escaped as the reports always were.

Autoescaping is on; every value an expression prints passes :func:`esc` (``html.escape`` with
quotes: ``&#x27;`` and ``&quot;``, the entities the reports have always used, where MarkupSafe
would write ``&#39;`` and ``&#34;``) unless it is :class:`markupsafe.Markup`, i.e. HTML built
(escaped) by the caller.
"""
from __future__ import annotations

import html
from typing import Any

from jinja2 import Environment, PackageLoader
from markupsafe import Markup

__all__ = ["Markup", "esc", "render_template"]


def esc(x: Any) -> str:
    """HTML-escaped text of any value (all user text passes through here)."""
    return html.escape(str(x), quote=True)


def _finalize(x: Any) -> Any:
    return x if isinstance(x, Markup) or x is None else Markup(esc(x))


_ENV: Environment | None = None


def _env() -> Environment:
    global _ENV
    if _ENV is None:  # compiled once per process, on first use
        _ENV = Environment(loader=PackageLoader("ocop_sim", "templates"), autoescape=True, finalize=_finalize,
                           trim_blocks=True, lstrip_blocks=True)
    return _ENV


def render_template(name: str, **context: Any) -> str:
    """``ocop_sim/templates/<name>`` rendered with ``context`` (a plain ``str``)."""
    return str(_env().get_template(name).render(**context))
