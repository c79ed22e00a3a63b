"""Reality checks (as in Vensim) and result checksums for reproducibility.

A scenario's ``checks:`` (:class:`ocop_sim.config.RealityCheck`) are behaviour assertions
evaluated after a run, in every draw and every year of their window:

* ``at_most`` / ``at_least``: a metric stays <= / >= a value;
* ``never_exceeds``: a metric stays <= another metric (or its running maximum, ``other_ever``);
* ``under: {budget: 0, from_year: 2021}`` or ``under: {assumptions: {submission_rate: 0}}``
  makes a check conditional: it is evaluated on a copy of the scenario run with that test
  input, with the same seed, draws and mode as the checked run.

:func:`run_checks` returns one row per check; :func:`checks_html` renders it (escaped, vi/en).
:func:`results_checksum` is a SHA-256 of every array of a run: equal checksums mean equal numbers.
"""
from __future__ import annotations

import hashlib
import json
from typing import Any

import numpy as np

from .cache import _data_hash
from .config import BUDGET_LINES, CheckInput, RealityCheck, Scenario
from .i18n import fmt_number, has, t
from .metrics import metric_series  # the registry reads any metric, derived ones too
from .scenarios import validate_checks  # noqa: F401 - a scenario's check rules, known here too
from .simulate import simulate
from .markup import render_template

__all__ = [
    "CHECK_COLUMNS",
    "apply_input",
    "checks_html",
    "data_hash",
    "metric_series",
    "results_checksum",
    "run_checks",
    "summary_digest",
    "validate_checks",
]

CHECK_COLUMNS = ("id", "label_vi", "label_en", "kind", "metric", "scope", "under", "passed", "worst",
                 "first_violation_year", "detail", "detail_vi")


# ----------------------------------------------------------------------------- test inputs


def apply_input(scenario: Scenario, under: CheckInput) -> Scenario:
    """A validated copy of ``scenario`` with a check's test input applied (and no checks)."""
    data = scenario.model_dump(mode="python")
    data["checks"] = []
    if under.budget is not None:
        start = scenario.horizon.start if under.from_year is None else under.from_year
        for line in BUDGET_LINES:
            sched = {y: v for y, v in data["levers"][line].items() if y < start}
            sched[max(start, scenario.horizon.start)] = float(under.budget)
            data["levers"][line] = sched
    if under.assumptions:
        data["assumptions"] = {**data["assumptions"], **under.assumptions}
        # a test input is a fixed value: it is neither sampled nor changed later by a policy event
        data["uncertainty"] = {**data.get("uncertainty", {}), **{k: None for k in under.assumptions}}
        data["events"] = [ev for ev in data["events"]
                          if not (ev.get("type") == "policy_change" and ev.get("assumption") in under.assumptions)]
    return Scenario.model_validate(data)


# ----------------------------------------------------------------------------- evaluation


def _window(years: np.ndarray, check: RealityCheck) -> np.ndarray:
    lo = check.from_year if check.from_year is not None else int(years[0])
    hi = check.to_year if check.to_year is not None else int(years[-1])
    return (years >= lo) & (years <= hi)


def evaluate(check: RealityCheck, result, reference=None) -> dict[str, Any]:
    """Evaluate one check on ``result`` (already the run under the check's input, if any);
    ``reference``: the checked run itself, for a ``relative`` check."""
    years = np.asarray(result.years, dtype=int)
    x = metric_series(result, check.metric, check.scope)
    win = _window(years, check)
    if check.relative and reference is not None and win.any():
        # one comparison per draw: the window's total against the share of the reference's total
        ref = metric_series(reference, check.metric, check.scope)[win].sum(axis=0)
        tot = x[win].sum(axis=0)
        x = np.full(x.shape, np.nan)
        x[np.nonzero(win)[0][-1]] = tot / np.where(ref > 0, ref, np.nan)
    row: dict[str, Any] = {"id": check.id, "label_vi": check.label_vi or check.id,
                           "label_en": check.label_en or check.id, "kind": check.kind, "metric": check.metric,
                           "scope": check.scope,
                           "under": json.dumps(check.under.model_dump(exclude_defaults=True), sort_keys=True)
                           if check.under is not None else ""}
    if not win.any():
        row.update(passed=True, worst=np.nan, first_violation_year=None,
                   detail="no year of the horizon in the check's window",
                   detail_vi="không có năm nào của khung thời gian trong cửa sổ kiểm tra")
        return row
    if check.kind == "never_exceeds":
        o = metric_series(result, check.other, check.scope)
        if check.other_ever:
            o = np.fmax.accumulate(o, axis=0)
        excess = x - o  # > 0 violates
        what = f"{check.other}{' (ever reached)' if check.other_ever else ''}"
        what_vi = f"{_vi(check.other)}{' (cao nhất từng đạt)' if check.other_ever else ''}"
    elif check.kind == "at_most":
        excess = x - check.value
        what = what_vi = f"{check.value:g}"
    else:
        excess = check.value - x
        what = what_vi = f"{check.value:g}"
    ex = np.where(win[:, None], excess, -np.inf)
    bad = ex > check.tolerance  # NaN (an undefined ratio, e.g. no submissions) is not a violation
    bad_years = np.nonzero(bad.any(axis=1))[0]
    xs = x[win]
    if check.kind == "at_least":
        worst = float(np.nanmin(xs)) if np.isfinite(xs).any() else np.nan
    elif check.kind == "at_most":
        worst = float(np.nanmax(xs)) if np.isfinite(xs).any() else np.nan
    else:
        worst = float(np.nanmax(ex[win])) if np.isfinite(ex[win]).any() else np.nan
    passed = not len(bad_years)
    op = {"at_most": "<=", "at_least": ">=", "never_exceeds": "<="}[check.kind]
    if passed:
        detail = f"{check.metric} {op} {what} in every draw, {int(years[win][0])}–{int(years[win][-1])}"
        detail_vi = (f"{_vi(check.metric)} {op} {what_vi} ở mọi lượt mô phỏng, "
                     f"{int(years[win][0])}–{int(years[win][-1])}")
        first = None
    else:
        t = int(bad_years[0])
        d = int(np.nonzero(bad[t])[0][0])
        first = int(years[t])
        detail = (f"{check.metric} = {x[t, d]:.6g} in {first} (draw {d}) violates {op} {what}; "
                  f"{int(bad.any(axis=0).sum())} of {x.shape[1]} draws violate")
        detail_vi = (f"{_vi(check.metric)} = {x[t, d]:.6g} năm {first} (lượt {d}) vi phạm {op} {what_vi}; "
                     f"{int(bad.any(axis=0).sum())}/{x.shape[1]} lượt mô phỏng vi phạm")
    row.update(passed=passed, worst=worst, first_violation_year=first, detail=detail, detail_vi=detail_vi)
    return row


def _vi(metric: str) -> str:
    """The Vietnamese label of a metric (its identifier if the catalogue has none)."""
    return t(metric, "vi") if has(metric) else metric


def run_checks(scenario: Scenario, result, checks: list[RealityCheck] | None = None,
               max_under_draws: int | None = None):
    """Evaluate the scenario's reality checks on ``result``: a DataFrame with :data:`CHECK_COLUMNS`.

    Conditional checks (``under``) re-run a modified copy of the scenario with the result's
    seed, draws and mode (one run per distinct test input); ``max_under_draws`` caps the draws
    of those runs (e.g. 200 in a report, to bound its time).
    """
    import pandas as pd

    checks = list(scenario.checks if checks is None else checks)
    runs: dict[str, Any] = {}
    rows = []
    draws = result.draws if max_under_draws is None else min(result.draws, int(max_under_draws))
    reference = None
    for c in checks:
        res = result
        if c.under is not None:
            key = c.under.model_dump_json()
            if key not in runs:
                runs[key] = simulate(apply_input(scenario, c.under), draws=draws, seed=result.seed,
                                     mode=result.mode)
            res = runs[key]
        if c.relative and reference is None:
            # the checked run with the same draws as the conditional run (same seed: the same streams)
            reference = result if draws == result.draws else simulate(
                scenario.model_copy(update={"checks": []}), draws=draws, seed=result.seed, mode=result.mode)
        rows.append(evaluate(c, res, reference if c.relative else None))
    return pd.DataFrame(rows, columns=list(CHECK_COLUMNS))


def checks_html(df, lang: str = "en") -> str:
    """HTML table of :func:`run_checks` output (``templates/checks.html.j2``): every text escaped,
    labels in ``lang``."""
    if df is None or len(df) == 0:
        return render_template("checks.html.j2", empty=t("checks_none", lang))
    label = "label_vi" if lang == "vi" else "label_en"
    n_ok = int(df["passed"].sum())
    head = [t("check", lang), t("check_metric", lang), t("check_under", lang), t("check_result", lang),
            t("check_worst", lang), t("check_first_violation", lang), t("check_detail", lang)]
    rows = []
    for _, r in df.iterrows():
        ok = bool(r["passed"])
        worst = "—" if r["worst"] is None or not np.isfinite(r["worst"]) else fmt_number(r["worst"], lang, digits=3)
        first = "—" if r["first_violation_year"] is None or r["first_violation_year"] != r["first_violation_year"] \
            else str(int(r["first_violation_year"]))
        rows.append(("#c7e9c0" if ok else "#fcbba1",
                     [r[label], t(r["metric"], lang) if has(r["metric"]) else r["metric"], r["under"] or "—",
                      t("check_pass" if ok else "check_fail", lang), worst, first,
                      r["detail_vi"] if lang == "vi" else r["detail"]]))
    return render_template("checks.html.j2", passed=t("checks_passed_of", lang).format(ok=n_ok, n=len(df)),
                           headers=head, rows=rows)


# ----------------------------------------------------------------------------- reproducibility


def checksum_arrays(result) -> list[str]:
    """Names (``group.key``) of the arrays :func:`results_checksum` covers, in its order."""
    a = result.arrays
    return [f"{g}.{k}" for g, group in (("stocks", a.stocks), ("flows", a.flows), ("params", a.params),
                                         ("spending", a.spending)) for k in sorted(group)]


def results_checksum(result, arrays: list[str] | None = None) -> str:
    """SHA-256 over every array of a run (stocks, flows, parameters, spending) and its settings.

    Equal checksums mean bit-identical numbers; include it in a run manifest as
    ``results_checksum`` so that ``ocop-sim reproduce`` can confirm a re-run.  ``arrays``
    (names from :func:`checksum_arrays`) restricts it to those arrays, in the same order: what
    a manifest recorded, so that an array added to the model later (a new budget line, a new
    assumption) does not change it.  KeyError naming the missing ones if the run lacks some.
    """
    if arrays is not None:
        missing = sorted(set(arrays) - set(checksum_arrays(result)))
        if missing:
            raise KeyError(f"arrays not in this run: {', '.join(missing)}")
        wanted = set(arrays)
    h = hashlib.sha256()
    h.update(json.dumps({"mode": result.mode, "seed": int(result.seed), "draws": int(result.draws),
                         "years": [int(y) for y in result.years]}, sort_keys=True).encode())
    a = result.arrays
    for group_name, group in (("stocks", a.stocks), ("flows", a.flows), ("params", a.params),
                              ("spending", a.spending)):
        for k in sorted(group):
            if arrays is not None and f"{group_name}.{k}" not in wanted:
                continue
            arr = np.ascontiguousarray(np.asarray(group[k], dtype=np.float64))
            h.update(f"{group_name}.{k}:{arr.shape}".encode())
            h.update(arr.tobytes())
    return h.hexdigest()


def data_hash(pack: str = "dong_nai_2019") -> str:
    """SHA-256 of the pack's data files the model reads: the ``data_hash`` that
    :meth:`ocop_sim.results.Result.manifest` records."""
    return _data_hash(pack)


def summary_digest(result, metrics: tuple[str, ...] = ("products_3star_plus", "products_national_5star",
                                                        "new_products_3star_plus", "entities")) -> dict:
    """A few headline numbers (mean over draws per year, province) for a readable comparison."""
    years = [int(y) for y in result.years]
    return {m: dict(zip(map(str, years), (float(v) for v in result.series(m).mean(axis=1)))) for m in metrics}


def format_checks(df, lang: str = "en") -> tuple[str, int]:
    """Plain-text lines of :func:`run_checks` output and the number that failed."""
    if not len(df):
        return t("checks_none", lang), 0
    label = "label_vi" if lang == "vi" else "label_en"
    lines = []
    for _, r in df.iterrows():
        word = "PASS" if r["passed"] else "FAIL"
        lines.append(f"{word}  {r['id']}: {r[label]}" + ("" if r["passed"] else f"  [{r['detail']}]"))
    n_bad = int((~df["passed"].astype(bool)).sum())
    lines.append(t("checks_passed_of", lang).format(ok=len(df) - n_bad, n=len(df)))
    return "\n".join(lines), n_bad
