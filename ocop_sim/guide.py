"""The planners' user guide (``docs/guide.vi.md``, ``docs/guide.en.md``): where it is, and as HTML
for the web app (rendered with mistune, which nbconvert already brings)."""
from __future__ import annotations

from pathlib import Path

from . import assets
from .io import atomic_write_text, safe_child


def guide_path(lang: str) -> Path | None:
    """``docs/guide.<lang>.md`` when it exists, else None."""
    p = assets.doc(f"guide.{'vi' if lang == 'vi' else 'en'}.md")
    return p if p.is_file() else None


def guide_html(lang: str) -> str:
    """The guide as HTML ('' without a guide).  Raw HTML in the Markdown is escaped: the guide's
    text is shown, never run."""
    p = guide_path(lang)
    if p is None:
        return ""
    import mistune

    return mistune.create_markdown(escape=True, plugins=["table"])(p.read_text(encoding="utf-8"))


#: The guide's name in each language (a link text).
TITLE = {"vi": "Hướng dẫn sử dụng", "en": "User guide"}


def guide_page(lang: str) -> str:
    """A self-contained HTML page of the guide ('' without a guide); links between the two
    languages point to the other page."""
    import html

    body = guide_html(lang)
    if not body:
        return ""
    for lg in ("vi", "en"):
        body = body.replace(f'href="guide.{lg}.md"', f'href="guide_{lg}.html"')
    return (f"<!DOCTYPE html><html lang='{lang}'><head><meta charset='utf-8'>"
            f"<title>{html.escape(TITLE.get(lang, TITLE['en']))}</title>"
            "<style>body{font-family:'DejaVu Sans','Noto Sans',Arial,sans-serif;max-width:880px;margin:2em auto;"
            "line-height:1.5;padding:0 1em} pre{background:#f4f4f4;padding:.6em;overflow-x:auto}"
            "code{font-size:90%}</style></head><body>" + body + "</body></html>")


def write_guides(out: str | Path, langs) -> list[Path]:
    """Write ``guide_<lang>.html`` into a report folder for each language with a guide."""
    written = []
    for lang in langs:
        page = guide_page(lang)
        if page:
            p = atomic_write_text(safe_child(out, f"guide_{lang}.html"), page)
            written.append(p)
    return written


def guide_link(out: str | Path, lang: str) -> str:
    """The index page's link to the guide written beside it ('' when there is none)."""
    import html

    if not (Path(out) / f"guide_{lang}.html").is_file():
        return ""
    return f'<p class="guide"><a href="guide_{lang}.html">{html.escape(TITLE.get(lang, TITLE["en"]))}</a></p>'
