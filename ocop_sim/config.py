"""Pydantic models of a scenario: validation only, no I/O.

Every assumption of the model is a field of :class:`Assumptions` with its unit, bounds,
default, source and (optionally) a default uncertainty distribution.  The docs, the widgets
and the report's assumptions table are generated from these fields: one place, no drift.

Longer than 400 lines because it is the one schema: every assumption is a field with its unit,
bounds, default, source and Vietnamese text, from which docs, widgets, tables and Excel are
generated; splitting it would split that one place.
"""
from __future__ import annotations

import math
import re
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, create_model, field_validator, model_validator

from . import levers as _lv
from . import metrics as _metrics
from .axes import GROUPS, LEVELS  # noqa: F401 - the schema's names for the axes

#: Star levels (LEVELS) and product groups (GROUPS) are the axes of a run's arrays: defined in
#: ocop_sim.axes, named here with the schema.
#: Certificate validity (36 months) in yearly steps: ages 0, 1, 2.
N_AGES = 3

#: Budget lines, planned counts and shares: generated from the lever registry (ocop_sim.levers).
BUDGET_LINES: tuple[str, ...] = _lv.lever_names("budget")
COUNT_LEVERS: tuple[str, ...] = _lv.lever_names("count")
SHARE_LEVERS: tuple[str, ...] = _lv.lever_names("share")

#: Version of the scenario schema (recorded in manifests, part of the scenario hash).  Bump it
#: when a field is renamed or removed, or its unit, meaning or default changes; a new field
#: whose default leaves every number unchanged (a lever at 0, an assumption of a new response)
#: needs no bump.
SCHEMA_VERSION = "1"

MAX_DRAWS = 100_000
MAX_BUDGET_BN_VND = 100_000.0  # 100,000 bn VND a year per line: far above any province's OCOP budget
MIN_YEAR, MAX_YEAR = 2000, 2100

_FROZEN = ConfigDict(extra="forbid", frozen=True, validate_default=True)


class _Strict(BaseModel):
    model_config = _FROZEN


# ----------------------------------------------------------------------------- schedules


def _check_schedule(v: Any, *, integer: bool = False) -> dict[int, float]:
    """Validate a step schedule ``{year: value}``; values finite and >= 0."""
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        v = {MIN_YEAR: v}  # a plain number means "this value in every year"
    if not isinstance(v, dict):
        raise ValueError(f"expected a mapping {{year: value}} or a number, got {type(v).__name__}")
    if not v:
        raise ValueError("expected at least one {year: value} entry, got an empty mapping")
    if len(v) > MAX_YEAR - MIN_YEAR + 1:  # before looking at any entry: one value per year at most
        raise ValueError(f"expected at most {MAX_YEAR - MIN_YEAR + 1} years ({MIN_YEAR}..{MAX_YEAR}), got {len(v)} entries")
    out: dict[int, float] = {}
    for k, val in v.items():
        if isinstance(k, bool) or not isinstance(k, (int, str)) or not re.fullmatch(r"[0-9]{4}", str(k)):
            raise ValueError(f"expected a 4-digit integer year as key, got {k!r}")
        year = int(k)
        if not MIN_YEAR <= year <= MAX_YEAR:
            raise ValueError(f"expected a year in {MIN_YEAR}..{MAX_YEAR}, got {year}")
        if isinstance(val, bool) or not isinstance(val, (int, float)):
            raise ValueError(f"expected a number for year {year}, got {val!r}")
        fval = float(val)
        if not math.isfinite(fval):
            raise ValueError(f"expected a finite number for year {year}, got {val!r}")
        if fval < 0:
            raise ValueError(f"expected a value >= 0 for year {year}, got {val!r}")
        if fval > MAX_BUDGET_BN_VND:
            raise ValueError(f"expected a value <= {MAX_BUDGET_BN_VND:g} for year {year}, got {val!r}")
        if integer and fval != int(fval):
            raise ValueError(f"expected a whole count for year {year}, got {val!r}")
        out[year] = fval
    return dict(sorted(out.items()))


Schedule = Annotated[dict[int, float], Field()]


def schedule_value(schedule: dict[int, float], year: int) -> float:
    """Value of a step schedule in ``year``: the value of the latest key <= year (0 before)."""
    value = 0.0
    for key, val in schedule.items():
        if key <= year:
            value = val
        else:
            break
    return value


def _budget_schedule(cls, v: Any) -> dict[int, float]:
    return _check_schedule(v)


def _count_schedule(cls, v: Any) -> dict[int, float]:
    return _check_schedule(v, integer=True)


def _share_schedule(cls, v: Any) -> dict[int, float]:
    out = _check_schedule(v)
    for year, val in out.items():
        if val > 1.0:
            raise ValueError(f"expected a share <= 1 for year {year}, got {val:g}")
    return out


_DESC_UNIT = {"budget": "bn VND/year", "count": "count/year", "share": "-"}


def _lever_field(s: _lv.LeverSpec) -> Any:
    """The pydantic field of a registered lever: default in every year, description, unit, labels."""
    extra: dict[str, Any] = {"unit": s.unit}
    if s.max_ui is not None:
        extra["max_ui"] = s.max_ui
    extra["vi"] = s.label_vi
    return (dict[int, float], Field(default={MIN_YEAR: s.default}, description=f"{s.description} [{_DESC_UNIT[s.kind]}]",
                                    json_schema_extra=extra))


def _make_levers() -> type[BaseModel]:
    """:class:`Levers`, generated from the registry :data:`ocop_sim.levers.LEVERS`."""
    _lv.check_registry()
    validators = {}
    for kind, fn in (("budget", _budget_schedule), ("count", _count_schedule), ("share", _share_schedule)):
        names = _lv.lever_names(kind)
        if names:
            validators[f"_{kind}"] = field_validator(*names, mode="before")(classmethod(fn))
    model = create_model("Levers", __base__=_Strict, __module__=__name__, __validators__=validators,
                         **{s.name: _lever_field(s) for s in _lv.LEVERS})
    model.__doc__ = "What planners change: yearly step schedules (held until the next key)."
    return model


#: What planners change: yearly step schedules (held until the next key), generated from the
#: lever registry (:mod:`ocop_sim.levers`): one declaration per lever.
Levers = _make_levers()


SCHEDULE_LEVERS: tuple[str, ...] = BUDGET_LINES + COUNT_LEVERS
#: Every lever that is a step schedule, the share of officials among trainees included.
ALL_SCHEDULES: tuple[str, ...] = SCHEDULE_LEVERS + SHARE_LEVERS


# ----------------------------------------------------------------------------- assumptions

_J = "judgement"
_CAL = "judgement, calibrated to Đồng Nai 2020–2025 actuals"


#: Date from which a judgement made when the programme was designed was known (Decision 1698).
PLAN_DATE = "2019-06-05"
#: Date from which defaults calibrated to the 2020–2025 actuals were known (the end-2025 report,
#: published 10/02/2026): a backtest at an earlier cut-off must not use them.
CALIBRATED_DATE = "2026-02-10"


def _a(default: float, low: float, high: float, unit: str, description: str, source: str,
       dist: dict | None = None, key: bool = False, known_from: str | None = None,
       plan_default: float | None = None, vi: str = "") -> Any:
    """An assumption field: default, bounds, unit, source, the date its default was known, its
    default uncertainty and its Vietnamese description ``vi`` (kept here, beside the English one,
    so that a new assumption is declared in one place)."""
    if known_from is None:
        known_from = CALIBRATED_DATE if source.startswith(_CAL) else PLAN_DATE
    extra: dict[str, Any] = {"unit": unit, "source": source, "low": low, "high": high, "key": key,
                             "known_from": known_from}
    if plan_default is not None:  # what a forecaster would have used before known_from
        extra["plan_default"] = plan_default
    if dist is not None:
        extra["dist"] = dist
    if not vi:
        raise ValueError(f"assumption {description!r}: expected its Vietnamese description (vi=...)")
    extra["vi"] = vi
    return Field(default=default, ge=low, le=high, description=f"{description} [{unit}]",
                 json_schema_extra=extra)


class Assumptions(_Strict):
    """Every number of the model that is not a lever, with unit, bounds and source."""

    # --- training
    cost_per_trainee_mn_vnd: float = _a(
        3.0, 0.5, 20.0, "mn VND/person", "Cost of training one person (course, travel, materials)",
        _J + "; typical 2–5 day provincial courses", {"type": "triangular", "low": 1.5, "mode": 3.0, "high": 6.0},
        vi="Chi phí đào tạo một người (khóa học, đi lại, tài liệu)")
    officials_pool: float = _a(
        180.0, 10.0, 5000.0, "persons", "State OCOP officials (province and communes), when the pack does not "
        "report them", _J + ": ~1–2 per commune plus provincial staff (a pack's stocks.officials_pool replaces it)",
        vi="Số cán bộ nhà nước phụ trách OCOP của Đồng Nai cũ (cấp tỉnh, cấp xã; trước 01/7/2025 cả cấp huyện)")
    officials_pool_added_at_merger: float = _a(
        90.0, 0.0, 5000.0, "persons", "State OCOP officials added when an area joins (a merger event)",
        _J + ": proportional to communes",
        vi="Số cán bộ OCOP tăng thêm khi hợp nhất với Bình Phước")
    leader_training_reach: float = _a(
        0.3, 0.01, 1.0, "-", "Share of entity-course participants who are leaders of OCOP entities (the rest are "
        "staff, members and prospective producers)", _J + ": e.g. ~780 women cadres and entrepreneurs trained in "
        "04/2025 (hpn.dongnai.gov.vn) against 165 entities", {"type": "uniform", "low": 0.15, "high": 0.45},
        known_from="2025-04-24", plan_default=0.3,
        vi="Tỷ lệ học viên các lớp cho chủ thể là người đứng đầu chủ thể OCOP (còn lại là nhân viên, thành viên, người sản xuất tiềm năng)")
    staff_turnover: float = _a(
        0.12, 0.0, 0.6, "1/year", "Yearly turnover of trained officials and entity leaders",
        _J, {"type": "uniform", "low": 0.06, "high": 0.2},
        vi="Tỷ lệ thay đổi hằng năm của cán bộ và người đứng đầu chủ thể đã được đào tạo")
    # --- quality
    quality_weight_training: float = _a(
        0.5, 0.0, 1.0, "-", "Weight of leader training coverage in the quality index", _J,
        vi="Trọng số của tỷ lệ người đứng đầu chủ thể được đào tạo trong chỉ số chất lượng")
    quality_weight_development: float = _a(
        0.35, 0.0, 1.0, "-", "Weight of product-development support per candidate in the quality index", _J,
        vi="Trọng số của hỗ trợ phát triển sản phẩm trên mỗi ý tưởng sản phẩm trong chỉ số chất lượng")
    quality_weight_value_chain: float = _a(
        0.15, 0.0, 1.0, "-", "Weight of value-chain projects in the quality index", _J,
        vi="Trọng số của các dự án chuỗi giá trị trong chỉ số chất lượng")
    dev_half_saturation_mn_vnd: float = _a(
        40.0, 1.0, 1000.0, "mn VND/candidate", "Development support per candidate giving half the effect", _J,
        {"type": "triangular", "low": 20.0, "mode": 40.0, "high": 80.0},
        vi="Mức hỗ trợ phát triển trên mỗi ý tưởng sản phẩm cho một nửa hiệu quả tối đa")
    value_chain_half_saturation: float = _a(
        10.0, 0.5, 200.0, "projects", "Cumulative value-chain projects giving half their quality effect", _J,
        vi="Số dự án chuỗi giá trị lũy kế cho một nửa hiệu quả chất lượng")
    score_base: float = _a(
        54.7, 20.0, 90.0, "points", "Mean evaluation score of a submitted product with quality index 0",
        _CAL, {"type": "normal", "mean": 54.7, "sd": 1.5}, key=True,
        vi="Điểm đánh giá trung bình của sản phẩm tham gia đánh giá, phân hạng khi chỉ số chất lượng bằng 0")
    score_quality_gain: float = _a(
        14.0, 0.0, 40.0, "points", "Rise of the mean score from quality index 0 to 1", _CAL, plan_default=10.0,
        vi="Mức tăng điểm trung bình khi chỉ số chất lượng tăng từ 0 lên 1")
    score_scale: float = _a(
        5.0, 1.0, 20.0, "points", "Scale of the logistic score distribution of submitted products",
        _J + ": narrow enough for the 94–100 % provincial pass rates (29/31, 29/29, 47/47, 15/16)",
        vi="Độ phân tán (thang logistic) của điểm của sản phẩm tham gia đánh giá, phân hạng")
    premium_share: float = _a(
        0.033, 0.0, 0.5, "-", "Share of products from strong enterprises that score higher (score mixture)",
        "judgement: 8 national 5★ of ~300 products came from 3 firms (nongnghiepmoitruong.vn, 26/06/2025)",
        known_from="2025-06-26", plan_default=0.02,
        vi="Tỷ lệ sản phẩm của doanh nghiệp mạnh có điểm cao hơn (phân phối điểm hỗn hợp)")
    premium_score_bonus: float = _a(
        35.0, 0.0, 50.0, "points", "Score advantage of products from strong enterprises", _CAL, plan_default=30.0,
        vi="Mức điểm cao hơn của sản phẩm từ doanh nghiệp mạnh")
    threshold_3star: float = _a(
        50.0, 0.0, 100.0, "points", "Score threshold for 3★", "1048/QĐ-TTg (2019), 148/QĐ-TTg (2023)",
        vi="Ngưỡng điểm đạt 3 sao")
    threshold_4star: float = _a(
        70.0, 0.0, 100.0, "points", "Score threshold for 4★", "1048/QĐ-TTg (2019), 148/QĐ-TTg (2023)",
        vi="Ngưỡng điểm đạt 4 sao")
    threshold_5star: float = _a(
        90.0, 0.0, 100.0, "points", "Score threshold for 5★ band", "1048/QĐ-TTg (2019), 148/QĐ-TTg (2023)",
        vi="Ngưỡng điểm hạng 5 sao")
    # --- new entities and ideas
    base_new_entities: float = _a(
        11.6, 0.0, 2000.0, "entities/year", "New OCOP entities a year per unit of area weight at half-saturation "
        "spending",
        _CAL + "; +30 (2022), ≈45/yr (2023–24)", {"type": "triangular", "low": 8.5, "mode": 11.6, "high": 15.0},
        key=True,
        vi="Số chủ thể OCOP mới mỗi năm khi không có chi thêm (Đồng Nai cũ)")
    entity_imitation: float = _a(
        0.0, 0.0, 2.0, "1/year", "New entities a year brought by each OCOP entity already in the area (word of "
        "mouth and demonstration: the imitation coefficient q of a Bass diffusion) at half-saturation spending, "
        "damped as the area's pool of potential products is used up",
        "Bass (1969) diffusion; imitation coefficients average q ≈ 0.38 a year across 213 diffusion studies "
        "(Sultan, Farley & Lehmann 1990, Journal of Marketing Research 27(1)); 0 without a fit (no imitation), "
        "fitted with the rest in calibration",
        vi="Số chủ thể mới mỗi năm do mỗi chủ thể OCOP đã có trong vùng lan tỏa (hệ số bắt chước q của mô hình khuếch tán Bass), giảm dần khi nguồn sản phẩm tiềm năng của vùng cạn")
    entity_uplift_max: float = _a(
        1.0, 0.0, 5.0, "-", "Maximum relative uplift of new entities from start-up and promotion spending", _J,
        vi="Mức tăng tương đối tối đa của chủ thể mới nhờ chi khởi nghiệp và xúc tiến")
    entity_half_saturation_bn_vnd: float = _a(
        3.0, 0.1, 100.0, "bn VND/year", "Start-up + promotion spending giving half the uplift", _J,
        vi="Mức chi khởi nghiệp và xúc tiến cho một nửa mức tăng tối đa")
    base_new_ideas: float = _a(
        34.5, 0.0, 5000.0, "ideas/year", "New product ideas a year per unit of area weight with the whole pool "
        "left, at half-saturation spending", _CAL,
        vi="Số ý tưởng sản phẩm mới mỗi năm khi không có chi thêm (Đồng Nai cũ)")
    ideas_per_new_entity: float = _a(
        1.8, 0.0, 10.0, "ideas/entity", "Product ideas brought by a new entity",
        "1.5–2.2 products per entity (FACTS §3.4)",
        vi="Số ý tưởng sản phẩm do mỗi chủ thể mới mang lại")
    idea_uplift_max: float = _a(
        1.0, 0.0, 5.0, "-", "Maximum relative uplift of new ideas from development spending", _J,
        vi="Mức tăng tương đối tối đa của ý tưởng mới nhờ chi phát triển sản phẩm")
    idea_half_saturation_bn_vnd: float = _a(
        4.0, 0.1, 100.0, "bn VND/year", "Development spending giving half the idea uplift", _J,
        vi="Mức chi phát triển sản phẩm cho một nửa mức tăng ý tưởng")
    ideas_per_agritourism_project: float = _a(
        1.0, 0.0, 10.0, "ideas/project", "Tourism-service product ideas from one agri-tourism project", _J,
        vi="Số ý tưởng sản phẩm dịch vụ du lịch từ mỗi dự án nông nghiệp - du lịch")
    # --- evaluation
    first_evaluation_year: float = _a(
        2019.0, 2000.0, 2100.0, "year", "First provincial evaluation round (a pack gives its province's)",
        "national criteria 1048/QĐ-TTg from 21/08/2019: provinces could rate products from 2019",
        vi="Năm tổ chức đợt đánh giá cấp tỉnh đầu tiên")
    submission_rate: float = _a(
        0.166, 0.0, 1.0, "1/year", "Share of candidates submitted for evaluation each year", _CAL,
        {"type": "triangular", "low": 0.13, "mode": 0.166, "high": 0.2}, key=True,
        vi="Tỷ lệ ý tưởng sản phẩm tham gia đánh giá, phân hạng mỗi năm")
    retry_prob: float = _a(
        0.5, 0.0, 1.0, "-", "Share of failed candidates that stay in the pool to retry", _J,
        vi="Tỷ lệ sản phẩm chưa đạt được hoàn thiện để đánh giá lại")
    candidate_dropout: float = _a(
        0.05, 0.0, 1.0, "1/year", "Share of candidates abandoned each year", _J,
        vi="Tỷ lệ ý tưởng sản phẩm dừng phát triển mỗi năm")
    # --- upgrades and the central council
    upgrade_attempt_rate: float = _a(
        0.06, 0.0, 1.0, "1/year", "Share of certified 3★/4★ products that apply for a higher level each year",
        "KH 262/KH-UBND target: upgrade ≥20 % of rated products (over the period)",
        vi="Tỷ lệ sản phẩm 3 sao/4 sao đăng ký nâng hạng mỗi năm")
    upgrade_score_bonus: float = _a(
        8.0, 0.0, 40.0, "points", "Score advantage of an upgrading product over a new one", _J,
        vi="Mức điểm cao hơn của sản phẩm nâng hạng so với sản phẩm mới")
    central_first_year: float = _a(
        2020.0, 2000.0, 2100.0, "year", "First year the province sends potential-5★ dossiers to the centre (a "
        "pack gives its province's)", "first national council round in 2020 (hoanganhhalong.com.vn)",
        known_from="2020-12-31", plan_default=2020.0,
        vi="Năm đầu tiên tỉnh gửi hồ sơ sản phẩm 5 sao cấp tỉnh lên Trung ương")
    central_submission_rate: float = _a(
        0.9, 0.0, 1.0, "1/year", "Share of provincial 5★ products sent to the central council each year",
        "9 dossiers for ~10 potential 5★ in 2024",
        vi="Tỷ lệ sản phẩm 5 sao cấp tỉnh được gửi lên Hội đồng Trung ương mỗi năm")
    central_pass_rate: float = _a(
        0.45, 0.0, 1.0, "-", "Central council pass rate", "20/43 (2020), 22/47 (2023), 4/55 food (2024); "
        "Đồng Nai 8/9 (2025)", {"type": "beta", "a": 4.5, "b": 5.5}, key=True, known_from="2025-06-26",
        vi="Tỷ lệ sản phẩm được Hội đồng Trung ương công nhận 5 sao quốc gia")
    central_capacity: float = _a(
        1000.0, 0.0, 1000.0, "products/year", "Most national 5★ recognitions a year for the province", _J,
        vi="Số sản phẩm 5 sao quốc gia tối đa được công nhận mỗi năm cho tỉnh")
    # --- ageing, renewal, exit
    renewal_base_prob: float = _a(
        0.47, 0.0, 1.0, "-", "Probability a certificate is renewed at the same level after 36 months",
        "Đồng Tháp: 41 of 47 did not re-apply; Đồng Nai re-evaluated 15 in 2024 (FACTS §6.4): range 0.3–0.9",
        {"type": "uniform", "low": 0.32, "high": 0.62}, key=True, known_from="2024-12-26",
        vi="Xác suất sản phẩm được công nhận lại cùng hạng sau 36 tháng")
    renewal_gain_max: float = _a(
        0.25, 0.0, 1.0, "-", "Maximum rise of renewal probability from trade promotion and display points", _J,
        vi="Mức tăng tối đa của xác suất công nhận lại nhờ xúc tiến thương mại và điểm bán")
    renewal_half_saturation_mn_vnd: float = _a(
        15.0, 0.1, 1000.0, "mn VND/product", "Promotion per certified product giving half the renewal gain", _J,
        vi="Mức chi xúc tiến trên mỗi sản phẩm cho một nửa mức tăng công nhận lại")
    downgrade_prob: float = _a(
        0.3, 0.0, 1.0, "-", "Share of non-renewed products re-rated one level lower instead of lapsing",
        "Đồng Tháp: 6 of 47 failed re-evaluation (FACTS §1.5)",
        vi="Tỷ lệ sản phẩm không được công nhận lại bị hạ một hạng thay vì hết hiệu lực")
    entity_exit_rate: float = _a(
        0.02, 0.0, 0.5, "1/year", "Yearly dissolution hazard of OCOP entities (their products lapse)", _J,
        vi="Tỷ lệ chủ thể OCOP giải thể mỗi năm (sản phẩm của chủ thể hết hiệu lực)")
    # --- projects
    display_point_cost_bn_vnd: float = _a(
        0.3, 0.01, 50.0, "bn VND/point", "Cost of one district-level display and sales point", _J,
        vi="Kinh phí một điểm giới thiệu và bán sản phẩm OCOP")
    startup_project_cost_bn_vnd: float = _a(
        0.25, 0.01, 50.0, "bn VND/project", "Cost of one youth/women start-up project", _J,
        vi="Kinh phí một dự án khởi nghiệp của thanh niên/phụ nữ")
    value_chain_project_cost_bn_vnd: float = _a(
        1.0, 0.01, 100.0, "bn VND/project", "Cost of one key value-chain product project", _J,
        vi="Kinh phí một dự án chuỗi giá trị sản phẩm chủ lực")
    entities_per_startup: float = _a(
        0.5, 0.0, 5.0, "entities/project", "New OCOP entities created by one start-up project", _J,
        vi="Số chủ thể OCOP mới do mỗi dự án khởi nghiệp tạo ra")
    renewal_gain_per_display_point: float = _a(
        0.01, 0.0, 0.1, "-/point", "Rise of renewal probability per display point or centre (market access)", _J,
        vi="Mức tăng xác suất công nhận lại trên mỗi điểm bán hoặc trung tâm (tiếp cận thị trường)")
    # --- merger
    merger_candidates: float = _a(
        40.0, 0.0, 5000.0, "candidates", "Product ideas in development in an area that joins (a merger event)", _J,
        vi="Số ý tưởng sản phẩm đang phát triển ở Bình Phước cũ khi hợp nhất")
    merger_leader_coverage: float = _a(
        0.5, 0.0, 1.0, "-", "Share of the joining area's entity leaders already trained at a merger", _J,
        vi="Tỷ lệ người đứng đầu chủ thể ở Bình Phước cũ đã được đào tạo khi hợp nhất")

    # --- structure the data asks for (issue 13): levels renew differently, the pool runs out,
    # inflow without programme money, a change of criteria, year-to-year shocks
    renewal_factor_4star: float = _a(
        0.5, 0.0, 1.0, "-", "Renewal at the same level of 4★ certificates, relative to 3★ (5★ renew as 3★)",
        _J + ": higher levels must re-prove a higher score under stricter review (148/QĐ-TTg mandatory criteria)",
        {"type": "uniform", "low": 0.2, "high": 0.9},
        vi="Hệ số công nhận lại cùng hạng của sản phẩm 4 sao so với sản phẩm 3 sao (sản phẩm 5 sao được công nhận lại như 3 sao)")
    downgrade_prob_4star: float = _a(
        0.5, 0.0, 1.0, "-", "Share of non-renewed 4★ and provincial 5★ products re-rated one level lower",
        _J + ": a re-evaluated product keeps a certificate at a lower level rather than none",
        {"type": "uniform", "low": 0.2, "high": 0.8},
        vi="Tỷ lệ sản phẩm 4 sao và 5 sao cấp tỉnh không được công nhận lại bị hạ một hạng")
    pool_factor: float = _a(
        1.0, 0.2, 5.0, "-", "Scale of the pack's estimate of potential products (its uncertainty)",
        _J + ": a baseline survey counts the products that exist, not all that could be developed",
        {"type": "triangular", "low": 0.6, "mode": 1.0, "high": 1.8},
        vi="Hệ số nhân của ước tính số sản phẩm tiềm năng trong gói dữ liệu (độ bất định của ước tính)")
    pool_growth: float = _a(
        0.05, 0.0, 0.5, "1/year", "New potential products a year, as a share of the pool at the start",
        _J + ": new entities, new raw-material areas and processing",
        vi="Số sản phẩm tiềm năng mới mỗi năm, tính bằng tỷ lệ so với nguồn sản phẩm tiềm năng ban đầu")
    autonomous_share: float = _a(
        0.4, 0.0, 1.0, "-", "Share of new ideas and entities that come without programme spending "
        "(inflow at zero budget relative to the inflow at half-saturation spending)",
        _J + ": producers register for OCOP evaluation on their own; with no programme budget the province "
        "still holds rounds", {"type": "uniform", "low": 0.2, "high": 0.6},
        vi="Tỷ lệ ý tưởng và chủ thể mới tự phát, không cần kinh phí chương trình (dòng vào khi kinh phí bằng 0 so với dòng vào ở mức chi cho một nửa hiệu quả tối đa)")
    criteria_score_shift: float = _a(
        -3.0, -20.0, 10.0, "points", "Change of the mean score of submitted products under a new criteria set",
        _J + ": 148/QĐ-TTg (24/02/2023) added mandatory criteria (vccinews.com, 08/03/2023)",
        {"type": "normal", "mean": -3.0, "sd": 3.0},
        vi="Mức thay đổi điểm trung bình của sản phẩm tham gia đánh giá, phân hạng khi áp dụng bộ tiêu chí mới")
    criteria_backlog_share: float = _a(
        0.3, 0.0, 0.9, "-", "Share of the transition year's evaluation capacity spent re-evaluating certified "
        "products under a new criteria set", _J + ": provinces re-examine products under the new criteria "
        "before new rounds", {"type": "uniform", "low": 0.1, "high": 0.5},
        vi="Tỷ lệ năng lực đánh giá của năm chuyển đổi dành cho việc đánh giá lại sản phẩm đã được công nhận theo bộ tiêu chí mới")
    score_depletion: float = _a(
        6.0, 0.0, 30.0, "points", "Fall of the mean score of new submissions when the pool of potential "
        "products is used up (the strongest products come first)", _J,
        {"type": "uniform", "low": 2.0, "high": 12.0},
        vi="Mức giảm điểm trung bình của sản phẩm mới tham gia đánh giá, phân hạng khi nguồn sản phẩm tiềm năng cạn dần (sản phẩm tốt nhất tham gia trước)")
    inflow_sd: float = _a(
        0.15, 0.0, 1.0, "1/√year", "Year-to-year s.d. of the random walk on log inflow of ideas and entities "
        "(Monte Carlo only)", _J + ": national OCOP growth varied from +16 % to +80 % a year (national_facts.csv)",
        vi="Độ lệch chuẩn hằng năm của bước ngẫu nhiên trên logarit dòng ý tưởng và chủ thể mới (chỉ trong mô phỏng Monte Carlo)")
    submission_sd: float = _a(
        0.15, 0.0, 1.0, "-", "Year-to-year s.d. of shocks to the log submission rate (Monte Carlo only)", _J,
        vi="Độ lệch chuẩn hằng năm của cú sốc trên logarit tỷ lệ tham gia đánh giá, phân hạng (chỉ trong mô phỏng Monte Carlo)")

    @model_validator(mode="after")
    def _thresholds_ordered(self) -> "Assumptions":
        if not self.threshold_3star < self.threshold_4star < self.threshold_5star:
            raise ValueError(
                "expected threshold_3star < threshold_4star < threshold_5star, got "
                f"{self.threshold_3star:g}, {self.threshold_4star:g}, {self.threshold_5star:g}")
        return self


ASSUMPTION_NAMES: tuple[str, ...] = tuple(Assumptions.model_fields)


def assumption_meta(name: str) -> dict[str, Any]:
    """Unit, bounds, description, source and default distribution of an assumption."""
    f = Assumptions.model_fields[name]
    extra = dict(f.json_schema_extra or {})
    return {"name": name, "default": f.default, "description": f.description, **extra}


def lever_meta(name: str) -> dict[str, Any]:
    f = Levers.model_fields[name]
    return {"name": name, "default": f.default, "description": f.description,
            **dict(f.json_schema_extra or {})}


# ----------------------------------------------------------------------------- uncertainty


class Uniform(_Strict):
    type: Literal["uniform"]
    low: float
    high: float

    @model_validator(mode="after")
    def _ok(self) -> "Uniform":
        if not (math.isfinite(self.low) and math.isfinite(self.high) and self.low < self.high):
            raise ValueError(f"expected finite low < high, got low={self.low}, high={self.high}")
        return self

    def support(self) -> tuple[float, float]:
        return self.low, self.high


class Triangular(_Strict):
    type: Literal["triangular"]
    low: float
    mode: float
    high: float

    @model_validator(mode="after")
    def _ok(self) -> "Triangular":
        if not (all(math.isfinite(x) for x in (self.low, self.mode, self.high))
                and self.low <= self.mode <= self.high and self.low < self.high):
            raise ValueError(f"expected low <= mode <= high and low < high, got "
                             f"{self.low}, {self.mode}, {self.high}")
        return self

    def support(self) -> tuple[float, float]:
        return self.low, self.high


class Normal(_Strict):
    """Normal distribution truncated to the assumption's bounds."""

    type: Literal["normal"]
    mean: float
    sd: float = Field(gt=0)

    @model_validator(mode="after")
    def _ok(self) -> "Normal":
        if not (math.isfinite(self.mean) and math.isfinite(self.sd)):
            raise ValueError(f"expected finite mean and sd, got {self.mean}, {self.sd}")
        return self

    def support(self) -> tuple[float, float]:
        return self.mean - 50 * self.sd, self.mean + 50 * self.sd


class Beta(_Strict):
    """Beta(a, b) rescaled to [low, high] (default [0, 1])."""

    type: Literal["beta"]
    a: float = Field(gt=0, le=1e4)
    b: float = Field(gt=0, le=1e4)
    low: float = 0.0
    high: float = 1.0

    @model_validator(mode="after")
    def _ok(self) -> "Beta":
        if not (math.isfinite(self.low) and math.isfinite(self.high) and self.low < self.high):
            raise ValueError(f"expected finite low < high, got low={self.low}, high={self.high}")
        return self

    def support(self) -> tuple[float, float]:
        return self.low, self.high


Distribution = Annotated[Union[Uniform, Triangular, Normal, Beta], Field(discriminator="type")]


# ----------------------------------------------------------------------------- events


DATE_PATTERN = r"^\d{4}-\d{2}(-\d{2})?$"


class _EventBase(_Strict):
    """What every dated event carries: when it was known and where that comes from.

    ``known_from``: the date from which the event was known (a backtest at an earlier cut-off
    drops it, unless ``exogenous``); ``exogenous: true`` marks a decision taken outside the
    programme (a merger, a national criteria set) that a backtest conditions on, like the levers.
    """

    known_from: str | None = Field(default=None, pattern=DATE_PATTERN)
    source: str = Field(default="", max_length=1000)
    exogenous: bool = False


class MergerEvent(_EventBase):
    """Another province's stocks join the scenario (Đồng Nai + Bình Phước on 1 July 2025)."""

    type: Literal["merger"]
    year: int = Field(ge=MIN_YEAR, le=MAX_YEAR)
    area: str = Field(description="Area id that becomes active (must exist in the area table)")
    label: str = Field(default="", max_length=200)
    products_3star: float | None = Field(default=None, ge=0, le=1e6)
    products_4star: float | None = Field(default=None, ge=0, le=1e6)
    products_p5: float | None = Field(default=None, ge=0, le=1e6)
    products_n5: float | None = Field(default=None, ge=0, le=1e6)
    entities: float | None = Field(default=None, ge=0, le=1e6)
    weight: float | None = Field(default=None, ge=0, le=100,
                                 description="Share weight of the new area in province-wide activity")


class CriteriaChangeEvent(_EventBase):
    """A new criteria set from a given year (e.g. 148/QĐ-TTg in 2023): a stricter score and a
    backlog of re-evaluations, not a boost.

    ``score_shift``: change of the mean score [points]; None takes the uncertain assumption
    ``criteria_score_shift``.  ``backlog``: in the event's year a share ``criteria_backlog_share``
    of the evaluation capacity goes to re-evaluating certified products under the new criteria.
    """

    type: Literal["criteria_change"]
    year: int = Field(ge=MIN_YEAR, le=MAX_YEAR)
    label: str = Field(default="", max_length=200)
    threshold_3star: float | None = Field(default=None, ge=0, le=100)
    threshold_4star: float | None = Field(default=None, ge=0, le=100)
    threshold_5star: float | None = Field(default=None, ge=0, le=100)
    score_shift: float | None = Field(default=None, ge=-50, le=50,
                                      description="Change of the mean score of submitted products [points]")
    backlog: bool = True


class PolicyChangeEvent(_EventBase):
    """An assumption takes a new value (or is multiplied) from a given year."""

    type: Literal["policy_change"]
    year: int = Field(ge=MIN_YEAR, le=MAX_YEAR)
    assumption: str
    value: float | None = None
    multiply: float | None = Field(default=None, ge=0, le=100)
    label: str = Field(default="", max_length=200)

    @model_validator(mode="after")
    def _ok(self) -> "PolicyChangeEvent":
        if self.assumption not in ASSUMPTION_NAMES:
            raise ValueError(f"unknown assumption {self.assumption!r}" + _suggest(self.assumption, ASSUMPTION_NAMES))
        if (self.value is None) == (self.multiply is None):
            raise ValueError("expected exactly one of 'value' or 'multiply'")
        if self.value is not None:
            meta = assumption_meta(self.assumption)
            if not (math.isfinite(self.value) and meta["low"] <= self.value <= meta["high"]):
                raise ValueError(f"expected {self.assumption} in [{meta['low']}, {meta['high']}], got {self.value}")
        return self


Event = Annotated[Union[MergerEvent, CriteriaChangeEvent, PolicyChangeEvent], Field(discriminator="type")]


# ----------------------------------------------------------------------------- checks


class CheckInput(_Strict):
    """A test input of a conditional reality check: the scenario is re-run with it applied.

    ``budget`` sets every budget line to this value [bn VND/year] from ``from_year``;
    ``assumptions`` override assumption values (within their bounds) for the whole run.
    """

    budget: float | None = Field(default=None, ge=0, le=MAX_BUDGET_BN_VND)
    from_year: int | None = Field(default=None, ge=MIN_YEAR, le=MAX_YEAR)
    assumptions: dict[str, float] = Field(default_factory=dict, max_length=50)

    @model_validator(mode="after")
    def _ok(self) -> "CheckInput":
        if self.budget is not None and not math.isfinite(self.budget):
            raise ValueError(f"expected a finite budget, got {self.budget}")
        if self.budget is None and not self.assumptions:
            raise ValueError("expected 'budget' and/or 'assumptions' in 'under'")
        if self.budget is None and self.from_year is not None:
            raise ValueError("expected 'from_year' only together with 'budget'")
        for name, v in self.assumptions.items():
            if name not in ASSUMPTION_NAMES:
                raise ValueError(f"unknown assumption {name!r}" + _suggest(name, ASSUMPTION_NAMES))
            meta = assumption_meta(name)
            if not (math.isfinite(v) and meta["low"] <= v <= meta["high"]):
                raise ValueError(f"expected {name} in [{meta['low']}, {meta['high']}], got {v}")
        return self


class RealityCheck(_Strict):
    """A behaviour assertion checked after each run (Vensim-style reality check).

    Kinds (checked in every draw and every year from ``from_year`` to ``to_year``):

    * ``at_most`` / ``at_least``: ``metric`` <= / >= ``value``;
    * ``never_exceeds``: ``metric`` <= ``other`` (another metric, same scope, same draw);
      with ``other_ever: true`` the other metric's running maximum ("ever reached") is used;
    * ``relative: true`` (with ``under``): ``value`` is a share of the checked run's own metric,
      both summed over the check's years, draw by draw (e.g. "with no budget, at most 60 % of the
      new entities of the plan").

    ``under`` makes the check conditional: it is evaluated on a copy of the scenario run with
    that test input (same seed, draws and mode as the checked run).  Metric names are those of
    :data:`ocop_sim.metrics.GLOSSARY`.
    """

    id: str = Field(pattern=r"^[a-z0-9_]{1,64}$")
    label_vi: str = Field(default="", max_length=300)
    label_en: str = Field(default="", max_length=300)
    kind: Literal["never_exceeds", "at_most", "at_least"]
    metric: str
    scope: str = Field(default="province", pattern=r"^[a-z0-9_]{1,64}$")
    other: str | None = None
    other_ever: bool = False
    value: float | None = None
    from_year: int | None = Field(default=None, ge=MIN_YEAR, le=MAX_YEAR)
    to_year: int | None = Field(default=None, ge=MIN_YEAR, le=MAX_YEAR)
    tolerance: float = Field(default=1e-9, ge=0, le=1e6)
    under: CheckInput | None = None
    relative: bool = Field(default=False, description="With 'under': 'value' is a share of the metric in the "
                           "checked run itself, both summed over the check's years, draw by draw")

    @model_validator(mode="after")
    def _ok(self) -> "RealityCheck":
        known = list(_metrics.GLOSSARY)
        for what in ("metric", "other"):
            m = getattr(self, what)
            if m is not None and m not in known:
                raise ValueError(f"{what}: unknown metric {m!r}" + _suggest(m, known))
        if self.kind == "never_exceeds":
            if self.other is None or self.value is not None:
                raise ValueError("kind never_exceeds: expected 'other' (a metric) and no 'value'")
        else:
            if self.value is None or self.other is not None or self.other_ever:
                raise ValueError(f"kind {self.kind}: expected 'value' (a number) and no 'other'")
            if not math.isfinite(self.value):
                raise ValueError(f"expected a finite value, got {self.value}")
        if self.relative and (self.under is None or self.kind == "never_exceeds"):
            raise ValueError("relative: expected 'under' and kind at_most or at_least (a share of the checked run)")
        if self.from_year is not None and self.to_year is not None and self.to_year < self.from_year:
            raise ValueError(f"expected to_year >= from_year, got {self.from_year}..{self.to_year}")
        return self


# ----------------------------------------------------------------------------- sweep (issue 4)
# A ``sweep:`` block of a scenario: one batch of runs over a grid or a Latin hypercube of levers
# and assumptions, run by :mod:`ocop_sim.sweep`.  Lever ranges are MULTIPLIERS of the lever's
# schedule [-] (from ``from_year`` on if given); assumption ranges are values in the assumption's
# unit, inside its bounds.


class SweepRange(_Strict):
    """Range of one swept input: ``low``..``high`` (``levels`` points on a grid)."""

    low: float
    high: float
    levels: int = Field(default=3, ge=2, le=100, description="Grid points (method grid) [-]")

    @model_validator(mode="after")
    def _ok(self) -> "SweepRange":
        if not (math.isfinite(self.low) and math.isfinite(self.high) and self.low <= self.high):
            raise ValueError(f"expected finite low <= high, got low={self.low}, high={self.high}")
        return self


MAX_SWEEP_SAMPLES = 10_000


class Sweep(_Strict):
    """Grid (full factorial of each range's ``levels``) or Latin hypercube (``n`` samples, ``seed``)."""

    method: Literal["grid", "lhs"] = "lhs"
    n: int = Field(default=20, ge=1, le=MAX_SWEEP_SAMPLES, description="Samples of the Latin hypercube [-]")
    seed: int = Field(default=0, ge=0, le=2**63 - 1)
    mode: Literal["expected", "monte_carlo"] = "expected"
    draws: int = Field(default=100, ge=1, le=MAX_DRAWS, description="Monte Carlo draws per sample [-]")
    from_year: int | None = Field(default=None, ge=MIN_YEAR, le=MAX_YEAR)
    levers: dict[str, SweepRange] = Field(default_factory=dict, max_length=20)
    assumptions: dict[str, SweepRange] = Field(default_factory=dict, max_length=60)

    @model_validator(mode="after")
    def _ok(self) -> "Sweep":
        lever_names = ALL_SCHEDULES
        for name, r in self.levers.items():
            if name not in lever_names:
                raise ValueError(f"levers: unknown lever {name!r}" + _suggest(name, lever_names))
            if r.low < 0:
                raise ValueError(f"levers.{name}: expected a multiplier low >= 0, got {r.low}")
        for name, r in self.assumptions.items():
            if name not in ASSUMPTION_NAMES:
                raise ValueError(f"assumptions: unknown assumption {name!r}" + _suggest(name, ASSUMPTION_NAMES))
            meta = assumption_meta(name)
            if r.low < meta["low"] or r.high > meta["high"]:
                raise ValueError(f"assumptions.{name}: expected a range within [{meta['low']}, {meta['high']}], "
                                 f"got [{r.low}, {r.high}]")
        if not self.levers and not self.assumptions:
            raise ValueError("expected at least one lever or assumption to sweep")
        if self.method == "grid":
            size = math.prod(r.levels for r in [*self.levers.values(), *self.assumptions.values()])
            if size > MAX_SWEEP_SAMPLES:
                raise ValueError(f"expected a grid of at most {MAX_SWEEP_SAMPLES} points, got {size}")
        return self


# ----------------------------------------------------------------------------- scenario


def _suggest(word: str, options: Any) -> str:
    import difflib

    close = difflib.get_close_matches(str(word), list(options), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


class Horizon(_Strict):
    start: int = Field(default=2019, ge=MIN_YEAR, le=MAX_YEAR)
    end: int = Field(default=2035, ge=MIN_YEAR, le=MAX_YEAR)

    @model_validator(mode="after")
    def _order(self) -> "Horizon":
        if self.end <= self.start:
            raise ValueError(f"expected end > start, got start={self.start}, end={self.end}")
        if self.end - self.start > 60:
            raise ValueError(f"expected at most 60 years, got {self.end - self.start}")
        return self


class Text(_Strict):
    vi: str = Field(default="", max_length=5000)
    en: str = Field(default="", max_length=5000)


NAME_RE = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
#: names of a report batch's own outputs in its folder: a scenario may not take them (it would
#: overwrite the calibration or comparison report, the index or the kernel log)
RESERVED_NAMES = ("calibration", "compare", "index.html", "index_vi.html", "kernels.log", "tables",
                  "guide_en.html", "guide_vi.html")


class Scenario(_Strict):
    """A complete, validated scenario (after ``extends`` chains are resolved)."""

    name: str = Field(pattern=NAME_RE, description="Identifier used in file names: letters, digits, _ . -")
    title: Text = Field(default_factory=Text)
    description: Text = Field(default_factory=Text)
    horizon: Horizon = Field(default_factory=Horizon)
    pack: str = Field(default="dong_nai_2019", min_length=1, max_length=500,
                      description="Province data pack: a bundled name or a folder relative to the scenario")
    kind: Literal["history", "outlook"] = Field(
        default="history", description="history: replays from the pack's start; outlook: starts from the "
        "reported stocks at the pack's start and changes nothing before it")
    counterfactual: bool = Field(default=False, description="A deliberate what-if on the past (history only)")
    posterior: str | None = Field(default=None, max_length=500,
                                  description="Posterior file of `ocop-sim calibrate` (Monte Carlo draws take "
                                  "their parameters from it), relative to the scenario")
    seed: int = Field(default=20190605, ge=0, le=2**63 - 1)
    draws: int = Field(default=1000, ge=1, le=MAX_DRAWS)
    targets: list[str] = Field(default=["targets/decision_1698.yaml"], min_length=0, max_length=20,
                               description="Target registries, relative to the params folder")
    levers: Levers = Field(default_factory=Levers)
    assumptions: Assumptions = Field(default_factory=Assumptions)

    @field_validator("name")
    @classmethod
    def _not_reserved(cls, v: str) -> str:
        if v.lower() in RESERVED_NAMES:
            raise ValueError(f"expected a name other than the report batch's own outputs "
                             f"({', '.join(RESERVED_NAMES)}), got {v!r}")
        return v
    uncertainty: dict[str, Distribution | None] = Field(
        default_factory=dict, description="Per-assumption distributions overriding the defaults (null removes)")
    events: list[Event] = Field(default_factory=list, max_length=200)
    checks: list[RealityCheck] = Field(default_factory=list, max_length=200)
    sweep: Sweep | None = Field(default=None, description="Batch sweep over levers/assumptions (ocop_sim.sweep)")

    @field_validator("uncertainty")
    @classmethod
    def _known(cls, v: dict) -> dict:
        for k in v:
            if k not in ASSUMPTION_NAMES:
                raise ValueError(f"unknown assumption {k!r}" + _suggest(k, ASSUMPTION_NAMES))
        return v

    @model_validator(mode="after")
    def _cross(self) -> "Scenario":
        h = self.horizon
        past = (f"expected years in {h.start}..{h.end} (an outlook starts in {h.start}: what came before is "
                "history, not a lever)" if self.kind == "outlook" else f"expected years in {h.start}..{h.end}")
        for line in ALL_SCHEDULES:
            for year in getattr(self.levers, line):
                if year != MIN_YEAR and not h.start <= year <= h.end:
                    raise ValueError(f"levers.{line}: {past}, got {year}")
        for i, ev in enumerate(self.events):
            if not h.start <= ev.year <= h.end:
                raise ValueError(f"events.{i}.year: {past}, got {ev.year}")
        if self.counterfactual and self.kind != "history":
            raise ValueError("counterfactual: expected only on a history scenario (an outlook cannot change the past)")
        for name, dist in self.uncertainty.items():
            if dist is None:
                continue
            meta = assumption_meta(name)
            lo, hi = dist.support()
            if dist.type != "normal" and (lo < meta["low"] or hi > meta["high"]):
                raise ValueError(f"uncertainty.{name}: expected support within [{meta['low']}, {meta['high']}], "
                                 f"got [{lo}, {hi}]")
        return self

    def distributions(self) -> dict[str, Any]:
        """Effective uncertainty: schema defaults overridden by the scenario."""
        out: dict[str, Any] = {}
        for name in ASSUMPTION_NAMES:
            d = assumption_meta(name).get("dist")
            if d is not None:
                out[name] = _DIST_ADAPTER.validate_python(d)
        for name, dist in self.uncertainty.items():
            if dist is None:
                out.pop(name, None)
            else:
                out[name] = dist
        return out


from pydantic import TypeAdapter  # noqa: E402

_DIST_ADAPTER: TypeAdapter = TypeAdapter(Distribution)
