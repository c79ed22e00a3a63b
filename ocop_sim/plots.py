"""Charts of a scenario report: ``plot_*(frame, ..., ax=None, lang="en") -> Axes``.

Plot functions only select columns of the frames they are given (built by
:class:`ocop_sim.results.Result` or :mod:`ocop_sim.report`); they never simulate and never save.
Every title, axis label and legend entry comes from :mod:`ocop_sim.i18n`.  With ``lang="vi"``
the axes use Vietnamese number formatting (``1.234,5``).

Time axis: a year-end stock of year ``Y`` is drawn at ``Y + 1`` (31 December), so that actuals
reported at a decimal date (``at`` in :func:`ocop_sim.data.actuals`) fall where they belong.
"""
from __future__ import annotations

import numpy as np

from . import fmt
from .config import ASSUMPTION_NAMES
from .i18n import assumption_text, has, t

#: Colours of the star levels and the status words (colour-blind safe, Okabe–Ito); every status
#: marker also carries its word (annotation) and its own shape.
LEVEL_COLOURS = {"products_3star": "#E69F00", "products_4star": "#56B4E9",
                 "products_potential_5star": "#009E73", "products_national_5star": "#D55E00"}
STATUS_COLOURS = {"met": "#0072B2", "at_risk": "#E69F00", "missed": "#D55E00", "outside_horizon": "#BBBBBB",
                  "met_reported": "#0072B2", "missed_reported": "#D55E00", "no_report": "#BBBBBB",
                  "planned": "#BBBBBB"}
STATUS_MARKERS = {"met": "o", "met_reported": "o", "at_risk": "D", "missed": "X", "missed_reported": "X"}
STOCK_KINDS = ("stock", "ratio")


def _ax(ax):
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(8, 4.5))
    return ax


def _numbers(ax, lang: str, axis: str = "y", digits: int = 1, percent: bool = False) -> None:
    from matplotlib.ticker import FuncFormatter

    if percent:
        f = FuncFormatter(lambda x, _: fmt.share(x, lang))
    elif digits == 0:
        f = FuncFormatter(lambda x, _: fmt.count(x, lang))
    else:
        f = FuncFormatter(lambda x, _: fmt.number(x, lang, digits))
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(f)


def _years(ax, year_end: bool = True) -> None:
    """Whole years on the time axis.  ``year_end``: values of year Y are drawn at Y + 1
    (31 December), and the tick at Y + 1 is labelled Y (the end of that year)."""
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    shift = 1 if year_end else 0
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: fmt.year(round(x) - shift)))


def _target_rows(targets, metric: str, scope: str | None):
    """Attainment rows of ``metric`` (and ``scope``) read at a single year."""
    if targets is None or len(targets) == 0:
        return []
    sel = targets[targets["metric"] == metric]
    if scope is not None:
        sel = sel[sel["scope"] == scope]
    rows = []
    for _, r in sel.iterrows():
        when = str(r["when"])
        if when.isdigit():
            rows.append((int(when), float(r["target"]), str(r["status"])))
    return rows


def plot_fan(summary, metric: str = "products_3star_plus", scope: str = "province", targets=None,
             actuals=None, ax=None, lang: str = "en", percent: bool = False, colour: str = "#0072B2",
             label: str | None = None):
    """Fan chart: P10–P90 band and median of a stock over time, target markers, actual points.

    Parameters
    ----------
    summary : DataFrame of :meth:`Result.summary` (year, metric, scope, p10, median, p90).
    targets : attainment DataFrame (:meth:`Result.attainment`); rows of this metric/scope drawn
        as markers coloured by status.
    actuals : DataFrame of :func:`ocop_sim.data.actuals` (scope, metric, at, value).
    """
    ax = _ax(ax)
    s = summary[(summary["metric"] == metric) & (summary["scope"] == scope)].sort_values("year")
    x = s["year"].to_numpy(float) + 1.0
    name = label or f"{t(metric, lang)} — {t(scope, lang)}"
    ax.fill_between(x, s["p10"], s["p90"], color=colour, alpha=0.2, label=f"{t('band_p10_p90', lang)}")
    ax.plot(x, s["median"], color=colour, lw=2, label=f"{t('median', lang)}: {name}")
    x_end = float(x[-1]) if len(x) else 0.0
    tops = [float(np.nanmax(s["p90"])) if len(s) else 0.0]
    for year, value, status in _target_rows(targets, metric, scope):
        ax.scatter([year + 1.0], [value], marker=STATUS_MARKERS.get(status, "D"), s=60,
                   color=STATUS_COLOURS.get(status, "k"), edgecolor="k", zorder=5)
        # at the right edge the label goes to the left of its marker (never cut off)
        right = year + 1.0 >= x_end - 0.5
        ax.annotate(f"{t('target', lang)} {year}: {fmt.quantity(metric, value, lang)} ({t(status, lang)})",
                    (year + 1.0, value), textcoords="offset points", xytext=(-8, -4) if right else (5, 5),
                    fontsize=8, ha="right" if right else "left", va="top" if right else "bottom",
                    annotation_clip=False)
        tops.append(value)
    if actuals is not None and len(actuals):
        a = actuals[(actuals["metric"] == metric) & (actuals["scope"] == scope)]
        if len(a):
            ax.scatter(a["at"].astype(float), a["value"].astype(float), marker="o", s=30, color="k",
                       zorder=6, label=t("actual", lang))
            tops.append(float(a["value"].astype(float).max()))
    if not percent:  # room above the highest band, target or report for the labels and the legend
        ax.set_ylim(bottom=0, top=max(tops) * 1.18 + 1)
    ax.set_title(t("fan_chart", lang) if metric == "products_3star_plus" else t(metric, lang))
    ax.set_xlabel(t("time_year_end", lang))
    ax.set_ylabel(t("share", lang) if percent else t(metric, lang))
    _years(ax)
    _numbers(ax, lang, percent=percent, digits=0)
    ax.legend(fontsize=8, loc="upper left")
    ax.grid(alpha=0.3)
    return ax


def plot_star_mix(star_mix, ax=None, lang: str = "en"):
    """Stacked area of certified products by star level (:meth:`Result.star_mix`)."""
    ax = _ax(ax)
    x = star_mix.index.to_numpy(float) + 1.0
    cols = [c for c in LEVEL_COLOURS if c in star_mix.columns]
    ax.stackplot(x, *[star_mix[c].to_numpy(float) for c in cols], labels=[t(c, lang) for c in cols],
                 colors=[LEVEL_COLOURS[c] for c in cols], alpha=0.85)
    ax.set_title(t("star_mix", lang))
    ax.set_xlabel(t("time_year_end", lang))
    ax.set_ylabel(t("count_products", lang))
    _years(ax)
    _numbers(ax, lang, digits=0)
    ax.legend(fontsize=8, loc="upper left")
    ax.grid(alpha=0.3)
    return ax


def plot_by_area(by_area, year: int, ax=None, lang: str = "en"):
    """Horizontal bars of products at 3★+ per area in ``year`` (:meth:`Result.by_area`)."""
    ax = _ax(ax)
    df = by_area.sort_values("value")
    names = df["name_vi" if lang == "vi" else "name_en"]
    colours = ["#0072B2" if r == "old_dong_nai" else "#CC79A7" for r in df["region"]]
    ax.barh(names, df["value"], color=colours)
    for y, v in enumerate(df["value"]):
        ax.annotate(fmt.count(v, lang), (v, y), textcoords="offset points", xytext=(3, -3), fontsize=8)
    if len(df):  # room for the value labels right of the longest bar
        ax.set_xlim(0, float(np.nanmax(df["value"].to_numpy(float))) * 1.18 + 1)
    ax.set_title(f"{t('by_area', lang)} — {year}")
    ax.set_xlabel(f"{t('count_products', lang)} ({t('median', lang)})")
    _numbers(ax, lang, axis="x", digits=0)
    ax.grid(alpha=0.3, axis="x")
    return ax


def _median_lines(frame, labels: list[str], title: str, ylabel: str, ax, lang: str):
    """One line per column of ``frame`` (index: year; year-end values drawn at year + 1)."""
    ax = _ax(ax)
    x = frame.index.to_numpy(float) + 1.0
    for col, label in zip(frame.columns, labels):
        ax.plot(x, frame[col].to_numpy(float), lw=2, label=label)
    ax.set_title(title)
    ax.set_xlabel(t("time_year_end", lang))
    ax.set_ylabel(f"{ylabel} ({t('median', lang)})")
    _years(ax)
    _numbers(ax, lang, digits=0)
    ax.legend(fontsize=8, loc="upper left")
    ax.grid(alpha=0.3)
    return ax


def plot_by_group(by_group, ax=None, lang: str = "en"):
    """Lines of certified products per product group (:meth:`Result.by_group`)."""
    return _median_lines(by_group, [t(g, lang) for g in by_group.columns], t("by_group", lang),
                         t("count_products", lang), ax, lang)


def plot_entities(summary, targets=None, actuals=None, ax=None, lang: str = "en", scope: str = "province"):
    """Entities over time (fan) with entity targets and actuals."""
    return plot_fan(summary, "entities", scope, targets=targets, actuals=actuals, ax=ax, lang=lang,
                    colour="#009E73")


def plot_training(summary, targets=None, ax=None, lang: str = "en"):
    """Training coverage of officials (province) and entity leaders (province), with targets."""
    ax = _ax(ax)
    for metric, colour in (("coverage_officials", "#0072B2"), ("coverage_leaders", "#E69F00")):
        s = summary[(summary["metric"] == metric) & (summary["scope"] == "province")].sort_values("year")
        x = s["year"].to_numpy(float) + 1.0
        ax.fill_between(x, s["p10"], s["p90"], color=colour, alpha=0.15)
        ax.plot(x, s["median"], color=colour, lw=2, label=t(metric, lang))
        for year, value, status in _target_rows(targets, metric, None):
            ax.scatter([year + 1.0], [value], marker="D", s=50, color=STATUS_COLOURS.get(status, "k"),
                       edgecolor=colour, linewidth=2, zorder=5)
    ax.set_title(t("entities_training", lang))
    ax.set_xlabel(t("time_year_end", lang))
    ax.set_ylabel(t("share", lang))
    ax.set_ylim(0, 1.08)
    _years(ax)
    _numbers(ax, lang, percent=True)
    ax.legend(fontsize=8, loc="lower right")
    ax.grid(alpha=0.3)
    return ax


def plot_spending(spending, ax=None, lang: str = "en"):
    """Stacked bars of yearly spending by budget line [bn VND] (:meth:`Result.spending`)."""
    ax = _ax(ax)
    x = spending.index.to_numpy(int)
    bottom = np.zeros(len(x))
    for col in spending.columns:
        v = spending[col].to_numpy(float)
        ax.bar(x, v, bottom=bottom, label=t(f"spending_{col}", lang))
        bottom = bottom + v
    ax.set_title(t("spending_title", lang))
    ax.set_xlabel(t("year", lang))
    ax.set_ylabel(t("spending_bn_vnd", lang))
    _years(ax, year_end=False)
    _numbers(ax, lang, digits=1)
    ax.legend(fontsize=7, loc="upper left")
    ax.grid(alpha=0.3, axis="y")
    return ax


def plot_cost_per_product(cost, ax=None, lang: str = "en"):
    """Cumulative cost per newly certified 3★+ product [mn VND] (frame of
    :func:`ocop_sim.report.cost_per_product_frame`: year, p10, median, p90)."""
    ax = _ax(ax)
    x = cost["year"].to_numpy(int)
    ax.fill_between(x, cost["p10"], cost["p90"], color="#CC79A7", alpha=0.2, label=t("band_p10_p90", lang))
    ax.plot(x, cost["median"], color="#CC79A7", lw=2, label=t("median", lang))
    ax.set_title(t("cost_per_product_note", lang))
    ax.set_xlabel(t("year", lang))
    ax.set_ylabel(t("cost_per_product_mn_vnd", lang))
    _years(ax, year_end=False)
    _numbers(ax, lang, digits=0)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return ax


def plot_trajectories(medians, metric: str = "products_3star_plus", ax=None, lang: str = "en",
                      labels: dict | None = None):
    """Median trajectories of several scenarios (frame: index year, one column per scenario);
    ``labels``: the scenarios' titles by column (the legend never shows a scenario's file name)."""
    names = [str((labels or {}).get(c, c)) for c in medians.columns]
    return _median_lines(medians, names, f"{t('trajectories', lang)}: {t(metric, lang)}", t(metric, lang), ax, lang)


def plot_prob_matrix(matrix, ax=None, lang: str = "en", labels: dict | None = None):
    """Heat map of the probability of meeting each target (rows) in each scenario (columns;
    ``labels``: their titles), each cell written as a percent."""
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(2 + 1.3 * matrix.shape[1], 1 + 0.35 * matrix.shape[0]))
    v = matrix.to_numpy(float)
    import matplotlib

    # grey: target not in that scenario's registries or outside its horizon
    cmap = matplotlib.colormaps["cividis"].with_extremes(bad="#e0e0e0")  # colour-blind safe
    ax.imshow(np.ma.masked_invalid(v), cmap=cmap, vmin=0, vmax=1, aspect="auto")
    for i in range(v.shape[0]):
        for j in range(v.shape[1]):
            ax.text(j, i, "—" if np.isnan(v[i, j]) else fmt.share(v[i, j], lang), ha="center",
                    va="center", fontsize=8, color="k" if np.isnan(v[i, j]) or v[i, j] > 0.5 else "w")
    import textwrap

    ax.set_xticks(range(v.shape[1]), [textwrap.fill(str((labels or {}).get(c, c)), 22) for c in matrix.columns],
                  rotation=0, fontsize=8)
    ax.set_yticks(range(v.shape[0]), [str(i) for i in matrix.index], fontsize=8)
    ax.set_title(t("prob_matrix", lang))
    return ax


def plot_cost_vs_attainment(frame, ax=None, lang: str = "en"):
    """Scatter of total cost [bn VND] versus targets met, one point per scenario
    (frame columns: scenario, total_cost_bn_vnd, targets_met)."""
    ax = _ax(ax)
    ax.scatter(frame["total_cost_bn_vnd"], frame["targets_met"], s=60, color="#0072B2")
    for _, r in frame.iterrows():
        name = r["label"] if "label" in frame.columns else r["scenario"]
        ax.annotate(str(name), (r["total_cost_bn_vnd"], r["targets_met"]), textcoords="offset points",
                    xytext=(5, 3), fontsize=8)
    ax.set_title(t("cost_vs_attainment", lang))
    ax.set_xlabel(t("total_cost_bn_vnd", lang))
    ax.set_ylabel(t("targets_met", lang))
    _numbers(ax, lang, axis="x", digits=0)
    _numbers(ax, lang, axis="y", digits=1)
    ax.grid(alpha=0.3)
    return ax


# ----------------------------------------------------------------------------- analytics (issue 4)


def factor_label(name: str, lang: str = "en") -> str:
    """Label of a sensitivity factor: the i18n label of a lever, else the assumption's description
    (wrapped on lines of 40 characters, never cut), else the identifier."""
    import textwrap


    if has(name):
        return t(name, lang)
    if name in ASSUMPTION_NAMES:
        return textwrap.fill(assumption_text(name, lang), 60)
    return name


def tornado_figure(df, lang: str = "en", top: int = 10, ax=None, title: str | None = None):
    """Tornado chart of :func:`ocop_sim.sensitivity.tornado` (its first ``top`` rows).

    One horizontal bar per factor from the metric's value with the input at its low value to the
    value with the input at its high value (two colours), around the base value (vertical line).
    Returns the Axes (``ax.figure`` is the Figure).
    """
    d = df.head(top).iloc[::-1]
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(8, 0.9 + 0.38 * len(d)))
    y = np.arange(len(d))
    base = float(d["value_base"].iloc[0]) if len(d) else 0.0
    lo = d["value_low"].to_numpy(float)
    hi = d["value_high"].to_numpy(float)
    ax.barh(y, lo - base, left=base, color="#56B4E9", label=t("tornado_low", lang))
    ax.barh(y, hi - base, left=base, color="#E69F00", label=t("tornado_high", lang))
    ax.axvline(base, color="k", lw=1, label=t("tornado_base", lang))
    ax.set_yticks(y, [factor_label(n, lang) for n in d["name"]], fontsize=7)
    ax.set_title(title or t("tornado_title", lang))
    ax.set_xlabel(t("value", lang))
    _numbers(ax, lang, axis="x", digits=0)
    ax.legend(fontsize=7, loc="best", framealpha=0.8)
    ax.grid(alpha=0.3, axis="x")
    return ax


def setup_figures() -> None:
    """Matplotlib settings of the reports (inline PNG of moderate size)."""
    import matplotlib.pyplot as plt

    plt.rcParams.update({"figure.dpi": 80, "figure.figsize": (9, 4.5), "axes.titlesize": 11})


def cost_attainment(runs):
    """Total spending over the horizon [bn VND] and expected number of targets met per scenario."""
    import pandas as pd

    rows = []
    for ld, res in runs:
        tab = res.attainment()
        tab = tab[tab["status"].isin(["met", "at_risk", "missed"])]
        rows.append({"scenario": ld.scenario.name, "total_cost_bn_vnd": float(res.spending().to_numpy().sum()),
                     "targets_met": float(tab["probability"].sum()), "targets": int(len(tab))})
    return pd.DataFrame(rows)
