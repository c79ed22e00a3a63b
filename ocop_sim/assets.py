"""Where the package's files that are not modules are: the report notebooks and the planners' docs.

The top-level ``notebooks/`` and ``docs/`` folders of the repository are the sources.  A built
wheel carries them inside the package (``ocop_sim/notebooks``, ``ocop_sim/docs``: setup.py maps
them there); in a checkout (an editable install, or the repository on ``PYTHONPATH``) they are
the folders beside the package.  Either way they are found through :mod:`importlib.resources`,
so nothing here depends on the current directory.

A ground-floor module: it imports nothing of ours.
"""
from __future__ import annotations

import atexit
import contextlib
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

__all__ = ["NOTEBOOKS_DIR", "DOCS_DIR", "TEMPLATES_DIR", "notebook", "doc"]

_PACKAGE = resources.files(__package__ or "ocop_sim")
# files extracted from a package that is not on disk (a zip) live until the process exits
_EXTRACTED = contextlib.ExitStack()
atexit.register(_EXTRACTED.close)


def _folder(name: str) -> Traversable:
    """``name`` inside the package (an installed wheel), else beside it (a checkout)."""
    inside = _PACKAGE.joinpath(name)
    if inside.is_dir() or not isinstance(_PACKAGE, Path):
        return inside
    return _PACKAGE.parent / name


def _on_disk(item: Traversable) -> Path:
    """A real file path for ``item`` (papermill and nbconvert open paths, not resources)."""
    if isinstance(item, Path):
        return item
    return _EXTRACTED.enter_context(resources.as_file(item))


#: The folder of the report notebooks (``scenario_report.ipynb``, ``compare_scenarios.ipynb``, ...);
#: a real folder wherever the package is installed from a wheel or used from a checkout (only a
#: zipped package has none: there use :func:`notebook`, which extracts the file).
NOTEBOOKS_DIR = Path(str(_folder("notebooks")))
#: The folder of the docs shipped with the package (the planners' guides ``guide.<lang>.md``).
DOCS_DIR = Path(str(_folder("docs")))
#: The package's templates: the HTML tables and index page (Jinja2, :mod:`ocop_sim.markup`) and the
#: reports' nbconvert template (``nbconvert/ocop_report``).
TEMPLATES_DIR = Path(str(_PACKAGE.joinpath("templates")))


def notebook(name: str) -> Path:
    """Path of the package's notebook ``name`` (e.g. ``"scenario_report.ipynb"``); it may not exist."""
    return _on_disk(_folder("notebooks").joinpath(name))


def doc(name: str) -> Path:
    """Path of the shipped document ``name`` (e.g. ``"guide.vi.md"``); it may not exist."""
    return _on_disk(_folder("docs").joinpath(name))
