"""The planners' user guide (``docs/guide.vi.md``, ``docs/guide.en.md``): where it is, and as HTML
for the web app (rendered with mistune, which nbconvert already brings)."""
from __future__ import annotations

from pathlib import Path

#: The repository's docs folder (the guide is not installed with the package).
DOCS = Path(__file__).resolve().parents[1] / "docs"


def guide_path(lang: str) -> Path | None:
    """``docs/guide.<lang>.md`` when it exists, else None."""
    p = DOCS / f"guide.{'vi' if lang == 'vi' else 'en'}.md"
    return p if p.is_file() else None


def guide_html(lang: str) -> str:
    """The guide as HTML ('' without a guide).  Raw HTML in the Markdown is escaped: the guide's
    text is shown, never run."""
    p = guide_path(lang)
    if p is None:
        return ""
    import mistune

    return mistune.create_markdown(escape=True, plugins=["table"])(p.read_text(encoding="utf-8"))
