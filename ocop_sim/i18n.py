"""Vietnamese and English labels: one catalogue, and number formatting per language.

Every label shown in a report, table header, chart title, axis, legend or status word comes
from :data:`CATALOGUE` through :func:`t`.  A missing key or language raises ``KeyError``.

Longer than 400 lines because it is the catalogue itself: every vi/en label of the reports is data
here (the planning document's texts are in :mod:`ocop_sim.texts_document`).
"""
from __future__ import annotations

import math
from collections import Counter
from pathlib import Path

import yaml

from . import data as _data
from . import levers as _levers
from . import metrics as _metrics
from .config import ASSUMPTION_NAMES, assumption_meta, lever_meta
from .scenarios import params_file
from .texts_document import DOCUMENT_TEXTS as _DOCUMENT_TEXTS

LANGS = ("vi", "en")

CATALOGUE: dict[str, dict[str, str]] = {
    # status words
    "met": {"vi": "nhiều khả năng đạt", "en": "likely"},
    "at_risk": {"vi": "có nguy cơ không đạt", "en": "at risk"},
    "missed": {"vi": "khó đạt", "en": "unlikely"},
    "outside_horizon": {"vi": "ngoài kỳ dự báo", "en": "beyond the horizon"},
    "trust_measured": {
        "vi": "Độ tin cậy của các xác suất: khi kiểm định ngược (dự báo từ số liệu đã biết đến cuối các năm "
              "{first}–{last}, so với số liệu công bố sau đó), khoảng 80 % chứa {share} trong {n} số liệu báo "
              "cáo (thấp nhất {worst} ở một mốc); xác suất dưới đây đáng tin ở mức đó.",
        "en": "How far to trust these probabilities: in leak-free backtests (forecasts from what was known at "
              "the ends of {first}–{last}, scored against later reports) the 80 % bands held {share} of {n} "
              "reported figures (lowest {worst} at one cut-off); read the probabilities below with that in mind."},
    "trust_none": {
        "vi": "Các xác suất dưới đây chưa được kiểm định ngược với số liệu thực tế: chỉ nên xem là định hướng.",
        "en": "These probabilities have not been backtested against reported figures: read them as indicative only."},
    "evaluation_title": {"vi": "II. KẾT QUẢ THỰC HIỆN {first}–{last}", "en": "II. RESULTS {first}–{last}"},
    "outlook_title": {"vi": "Dự báo {first}–{last}", "en": "Outlook {first}–{last}"},
    "bt_cutoff": {"vi": "Số liệu đến hết năm", "en": "Known by the end of"},
    "bt_reports": {"vi": "Số liệu kiểm tra (đại lượng)", "en": "Later reports (quantities)"},
    "bt_cov50": {"vi": "Trong khoảng 50 %", "en": "Inside the 50 % band"},
    "bt_cov80": {"vi": "Trong khoảng 80 %", "en": "Inside the 80 % band"},
    "bt_cov95": {"vi": "Trong khoảng 95 %", "en": "Inside the 95 % band"},
    "bt_bias_total": {"vi": "Sai lệch trung vị, sản phẩm từ 3 sao", "en": "Median bias, products 3★+"},
    "bt_bias_4star": {"vi": "Sai lệch trung vị, sản phẩm 4 sao", "en": "Median bias, 4★ products"},
    "bt_total": {"vi": "Tính chung các mốc, khoảng 80 % chứa {share} số liệu công bố sau mốc (mục tiêu 70–90 %).",
                 "en": "Over all cut-offs the 80 % bands held {share} of the later reports (the aim: 70–90 %)."},
    "parameter": {"vi": "Tham số", "en": "Parameter"},
    "p5_p95": {"vi": "Khoảng 90 % (P5–P95)", "en": "90 % interval (P5–P95)"},
    "ess": {"vi": "Cỡ mẫu hiệu dụng", "en": "Effective draws"},
    "prior_source": {"vi": "Căn cứ của phân phối tiên nghiệm", "en": "Source of the prior"},
    "prior_source_judgement": {"vi": "nhận định chuyên gia", "en": "expert judgement"},
    "param_obs_cv": {"vi": "Sai số của số liệu báo cáo (hệ số biến thiên)", "en": "Reporting error (coefficient of variation)"},
    "scope_province": {"vi": "toàn tỉnh", "en": "province"},
    "scope_old_dong_nai": {"vi": "Đồng Nai (cũ)", "en": "old Đồng Nai"},
    "scope_old_binh_phuoc": {"vi": "Bình Phước (cũ)", "en": "old Bình Phước"},
    "cal_intro": {
        "vi": "Báo cáo này cho biết mô hình khớp với số liệu thực tế đến đâu và các xác suất trong báo cáo kịch bản "
              "đáng tin đến mức nào. Phần kỹ thuật (tham số, chẩn đoán hội tụ) ở cuối báo cáo.",
        "en": "This report shows how well the model follows the reported figures and how far the probabilities of "
              "the scenario reports can be trusted. The technical detail (parameters, convergence) is at the end."},
    "cal_backtest_heading": {"vi": "Kiểm định ngược: dự báo so với số liệu công bố sau đó",
                             "en": "Backtests: forecasts against the figures reported later"},
    "cal_fit_heading": {"vi": "Mô hình so với số liệu báo cáo (2019–2025)",
                        "en": "The model against the reported figures (2019–2025)"},
    "cal_technical": {"vi": "Chi tiết kỹ thuật", "en": "Technical detail"},
    "cal_no_posterior": {"vi": "Kịch bản này chưa có phân phối hậu nghiệm (chưa hiệu chỉnh).",
                         "en": "This scenario names no posterior (it has not been calibrated)."},
    "counterfactual_banner": {
        "vi": "Kịch bản giả định (phản thực tế): thay đổi những gì đã diễn ra trong quá khứ, không phải dự báo.",
        "en": "Counterfactual: this scenario changes what happened in the past; it is not a forecast."},
    "start_reported": {"vi": "Xuất phát từ số liệu báo cáo ngày", "en": "Starts from the reported state of"},
    "start_history": {"vi": "Xuất phát (tái hiện lịch sử) từ", "en": "Starts (history replay) from"},
    "met_reported": {"vi": "đã đạt", "en": "met"},
    "missed_reported": {"vi": "chưa đạt", "en": "not met"},
    "no_report": {"vi": "chưa có số liệu báo cáo", "en": "no reported figure"},
    "planned": {"vi": "theo kế hoạch", "en": "as planned"},
    "evaluation": {"vi": "Đánh giá kết quả thực hiện", "en": "Evaluation"},
    "outlook": {"vi": "Dự báo", "en": "Outlook"},
    "reported_value": {"vi": "Số liệu báo cáo", "en": "Reported"},
    "reported_date": {"vi": "Thời điểm", "en": "Date"},
    # table headers
    "target": {"vi": "Mục tiêu", "en": "Target"},
    "when": {"vi": "Thời điểm", "en": "When"},
    "goal": {"vi": "Chỉ tiêu", "en": "Goal"},
    "median": {"vi": "Trung vị", "en": "Median"},
    "mean": {"vi": "Trung bình", "en": "Mean"},
    "p10": {"vi": "P10", "en": "P10"},
    "p90": {"vi": "P90", "en": "P90"},
    "probability": {"vi": "Xác suất", "en": "Prob."},
    "status": {"vi": "Khả năng đạt", "en": "Likelihood"},
    "year": {"vi": "Năm", "en": "Year"},
    "scenario": {"vi": "Kịch bản", "en": "Scenario"},
    "value": {"vi": "Giá trị", "en": "Value"},
    "unit": {"vi": "Đơn vị", "en": "Unit"},
    "source": {"vi": "Nguồn", "en": "Source"},
    "area": {"vi": "Địa bàn", "en": "Area"},
    "group": {"vi": "Nhóm sản phẩm", "en": "Product group"},
    "level": {"vi": "Hạng sao", "en": "Star level"},
    "actual": {"vi": "Thực tế", "en": "Actual"},
    "products": {"vi": "sản phẩm", "en": "products"},
    # metrics (keys = canonical names in ocop_sim.metrics.GLOSSARY)
    "products_3star_plus": {"vi": "Sản phẩm OCOP từ 3 sao", "en": "OCOP products at 3★+"},
    "products_3star": {"vi": "Sản phẩm 3 sao", "en": "3★ products"},
    "products_4star": {"vi": "Sản phẩm 4 sao", "en": "4★ products"},
    "products_provincial_5star": {"vi": "Sản phẩm 5 sao cấp tỉnh (kể cả sản phẩm đã được công nhận 5 sao quốc gia)", "en": "Provincial 5★ products (incl. national)"},
    "products_potential_5star": {"vi": "Sản phẩm 5 sao cấp tỉnh chờ Trung ương công nhận", "en": "Provincial 5★ awaiting national recognition"},
    "products_national_5star": {"vi": "Sản phẩm 5 sao quốc gia", "en": "National 5★ products"},
    "candidates": {"vi": "Ý tưởng sản phẩm đang phát triển", "en": "Product ideas in development"},
    "entities": {"vi": "Chủ thể OCOP", "en": "OCOP entities"},
    "coverage_officials": {"vi": "Tỷ lệ cán bộ được đào tạo", "en": "Officials trained (share)"},
    "coverage_leaders": {"vi": "Tỷ lệ lãnh đạo chủ thể được đào tạo", "en": "Entity leaders trained (share)"},
    "new_products_3star_plus": {"vi": "Sản phẩm mới đạt 3 sao trở lên", "en": "New products at 3★+"},
    "new_entities": {"vi": "Chủ thể mới tham gia", "en": "New entities"},
    "new_products_4star": {"vi": "Sản phẩm mới đạt 4 sao", "en": "New 4★ products"},
    "evaluation_pass_rate": {"vi": "Tỷ lệ sản phẩm đạt khi đánh giá, phân hạng", "en": "Evaluation pass rate"},
    "submitted": {"vi": "Sản phẩm tham gia đánh giá, phân hạng", "en": "Products submitted"},
    "upgrades": {"vi": "Nâng hạng sao", "en": "Star upgrades"},
    "national_5star_recognitions": {"vi": "Công nhận 5 sao quốc gia", "en": "National 5★ recognitions"},
    "renewals": {"vi": "Sản phẩm được đánh giá lại, giữ hạng", "en": "Renewals"},
    "recertified": {"vi": "Sản phẩm được công nhận lại khi đánh giá lại", "en": "Products re-certified at re-evaluation"},
    "lapses": {"vi": "Giấy chứng nhận hết hiệu lực", "en": "Lapsed certificates"},
    "trainees": {"vi": "Lượt người được đào tạo", "en": "People trained"},
    "display_points": {"vi": "Điểm giới thiệu, bán sản phẩm", "en": "Display and sales points"},
    "display_centres": {"vi": "Trung tâm giới thiệu sản phẩm", "en": "Display and sales centres"},
    "startup_projects": {"vi": "Dự án khởi nghiệp", "en": "Start-up projects"},
    "agritourism_projects": {"vi": "Dự án nông nghiệp - du lịch", "en": "Agri-tourism projects"},
    "value_chain_projects": {"vi": "Dự án chuỗi giá trị", "en": "Value-chain projects"},
    "spending_bn_vnd": {"vi": "Kinh phí (tỷ đồng/năm)", "en": "Funding (bn VND/year)"},
    "cost_per_product_mn_vnd": {"vi": "Kinh phí cho mỗi sản phẩm mới (triệu đồng)", "en": "Cost per new product (mn VND)"},
    # levels, groups, regions
    "3star": {"vi": "3 sao", "en": "3★"},
    "4star": {"vi": "4 sao", "en": "4★"},
    "p5": {"vi": "5 sao cấp tỉnh", "en": "provincial 5★"},
    "n5": {"vi": "5 sao quốc gia", "en": "national 5★"},
    "food": {"vi": "Thực phẩm", "en": "Food"},
    "beverage": {"vi": "Đồ uống", "en": "Beverages"},
    "herbal": {"vi": "Dược liệu và sản phẩm từ dược liệu", "en": "Medicinal herbs and herbal products"},
    "handicraft": {"vi": "Hàng thủ công mỹ nghệ", "en": "Handicrafts"},
    "ornamental": {"vi": "Sinh vật cảnh", "en": "Ornamental plants and animals"},
    "tourism": {"vi": "Dịch vụ du lịch cộng đồng, du lịch sinh thái và điểm du lịch", "en": "Community tourism, eco-tourism and tourist sites"},
    "province": {"vi": "Toàn tỉnh", "en": "Province"},
    "old_dong_nai": {"vi": "Đồng Nai (cũ)", "en": "old Đồng Nai"},
    "old_binh_phuoc": {"vi": "Bình Phước (cũ)", "en": "old Bình Phước"},
    # units
    "bn_vnd": {"vi": "tỷ đồng", "en": "bn VND"},
    "mn_vnd": {"vi": "triệu đồng", "en": "mn VND"},
}


# Excel workbook (ocop_sim/excel.py): column headers, notes and manifest labels.
CATALOGUE.update({
    "xl_lever": {"vi": "Giải pháp", "en": "Measure"},
    "xl_assumption": {"vi": "Giả định", "en": "Assumption"},
    "xl_description": {"vi": "Mô tả", "en": "Description"},
    "xl_low": {"vi": "Cận dưới", "en": "Lower bound"},
    "xl_high": {"vi": "Cận trên", "en": "Upper bound"},
    "xl_distribution": {"vi": "Phân phối bất định", "en": "Uncertainty distribution"},
    "xl_comparison": {"vi": "Yêu cầu", "en": "Requirement"},
    "xl_registry": {"vi": "Bộ chỉ tiêu", "en": "Target set"},
    "xl_id": {"vi": "Mã", "en": "Code"},
    "xl_metric": {"vi": "Chỉ số", "en": "Metric"},
    "xl_metric_label": {"vi": "Tên chỉ số", "en": "Metric name"},
    "xl_scope": {"vi": "Phạm vi", "en": "Scope"},
    "xl_key": {"vi": "Khóa", "en": "Key"},
    "xl_label": {"vi": "Nội dung", "en": "Label"},
    "xl_note_editable": {"vi": "Có thể sửa cột có nền vàng; không đổi tên trang tính, không sửa hàng mã cột (hàng 1, ẩn). "
                                "Nhập lại bằng: ocop-sim import-xlsx",
                         "en": "You may edit the yellow column; do not rename sheets or edit the key row (row 1, hidden). "
                               "Read back with: ocop-sim import-xlsx"},
    "xl_note_readonly": {"vi": "Kết quả mô phỏng (chỉ để đọc, không được nhập lại)",
                         "en": "Simulation results (read only, not imported)"},
    "xl_title": {"vi": "Tên kịch bản", "en": "Title"},
    "xl_outlook": {"vi": "Nhận định", "en": "Outlook"},
    "xl_m_title": {"vi": "Tên kịch bản", "en": "Scenario"},
    "xl_m_description": {"vi": "Mô tả", "en": "Description"},
    "xl_m_method": {"vi": "Phương pháp tính", "en": "Method"},
    "xl_m_seed": {"vi": "Hạt giống ngẫu nhiên", "en": "Random seed"},
    "xl_m_draws": {"vi": "Số lượt mô phỏng", "en": "Simulation draws"},
    "xl_m_horizon": {"vi": "Kỳ dự báo", "en": "Horizon"},
    "xl_m_version": {"vi": "Phiên bản mô hình", "en": "Model version"},
    "xl_m_created": {"vi": "Thời điểm lập", "en": "Produced"},
})



def t(key: str, lang: str = "en") -> str:
    """Label of ``key`` in ``lang`` ('vi' or 'en'); KeyError if missing."""
    if lang not in LANGS:
        raise KeyError(f"language {lang!r}: expected one of {', '.join(LANGS)}")
    return CATALOGUE[key][lang]


def has(key: str) -> bool:
    return key in CATALOGUE and all(CATALOGUE[key].get(lang) for lang in LANGS)


def _number_or_text(x) -> float | str:
    """``x`` as a finite float, or the text the formatters show instead: ``str(x)`` for what is
    not a number, "—" for NaN and infinities."""
    try:
        xf = float(x)
    except (TypeError, ValueError):
        return str(x)
    return xf if math.isfinite(xf) else "—"


def fmt_number(x, lang: str = "en", digits: int = 1) -> str:
    """Format a number: Vietnamese ``1.234,5``, English ``1,234.5``; integers without decimals."""
    xf = _number_or_text(x)
    if isinstance(xf, str):
        return xf
    if abs(xf - round(xf)) < 1e-9:
        s = f"{round(xf):,}"
    else:
        s = f"{xf:,.{digits}f}"
    if lang == "vi":
        s = s.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    return s


def fmt_percent(x, lang: str = "en", digits: int = 0) -> str:
    xf = _number_or_text(x)
    if isinstance(xf, str):
        return xf
    s = f"{100 * xf:.{digits}f}"
    if lang == "vi":
        s = s.replace(".", ",")
    return s + " %"

# ----------------------------------------------------------------------------- report labels (issue 3)
CATALOGUE.update({
    "report_title": {"vi": "Báo cáo kịch bản OCOP Đồng Nai", "en": "Đồng Nai OCOP scenario report"},
    "compare_title": {"vi": "So sánh các kịch bản", "en": "Scenario comparison"},
    "index_title": {"vi": "Báo cáo các kịch bản OCOP", "en": "OCOP scenario reports"},
    "changes": {"vi": "Thay đổi so với kịch bản gốc", "en": "Changes versus the parent scenario"},
    "extends": {"vi": "Kế thừa từ", "en": "Extends"},
    "no_changes": {"vi": "Không có thay đổi (kịch bản gốc)", "en": "No changes (root scenario)"},
    "key": {"vi": "Tham số", "en": "Key"},
    "old_value": {"vi": "Giá trị cũ", "en": "Old value"},
    "new_value": {"vi": "Giá trị mới", "en": "New value"},
    "targets_table": {"vi": "Các mục tiêu", "en": "Targets"},
    "projected": {"vi": "Dự báo (trung vị)", "en": "Projected (median)"},
    "p10_p90": {"vi": "Khoảng P10–P90", "en": "P10–P90 range"},
    "fan_chart": {"vi": "Sản phẩm OCOP từ 3 sao trở lên: dự báo, mục tiêu và số liệu báo cáo", "en": "OCOP products at 3★+: forecast, targets and reported figures"},
    "star_mix": {"vi": "Cơ cấu hạng sao theo năm", "en": "Star mix over time"},
    "by_area": {"vi": "Sản phẩm từ 3 sao theo địa bàn", "en": "Products at 3★+ by area"},
    "by_group": {"vi": "Sản phẩm theo nhóm", "en": "Products by group"},
    "entities_training": {"vi": "Chủ thể và đào tạo so với mục tiêu", "en": "Entities and training against targets"},
    "spending_title": {"vi": "Kinh phí theo nội dung", "en": "Funding by budget line"},
    "assumptions": {"vi": "Các giả định", "en": "Assumptions"},
    "levers": {"vi": "Các giải pháp và mức kinh phí", "en": "Measures and funding"},
    "description": {"vi": "Mô tả", "en": "Description"},
    "bounds": {"vi": "Giới hạn", "en": "Bounds"},
    "manifest": {"vi": "Thông tin lượt tính", "en": "Run information"},
    "median_p10_p90": {"vi": "Trung vị và P10–P90", "en": "Median and P10–P90"},
    "band_p10_p90": {"vi": "Khoảng P10–P90", "en": "P10–P90 band"},
    "time_year_end": {"vi": "Năm (số liệu tại thời điểm 31/12)", "en": "Year (figures at 31 December)"},
    "count_products": {"vi": "Số sản phẩm", "en": "Products"},
    "count_entities": {"vi": "Số chủ thể", "en": "Entities"},
    "share": {"vi": "Tỷ lệ", "en": "Share"},
    "total_cost_bn_vnd": {"vi": "Tổng kinh phí cả kỳ dự báo (tỷ đồng)", "en": "Total funding over the horizon (bn VND)"},
    "targets_met": {"vi": "Số mục tiêu đạt (kỳ vọng = tổng xác suất)", "en": "Targets met (expected = sum of probabilities)"},
    "prob_matrix": {"vi": "Xác suất đạt mục tiêu theo kịch bản", "en": "Probability of meeting each target by scenario"},
    "cost_vs_attainment": {"vi": "Tổng kinh phí so với số mục tiêu đạt", "en": "Total cost versus targets met"},
    "trajectories": {"vi": "Quỹ đạo theo kịch bản", "en": "Trajectories by scenario"},
    "reports": {"vi": "Báo cáo", "en": "Reports"},
    "notebook": {"vi": "Sổ tính toán", "en": "Notebook"},
    "files": {"vi": "Tệp", "en": "Files"},
    "failed": {"vi": "Lỗi", "en": "Failed"},
    "error": {"vi": "Lỗi", "en": "Error"},
    "failing_cell": {"vi": "Ô lỗi", "en": "Failing cell"},
    "language": {"vi": "Ngôn ngữ", "en": "Language"},
    "draws": {"vi": "Số lượt mô phỏng", "en": "Draws"},
    "seed": {"vi": "Hạt giống ngẫu nhiên", "en": "Seed"},
    "mode": {"vi": "Phương pháp tính", "en": "Method"},
    "scenario_hash": {"vi": "Mã băm kịch bản", "en": "Scenario hash"},
    "version": {"vi": "Phiên bản", "en": "Version"},
    "created": {"vi": "Thời điểm tạo", "en": "Created"},
    "html": {"vi": "HTML", "en": "HTML"},
    "excel": {"vi": "Excel", "en": "Excel"},
    "csv": {"vi": "CSV", "en": "CSV"},
    "lang_vi": {"vi": "tiếng Việt", "en": "Vietnamese"},
    "lang_en": {"vi": "tiếng Anh", "en": "English"},
    "csv_products_by_area_group_level": {"vi": "Bảng số liệu: sản phẩm theo địa bàn, nhóm, hạng (CSV)",
                                         "en": "Data: products by area, group and level (CSV)"},
    "csv_summary": {"vi": "Bảng số liệu: tổng hợp theo năm (CSV)", "en": "Data: yearly summary (CSV)"},
    "csv_targets": {"vi": "Bảng số liệu: các chỉ tiêu (CSV)", "en": "Data: targets (CSV)"},
    "csv_manifest": {"vi": "Thông tin lượt tính (JSON)", "en": "Run information (JSON)"},
    "comparison_report": {"vi": "Báo cáo so sánh", "en": "Comparison report"},
    "cost_per_product_note": {"vi": "Kinh phí lũy kế cho mỗi sản phẩm mới đạt từ 3 sao trở lên", "en": "Cumulative cost per new 3★+ product"},
    "save_as_scenario": {"vi": "Lưu thành kịch bản", "en": "Save as scenario"},
    "saved_to": {"vi": "Đã lưu vào", "en": "Saved to"},
    "from_year": {"vi": "từ năm", "en": "from"},
    "key_assumptions": {"vi": "Giả định chính", "en": "Key assumptions"},
    "expected_mode_note": {"vi": "Chế độ kỳ vọng (không ngẫu nhiên); xác suất là 0 hoặc 1.", "en": "Expected mode (no randomness); probabilities are 0 or 1."},
    "none": {"vi": "không có", "en": "none"},
    "planned": {"vi": "Mục tiêu", "en": "Target"},
    "metric": {"vi": "Chỉ số", "en": "Metric"},
    "key_sensitivities": {"vi": "Các yếu tố ảnh hưởng chính (sản phẩm từ 3 sao; mỗi lần thay đổi một yếu tố, chế độ kỳ vọng)",
                          "en": "Key sensitivities (products at 3★+; one factor at a time, expected mode)"},
})

# ----------------------------------------------------------------------------- analytics labels (issue 4)
CATALOGUE.update({
    # analytics keys go here
    "cal_parameter": {"vi": "Tham số", "en": "Parameter"},
    "cal_start": {"vi": "Ban đầu", "en": "Start"},
    "cal_fitted": {"vi": "Hiệu chỉnh", "en": "Fitted"},
    "cal_std_error": {"vi": "Sai số chuẩn", "en": "Std. error"},
    "cal_flags": {"vi": "Cảnh báo", "en": "Flags"},
    "cal_at_bound": {"vi": "chạm biên", "en": "at a bound"},
    "cal_poorly_identified": {"vi": "khó xác định", "en": "poorly identified"},
    "cal_cost": {"vi": "Hàm mục tiêu (tổng bình phương phần dư có trọng số / 2)", "en": "Cost (half the sum of squared weighted residuals)"},
    "cal_condition": {"vi": "số điều kiện của ma trận Jacobi", "en": "Jacobian condition number"},
    "cal_fit_title": {"vi": "Mô hình hiệu chỉnh so với số liệu thực tế", "en": "Calibrated model versus actuals"},
    "cal_backtest_title": {"vi": "Kiểm định ngược: dự báo so với số liệu giữ lại", "en": "Backtest: forecast versus held-back actuals"},
    "cal_fit_until": {"vi": "Hiệu chỉnh đến năm", "en": "Fitted up to"},
    "cal_coverage": {"vi": "Tỷ lệ số liệu thực tế nằm trong khoảng P10–P90", "en": "Share of actuals inside P10–P90"},
    "cal_inside": {"vi": "Trong khoảng", "en": "Inside"},
    "cal_error": {"vi": "Sai số (trung vị − thực tế)", "en": "Error (median − actual)"},
    "cal_model_start": {"vi": "Mô hình (giá trị mặc định)", "en": "Model (defaults)"},
    "cal_model_fitted": {"vi": "Mô hình (đã hiệu chỉnh)", "en": "Model (fitted)"},
    "scope": {"vi": "Phạm vi", "en": "Scope"},
    "expected_mode": {"vi": "chế độ kỳ vọng", "en": "expected mode"},
    "tornado_title": {"vi": "Yếu tố ảnh hưởng lớn nhất (một yếu tố mỗi lần)", "en": "Largest drivers (one at a time)"},
    "tornado_low": {"vi": "Giá trị thấp của đầu vào", "en": "Input at its low value"},
    "tornado_high": {"vi": "Giá trị cao của đầu vào", "en": "Input at its high value"},
    "tornado_base": {"vi": "Giá trị cơ sở", "en": "Base value"},
    "swing": {"vi": "Biên độ thay đổi", "en": "Swing"},
    "sens_factor": {"vi": "Yếu tố", "en": "Factor"},
    "sens_lever_note": {"vi": "Giải pháp: ×0,5 và ×1,5 mức kinh phí theo năm; giả định: P10–P90 của phân phối hoặc ±25 %",
                        "en": "Levers: ×0.5 and ×1.5 of the schedule; assumptions: P10–P90 of the distribution or ±25 %"},
    "goal_seek": {"vi": "Tìm mức cần thiết", "en": "Goal seek"},
    "gs_unreachable": {"vi": "Không đạt được mục tiêu trong giới hạn của giải pháp", "en": "No value within the lever's bounds reaches the target"},
    "gs_best": {"vi": "tốt nhất đạt được", "en": "best reached"},
    "gs_factor": {"vi": "Hệ số nhân nhỏ nhất của mức kinh phí", "en": "Smallest factor of the schedule"},
    "gs_achieved": {"vi": "Xác suất / chỉ báo đạt", "en": "Probability / met indicator reached"},
    "gs_schedule": {"vi": "Mức kinh phí theo năm cần thiết", "en": "Resulting schedule"},
    "gs_not_monotone": {"vi": "Cảnh báo: kết quả không đơn điệu theo hệ số; nghiệm có thể không duy nhất.",
                        "en": "Warning: the outcome is not monotone in the factor; the answer may not be unique."},
    "opt_allocation": {"vi": "Phân bổ kinh phí tốt nhất (tỷ đồng/năm)", "en": "Best allocation (bn VND/year)"},
    "opt_objective": {"vi": "Số mục tiêu kỳ vọng đạt được", "en": "Expected number of targets met"},
    "opt_best": {"vi": "tối ưu", "en": "best"},
    "opt_own": {"vi": "kịch bản", "en": "scenario"},
    "opt_equal": {"vi": "chia đều", "en": "equal split"},
    "opt_frontier": {"vi": "Đường chi phí – xác suất của mục tiêu chính", "en": "Cost–probability frontier of the headline target"},
    "budget": {"vi": "Kinh phí (tỷ đồng/năm)", "en": "Budget (bn VND/year)"},
    "sweep_rules": {"vi": "Vùng đầu vào dẫn đến trượt mục tiêu", "en": "Input ranges that lead to missing a target"},
})

# ----------------------------------------------------------------------------- hardening labels (issue 6)
CATALOGUE.update({
    # hardening keys go here
    "reality_checks": {"vi": "Kiểm tra tính hợp lý của mô hình", "en": "Reality checks"},
    "checks_none": {"vi": "Kịch bản không có phép kiểm tra nào.", "en": "The scenario has no reality checks."},
    "checks_passed_of": {"vi": "{ok}/{n} phép kiểm tra đạt.", "en": "{ok} of {n} checks passed."},
    "check": {"vi": "Phép kiểm tra", "en": "Check"},
    "check_metric": {"vi": "Chỉ tiêu", "en": "Metric"},
    "check_under": {"vi": "Điều kiện thử", "en": "Test input"},
    "check_result": {"vi": "Kết quả", "en": "Result"},
    "check_worst": {"vi": "Giá trị xấu nhất", "en": "Worst value"},
    "check_first_violation": {"vi": "Năm vi phạm đầu tiên", "en": "First violation"},
    "check_detail": {"vi": "Chi tiết", "en": "Detail"},
    "check_pass": {"vi": "Đạt", "en": "Passed"},
    "check_fail": {"vi": "Không đạt", "en": "Failed"},
})

# ----------------------------------------------------------------------------- assumption descriptions
# Vietnamese descriptions of every assumption live with the assumption (``vi=`` of its schema
# field in ocop_sim.config; English: the schema's own description): this is a view of them.
ASSUMPTION_VI: dict[str, str] = {_n: assumption_meta(_n)["vi"] for _n in ASSUMPTION_NAMES}

# ----------------------------------------------------------------------------- lever labels
# Each lever's label and each budget line's spending label come from the lever registry
# (ocop_sim.levers): a metric of the same name keeps its own label.
for _s in _levers.LEVERS:
    CATALOGUE.setdefault(_s.name, {"vi": _s.label_vi, "en": _s.label_en})
    if _s.kind == "budget":
        CATALOGUE[f"spending_{_s.name}"] = {"vi": _s.spending_vi, "en": _s.spending_en}

# metrics registered later (ocop_sim.metrics.register) bring their labels: a metric already in the
# catalogue keeps its own
_metrics.on_register(lambda name, labels: CATALOGUE.setdefault(name, dict(labels)))

#: Source notes: 'judgement' and the calibration note in Vietnamese (the rest are citations).
SOURCE_VI = {"judgement": "nhận định chuyên gia", "calibrated": "hiệu chỉnh theo số liệu thực tế Đồng Nai 2020–2025"}


def assumption_text(name: str, lang: str) -> str:
    """Description of an assumption in ``lang`` (without its unit)."""
    if lang == "vi":
        return ASSUMPTION_VI[name]
    return assumption_meta(name)["description"].rsplit(" [", 1)[0]


def source_text(source: str, lang: str) -> str:
    """A source note in ``lang``: the judgement/calibration wording is translated, citations kept."""
    if lang != "vi":
        return source
    if source.startswith("judgement, calibrated"):
        return SOURCE_VI["judgement"] + ", " + SOURCE_VI["calibrated"]
    if source.startswith("judgement"):
        return SOURCE_VI["judgement"] + source[len("judgement"):]
    return source


#: Units in Vietnamese (VND amounts as "tỷ đồng" / "triệu đồng").
UNIT_VI = {
    "-": "-", "-/point": "-/điểm", "1/year": "1/năm", "bn VND": "tỷ đồng", "bn VND/point": "tỷ đồng/điểm",
    "bn VND/project": "tỷ đồng/dự án", "bn VND/year": "tỷ đồng/năm", "candidates": "ý tưởng sản phẩm",
    "centres": "trung tâm", "count/year": "đơn vị/năm", "entities": "chủ thể", "entities/project": "chủ thể/dự án",
    "entities/year": "chủ thể/năm", "fraction": "tỷ lệ", "ideas/entity": "ý tưởng/chủ thể",
    "ideas/project": "ý tưởng/dự án", "ideas/year": "ý tưởng/năm", "mn VND/candidate": "triệu đồng/ý tưởng sản phẩm",
    "mn VND/person": "triệu đồng/người", "mn VND/product": "triệu đồng/sản phẩm", "persons": "người",
    "points": "điểm", "products": "sản phẩm", "products/year": "sản phẩm/năm", "projects": "dự án",
    "year": "năm", "1/√year": "1/√năm",
}


def unit_text(unit: str, lang: str) -> str:
    """A unit in ``lang`` (a unit missing from :data:`UNIT_VI` raises KeyError in Vietnamese)."""
    return UNIT_VI[unit] if lang == "vi" else unit


# ----------------------------------------------------------------------------- glossary (issue 17)
_GLOSSARY: dict | None = None


def glossary() -> dict:
    """The terminology glossary (``ocop_sim/data/glossary.yaml``): ``{"documents": {id: {...}},
    "terms": {id: {...}}}``; each entry has its official ``vi`` and ``en`` wording."""
    global _GLOSSARY
    if _GLOSSARY is None:
        raw = yaml.safe_load((Path(__file__).parent / "data" / "glossary.yaml").read_text(encoding="utf-8"))
        _GLOSSARY = {"documents": {d["id"]: d for d in raw["documents"]}, "terms": {d["id"]: d for d in raw["terms"]}}
    return _GLOSSARY


def term(concept: str, lang: str = "en") -> str:
    """The official wording of a glossary concept (a document or a term) in ``lang``."""
    g = glossary()
    entry = g["terms"].get(concept) or g["documents"][concept]
    return entry[lang]


def avoided_terms() -> dict[str, str]:
    """``{variant: concept}``: Vietnamese wordings the glossary replaces (must not reach a reader)."""
    return {v: k for k, e in glossary()["terms"].items() for v in e.get("avoid", [])}


# ----------------------------------------------------------------------------- sources (issue 17)
#: Sources of the assumptions in both languages, written for a reader (no file names, no codes).
ASSUMPTION_SOURCE: dict[str, dict[str, str]] = {
    "cost_per_trainee_mn_vnd": {"vi": "nhận định chuyên gia; các lớp tập huấn cấp tỉnh thường kéo dài 2–5 ngày",
                                "en": "expert judgement; provincial courses usually last 2–5 days"},
    "officials_pool": {"vi": "nhận định chuyên gia: khoảng 1–2 cán bộ mỗi xã cộng cán bộ cấp tỉnh (số liệu của từng "
                             "tỉnh, nếu có, được dùng thay)",
                       "en": "expert judgement: about 1–2 officials per commune plus provincial staff (a province's "
                             "own figure, where known, replaces it)"},
    "officials_pool_added_at_merger": {"vi": "nhận định chuyên gia: tỷ lệ theo số xã",
                                       "en": "expert judgement: in proportion to the number of communes"},
    "leader_training_reach": {"vi": "nhận định chuyên gia: ví dụ khoảng 780 cán bộ hội phụ nữ và doanh nhân được tập "
                                    "huấn tháng 04/2025 (hpn.dongnai.gov.vn) so với 165 chủ thể",
                              "en": "expert judgement: e.g. about 780 women's union cadres and entrepreneurs trained "
                                    "in 04/2025 (hpn.dongnai.gov.vn) against 165 entities"},
    "score_scale": {"vi": "nhận định chuyên gia: đủ hẹp để khớp tỷ lệ đạt 94–100 % ở các đợt đánh giá cấp tỉnh "
                          "(29/31, 29/29, 47/47, 15/16)",
                    "en": "expert judgement: narrow enough for the 94–100 % pass rates of the provincial rounds "
                          "(29/31, 29/29, 47/47, 15/16)"},
    "premium_share": {"vi": "nhận định chuyên gia: 8 sản phẩm 5 sao quốc gia trong khoảng 300 sản phẩm thuộc 3 doanh "
                            "nghiệp (nongnghiepmoitruong.vn, 26/06/2025)",
                      "en": "expert judgement: 8 national 5★ of about 300 products came from 3 firms "
                            "(nongnghiepmoitruong.vn, 26/06/2025)"},
    "threshold_3star": {"vi": "Quyết định 1048/QĐ-TTg (2019), Quyết định 148/QĐ-TTg (2023)",
                        "en": "Decisions 1048/QĐ-TTg (2019) and 148/QĐ-TTg (2023)"},
    "entity_imitation": {"vi": "mô hình khuếch tán Bass (1969); hệ số bắt chước trung bình khoảng 0,38 mỗi năm qua 213 "
                               "nghiên cứu (Sultan, Farley và Lehmann, 1990); bằng 0 khi chưa hiệu chỉnh",
                         "en": "Bass (1969) diffusion; imitation coefficients average about 0.38 a year across 213 "
                               "studies (Sultan, Farley and Lehmann, 1990); zero until calibrated"},
    "ideas_per_new_entity": {"vi": "mỗi chủ thể có 1,5–2,2 sản phẩm (tổng hợp số liệu thực tế)",
                             "en": "1.5–2.2 products per entity (compiled reported figures)"},
    "first_evaluation_year": {"vi": "Bộ tiêu chí theo Quyết định 1048/QĐ-TTg từ 21/08/2019: các tỉnh có thể đánh "
                                    "giá, phân hạng sản phẩm từ năm 2019",
                              "en": "the national criteria of Decision 1048/QĐ-TTg from 21/08/2019: provinces could "
                                    "rate products from 2019"},
    "upgrade_attempt_rate": {"vi": "mục tiêu của Kế hoạch 262/KH-UBND: nâng hạng từ 20 % sản phẩm đã được công nhận "
                                   "trở lên (cả giai đoạn)",
                             "en": "target of Plan 262/KH-UBND: upgrade at least 20 % of rated products (over the "
                                   "period)"},
    "central_first_year": {"vi": "đợt đánh giá đầu tiên của Hội đồng Trung ương năm 2020 (hoanganhhalong.com.vn)",
                           "en": "the central council's first round in 2020 (hoanganhhalong.com.vn)"},
    "central_submission_rate": {"vi": "9 hồ sơ cho khoảng 10 sản phẩm 5 sao cấp tỉnh năm 2024",
                                "en": "9 dossiers for about 10 provincial 5★ products in 2024"},
    "central_pass_rate": {"vi": "20/43 (2020), 22/47 (2023), 4/55 nhóm thực phẩm (2024); Đồng Nai 8/9 (2025)",
                          "en": "20/43 (2020), 22/47 (2023), 4/55 in the food group (2024); Đồng Nai 8/9 (2025)"},
    "renewal_base_prob": {"vi": "Đồng Tháp: 41/47 sản phẩm không đăng ký đánh giá lại; Đồng Nai đánh giá lại 15 sản "
                                "phẩm năm 2024; khoảng hợp lý 0,3–0,9",
                          "en": "Đồng Tháp: 41 of 47 products did not apply for re-evaluation; Đồng Nai re-evaluated "
                                "15 in 2024; plausible range 0.3–0.9"},
    "downgrade_prob": {"vi": "Đồng Tháp: 6/47 sản phẩm không đạt khi đánh giá lại",
                       "en": "Đồng Tháp: 6 of 47 products failed re-evaluation"},
    "renewal_factor_4star": {"vi": "nhận định chuyên gia: hạng cao hơn phải chứng minh lại điểm cao hơn với tiêu chí "
                                   "bắt buộc của Quyết định 148/QĐ-TTg",
                             "en": "expert judgement: higher levels must prove a higher score again under the "
                                   "mandatory criteria of Decision 148/QĐ-TTg"},
    "downgrade_prob_4star": {"vi": "nhận định chuyên gia: sản phẩm được đánh giá lại thường giữ giấy chứng nhận ở "
                                   "hạng thấp hơn thay vì mất hẳn",
                             "en": "expert judgement: a re-evaluated product keeps a certificate at a lower level "
                                   "rather than none"},
    "pool_factor": {"vi": "nhận định chuyên gia: điều tra ban đầu chỉ đếm sản phẩm đã có, chưa tính hết sản phẩm có "
                          "thể phát triển",
                    "en": "expert judgement: a baseline survey counts the products that exist, not all that could "
                          "be developed"},
    "pool_growth": {"vi": "nhận định chuyên gia: chủ thể mới, vùng nguyên liệu mới và chế biến",
                    "en": "expert judgement: new entities, new raw-material areas and processing"},
    "autonomous_share": {"vi": "nhận định chuyên gia: chủ thể tự đăng ký đánh giá, phân hạng; khi không có kinh phí "
                               "chương trình tỉnh vẫn tổ chức các đợt đánh giá",
                         "en": "expert judgement: producers register for evaluation on their own; with no programme "
                               "funding the province still holds rounds"},
    "criteria_score_shift": {"vi": "nhận định chuyên gia: Quyết định 148/QĐ-TTg (24/02/2023) bổ sung tiêu chí bắt "
                                   "buộc (vccinews.com, 08/03/2023)",
                             "en": "expert judgement: Decision 148/QĐ-TTg (24/02/2023) added mandatory criteria "
                                   "(vccinews.com, 08/03/2023)"},
    "criteria_backlog_share": {"vi": "nhận định chuyên gia: các tỉnh rà soát lại sản phẩm theo bộ tiêu chí mới trước "
                                     "các đợt đánh giá mới",
                               "en": "expert judgement: provinces re-examine products under the new criteria "
                                     "before new rounds"},
    "inflow_sd": {"vi": "nhận định chuyên gia: số sản phẩm OCOP cả nước tăng từ 16 % đến 80 % mỗi năm",
                  "en": "expert judgement: the national number of OCOP products grew by 16 % to 80 % a year"},
}
ASSUMPTION_SOURCE["threshold_4star"] = ASSUMPTION_SOURCE["threshold_5star"] = ASSUMPTION_SOURCE["threshold_3star"]
_SOURCE_GENERIC = {"judgement": {"vi": "nhận định chuyên gia", "en": "expert judgement"},
                   "calibrated": {"vi": "nhận định chuyên gia, hiệu chỉnh theo số liệu thực tế 2020–2025",
                                  "en": "expert judgement, calibrated to the reported figures 2020–2025"}}


def assumption_source(name: str, lang: str) -> str:
    """The source of an assumption in ``lang`` for a reader (no codes, no file names)."""
    if name in ASSUMPTION_SOURCE:
        return ASSUMPTION_SOURCE[name][lang]
    src = assumption_meta(name)["source"]
    if src.startswith("judgement, calibrated"):
        return _SOURCE_GENERIC["calibrated"][lang]
    if src.startswith("judgement"):
        return _SOURCE_GENERIC["judgement"][lang]
    return src


# ----------------------------------------------------------------------------- labels of identifiers (issue 17)
CATALOGUE.update({
    "lever_funding": {"vi": "Kinh phí {what}", "en": "Funding: {what}"},
    "key_draws": {"vi": "Số lượt mô phỏng", "en": "Number of simulation draws"},
    "key_seed": {"vi": "Hạt giống ngẫu nhiên", "en": "Random seed"},
    "key_horizon_start": {"vi": "Năm đầu của kỳ dự báo", "en": "First year of the horizon"},
    "key_horizon_end": {"vi": "Năm cuối của kỳ dự báo", "en": "Last year of the horizon"},
    "key_targets": {"vi": "Bộ chỉ tiêu được đánh giá", "en": "Target sets evaluated"},
    "key_pack": {"vi": "Bộ số liệu xuất phát", "en": "Starting data"},
    "key_posterior": {"vi": "Tham số đã hiệu chỉnh theo số liệu thực tế", "en": "Parameters calibrated to reported figures"},
    "key_events": {"vi": "Các sự kiện chính sách", "en": "Policy events"},
    "key_checks": {"vi": "Các phép kiểm tra tính hợp lý", "en": "Reality checks"},
    "key_kind": {"vi": "Loại kịch bản", "en": "Kind of scenario"},
    "key_counterfactual": {"vi": "Kịch bản giả định", "en": "Counterfactual"},
    "key_uncertainty": {"vi": "Độ bất định của: {what}", "en": "Uncertainty of: {what}"},
    "key_sweep": {"vi": "Quét tham số", "en": "Parameter sweep"},
    "key_other": {"vi": "Thiết lập khác của kịch bản", "en": "Other scenario setting"},
    "from_year_value": {"vi": "từ năm {year}: {value}", "en": "from {year}: {value}"},
    "n_items": {"vi": "{n} mục", "en": "{n} items"},
    "yes": {"vi": "có", "en": "yes"},
    "no": {"vi": "không", "en": "no"},
    "pack_dong_nai_2019": {"vi": "Đồng Nai (cũ) trước khi hợp nhất, từ năm 2019", "en": "old Đồng Nai before the merger, from 2019"},
    "pack_dong_nai_2025": {"vi": "Tỉnh Đồng Nai sau hợp nhất, số liệu ngày 31/12/2025", "en": "the merged Đồng Nai province, figures of 31/12/2025"},
    "kind_outlook": {"vi": "dự báo", "en": "outlook"},
    "kind_history": {"vi": "tái hiện giai đoạn đã qua", "en": "history replay"},
    "mode_monte_carlo": {"vi": "mô phỏng Monte Carlo (nhiều lượt ngẫu nhiên)", "en": "Monte Carlo simulation (many random draws)"},
    "mode_expected": {"vi": "chế độ kỳ vọng (không ngẫu nhiên)", "en": "expected mode (no randomness)"},
    # conditions of the reality checks, as sentences
    "cond_budget_from": {"vi": "mọi nội dung kinh phí bằng {value} tỷ đồng/năm từ năm {year}",
                         "en": "every budget line at {value} bn VND a year from {year}"},
    "cond_budget": {"vi": "mọi nội dung kinh phí bằng {value} tỷ đồng/năm", "en": "every budget line at {value} bn VND a year"},
    "cond_assumption": {"vi": "{what} bằng {value}", "en": "{what} set to {value}"},
    "check_never_exceeds": {"vi": "{metric} không vượt {other}{ever} ở mọi lượt mô phỏng, {period}",
                            "en": "{metric} never exceeds {other}{ever} in any draw, {period}"},
    "check_ever": {"vi": " (mức cao nhất từng đạt)", "en": " (highest level ever reached)"},
    "check_at_most": {"vi": "{metric} không quá {value} ở mọi lượt mô phỏng, {period}",
                      "en": "{metric} at most {value} in every draw, {period}"},
    "check_at_least": {"vi": "{metric} từ {value} trở lên ở mọi lượt mô phỏng, {period}",
                       "en": "{metric} at least {value} in every draw, {period}"},
    "check_relative": {"vi": "{share} so với kịch bản", "en": "{share} of the scenario's own"},
    "check_violated": {"vi": "không thỏa mãn từ năm {year}", "en": "violated from {year}"},
})


def lever_label(name: str, lang: str = "en") -> str:
    """The reader's name of a lever (budget line or planned count)."""
    if has(name):  # the catalogue's short label (the schema's description may hold notation)
        return t(name, lang)
    m = lever_meta(name)
    if lang == "vi":
        return m.get("vi") or name
    return m["description"].rsplit(" [", 1)[0]


def scope_label(scope: str, lang: str = "en", pack: str | None = None) -> str:
    """The name of a scope: the province, a region or an area (district of old Đồng Nai)."""
    if scope in CATALOGUE:
        return CATALOGUE[scope][lang]
    for p in ([pack] if pack else []) + ["dong_nai_2019", "dong_nai_2025"]:
        try:
            a = _data.areas(p)
        except Exception:  # noqa: BLE001 - an unknown pack: try the next
            continue
        if scope in a.ids:
            i = a.index(scope) if callable(getattr(a, "index", None)) else list(a.ids).index(scope)
            names = a.name_vi if lang == "vi" else a.name_en
            return str(names[i])
    return scope


def level_label(level: str, lang: str = "en") -> str:
    return t(level, lang)


def key_label(path: str, lang: str = "en") -> str:
    """A changed key of a scenario (``levers.training_bn_vnd``, ``horizon.end``) as a reader's label."""
    parts = path.split(".")
    head = parts[0]
    if head == "levers" and len(parts) > 1:
        return lever_label(parts[1], lang)
    if head == "assumptions" and len(parts) > 1 and parts[1] in ASSUMPTION_NAMES:
        return assumption_text(parts[1], lang)
    if head == "uncertainty" and len(parts) > 1 and parts[1] in ASSUMPTION_NAMES:
        return t("key_uncertainty", lang).format(what=assumption_text(parts[1], lang))
    if head == "horizon" and len(parts) > 1 and parts[1] in ("start", "end"):
        return t(f"key_horizon_{parts[1]}", lang)
    if has(f"key_{head}"):
        return t(f"key_{head}", lang)
    return t("key_other", lang)


def registry_title(path_or_id: str, lang: str = "en") -> str:
    """The title of a target registry named by its file (``targets/decision_1698.yaml``)."""
    try:
        raw = yaml.safe_load(Path(params_file(path_or_id)).read_text(encoding="utf-8"))
        return str(raw["registry"][f"title_{lang}"])
    except Exception:  # noqa: BLE001 - not a readable registry: a neutral label
        return t("key_targets", lang)


def scenario_title(ld, lang: str) -> str:
    """A loaded scenario's title in ``lang`` (the other language's, else the word "scenario")."""
    return getattr(ld.scenario.title, lang) or getattr(ld.scenario.title, "vi" if lang == "en" else "en") or \
        t("scenario", lang)


def scenario_titles(runs, lang: str = "en") -> dict[str, str]:
    """``{scenario name: its title in lang}`` for the runs of a comparison; a title shared by
    several scenarios is numbered, "(1)", "(2)", so that every column can be told apart."""
    titles = {ld.scenario.name: scenario_title(ld, lang) for ld, _ in runs}
    counts, seen = Counter(titles.values()), Counter()
    for name, title in titles.items():
        if counts[title] > 1:
            seen[title] += 1
            titles[name] = f"{title} ({seen[title]})"
    return titles


# the planning document's, the comparison's and the calibration report's texts (plain data)

_clash = sorted(set(_DOCUMENT_TEXTS) & set(CATALOGUE))
if _clash:  # a key in two places would depend on the order of imports
    raise RuntimeError(f"ocop_sim/texts_document.py repeats catalogue keys of i18n.py: {_clash}")
CATALOGUE.update(_DOCUMENT_TEXTS)
