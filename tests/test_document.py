"""The formatting layer, the glossary and the planning document's generated parts (issue 17;
executive summary: issue 16 part 3)."""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import numpy as np
import pytest

from ocop_sim import fmt, i18n

ROOT = Path(__file__).resolve().parents[1]


# ----------------------------------------------------------------------------- fmt


@pytest.mark.parametrize("x, lang, want", [(2025, "vi", "2025"), (2035.0, "en", "2035"), (None, "vi", "—")])
def test_years_have_no_separator(x, lang, want):
    assert fmt.year(x) == want


@pytest.mark.parametrize("d, want", [("2025-06-26", "26/06/2025"), ("2025-06", "06/2025"), (2025 + 180 / 365, "30/06/2025"),
                                     (dt.date(2025, 6, 30), "30/06/2025"), (2020, "2020"),
                                     ("2021, 2022, 2024", "2021, 2022, 2024")])
def test_dates_day_month_year(d, want):
    assert fmt.date(d, "vi") == want


def test_derived_date_translated():
    assert fmt.date("2020 (derived)", "vi") == "2020 (suy ra)"


@pytest.mark.parametrize("x, lang, want", [(1093.5, "vi", "1.094"), (2.4, "vi", "2"), (745.5, "en", "746"),
                                           (1234567.0, "en", "1,234,567"), (float("nan"), "vi", "—")])
def test_counts_are_whole(x, lang, want):
    assert fmt.count(x, lang) == want


@pytest.mark.parametrize("x, lang, digits, want", [(0.148, "vi", 0, "15 %"), (0.155, "vi", 1, "15,5 %"),
                                                   (1.0, "en", 0, "100 %"), (-0.001, "vi", 0, "0 %"),
                                                   (-0.0, "en", 0, "0 %")])
def test_shares_one_style_and_no_negative_zero(x, lang, digits, want):
    assert fmt.share(x, lang, digits) == want


def test_numbers_drop_trailing_zeros_and_negative_zero():
    assert fmt.number(0.300, "vi", 3) == "0,3"
    assert fmt.number(-0.0001, "vi", 1) == "0"
    assert fmt.number(1234.5, "en") == "1,234.5"


@pytest.mark.parametrize("op, lang, want", [(">=", "vi", "từ 12 trở lên"), (">=", "en", "at least 12"),
                                            ("<=", "vi", "không quá 12"), ("<", "en", "less than 12")])
def test_comparisons_in_words(op, lang, want):
    assert fmt.comparison(op, "12", lang) == want


def test_timestamps_in_local_time():
    assert fmt.timestamp("2026-11-30T11:03:31+00:00", "vi") == "30/11/2026 18:03 (giờ Việt Nam)"
    assert fmt.timestamp("2026-11-30T23:30:00+00:00", "en") == "01/12/2026 06:30 (Vietnam time)"


def test_quantity_by_metric_unit():
    assert fmt.quantity("products_3star_plus", 1093.5, "vi") == "1.094"
    assert fmt.quantity("coverage_leaders", 0.4635643661022186, "vi") == "46 %"
    assert fmt.quantity("spending_bn_vnd", 12.34, "vi") == "12,3"
    assert fmt.excel_format("products_3star_plus") == "#,##0"
    assert fmt.excel_format("coverage_leaders") == "0%"
    assert fmt.excel_format("year") == "0"


def test_value_by_unit_years_and_shares():
    assert fmt.value_by_unit(2020.0, "year", "vi") == "2020"
    assert fmt.value_by_unit(0.25, "fraction", "vi") == "25 %"
    assert fmt.value_by_unit(5000, "persons", "vi") == "5.000"


# ----------------------------------------------------------------------------- glossary


def _vi_texts() -> dict[str, str]:
    from ocop_sim import document  # noqa: F401 - registers the document's catalogue entries

    texts = {f"catalogue:{k}": v["vi"] for k, v in i18n.CATALOGUE.items()}
    texts |= {f"assumption:{k}": v for k, v in i18n.ASSUMPTION_VI.items()}
    texts |= {f"source:{k}": v["vi"] for k, v in i18n.ASSUMPTION_SOURCE.items()}
    texts |= {f"unit:{k}": v for k, v in i18n.UNIT_VI.items()}
    return texts


def avoided_in(text: str) -> list[str]:
    """Glossary variants (as whole phrases, also with a capital first letter) found in ``text``."""
    out = []
    for v in i18n.avoided_terms():
        for form in {v, v[:1].upper() + v[1:], v[:1].lower() + v[1:]}:
            if re.search(r"(?<!\w)" + re.escape(form) + r"(?!\w)", text):
                out.append(v)
                break
    return out


def test_glossary_has_official_wordings_and_sources():
    g = i18n.glossary()
    for d in ("qd_1698", "qd_919", "qd_148", "nq_202"):
        assert d.split("_")[1] in g["documents"][d]["vi"]
    for k, e in g["terms"].items():
        assert e["vi"] and e["en"] and e["source"], k
        assert e["source"] in g["documents"] or e["source"] == "method", k
    assert i18n.term("merger", "vi") == "hợp nhất"
    assert i18n.term("level_national_5star", "vi") == "5 sao quốc gia"


def test_catalogue_uses_only_glossary_terms():
    bad = {k: avoided_in(v) for k, v in _vi_texts().items() if avoided_in(v)}
    assert not bad, bad


def test_product_groups_are_those_of_148():
    from ocop_sim.config import GROUPS

    g = i18n.glossary()["terms"]
    for group in GROUPS:
        assert i18n.t(group, "vi") == g[f"group_{group}"]["vi"], group


# ----------------------------------------------------------------------------- labels and sentences


def test_every_assumption_has_a_readable_source():
    from ocop_sim.config import ASSUMPTION_NAMES

    for name in ASSUMPTION_NAMES:
        for lang in ("vi", "en"):
            s = i18n.assumption_source(name, lang)
            assert s and not re.search(r"\b[a-z0-9]+_[a-z0-9_]+\b|\.csv|FACTS|§", s), (name, lang, s)
        assert "judgement" not in i18n.assumption_source(name, "vi")


def test_condition_sentences_not_json():
    from ocop_sim import document

    assert document.condition_text('{"assumptions": {"submission_rate": 0.0}}', "vi") == \
        "tỷ lệ ý tưởng sản phẩm tham gia đánh giá, phân hạng mỗi năm bằng 0"
    assert document.condition_text({"budget": 0.0, "from_year": 2026}, "en") == \
        "every budget line at 0 bn VND a year from 2026"


def test_changed_keys_and_values_as_labels():
    from ocop_sim import document, load

    ld = load(ROOT / "params" / "push_2035.yaml")
    rows = [(i18n.key_label(k, "vi"), document.value_text(k, b, "vi")) for k, _, b in document.changes(ld)]
    assert ("Hỗ trợ phát triển sản phẩm", "15 tỷ đồng/năm") in rows
    assert all("_" not in a + b and "{" not in b for a, b in rows), rows


@pytest.fixture(scope="module")
def baseline_run():
    from ocop_sim import report

    return report.load_run(ROOT / "params" / "baseline.yaml", None, 200, None)


def test_executive_summary_from_the_numbers(baseline_run):
    from ocop_sim import document

    ld, res = baseline_run
    table = res.attainment()
    s = document.compute_summary(ld, res, table)
    v = res.value("products_3star_plus", "province", year=2035)
    assert s.headline["median"] == pytest.approx(float(np.median(v)))
    for lang in ("vi", "en"):
        first, second = document.executive_summary_text(ld, res, s, lang)
        assert fmt.count(np.median(v), lang) in first and "2035" in first
        out = table[(table["phase"] != "evaluation") & table["status"].isin(["met", "at_risk", "missed"])]
        assert str(len(out)) in second and str(int((out["status"] == "met").sum())) in second
    # the targets most at risk: the lowest probabilities, each with the lever that moves it most
    risky = out[out["status"] != "met"].sort_values("probability", kind="stable")
    assert [it["row"]["id"] for it in s.at_risk] == list(risky["id"][:3])
    from ocop_sim.sensitivity import tornados

    first = s.at_risk[0]
    r = first["row"]
    tab = tornados(ld.scenario, r["metric"], [2035], r["scope"], assumptions=False)[2035]
    assert first["lever"][0] == tab.iloc[0]["name"]
    html = document.executive_summary_html(ld, res, s, "vi")
    assert i18n.lever_label(first["lever"][0], "vi") in html
    assert "kịch bản gốc" in html and "Cách đọc số liệu dự báo" in html


def test_summary_names_the_changes_versus_the_parent():
    from ocop_sim import document, load, simulate

    ld = load(ROOT / "params" / "push_2035.yaml")
    res = simulate(ld.scenario, mode="expected")
    s = document.compute_summary(ld, res, levers=False)
    text = document.changes_sentence(ld, s, "vi")
    assert "Kịch bản cơ sở" in text and "Hỗ trợ phát triển sản phẩm: 15 tỷ đồng/năm (kịch bản gốc: 7 tỷ đồng/năm)" in text


def test_document_parts_in_order(baseline_run):
    from ocop_sim import document
    from ocop_sim.checks import run_checks

    ld, res = baseline_run
    table = res.attainment()
    s = document.compute_summary(ld, res, table, levers=False)
    html = "".join([document.header_html(ld, res, "vi"), document.executive_summary_html(ld, res, s, "vi"),
                    document.results_html(table, "vi"), document.outlook_html(ld, res, table, "vi"),
                    document.assessment_html(ld, res, s, "vi"), document.conclusions_html(ld, res, s, "vi"),
                    document.checks_html(ld.scenario, run_checks(ld.scenario, res, max_under_draws=30), res.years, "vi")])
    heads = ["ỦY BAN NHÂN DÂN TỈNH ĐỒNG NAI", "Đồng Nai, ngày", "Căn cứ", "I. TÓM TẮT", "II. KẾT QUẢ THỰC HIỆN 2019–2025",
             "III. DỰ BÁO THEO KỊCH BẢN", "IV. ĐÁNH GIÁ", "V. KẾT LUẬN VÀ KIẾN NGHỊ"]
    pos = [html.index(h) for h in heads]
    assert pos == sorted(pos)
    assert "Nghị quyết số 202/2025/QH15" in html and "1698/QĐ-UBND" in html
    assert "Năm 2030" in html and "Năm 2035" in html  # the milestones
    assert "{" not in re.sub(r"<style>.*?</style>", "", html, flags=re.S)  # no JSON, no unfilled template


def test_district_level_only_for_the_time_before_the_merger():
    """District government ended with the merger of 01/07/2025: 'cấp huyện' only where a text says so."""
    hits = {k: v for k, v in _vi_texts().items() if "huyện" in v}
    assert hits and all("trước 01/7/2025" in v for v in hits.values()), hits
