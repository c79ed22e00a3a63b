"""Goal seek: the smallest scaling of one lever that meets a target.

The lever's schedule is multiplied by a factor ``k`` (every year, or with ``from_year`` only the
level in force from that year on; see :func:`ocop_sim.sensitivity.scale_lever`).  The search is
a bisection on ``k`` for the indicator "target met":

* ``probability=None``: the expected mode (one deterministic run per evaluation);
* ``probability=P``: Monte Carlo with ``draws`` draws and the **same seed** in every evaluation
  (common random numbers), "met" meaning P(target met) ≥ P.  The search is reproducible.

Bracket: ``k`` in ``[0, k_max]`` where ``k_max`` is the factor at which the lever's largest
scheduled value reaches its bound (``MAX_BUDGET_BN_VND`` for a schedule, 1 for
``training_share_officials``), capped by ``max_factor`` (default 100).  Before bisecting, the
criterion is evaluated on a log-spaced grid of factors; a non-monotone pattern (met at a smaller
factor and not met at a larger one) is reported in ``monotone=False``.  Monte Carlo
probabilities are not exactly monotone in ``k`` even with common random numbers (binomial
draws); after the bisection the search therefore checks ``0.95·k`` and, while that still meets
the target, walks down in 3 % steps and bisects again (also flagged ``monotone=False``): the
answer is a factor that meets the target while 5 % less does not.  When even ``k_max`` does
not meet the target, ``reachable=False`` and ``achieved`` holds the best value reached (the CLI
then exits 1: the answer is "not reachable", not a user error).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .config import MAX_BUDGET_BN_VND, SCHEDULE_LEVERS, Scenario
from .i18n import fmt_number
from .i18n import t as _t  # "t" is the loop name of a target here
from .scenarios import ScenarioError
from .sensitivity import LEVER_NAMES, scale_lever
from .simulate import simulate
from .targets import COMPARISONS, Target, scenario_registries, target_values


def find_target(scenario: Scenario, target_id: str, folder=None) -> Target:
    """The target ``target_id`` of the scenario's registries (ScenarioError if unknown)."""
    import difflib

    ids = []
    for reg in scenario_registries(scenario, folder):
        for t in reg.targets:
            if t.id == target_id:
                return t
            ids.append(t.id)
    close = difflib.get_close_matches(target_id, ids, n=1, cutoff=0.6)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    raise ScenarioError("--target", "target", f"expected a target id of the scenario's registries{hint}, "
                        f"got {target_id!r}")


def check_lever(name: str) -> None:
    import difflib

    if name not in LEVER_NAMES:
        close = difflib.get_close_matches(name, LEVER_NAMES, n=1, cutoff=0.5)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ScenarioError("--lever", "lever", f"expected one of {', '.join(LEVER_NAMES)}{hint}, got {name!r}")


def check_target_in_horizon(scenario: Scenario, target: Target) -> None:
    start = target.year if target.year is not None else target.period[0]
    if target.end_year > scenario.horizon.end or start < scenario.horizon.start:
        raise ScenarioError("--target", "target", f"expected a target inside the horizon {scenario.horizon.start}.."
                            f"{scenario.horizon.end}, got {target.id} ({target.when})")


def max_factor_of(scenario: Scenario, lever: str, cap: float = 100.0) -> float:
    """Largest factor keeping the lever within its bounds (capped by ``cap``)."""
    bound = 1.0 if lever == "training_share_officials" else MAX_BUDGET_BN_VND  # a share, or a budget/count
    top = max(getattr(scenario.levers, lever).values())
    return min(cap, bound / top) if top > 0 else cap


@dataclass(frozen=True)
class GoalSeekResult:
    """Answer of :func:`goal_seek`.

    ``factor``: smallest multiplier meeting the target (None if unreachable); ``achieved``: the
    probability (Monte Carlo) or the target metric's value (expected mode) at ``factor`` (or at
    ``max_factor`` when unreachable); ``schedule``: the lever's resulting schedule.
    """

    target: str
    lever: str
    mode: str
    probability: float | None
    factor: float | None
    reachable: bool
    achieved: float
    achieved_value: float
    max_factor: float
    schedule: dict | float | None
    monotone: bool
    evaluations: int
    grid: list = field(default_factory=list)  # (factor, probability or value, met)
    scenario: Scenario | None = field(default=None, repr=False)


def goal_seek(scenario: Scenario, target_id: str, lever: str, probability: float | None = None,
              from_year: int | None = None, draws: int = 200, seed: int | None = None, tol: float = 1e-3,
              max_factor: float = 100.0, folder=None) -> GoalSeekResult:
    """Smallest factor of ``lever``'s schedule meeting ``target_id`` (see the module docstring).

    ``tol``: relative precision of the factor [-]; ``draws``/``seed``: Monte Carlo settings (only
    with ``probability``).
    """
    check_lever(lever)
    target = find_target(scenario, target_id, folder)
    check_target_in_horizon(scenario, target)
    if probability is not None and not 0 < probability <= 1:
        raise ScenarioError("--probability", "probability", f"expected a probability in (0, 1], got {probability}")
    if from_year is not None and not scenario.horizon.start <= from_year <= scenario.horizon.end:
        raise ScenarioError("--from-year", "from_year", f"expected a year in {scenario.horizon.start}.."
                            f"{scenario.horizon.end}, got {from_year}")
    seed = scenario.seed if seed is None else int(seed)
    cmp = COMPARISONS[target.comparison]
    calls = [0]

    def evaluate(k: float) -> tuple[float, float, bool]:
        calls[0] += 1
        sc = scale_lever(scenario, lever, k, from_year)
        if probability is None:
            v = target_values(simulate(sc, mode="expected"), target)
            val = float(v[0])
            ok = bool(cmp(v, target.value)[0])
            return float(ok), val, ok
        v = target_values(simulate(sc, draws=draws, seed=seed), target)
        p = float(np.mean(cmp(v, target.value) & np.isfinite(v)))
        return p, float(np.nanmedian(v)), p >= probability - 1e-12

    kmax = max_factor_of(scenario, lever, max_factor)
    grid_k = [0.0] + list(np.geomspace(min(0.05, kmax), kmax, 8))
    grid = [(float(k), *evaluate(float(k))) for k in grid_k]
    mets = [g[3] for g in grid]
    # monotone: "met" never switches off as k grows, and the criterion never drops by more than
    # Monte Carlo noise (0.05 in probability; 1e-6 relative in the expected mode)
    crit = [g[1] if probability is not None else g[2] for g in grid]
    slack = 0.05 if probability is not None else 1e-6 * max(1.0, max(abs(c) for c in crit))
    sign = -1.0 if probability is None and target.comparison in ("<=", "<") else 1.0
    monotone = all(not (a and not b) for a, b in zip(mets, mets[1:])) and all(
        sign * (b - a) >= -slack for a, b in zip(crit, crit[1:]))
    if not mets[-1]:
        best = max(grid, key=lambda g: (g[1], g[2]))
        return GoalSeekResult(target_id, lever, "expected" if probability is None else "monte_carlo", probability,
                              None, False, best[1], best[2], kmax, None, monotone, calls[0],
                              [(g[0], g[1], g[3]) for g in grid])
    def bisect(lo: float, hi: float, hi_eval: tuple) -> tuple[float, tuple]:
        """Narrow [lo, hi] (lo not met, hi met) to ``tol``; returns the met end and its evaluation."""
        while hi - lo > tol * max(hi, 1e-6):
            mid = 0.5 * (lo + hi)
            e = evaluate(mid)
            if e[2]:
                hi, hi_eval = mid, (mid, *e)
            else:
                lo = mid
        return hi, hi_eval

    if mets[0]:
        hi, hi_eval = 0.0, grid[0]
    else:
        j = mets.index(True)
        hi, hi_eval = bisect(grid[j - 1][0], grid[j][0], grid[j])
        # Monte Carlo outcomes are not strictly monotone in k even with common random numbers
        # (binomial draws): walk down in 3 % steps while still met, then bisect the last gap,
        # so that 0.95·factor does not meet the target either.
        for _ in range(50):
            if hi <= 0:
                break
            below = evaluate(0.95 * hi)
            if not below[2]:
                break
            monotone = False
            k = 0.95 * hi
            hi, hi_eval = k, (k, *below)
            step, lo = hi, 0.0
            while step > 1e-6:
                step = 0.97 * step
                e = evaluate(step)
                if not e[2]:
                    lo = step
                    break
                hi, hi_eval = step, (step, *e)
            hi, hi_eval = bisect(lo, hi, hi_eval)
    sc = scale_lever(scenario, lever, hi, from_year)
    sched = dict(getattr(sc.levers, lever))
    return GoalSeekResult(target_id, lever, "expected" if probability is None else "monte_carlo", probability,
                          float(hi), True, float(hi_eval[1]), float(hi_eval[2]), kmax, sched, monotone, calls[0],
                          [(g[0], g[1], g[3]) for g in grid], sc)


def format_result(r: GoalSeekResult, lang: str = "en") -> str:
    """Plain-text answer for the terminal."""
    what = (f"{_t('probability', lang)} ≥ {fmt_number(r.probability, lang, 2)}" if r.probability is not None
            else _t('expected_mode', lang))
    lines = [f"{_t('goal_seek', lang)}: {r.target} — {_t(r.lever, lang)} ({what})"]
    if not r.reachable:
        k_best = max(r.grid, key=lambda g: g[1])[0] if r.grid else float("nan")
        lines.append(f"{_t('gs_unreachable', lang)} (0..×{fmt_number(r.max_factor, lang, 2)}): "
                     f"{_t('gs_best', lang)} {fmt_number(r.achieved, lang, 3)} (×{fmt_number(k_best, lang, 2)}), "
                     f"{_t('median', lang)} {fmt_number(r.achieved_value, lang, 2)}")
        lines.append("  " + ", ".join(f"×{fmt_number(k, lang, 2)}: {fmt_number(v, lang, 3)}" for k, v, _ in r.grid))
    else:
        lines.append(f"{_t('gs_factor', lang)}: ×{fmt_number(r.factor, lang, 4)}")
        lines.append(f"{_t('gs_achieved', lang)}: {fmt_number(r.achieved, lang, 3)}; "
                     f"{_t('value', lang)} {fmt_number(r.achieved_value, lang, 2)}")
        if isinstance(r.schedule, dict):
            lines.append(f"{_t('gs_schedule', lang)}: " + ", ".join(f"{y}: {fmt_number(v, lang, 2)}"
                                                                 for y, v in r.schedule.items()))
        else:
            lines.append(f"{_t('gs_schedule', lang)}: {fmt_number(r.schedule, lang, 3)}")
    if not r.monotone:
        lines.append(_t("gs_not_monotone", lang))
    return "\n".join(lines)


__all__ = ["goal_seek", "GoalSeekResult", "find_target", "format_result", "SCHEDULE_LEVERS"]
