"""Bounded-memory Monte Carlo: keep only the metric series you ask for, block by block.

:func:`ocop_sim.simulate` keeps every year's full arrays (year × draw × area × group × level,
float32) for all draws: 10,000 draws of the 63-province synthetic national scenario would need
~8.8 GB, and of the Đồng Nai baseline ~1.6 GB.  :func:`simulate_summary` runs the same blocks
of :data:`ocop_sim.simulate.BLOCK` draws with the same per-block generators, reduces each block
at once to the requested metric series (T × draws per metric and scope) and drops the block's
arrays.  Peak memory is one block's arrays plus T × D × 8 bytes per (metric, scope) (1.4 MB
for 17 years × 10,000 draws).

Quantiles are **exact**: the kept per-draw series are the full samples of the chosen metrics
(no sketch or approximation), and they equal ``simulate(...).series(metric, scope)``
bit for bit (tests/test_executors.py checks this).  What is lost are the per-area/group/level
arrays of metrics not asked for.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import data as _data
from . import metrics as _metrics
from .results import Result, _stats
from .simulate import BLOCK, Streams, block_rng, draw_chunks, run_block

__all__ = ["simulate_summary", "summarise_draws", "SeriesResult", "DEFAULT_METRICS"]

#: Metrics kept when none are named.
DEFAULT_METRICS = ("products_3star_plus", "products_4star", "products_provincial_5star",
                   "products_national_5star", "entities", "candidates", "new_products_3star_plus")


def _check(metrics, scopes, scenario) -> None:
    bad = [m for m in metrics if m not in _metrics.SERIES]
    if bad:
        raise KeyError(f"metrics: expected series metrics ({', '.join(sorted(_metrics.SERIES))}), "
                       f"got {', '.join(bad)}")
    known = _data.areas(scenario.pack).scopes
    bad = [s for s in scopes if s not in known]
    if bad:
        raise KeyError(f"scopes: expected scopes of pack {scenario.pack} "
                       f"({', '.join(known[:8])}, ...), got {', '.join(bad)}")


def summarise_draws(scenario, start: int, stop: int, seed: int, sample_assumptions: bool,
                    metrics: tuple[str, ...], scopes: tuple[str, ...]) -> dict[tuple[str, str], np.ndarray]:
    """Draws ``start..stop`` (block-aligned) reduced to ``{(metric, scope): T × n}`` series."""
    if start % BLOCK:
        raise ValueError(f"chunks must start on a multiple of {BLOCK}, got {start}")
    total = stop - start
    out: dict[tuple[str, str], np.ndarray] = {}
    for b0 in range(start, stop, BLOCK):
        n = min(BLOCK, stop - b0)
        # the same generators as simulate.run_draws: the block's own stream and its named streams
        part = run_block(scenario, n, block_rng(seed, b0 // BLOCK), sample_assumptions,
                         streams=Streams(int(seed), b0 // BLOCK))
        res = Result(scenario=scenario, arrays=part, mode="monte_carlo", seed=seed, draws=n)
        for m in metrics:
            for sc in scopes:
                s = res.series(m, sc)
                if (m, sc) not in out:
                    out[(m, sc)] = np.empty((s.shape[0], total), dtype=float)
                out[(m, sc)][:, b0 - start: b0 - start + n] = s
        del part, res
    return out


@dataclass(frozen=True)
class SeriesResult:
    """Per-draw yearly series of chosen metrics and scopes (T × D each) from :func:`simulate_summary`."""

    scenario: object
    years: np.ndarray
    seed: int
    draws: int
    data: dict = field(repr=False)

    def series(self, metric: str, scope: str = "province") -> np.ndarray:
        try:
            return self.data[(metric, scope)]
        except KeyError:
            raise KeyError(f"({metric!r}, {scope!r}) was not kept; kept: "
                           f"{', '.join(f'{m}@{s}' for m, s in self.data)}") from None

    def value(self, metric: str, scope: str = "province", year: int | None = None,
              period: tuple[int, int] | None = None) -> np.ndarray:
        """Per-draw value: a stock at the end of ``year`` or a flow summed over ``period``."""
        s = self.series(metric, scope)
        idx = {int(y): i for i, y in enumerate(self.years)}
        if _metrics.kind(metric) == "flow":
            a, b = period if period is not None else (year, year)
            return s[idx[a]: idx[b] + 1].sum(axis=0)
        return s[idx[year if year is not None else period[1]]]

    def summary(self):
        """Tidy DataFrame like :meth:`ocop_sim.results.Result.summary`: year, metric, scope, unit, stats."""
        import pandas as pd

        rows = []
        for (m, sc), s in self.data.items():
            stats = _stats(s, axis=1)
            for i, y in enumerate(self.years):
                rows.append({"year": int(y), "metric": m, "scope": sc, "unit": _metrics.unit(m),
                             **{k: float(v[i]) for k, v in stats.items()}})
        return pd.DataFrame(rows)


def simulate_summary(scenario, draws: int | None = None, seed: int | None = None,
                     metrics: tuple[str, ...] | list[str] | None = None,
                     scopes: tuple[str, ...] | list[str] | None = None,
                     sample_assumptions: bool = True, executor=None) -> SeriesResult:
    """Monte Carlo run keeping only ``metrics`` × ``scopes`` series: bounded memory, exact quantiles.

    Parameters
    ----------
    scenario : Scenario
        The resolved scenario.
    draws, seed : int, optional
        As for :func:`ocop_sim.simulate` (defaults: the scenario's).
    metrics : sequence of str, optional
        Series metrics of :data:`ocop_sim.metrics.SERIES` (default :data:`DEFAULT_METRICS`).
    scopes : sequence of str, optional
        ``province``, a region or an area id (default: ``province`` and every region).
    executor : optional
        An executor (:mod:`ocop_sim.executors`); chunks are cut at block boundaries, so results
        are identical for every executor.
    """
    seed = scenario.seed if seed is None else int(seed)
    draws = scenario.draws if draws is None else int(draws)
    metrics = tuple(metrics or DEFAULT_METRICS)
    scopes = tuple(scopes or ("province",) + tuple(dict.fromkeys(_data.areas(scenario.pack).region)))
    _check(metrics, scopes, scenario)
    if executor is None:
        parts = [summarise_draws(scenario, 0, draws, seed, sample_assumptions, metrics, scopes)]
    else:
        chunks = draw_chunks(draws, executor.workers)
        parts = executor.map(summarise_draws, [(scenario, a, b, seed, sample_assumptions, metrics, scopes)
                                               for a, b in chunks])
    data = {k: np.concatenate([p[k] for p in parts], axis=1) for k in parts[0]}
    years = np.arange(scenario.horizon.start, scenario.horizon.end + 1)
    return SeriesResult(scenario=scenario, years=years, seed=seed, draws=draws, data=data)
