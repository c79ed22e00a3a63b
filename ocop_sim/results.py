"""Result: tidy frames, derived metrics and summaries over the arrays of a run (:class:`RunArrays`).

What each metric is (unit, kind, how it is read from the arrays) is the registry's,
:mod:`ocop_sim.metrics`; ``GLOSSARY``, ``METRICS`` and :func:`register_metric` are its names here.

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
from . import metrics as _metrics
from . import targets as _targets
from .config import GROUPS, LEVELS, Scenario
from .io import atomic_write_text
from .packs import load_pack
from .version import MODEL_VERSION  # noqa: F401 - also known as results.MODEL_VERSION

QUANTILES = {"p10": 0.10, "median": 0.50, "p90": 0.90}

#: The metric registry's tables, under the names callers know (:mod:`ocop_sim.metrics` holds them).
GLOSSARY = _metrics.GLOSSARY
_SERIES = _metrics.SERIES
_PROVINCE_ONLY = _metrics.PROVINCE_ONLY
_STOCK_LEVELS = _metrics.STOCK_LEVELS
_LOSE_AT_CENTRAL = _metrics.LOSE_AT_CENTRAL
_lvl = _metrics.level_indices
_stock_levels = _metrics.stock_levels


@dataclass(frozen=True)
class RunArrays:
    """Raw arrays of a run (year × draw × …); :class:`Result` is the tidy view on them."""

    years: np.ndarray
    stocks: dict[str, np.ndarray]
    flows: dict[str, np.ndarray]
    params: dict[str, np.ndarray]
    spending: dict[str, np.ndarray]  # line -> (T,) bn VND
    #: the state at the start (the pack's reported stocks, spread by its rule): the same keys as
    #: ``stocks``, one row (1 × draw × …)
    initial: dict[str, np.ndarray] | None = None


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
        if metric in _metrics.DERIVED:
            return _metrics.derived_value(self, metric, scope, year, period)
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
        return _targets.attainment(self, registry)

    # ------------------------------------------------------------------ export
    def manifest(self, **extra) -> dict:
        """Everything needed to reproduce this run: :func:`ocop_sim.provenance.manifest`.

        Kept for callers not yet moved to ``provenance.manifest(result)``; the provenance layer
        stands above this one, so the package's face hands its function in
        (:func:`set_manifest_maker`) instead of this module importing it.
        """
        if not _MANIFEST_MAKER:
            raise RuntimeError("no manifest maker: import ocop_sim (its face sets provenance.manifest)")
        return _MANIFEST_MAKER[0](self, **extra)

    def to_csv(self, folder: str | Path, prefix: str | None = None) -> list[Path]:
        """Write summary, attainment and star-level tables as CSV (atomically); returns the paths."""
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


#: the function behind :meth:`Result.manifest` (:func:`ocop_sim.provenance.manifest`)
_MANIFEST_MAKER: list[Callable] = []


def set_manifest_maker(maker: Callable) -> None:
    """Hand in the function that builds a run's manifest (the package's face does, once)."""
    _MANIFEST_MAKER[:] = [maker]


def _stats(x: np.ndarray, axis: int) -> dict[str, np.ndarray]:
    qs = np.quantile(x, list(QUANTILES.values()), axis=axis)
    out = {"mean": x.mean(axis=axis)}
    for i, k in enumerate(QUANTILES):
        out[k] = qs[i]
    return out


def register_metric(name: str, series: Callable, *, unit: str, kind: str, description: str, label_vi: str,
                    label_en: str, province_only: bool = False) -> None:
    """Declare an output metric: :func:`ocop_sim.metrics.register` (its series, glossary entry
    and labels, in one call)."""
    _metrics.register(name, series, unit=unit, kind=kind, description=description, label_vi=label_vi,
                      label_en=label_en, province_only=province_only)


def __getattr__(name: str):
    if name == "METRICS":  # read afresh from the registry: register_metric adds to it
        return _metrics.names()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
