"""Result: tidy frames, derived metrics, summaries, a glossary of variables and units.

A :class:`Result` is frozen.  Arrays are year × draw × … (see :mod:`ocop_sim.simulate`);
everything here is a view on them.
"""
from __future__ import annotations

import datetime as _dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from . import data as _data
from .config import BUDGET_LINES, GROUPS, LEVELS, Scenario
from .model import PROJECTS
from .simulate import RunArrays

QUANTILES = {"p10": 0.10, "median": 0.50, "p90": 0.90}

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
for _line in BUDGET_LINES:
    GLOSSARY[f"spending_{_line}"] = {"unit": "bn VND", "kind": "flow", "description": f"Spending on {_line.removesuffix('_bn_vnd').replace('_', ' ')}"}


def _lvl(*names: str) -> list[int]:
    return [LEVELS.index(n) for n in names]


_STOCK_LEVELS = {
    "products_3star_plus": _lvl("3star", "4star", "p5", "n5"),
    "products_3star": _lvl("3star"),
    "products_4star": _lvl("4star", "p5"),
    "products_provincial_5star": _lvl("p5", "n5"),
    "products_potential_5star": _lvl("p5"),
    "products_national_5star": _lvl("n5"),
}
#: stocks that hold provincial 5★ without national 5★: they lose a product at its recognition
_LOSE_AT_CENTRAL = ("products_4star", "products_potential_5star")


@dataclass(frozen=True)
class Result:
    """Outcome of :func:`ocop_sim.simulate`: arrays plus run settings."""

    scenario: Scenario
    arrays: RunArrays = field(repr=False)
    mode: str
    seed: int
    draws: int
    #: when the run was computed (UTC, ISO 8601): the manifest's and the reports' "made at", kept by
    #: the result cache, so that a report rendered again from a cached run says the same
    created: str = field(default_factory=lambda: _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
                         compare=False)
    #: the Monte Carlo engine that made the draws (``simulate.resolve_engine``): "numpy" (the
    #: reference, and every expected-mode run) or "compiled"
    engine: str = "numpy"
    #: views computed once per run (masks, counted series): the arrays never change after a run
    _memo: dict = field(default_factory=dict, repr=False, compare=False)

    # ------------------------------------------------------------------ basic axes
    @property
    def years(self) -> np.ndarray:
        return self.arrays.years

    @property
    def n_draws(self) -> int:
        return int(self.arrays.stocks["entities"].shape[1])

    def year_index(self, year: int) -> int:
        idx = np.nonzero(self.years == year)[0]
        if not len(idx):
            raise KeyError(f"year {year} outside the horizon {self.years[0]}..{self.years[-1]}")
        return int(idx[0])

    def _mask(self, scope: str) -> np.ndarray:
        key = ("mask", scope)
        if key not in self._memo:
            self._memo[key] = _data.areas(self.scenario.pack).mask(scope)
        return self._memo[key]

    # ------------------------------------------------------------------ yearly series
    def series(self, metric: str, scope: str = "province") -> np.ndarray:
        """Yearly values (T × D) of a metric: stocks at year end, flows within the year."""
        if metric not in _SERIES:
            raise KeyError(f"unknown metric {metric!r}; expected one of {', '.join(sorted(_SERIES))}")
        return np.asarray(_SERIES[metric](self, self._mask(scope)), dtype=float)

    def value(self, metric: str, scope: str = "province", year: int | None = None,
              period: tuple[int, int] | None = None) -> np.ndarray:
        """Per-draw value (D,): a stock/ratio at the end of ``year``, or a flow summed over ``period``."""
        kind = GLOSSARY[metric]["kind"]
        if metric == "cost_per_product_mn_vnd":
            a, b = period if period is not None else (int(self.years[0]), int(year))
            spend = self.value("spending_bn_vnd", scope, period=(a, b))
            new = self.value("new_products_3star_plus", scope, period=(a, b))
            return np.where(new > 0, spend * 1000.0 / np.maximum(new, 1e-12), np.nan)
        if metric == "evaluation_pass_rate":
            if period is None:
                period = (year, year)
            sub = self.value("submitted", scope, period=period)
            new = self.value("new_products_3star_plus", scope, period=period)
            return np.where(sub > 0, new / np.maximum(sub, 1e-12), np.nan)
        s = self.series(metric, scope)
        if kind == "flow":
            if period is None:
                if year is None:
                    raise ValueError(f"{metric} is a flow: give a period (or a year)")
                period = (year, year)
            a, b = period
            ia, ib = self.year_index(max(a, int(self.years[0]))), self.year_index(min(b, int(self.years[-1])))
            return s[ia: ib + 1].sum(axis=0)
        if year is None:
            if period is None:
                raise ValueError(f"{metric} is a stock: give a year")
            year = period[1]
        return s[self.year_index(year)]

    def start_value(self, metric: str, scope: str = "province", counting: str = "valid") -> np.ndarray:
        """Per-draw value (D,) of a stock at the start of the horizon (31/12 of the year before):
        the pack's reported stocks as the run spread them."""
        if self.arrays.initial is None or metric not in _SERIES or GLOSSARY[metric]["kind"] not in ("stock", "ratio"):
            raise KeyError(f"no start value of {metric!r}")
        key = ("start", metric, scope, counting)
        if key not in self._memo:
            self._memo[key] = self._start_counted(metric, self._mask(scope), counting)
        return self._memo[key]

    def series_counted(self, metric: str, scope: str = "province", counting: str = "valid") -> np.ndarray:
        """Yearly values (T × D) of a stock as a report counts it: ``valid`` certificates, or
        ``cumulative`` (every product ever certified: valid plus those whose certificate lapsed)."""
        return self._counted(metric, self._mask(scope), counting)

    def _counted(self, metric: str, mask: np.ndarray, counting: str) -> np.ndarray:
        key = ("counted_mask", metric, mask.tobytes(), counting)
        if key not in self._memo:
            s = np.asarray(_SERIES[metric](self, mask), dtype=float)
            if counting == "cumulative" and metric in _STOCK_LEVELS:
                lapsed = self.arrays.stocks["lapsed_cum"][:, :, mask][..., _STOCK_LEVELS[metric]]
                s = s + lapsed.sum(axis=(-1, -2))
            self._memo[key] = s
        return self._memo[key]

    def value_at(self, metric: str, at: float, scope: str = "province", counting: str = "valid") -> np.ndarray:
        """A stock at decimal time ``at`` (end of year Y is at Y+1), as reports count it.

        Stocks change in steps at evaluation rounds: within a year the value moves from the
        previous year end by the share of the year's rounds held by ``at`` (the pack's ``rounds``),
        not along a straight line.  The central council's recognitions (``central_rounds``) move
        products from provincial to national 5★ at their own dates: national 5★ follow them, and
        so do the counts that hold provincial 5★ (4★ and potential 5★ lose them then).  In the year
        an area joins (a merger), the areas that were there before move by the rounds and the
        joining area counts with its stocks at the year end.
        """
        return self._value_at_mask(metric, at, self._mask(scope), counting)

    def _value_at_mask(self, metric: str, at: float, mask: np.ndarray, counting: str) -> np.ndarray:
        from .packs import load_pack

        key = ("at", metric, at, mask.tobytes(), counting)
        if key in self._memo:
            return self._memo[key]
        s = self._counted(metric, mask, counting)
        t = self.years.astype(float) + 1.0
        act = self.arrays.stocks["active"][:, 0][:, mask]
        off = 0
        if self.arrays.initial is not None and at <= t[0] + 1e-9:  # the reported start state comes first
            s = np.concatenate([self._start_counted(metric, mask, counting)[None], s])
            t = np.concatenate([[t[0] - 1.0], t])
            act = np.concatenate([self.arrays.initial["active"][:, 0][:, mask], act])
            off = 1
        if at <= t[0]:
            out = s[0]
        elif (i := int(np.searchsorted(t, at - 1e-9))) >= len(t):
            out = s[-1]
        elif np.any(joined := act[i] > act[i - 1]):
            # an area joined (merger) during this year: the others move by the rounds, the
            # joining one is known from the year end only
            new = np.zeros_like(mask)
            new[np.flatnonzero(mask)[joined]] = True
            out = self._counted(metric, new, counting)[i - off] + (
                self._value_at_mask(metric, at, mask & ~new, counting) if np.any(mask & ~new) else 0.0)
        else:
            # a round in month m counts from the start of that month (a report dated in the month
            # of a round sees it: e.g. national 5★ announced on 26/06/2025 after the June council)
            pack = load_pack(self.scenario.pack)
            month = (at - t[i - 1]) * 12.0 + 1.0
            year = int(round(t[i])) - 1
            central = metric == "products_national_5star"
            frac = pack.round_fraction(year, month, central=central)
            out = (1 - frac) * s[i - 1] + frac * s[i]
            if metric in _LOSE_AT_CENTRAL and i - off >= 0:
                # provincial 5★ recognised national leave at the council's date, not the rounds'
                rec = self.arrays.flows["upgrades"][i - off][:, mask][..., LEVELS.index("n5")].sum(axis=(-1, -2))
                out = out + (frac - pack.round_fraction(year, month, central=True)) * rec
        self._memo[key] = out
        return out

    def _start_counted(self, metric: str, mask: np.ndarray, counting: str) -> np.ndarray:
        """Per-draw value (D,) at the start of the horizon for the areas of ``mask``."""
        init = self.arrays.initial
        view = Result(scenario=self.scenario, arrays=RunArrays(
            years=self.years[:1] - 1, stocks=init, flows={}, params=self.arrays.params, spending={}, initial=None),
            mode=self.mode, seed=self.seed, draws=self.draws)
        return view._counted(metric, mask, counting)[0]

    # ------------------------------------------------------------------ summaries
    def summary(self, metrics: list[str] | None = None, scopes: list[str] | None = None):
        """Tidy DataFrame: year, metric, scope, unit, mean, p10, median, p90."""
        import pandas as pd

        metrics = metrics or [m for m in _SERIES]
        if scopes is None:  # the province and its regions (as the pack defines them)
            regions = list(dict.fromkeys(_data.areas(self.scenario.pack).region))
            scopes = ["province"] + (regions if len(regions) > 1 else [])
        rows = []
        for m in metrics:
            for sc in scopes:
                if m in _PROVINCE_ONLY and sc != "province":
                    continue
                s = self.series(m, sc)
                stats = _stats(s, axis=1)
                for i, y in enumerate(self.years):
                    rows.append({"year": int(y), "metric": m, "scope": sc, "unit": GLOSSARY[m]["unit"],
                                 **{k: float(v[i]) for k, v in stats.items()}})
        return pd.DataFrame(rows)

    def frame(self, stat: str | None = "median", draws: bool = False, max_rows: int = 5_000_000):
        """Certified products, tidy: year × area × group × level (× draw when ``draws``).

        With ``draws=False`` the ``value`` column is the statistic ``stat`` over draws
        (``mean``, ``median``, ``p10``, ``p90``).
        """
        import pandas as pd

        cert = self.arrays.stocks["certified"]  # T×D×A×G×L
        geo = _data.areas(self.scenario.pack)
        T, D, A, G, L = cert.shape
        if draws:
            if cert.size > max_rows:
                raise ValueError(f"{cert.size} rows exceed max_rows={max_rows}; use a summary instead")
            idx = pd.MultiIndex.from_product([self.years, range(D), geo.ids, GROUPS, LEVELS],
                                             names=["year", "draw", "area", "group", "level"])
            return pd.DataFrame({"products": cert.reshape(-1).astype(float)}, index=idx).reset_index()
        vals = _stats(cert, axis=1)[stat] if stat != "mean" else cert.mean(axis=1)
        idx = pd.MultiIndex.from_product([self.years, geo.ids, GROUPS, LEVELS], names=["year", "area", "group", "level"])
        return pd.DataFrame({"products": vals.reshape(-1).astype(float)}, index=idx).reset_index()

    def by_area(self, year: int, metric: str = "products_3star_plus", stat: str = "median"):
        import pandas as pd

        geo = _data.areas(self.scenario.pack)
        rows = []
        for a, name in enumerate(geo.ids):
            v = self.series(metric, name)[self.year_index(year)]
            rows.append({"area": name, "region": geo.region[a], "name_vi": geo.name_vi[a], "name_en": geo.name_en[a],
                         "value": float(_stats(v[None, :], axis=1)[stat][0]) if stat != "mean" else float(v.mean())})
        return pd.DataFrame(rows)

    def by_group(self, stat: str = "median"):
        import pandas as pd

        cert = self.arrays.stocks["certified"].sum(axis=(2, 4))  # T×D×G
        vals = _stats(cert, axis=1)[stat] if stat != "mean" else cert.mean(axis=1)
        return pd.DataFrame(vals, index=pd.Index(self.years, name="year"), columns=list(GROUPS))

    def star_mix(self, scope: str = "province", stat: str = "mean"):
        import pandas as pd

        cols = {}
        for m in ("products_3star", "products_4star", "products_potential_5star", "products_national_5star"):
            s = self.series(m, scope)
            cols[m] = s.mean(axis=1) if stat == "mean" else _stats(s, axis=1)[stat]
        return pd.DataFrame(cols, index=pd.Index(self.years, name="year"))

    def spending(self):
        import pandas as pd

        return pd.DataFrame({k: v for k, v in self.arrays.spending.items()},
                            index=pd.Index(self.years, name="year"))

    # ------------------------------------------------------------------ targets
    def attainment(self, registry=None):
        """Attainment table of a target registry (default: the scenario's own registries)."""
        from . import targets as _t

        return _t.attainment(self, registry)

    # ------------------------------------------------------------------ export
    def manifest(self, **extra) -> dict:
        """Everything needed to reproduce this run (``ocop-sim reproduce`` reads it back)."""
        import platform

        import pandas
        import scipy

        from . import __version__
        from .cache import _data_hash
        from .checks import checksum_arrays, results_checksum
        from .config import SCHEMA_VERSION
        from .scenarios import HASH_VERSION, dump_hash, scenario_hash

        resolved = self.scenario.model_dump(mode="json")
        return {
            "scenario": self.scenario.name,
            "scenario_hash": scenario_hash(self.scenario),
            "hash_version": HASH_VERSION,
            # integrity of resolved_scenario below: reproduce tells an edited manifest from a changed model
            "resolved_hash": dump_hash(resolved),
            "mode": self.mode, "seed": self.seed, "draws": self.draws, "engine": self.engine,
            "package": "ocop_sim", "version": __version__, "model_version": MODEL_VERSION,
            "schema_version": SCHEMA_VERSION,
            "data_hash": _data_hash(self.scenario.pack),
            "results_checksum": results_checksum(self),
            # what the checksum covers: reproduce compares exactly these arrays (and the summary
            # CSV's own rows), so that arrays or metrics added later do not fail an old manifest
            "compared": {"results_checksum": checksum_arrays(self), "summary": "the rows of <scenario>_summary.csv"},
            "python": platform.python_version(), "numpy": np.__version__, "scipy": scipy.__version__,
            "pandas": pandas.__version__,
            "created": self.created,
            "resolved_scenario": resolved,
            **extra,
        }

    def to_csv(self, folder: str | Path, prefix: str | None = None) -> list[Path]:
        """Write summary, attainment and star-level tables as CSV (atomically); returns the paths."""
        from .io import atomic_write_text

        folder = Path(folder)
        prefix = prefix or self.scenario.name
        out = []
        tables = {"summary": self.summary(), "targets": self.attainment(),
                  "products_by_area_group_level": self.frame("median")}
        for name, df in tables.items():
            p = folder / f"{prefix}_{name}.csv"
            atomic_write_text(p, df.to_csv(index=False))
            out.append(p)
        p = folder / f"{prefix}_manifest.json"
        atomic_write_text(p, json.dumps(self.manifest(), ensure_ascii=False, indent=2))
        out.append(p)
        return out


MODEL_VERSION = "3"  # 2: flows kept at coarser axes (cached results of 1 are not reused); 3: each flow draws
# from a random stream of its own (issue 19): Monte Carlo numbers of a seed changed once


def _stats(x: np.ndarray, axis: int) -> dict[str, np.ndarray]:
    qs = np.quantile(x, list(QUANTILES.values()), axis=axis)
    out = {"mean": x.mean(axis=axis)}
    for i, k in enumerate(QUANTILES):
        out[k] = qs[i]
    return out


# ------------------------------------------------------------------ metric series (T × D)

def _stock_levels(levels: list[int]) -> Callable:
    def f(r: Result, mask: np.ndarray) -> np.ndarray:
        cert = r.arrays.stocks["certified"]  # T×D×A×G×L
        return cert[:, :, mask][..., levels].sum(axis=(-1, -2, -3))
    return f


def _coverage_leaders(r: Result, mask: np.ndarray) -> np.ndarray:
    tl = r.arrays.stocks["trained_leaders"][:, :, mask].sum(axis=-1)
    e = r.arrays.stocks["entities"][:, :, mask].sum(axis=-1)
    return np.where(e > 0, tl / np.maximum(e, 1e-12), 0.0)


def _flow_agl(name: str, levels: list[int] | None = None) -> Callable:
    def f(r: Result, mask: np.ndarray) -> np.ndarray:
        x = r.arrays.flows[name][:, :, mask]
        if levels is not None:
            x = x[..., levels]
        return x.sum(axis=tuple(range(2, x.ndim)))
    return f


def _project(i: int) -> Callable:
    def f(r: Result, mask: np.ndarray) -> np.ndarray:
        return r.arrays.flows["new_projects"][:, :, i]
    return f


def _spending(lines: tuple[str, ...]) -> Callable:
    def f(r: Result, mask: np.ndarray) -> np.ndarray:
        tot = sum(r.arrays.spending[k] for k in lines)
        return np.broadcast_to(np.asarray(tot, float)[:, None], (len(r.years), r.n_draws))
    return f


def _lapses(r: Result, mask: np.ndarray) -> np.ndarray:
    x = r.arrays.flows["lapsed_expiry"][:, :, mask] + r.arrays.flows["lapsed_exit"][:, :, mask]
    return x.sum(axis=tuple(range(2, x.ndim)))


_SERIES: dict[str, Callable] = {
    **{m: _stock_levels(lv) for m, lv in _STOCK_LEVELS.items()},
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
    "spending_bn_vnd": _spending(BUDGET_LINES),
    **{f"spending_{k}": _spending((k,)) for k in BUDGET_LINES},
}
_PROVINCE_ONLY = {"coverage_officials", "trainees", "spending_bn_vnd", *PROJECTS,
                  *(f"spending_{k}" for k in BUDGET_LINES)}
GLOSSARY["submitted"] = {"unit": "products", "kind": "flow", "description": "Products submitted for evaluation"}
METRICS = tuple(_SERIES) + ("cost_per_product_mn_vnd", "evaluation_pass_rate")


def register_metric(name: str, series: Callable, *, unit: str, kind: str, description: str, label_vi: str,
                    label_en: str, province_only: bool = False) -> None:
    """Declare an output metric: its series, glossary entry and labels, in one call.

    ``series(result, mask)`` returns a year × draw array for the areas of the boolean ``mask``.
    Summaries, run tables, Excel, targets, checks and sensitivity ask the registry
    (:data:`GLOSSARY`, :data:`METRICS`) and pick it up.  ValueError if the name is taken or the
    kind unknown.
    """
    global METRICS
    from . import i18n

    kinds = ("stock", "flow", "ratio", "flow_ratio")
    if name in GLOSSARY or name in _SERIES:
        raise ValueError(f"metric {name!r}: expected a new name, got one already registered")
    if kind not in kinds:
        raise ValueError(f"metric {name!r}: expected kind in {kinds}, got {kind!r}")
    GLOSSARY[name] = {"unit": unit, "kind": kind, "description": description}
    _SERIES[name] = series
    if province_only:
        _PROVINCE_ONLY.add(name)
    i18n.CATALOGUE.setdefault(name, {"vi": label_vi, "en": label_en})
    METRICS = METRICS + (name,)
