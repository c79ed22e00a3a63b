"""The texts of the planning document, the comparison and the calibration reports (vi/en).

Pure data on the ground floor: :mod:`ocop_sim.i18n` merges them into its catalogue when it is
imported, so that every text is there whichever module asks first (the batch's index page asks
before the document is imported).  The document's code is in :mod:`ocop_sim.document`.
"""
from __future__ import annotations

DOCUMENT_TEXTS: dict[str, dict[str, str]] = {
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
    # comparison and calibration reports: figure descriptions
    "alt_trajectories": {"vi": "Biểu đồ đường: trung vị dự báo của từng kịch bản qua các năm (sản phẩm từ 3 sao và chủ thể).",
                         "en": "Line charts: each scenario's median forecast over the years (products at 3★+ and entities)."},
    "alt_prob_matrix": {"vi": "Bản đồ nhiệt: xác suất đạt từng chỉ tiêu theo từng kịch bản.",
                        "en": "Heat map: the probability of meeting each target in each scenario."},
    "alt_cost": {"vi": "Biểu đồ điểm: tổng kinh phí và số chỉ tiêu kỳ vọng đạt của từng kịch bản.",
                 "en": "Scatter chart: total funding and the expected number of targets met per scenario."},
    "alt_cal_fit": {"vi": "Biểu đồ: số liệu báo cáo (chấm) so với trung vị và khoảng P10–P90 của mô hình, theo từng chuỗi số liệu.",
                    "en": "Charts: reported figures (dots) against the model's median and P10–P90 range, series by series."},
    # units of the levers that count things per year, in words
    "unit_display_centres": {"vi": "trung tâm/năm", "en": "centres/year"},
    "unit_agritourism_projects": {"vi": "dự án/năm", "en": "projects/year"},
}
