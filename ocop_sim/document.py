"""The scenario report as a provincial planning document (issue 17; executive summary: issue 16).

Structure (Vietnamese; the English report mirrors it):

* header: issuing body, national motto, "Đồng Nai, ngày … tháng … năm …", title;
* *Căn cứ* (legal bases) from the glossary's documents;
* I. Tóm tắt — the executive summary, generated from the numbers (:func:`executive_summary`);
* II. Kết quả thực hiện 2019–2025 — past targets against reported figures, % completed;
* III. Dự báo theo kịch bản — 2030 and 2035 milestones and the outlook targets;
* IV. Đánh giá — difficulties and causes, generated from the numbers;
* V. Kết luận và kiến nghị — generated: the measures that move the targets at risk;
* Phụ lục — changes versus the parent scenario, measures and assumptions, method, checks.

Everything a reader sees goes through :mod:`ocop_sim.fmt` and :mod:`ocop_sim.i18n`: no
identifier, no JSON, no file name.  All text is HTML-escaped (:func:`esc`).  No prose is written
per scenario: every sentence is a template filled from the run.
"""
from __future__ import annotations

import html
import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import fmt
from .i18n import CATALOGUE, assumption_source, assumption_text, key_label, lever_label, registry_title, scope_label
from .i18n import scenario_title, scenario_titles, t, term, unit_text  # noqa: F401 - scenario_titles: notebooks use doc.scenario_titles

#: Status colours (colour-blind safe: blue / orange / vermillion of Okabe–Ito, light tints for
#: table cells) and a symbol, so the word never depends on the colour alone.
STATUS_STYLE = {
    "met": ("#cfe3f3", "●"), "met_reported": ("#cfe3f3", "●"),
    "at_risk": ("#fde2b8", "◐"),
    "missed": ("#f6c3b0", "○"), "missed_reported": ("#f6c3b0", "○"),
    "no_report": ("#e8e8e8", "–"), "outside_horizon": ("#e8e8e8", "–"), "planned": ("#e8e8e8", "–"),
}
MILESTONES = (2030, 2035)
HEADLINE = ("products_3star_plus", "province")

CATALOGUE.update({
    # header
    "doc_issuer_parent": {"vi": "ỦY BAN NHÂN DÂN TỈNH ĐỒNG NAI", "en": "ĐỒNG NAI PROVINCIAL PEOPLE'S COMMITTEE"},
    "doc_issuer": {"vi": "SỞ NÔNG NGHIỆP VÀ MÔI TRƯỜNG", "en": "DEPARTMENT OF AGRICULTURE AND ENVIRONMENT"},
    "doc_nation": {"vi": "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "en": "SOCIALIST REPUBLIC OF VIET NAM"},
    "doc_motto": {"vi": "Độc lập - Tự do - Hạnh phúc", "en": "Independence - Freedom - Happiness"},
    "doc_place_date": {"vi": "Đồng Nai, {date}", "en": "Đồng Nai, {date}"},
    "doc_kind": {"vi": "BÁO CÁO", "en": "REPORT"},
    "doc_title": {"vi": "Dự báo kết quả thực hiện Chương trình Mỗi xã một sản phẩm (OCOP) theo kịch bản: {title}",
                  "en": "Outlook of the One Commune One Product (OCOP) programme under the scenario: {title}"},
    "doc_draft_note": {"vi": "Tài liệu phân tích phục vụ xây dựng kế hoạch, được lập tự động từ mô hình mô phỏng; "
                             "không phải văn bản quy phạm.",
                       "en": "An analysis for planning, produced automatically by the simulation model; not a "
                             "legal document."},
    "doc_bases": {"vi": "Căn cứ", "en": "Legal bases"},
    "doc_bases_targets": {"vi": "Bộ chỉ tiêu được đánh giá: {title}.", "en": "Target set evaluated: {title}."},
    "part_1": {"vi": "I. TÓM TẮT", "en": "I. SUMMARY"},
    "part_2_none": {"vi": "Kịch bản này không có chỉ tiêu nào đã đến hạn.", "en": "This scenario has no target whose date has passed."},
    "part_3": {"vi": "III. DỰ BÁO THEO KỊCH BẢN", "en": "III. OUTLOOK UNDER THE SCENARIO"},
    "part_4": {"vi": "IV. ĐÁNH GIÁ", "en": "IV. ASSESSMENT"},
    "part_5": {"vi": "V. KẾT LUẬN VÀ KIẾN NGHỊ", "en": "V. CONCLUSIONS AND RECOMMENDATIONS"},
    "appendix": {"vi": "PHỤ LỤC", "en": "APPENDIX"},
    "app_changes": {"vi": "Phụ lục 1. Thay đổi so với kịch bản gốc", "en": "Appendix 1. Changes versus the parent scenario"},
    "app_assumptions": {"vi": "Phụ lục 2. Giải pháp, mức kinh phí và các giả định",
                        "en": "Appendix 2. Measures, funding and assumptions"},
    "app_method": {"vi": "Phụ lục 3. Phương pháp và thông tin lượt tính", "en": "Appendix 3. Method and run information"},
    "app_checks": {"vi": "Phụ lục 4. Kiểm tra tính hợp lý của mô hình", "en": "Appendix 4. Reality checks of the model"},
    "app_sensitivity": {"vi": "Phụ lục 5. Các yếu tố ảnh hưởng chính", "en": "Appendix 5. Key sensitivities"},
    "sec_milestones": {"vi": "1. Các mốc năm {years}", "en": "1. Milestones {years}"},
    "sec_targets": {"vi": "2. Khả năng đạt các chỉ tiêu", "en": "2. Likelihood of meeting the targets"},
    "sec_charts": {"vi": "3. Diễn biến theo năm", "en": "3. Year by year"},
    "sec_difficulties": {"vi": "1. Khó khăn, hạn chế", "en": "1. Difficulties"},
    "sec_causes": {"vi": "2. Nguyên nhân", "en": "2. Causes"},
    # the reading of a median and a band
    "median_sentence": {
        "vi": "Cách đọc số liệu dự báo: trung vị là mức ở giữa các kết quả mô phỏng (một nửa số lượt thấp hơn, một nửa "
              "cao hơn); khoảng P10–P90 là khoảng có 80 % khả năng chứa giá trị thực tế theo mô hình.",
        "en": "How to read the forecasts: the median is the middle of the simulated outcomes (half of the draws are "
              "below it, half above); the P10–P90 range has an 80 % chance of holding the actual value, according "
              "to the model."},
    # executive summary
    "es_headline": {"vi": "Theo kịch bản “{title}”, đến cuối năm {year} toàn tỉnh dự kiến có khoảng {median} sản phẩm "
                          "OCOP từ 3 sao trở lên (80 % khả năng nằm trong khoảng {p10}–{p90}), so với {start} sản phẩm "
                          "cuối năm {year0}.",
                    "en": "Under the scenario “{title}”, the province is expected to hold about {median} OCOP products "
                          "at 3★ or above at the end of {year} (an 80 % chance of {p10}–{p90}), against {start} at "
                          "the end of {year0}."},
    "es_counts": {"vi": "Trong {n} chỉ tiêu dự báo, {met} chỉ tiêu nhiều khả năng đạt (xác suất từ 80 % trở lên), "
                        "{risk} chỉ tiêu có nguy cơ không đạt và {missed} chỉ tiêu khó đạt (xác suất dưới 20 %).",
                  "en": "Of {n} targets ahead, {met} are likely to be met (a probability of at least 80 %), {risk} "
                        "are at risk and {missed} are unlikely to be met (a probability below 20 %)."},
    "es_no_outlook": {"vi": "Kịch bản này không có chỉ tiêu nào trong tương lai để dự báo khả năng đạt.",
                      "en": "This scenario has no future target whose likelihood could be forecast."},
    "es_history": {"vi": "Kịch bản tái hiện giai đoạn {first}–{last}: số liệu dự báo được so với số liệu báo cáo.",
                   "en": "The scenario replays {first}–{last}: its figures are set against the reported ones."},
    "es_risk_heading": {"vi": "Các chỉ tiêu có nguy cơ cao nhất và giải pháp tác động mạnh nhất:",
                        "en": "The targets most at risk and the measure that moves each most:"},
    "es_risk_item": {"vi": "{target} ({when}; mục tiêu {goal}): khả năng đạt {prob}, trung vị dự báo {median}.",
                     "en": "{target} ({when}; target {goal}): a {prob} chance, median forecast {median}."},
    "es_risk_lever": {"vi": " Giải pháp tác động mạnh nhất: {lever} (mức kinh phí giảm một nửa: {low}; tăng 50 %: {high}).",
                      "en": " The measure that moves it most: {lever} (funding halved: {low}; up by 50 %: {high})."},
    "es_no_risk": {"vi": "Không có chỉ tiêu dự báo nào có nguy cơ không đạt.", "en": "No target ahead is at risk."},
    "es_changes": {"vi": "So với kịch bản gốc “{parent}”: {changes}.", "en": "Versus the parent scenario “{parent}”: {changes}."},
    "es_root": {"vi": "Đây là kịch bản gốc (không kế thừa kịch bản nào).", "en": "This is a root scenario (it extends no other)."},
    "es_change_item": {"vi": "{what}: {new} (kịch bản gốc: {old})", "en": "{what}: {new} (parent: {old})"},
    "es_no_change": {"vi": "không có thay đổi về giải pháp hay giả định", "en": "no change of measures or assumptions"},
    # tables
    "col_target": {"vi": "Chỉ tiêu", "en": "Target"},
    "col_when": {"vi": "Thời hạn", "en": "Due"},
    "col_goal": {"vi": "Mục tiêu", "en": "Goal"},
    "col_reported": {"vi": "Kết quả báo cáo", "en": "Reported"},
    "col_completion": {"vi": "Tỷ lệ hoàn thành", "en": "Completion"},
    "col_reported_at": {"vi": "Thời điểm báo cáo", "en": "Reported on"},
    "col_source": {"vi": "Nguồn", "en": "Source"},
    "col_result": {"vi": "Kết luận", "en": "Conclusion"},
    "col_median": {"vi": "Trung vị dự báo", "en": "Median forecast"},
    "col_band": {"vi": "Khoảng P10–P90", "en": "P10–P90 range"},
    "col_probability": {"vi": "Xác suất đạt", "en": "Probability of meeting it"},
    "col_outlook": {"vi": "Nhận định", "en": "Outlook"},
    "col_indicator": {"vi": "Chỉ số", "en": "Indicator"},
    "col_start": {"vi": "Cuối năm {year} (xuất phát)", "en": "End of {year} (start)"},
    "col_year": {"vi": "Năm {year}", "en": "{year}"},
    "col_what": {"vi": "Nội dung", "en": "Item"},
    "col_old": {"vi": "Kịch bản gốc", "en": "Parent scenario"},
    "col_new": {"vi": "Kịch bản này", "en": "This scenario"},
    "col_value": {"vi": "Giá trị", "en": "Value"},
    "col_unit": {"vi": "Đơn vị", "en": "Unit"},
    "col_range": {"vi": "Khoảng hợp lệ", "en": "Valid range"},
    "col_check": {"vi": "Phép kiểm tra", "en": "Check"},
    "col_condition": {"vi": "Điều kiện thử", "en": "Test condition"},
    "col_detail": {"vi": "Chi tiết", "en": "Detail"},
    "in_period": {"vi": "giai đoạn {a}–{b}", "en": "over {a}–{b}"},
    "at_year_end": {"vi": "cuối năm {y}", "en": "end of {y}"},
    "scope_suffix": {"vi": " — {scope}", "en": " — {scope}"},
    # assessment
    "as_target_gap": {"vi": "{target}: trung vị dự báo {median}, bằng {pct} mục tiêu {goal} ({when}).",
                      "en": "{target}: median forecast {median}, {pct} of the target of {goal} ({when})."},
    "as_renewal": {"vi": "Trong {a}–{b}, trung bình mỗi năm {lapses} giấy chứng nhận OCOP hết hiệu lực, so với {renewals} "
                         "sản phẩm được đánh giá lại giữ hạng và {new} sản phẩm mới đạt từ 3 sao trở lên.",
                   "en": "Over {a}–{b}, on average {lapses} OCOP certificates lapse each year, against {renewals} "
                         "products renewed at their level and {new} new products at 3★ or above."},
    "as_new_trend_down": {"vi": "Số sản phẩm mới đạt từ 3 sao trở lên mỗi năm giảm từ {first} (năm {a}) xuống {last} "
                                "(năm {b}).",
                          "en": "New products at 3★ or above fall from {first} a year ({a}) to {last} ({b})."},
    "as_new_trend_up": {"vi": "Số sản phẩm mới đạt từ 3 sao trở lên mỗi năm tăng từ {first} (năm {a}) lên {last} (năm {b}).",
                        "en": "New products at 3★ or above rise from {first} a year ({a}) to {last} ({b})."},
    "as_training": {"vi": "Tỷ lệ người đứng đầu chủ thể được đào tạo cuối năm {y}: trung vị {median}.",
                    "en": "Share of entity leaders trained at the end of {y}: median {median}."},
    "as_no_difficulty": {"vi": "Không có chỉ tiêu dự báo nào có nguy cơ không đạt.", "en": "No target ahead is at risk."},
    "cause_lapses": {"vi": "Số giấy chứng nhận hết hiệu lực lớn so với số sản phẩm được đánh giá lại: sau 36 tháng nhiều "
                           "sản phẩm không được đánh giá lại.",
                     "en": "Many certificates lapse compared with the renewals: after 36 months many products are "
                           "not re-evaluated."},
    "cause_depletion": {"vi": "Nguồn sản phẩm tiềm năng cạn dần: sản phẩm tốt nhất đã tham gia đánh giá, phân hạng từ "
                              "các năm trước.",
                        "en": "The pool of potential products is being used up: the best products were evaluated "
                              "in earlier years."},
    "cause_driver": {"vi": "Yếu tố ảnh hưởng lớn nhất đến số sản phẩm từ 3 sao năm {y}: {factors}.",
                     "en": "The factors that move products at 3★+ in {y} most: {factors}."},
    "cause_training": {"vi": "Tỷ lệ người đứng đầu chủ thể được đào tạo thấp làm giảm chất lượng sản phẩm tham gia "
                             "đánh giá, phân hạng.",
                       "en": "A low share of trained entity leaders lowers the quality of the products evaluated."},
    # conclusions
    "co_outlook": {"vi": "Với giải pháp và mức kinh phí của kịch bản, {met}/{n} chỉ tiêu dự báo nhiều khả năng đạt.",
                   "en": "With the measures and funding of the scenario, {met} of {n} targets ahead are likely to be met."},
    "co_recommend": {"vi": "Kiến nghị ưu tiên {lever} để nâng khả năng đạt chỉ tiêu “{target}”: tăng mức kinh phí "
                           "thêm 50 % đưa trung vị dự báo từ {base} lên {high}.",
                     "en": "Recommended: give priority to {lever} to raise the chance of the target “{target}”: "
                           "50 % more funding moves the median forecast from {base} to {high}."},
    "co_recommend_weak": {"vi": "Chỉ tiêu “{target}” ít phụ thuộc vào mức kinh phí (tăng 50 % kinh phí của giải pháp "
                                "tác động mạnh nhất chỉ đưa trung vị từ {base} lên {high}): cần xem lại mục tiêu "
                                "hoặc bổ sung giải pháp khác.",
                          "en": "The target “{target}” depends little on funding (50 % more for the strongest "
                                "measure moves the median only from {base} to {high}): review the target or add "
                                "other measures."},
    "co_uncertain": {"vi": "Chỉ tiêu “{target}” đạt ở mức dự báo trung bình ({base}) nhưng khả năng đạt chỉ {prob}: "
                           "rủi ro nằm ở độ bất định; cần theo dõi hằng năm và chuẩn bị giải pháp dự phòng ({lever}).",
                     "en": "The target “{target}” is met at the central forecast ({base}) but its chance is only {prob}: "
                           "the risk lies in the uncertainty; follow it every year and keep a fallback measure ready "
                           "({lever})."},
    "co_renewal": {"vi": "Kiến nghị hỗ trợ chủ thể chuẩn bị hồ sơ đánh giá lại trước khi giấy chứng nhận hết hạn 36 "
                         "tháng, nhằm giữ số sản phẩm còn hiệu lực.",
                   "en": "Recommended: help entities prepare their re-evaluation before the 36-month certificates "
                         "expire, to keep products valid."},
    "co_trust_none": {"vi": "Kiến nghị hiệu chỉnh mô hình theo số liệu báo cáo mới nhất trước khi dùng các xác suất "
                            "để quyết định.",
                      "en": "Recommended: calibrate the model to the latest reported figures before deciding on "
                            "the probabilities."},
    "co_update": {"vi": "Cập nhật số liệu thực tế hằng năm và chạy lại báo cáo để theo dõi tiến độ các chỉ tiêu.",
                  "en": "Update the reported figures every year and re-run the report to follow the targets."},
    # method appendix
    "method_text": {"vi": "Mô hình mô phỏng dòng ý tưởng sản phẩm, chủ thể, đánh giá, phân hạng, công nhận 5 sao quốc gia, "
                          "đánh giá lại sau 36 tháng và hết hiệu lực, theo từng năm và từng địa bàn. Kết quả là "
                          "{draws} lượt mô phỏng ({mode}); xác suất đạt một chỉ tiêu là tỷ lệ số lượt đạt.",
                    "en": "The model simulates product ideas, entities, evaluation and rating, national 5★ "
                          "recognition, re-evaluation after 36 months and lapses, year by year and area by area. "
                          "The results are {draws} draws ({mode}); the probability of a target is the share of "
                          "draws that meet it."},
    "method_run": {"vi": "Lập lúc {time}; phiên bản mô hình {version}; hạt giống ngẫu nhiên {seed}; mã kiểm tra kịch "
                         "bản {hash}.",
                   "en": "Produced {time}; model version {version}; random seed {seed}; scenario checksum {hash}."},
    "alt_fan": {"vi": "Biểu đồ: {metric}, {scope}, trung vị và khoảng P10–P90 theo năm, kèm mục tiêu và số liệu báo cáo.",
                "en": "Chart: {metric}, {scope}, median and P10–P90 range by year, with targets and reported figures."},
    "alt_star_mix": {"vi": "Biểu đồ miền: số sản phẩm theo hạng sao qua các năm.", "en": "Area chart: products by star level over the years."},
    "alt_by_area": {"vi": "Biểu đồ thanh: sản phẩm từ 3 sao theo địa bàn, năm {years}.",
                    "en": "Bar chart: products at 3★+ by area, {years}."},
    "alt_by_group": {"vi": "Biểu đồ đường: sản phẩm theo nhóm sản phẩm qua các năm.", "en": "Line chart: products by product group over the years."},
    "alt_entities": {"vi": "Biểu đồ: số chủ thể OCOP và tỷ lệ được đào tạo qua các năm, kèm mục tiêu.",
                     "en": "Charts: OCOP entities and the shares trained over the years, with targets."},
    "alt_spending": {"vi": "Biểu đồ cột: kinh phí theo nội dung mỗi năm, và kinh phí lũy kế cho mỗi sản phẩm mới.",
                     "en": "Bar chart: funding by budget line each year, and the cumulative funding per new product."},
    "alt_tornado": {"vi": "Biểu đồ lốc xoáy: mức thay đổi của số sản phẩm từ 3 sao khi từng yếu tố ở mức thấp và mức cao.",
                    "en": "Tornado chart: how products at 3★+ change with each factor at its low and high value."},
})

_CSS = """<style>
.ocopdoc {font-family: "Times New Roman", "Noto Serif", serif; font-size: 14px; line-height: 1.45; max-width: 60em;}
.ocopdoc h1 {font-size: 18px; text-align: center; margin: 8px 0;} .ocopdoc h2 {font-size: 16px; margin-top: 18px;}
.ocopdoc h3 {font-size: 14px;} .ocopdoc .head {display: flex; justify-content: space-between; text-align: center;}
.ocopdoc .head div {width: 48%;} .ocopdoc .date {text-align: right; font-style: italic;}
.ocopdoc .note {font-style: italic; text-align: center; color: #444;}
table.ocop {border-collapse: collapse; font-size: 12px; margin: 6px 0; break-inside: avoid;}
.jp-RenderedHTMLCommon table.ocop th, .jp-RenderedHTMLCommon table.ocop td,
table.ocop th, table.ocop td {border: 1px solid #999; padding: 3px 6px; text-align: left; vertical-align: top;}
.jp-RenderedHTMLCommon table.ocop td.num, table.ocop td.num {text-align: right; white-space: nowrap;}
table.ocop th {background: #eeeeee;}
img {break-inside: avoid;}
td[data-status="met"]::before, td[data-status="met_reported"]::before {content: "● ";}
td[data-status="at_risk"]::before {content: "◐ ";}
td[data-status="missed"]::before, td[data-status="missed_reported"]::before {content: "○ ";}
</style>"""


def esc(x: Any) -> str:
    """HTML-escaped text (every text of the document passes through here)."""
    return html.escape(str(x), quote=True)


def _table(headers: list[str], rows: list[list[tuple[str, str]]], cls: str = "ocop") -> str:
    out = [f'<table class="{cls}"><thead><tr>', *[f"<th>{esc(h)}</th>" for h in headers], "</tr></thead><tbody>"]
    for r in rows:
        out.append("<tr>" + "".join(f"<td{attr}>{cell}</td>" for cell, attr in r) + "</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def status_cell(status: str, lang: str, text: str | None = None) -> tuple[str, str]:
    """A table cell for a status: its word on a colour-blind-safe tint (a symbol before it, from
    the style sheet, so that the cell's text is the word alone)."""
    colour, _ = STATUS_STYLE.get(status, ("#ffffff", ""))
    word = text if text is not None else t(status, lang)
    return esc(word), f' style="background:{colour}" data-status="{esc(status)}"'


def _label(row, lang: str) -> str:
    return str(row["label_vi"] if lang == "vi" else row["label_en"])


def _scoped(row, lang: str) -> str:
    """A target's label with its area when the area is not the whole province."""
    scope = str(row["scope"])
    if scope == "province":
        return _label(row, lang)
    return _label(row, lang) + t("scope_suffix", lang).format(scope=scope_label(scope, lang))


def when_text(when: str, lang: str) -> str:
    """A target's date: ``cuối năm 2025`` or ``giai đoạn 2021–2025``."""
    w = str(when)
    if w.isdigit():
        return t("at_year_end", lang).format(y=w)
    if "–" in w:
        a, b = w.split("–", 1)
        return t("in_period", lang).format(a=a, b=b)
    return w


def goal_text(row, lang: str) -> str:
    return fmt.comparison(row["comparison"], fmt.quantity(row["metric"], row["target"], lang), lang)


def _host(url: str) -> str:
    from urllib.parse import urlparse

    return urlparse(url).netloc or url[:40]


# ----------------------------------------------------------------------------- header and bases


def report_date(res):
    """The document's date: the run's creation time in Vietnam's local time."""
    ts = fmt.local_time(res.manifest().get("created", ""))
    import datetime as dt

    return (ts or dt.datetime.now(fmt.VN_TZ)).date()


def header_html(ld, res, lang: str = "en") -> str:
    """The document's header: issuing body, motto, place and date, title, the scenario's
    description, and the *Căn cứ* (legal bases)."""
    sc = ld.scenario
    date = fmt.date_long(report_date(res), lang)
    parts = [_CSS, '<div class="ocopdoc">',
             '<div class="head"><div>', esc(t("doc_issuer_parent", lang)), "<br><b>", esc(t("doc_issuer", lang)),
             "</b></div><div><b>", esc(t("doc_nation", lang)), "</b><br><b>", esc(t("doc_motto", lang)),
             "</b></div></div>",
             f'<p class="date">{esc(t("doc_place_date", lang).format(date=date))}</p>',
             f"<h1>{esc(t('doc_kind', lang))}<br>{esc(t('doc_title', lang).format(title=scenario_title(ld, lang)))}</h1>",
             f'<p class="note">{esc(t("doc_draft_note", lang))}</p>']
    desc = getattr(sc.description, lang)
    if desc:
        parts.append(f"<p>{esc(desc)}</p>")
    if sc.counterfactual:
        parts.append(f"<p><b>{esc(t('counterfactual_banner', lang))}</b></p>")
    parts.append(f"<h2>{esc(t('doc_bases', lang))}</h2><ul>")
    docs = ["qd_1698", "qd_919", "qd_148"]
    if int(res.years[0]) <= 2023:
        docs.insert(1, "qd_1048")
    if int(res.years[-1]) >= 2025:
        docs.append("nq_202")
    parts += [f"<li>{esc(term(d, lang))};</li>" for d in docs]
    for reg in sc.targets:
        parts.append(f"<li>{esc(t('doc_bases_targets', lang).format(title=registry_title(str(reg), lang)))}</li>")
    parts.append("</ul></div>")
    return "".join(parts)


# ----------------------------------------------------------------------------- the outlook numbers


def _outlook_rows(table):
    if "phase" in table:
        table = table[table["phase"] != "evaluation"]
    return table[table["status"].isin(["met", "at_risk", "missed"])]


def _lever_effect(scenario, metric: str, scope: str, year: int):
    """The lever that moves ``metric`` in ``year`` most (expected mode, funding ×0.5 and ×1.5):
    ``(name, value_low, value_base, value_high)`` or None."""
    from .sensitivity import tornados

    try:
        tab = tornados(scenario, metric, [int(year)], scope, assumptions=False, levers=True)[int(year)]
    except Exception:  # noqa: BLE001 - a metric the tornado cannot read: no lever named
        return None
    tab = tab[tab["kind"] == "lever"]
    if not len(tab):
        return None
    r = tab.iloc[0]
    return str(r["name"]), float(r["value_low"]), float(r["value_base"]), float(r["value_high"])


@dataclass
class Summary:
    """The numbers behind the executive summary and the generated parts (one scenario run)."""

    headline: dict = field(default_factory=dict)
    counts: dict = field(default_factory=dict)
    at_risk: list = field(default_factory=list)  # dicts: row, lever effect
    changes: list = field(default_factory=list)  # (label, old, new)
    parent: str | None = None
    trust: str = ""
    backtested: bool = False


def _target_year(row, res) -> int:
    w = str(row["when"])
    y = int(w[-4:]) if w[-4:].isdigit() else int(res.years[-1])
    return min(max(y, int(res.years[0])), int(res.years[-1]))


def compute_summary(ld, res, table=None, n_risk: int = 3, levers: bool = True) -> Summary:
    """Numbers of the executive summary: headline, counts by outlook, the ``n_risk`` targets
    with the lowest probabilities and the lever that moves each most, changes, trust."""
    from .trust import trust_sentence

    table = res.attainment() if table is None else table
    s = Summary()
    metric, scope = HEADLINE
    end = int(res.years[-1])
    v = res.value(metric, scope, year=end)
    s0 = res.start_value(metric, scope) if hasattr(res, "start_value") else None
    s.headline = {"year": end, "year0": int(res.years[0]) - 1, "median": float(np.median(v)),
                  "p10": float(np.quantile(v, 0.1)), "p90": float(np.quantile(v, 0.9)),
                  "start": float(np.median(s0)) if s0 is not None and np.size(s0) else float("nan")}
    out = _outlook_rows(table)
    s.counts = {"n": int(len(out)), "met": int((out["status"] == "met").sum()),
                "risk": int((out["status"] == "at_risk").sum()), "missed": int((out["status"] == "missed").sum())}
    risky = out[out["status"] != "met"].sort_values("probability", kind="stable").head(n_risk)
    for _, r in risky.iterrows():
        eff = _lever_effect(ld.scenario, r["metric"], r["scope"], _target_year(r, res)) if levers else None
        s.at_risk.append({"row": r, "lever": eff})
    s.changes = changes(ld)
    if len(ld.chain) > 1:
        s.parent = _parent_title(ld)
    s.trust = trust_sentence(ld.scenario, "vi"), trust_sentence(ld.scenario, "en")
    s.backtested = bool(ld.scenario.posterior) and "chưa được kiểm định" not in s.trust[0]
    return s


def _parent_title(ld) -> str | None:
    try:
        from .scenarios import load

        p = load(ld.chain[1], allow_outside=True).scenario
        return {"vi": p.title.vi or p.name, "en": p.title.en or p.name}
    except Exception:  # noqa: BLE001 - the parent cannot be read alone: name it by its title key
        return None


def changes(ld) -> list[tuple[str, Any, Any]]:
    """Changed keys versus the parent scenario (title and description left out)."""
    from .scenarios import changed_keys

    return [c for c in changed_keys(ld.parent_raw, ld.raw) if not c[0].startswith(("title", "description"))]


#: Units of the levers that count things per year, in words.
CATALOGUE.update({"unit_display_centres": {"vi": "trung tâm/năm", "en": "centres/year"},
                  "unit_agritourism_projects": {"vi": "dự án/năm", "en": "projects/year"}})


def _unit(name: str, unit: str, lang: str) -> str:
    if CATALOGUE.get(f"unit_{name}"):
        return t(f"unit_{name}", lang)
    return unit_text(unit, lang)


def value_text(path: str, x: Any, lang: str) -> str:
    """A scenario value for a reader: schedules as "từ năm 2026: 7 tỷ đồng/năm", target files by
    their titles, flags as words; never JSON."""
    from .config import ASSUMPTION_NAMES, Levers, assumption_meta, lever_meta

    head, _, rest = path.partition(".")
    name = rest.split(".")[0] if rest else ""
    if x is None:
        return "—"
    unit = ""
    if head == "levers" and name in Levers.model_fields:
        unit = lever_meta(name).get("unit", "")
    elif head == "assumptions" and name in ASSUMPTION_NAMES:
        unit = assumption_meta(name)["unit"]
    if isinstance(x, dict) and x and all(isinstance(v, (int, float)) for v in x.values()):
        u = f" {_unit(name, unit, lang)}" if unit and unit != "-" and fmt.kind_of_unit(unit) != "share" else ""
        if len(x) == 1:  # one value held over the whole horizon
            return fmt.value_by_unit(next(iter(x.values())), unit or "-", lang) + u
        return "; ".join(t("from_year_value", lang).format(year=fmt.year(int(k)),
                                                           value=fmt.value_by_unit(v, unit or "-", lang) + u)
                         for k, v in sorted(x.items(), key=lambda kv: int(kv[0])))
    if head == "targets" and isinstance(x, list):
        return "; ".join(registry_title(str(p), lang) for p in x)
    if head == "pack" and CATALOGUE.get(f"pack_{x}"):
        return t(f"pack_{x}", lang)
    if head == "kind" and CATALOGUE.get(f"kind_{x}"):
        return t(f"kind_{x}", lang)
    if head == "posterior":
        return t("yes", lang) if x else t("no", lang)
    if isinstance(x, bool):
        return t("yes" if x else "no", lang)
    if isinstance(x, (list, dict)):
        return t("n_items", lang).format(n=len(x))
    if head in ("horizon", "seed", "draws") or name.endswith("_year"):
        return fmt.year(x) if head == "horizon" or name.endswith("_year") else str(int(x))
    if isinstance(x, (int, float)):
        u = f" {_unit(name, unit, lang)}" if unit and unit != "-" and fmt.kind_of_unit(unit) != "share" else ""
        return fmt.value_by_unit(x, unit or "-", lang, name) + u
    return str(x)


def changes_html(ld, lang: str = "en") -> str:
    ch = changes(ld)
    if len(ld.chain) <= 1:
        return f"<p>{esc(t('es_root', lang))}</p>"
    parent = _parent_title(ld)
    out = []
    if parent:
        out.append(f"<p>{esc(t('extends', lang))}: “{esc(parent[lang])}”</p>")
    if not ch:
        out.append(f"<p>{esc(t('no_changes', lang))}</p>")
        return "".join(out)
    rows = [[(esc(key_label(k, lang)), ""), (esc(value_text(k, a, lang)), ""), (esc(value_text(k, b, lang)), "")]
            for k, a, b in ch]
    out.append(_table([t("col_what", lang), t("col_old", lang), t("col_new", lang)], rows))
    return "".join(out)


def executive_summary_text(ld, res, s: Summary, lang: str = "en") -> list[str]:
    """The executive summary as plain sentences (first two: the headline outlook)."""
    h = s.headline
    title = scenario_title(ld, lang)
    sent = [t("es_headline", lang).format(
        title=title, year=h["year"], year0=h["year0"], median=fmt.count(h["median"], lang),
        p10=fmt.count(h["p10"], lang), p90=fmt.count(h["p90"], lang), start=fmt.count(h["start"], lang))]
    c = s.counts
    if c["n"]:
        sent.append(t("es_counts", lang).format(**c))
    elif ld.scenario.kind == "history":
        sent.append(t("es_history", lang).format(first=int(res.years[0]), last=int(res.years[-1])))
    else:
        sent.append(t("es_no_outlook", lang))
    return sent


def risk_items(s: Summary, lang: str) -> list[str]:
    out = []
    for item in s.at_risk:
        r = item["row"]
        text = t("es_risk_item", lang).format(target=_label(r, lang), when=when_text(r["when"], lang),
                                              goal=goal_text(r, lang), prob=fmt.share(r["probability"], lang),
                                              median=fmt.quantity(r["metric"], r["median"], lang))
        if item["lever"]:
            name, lo, _, hi = item["lever"]
            text += t("es_risk_lever", lang).format(lever=lever_label(name, lang),
                                                    low=fmt.quantity(r["metric"], lo, lang),
                                                    high=fmt.quantity(r["metric"], hi, lang))
        out.append(text)
    return out


def changes_sentence(ld, s: Summary, lang: str) -> str:
    if len(ld.chain) <= 1:
        return t("es_root", lang)
    items = [t("es_change_item", lang).format(what=key_label(k, lang), old=value_text(k, a, lang),
                                              new=value_text(k, b, lang))
             for k, a, b in s.changes if k.split(".")[0] in ("levers", "assumptions", "uncertainty", "horizon",
                                                             "targets", "events", "pack")]
    parent = (s.parent or {}).get(lang) or t("scenario", lang)
    return t("es_changes", lang).format(parent=parent, changes="; ".join(items) if items else t("es_no_change", lang))


def executive_summary_html(ld, res, s: Summary, lang: str = "en") -> str:
    """Part I: the headline in two sentences, the targets most at risk with their lever, the
    changes versus the parent, and how far to trust the probabilities."""
    parts = ['<div class="ocopdoc">', f"<h2>{esc(t('part_1', lang))}</h2>"]
    parts.append("<p><b>" + " ".join(esc(x) for x in executive_summary_text(ld, res, s, lang)) + "</b></p>")
    if s.counts["n"]:
        items = risk_items(s, lang)
        if items:
            parts.append(f"<p>{esc(t('es_risk_heading', lang))}</p><ol>")
            parts += [f"<li>{esc(x)}</li>" for x in items]
            parts.append("</ol>")
        else:
            parts.append(f"<p>{esc(t('es_no_risk', lang))}</p>")
    parts.append(f"<p>{esc(changes_sentence(ld, s, lang))}</p>")
    parts.append(f"<p>{esc(s.trust[0] if lang == 'vi' else s.trust[1])}</p>")
    parts.append(f"<p><i>{esc(t('median_sentence', lang))}</i></p></div>")
    return "".join(parts)


# ----------------------------------------------------------------------------- part II: results


def _reported_date(d: Any, lang: str) -> str:
    s = str(d or "")
    return fmt.date(s, lang) if s else "—"


def results_html(table, lang: str = "en") -> str:
    """Part II: every past target against its reported figure and the share of the target done."""
    past = table[table["phase"] == "evaluation"] if "phase" in table else table.iloc[:0]
    if not len(past):
        return f'<div class="ocopdoc"><h2>{esc(t("evaluation_title", lang).split(" {")[0])}</h2>' \
               f'<p>{esc(t("part_2_none", lang))}</p></div>'
    first = min(int(str(w)[:4]) for w in past["when"])
    last = max(int(str(w)[-4:]) for w in past["when"])
    rows = []
    for _, r in past.iterrows():
        rep = r.get("reported")
        has_rep = rep is not None and rep == rep
        done = fmt.share(float(rep) / float(r["target"]), lang) if has_rep and float(r["target"]) > 0 else "—"
        src = str(r.get("reported_source") or "")
        link = f'<a href="{esc(src)}">{esc(_host(src))}</a>' if src.startswith("http") else "—"
        rows.append([(esc(_scoped(r, lang)), f' data-id="{esc(r["id"])}"'),
                     (esc(when_text(r["when"], lang)), ""), (esc(goal_text(r, lang)), ""),
                     (esc(fmt.quantity(r["metric"], rep, lang)) if has_rep else "—",
                      ' class="num" data-col="reported"' + (f' data-value="{float(rep)!r}"' if has_rep else "")),
                     (esc(done), ' class="num"'),
                     (esc(_reported_date(r.get("reported_date"), lang)) if has_rep else "—", ""),
                     status_cell(str(r["status"]), lang), (link, "")])
    head = [t("col_target", lang), t("col_when", lang), t("col_goal", lang), t("col_reported", lang),
            t("col_completion", lang), t("col_reported_at", lang), t("col_result", lang), t("col_source", lang)]
    return (f'<div class="ocopdoc"><h2>{esc(t("evaluation_title", lang).format(first=first, last=last))}</h2>'
            + _table(head, rows, "ocop targets evaluation") + "</div>")


# ----------------------------------------------------------------------------- part III: outlook

MILESTONE_METRICS = (("products_3star_plus", "province"), ("products_4star", "province"),
                     ("products_national_5star", "province"), ("entities", "province"),
                     ("coverage_leaders", "province"))


def milestone_years(res) -> list[int]:
    lo, hi = int(res.years[0]), int(res.years[-1])
    ys = [y for y in MILESTONES if lo <= y <= hi]
    return ys or [hi]


def milestones_html(res, lang: str = "en") -> str:
    years = milestone_years(res)
    y0 = int(res.years[0]) - 1
    rows = []
    for metric, scope in MILESTONE_METRICS:
        try:
            start = res.start_value(metric, scope)
            cells = [(esc(t(metric, lang)), ""), (esc(fmt.quantity(metric, np.median(start), lang)), ' class="num"')]
        except Exception:  # noqa: BLE001 - no start value for this metric
            cells = [(esc(t(metric, lang)), ""), ("—", ' class="num"')]
        for y in years:
            v = res.value(metric, scope, year=y)
            cells.append((f"{esc(fmt.quantity(metric, np.median(v), lang))} "
                          f"({esc(fmt.quantity(metric, np.quantile(v, .1), lang))}–"
                          f"{esc(fmt.quantity(metric, np.quantile(v, .9), lang))})", ' class="num"'))
        rows.append(cells)
    head = [t("col_indicator", lang), t("col_start", lang).format(year=y0),
            *[t("col_year", lang).format(year=y) for y in years]]
    return (f"<h3>{esc(t('sec_milestones', lang).format(years=', '.join(str(y) for y in years)))}</h3>"
            + _table(head, rows) + f"<p><i>{esc(t('median_sentence', lang))}</i></p>")


def outlook_targets_html(table, lang: str = "en") -> str:
    """The targets ahead: goal, median, P10–P90, probability and an outlook word (not "đánh giá")."""
    fut = table[table["phase"] != "evaluation"] if "phase" in table else table
    rows = []
    for _, r in fut.iterrows():
        st = str(r["status"])
        base = [(esc(_scoped(r, lang)), f' data-id="{esc(r["id"])}"'), (esc(when_text(r["when"], lang)), ""), (esc(goal_text(r, lang)), "")]
        if st in ("met", "at_risk", "missed"):
            m = r["metric"]
            base += [(esc(fmt.quantity(m, r["median"], lang)),
                      f' class="num" data-col="median" data-value="{float(r["median"])!r}"'),
                     (f"{esc(fmt.quantity(m, r['p10'], lang))}–{esc(fmt.quantity(m, r['p90'], lang))}",
                      f' class="num" data-p10="{float(r["p10"])!r}" data-p90="{float(r["p90"])!r}"'),
                     (esc(fmt.share(r["probability"], lang)),
                      f' class="num" data-col="probability" data-value="{float(r["probability"])!r}"'),
                     status_cell(st, lang)]
        elif st == "planned":
            base += [(esc(fmt.quantity(r["metric"], r["median"], lang)), ' class="num" data-col="median"'),
                     ("—", ' class="num"'), ("—", ' class="num"'), status_cell(st, lang)]
        else:
            base += [("—", ' class="num"'), ("—", ' class="num"'), ("—", ' class="num"'), status_cell(st, lang)]
        rows.append(base)
    head = [t("col_target", lang), t("col_when", lang), t("col_goal", lang), t("col_median", lang),
            t("col_band", lang), t("col_probability", lang), t("col_outlook", lang)]
    return _table(head, rows, "ocop targets")


def outlook_html(ld, res, table, lang: str = "en") -> str:
    """Part III: milestones, then the targets ahead with the trust sentence."""
    from .trust import trust_sentence

    parts = ['<div class="ocopdoc">', f"<h2>{esc(t('part_3', lang))}</h2>", milestones_html(res, lang),
             f"<h3>{esc(t('sec_targets', lang))} — "
             f"{esc(t('outlook_title', lang).format(first=int(res.years[0]), last=int(res.years[-1])))}</h3>"]
    if len(_outlook_rows(table)) or (len(table) and (table.get("phase") != "evaluation").any()):
        parts.append(f'<p class="trust">{esc(trust_sentence(ld.scenario, lang))}</p>')
        parts.append(outlook_targets_html(table, lang))
    else:
        parts.append(f"<p>{esc(t('es_no_outlook', lang))}</p>")
    parts.append(f"<h3>{esc(t('sec_charts', lang))}</h3></div>")
    return "".join(parts)


# ----------------------------------------------------------------------------- parts IV and V


def _flow_means(res, metric: str) -> np.ndarray:
    return np.median(res.series(metric, "province"), axis=1)


def assessment_html(ld, res, s: Summary, lang: str = "en") -> str:
    """Part IV: difficulties (targets short of their goal, lapses, the trend of new products)
    and their causes, all from the run."""
    a, b = int(res.years[0]), int(res.years[-1])
    diff, causes = [], []
    for item in s.at_risk:
        r = item["row"]
        pct = fmt.share(float(r["median"]) / float(r["target"]), lang) if float(r["target"]) > 0 else "—"
        diff.append(t("as_target_gap", lang).format(target=_label(r, lang), median=fmt.quantity(r["metric"], r["median"], lang),
                                                    pct=pct, goal=goal_text(r, lang), when=when_text(r["when"], lang)))
    try:
        lapses, renewals, new = (_flow_means(res, m) for m in ("lapses", "renewals", "new_products_3star_plus"))
        diff.append(t("as_renewal", lang).format(a=a, b=b, lapses=fmt.count(lapses.mean(), lang),
                                                 renewals=fmt.count(renewals.mean(), lang), new=fmt.count(new.mean(), lang)))
        if lapses.mean() > renewals.mean():
            causes.append(t("cause_lapses", lang))
        if len(new) >= 3 and new[-1] < 0.8 * new[0]:
            diff.append(t("as_new_trend_down", lang).format(first=fmt.count(new[0], lang), a=a,
                                                            last=fmt.count(new[-1], lang), b=b))
            causes.append(t("cause_depletion", lang))
        elif len(new) >= 3 and new[-1] > 1.2 * new[0]:
            diff.append(t("as_new_trend_up", lang).format(first=fmt.count(new[0], lang), a=a,
                                                          last=fmt.count(new[-1], lang), b=b))
        cov = float(np.median(res.value("coverage_leaders", "province", year=b)))
        diff.append(t("as_training", lang).format(y=b, median=fmt.share(cov, lang)))
        if cov < 0.5:
            causes.append(t("cause_training", lang))
    except (KeyError, ValueError):
        pass
    drivers = [lever_label(it["lever"][0], lang) for it in s.at_risk if it["lever"]]
    if drivers:
        causes.append(t("cause_driver", lang).format(y=b, factors=", ".join(dict.fromkeys(drivers))))
    parts = ['<div class="ocopdoc">', f"<h2>{esc(t('part_4', lang))}</h2>", f"<h3>{esc(t('sec_difficulties', lang))}</h3><ul>"]
    parts += [f"<li>{esc(x)}</li>" for x in diff] or [f"<li>{esc(t('as_no_difficulty', lang))}</li>"]
    parts.append(f"</ul><h3>{esc(t('sec_causes', lang))}</h3><ul>")
    parts += [f"<li>{esc(x)}</li>" for x in causes] or [f"<li>{esc(t('as_no_difficulty', lang))}</li>"]
    parts.append("</ul></div>")
    return "".join(parts)


def _meets(op: str, value: float, target: float) -> bool:
    import operator

    ops = {">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt, "==": operator.eq}
    return bool(ops.get(str(op).strip(), operator.ge)(value, target))


def conclusions_html(ld, res, s: Summary, lang: str = "en") -> str:
    """Part V: what the scenario achieves, the measure to favour per target at risk, renewals,
    calibration and yearly updates, all chosen by the numbers."""
    items = []
    if s.counts["n"]:
        items.append(t("co_outlook", lang).format(met=s.counts["met"], n=s.counts["n"]))
    for it in s.at_risk:
        r = it["row"]
        if not it["lever"]:
            continue
        name, lo, base, hi = it["lever"]
        if _meets(r["comparison"], base, float(r["target"])):
            key = "co_uncertain"  # met at the expected values: the risk is the spread, not the level
        elif hi - base > 0.05 * max(abs(base), 1e-9):
            key = "co_recommend"
        else:
            key = "co_recommend_weak"
        items.append(t(key, lang).format(lever=lever_label(name, lang), target=_label(r, lang),
                                         base=fmt.quantity(r["metric"], base, lang),
                                         high=fmt.quantity(r["metric"], hi, lang),
                                         prob=fmt.share(r["probability"], lang)))
    try:
        if _flow_means(res, "lapses").mean() > _flow_means(res, "renewals").mean():
            items.append(t("co_renewal", lang))
    except KeyError:
        pass
    if not s.backtested:
        items.append(t("co_trust_none", lang))
    items.append(t("co_update", lang))
    return ('<div class="ocopdoc">' + f"<h2>{esc(t('part_5', lang))}</h2><ol>"
            + "".join(f"<li>{esc(x)}</li>" for x in items) + "</ol></div>")


# ----------------------------------------------------------------------------- appendix


def appendix_heading(key: str, lang: str, first: bool = False) -> str:
    top = f'<h2>{esc(t("appendix", lang))}</h2>' if first else ""
    return f'<div class="ocopdoc">{top}<h3>{esc(t(key, lang))}</h3></div>'


def assumptions_html(scenario, lang: str = "en") -> str:
    """Measures (funding schedules) and assumptions with labels, units, valid ranges and sources."""
    from .config import ASSUMPTION_NAMES, Levers, assumption_meta, lever_meta

    rows = []
    for name in Levers.model_fields:
        m = lever_meta(name)
        rows.append([(esc(lever_label(name, lang)), ""),
                     (esc(value_text(f"levers.{name}", getattr(scenario.levers, name), lang)), "")])
    lev = _table([t("levers", lang), t("col_value", lang)], rows)
    rows = []
    for name in ASSUMPTION_NAMES:
        m = assumption_meta(name)
        unit = m["unit"]
        shown_unit = "—" if unit in ("-", "fraction") else unit_text(unit, lang)
        v = getattr(scenario.assumptions, name)
        rows.append([(esc(assumption_text(name, lang)), ""), (esc(fmt.value_by_unit(v, unit, lang, name)), ' class="num"'),
                     (esc(shown_unit), ""),
                     (f"{esc(fmt.value_by_unit(m['low'], unit, lang, name))} – "
                      f"{esc(fmt.value_by_unit(m['high'], unit, lang, name))}", ' class="num"'),
                     (esc(assumption_source(name, lang)), "")])
    ass = _table([t("assumptions", lang), t("col_value", lang), t("col_unit", lang), t("col_range", lang),
                  t("col_source", lang)], rows)
    return f'<div class="ocopdoc">{lev}<h4>{esc(t("assumptions", lang))}</h4>{ass}</div>'


def condition_text(under: Any, lang: str = "en") -> str:
    """A check's test input as a sentence (``under`` as a JSON text, a dict or a CheckInput)."""
    if under is None or under == "" or (isinstance(under, float) and under != under):
        return "—"
    if isinstance(under, str):
        under = json.loads(under)
    if hasattr(under, "model_dump"):
        under = under.model_dump(exclude_defaults=True)
    parts = []
    if under.get("budget") is not None:
        v = fmt.number(under["budget"], lang)
        parts.append(t("cond_budget_from", lang).format(value=v, year=fmt.year(under["from_year"]))
                     if under.get("from_year") is not None else t("cond_budget", lang).format(value=v))
    from .config import assumption_meta

    for name, v in (under.get("assumptions") or {}).items():
        parts.append(t("cond_assumption", lang).format(what=assumption_text(name, lang).lower()
                                                       if lang == "vi" else assumption_text(name, lang),
                                                       value=fmt.value_by_unit(v, assumption_meta(name)["unit"], lang, name)))
    return "; ".join(parts) or "—"


def _check_value(metric: str, x: float, lang: str) -> str:
    return fmt.quantity(metric, x, lang)


def check_detail(check, row, years, lang: str = "en") -> str:
    """What a reality check asserts and whether it held, as a sentence."""
    a, b = int(years[0]), int(years[-1])
    lo = check.from_year if check.from_year is not None else a
    hi = check.to_year if check.to_year is not None else b
    period = f"{max(lo, a)}–{min(hi, b)}" if max(lo, a) != min(hi, b) else str(min(hi, b))
    metric = t(check.metric, lang)
    if check.kind == "never_exceeds":
        text = t("check_never_exceeds", lang).format(metric=metric, other=t(check.other, lang),
                                                     ever=t("check_ever", lang) if check.other_ever else "", period=period)
    else:
        val = (t("check_relative", lang).format(share=fmt.share(check.value, lang)) if check.relative
               else _check_value(check.metric, check.value, lang))
        text = t(f"check_{check.kind}", lang).format(metric=metric, value=val, period=period)
    if not bool(row["passed"]) and row.get("first_violation_year") is not None:
        text += "; " + t("check_violated", lang).format(year=int(row["first_violation_year"]))
    return text


def checks_html(scenario, df, years, lang: str = "en") -> str:
    """The reality checks as sentences (no JSON, no identifiers)."""
    if df is None or len(df) == 0:
        return f"<p>{esc(t('checks_none', lang))}</p>"
    by_id = {c.id: c for c in scenario.checks}
    rows = []
    for _, r in df.iterrows():
        c = by_id.get(r["id"])
        ok = bool(r["passed"])
        detail = check_detail(c, r, years, lang) if c is not None else ""
        rows.append([(esc(r["label_vi"] if lang == "vi" else r["label_en"]), ""),
                     (esc(condition_text(c.under if c is not None else r["under"], lang)), ""),
                     status_cell("met" if ok else "missed", lang, t("check_pass" if ok else "check_fail", lang)),
                     (esc(detail), "")])
    n_ok = int(df["passed"].sum())
    return (f'<div class="ocopdoc"><p>{esc(t("checks_passed_of", lang).format(ok=n_ok, n=len(df)))}</p>'
            + _table([t("col_check", lang), t("col_condition", lang), t("col_result", lang), t("col_detail", lang)], rows)
            + "</div>")


def method_html(res, lang: str = "en") -> str:
    m = res.manifest()
    mode = t(f"mode_{m['mode']}", lang) if CATALOGUE.get(f"mode_{m['mode']}") else t("mode_monte_carlo", lang)
    return ('<div class="ocopdoc">'
            f"<p>{esc(t('method_text', lang).format(draws=fmt.count(m['draws'], lang), mode=mode))}</p>"
            f"<p>{esc(t('median_sentence', lang))}</p>"
            f"<p>{esc(t('method_run', lang).format(time=fmt.timestamp(m['created'], lang), version=m['version'], seed=m['seed'], hash=str(m['scenario_hash'])[:12]))}</p>"
            "</div>")


# ----------------------------------------------------------------------------- figures


def show_figure(fig, alt: str) -> None:
    """Display a Matplotlib figure as a PNG with alternative text (read aloud, and shown when the
    image cannot be), then close it."""
    import base64
    import io

    import matplotlib.pyplot as plt
    from IPython.display import display

    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight")
    plt.close(fig)
    from IPython.display import HTML

    # an <img> of our own: nbconvert's lab template drops the output's alt metadata
    b64 = base64.b64encode(buf.getvalue()).decode("ascii")
    display(HTML(f'<img src="data:image/png;base64,{b64}" alt="{esc(alt)}" style="max-width:100%">'))


def alt(key: str, lang: str, **kw) -> str:
    return t(key, lang).format(**kw)


def setup(lang: str = "en") -> None:
    """Figures as the reports draw them, and no warning text printed into a reader's document
    (warnings belong in the logs of the batch, not in a planning document)."""
    import warnings

    from .plots import setup_figures

    setup_figures()
    warnings.simplefilter("ignore")


# ----------------------------------------------------------------------------- several scenarios


def titled(frame, runs, lang: str = "en"):
    """A frame whose columns are scenario names, with the scenarios' titles as columns."""
    return frame.rename(columns=scenario_titles(runs, lang))


def cost_attainment(runs, lang: str = "en"):
    """:func:`ocop_sim.plots.cost_attainment` with the scenarios' titles (column ``label``)."""
    from .plots import cost_attainment as _ca

    df = _ca(runs)
    df["label"] = df["scenario"].map(scenario_titles(runs, lang))
    return df


def compare_header_html(runs, lang: str = "en") -> str:
    """Title of the comparison and the list of scenarios compared (titles, not file names)."""
    items = "".join(f"<li>{esc(x)}</li>" for x in scenario_titles(runs, lang).values())
    return f'{_CSS}<div class="ocopdoc"><h1>{esc(t("compare_title", lang))}</h1><ol>{items}</ol>' \
           f'<p><i>{esc(t("median_sentence", lang))}</i></p></div>'


CATALOGUE.update({
    "alt_trajectories": {"vi": "Biểu đồ đường: trung vị dự báo của từng kịch bản qua các năm (sản phẩm từ 3 sao và chủ thể).",
                         "en": "Line charts: each scenario's median forecast over the years (products at 3★+ and entities)."},
    "alt_prob_matrix": {"vi": "Bản đồ nhiệt: xác suất đạt từng chỉ tiêu theo từng kịch bản.",
                        "en": "Heat map: the probability of meeting each target in each scenario."},
    "alt_cost": {"vi": "Biểu đồ điểm: tổng kinh phí và số chỉ tiêu kỳ vọng đạt của từng kịch bản.",
                 "en": "Scatter chart: total funding and the expected number of targets met per scenario."},
    "alt_cal_fit": {"vi": "Biểu đồ: số liệu báo cáo (chấm) so với trung vị và khoảng P10–P90 của mô hình, theo từng chuỗi số liệu.",
                    "en": "Charts: reported figures (dots) against the model's median and P10–P90 range, series by series."},
})


def calibration_header_html(ld, lang: str = "en") -> str:
    """Title and introduction of the calibration report, naming the replayed scenario by title."""
    return (f'{_CSS}<div class="ocopdoc"><h1>{esc(t("cal_fit_title", lang))}</h1>'
            f"<p>{esc(t('cal_intro', lang))}</p><p>{esc(t('scenario', lang))}: {esc(scenario_title(ld, lang))}</p></div>")
