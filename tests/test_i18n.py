"""Every label a report uses exists in Vietnamese and English; Vietnamese number formatting."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from ocop_sim import i18n

ROOT = Path(__file__).resolve().parents[1]
SOURCES = [ROOT / "ocop_sim" / f for f in ("plots.py", "widgets.py", "document.py", "calibration_report.py")] + \
    sorted((ROOT / "ocop_sim" / "report").glob("*.py")) + sorted((ROOT / "notebooks").glob("*.ipynb"))
KEY_CALL = re.compile(r"""\b(?:t|heading)\(\s*\\?['"]([A-Za-z0-9_]+)\\?['"]""")


def _keys_used() -> set[str]:
    keys = set()
    for p in SOURCES:
        keys |= set(KEY_CALL.findall(p.read_text(encoding="utf-8")))
    return keys


def test_every_text_is_there_without_importing_the_document():
    """The document's texts are in the catalogue from the import of i18n on: a page that asks for
    one before ocop_sim.document is imported (the batch's index page, col_result) finds it."""
    import subprocess
    import sys

    code = ("import sys; from ocop_sim import i18n; from ocop_sim.texts_document import DOCUMENT_TEXTS; "
            "assert 'ocop_sim.document' not in sys.modules; "
            "print(sum(not i18n.has(k) for k in DOCUMENT_TEXTS), i18n.t('col_result', 'vi'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr[-800:]
    missing, text = out.stdout.split(" ", 1)
    assert missing == "0" and text.strip()


def test_scan_finds_keys():
    assert {"fan_chart", "evaluation_title", "outlook_title", "star_mix", "manifest"} <= _keys_used()


@pytest.mark.parametrize("key", sorted(_keys_used()))
def test_literal_keys_translated(key):
    assert i18n.has(key), key


def test_dynamic_keys_translated():
    from ocop_sim.config import BUDGET_LINES, GROUPS, LEVELS
    from ocop_sim.report import cost_per_product_frame  # noqa: F401 - module imports
    from ocop_sim.results import GLOSSARY
    from ocop_sim.targets import EVALUATION_STATUSES

    dynamic = set(EVALUATION_STATUSES) | set(GLOSSARY) | {f"spending_{b}" for b in BUDGET_LINES} | set(GROUPS) | set(LEVELS) | \
        {"met", "at_risk", "missed", "outside_horizon", "province", "old_dong_nai", "old_binh_phuoc",
         "scenario", "scenario_hash", "mode", "seed", "draws", "version", "created"}
    missing = [k for k in dynamic if not i18n.has(k)]
    assert not missing


def test_translations_differ_where_they_should():
    for key in ("met", "at_risk", "missed", "met_reported", "missed_reported", "no_report", "planned",
                "targets_table", "fan_chart"):
        assert i18n.t(key, "vi") != i18n.t(key, "en")


@pytest.mark.parametrize("x, lang, digits, want", [
    (1234.5, "vi", 1, "1.234,5"), (1234.5, "en", 1, "1,234.5"), (1234567, "vi", 1, "1.234.567"),
    (0.25, "vi", 2, "0,25"), (float("nan"), "vi", 1, "—")])
def test_fmt_number(x, lang, digits, want):
    assert i18n.fmt_number(x, lang, digits) == want


def test_fmt_percent_vi():
    assert i18n.fmt_percent(0.125, "vi", 1) == "12,5 %"


def test_every_assumption_unit_and_source_has_vietnamese():
    from ocop_sim.config import ASSUMPTION_NAMES, Levers, assumption_meta, lever_meta
    from ocop_sim.results import GLOSSARY

    for name in ASSUMPTION_NAMES:
        vi = i18n.assumption_text(name, "vi")
        assert vi and vi != i18n.assumption_text(name, "en"), name
        assert re.search(r"[ạảãàáâậầấẩẫăằắẳẵặđêềếểễệôồốổỗộơờớởỡợưừứửữựìíỉĩịòóỏõọùúủũụỳýỷỹỵ]", vi.lower()), name
        m = assumption_meta(name)
        i18n.unit_text(m["unit"], "vi")  # KeyError if a unit lacks a translation
        assert "judgement" not in i18n.source_text(m["source"], "vi"), name
    for name in Levers.model_fields:
        i18n.unit_text(lever_meta(name).get("unit", "-"), "vi")
    for v in GLOSSARY.values():
        i18n.unit_text(v["unit"], "vi")
    assert i18n.unit_text("mn VND/person", "vi") == "triệu đồng/người"


def test_vietnamese_assumptions_table_has_no_english_descriptions():
    from ocop_sim import load, report

    html = report.assumptions_table(load(ROOT / "params" / "smoke.yaml").scenario, "vi")
    assert "Chi phí đào tạo một người" in html and "tỷ đồng/năm" in html
    assert "Cost of training one person" not in html and "bn VND" not in html and "judgement" not in html
