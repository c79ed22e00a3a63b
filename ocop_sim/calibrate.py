"""Calibration to actual series (least squares on the expected mode) and backtests.

``fit`` moves chosen assumptions within their bounds to minimise scale-weighted residuals
against actual observations (the packaged Đồng Nai series by default, or a user CSV in the
schema of :func:`ocop_sim.data.load_actuals_csv`).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import data as _data
from .config import NAME_RE, Scenario, assumption_meta
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


class NoObservations(ValueError):
    """No actual observation falls inside the fitting window."""


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
    correlated: tuple = ()        # (name, name, correlation) pairs with |r| > 0.9
    condition: float = float("nan")  # condition number of the scaled Jacobian
    rmse_weighted: float = float("nan")  # RMSE of the scale-weighted residuals (fitted) [-]
    until: int | None = None
    prior_sd: float | None = None  # regularisation (fraction of bounds); None: plain least squares


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
        until: int | None = None, max_nfev: int = 400, prior_sd: float | None = None) -> FitResult:
    """Least-squares fit of assumptions ``names`` (within their bounds) on the expected mode.

    ``prior_sd``: regularise towards the scenario's own values (a Gaussian prior, maximum a
    posteriori): each parameter adds the residual (x − x₀) / (prior_sd × (high − low)).  None: plain
    least squares.  With few observations (a backtest on ≤ 2022 has ~18) it keeps parameters the
    data cannot pin down near their documented values instead of letting them wander to a bound.
    """
    from scipy.optimize import least_squares

    actuals = _data.load_actuals_csv() if actuals is None else actuals
    years = np.arange(scenario.horizon.start, scenario.horizon.end + 1)
    obs = select(actuals, until, years)
    if not obs:
        raise NoObservations(f"expected observations inside {years[0]}..{until or years[-1]} to fit, got none")
    names = list(names)
    lo = np.array([assumption_meta(n)["low"] for n in names], float)
    hi = np.array([assumption_meta(n)["high"] for n in names], float)
    x0 = np.array([getattr(scenario.assumptions, n) for n in names], float)
    span = hi - lo

    z0 = np.clip((x0 - lo) / span, 0, 1)

    def f(z: np.ndarray) -> np.ndarray:
        vals = dict(zip(names, lo + z * span))
        r = residuals(with_assumptions(scenario, vals), obs)
        if prior_sd:
            r = np.concatenate([r, (z - z0) / float(prior_sd)])
        return r

    cost0 = 0.5 * float(np.sum(f(z0) ** 2))  # the prior's terms are 0 at the start
    sol = least_squares(f, z0, bounds=(0.0, 1.0), x_scale="jac", diff_step=1e-3, max_nfev=max_nfev)
    x = lo + sol.x * span
    values = {n: float(v) for n, v in zip(names, x)}
    at_bound = tuple(n for n, z in zip(names, sol.x) if z < 1e-3 or z > 1 - 1e-3)
    # identification: standard errors from the Jacobian (in parameter units)
    jac = sol.jac[: len(obs)]  # the data's rows only: a prior must not make a parameter look identified
    J = jac / span[None, :]
    dof = max(len(obs) - len(names), 1)
    s2 = float(np.sum(sol.fun[: len(obs)] ** 2)) / dof
    try:
        cov = np.linalg.pinv(J.T @ J) * s2
        se = np.sqrt(np.maximum(np.diag(cov), 0))
    except np.linalg.LinAlgError:  # pragma: no cover
        se = np.full(len(names), np.inf)
        cov = np.full((len(names), len(names)), np.nan)
    col_norm = np.linalg.norm(J * span[None, :], axis=0)
    sd = np.sqrt(np.maximum(np.diag(cov), 1e-300))
    corr = cov / np.outer(sd, sd)
    correlated = tuple((names[i], names[j], float(corr[i, j])) for i in range(len(names))
                       for j in range(i + 1, len(names)) if abs(corr[i, j]) > 0.9 and se[i] > 0 and se[j] > 0)
    sv = np.linalg.svd(jac, compute_uv=False)
    condition = float(sv[0] / sv[-1]) if sv[-1] > 0 else float("inf")
    poorly = tuple(n for n, s, v, c in zip(names, se, x, col_norm)
                   if c < 1e-6 or not np.isfinite(s) or s > 0.5 * max(abs(v), 1e-9) + 0.25 * (hi - lo)[names.index(n)])
    fitted = with_assumptions(scenario, values)
    data_cost = 0.5 * float(np.sum(residuals(fitted, obs) ** 2))  # without the prior's terms
    q = fit_quality(fitted, obs).merge(fit_quality(scenario, obs), on=["scope", "metric", "n"],
                                       suffixes=("", "_start"))
    return FitResult(values=values, start=dict(zip(names, map(float, x0))), cost_start=cost0, cost=data_cost,
                     at_bound=at_bound, poorly_identified=poorly, std_errors=dict(zip(names, map(float, se))),
                     quality=q, observations=obs, success=bool(sol.success), message=str(sol.message),
                     correlated=correlated, condition=condition,
                     rmse_weighted=float(np.sqrt(2 * data_cost / len(obs))), until=until, prior_sd=prior_sd)


#: Default prior width of backtests and of ``ocop-sim calibrate`` (a fraction of each parameter's
#: bounds): measured on the Đồng Nai backtest fitted on <= 2022, P10–P90 coverage of the held-back
#: actuals is 0.30 without a prior, 0.48 with 0.5, 0.52 with 0.25 and 0.48 with 0.1.
PRIOR_SD = 0.25


def backtest(scenario: Scenario, until: int, names=DEFAULT_FIT, actuals: list[dict] | None = None,
             draws: int = 1000, seed: int | None = None, prior_sd: float | None = PRIOR_SD):
    """Fit on years <= ``until``, forecast later years by Monte Carlo, score against held-back actuals.

    Returns (FitResult, DataFrame of held-back observations with median, p10, p90, error, inside).
    """
    import pandas as pd

    actuals = _data.load_actuals_csv() if actuals is None else actuals
    fr = fit(scenario, names, actuals, until=until, prior_sd=prior_sd)
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


def write_tables(name: str, fr: FitResult, backtest_frame, folder: str | Path) -> list[Path]:
    """``<name>_backtest.csv`` and ``<name>_fit_quality.csv`` in ``folder`` (atomically)."""
    from .io import atomic_write_text, safe_child

    return [atomic_write_text(safe_child(folder, f"{name}_backtest.csv"), backtest_frame.to_csv(index=False)),
            atomic_write_text(safe_child(folder, f"{name}_fit_quality.csv"), fr.quality.to_csv(index=False))]


def coverage(frame) -> float:
    """Share of held-back actuals inside the P10–P90 band."""
    return float(frame["inside"].mean()) if len(frame) else float("nan")


# ----------------------------------------------------------------------------- fitted scenario file


def fitted_yaml(loaded, fr: FitResult, out: str | Path, actuals_label: str = "ocop_sim/data/actuals.csv") -> str:
    """YAML text of a scenario that ``extends`` the input and holds only the fitted values.

    ``extends`` is the input's path relative to ``out``'s folder (absolute if on another drive).
    """
    import datetime as _dt
    import os

    import yaml

    out = Path(out)
    src = Path(loaded.path).resolve()
    try:
        rel = os.path.relpath(src, out.resolve().parent)
    except ValueError:  # another drive (Windows)
        rel = str(src)
    today = _dt.datetime.now(_dt.timezone.utc).date().isoformat()
    until = f" on years <= {fr.until}" if fr.until is not None else ""
    until_vi = f" trên các năm <= {fr.until}" if fr.until is not None else ""
    names = ", ".join(fr.values)
    prior_en = f" with a prior (s.d. {fr.prior_sd:g} of each bound range) towards the values of the input" \
        if fr.prior_sd else ""
    prior_vi = f" có tiên nghiệm (độ lệch chuẩn {fr.prior_sd:g} khoảng giới hạn) quanh giá trị đầu vào" \
        if fr.prior_sd else ""
    stem = out.stem if re.fullmatch(NAME_RE, out.stem) else f"{loaded.scenario.name}_fitted"
    doc = {
        "extends": rel.replace(os.sep, "/"),
        "name": stem,
        "title": {"vi": f"{loaded.scenario.title.vi or loaded.scenario.name} (hiệu chỉnh)",
                  "en": f"{loaded.scenario.title.en or loaded.scenario.name} (calibrated)"},
        "description": {
            "vi": (f"Hiệu chỉnh ngày {today} bằng bình phương tối thiểu{prior_vi} (chế độ kỳ vọng) theo số liệu thực tế "
                   f"{actuals_label}{until_vi}; tham số: {names}; RMSE có trọng số {fr.rmse_weighted:.4f} "
                   f"(trước {np.sqrt(2 * fr.cost_start / max(len(fr.observations), 1)):.4f})."),
            "en": (f"Calibrated on {today} by least squares{prior_en} (expected mode) against the actuals "
                   f"{actuals_label}{until}; fitted: {names}; weighted RMSE {fr.rmse_weighted:.4f} "
                   f"(before {np.sqrt(2 * fr.cost_start / max(len(fr.observations), 1)):.4f})."),
        },
        "assumptions": {k: float(f"{v:.6g}") for k, v in fr.values.items()},
    }
    head = (f"# Written by `ocop-sim calibrate` on {today}: fitted assumptions only; everything else comes\n"
            f"# from {rel}.  At a bound: {', '.join(fr.at_bound) or 'none'}; poorly identified: "
            f"{', '.join(fr.poorly_identified) or 'none'}.\n")
    return head + yaml.safe_dump(doc, allow_unicode=True, sort_keys=False, width=100)


def write_fitted(loaded, fr: FitResult, out: str | Path, actuals_label: str = "ocop_sim/data/actuals.csv") -> Path:
    """Validate then atomically write the fitted scenario (see :func:`fitted_yaml`); returns the path.

    The written file is checked with :func:`ocop_sim.scenarios.load` (with ``allow_outside``
    when it lives outside the input's folder); a failure removes nothing else and raises.
    """
    import yaml

    from .io import atomic_write_text
    from .scenarios import ScenarioError, deep_merge

    text = fitted_yaml(loaded, fr, out, actuals_label)
    data = yaml.safe_load(text)
    data.pop("extends")
    try:
        Scenario.model_validate(deep_merge(loaded.raw, data))
    except Exception as exc:  # pragma: no cover - fitted values are inside the bounds
        raise ScenarioError(str(out), "assumptions", f"fitted scenario does not validate: {exc}") from None
    return atomic_write_text(out, text)


def format_fit(fr: FitResult, lang: str = "en") -> str:
    """Plain-text fit report: values, flags, fit quality per series."""
    from .i18n import fmt_number, t

    lines = [f"{t('cal_parameter', lang):<28} {t('cal_start', lang):>12} {t('cal_fitted', lang):>12} "
             f"{t('cal_std_error', lang):>12}  {t('cal_flags', lang)}"]
    for n, v in fr.values.items():
        flags = []
        if n in fr.at_bound:
            flags.append(t("cal_at_bound", lang))
        if n in fr.poorly_identified:
            flags.append(t("cal_poorly_identified", lang))
        for a, b, c in fr.correlated:
            if n in (a, b):
                flags.append(f"r({b if n == a else a})={c:+.2f}")
        lines.append(f"{n:<28} {fmt_number(fr.start[n], lang, 4):>12} {fmt_number(v, lang, 4):>12} "
                     f"{fmt_number(fr.std_errors[n], lang, 4):>12}  {'; '.join(flags)}")
    lines.append(f"{t('cal_cost', lang)}: {fmt_number(fr.cost_start, lang, 4)} → {fmt_number(fr.cost, lang, 4)}; "
                 f"{t('cal_condition', lang)} {fmt_number(fr.condition, lang, 1)}")
    q = fr.quality
    lines.append(f"{t('scope', lang):<16} {t('check_metric', lang):<28} {'n':>3} {'RMSE':>10} {'MAPE':>8} "
                 f"{'RMSE₀':>10} {'MAPE₀':>8}")
    for _, r in q.iterrows():
        lines.append(f"{r['scope']:<16} {r['metric']:<28} {int(r['n']):>3} {fmt_number(r['rmse'], lang, 2):>10} "
                     f"{fmt_number(100 * r['mape'], lang, 1):>7}% {fmt_number(r['rmse_start'], lang, 2):>10} "
                     f"{fmt_number(100 * r['mape_start'], lang, 1):>7}%")
    return "\n".join(lines)
