"""``report --format``: the option is validated before any work; PDFs need a browser, said in one line."""
from pathlib import Path

import pytest

from ocop_sim.cli import main

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("fmt", ["html,docx", "", "pdf;xlsx"])
def test_unknown_format_exits_2_in_one_line(tmp_path, capsys, fmt):
    out = tmp_path / "out"
    assert main(["report", str(ROOT / "params" / "smoke.yaml"), "--out", str(out), "--format", fmt]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "expected formats from html,pdf,xlsx" in err, err
    assert not out.exists()


def test_pdf_without_browser_exits_2_before_work(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("OCOP_CHROMIUM", str(tmp_path / "no-chromium"))
    out = tmp_path / "out"
    assert main(["report", str(ROOT / "params" / "smoke.yaml"), "--out", str(out), "--format", "html,pdf"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cannot print PDFs here" in err and "no-chromium" in err, err
    assert not out.exists()


def test_format_list_parsed():
    from ocop_sim.cli.report import _formats

    assert _formats("HTML, pdf,xlsx,pdf") == ("html", "pdf", "xlsx")


def test_print_css_keeps_tables_and_charts_whole():
    from ocop_sim import pdf

    css = pdf.PRINT_CSS
    assert "size: A4" in css and "break-inside: avoid" in css
    assert "pageNumber" in pdf.FOOTER and "totalPages" in pdf.FOOTER
    assert "DejaVu Sans" in css  # a font with every Vietnamese diacritic
