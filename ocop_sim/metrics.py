"""The metric registry: every output metric of a run, its unit, kind, labels, scope and reader.

One place says what a metric is, as EMA Workbench's outcomes do: results, targets, checks,
streaming summaries, sensitivity, formatting and the schema's validators ask it, nothing
re-derives it.  For each metric:

* :data:`GLOSSARY` ``{name: {"unit", "kind", "description"}}``: the kind is ``stock`` (at year
  end), ``flow`` (summed over a period), ``ratio`` or ``flow_ratio``;
* :data:`SERIES` ``{name: reader(result, mask) -> year × draw array}``: how the metric is read
  from a run's arrays for the areas of a boolean ``mask`` (the metrics a run holds as series);
* :data:`DERIVED`: the two metrics computed from other metrics over a period
  (``cost_per_product_mn_vnd``, ``evaluation_pass_rate``), with no series of their own;
* :data:`PROVINCE_ONLY`: metrics that exist for the whole province only (no region or area);
* :data:`LABELS`: the vi/en labels of metrics registered with :func:`register` (the built-in
  metrics' labels are in :mod:`ocop_sim.i18n`'s catalogue, which also receives these).

``METRICS`` (the series metrics, then the derived ones) is always read afresh from the
registry.  A reader receives a run (:class:`ocop_sim.results.Result`) and uses its ``arrays``,
``years`` and ``n_draws`` only.  Imports nothing of the package but the ground floor's plain
data (:mod:`ocop_sim.axes`, :mod:`ocop_sim.levers`).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from .axes import LEVELS, PROJECTS
from .levers import lever_names

__all__ = ["DERIVED", "GLOSSARY", "KINDS", "LABELS", "Metric", "PROVINCE_ONLY", "SERIES", "STOCK_LEVELS",
           "derived_value", "kind", "level_indices", "metric", "metric_series", "names", "on_register", "register",
           "stock_levels", "unit"]

KINDS = ("stock", "flow", "ratio", "flow_ratio")

_BUDGET_LINES: tuple[str, ...] = lever_names("budget")

#: Glossary: every metric with its unit, kind (stock at year end / flow summed over a period /
#: ratio) and description.  Labels in Vietnamese and English live in :mod:`ocop_sim.i18n`.
GLOSSARY: dict[str, dict[str, str]] = {
    "products_3star_plus": {"unit": "products", "kind": "stock", "description": "Certified OCOP products at 3★ or above (valid certificates) at year end"},
    "products_3star": {"unit": "products", "kind": "stock", "description": "Certified 3★ products at year end"},
    "products_4star": {"unit": "products", "kind": "stock", "description": "Products holding a 4★ certificate at year end (provincial 5★ awaiting the central council included, as reports count them)"},
    "products_provincial_5star": {"unit": "products", "kind": "stock", "description": "Products rated in the 5★ band by the province (potential 5★), including those recognised national 5★"},
    "products_potential_5star": {"unit": "products", "kind": "stock", "description": "Provincial 5★ products awaiting the central council"},
    "products_national_5star": {"unit": "products", "kind": "stock", "description": "National 5★ products recognised by the central council"},
    "candidates": {"unit": "products", "kind": "stock", "description": "Product ideas in development (not yet certified)"},
    "entities": {"unit": "entities", "kind": "stock", "description": "OCOP economic entities (enterprises, cooperatives, groups, households)"},
    "coverage_officials": {"unit": "fraction", "kind": "ratio", "description": "Share of state OCOP officials trained and in post"},
    "coverage_leaders": {"unit": "fraction", "kind": "ratio", "description": "Share of entity leaders trained and in post"},
    "new_products_3star_plus": {"unit": "products", "kind": "flow", "description": "Products certified 3★+ at their first evaluation"},
    "new_products_4star": {"unit": "products", "kind": "flow", "description": "Products certified 4★ at their first evaluation (with those rated provincial 5★, as the 4★ stock counts them)"},
    "evaluation_pass_rate": {"unit": "fraction", "kind": "flow_ratio", "description": "Share of products submitted for evaluation that were certified 3★+ (over the period)"},
    "new_entities": {"unit": "entities", "kind": "flow", "description": "Entities joining OCOP"},
    "upgrades": {"unit": "products", "kind": "flow", "description": "Star upgrades (3★→4★, 4★→provincial 5★, provincial→national 5★)"},
    "national_5star_recognitions": {"unit": "products", "kind": "flow", "description": "Provincial 5★ products recognised national 5★"},
    "renewals": {"unit": "products", "kind": "flow", "description": "Certificates renewed at the same level after 36 months"},
    "recertified": {"unit": "products", "kind": "flow", "description": "Products certified again at their re-evaluation after 36 months (at the same level or one lower)"},
    "lapses": {"unit": "products", "kind": "flow", "description": "Certificates that lapsed (expiry without renewal, or the entity dissolved)"},
    "trainees": {"unit": "persons", "kind": "flow", "description": "Officials and entity leaders trained"},
    "display_points": {"unit": "points", "kind": "flow", "description": "District-level OCOP display and sales points built"},
    "display_centres": {"unit": "centres", "kind": "flow", "description": "Provincial OCOP display and sales centres opened"},
    "startup_projects": {"unit": "projects", "kind": "flow", "description": "Youth/women OCOP start-up projects"},
    "agritourism_projects": {"unit": "projects", "kind": "flow", "description": "Agriculture-tourism projects"},
    "value_chain_projects": {"unit": "projects", "kind": "flow", "description": "Key value-chain product projects"},
    "spending_bn_vnd": {"unit": "bn VND", "kind": "flow", "description": "Public OCOP spending over all budget lines"},
    "cost_per_product_mn_vnd": {"unit": "mn VND/product", "kind": "ratio", "description": "Spending per product newly certified 3★+ (over the period)"},
}
for _line in _BUDGET_LINES:
    GLOSSARY[f"spending_{_line}"] = {"unit": "bn VND", "kind": "flow", "description": f"Spending on {_line.removesuffix('_bn_vnd').replace('_', ' ')}"}


def level_indices(*names: str) -> list[int]:
    """Positions in :data:`ocop_sim.axes.LEVELS` of the star levels ``names``."""
    return [LEVELS.index(n) for n in names]


#: The certified levels each product stock counts.
STOCK_LEVELS = {
    "products_3star_plus": level_indices("3star", "4star", "p5", "n5"),
    "products_3star": level_indices("3star"),
    "products_4star": level_indices("4star", "p5"),
    "products_provincial_5star": level_indices("p5", "n5"),
    "products_potential_5star": level_indices("p5"),
    "products_national_5star": level_indices("n5"),
}
#: stocks that hold provincial 5★ without national 5★: they lose a product at its recognition
LOSE_AT_CENTRAL = ("products_4star", "products_potential_5star")


# ----------------------------------------------------------------------------- readers (T × D)


def stock_levels(levels: list[int]) -> Callable:
    """Reader of the certified products at the star levels ``levels`` (indices)."""
    def f(r, mask: np.ndarray) -> np.ndarray:
        cert = r.arrays.stocks["certified"]  # T×D×A×G×L
        return cert[:, :, mask][..., levels].sum(axis=(-1, -2, -3))
    return f


def _coverage_leaders(r, mask: np.ndarray) -> np.ndarray:
    tl = r.arrays.stocks["trained_leaders"][:, :, mask].sum(axis=-1)
    e = r.arrays.stocks["entities"][:, :, mask].sum(axis=-1)
    return np.where(e > 0, tl / np.maximum(e, 1e-12), 0.0)


def _flow_agl(name: str, levels: list[int] | None = None) -> Callable:
    def f(r, mask: np.ndarray) -> np.ndarray:
        x = r.arrays.flows[name][:, :, mask]
        if levels is not None:
            x = x[..., levels]
        return x.sum(axis=tuple(range(2, x.ndim)))
    return f


def _project(i: int) -> Callable:
    def f(r, mask: np.ndarray) -> np.ndarray:
        return r.arrays.flows["new_projects"][:, :, i]
    return f


def _spending(lines: tuple[str, ...]) -> Callable:
    def f(r, mask: np.ndarray) -> np.ndarray:
        tot = sum(r.arrays.spending[k] for k in lines)
        return np.broadcast_to(np.asarray(tot, float)[:, None], (len(r.years), r.n_draws))
    return f


def _lapses(r, mask: np.ndarray) -> np.ndarray:
    x = r.arrays.flows["lapsed_expiry"][:, :, mask] + r.arrays.flows["lapsed_exit"][:, :, mask]
    return x.sum(axis=tuple(range(2, x.ndim)))


SERIES: dict[str, Callable] = {
    **{m: stock_levels(lv) for m, lv in STOCK_LEVELS.items()},
    "candidates": lambda r, m: r.arrays.stocks["candidates"][:, :, m].sum(axis=(-1, -2)),
    "entities": lambda r, m: r.arrays.stocks["entities"][:, :, m].sum(axis=-1),
    "coverage_officials": lambda r, m: r.arrays.stocks["coverage_officials"],
    "coverage_leaders": _coverage_leaders,
    "new_products_3star_plus": _flow_agl("new_certified"),
    "new_products_4star": _flow_agl("new_certified", [LEVELS.index("4star"), LEVELS.index("p5")]),
    "submitted": _flow_agl("submitted"),
    "new_entities": lambda r, m: r.arrays.flows["new_entities"][:, :, m].sum(axis=-1),
    "upgrades": _flow_agl("upgrades"),
    "national_5star_recognitions": _flow_agl("upgrades", [LEVELS.index("n5")]),
    "renewals": _flow_agl("renewed"),
    "recertified": lambda r, m: (r.arrays.flows["renewed"][:, :, m] + r.arrays.flows["downgraded"][:, :, m]).sum(axis=-1),
    "lapses": _lapses,
    "trainees": lambda r, m: r.arrays.flows["trainees_officials"] + r.arrays.flows["trainees_leaders"],
    **{name: _project(i) for i, name in enumerate(PROJECTS)},
    "spending_bn_vnd": _spending(_BUDGET_LINES),
    **{f"spending_{k}": _spending((k,)) for k in _BUDGET_LINES},
}
PROVINCE_ONLY = {"coverage_officials", "trainees", "spending_bn_vnd", *PROJECTS,
                 *(f"spending_{k}" for k in _BUDGET_LINES)}
GLOSSARY["submitted"] = {"unit": "products", "kind": "flow", "description": "Products submitted for evaluation"}


# ----------------------------------------------------------------------------- derived metrics


def _cost_per_product(result, scope: str, year: int | None, period: tuple[int, int] | None) -> np.ndarray:
    a, b = period if period is not None else (int(result.years[0]), int(year))
    spend = result.value("spending_bn_vnd", scope, period=(a, b))
    new = result.value("new_products_3star_plus", scope, period=(a, b))
    return np.where(new > 0, spend * 1000.0 / np.maximum(new, 1e-12), np.nan)


def _pass_rate(result, scope: str, year: int | None, period: tuple[int, int] | None) -> np.ndarray:
    if period is None:
        period = (year, year)
    sub = result.value("submitted", scope, period=period)
    new = result.value("new_products_3star_plus", scope, period=period)
    return np.where(sub > 0, new / np.maximum(sub, 1e-12), np.nan)


#: Metrics computed from other metrics over a period: ``f(result, scope, year, period)`` -> (D,);
#: and the period each year's value covers in a yearly series (``"year"``: that year alone;
#: ``"to_date"``: from the horizon's start to that year).
DERIVED: dict[str, tuple[Callable, str]] = {
    "cost_per_product_mn_vnd": (_cost_per_product, "to_date"),
    "evaluation_pass_rate": (_pass_rate, "year"),
}


def derived_value(result, metric: str, scope: str, year: int | None, period: tuple[int, int] | None) -> np.ndarray:
    """Per-draw value (D,) of a derived metric (:data:`DERIVED`) of ``result``."""
    return DERIVED[metric][0](result, scope, year, period)


def metric_series(result, metric: str, scope: str = "province") -> np.ndarray:
    """Yearly values (T × D) of any glossary metric.

    Stocks and ratios at year end, flows within the year; ``evaluation_pass_rate`` is the pass
    rate of each year, ``cost_per_product_mn_vnd`` the cumulative cost per new 3★+ product
    from the horizon start to each year [mn VND/product] (NaN while no product is certified).
    """
    try:
        return result.series(metric, scope)
    except KeyError:
        pass
    if metric not in DERIVED:
        raise KeyError(f"unknown metric {metric!r}")
    years = [int(y) for y in result.years]
    if DERIVED[metric][1] == "year":
        rows = [result.value(metric, scope, year=y) for y in years]
    else:
        rows = [result.value(metric, scope, period=(years[0], y)) for y in years]
    return np.asarray(rows, dtype=float)


# ----------------------------------------------------------------------------- the registry

_ORDER: list[str] = [*SERIES, *DERIVED]


#: vi/en labels of metrics registered with :func:`register`
LABELS: dict[str, dict[str, str]] = {}
_LISTENERS: list[Callable[[str, dict[str, str]], None]] = []


@dataclass(frozen=True)
class Metric:
    """One metric as the registry knows it (a read-only view; :func:`metric` builds it)."""

    name: str
    unit: str
    kind: str
    description: str
    province_only: bool
    #: ``reader(result, mask)`` -> year × draw array; None for a derived metric
    series: Callable | None


def metric(name: str) -> Metric:
    """The registry's entry of ``name``; KeyError naming the known metrics if there is none."""
    if name not in GLOSSARY:
        raise KeyError(f"unknown metric {name!r}; expected one of {', '.join(GLOSSARY)}")
    g = GLOSSARY[name]
    return Metric(name, g["unit"], g["kind"], g["description"], name in PROVINCE_ONLY, SERIES.get(name))


def kind(name: str) -> str:
    """``stock``, ``flow``, ``ratio`` or ``flow_ratio``."""
    return GLOSSARY[name]["kind"]


def unit(name: str) -> str:
    return GLOSSARY[name]["unit"]


def names() -> tuple[str, ...]:
    """Every metric a run answers: the built-in series metrics, the derived ones, then those
    registered with :func:`register`, in that order."""
    return tuple(_ORDER)


def on_register(listener: Callable[[str, dict[str, str]], None]) -> None:
    """Call ``listener(name, {"vi": ..., "en": ...})`` for every metric registered with labels,
    those registered already included (how :mod:`ocop_sim.i18n` learns the labels)."""
    _LISTENERS.append(listener)
    for name, labels in LABELS.items():
        listener(name, labels)


def register(name: str, series: Callable, *, unit: str, kind: str, description: str, label_vi: str,
             label_en: str, province_only: bool = False) -> None:
    """Declare an output metric: its series, glossary entry and labels, in one call.

    ``series(result, mask)`` returns a year × draw array for the areas of the boolean ``mask``.
    Summaries, run tables, Excel, targets, checks and sensitivity ask the registry
    (:data:`GLOSSARY`, :func:`names`) and pick it up.  ValueError if the name is taken or the
    kind unknown.
    """
    if name in GLOSSARY or name in SERIES:
        raise ValueError(f"metric {name!r}: expected a new name, got one already registered")
    if kind not in KINDS:
        raise ValueError(f"metric {name!r}: expected kind in {KINDS}, got {kind!r}")
    GLOSSARY[name] = {"unit": unit, "kind": kind, "description": description}
    SERIES[name] = series
    if province_only:
        PROVINCE_ONLY.add(name)
    LABELS[name] = {"vi": label_vi, "en": label_en}
    _ORDER.append(name)
    for listener in _LISTENERS:
        listener(name, LABELS[name])


def __getattr__(name: str):
    if name == "METRICS":  # read afresh: register() adds to it
        return names()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
