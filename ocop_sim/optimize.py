"""Budget optimisation: the split of a fixed yearly budget across the budget lines
(:data:`ocop_sim.config.BUDGET_LINES`, generated from the lever registry).

From ``from_year`` (default: the horizon's first year) every budget line is held at a constant
level ``x_i`` [bn VND/year] with ``Σ x_i = budget`` and ``x_i ≥ min_i``; earlier years keep the
scenario's schedule.

Objective (``targets_met``): the expected number of targets met, Σ_j P(target j met), over the
targets inside the horizon whose end year is ≥ ``from_year``; ``weighted``: Σ_j w_j P_j with
user weights (unlisted targets weigh 0).

Method.  In the expected mode a target is met or not (0/1), a step function no gradient-based
optimiser can climb; Monte Carlo probabilities with common random numbers are also piecewise
constant.  So the search uses a **smooth surrogate**: P_j ≈ Φ((v_j(x) − T_j)/σ_j) (sign flipped
for "≤" targets), where v_j(x) is the expected-mode value (one ~6 ms run) and σ_j the spread
(standard deviation) of the target's metric in a Monte Carlo run of the scenario itself
(floored at 2 % of |T_j|).  SLSQP maximises it on the simplex from several starts (the
scenario's own shares, the equal split, the best of random Dirichlet splits).  The candidates are
then scored by the real objective, Monte Carlo with ``draws`` draws and the same seed (common
random numbers); the best one is polished by a pattern search on that objective (move 20 %, then
5 %, of the budget from one line to another while the objective rises).  The result is never
worse than the equal split or the scenario's shares on the objective it reports.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .config import BUDGET_LINES, MAX_BUDGET_BN_VND, Scenario, schedule_value
from .i18n import fmt_number
from .i18n import t as _t  # "t" is the loop name of a target here
from .scenarios import ScenarioError, derive
from .simulate import simulate
from .targets import COMPARISONS, scenario_registries, target_values


def set_split(scenario: Scenario, x, from_year: int | None = None) -> Scenario:
    """Scenario with budget line ``i`` held at ``x[i]`` [bn VND/year] from ``from_year`` on."""
    fy = scenario.horizon.start if from_year is None else int(from_year)
    upd = {}
    for line, v in zip(BUDGET_LINES, x):
        old = getattr(scenario.levers, line)
        sched = {k: val for k, val in old.items() if k < fy}
        sched[fy] = float(min(max(v, 0.0), MAX_BUDGET_BN_VND))
        upd[line] = sched
    return derive(scenario, {"levers": upd})


def own_split(scenario: Scenario, from_year: int | None = None) -> np.ndarray:
    """The scenario's budget lines in ``from_year`` [bn VND/year]."""
    fy = scenario.horizon.start if from_year is None else int(from_year)
    return np.array([schedule_value(getattr(scenario.levers, line), fy) for line in BUDGET_LINES])


def relevant_targets(scenario: Scenario, from_year: int | None = None, folder=None) -> list:
    """Targets inside the horizon whose end year is ≥ ``from_year`` (others cannot change)."""
    fy = scenario.horizon.start if from_year is None else int(from_year)
    out = []
    for reg in scenario_registries(scenario, folder):
        for t in reg.targets:
            start = t.year if t.year is not None else t.period[0]
            if start >= scenario.horizon.start and t.end_year <= scenario.horizon.end and t.end_year >= fy:
                out.append(t)
    return out


def headline_target(targets: list):
    """Products at 3★+ headline target (the earliest), else the first headline, else the first."""
    heads = [t for t in targets if t.headline]
    for t in sorted(heads, key=lambda t: t.end_year):
        if t.metric == "products_3star_plus":
            return t
    return heads[0] if heads else (targets[0] if targets else None)


def check_inputs(scenario: Scenario, budget: float, mins: dict[str, float], from_year: int | None) -> None:
    if not np.isfinite(budget) or budget < 0:
        raise ScenarioError("--budget", "budget", f"expected a budget >= 0 bn VND/year, got {budget}")
    if budget > MAX_BUDGET_BN_VND * len(BUDGET_LINES):
        raise ScenarioError("--budget", "budget", f"expected at most {MAX_BUDGET_BN_VND * len(BUDGET_LINES):g}, "
                            f"got {budget}")
    for k, v in mins.items():
        if k not in BUDGET_LINES:
            import difflib

            close = difflib.get_close_matches(k, BUDGET_LINES, n=1, cutoff=0.5)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ScenarioError("--min-line", k, f"expected one of {', '.join(BUDGET_LINES)}{hint}, got {k!r}")
        if not np.isfinite(v) or v < 0:
            raise ScenarioError("--min-line", k, f"expected a minimum >= 0, got {v}")
    if sum(mins.values()) > budget + 1e-9:
        raise ScenarioError("--min-line", "min-line", f"expected minimums summing to at most the budget {budget:g}, "
                            f"got {sum(mins.values()):g}")
    if from_year is not None and not scenario.horizon.start <= from_year <= scenario.horizon.end:
        raise ScenarioError("--from-year", "from_year", f"expected a year in {scenario.horizon.start}.."
                            f"{scenario.horizon.end}, got {from_year}")


def check_weights(weights: dict[str, float], targets: list, label: str = "--weights") -> None:
    ids = {t.id for t in targets}
    for k, v in weights.items():
        if k not in ids:
            raise ScenarioError(label, str(k), f"expected a target id with end year >= from-year, got {k!r}")
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not np.isfinite(v) or v < 0:
            raise ScenarioError(label, str(k), f"expected a weight >= 0, got {v!r}")


def _mc_probs(scenario: Scenario, targets: list, draws: int, seed: int) -> np.ndarray:
    r = simulate(scenario, draws=draws, seed=seed)
    out = []
    for t in targets:
        v = target_values(r, t)
        out.append(float(np.mean(COMPARISONS[t.comparison](v, t.value) & np.isfinite(v))))
    return np.array(out)


@dataclass(frozen=True)
class OptimizeResult:
    """Best split and comparisons; every probability is Monte Carlo (``draws``, ``seed``, CRN)."""

    allocation: dict[str, float]
    objective: float
    objective_equal: float
    objective_own: float
    table: object = field(repr=False)     # per target: probability best / own / equal split
    frontier: object = field(repr=False)  # budget, probability of the headline target, allocation
    headline: str | None = None
    scenario: Scenario | None = field(default=None, repr=False)
    method: str = ""


def optimize(scenario: Scenario, budget: float, objective: str = "targets_met", weights: dict | None = None,
             min_line: dict[str, float] | None = None, from_year: int | None = None, draws: int = 200,
             seed: int | None = None, starts: int = 20, frontier: list[float] | None = (0.25, 0.5, 1.0, 1.5, 2.0),
             polish: int = 2, folder=None, lines: tuple[str, ...] | None = None) -> OptimizeResult:
    """Best split of ``budget`` [bn VND/year] across :data:`BUDGET_LINES` (see the module docstring).

    ``lines``: the budget lines the budget above the minimums may go to (default: all); the
    others stay at their minimum (``min_line``, else 0).  The "equal split" is then equal over them.

    ``polish``: rounds of the pattern search on the Monte Carlo objective per step size (0: none;
    each round costs 30 Monte Carlo runs).
    ``frontier``: budget multipliers for the cost-versus-probability frontier of the headline
    target (each point re-optimised for that target alone); None skips it.
    """
    import pandas as pd
    from scipy.optimize import minimize
    from scipy.special import ndtr

    mins = dict(min_line or {})
    check_inputs(scenario, budget, mins, from_year)
    for k in lines or ():
        if k not in BUDGET_LINES:
            check_inputs(scenario, budget, {k: 0.0}, from_year)  # the same "did you mean" error
    movable = np.array([line in (BUDGET_LINES if lines is None else lines) for line in BUDGET_LINES])
    if not movable.any():
        raise ScenarioError("lines", "lines", f"expected at least one of {', '.join(BUDGET_LINES)}, got none")
    targets = relevant_targets(scenario, from_year, folder)
    if not targets:
        raise ScenarioError("--from-year", "from_year", "expected at least one target ending at or after from-year")
    if objective == "weighted":
        if not weights:
            raise ScenarioError("--weights", "weights", "expected a weights file with objective 'weighted'")
        check_weights(weights, targets)
        w = np.array([float(weights.get(t.id, 0.0)) for t in targets])
    elif objective == "targets_met":
        w = np.ones(len(targets))
    else:
        raise ScenarioError("--objective", "objective", f"expected targets_met or weighted, got {objective!r}")
    seed = scenario.seed if seed is None else int(seed)
    lo = np.array([mins.get(line, 0.0) for line in BUDGET_LINES])
    free = budget - lo.sum()

    # spread of each target's metric in the scenario's own Monte Carlo run (surrogate scale)
    r0 = simulate(scenario, draws=draws, seed=seed)
    sd = np.array([float(np.nanstd(target_values(r0, t))) for t in targets])
    tv = np.array([t.value for t in targets])
    sd = np.maximum(sd, 0.02 * np.maximum(np.abs(tv), 1e-6))
    sign = np.array([-1.0 if t.comparison in ("<=", "<") else 1.0 for t in targets])

    def surrogate(shares: np.ndarray, weights_: np.ndarray, total_free: float) -> float:
        x = lo + total_free * np.clip(shares, 0, None) / max(np.sum(np.clip(shares, 0, None)), 1e-12)
        r = simulate(set_split(scenario, x, from_year), mode="expected")
        v = np.array([float(target_values(r, t)[0]) for t in targets])
        return float(np.sum(weights_ * ndtr(sign * (v - tv) / sd)))

    def solve(weights_: np.ndarray, total_free: float, x0s: list[np.ndarray]) -> list[np.ndarray]:
        outs = []
        if total_free <= 0:
            return [eq_sh]
        for s0 in x0s:
            res = minimize(lambda s: -surrogate(s, weights_, total_free), s0, method="SLSQP",
                           bounds=[(0.0, 1.0 if m else 0.0) for m in movable],
                           constraints=[{"type": "eq", "fun": lambda s: np.sum(s) - 1.0}],
                           options={"maxiter": 40, "eps": 1e-3, "ftol": 1e-6})
            s = np.clip(res.x, 0, None)
            outs.append(s / s.sum() if s.sum() > 0 else eq_sh)
        return outs

    n = len(BUDGET_LINES)
    own = own_split(scenario, from_year)
    eq_sh = movable / movable.sum()
    own = own * movable  # lines that may not move have no share of the budget above the minimums
    own_sh = own / own.sum() if own.sum() > 0 else eq_sh
    rng = np.random.default_rng(seed)
    rand = rng.dirichlet(np.ones(n), size=max(starts, 1))
    if not movable.all():
        rand = rand * movable / (rand * movable).sum(axis=1, keepdims=True)
    best_rand = max(rand, key=lambda s: surrogate(s, w, free))
    cands = [own_sh, eq_sh, best_rand] + solve(w, free, [own_sh, eq_sh, best_rand])

    def alloc(shares: np.ndarray, total_free: float = free) -> np.ndarray:
        return lo + total_free * shares

    scored = []
    for s in cands:
        p = _mc_probs(set_split(scenario, alloc(s), from_year), targets, draws, seed)
        scored.append((float(np.sum(w * p)), s, p))
    best_obj, best_sh, best_p = max(scored, key=lambda z: z[0])
    # polish on the real objective (Monte Carlo, CRN): move a share of the free budget from one
    # line to another while that raises the objective (pattern search, steps 20 % then 5 %)
    for step in (0.2, 0.05)[: 2 if polish else 0]:
        for _ in range(polish):
            moves = []
            for i in range(n):
                for j in range(n):
                    if i != j and movable[i] and movable[j] and best_sh[i] >= step - 1e-12:
                        s = best_sh.copy()
                        s[i] -= step
                        s[j] += step
                        moves.append(s)
            if free <= 0 or not moves:
                break
            tried = [(float(np.sum(w * (p := _mc_probs(set_split(scenario, alloc(s), from_year), targets, draws,
                                                         seed)))), s, p) for s in moves]
            top = max(tried, key=lambda z: z[0])
            if top[0] <= best_obj + 1e-12:
                break
            best_obj, best_sh, best_p = top
    eq_obj, _, eq_p = scored[1]
    own_p = _mc_probs(scenario, targets, draws, seed)
    table = pd.DataFrame({"id": [t.id for t in targets], "when": [t.when for t in targets],
                          "weight": w, "probability_best": best_p, "probability_own": own_p,
                          "probability_equal": eq_p})
    head = headline_target(targets)
    fr = None
    if frontier and head is not None:
        hw = np.array([1.0 if t.id == head.id else 0.0 for t in targets])
        rows = []
        for m in frontier:
            b = budget * float(m)
            f_free = b - lo.sum()
            if f_free < 0:
                continue
            sh = max(solve(hw, f_free, [best_sh]) + [best_sh], key=lambda s: surrogate(s, hw, f_free))
            x = lo + f_free * sh
            p = _mc_probs(set_split(scenario, x, from_year), [head], draws, seed)[0]
            rows.append({"budget": b, "probability": p, **dict(zip(BUDGET_LINES, map(float, x)))})
        fr = pd.DataFrame(rows)
    best_x = alloc(best_sh)
    return OptimizeResult(allocation=dict(zip(BUDGET_LINES, map(float, best_x))), objective=best_obj,
                          objective_equal=eq_obj, objective_own=float(np.sum(w * own_p)), table=table,
                          frontier=fr, headline=head.id if head is not None else None,
                          scenario=set_split(scenario, best_x, from_year),
                          method="SLSQP on a smooth surrogate (expected mode), then pattern search on Monte Carlo with CRN")


def format_result(r: OptimizeResult, lang: str = "en") -> str:
    lines = [_t("opt_allocation", lang) + ":"]
    for k, v in r.allocation.items():
        lines.append(f"  {_t(k, lang):<40} {fmt_number(v, lang, 2):>10}")
    lines.append(f"{_t('opt_objective', lang)}: {_t('opt_best', lang)} {fmt_number(r.objective, lang, 2)}, "
                 f"{_t('opt_own', lang)} {fmt_number(r.objective_own, lang, 2)}, "
                 f"{_t('opt_equal', lang)} {fmt_number(r.objective_equal, lang, 2)}")
    lines.append(r.table.to_string(index=False, float_format=lambda x: f"{x:.2f}"))
    if r.frontier is not None and len(r.frontier):
        lines.append(f"{_t('opt_frontier', lang)} ({r.headline}):")
        for _, row in r.frontier.iterrows():
            lines.append(f"  {fmt_number(row['budget'], lang, 1):>10} → {fmt_number(row['probability'], lang, 2)}")
    return "\n".join(lines)
