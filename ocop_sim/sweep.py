"""Sweeps: one batch of runs over a grid or a Latin hypercube of levers and assumptions.

The design comes from a :class:`ocop_sim.config.Sweep` (a scenario's ``sweep:`` block).  Lever
inputs are multipliers of the lever's schedule (from ``from_year`` on, see
:func:`ocop_sim.sensitivity.scale_lever`); assumption inputs are values.  Samples are run in
chunks through an executor (:func:`ocop_sim.executors.make_executor`) where they are long enough
to pay for it (:func:`ocop_sim.executors.map_planned`); each sample is one
expected-mode run, or a Monte Carlo run with ``draws`` draws and the scenario's seed (common
random numbers across samples).

Outcomes: one row per sample (``sample``, the inputs, then per target ``<id>__value`` (expected
value or median), ``<id>__probability`` and ``<id>__met`` (probability ≥ 0.8, the "met" status)).

Rules ("which input ranges lead to missing a target"): a depth-2 classification tree on the
inputs, grown greedily by Gini impurity.  The first split is the single threshold on a single
input that best separates samples missing the target from samples meeting it; each side is
split once more the same way.  Every leaf where most samples miss the target is reported as a
rule, e.g. ``product_development_bn_vnd < 1.2 and score_base < 52.0 → missed in 18 of 20
samples (90 %)``, with its support (share of all samples) and precision (miss rate in the leaf).
A target missed (or met) by every sample gets a single rule with no condition.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .config import Scenario, Sweep
from .executors import map_planned
from .scenarios import ScenarioError
from .sensitivity import scale_lever, set_assumption
from .simulate import simulate
from .targets import COMPARISONS, MET_AT, scenario_registries, target_values


def design(sweep: Sweep):
    """The sample table (DataFrame): one column per input, one row per sample."""
    import itertools

    import pandas as pd

    names = list(sweep.levers) + list(sweep.assumptions)
    ranges = list(sweep.levers.values()) + list(sweep.assumptions.values())
    if sweep.method == "grid":
        axes = [np.linspace(r.low, r.high, r.levels) for r in ranges]
        X = np.array(list(itertools.product(*axes)), float).reshape(-1, len(names))
    else:
        from scipy.stats import qmc

        u = qmc.LatinHypercube(d=len(names), seed=sweep.seed).random(sweep.n)
        lo = np.array([r.low for r in ranges])
        hi = np.array([r.high for r in ranges])
        X = lo + u * (hi - lo)
    return pd.DataFrame(X, columns=names)


def apply_inputs(scenario: Scenario, sweep: Sweep, inputs: dict[str, float]) -> Scenario:
    """Scenario with one sample's inputs applied (levers scaled, assumptions set)."""
    sc = scenario
    for name, v in inputs.items():
        if name in sweep.levers:
            sc = scale_lever(sc, name, float(v), sweep.from_year)
        else:
            sc = set_assumption(sc, name, float(v))
    return sc


def _targets(scenario: Scenario, folder=None) -> list:
    out = []
    for reg in scenario_registries(scenario, folder):
        for t in reg.targets:
            start = t.year if t.year is not None else t.period[0]
            if start >= scenario.horizon.start and t.end_year <= scenario.horizon.end:
                out.append(t)
    return out


def run_chunk(scenario: Scenario, sweep: Sweep, rows: list[dict], targets: list) -> list[dict]:
    """Run samples ``rows`` (top-level: picklable for process and Dask executors)."""
    out = []
    for inputs in rows:
        sc = apply_inputs(scenario, sweep, inputs)
        if sweep.mode == "expected":
            r = simulate(sc, mode="expected")
        else:
            r = simulate(sc, draws=sweep.draws, seed=scenario.seed)
        rec: dict = {}
        for t in targets:
            v = target_values(r, t)
            ok = COMPARISONS[t.comparison](v, t.value) & np.isfinite(v)
            p = float(ok.mean())
            rec[f"{t.id}__value"] = float(np.nanmedian(v)) if np.isfinite(v).any() else float("nan")
            rec[f"{t.id}__probability"] = p
            rec[f"{t.id}__met"] = bool(p >= MET_AT)
        out.append(rec)
    return out


def run_sweep(scenario: Scenario, sweep: Sweep | None = None, executor=None, chunk: int | None = None,
              folder=None):
    """Run the sweep as one batch; returns the tidy outcomes DataFrame (row i = sample i).

    With an ``executor`` the first samples run here, timed, and the rest run serially or in chunks
    over the executor, whichever the measured cost says is faster
    (:func:`ocop_sim.executors.map_planned`; the decision is logged on ``ocop_sim.executors``).
    ``chunk``: samples per chunk instead, every chunk mapped over the executor.  The outcomes do
    not depend on either.
    """
    import pandas as pd


    sweep = sweep if sweep is not None else scenario.sweep
    if sweep is None:
        raise ScenarioError(scenario.name, "sweep", "expected a 'sweep:' block in the scenario")
    if sweep.from_year is not None and not scenario.horizon.start <= sweep.from_year <= scenario.horizon.end:
        raise ScenarioError(scenario.name, "sweep.from_year", f"expected a year in {scenario.horizon.start}.."
                            f"{scenario.horizon.end}, got {sweep.from_year}")
    X = design(sweep)
    targets = _targets(scenario, folder)
    rows = X.to_dict("records")
    if chunk:  # the caller's chunking: every chunk through the executor
        chunks = [rows[i:i + chunk] for i in range(0, len(rows), chunk)]
        args = [(scenario, sweep, c, targets) for c in chunks]
        parts = [run_chunk(*a) for a in args] if executor is None else executor.map(run_chunk, args)
    else:  # a timed pilot here, then the rest serially or in chunks over the executor (by cost)
        parts = map_planned(executor, run_chunk, len(rows), lambda a, b: (scenario, sweep, rows[a:b], targets),
                            what="sweep samples")
    recs = [r for p in parts for r in p]
    out = pd.concat([X.reset_index(drop=True), pd.DataFrame(recs)], axis=1)
    out.insert(0, "sample", np.arange(len(out)))
    return out


# ----------------------------------------------------------------------------- rule finding


def _gini(y: np.ndarray) -> float:
    if len(y) == 0:
        return 0.0
    p = y.mean()
    return 2 * p * (1 - p)


def best_split(X: np.ndarray, y: np.ndarray, names: list[str], min_leaf: int = 2):
    """Best single threshold (input, threshold) by Gini impurity decrease; None if no gain."""
    n = len(y)
    base = _gini(y)
    best = None
    for j, name in enumerate(names):
        order = np.argsort(X[:, j], kind="stable")
        xs, ys = X[order, j], y[order].astype(float)
        cum = np.cumsum(ys)
        for i in range(min_leaf, n - min_leaf + 1):  # left = first i samples
            if xs[i - 1] == xs[i]:
                continue
            pl = cum[i - 1] / i
            pr = (cum[-1] - cum[i - 1]) / (n - i)
            imp = (i * 2 * pl * (1 - pl) + (n - i) * 2 * pr * (1 - pr)) / n
            gain = base - imp
            if gain > 1e-12 and (best is None or gain > best[0] + 1e-12):
                best = (gain, j, 0.5 * (xs[i - 1] + xs[i]))
    return best


@dataclass(frozen=True)
class Rule:
    target: str
    conditions: tuple[str, ...]
    missed: int
    samples: int
    total: int

    @property
    def precision(self) -> float:
        return self.missed / self.samples if self.samples else float("nan")

    @property
    def support(self) -> float:
        return self.samples / self.total if self.total else float("nan")

    def text(self) -> str:
        cond = " and ".join(self.conditions) if self.conditions else "always"
        return (f"{self.target}: {cond} → missed in {self.missed} of {self.samples} samples "
                f"({100 * self.precision:.0f} %; support {100 * self.support:.0f} % of all samples)")


def _fmt(v: float) -> str:
    return f"{v:.4g}"


def find_rules(outcomes, inputs: list[str], target: str, depth: int = 2, min_leaf: int = 2) -> list[Rule]:
    """Leaves of a depth-``depth`` Gini tree where most samples miss ``target`` (module docstring)."""
    X = outcomes[inputs].to_numpy(float)
    y = ~outcomes[f"{target}__met"].to_numpy(bool)  # 1 = missed
    total = len(y)
    rules: list[Rule] = []

    def grow(idx: np.ndarray, conds: tuple[str, ...], d: int) -> None:
        yy = y[idx]
        split = best_split(X[idx], yy, inputs, min_leaf) if d < depth and 0 < yy.sum() < len(yy) else None
        if split is None:
            if len(yy) and yy.mean() > 0.5:
                rules.append(Rule(target, conds, int(yy.sum()), len(yy), total))
            return
        _, j, thr = split
        left = idx[X[idx, j] < thr]
        right = idx[X[idx, j] >= thr]
        grow(left, conds + (f"{inputs[j]} < {_fmt(thr)}",), d + 1)
        grow(right, conds + (f"{inputs[j]} ≥ {_fmt(thr)}",), d + 1)

    grow(np.arange(total), (), 0)
    return sorted(rules, key=lambda r: (-r.missed, -r.precision))


def rules_table(outcomes, sweep: Sweep, depth: int = 2):
    """Rules for every target of the outcomes table (DataFrame: target, rule, missed, samples, ...)."""
    import pandas as pd

    inputs = list(sweep.levers) + list(sweep.assumptions)
    targets = [c[:-5] for c in outcomes.columns if c.endswith("__met")]
    rows = []
    for t in targets:
        n_missed = int((~outcomes[f"{t}__met"].astype(bool)).sum())
        for r in find_rules(outcomes, inputs, t, depth):
            rows.append({"target": t, "rule": " and ".join(r.conditions) or "always", "missed": r.missed,
                         "samples": r.samples, "precision": r.precision, "support": r.support,
                         "missed_total": n_missed, "text": r.text()})
    return pd.DataFrame(rows, columns=["target", "rule", "missed", "samples", "precision", "support",
                                       "missed_total", "text"])


RULES_EXPLANATION = (
    "Rules: a depth-2 classification tree per target, grown greedily by Gini impurity on the swept "
    "inputs (first the single input threshold that best separates samples missing the target from "
    "samples meeting it, then one more split on each side). Each leaf where most samples miss the "
    "target is a rule; 'precision' = share of the leaf's samples that miss, 'support' = share of all "
    "samples in the leaf. 'Met' means probability >= 0.8 (in the expected mode: the expected value "
    "meets the target).")
