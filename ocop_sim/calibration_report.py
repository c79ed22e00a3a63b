"""Tables and figures of the calibration report (``notebooks/calibration.ipynb``).

The report reads the posterior a history scenario names (``posterior:``) and the backtest scores
recorded with it by ``ocop-sim calibrate … --backtest``: it never samples in a kernel.  Planners
see first how far the probabilities can be trusted and how the model fits the reports; the
technical detail (parameters, diagnostics, trace and pair plots) is folded below.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from . import fmt
from . import inference as inf
from .bayes import Posterior
from .config import ASSUMPTION_NAMES, assumption_meta
from .i18n import assumption_source, assumption_text, fmt_percent, has, scope_label, t, unit_text
from .io import atomic_write_text, safe_child
from .report.tables import _table, esc
from .scenarios import derive, params_file


def load_posterior(scenario):
    """The scenario's posterior (``bayes.Posterior``) and its recorded meta; (None, {}) if none."""
    if not scenario.posterior:
        return None, {}
    post = Posterior.load(str(params_file(scenario.posterior)))
    return post, dict(post.meta)


def backtest_table_html(meta: dict, lang: str = "en") -> str:
    """Coverage of the 50/80/95 % bands, CRPS and median bias per cut-off, for planners."""
    bt = (meta or {}).get("backtest") or {}
    cuts = bt.get("cutoffs") or []
    if not cuts:
        return f"<p>{esc(t('trust_none', lang))}</p>"
    headers = [t("bt_cutoff", lang), t("bt_reports", lang), t("bt_cov50", lang), t("bt_cov80", lang),
               t("bt_cov95", lang), t("bt_bias_total", lang), t("bt_bias_4star", lang)]
    rows = []
    for c in cuts:
        bias = c.get("bias_median", {})
        by_metric = c.get("bias_by_metric", {})

        def pick(metric: str) -> str:
            # the median over every later report of the metric (older records: the mean of the
            # series' medians)
            if metric in by_metric:
                v = float(by_metric[metric])
            else:
                vals = [v for k, v in bias.items() if k.endswith("/" + metric)]
                if not vals:
                    return "—"
                v = float(np.mean(vals))
            return ("+" if v > 0 else "") + fmt_percent(v, lang, 0)

        cov = c.get("coverage", {})
        rows.append([(fmt.year(c["until"]), ""), (f"{int(c['n'])} ({int(c['n_quantities'])})", ' class="num"'),
                     *[(esc(fmt_percent(cov.get(k, float("nan")), lang, 0)), ' class="num"') for k in ("50", "80", "95")],
                     (esc(pick("products_3star_plus")), ' class="num"'), (esc(pick("products_4star")), ' class="num"')])
    foot = t("bt_total", lang).format(share=fmt_percent(bt.get("coverage_80", float("nan")), lang, 0))
    return _table(headers, rows, cls="ocop backtest") + f"<p>{esc(foot)}</p>"


def posterior_table_html(post, lang: str = "en") -> str:
    """Posterior median and 90 % interval of each parameter, with its prior's source and R-hat."""
    s = post.summary()
    rows = []
    for _, r in s.iterrows():
        name = r["name"]
        if name in ASSUMPTION_NAMES:
            label = assumption_text(name, lang)
            unit = assumption_meta(name).get("unit", "-")
            source = assumption_source(name, lang)
        else:
            label, unit, source = t(f"param_{name}", lang), "-", t("prior_source_judgement", lang)
        shown = "—" if unit in ("-", "fraction") else unit_text(unit, lang)

        def num(x: float) -> str:
            return fmt.value_by_unit(x, unit, lang, name)

        rows.append([(esc(label), ""), (esc(num(r["p50"])), ' class="num"'),
                     (esc(f"{num(r['p5'])} – {num(r['p95'])}"), ' class="num"'),
                     (esc(shown), ""), (esc(fmt.number(r["rhat"], lang, 3)), ' class="num"'),
                     (esc(fmt.count(r["ess_bulk"], lang)), ' class="num"'), (esc(source), "")])
    return _table([t("parameter", lang), t("median", lang), t("p5_p95", lang), t("unit", lang), "R-hat",
                   t("ess", lang), t("prior_source", lang)], rows, cls="ocop posterior")


def fit_frame(scenario, post, draws: int = 300, seed: int = 0):
    """Posterior predictive bands (P10, median, P90) of every reported figure the fit used."""
    import pandas as pd


    kn = inf.knowledge(scenario, None)
    obs = list(kn.observations)
    samples, _ = inf.predictive(derive(kn.scenario, {"horizon": scenario.horizon.model_dump()}), post, obs, draws,
                                seed, events=kn.events)
    lo, med, hi = np.quantile(samples, [0.1, 0.5, 0.9], axis=1)
    return pd.DataFrame([{"scope": o["scope"], "metric": o["metric"], "counting": o.get("counting", ""),
                          "at": o["at"], "actual": o["value"], "p10": a, "median": m, "p90": b}
                         for o, a, m, b in zip(obs, lo, med, hi)])


def plot_fit(frame, lang: str = "en", ax=None):
    """Reported figures (dots) against the posterior predictive bands, one panel per series."""
    import matplotlib.pyplot as plt

    if not len(frame):  # no reported figure inside the scenario's years (e.g. an outlook)
        return []
    stocks = frame[frame["metric"].str.startswith(("products", "entities"))]
    keys = list(dict.fromkeys(zip(stocks["scope"], stocks["metric"])))[:8]
    if ax is None:
        cols = 4
        rows = (len(keys) + cols - 1) // cols
        fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.2 * rows), squeeze=False)
        axes = list(axes.ravel())
    else:
        axes = [ax]
    for a, (scope, metric) in zip(axes, keys):
        d = stocks[(stocks["scope"] == scope) & (stocks["metric"] == metric)].sort_values("at")
        a.vlines(d["at"], d["p10"], d["p90"], color="#0072B2", lw=6, alpha=0.4, label=t("p10_p90", lang))
        a.plot(d["at"], d["median"], "_", color="#0072B2", ms=14, label=t("median", lang))
        a.plot(d["at"], d["actual"], "o", color="#D55E00", label=t("actual", lang))
        a.set_title(f"{t(metric, lang) if _has(metric) else metric} — {scope_label(scope, lang)}", fontsize=9)
        a.set_yscale("linear")  # counts on a linear axis from zero
        a.set_ylim(bottom=0)
        a.xaxis.set_major_locator(plt.MaxNLocator(integer=True))
        a.xaxis.set_major_formatter(plt.FuncFormatter(lambda x, _: fmt.year(np.floor(x - 1e-9))))
        a.yaxis.set_major_formatter(plt.FuncFormatter(lambda x, _: fmt.count(x, lang)))
    for a in axes[len(keys):]:
        a.set_visible(False)
    if keys:
        axes[0].legend(fontsize=8)
    return axes


def _has(key: str) -> bool:
    return has(key)


def write_tables(out: str | Path, frame, meta: dict) -> list[Path]:
    """The fit table and the backtest scores as CSV/JSON in ``out`` (atomically)."""
    import json


    paths = [atomic_write_text(safe_child(out, "calibration_fit.csv"), frame.to_csv(index=False))]
    bt = (meta or {}).get("backtest")
    if bt:
        paths.append(atomic_write_text(safe_child(out, "calibration_backtest.json"),
                                       json.dumps(bt, ensure_ascii=False, indent=2)))
    return paths
