"""PDF reports: the rendered, self-contained HTML printed by headless Chromium (A4, page numbers).

Why not nbconvert's ``webpdf`` exporter: it drives Chromium through Playwright too, but launches
Playwright's *own* browser build (``playwright install``), which cannot be downloaded on the
project's machines, and it re-renders the notebook rather than the HTML an official already
reads.  Printing the HTML file we wrote with Debian's Chromium (``/usr/bin/chromium``, the same
browser the browser tests use; override with ``OCOP_CHROMIUM``) gives one look on screen and on
paper and needs no second template.

What the print adds to the page (injected only while printing, the HTML file is unchanged):

* ``@page`` A4 with margins; a footer "page N / M" drawn by Chromium;
* ``break-inside: avoid`` on tables, table rows, figures and each notebook output, so a table
  or chart is never cut across two pages; headings stay with what follows;
* a font stack that covers every Vietnamese diacritic (DejaVu Sans is installed together with
  Debian's chromium by ``tools/setup_browser.sh``; Noto Sans and Liberation Sans also do), with
  ligatures off so that text copied or searched in the PDF is the report's text ("fi", not "ﬁ").

All files of one call are printed in one browser session (Chromium starts once, ~1 s).
"""
from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Iterable

from .errors import OcopError
from .io import atomic_write_bytes

#: Page format and margins of every PDF.
PAGE_FORMAT = "A4"
MARGIN = {"top": "14mm", "bottom": "16mm", "left": "12mm", "right": "12mm"}
#: Flags of a headless Chromium on a machine with a closed network (possibly as root).
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage"]
#: Seconds one page may take to load (images are embedded base64: no network).
LOAD_TIMEOUT_S = 60

PRINT_CSS = """
@page { size: A4; margin: 14mm 12mm 16mm 12mm; }
html, body { font-family: "DejaVu Sans", "Noto Sans", "Liberation Sans", Arial, sans-serif !important;
             -webkit-print-color-adjust: exact; print-color-adjust: exact; }
/* no "ﬁ"/"ﬃ" ligatures: text copied or searched in the PDF is the text of the report */
* { font-variant-ligatures: none !important; font-feature-settings: "liga" 0, "clig" 0 !important; }
body { font-size: 10.5px; }
/* the page's width is the paper's: no notebook gutters */
.jp-Notebook, .jp-Cell, .jp-OutputArea-output, .jp-RenderedHTMLCommon { padding: 0 !important; margin: 0 !important; }
.jp-OutputPrompt, .jp-InputPrompt { display: none !important; }
/* tables and charts whole on one page; a table taller than a page still breaks, between rows */
table, img, svg, figure, .jp-RenderedImage { break-inside: avoid; page-break-inside: avoid; }
tr, td, th { break-inside: avoid; page-break-inside: avoid; }
thead { display: table-header-group; }
table { width: 100%; font-size: 9.5px !important; }
td, th { overflow-wrap: anywhere; }
h1, h2, h3, h4 { break-after: avoid; page-break-after: avoid; }
img { max-width: 100% !important; height: auto !important; }
a { color: inherit; text-decoration: none; }
"""

#: Chromium's footer template (its own classes pageNumber/totalPages); the style must be inline.
FOOTER = ('<div style="font-family: DejaVu Sans, sans-serif; font-size: 8px; color: #555; width: 100%; '
          'padding: 0 12mm; display: flex; justify-content: space-between;">'
          '<span class="title"></span><span><span class="pageNumber"></span> / <span class="totalPages"></span>'
          '</span></div>')
HEADER = "<div></div>"


class PdfError(OcopError, RuntimeError):
    """No browser to print with, or a page that could not be printed."""


def chromium_path() -> Path:
    """Debian's Chromium (``OCOP_CHROMIUM`` overrides)."""
    return Path(os.environ.get("OCOP_CHROMIUM", "/usr/bin/chromium"))


def missing() -> str | None:
    """Why PDFs cannot be printed here (one line naming what to install), or None."""
    why = []
    exe = chromium_path()
    if not (exe.is_file() and os.access(exe, os.X_OK)):
        why.append(f"no Chromium at {exe} (apt-get install chromium, or set OCOP_CHROMIUM)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        why.append("the Python package playwright is not installed (pip install playwright; "
                   "tools/setup_browser.sh installs both)")
    return "; ".join(why) or None


def html_to_pdf(pairs: Iterable[tuple[str | Path, str | Path]]) -> list[Path]:
    """Print each ``(html_file, pdf_file)`` with headless Chromium; returns the PDF paths.

    Each PDF is written atomically (temporary file, then rename).  Raises :class:`PdfError` when
    no browser is available or a page fails to load.
    """
    pairs = [(Path(h), Path(p)) for h, p in pairs]
    if not pairs:
        return []
    why = missing()
    if why:
        raise PdfError(f"cannot write PDF: {why}")
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    written = []
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(chromium_path()), headless=True, args=CHROMIUM_ARGS)
            try:
                ctx = browser.new_context()
                # the reports are self-contained: nothing may leave the machine while printing
                ctx.route("**/*", lambda r: r.abort() if r.request.url.startswith(("http:", "https:", "ws:", "wss:"))
                          else r.continue_())
                page = ctx.new_page()
                for html_file, pdf_file in pairs:
                    page.goto(html_file.resolve().as_uri(), wait_until="load", timeout=LOAD_TIMEOUT_S * 1000)
                    page.add_style_tag(content=PRINT_CSS)
                    page.emulate_media(media="print")
                    data = page.pdf(format=PAGE_FORMAT, print_background=True, display_header_footer=True,
                                    header_template=HEADER, footer_template=FOOTER, margin=MARGIN,
                                    prefer_css_page_size=True)
                    written.append(atomic_write_bytes(pdf_file, data))
                ctx.close()
            finally:
                browser.close()
    except PlaywrightError as exc:
        raise PdfError(f"cannot write PDF: {str(exc).splitlines()[0]}") from None
    for p in written:
        os.chmod(p, 0o644)  # reports are read by others
    return written


def pdf_path(html_file: str | Path) -> Path:
    """``x_vi.html`` → ``x_vi.pdf`` beside it."""
    return Path(html_file).with_suffix(".pdf")


def add_pdfs(outcomes) -> float:
    """Print the HTML of every successful report outcome to a PDF beside it and record it in
    ``outcome.files['pdf']``; a PDF newer than its HTML is kept.  Returns the seconds spent."""
    t0 = time.perf_counter()
    todo = []
    for o in outcomes:
        html_file = o.files.get("html") if o.ok else None
        if not html_file:
            continue
        pdf = pdf_path(html_file)
        o.files["pdf"] = str(pdf)
        if not (pdf.is_file() and pdf.stat().st_mtime >= Path(html_file).stat().st_mtime):
            todo.append((html_file, pdf))
    html_to_pdf(todo)
    return time.perf_counter() - t0


__all__ = ["PdfError", "add_pdfs", "html_to_pdf", "missing", "pdf_path"]
