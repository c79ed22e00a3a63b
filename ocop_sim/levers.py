"""The lever registry and the declared responses of the model to levers: plain data, no I/O.

A lever is declared once, as a :class:`LeverSpec` in :data:`LEVERS`; from that one declaration
come the scenario field (:class:`ocop_sim.config.Levers`, its validation, bounds, unit and
labels), the tuples ``BUDGET_LINES`` / ``COUNT_LEVERS`` / ``SCHEDULE_LEVERS`` /
``ALL_SCHEDULES``, the model's per-year lever values (:func:`make_year_levers`, as
``ocop_sim.model.YearLevers``), the lever matrix of the compiled engine, the i18n labels (the
lever's own key and ``spending_<line>``), the app's Vietnamese help, the widgets and the Excel
sheet (both read :func:`ocop_sim.config.lever_meta`).

How a lever moves the model is declared as a :class:`Response` in :data:`RESPONSES`: a
saturating term ``x/(x + h)`` of the lever's spending ``x`` (normalised as the response says)
added to one rate of the model.  :func:`ocop_sim.model.step` and the compiled kernel
(:mod:`ocop_sim.engine`) apply the same table; a response whose lever is 0 adds exactly 0.0 to its
rate, so declaring one leaves every number of a scenario without that lever bit-identical
(tests/test_levers.py).

Adding a lever: one :class:`LeverSpec` (and, for an effect on the model, one :class:`Response`)
here.  Nothing else: the tests derive their counts from these tuples.  Structural uses of the
existing levers (projects bought with a budget, training, the development support in the quality
index) stay equations of the model.

This module imports nothing of the package (``config`` and ``model`` import it).
"""
from __future__ import annotations

from dataclasses import dataclass, field, make_dataclass
from typing import Literal

#: Kinds of lever: a yearly budget [bn VND/year], a planned count [count/year] or a share [-].
KINDS = ("budget", "count", "share")


@dataclass(frozen=True)
class LeverSpec:
    """One lever: a yearly step schedule a planner sets.

    Attributes
    ----------
    name : str
        Canonical snake_case name (YAML key, field, array column); a budget ends in ``_bn_vnd``.
    kind : {"budget", "count", "share"}
        Budget line [bn VND/year], planned count [count/year, whole numbers] or share [0–1].
    default : float
        Value in every year unless the scenario sets it [unit].
    description : str
        English help text (the schema description, unit in brackets appended).
    label_vi, label_en : str
        Short reader's names (widgets, tables, plots).
    help_vi : str
        Vietnamese help text of the app.
    max_ui : float or None
        Upper end of the widget slider [unit] (not a bound of validation).
    spending_vi, spending_en : str
        Labels of the budget line in spending tables and plots (budget levers only).
    """

    name: str
    kind: Literal["budget", "count", "share"]
    default: float
    description: str
    label_vi: str
    label_en: str
    help_vi: str
    max_ui: float | None = None
    spending_vi: str = ""
    spending_en: str = ""

    @property
    def unit(self) -> str:
        """Unit of the lever's values."""
        return {"budget": "bn VND/year", "count": "count/year", "share": "fraction"}[self.kind]


@dataclass(frozen=True)
class Response:
    """A declared saturating effect of levers on one rate of the model.

    The response adds ``gain · x/(x + half)`` to its rate, where ``x`` is the sum of the
    ``levers`` (this year's values, in their order) normalised by ``normalise``:

    * ``"per_area_weight"``: divided by the summed activity weight of the active areas
      [bn VND/year per unit of area weight];
    * ``"per_certified_mn"``: × 1000 / certified products (at least 1) [mn VND/product/year].

    ``form`` gives ``gain``: ``"inflow"`` (a base-rate multiplier of new entities or ideas:
    ``gain = (1 − a)(1 + u)`` with ``a`` the ``autonomous_share``, so that at ``x = half`` and
    ``u = 1`` the first response of a rate gives the base rate) or ``"gain"`` (``gain = u``).
    ``uplift_max`` (u) and ``half_saturation`` (h) name assumptions.

    ``acts_on`` is one of :data:`RATES`.
    """

    name: str
    levers: tuple[str, ...]
    normalise: Literal["per_area_weight", "per_certified_mn"]
    acts_on: Literal["entity_inflow", "idea_inflow", "renewal_prob"]
    uplift_max: str
    half_saturation: str
    form: Literal["inflow", "gain"] = "inflow"


#: Rates of the model a response can act on, in the order the engine numbers them:
#: the new-entity inflow factor, the new-idea inflow factor, the renewal probability.
RATES: tuple[str, ...] = ("entity_inflow", "idea_inflow", "renewal_prob")
NORMALISATIONS: tuple[str, ...] = ("per_area_weight", "per_certified_mn")
FORMS: tuple[str, ...] = ("inflow", "gain")

_B = "budget"

#: Every lever, in the order of the scenario schema (the order of YAML dumps, tables and the
#: engine's lever matrix: append a new lever at the end of its kind).
LEVERS: list[LeverSpec] = [
    LeverSpec("product_development_bn_vnd", _B, 4.0,
              "Product-development support (consulting, packaging, standards, product stories)",
              "Hỗ trợ phát triển sản phẩm", "Product development",
              "Hỗ trợ phát triển sản phẩm: tư vấn, bao bì, tiêu chuẩn, câu chuyện sản phẩm", 60.0,
              "Phát triển sản phẩm", "Product development"),
    LeverSpec("training_bn_vnd", _B, 0.8, "Training of state OCOP officials and entity leaders",
              "Đào tạo, tập huấn", "Training", "Đào tạo cán bộ OCOP nhà nước và lãnh đạo chủ thể", 10.0,
              "Đào tạo", "Training"),
    LeverSpec("trade_promotion_bn_vnd", _B, 2.0, "Trade promotion: fairs, e-commerce, market linkage",
              "Xúc tiến thương mại", "Trade promotion",
              "Xúc tiến thương mại: hội chợ, thương mại điện tử, kết nối thị trường", 30.0,
              "Xúc tiến thương mại", "Trade promotion"),
    LeverSpec("startup_support_bn_vnd", _B, 0.5, "Start-up support for youth/women OCOP projects",
              "Hỗ trợ khởi nghiệp", "Start-up support", "Hỗ trợ dự án khởi nghiệp OCOP của thanh niên, phụ nữ", 10.0,
              "Khởi nghiệp", "Start-up support"),
    LeverSpec("infrastructure_bn_vnd", _B, 0.6, "Display and sales points for OCOP products",
              "Điểm giới thiệu, bán sản phẩm", "Display and sales points",
              "Điểm giới thiệu và bán sản phẩm OCOP", 10.0, "Điểm bán sản phẩm", "Display points"),
    LeverSpec("value_chain_bn_vnd", _B, 2.0, "Key value-chain product projects",
              "Dự án chuỗi giá trị", "Value-chain projects",
              "Dự án phát triển sản phẩm chủ lực theo chuỗi giá trị", 40.0, "Chuỗi giá trị", "Value chains"),
    LeverSpec("display_centres", "count", 0.0, "Provincial OCOP display and sales centres opened per year",
              "Trung tâm giới thiệu sản phẩm", "Display and sales centres",
              "Số trung tâm giới thiệu và bán sản phẩm OCOP cấp tỉnh mở mới mỗi năm", 3.0),
    LeverSpec("agritourism_projects", "count", 0.0, "Agriculture-tourism projects started per year",
              "Dự án nông nghiệp - du lịch", "Agri-tourism projects",
              "Số dự án nông nghiệp gắn với du lịch khởi công mỗi năm", 10.0),
    LeverSpec("training_share_officials", "share", 0.25,
              "Share of trainees who are state OCOP officials (rest are entity leaders); a number, or a "
              "step schedule {year: share}",
              "Tỷ lệ học viên là cán bộ nhà nước", "Share of trainees who are officials",
              "Tỷ lệ học viên là cán bộ OCOP nhà nước (còn lại là lãnh đạo chủ thể)"),
]

#: The saturating effects of levers on the model's rates (applied in this order per rate).
RESPONSES: list[Response] = [
    Response("entities_from_startup_and_promotion", ("startup_support_bn_vnd", "trade_promotion_bn_vnd"),
             "per_area_weight", "entity_inflow", "entity_uplift_max", "entity_half_saturation_bn_vnd"),
    Response("ideas_from_development", ("product_development_bn_vnd",),
             "per_area_weight", "idea_inflow", "idea_uplift_max", "idea_half_saturation_bn_vnd"),
    Response("renewal_from_promotion", ("trade_promotion_bn_vnd",),
             "per_certified_mn", "renewal_prob", "renewal_gain_max", "renewal_half_saturation_mn_vnd", form="gain"),
]


def lever_names(kind: str | None = None) -> tuple[str, ...]:
    """Names of the registered levers (of one kind), in registry order."""
    return tuple(s.name for s in LEVERS if kind is None or s.kind == kind)


def spec(name: str) -> LeverSpec:
    """The registered lever ``name``; KeyError naming the valid ones."""
    for s in LEVERS:
        if s.name == name:
            return s
    raise KeyError(f"unknown lever {name!r}: expected one of {', '.join(lever_names())}")


def check_registry(levers: list[LeverSpec] | None = None, responses: list[Response] | None = None,
                   assumptions: tuple[str, ...] | None = None) -> None:
    """Raise ValueError if the registry is inconsistent (duplicates, unknown kinds, responses that
    name unknown levers, rates, normalisations or assumptions)."""
    levers = LEVERS if levers is None else levers
    responses = RESPONSES if responses is None else responses
    names = [s.name for s in levers]
    if len(set(names)) != len(names):
        raise ValueError(f"levers: expected unique names, got {names}")
    for s in levers:
        if s.kind not in KINDS:
            raise ValueError(f"lever {s.name}: expected kind in {KINDS}, got {s.kind!r}")
        if s.kind == "budget" and not (s.name.endswith("_bn_vnd") and s.spending_vi and s.spending_en):
            raise ValueError(f"budget lever {s.name}: expected a name ending in _bn_vnd and spending labels")
    rnames = [r.name for r in responses]
    if len(set(rnames)) != len(rnames):
        raise ValueError(f"responses: expected unique names, got {rnames}")
    for r in responses:
        for lv in r.levers:
            if lv not in names:
                raise ValueError(f"response {r.name}: unknown lever {lv!r} (expected one of {', '.join(names)})")
        if r.acts_on not in RATES or r.normalise not in NORMALISATIONS or r.form not in FORMS:
            raise ValueError(f"response {r.name}: expected acts_on in {RATES}, normalise in {NORMALISATIONS}, "
                             f"form in {FORMS}; got {r.acts_on!r}, {r.normalise!r}, {r.form!r}")
        if r.normalise == "per_certified_mn" and r.acts_on != "renewal_prob":
            raise ValueError(f"response {r.name}: per_certified_mn only on renewal_prob (the certified products "
                             f"are counted after the inflows), got {r.acts_on!r}")
        if assumptions is not None:
            for a in (r.uplift_max, r.half_saturation):
                if a not in assumptions:
                    raise ValueError(f"response {r.name}: unknown assumption {a!r}")


def make_year_levers() -> type:
    """The frozen dataclass of one year's lever values (province-wide), one float per lever.

    A lever not given is 0 (off); :func:`ocop_sim.simulate._lever_values` always gives all.
    """
    return make_dataclass("YearLevers", [(s.name, float, field(default=0.0)) for s in LEVERS], frozen=True,
                          namespace={"__doc__": "Lever values of one year (province-wide), generated from "
                                                "ocop_sim.levers.LEVERS."})


__all__ = ["LeverSpec", "Response", "LEVERS", "RESPONSES", "RATES", "KINDS", "lever_names", "spec",
           "check_registry", "make_year_levers"]
