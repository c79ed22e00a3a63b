"""Sensitivity analysis: one-at-a-time tornado, Morris screening and Sobol indices (SALib).

Inputs ("factors") are every assumption of :class:`ocop_sim.config.Assumptions` and every lever
of :class:`ocop_sim.config.Levers`:

* an assumption with an uncertainty distribution (schema default or the scenario's
  ``uncertainty``) moves between the distribution's P10 and P90; an assumption without one moves
  to ×0.75 and ×1.25 of its value (a year-valued one by ±2 years), clipped to its bounds (the
  bounds themselves are physical limits, e.g. 0–5000 candidates, not plausible ranges);
* a schedule lever (budget line or count) is multiplied by 0.5 and 1.5 in every year (counts
  rounded to whole numbers), clipped to ``[0, MAX_BUDGET_BN_VND]``; ``training_share_officials``
  by 0.5 / 1.5 clipped to [0, 1].

All runs use the **expected mode** (one deterministic run of ~6 ms): sensitivity of the expected
trajectory to its inputs, without Monte Carlo noise.  A tornado of the baseline takes ~0.7 s
(2 runs per factor, 57 factors).  Morris and Sobol sample the same factors in the same ranges
(uniformly); Sobol uses Saltelli sampling with ``n`` base samples, i.e. ``n·(2k+2)`` runs for
``k`` factors, so by default it is restricted to the ``top`` factors of the tornado.  Indices are
computed for every requested year from the same runs (importance shift over time), with
bootstrap confidence intervals (95 %) from SALib.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np

from . import data as _data
from .config import (ALL_SCHEDULES, ASSUMPTION_NAMES, COUNT_LEVERS, MAX_BUDGET_BN_VND, SCHEDULE_LEVERS, Scenario,
                     assumption_meta, schedule_value)
from .executors import map_planned
from .metrics import GLOSSARY
from .scenarios import ScenarioError, derive
from .simulate import effective_scenario, simulate, simulate_variants

#: Multipliers of a lever's schedule for the tornado (low, high).
LEVER_LOW, LEVER_HIGH = 0.5, 1.5
#: Multipliers of an assumption without distribution for the tornado (low, high).
ASSUMPTION_LOW, ASSUMPTION_HIGH = 0.75, 1.25
#: Shift of a year-valued assumption without distribution (e.g. first_evaluation_year) [years].
YEAR_SHIFT = 2.0
LEVER_NAMES: tuple[str, ...] = ALL_SCHEDULES  # from the lever registry (ocop_sim.levers)


@dataclass(frozen=True)
class Factor:
    """One input of the sensitivity analysis: ``kind`` is "assumption" or "lever".

    For an assumption ``low``/``high`` are values (its unit); for a lever they are multipliers of
    its schedule [-].
    """

    name: str
    kind: str
    low: float
    high: float
    base: float


def _dist_range(dist, meta: dict) -> tuple[float, float]:
    """P10 and P90 of a distribution (clipped to the assumption's bounds); no scipy.stats import."""
    t = dist.type
    if t == "uniform":
        lo, hi = dist.low + 0.1 * (dist.high - dist.low), dist.low + 0.9 * (dist.high - dist.low)
    elif t == "triangular":
        a, c, b = dist.low, dist.mode, dist.high
        fc = (c - a) / (b - a)

        def ppf(q: float) -> float:
            if q < fc:
                return a + math.sqrt(q * (b - a) * (c - a))
            return b - math.sqrt((1 - q) * (b - a) * (b - c))
        lo, hi = ppf(0.1), ppf(0.9)
    elif t == "normal":
        lo, hi = dist.mean - 1.2815516 * dist.sd, dist.mean + 1.2815516 * dist.sd
    else:  # beta
        from scipy.special import betaincinv

        q = betaincinv(dist.a, dist.b, np.array([0.1, 0.9]))
        lo, hi = dist.low + q[0] * (dist.high - dist.low), dist.low + q[1] * (dist.high - dist.low)
    return max(float(lo), meta["low"]), min(float(hi), meta["high"])


def factors(scenario: Scenario, assumptions: bool = True, levers: bool = True) -> list[Factor]:
    """All factors of ``scenario`` with their low/high (see the module docstring)."""
    out: list[Factor] = []
    if assumptions:
        dists = scenario.distributions()
        for name in ASSUMPTION_NAMES:
            meta = assumption_meta(name)
            v = float(getattr(scenario.assumptions, name))
            if name in dists:
                lo, hi = _dist_range(dists[name], meta)
            elif meta["unit"] == "year":
                lo, hi = max(meta["low"], v - YEAR_SHIFT), min(meta["high"], v + YEAR_SHIFT)
            else:
                lo = max(meta["low"], v * ASSUMPTION_LOW)
                hi = min(meta["high"], v * ASSUMPTION_HIGH)
            if hi > lo:
                out.append(Factor(name, "assumption", float(lo), float(hi), v))
    if levers:
        for name in LEVER_NAMES:
            out.append(Factor(name, "lever", LEVER_LOW, LEVER_HIGH, 1.0))
    return out


def scale_lever(scenario: Scenario, name: str, factor: float, from_year: int | None = None) -> Scenario:
    """Scenario with lever ``name``'s schedule multiplied by ``factor`` [-].

    With ``from_year`` only the level from that year on is scaled (the schedule before is kept;
    a key at ``from_year`` is inserted with the scaled level in force then).  Values are clipped
    to ``[0, MAX_BUDGET_BN_VND]``; count levers are rounded to whole numbers;
    ``training_share_officials`` (a schedule of shares) is clipped to [0, 1].
    """
    lev = scenario.levers
    if name not in LEVER_NAMES:
        raise KeyError(name)
    high = 1.0 if name == "training_share_officials" else MAX_BUDGET_BN_VND
    sched = dict(getattr(lev, name))
    if from_year is None:
        keys = list(sched)
    else:
        if from_year not in sched:
            sched[from_year] = schedule_value(sched, from_year)
            sched = dict(sorted(sched.items()))
        keys = [k for k in sched if k >= from_year]
    for k in keys:
        v = min(max(sched[k] * factor, 0.0), high)
        sched[k] = float(round(v)) if name in COUNT_LEVERS else float(v)
    return derive(scenario, {"levers": {name: sched}})


def set_assumption(scenario: Scenario, name: str, value: float) -> Scenario:
    """Scenario with one assumption changed (validated: ``value`` must be within bounds).

    The star thresholds are kept ordered by nudging the changed one inside its neighbours.
    """
    a = scenario.assumptions
    if name.startswith("threshold_"):
        t3, t4, t5 = a.threshold_3star, a.threshold_4star, a.threshold_5star
        eps = 0.01
        if name == "threshold_3star":
            value = min(value, t4 - eps)
        elif name == "threshold_4star":
            value = min(max(value, t3 + eps), t5 - eps)
        else:
            value = max(value, t4 + eps)
    return derive(scenario, {"assumptions": {name: float(value)}})


def apply_factor(scenario: Scenario, f: Factor, value: float, from_year: int | None = None) -> Scenario:
    """Set factor ``f`` to ``value`` (assumption value, or lever multiplier)."""
    if f.kind == "lever":
        return scale_lever(scenario, f.name, value, from_year)
    return set_assumption(scenario, f.name, value)


def check_metric(scenario: Scenario, metric: str, scope: str, years) -> None:
    """Raise :class:`ScenarioError`-compatible ValueError for unknown metric/scope/years."""
    if metric not in GLOSSARY:
        raise ScenarioError("--metric", "metric", f"expected one of {', '.join(GLOSSARY)}, got {metric!r}")
    if scope not in _data.areas(scenario.pack).scopes:
        raise ScenarioError("--scope", "scope", f"expected a scope of {scenario.pack}, got {scope!r}")
    for y in years:
        if not scenario.horizon.start <= int(y) <= scenario.horizon.end:
            raise ScenarioError("--year", "year", f"expected a year in {scenario.horizon.start}.."
                                f"{scenario.horizon.end}, got {y}")


def _per_year(r, metric: str, scope: str, years) -> np.ndarray:
    """Values (len(years) × draws) of ``metric``: stocks at year end, flows within the year."""
    kind = _kind(metric)
    if kind in ("flow", "flow_ratio"):
        return np.array([r.value(metric, scope, period=(int(y), int(y))) for y in years], dtype=float)
    return np.array([r.value(metric, scope, year=int(y)) for y in years], dtype=float)


def _value(scenario: Scenario, metric: str, scope: str, years) -> np.ndarray:
    return _per_year(simulate(scenario, mode="expected"), metric, scope, years)[:, 0]


def _kind(metric: str) -> str:
    return GLOSSARY[metric]["kind"]


def tornado(scenario: Scenario, metric: str, year: int, scope: str = "province", assumptions: bool = True,
            levers: bool = True):
    """One-at-a-time tornado (expected mode) of ``metric`` in ``year``.

    Returns a DataFrame sorted by swing (largest first) with columns ``name``, ``kind``
    (assumption/lever), ``low``, ``high`` (input values; multipliers for levers), ``base``,
    ``value_low``, ``value_high``, ``value_base`` (metric values, the metric's unit) and
    ``swing`` = |value_high − value_low|.  Flows are read over the single year ``year``.
    About 0.7 s for the baseline (115 expected runs).
    """
    return tornados(scenario, metric, [year], scope, assumptions, levers)[int(year)]


def tornados(scenario: Scenario, metric: str, years, scope: str = "province", assumptions: bool = True,
             levers: bool = True) -> dict:
    """:func:`tornado` for several years from the same runs (two expected runs per factor in all):
    ``{year: DataFrame}``.  The scenario report's "key sensitivities" use it for 2025 and 2035."""
    import pandas as pd

    years = [int(y) for y in years]
    check_metric(scenario, metric, scope, years)
    scenario = effective_scenario(scenario)  # factors vary around the values the run uses
    base = _value(scenario, metric, scope, years)
    rows: dict[int, list] = {y: [] for y in years}
    fs = factors(scenario, assumptions, levers)
    # assumptions: every low/high variant as one vectorised batch (rows at the base values but one)
    af = [f for f in fs if f.kind == "assumption"]
    batch: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    if af:
        X = np.tile([f.base for f in af], (2 * len(af), 1))
        for j, f in enumerate(af):
            X[2 * j, j], X[2 * j + 1, j] = f.low, f.high
        vals = eval_rows(scenario, af, metric, scope, years, X)  # rows × years
        batch = {f.name: (vals[2 * j], vals[2 * j + 1]) for j, f in enumerate(af)}
    for f in fs:
        if f.kind == "assumption":
            vl, vh = batch[f.name]
        else:
            vl = _value(apply_factor(scenario, f, f.low), metric, scope, years)
            vh = _value(apply_factor(scenario, f, f.high), metric, scope, years)
        for i, y in enumerate(years):
            rows[y].append({"name": f.name, "kind": f.kind, "low": f.low, "high": f.high, "base": f.base,
                            "value_low": float(vl[i]), "value_high": float(vh[i]), "value_base": float(base[i]),
                            "swing": abs(float(vh[i]) - float(vl[i]))})
    return {y: pd.DataFrame(r).sort_values("swing", ascending=False, kind="stable").reset_index(drop=True)
            for y, r in rows.items()}


# ----------------------------------------------------------------------------- global (SALib)


def problem(fs: list[Factor]) -> dict:
    """SALib problem dictionary for the factors ``fs`` (uniform on [low, high])."""
    return {"num_vars": len(fs), "names": [f.name for f in fs], "bounds": [[f.low, f.high] for f in fs]}


def _outputs(func: Callable[[np.ndarray], np.ndarray], X: np.ndarray, outputs) -> tuple[np.ndarray, list]:
    """``func(X)`` as a 2-D array (samples × outputs) and the outputs' labels (default 0, 1, …)."""
    Y = np.asarray(func(X), float)
    if Y.ndim == 1:
        Y = Y[:, None]
    return Y, (list(outputs) if outputs is not None else list(range(Y.shape[1])))


def sobol_indices(func: Callable[[np.ndarray], np.ndarray], prob: dict, n: int = 256, seed: int = 0,
                  outputs: list | None = None, second_order: bool = False):
    """Sobol indices of a vectorised model ``func(X) -> Y`` (X: samples × factors; Y: samples ×
    outputs, or a vector) through SALib (Saltelli/Sobol' sampling, Jansen estimators, bootstrap
    95 % confidence intervals).

    Returns a tidy DataFrame: output, name, S1, S1_conf, ST, ST_conf.
    """
    import pandas as pd
    from SALib.analyze import sobol as sobol_analyze
    from SALib.sample import sobol as sobol_sample

    X = sobol_sample.sample(prob, n, calc_second_order=second_order, seed=seed)
    Y, outputs = _outputs(func, X, outputs)
    rows = []
    for j, out in enumerate(outputs):
        y = Y[:, j]
        if np.ptp(y) == 0:
            res = {"S1": np.zeros(prob["num_vars"]), "S1_conf": np.zeros(prob["num_vars"]),
                   "ST": np.zeros(prob["num_vars"]), "ST_conf": np.zeros(prob["num_vars"])}
        else:
            res = sobol_analyze.analyze(prob, y, calc_second_order=second_order, seed=seed)
        for i, name in enumerate(prob["names"]):
            rows.append({"output": out, "name": name, "S1": float(res["S1"][i]), "S1_conf": float(res["S1_conf"][i]),
                         "ST": float(res["ST"][i]), "ST_conf": float(res["ST_conf"][i])})
    return pd.DataFrame(rows)


def morris_indices(func: Callable[[np.ndarray], np.ndarray], prob: dict, trajectories: int = 20, levels: int = 4,
                   seed: int = 0, outputs: list | None = None):
    """Morris elementary effects (SALib): output, name, mu_star, mu_star_conf, sigma."""
    import pandas as pd
    from SALib.analyze import morris as morris_analyze
    from SALib.sample import morris as morris_sample

    X = morris_sample.sample(prob, trajectories, num_levels=levels, seed=seed)
    Y, outputs = _outputs(func, X, outputs)
    rows = []
    for j, out in enumerate(outputs):
        res = morris_analyze.analyze(prob, X, Y[:, j], num_levels=levels, seed=seed)
        for i, name in enumerate(prob["names"]):
            rows.append({"output": out, "name": name, "mu_star": float(res["mu_star"][i]),
                         "mu_star_conf": float(res["mu_star_conf"][i]), "sigma": float(res["sigma"][i])})
    return pd.DataFrame(rows)


def eval_rows(scenario: Scenario, fs: list[Factor], metric: str, scope: str, years, X: np.ndarray) -> np.ndarray:
    """Metric values (rows of ``X`` × years) with the factors ``fs`` set to each row of ``X``.

    Top-level (picklable): executors run chunks of rows.  When every factor is an assumption the
    rows run as one vectorised expected batch (:func:`ocop_sim.simulate.simulate_variants`), else
    one expected run per row.
    """
    X = np.atleast_2d(np.asarray(X, dtype=float))
    if all(f.kind == "assumption" for f in fs):
        scenario = effective_scenario(scenario)  # the others stay as the scenario's run has them
        names = sorted({f.name for f in fs} | {n for n in ASSUMPTION_NAMES if n.startswith("threshold_")})
        over = {n: np.empty(len(X)) for n in names}
        for i, x in enumerate(X):
            sc = scenario
            for f, v in zip(fs, x):
                sc = set_assumption(sc, f.name, float(v))  # keeps the thresholds ordered
            for n in names:
                over[n][i] = float(getattr(sc.assumptions, n))
        return _per_year(simulate_variants(scenario, over), metric, scope, years).T
    out = np.empty((len(X), len(years)))
    for i, x in enumerate(X):
        sc = scenario
        for f, v in zip(fs, x):
            sc = apply_factor(sc, f, float(v))
        out[i] = _value(sc, metric, scope, years)
    return out


def _model_func(scenario: Scenario, fs: list[Factor], metric: str, scope: str, years, executor=None) -> Callable:
    """``func(X)`` for SALib: the rows of ``X`` evaluated by :func:`eval_rows`; with an executor, a
    timed pilot of rows runs here and the rest serially or in chunks over the executor, whichever
    the measured cost says is faster (:func:`ocop_sim.executors.map_planned`)."""
    def func(X: np.ndarray) -> np.ndarray:
        X = np.atleast_2d(np.asarray(X, float))
        if executor is None or getattr(executor, "workers", 1) <= 1 or len(X) < 2:
            return eval_rows(scenario, fs, metric, scope, years, X)
        parts = map_planned(executor, eval_rows, len(X), lambda a, b: (scenario, fs, metric, scope, years, X[a:b]),
                            what="sensitivity rows")
        return np.vstack(parts)
    return func


def global_indices(scenario: Scenario, metric: str, years, method: str = "sobol", n: int = 64,
                   scope: str = "province", top: int | None = 8, seed: int = 0, fs: list[Factor] | None = None,
                   executor=None):
    """Morris or Sobol indices of ``metric`` per year (expected mode).

    ``top``: keep the ``top`` factors of the OAT tornado at the last year (None: all factors).
    Sobol runs ``n·(2k+2)`` simulations, Morris ``n·(k+1)`` (``n`` trajectories).
    Returns a tidy DataFrame with a ``year`` column (see :func:`sobol_indices`, :func:`morris_indices`).
    ``executor`` (:func:`ocop_sim.executors.make_executor`) evaluates chunks of the sample in parallel;
    the indices do not depend on it.
    """
    years = [int(y) for y in years]
    check_metric(scenario, metric, scope, years)
    if fs is None:
        fs = factors(scenario)
        if top is not None:
            keep = list(tornado(scenario, metric, max(years), scope)["name"][:top])
            fs = [f for f in fs if f.name in keep]
    prob = problem(fs)
    func = _model_func(scenario, fs, metric, scope, years, executor)
    if method == "sobol":
        n2 = 2 ** max(1, math.ceil(math.log2(max(n, 2))))
        df = sobol_indices(func, prob, n2, seed, outputs=years)
    elif method == "morris":
        df = morris_indices(func, prob, max(n, 2), seed=seed, outputs=years)
    else:
        raise ValueError(f"method: expected oat, morris or sobol, got {method!r}")
    return df.rename(columns={"output": "year"})


def ishigami(X: np.ndarray, a: float = 7.0, b: float = 0.1) -> np.ndarray:
    """Ishigami test function on [-π, π]³ (analytic Sobol indices in :data:`ISHIGAMI_INDICES`)."""
    return np.sin(X[:, 0]) + a * np.sin(X[:, 1]) ** 2 + b * X[:, 2] ** 4 * np.sin(X[:, 0])


def _ishigami_indices(a: float = 7.0, b: float = 0.1) -> dict[str, np.ndarray]:
    pi = math.pi
    v1 = 0.5 * (1 + b * pi ** 4 / 5) ** 2
    v2 = a ** 2 / 8
    v13 = b ** 2 * pi ** 8 * (1 / 18 - 1 / 50)
    v = v1 + v2 + v13
    return {"S1": np.array([v1, v2, 0.0]) / v, "ST": np.array([v1 + v13, v2, v13]) / v}


#: Analytic first-order and total Sobol indices of :func:`ishigami` (a=7, b=0.1).
ISHIGAMI_INDICES = _ishigami_indices()
