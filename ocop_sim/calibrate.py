"""Calibration to actual series (least squares on the expected mode) and backtests.

``fit`` moves chosen assumptions within their bounds to minimise scale-weighted residuals
against actual observations (the packaged Đồng Nai series by default, or a user CSV in the
schema of :func:`ocop_sim.data.load_actuals_csv`).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import data as _data
from .config import Scenario, assumption_meta
from .simulate import simulate

#: Assumptions fitted by default: the ones the actual series identify.
DEFAULT_FIT = ("score_base", "submission_rate", "base_new_entities", "base_new_ideas", "renewal_base_prob",
               "upgrade_attempt_rate")


def model_value(result, obs: dict) -> np.ndarray:
    """Model counterpart (per draw) of one observation."""
    if obs["kind"] == "flow":
        return result.value(obs["metric"], obs["scope"], period=(obs["year"], obs["year"]))
    return result.value_at(obs["metric"], obs["at"], obs["scope"])


def select(actuals: list[dict], until: int | None, years: np.ndarray) -> list[dict]:
    first, last = int(years[0]), int(years[-1])
    out = []
    for o in actuals:
        if o["year"] < first or o["year"] > last:
            continue
        if until is not None and o["year"] > until:
            continue
        out.append(o)
    return out


def _scales(obs: list[dict]) -> list[float]:
    by: dict[tuple, list[float]] = {}
    for o in obs:
        by.setdefault((o["scope"], o["metric"]), []).append(abs(o["value"]))
    return [max(float(np.mean(by[(o["scope"], o["metric"])])), 1.0) for o in obs]


def residuals(scenario: Scenario, obs: list[dict]) -> np.ndarray:
    r = simulate(scenario, mode="expected")
    sc = _scales(obs)
    return np.array([(float(model_value(r, o)[0]) - o["value"]) / s for o, s in zip(obs, sc)])


def with_assumptions(scenario: Scenario, values: dict[str, float]) -> Scenario:
    a = scenario.assumptions.model_copy(update=values)
    a = type(scenario.assumptions).model_validate(a.model_dump())
    return scenario.model_copy(update={"assumptions": a})


@dataclass(frozen=True)
class FitResult:
    values: dict[str, float]
    start: dict[str, float]
    cost_start: float
    cost: float
    at_bound: tuple[str, ...]
    poorly_identified: tuple[str, ...]
    std_errors: dict[str, float]
    quality: object = field(repr=False)  # DataFrame per series: RMSE, MAPE (fitted and start)
    observations: object = field(repr=False)
    success: bool = True
    message: str = ""


def fit_quality(scenario: Scenario, obs: list[dict]):
    """RMSE and MAPE per series (scope, metric) of the expected run against ``obs``."""
    import pandas as pd

    r = simulate(scenario, mode="expected")
    rows = [{"scope": o["scope"], "metric": o["metric"], "actual": o["value"],
             "model": float(model_value(r, o)[0])} for o in obs]
    df = pd.DataFrame(rows)
    if df.empty:
        return pd.DataFrame(columns=["scope", "metric", "n", "rmse", "mape"])
    df["err"] = df["model"] - df["actual"]
    g = df.groupby(["scope", "metric"], sort=False)
    return pd.DataFrame({
        "n": g.size(),
        "rmse": g["err"].apply(lambda e: float(np.sqrt(np.mean(e ** 2)))),
        "mape": g.apply(lambda d: float(np.mean(np.abs(d["err"]) / np.maximum(np.abs(d["actual"]), 1e-9))),
                        include_groups=False),
    }).reset_index()


def fit(scenario: Scenario, names: tuple[str, ...] | list[str] = DEFAULT_FIT, actuals: list[dict] | None = None,
        until: int | None = None, max_nfev: int = 400) -> FitResult:
    """Least-squares fit of assumptions ``names`` (within their bounds) on the expected mode."""
    from scipy.optimize import least_squares

    actuals = _data.load_actuals_csv() if actuals is None else actuals
    years = np.arange(scenario.horizon.start, scenario.horizon.end + 1)
    obs = select(actuals, until, years)
    if not obs:
        raise ValueError("no observations inside the horizon to fit")
    names = list(names)
    lo = np.array([assumption_meta(n)["low"] for n in names], float)
    hi = np.array([assumption_meta(n)["high"] for n in names], float)
    x0 = np.array([getattr(scenario.assumptions, n) for n in names], float)
    span = hi - lo

    def f(z: np.ndarray) -> np.ndarray:
        vals = dict(zip(names, lo + z * span))
        return residuals(with_assumptions(scenario, vals), obs)

    z0 = np.clip((x0 - lo) / span, 0, 1)
    cost0 = 0.5 * float(np.sum(f(z0) ** 2))
    sol = least_squares(f, z0, bounds=(0.0, 1.0), x_scale="jac", diff_step=1e-3, max_nfev=max_nfev)
    x = lo + sol.x * span
    values = {n: float(v) for n, v in zip(names, x)}
    at_bound = tuple(n for n, z in zip(names, sol.x) if z < 1e-3 or z > 1 - 1e-3)
    # identification: standard errors from the Jacobian (in parameter units)
    J = sol.jac / span[None, :]
    dof = max(len(obs) - len(names), 1)
    s2 = 2 * sol.cost / dof
    try:
        cov = np.linalg.pinv(J.T @ J) * s2
        se = np.sqrt(np.maximum(np.diag(cov), 0))
    except np.linalg.LinAlgError:  # pragma: no cover
        se = np.full(len(names), np.inf)
    col_norm = np.linalg.norm(J * span[None, :], axis=0)
    poorly = tuple(n for n, s, v, c in zip(names, se, x, col_norm)
                   if c < 1e-6 or not np.isfinite(s) or s > 0.5 * max(abs(v), 1e-9) + 0.25 * (hi - lo)[names.index(n)])
    fitted = with_assumptions(scenario, values)
    q = fit_quality(fitted, obs).merge(fit_quality(scenario, obs), on=["scope", "metric", "n"],
                                       suffixes=("", "_start"))
    return FitResult(values=values, start=dict(zip(names, map(float, x0))), cost_start=cost0, cost=float(sol.cost),
                     at_bound=at_bound, poorly_identified=poorly, std_errors=dict(zip(names, map(float, se))),
                     quality=q, observations=obs, success=bool(sol.success), message=str(sol.message))


def backtest(scenario: Scenario, until: int, names=DEFAULT_FIT, actuals: list[dict] | None = None,
             draws: int = 1000, seed: int | None = None):
    """Fit on years <= ``until``, forecast later years by Monte Carlo, score against held-back actuals.

    Returns (FitResult, DataFrame of held-back observations with median, p10, p90, error, inside).
    """
    import pandas as pd

    actuals = _data.load_actuals_csv() if actuals is None else actuals
    fr = fit(scenario, names, actuals, until=until)
    fitted = with_assumptions(scenario, fr.values)
    r = simulate(fitted, draws=draws, seed=seed)
    years = r.years
    rows = []
    for o in select(actuals, None, years):
        if o["year"] <= until:
            continue
        v = model_value(r, o)
        p10, med, p90 = np.quantile(v, [0.1, 0.5, 0.9])
        rows.append({"scope": o["scope"], "metric": o["metric"], "year": o["year"], "at": o.get("at"),
                     "actual": o["value"], "median": float(med), "p10": float(p10), "p90": float(p90),
                     "error": float(med - o["value"]), "inside": bool(p10 <= o["value"] <= p90)})
    return fr, pd.DataFrame(rows)


def coverage(frame) -> float:
    """Share of held-back actuals inside the P10–P90 band."""
    return float(frame["inside"].mean()) if len(frame) else float("nan")
