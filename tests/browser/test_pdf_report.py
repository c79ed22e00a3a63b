"""PDF reports as an official prints them: ``ocop-sim report --format html,pdf`` in both languages.

The batch runs as a user runs it (the CLI, in a subprocess: the PDFs are printed by Playwright's
own Chromium session, which cannot nest inside the test's).  The PDFs must be A4 with a page
number on every page, and their extracted text must hold the Vietnamese target labels the
package computes (the fonts carry every diacritic: a glyph-less font extracts as nothing or "?").
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from browser_support import CHROMIUM, ROOT, VIEWPORT, keep_screenshot, missing

pytestmark = [pytest.mark.browser, pytest.mark.slow]

A4_PT = (595.0, 842.0)
#: UTF-8 Vietnamese read as Latin-1 ("Ã¡" is "á", "Ä‘" is "đ"; a bare "Ã" is Vietnamese, as in "XÃ").
MOJIBAKE = ("Ã¡", "Ã©", "Ã³", "Ãº", "Ã¢", "áº", "á»", "Ä‘", "Æ°", "\ufffd")


def _words(text: str) -> list[str]:
    # a line may break after a dash ("(2019–" / "2020)"): that break is no space; a symbol drawn
    # from a fallback font ("3★") is extracted as a run of its own ("3 ★")
    text = re.sub(r"\s+★", "★", re.sub(r"([–-])\n", r"\1", text))
    return re.sub(r"\s+", " ", text).strip().split(" ")


def _in_order(needle: list[str], hay: list[str]) -> bool:
    """``needle``'s words appear in ``hay`` in this order (a label wrapped inside a table cell
    is extracted line by line, interleaved with its row's other cells)."""
    it = iter(hay)
    return all(any(w == h for h in it) for w in needle)


@pytest.fixture(scope="module")
def pdf_batch(tmp_path_factory):
    why = missing()
    if why:
        if os.environ.get("OCOP_REQUIRE_BROWSER") == "1":
            pytest.fail(why)
        pytest.skip(why)
    base = tmp_path_factory.mktemp("pdf_batch")
    params = base / "params"
    shutil.copytree(ROOT / "params", params)
    out = base / "reports"
    exe = Path(sys.executable).with_name("ocop-sim")
    t0 = time.perf_counter()
    proc = subprocess.run([str(exe), "report", str(params / "smoke.yaml"), "--out", str(out), "--lang", "both",
                           "--draws", "20", "--jobs", "2", "--quiet", "--no-calibration", "--format", "html,pdf"],
                          capture_output=True, text=True, timeout=600,
                          env={**os.environ, "OCOP_CHROMIUM": str(CHROMIUM), "MPLBACKEND": "Agg"})
    assert proc.returncode == 0, proc.stderr[-3000:]
    return out, time.perf_counter() - t0


def test_pdf_per_language_a4_numbered_with_vietnamese_labels(pdf_batch):
    from pypdf import PdfReader

    from ocop_sim.scenarios import load
    from ocop_sim.simulate import simulate

    out, _ = pdf_batch
    # no workbooks were asked for: --format html,pdf
    assert not list((out / "smoke").glob("*.xlsx"))
    labels = simulate(load(ROOT / "params" / "smoke.yaml").scenario, mode="expected").attainment()
    for lang in ("vi", "en"):
        pdf = out / "smoke" / f"smoke_{lang}.pdf"
        assert pdf.is_file() and pdf.read_bytes()[:5] == b"%PDF-", pdf
        reader = PdfReader(str(pdf))
        n = len(reader.pages)
        assert n >= 3, n
        for i, page in enumerate(reader.pages, 1):
            w, h = float(page.mediabox.width), float(page.mediabox.height)
            assert abs(w - A4_PT[0]) < 2 and abs(h - A4_PT[1]) < 2, (i, w, h)
            # Chromium's footer: "page / pages" at the bottom of every page
            assert re.search(rf"\b{i} / {n}\b", page.extract_text()), (lang, i)
        text = "\n".join(p.extract_text() for p in reader.pages)
        assert not [m for m in MOJIBAKE if m in text], lang
        words = _words(text)
        col = "label_vi" if lang == "vi" else "label_en"
        missing_labels = [lab for lab in labels[col] if not _in_order(_words(lab), words)]
        assert missing_labels == [], (lang, missing_labels)
        if lang == "vi":
            # Vietnamese with its diacritics, as typed (precomposed NFC as the labels are)
            assert "Đồng Nai" in text and "Kịch bản kiểm thử nhỏ" in text
    # the index links both PDFs
    index = (out / "index.html").read_text(encoding="utf-8")
    assert 'href="smoke/smoke_vi.pdf"' in index and 'href="smoke/smoke_en.pdf"' in index


def test_pdf_page_in_chromium_viewer(pdf_batch, browser):
    """The first pages of the Vietnamese PDF as Chromium's PDF viewer shows them (the README picture)."""
    out, seconds = pdf_batch
    ctx = browser.new_context(viewport={"width": VIEWPORT["width"], "height": 1000})
    try:
        page = ctx.new_page()
        page.goto((out / "smoke" / "smoke_vi.pdf").as_uri())
        page.wait_for_timeout(2500)  # the viewer renders the pages after load
        keep_screenshot(page, "report_pdf.png", "report_pdf.png")
    finally:
        ctx.close()
    print(f"report batch with PDFs: {seconds:.1f} s")
