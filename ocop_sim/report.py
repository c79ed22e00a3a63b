"""Scenario reports: table builders for the notebooks, papermill execution, HTML export, the
batch runner and the index page.

The notebooks in ``notebooks/`` are thin: they call :func:`load_run` and the ``*_html`` /
``*_frame`` builders below and :mod:`ocop_sim.plots`.  The batch runner (:func:`run_batch`)
simulates every scenario once in worker processes, caches each :class:`~ocop_sim.results.Result`
(verified arrays, no pickle: :func:`ocop_sim.cache.save_entry`) in a folder of the batch's own inside
``OUT`` and then executes the report notebook per scenario × language
with papermill *inside* long-lived worker processes (no CLI subprocess per report), so kernels
only render.  Every file is written atomically (:mod:`ocop_sim.io`).
"""
from __future__ import annotations

import html
import json
import os
import re
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .i18n import assumption_text, fmt_number, fmt_percent, source_text, t, unit_text
from .plots import cost_attainment, setup_figures  # noqa: F401 - notebooks and tests call them here
from .trust import trust_sentence
from .io import atomic_write_text, safe_child

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
REPORT_NOTEBOOK = NOTEBOOKS / "scenario_report.ipynb"
COMPARE_NOTEBOOK = NOTEBOOKS / "compare_scenarios.ipynb"
CALIBRATION_NOTEBOOK = NOTEBOOKS / "calibration.ipynb"
#: Calibration report settings: fit on years <= UNTIL, Monte Carlo draws of the backtest.
#: Posterior predictive draws of the calibration report's fit chart.
CALIBRATION_DRAWS = 300
CACHE_DIR = "_cache"
LANG_CHOICES = {"vi": ("vi",), "en": ("en",), "both": ("vi", "en")}
#: Years shown in the "by area" section (clipped to the horizon).
AREA_YEARS = (2025, 2035)

# colour-blind-safe tints (blue / orange / vermillion, Okabe–Ito); the status word is always written too
_STATUS_CSS = {"met": "#cfe3f3", "at_risk": "#fde2b8", "missed": "#f6c3b0", "outside_horizon": "#e8e8e8",
               "met_reported": "#cfe3f3", "missed_reported": "#f6c3b0", "no_report": "#e8e8e8",
               "planned": "#e8e8e8"}

# Prefixed with .jp-RenderedHTMLCommon as well: JupyterLab/nbconvert's own rule for table cells
# (specificity 0,2,1) would otherwise right-align every cell of the reports.
_CSS = """<style>
table.ocop {border-collapse: collapse; font-size: 12px; margin: 6px 0;}
.jp-RenderedHTMLCommon table.ocop th, .jp-RenderedHTMLCommon table.ocop td,
table.ocop th, table.ocop td {border: 1px solid #ccc; padding: 3px 6px; text-align: left; vertical-align: top;}
.jp-RenderedHTMLCommon table.ocop td.num, table.ocop td.num {text-align: right; white-space: nowrap;}
table.ocop th {background: #f0f0f0;}
</style>"""


def esc(x: Any) -> str:
    """HTML-escaped text of any value (all user text passes through here)."""
    return html.escape(str(x), quote=True)


# ----------------------------------------------------------------------------- loading a run


def load_result(path: str | Path, scenario=None):
    """Read a Result the batch runner handed over (``name.npz`` + signed ``name.json``,
    :func:`ocop_sim.cache.load_entry`): verified, never unpickled.  Raises
    :class:`~ocop_sim.cache.CacheError` when the files fail verification."""
    from .cache import load_entry

    return load_entry(path, scenario)


def save_result(res, path: str | Path) -> Path:
    """Hand a Result to the report kernels: ``path`` (``name.npz``) and its signed metadata."""
    from .cache import save_entry

    path = Path(path)
    return save_entry(path.parent, path.stem, res)


def load_run(scenario: str | Path, result_cache: str | Path | None = None, draws: int | None = None,
             seed: int | None = None):
    """Load a scenario and its Result: from ``result_cache`` when it holds this resolved scenario
    (same hash, verified), otherwise simulate.  Returns ``(loaded, result)``."""
    from .scenarios import load
    from .simulate import simulate

    ld = load(scenario, allow_outside=True)
    if result_cache and Path(result_cache).is_file():
        res = load_result(result_cache, ld.scenario)
        if draws is None or res.draws == draws:
            return ld, res
    return ld, simulate(ld.scenario, draws=draws, seed=seed)


def load_runs(scenarios: list, result_caches: list | None = None, draws: int | None = None,
              seed: int | None = None) -> list:
    caches = list(result_caches) if result_caches else [None] * len(scenarios)
    return [load_run(s, c, draws, seed) for s, c in zip(scenarios, caches)]


# ----------------------------------------------------------------------------- table builders


def heading(key: str, lang: str, level: int = 2) -> str:
    return f"<h{level}>{esc(t(key, lang))}</h{level}>"


def _table(headers: list[str], rows: list[list[tuple[str, str]]], cls: str = "ocop") -> str:
    """rows: lists of (cell_html, css_class_or_style)."""
    out = [_CSS, f'<table class="{cls}"><thead><tr>']
    out += [f"<th>{esc(h)}</th>" for h in headers]
    out.append("</tr></thead><tbody>")
    for r in rows:
        out.append("<tr>" + "".join(f"<td{attr}>{cell}</td>" for cell, attr in r) + "</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def _compact(x: float, lang: str, digits: int = 3) -> str:
    """A number without trailing decimal zeros (``3,5`` not ``3,50``)."""
    s = fmt_number(x, lang, digits)
    sep = "," if lang == "vi" else "."
    return s.rstrip("0").rstrip(sep) if sep in s else s


def _value(x: Any, lang: str) -> str:
    if isinstance(x, dict) and x and all(isinstance(v, (int, float)) for v in x.values()):
        # a step schedule {year: value}
        return esc(" · ".join(f"{k}: {_compact(v, lang)}" for k, v in x.items()))
    if isinstance(x, (dict, list)):
        return esc(json.dumps(x, ensure_ascii=False))
    if isinstance(x, int) and not isinstance(x, bool):
        return esc(str(x))  # years, seeds, draws: no thousands separator (2035, not 2.035)
    if isinstance(x, float):
        return esc(_compact(x, lang))
    if x is None:
        return "—"
    return esc(x)


def header_html(ld, res, lang: str = "en") -> str:
    """Title, description and the changed keys versus the scenario it extends (old → new)."""
    from .scenarios import changed_keys

    sc = ld.scenario
    title = getattr(sc.title, lang) or sc.name
    desc = getattr(sc.description, lang)
    parts = [f"<h1>{esc(t('report_title', lang))}: {esc(title)}</h1>",
             f"<p><b>{esc(t('scenario', lang))}:</b> {esc(sc.name)} ({esc(ld.path.name)})</p>"]
    if desc:
        parts.append(f"<p>{esc(desc)}</p>")
    if sc.counterfactual:
        parts.append(f'<p class="counterfactual"><b>{esc(t("counterfactual_banner", lang))}</b></p>')
    parts.append(heading("changes", lang, 3))
    if len(ld.chain) > 1:
        parts.append(f"<p><b>{esc(t('extends', lang))}:</b> {esc(Path(ld.chain[1]).name)}</p>")
    # title and description are shown above, in the report's language
    changes = [c for c in changed_keys(ld.parent_raw, ld.raw) if not c[0].startswith(("title.", "description."))]
    if not changes:
        parts.append(f"<p>{esc(t('no_changes', lang))}</p>")
    else:
        rows = [[(esc(k), ""), (_value(a, lang), ""), (_value(b, lang), "")] for k, a, b in changes]
        parts.append(_table([t("key", lang), t("old_value", lang), t("new_value", lang)], rows))
    return "".join(parts)


def _fmt_target_value(metric: str, x: float, lang: str) -> str:
    """A target's value as the reports write it (:func:`ocop_sim.fmt.quantity`: counts whole,
    shares in percent)."""
    from .fmt import quantity

    return quantity(metric, x, lang)


def _goal_text(r, lang: str) -> str:
    """A target's goal in words: ``từ 100 trở lên`` / ``at least 100``."""
    from .fmt import comparison

    return comparison(str(r["comparison"]), _fmt_target_value(r["metric"], r["target"], lang), lang)


def evaluation_html(table, lang: str = "en") -> str:
    """Past targets against what was reported: target, when, goal, reported figure, its date and
    source, met / missed / no reported figure (rows of ``phase == "evaluation"``)."""
    label = "label_vi" if lang == "vi" else "label_en"
    headers = [t("target", lang), t("when", lang), t("goal", lang), t("reported_value", lang),
               t("reported_date", lang), t("source", lang), t("status", lang)]
    rows = []
    for _, r in table.iterrows():
        if r.get("phase") != "evaluation":
            continue
        st = str(r["status"])
        goal = esc(_goal_text(r, lang))
        rep = r["reported"]
        val = "—" if rep != rep else esc(_fmt_target_value(r["metric"], rep, lang))
        src = str(r.get("reported_source") or "")
        link = f'<a href="{esc(src)}">{esc(_host(src))}</a>' if src.startswith("http") else "—"
        rows.append([(esc(r[label]), f' data-id="{esc(r["id"])}"'), (esc(r["when"]), ""), (goal, ' class="num"'),
                     (val, f' class="num" data-col="reported" data-value="{float(rep)!r}"'),
                     (esc(_date_text(str(r.get("reported_date") or ""), lang) or "—"), ""), (link, ""),
                     (esc(t(st, lang)), f' style="background:{_STATUS_CSS.get(st, "#fff")}" data-status="{esc(st)}"')])
    return _table(headers, rows, cls="ocop targets evaluation")


def outlook_html(table, scenario, lang: str = "en") -> str:
    """The outlook targets table with the trust sentence above it."""
    return f'<p class="trust">{esc(trust_sentence(scenario, lang))}</p>' + targets_html(table, lang)


def targets_sections_html(table, res, lang: str = "en") -> str:
    """*Evaluation* of the past targets against reports, then the *Outlook* with probabilities.

    Past targets (their date has passed: see :func:`ocop_sim.targets.is_past`) show the reported
    figure and its source, never a simulated probability; counts fixed by the plan's levers show
    the planned value.
    """
    sc = res.scenario
    parts = []
    past = table[table["phase"] == "evaluation"] if "phase" in table else table.iloc[:0]
    future = table[table["phase"] != "evaluation"] if "phase" in table else table
    if len(past):
        years = [int(str(w)[-4:]) for w in past["when"]]
        first = min(int(str(w)[:4]) for w in past["when"])
        parts.append(f"<h2>{esc(t('evaluation_title', lang).format(first=first, last=max(years)))}</h2>")
        parts.append(evaluation_html(past, lang))
    if len(future):
        parts.append(f"<h2>{esc(t('outlook_title', lang).format(first=int(res.years[0]), last=int(res.years[-1])))}</h2>")
        parts.append(outlook_html(future, sc, lang))
    return "".join(parts)


def _date_text(d: str, lang: str = "en") -> str:
    """A report's date as planners write it: 26/06/2025, 06/2025 (free text kept, "derived" translated)."""
    from .fmt import date

    return date(d, lang) if d else d


def _host(url: str) -> str:
    from urllib.parse import urlparse

    return urlparse(url).netloc or url[:40]


def targets_html(table, lang: str = "en") -> str:
    """Coloured targets table of an attainment frame (:meth:`Result.attainment`): the outlook rows.

    Columns: target, when, goal, median, P10–P90, probability, status.  Each value cell carries a
    ``data-value`` attribute with the unrounded number (so tests and tools can read it back).
    Past targets (``phase == "evaluation"``) are left to :func:`evaluation_html`; counts fixed
    by the plan's levers show the planned value and no probability.
    """
    label = "label_vi" if lang == "vi" else "label_en"
    headers = [t("target", lang), t("when", lang), t("goal", lang), t("median", lang), t("p10_p90", lang),
               t("probability", lang), t("status", lang)]
    rows = []
    for _, r in table.iterrows():
        if r.get("phase") == "evaluation":
            continue
        st = str(r["status"])
        colour = f' style="background:{_STATUS_CSS.get(st, "#fff")}"'
        goal = esc(_goal_text(r, lang))
        if st == "planned":
            rows.append([(esc(r[label]), f' data-id="{esc(r["id"])}"'), (esc(r["when"]), ""), (goal, ' class="num"'),
                         (esc(_fmt_target_value(r["metric"], r["median"], lang)),
                          f' class="num" data-col="median" data-value="{float(r["median"])!r}"'),
                         ("—", ' class="num"'), ("—", ' class="num"'), (esc(t(st, lang)), colour + ' data-status="planned"')])
            continue
        if st == "outside_horizon":
            cells = [(esc(r[label]), f' data-id="{esc(r["id"])}"'), (esc(r["when"]), ""), (goal, ' class="num"'),
                     ("—", ' class="num"'), ("—", ' class="num"'), ("—", ' class="num"'),
                     (esc(t(st, lang)), colour)]
        else:
            def num(col: str) -> tuple[str, str]:
                return (esc(_fmt_target_value(r["metric"], r[col], lang)),
                        f' class="num" data-col="{col}" data-value="{float(r[col])!r}"')
            band = (f"{esc(_fmt_target_value(r['metric'], r['p10'], lang))} – "
                    f"{esc(_fmt_target_value(r['metric'], r['p90'], lang))}")
            cells = [(esc(r[label]), f' data-id="{esc(r["id"])}"'), (esc(r["when"]), ""), (goal, ' class="num"'),
                     num("median"),
                     (band, f' class="num" data-p10="{float(r["p10"])!r}" data-p90="{float(r["p90"])!r}"'),
                     (esc(fmt_percent(r["probability"], lang, 0)),
                      f' class="num" data-col="probability" data-value="{float(r["probability"])!r}"'),
                     (esc(t(st, lang)), colour + f' data-status="{esc(st)}"')]
        rows.append(cells)
    return _table(headers, rows, cls="ocop targets")


def assumptions_table(scenario, lang: str = "en") -> str:
    """Levers and assumptions of a scenario with units, bounds and sources, from the schema."""
    from .config import ASSUMPTION_NAMES, Levers, assumption_meta, lever_meta

    rows = []
    for name in Levers.model_fields:
        m = lever_meta(name)
        desc = m.get("vi", m["description"]) if lang == "vi" else m["description"]
        rows.append([(esc(name), ""), (esc(desc), ""), (_value(getattr(scenario.levers, name), lang), ""),
                     (esc(unit_text(m.get("unit", "-"), lang)), ""), ("—", ""), ("—", "")])
    lev = _table([t("levers", lang), t("description", lang), t("value", lang), t("unit", lang), t("bounds", lang),
                  t("source", lang)], rows)
    rows = []
    for name in ASSUMPTION_NAMES:
        m = assumption_meta(name)
        v = getattr(scenario.assumptions, name)
        rows.append([(esc(name), ""), (esc(assumption_text(name, lang)), ""),
                     (esc(fmt_number(v, lang, 3)), ' class="num"'), (esc(unit_text(m["unit"], lang)), ""),
                     (f"{esc(fmt_number(m['low'], lang, 3))} – {esc(fmt_number(m['high'], lang, 3))}", ' class="num"'),
                     (esc(source_text(m["source"], lang)), "")])
    ass = _table([t("assumptions", lang), t("description", lang), t("value", lang), t("unit", lang),
                  t("bounds", lang), t("source", lang)], rows)
    return heading("levers", lang, 3) + lev + heading("assumptions", lang, 3) + ass


def manifest_html(res, lang: str = "en") -> str:
    m = res.manifest()
    keys = ("scenario", "scenario_hash", "mode", "seed", "draws", "version", "created")
    rows = [[(esc(t(k, lang)), ""), (esc(m[k]), "")] for k in keys]
    return _table([t("key", lang), t("value", lang)], rows)


def area_years(res) -> list[int]:
    """The report's "by area" years clipped to the horizon (deduplicated, ordered)."""
    lo, hi = int(res.years[0]), int(res.years[-1])
    return sorted({min(max(y, lo), hi) for y in AREA_YEARS})


#: The headline metric of the "key sensitivities" section and its years (clipped to the horizon).
SENSITIVITY_METRIC, SENSITIVITY_YEARS = "products_3star_plus", (2025, 2035)


def sensitivity_years(res) -> list[int]:
    """Years of the key-sensitivity tornados: 2025 and 2035 within the horizon, else its end."""
    lo, hi = int(res.years[0]), int(res.years[-1])
    ys = sorted({min(max(y, lo), hi) for y in SENSITIVITY_YEARS})
    return ys


def key_sensitivity_tables(ld, res) -> dict:
    """The tornado tables (expected mode) of the key-sensitivity section: ``{year: DataFrame}``
    of :func:`ocop_sim.sensitivity.tornados` for products at 3★+ in :func:`sensitivity_years`."""
    from .sensitivity import tornados

    return tornados(ld.scenario, SENSITIVITY_METRIC, sensitivity_years(res))


def key_sensitivities(ld, res, lang: str = "en", top: int = 8, tables: dict | None = None):
    """Tornado charts (expected mode) of products at 3★+ in 2025 and 2035: one figure, one panel
    per year, the ``top`` factors each.  ``tables``: :func:`key_sensitivity_tables` computed
    earlier (a :class:`ReportBundle`'s), else computed here (about 0.7 s on the baseline)."""
    import matplotlib.pyplot as plt

    from . import plots

    years = sensitivity_years(res)
    tabs = key_sensitivity_tables(ld, res) if tables is None else tables
    fig, axes = plt.subplots(1, len(years), figsize=(6.8 * len(years), 0.9 + 0.42 * top), squeeze=False)
    for ax, y in zip(axes[0], years):
        plots.tornado_figure(tabs[y], lang, top=top, ax=ax, title=f"{t(SENSITIVITY_METRIC, lang)}, {y}")
    fig.tight_layout()
    return fig


def report_summary(res):
    """Summary frame of the metrics drawn in the scenario report."""
    return res.summary(["products_3star_plus", "entities", "coverage_officials", "coverage_leaders"],
                       ["province", "old_dong_nai", "old_binh_phuoc"])


def cost_per_product_frame(res):
    """Cumulative cost per newly certified 3★+ product from the first year to each year [mn VND]."""
    import numpy as np
    import pandas as pd

    y0 = int(res.years[0])
    rows = []
    for y in res.years[1:]:
        v = res.value("cost_per_product_mn_vnd", period=(y0, int(y)))
        v = v[np.isfinite(v)]
        if len(v):
            q = np.quantile(v, [0.1, 0.5, 0.9])
            rows.append({"year": int(y), "p10": q[0], "median": q[1], "p90": q[2]})
    return pd.DataFrame(rows, columns=["year", "p10", "median", "p90"])


# ----------------------------------------------------------------------------- comparison frames


def _names(runs) -> list[str]:
    return [ld.scenario.name for ld, _ in runs]


def trajectories(runs, metric: str = "products_3star_plus", scope: str = "province"):
    """Median yearly series per scenario (index year, one column per scenario)."""
    import numpy as np
    import pandas as pd

    cols = {}
    for ld, res in runs:
        cols[ld.scenario.name] = pd.Series(np.median(res.series(metric, scope), axis=1), index=res.years)
    return pd.DataFrame(cols).rename_axis("year")


def probability_matrix(runs, lang: str = "en"):
    """Probability of meeting each target (rows: target labels) per scenario (columns)."""
    import pandas as pd

    label = "label_vi" if lang == "vi" else "label_en"
    cols, labels = {}, {}
    for ld, res in runs:
        tab = res.attainment()
        tab = tab[tab["status"].isin(["met", "at_risk", "missed"])]
        cols[ld.scenario.name] = pd.Series(tab["probability"].to_numpy(float),
                                           index=list(zip(tab["registry"], tab["id"])))
        labels.update(dict(zip(zip(tab["registry"], tab["id"]), tab[label])))
    m = pd.DataFrame(cols)
    m.index = [labels[k] for k in m.index]
    return m


def matrix_html(matrix, lang: str = "en") -> str:
    rows = []
    for lab, r in matrix.iterrows():
        cells = [(esc(lab), "")]
        for v in r:
            if v != v:  # NaN: target not in this scenario
                cells.append(("—", ' class="num"'))
            else:
                from .targets import status

                cells.append((f"{esc(fmt_percent(v, lang, 0))} ({esc(t(status(float(v)), lang))})",
                              f' class="num" style="background:{_STATUS_CSS[status(float(v))]}"'))
        rows.append(cells)
    return _table([t("target", lang), *[str(c) for c in matrix.columns]], rows)


# ----------------------------------------------------------------------------- computed once per scenario

#: Monte Carlo draws of the reality checks' conditional reruns in a report (bounds their time).
CHECK_DRAWS = 200
#: Format of a report bundle: bump it when what a bundle holds, or how it is computed, changes.
BUNDLE_FORMAT = "ocop-sim-report-bundle/1"
#: A bundle is a few tables: a larger file is not ours.
MAX_BUNDLE_BYTES = 2_000_000


@dataclass(frozen=True)
class ReportBundle:
    """What a scenario report computes beyond reading its Result, the same in every language:
    the lever that moves each target at risk most (summary, parts IV–V: expected-mode tornados),
    the reality checks with their conditional Monte Carlo reruns (appendix 4) and the
    key-sensitivity tornados (appendix 5).

    The batch computes it once per scenario in its worker (:func:`compute_bundle`) and hands it
    to the vi and en kernels as a signed JSON file (:func:`save_bundle`, :func:`load_bundle`;
    no pickle); a notebook run on its own computes it in its kernel (:func:`report_bundle`).
    """

    scenario_hash: str
    seed: int
    draws: int
    mode: str
    #: per target at risk, in the summary's order: (registry, id, (lever, low, base, high) or None)
    levers: tuple
    #: :func:`ocop_sim.checks.run_checks` with :data:`CHECK_DRAWS` draws for the reruns
    checks: Any
    #: :func:`key_sensitivity_tables`: ``{year: DataFrame}``
    tornados: dict


class _SharedExpectedRuns:
    """Within the block, an expected-mode run the tornados ask for twice (same scenario: the
    lever variants of every target's tornado and of the key sensitivities) is computed once.

    Expected runs are deterministic, so the tables are those of separate calls, number for
    number (the report bundle test compares them)."""

    def __enter__(self):
        from . import sensitivity

        self._mod, self._orig, memo = sensitivity, getattr(sensitivity, "simulate", None), {}
        orig = self._orig

        def simulate(scenario, *args, **kwargs):
            if args or kwargs.get("mode") != "expected" or set(kwargs) - {"mode"}:
                return orig(scenario, *args, **kwargs)
            key = scenario.model_dump_json()
            if key not in memo:
                memo[key] = orig(scenario, *args, **kwargs)
            return memo[key]

        if orig is not None:
            sensitivity.simulate = simulate
        return self

    def __exit__(self, *exc) -> None:
        if self._orig is not None:
            self._mod.simulate = self._orig


def compute_bundle(ld, res, table=None) -> ReportBundle:
    """Compute a report's :class:`ReportBundle` (tornados, reality checks and their reruns)."""
    from .checks import run_checks
    from .document import compute_summary

    table = res.attainment() if table is None else table
    with _SharedExpectedRuns():
        s = compute_summary(ld, res, table)
        tornados = key_sensitivity_tables(ld, res)
    levers = tuple((str(it["row"]["registry"]), str(it["row"]["id"]),
                    None if it["lever"] is None else tuple(it["lever"])) for it in s.at_risk)
    return ReportBundle(scenario_hash=ld.hash, seed=int(res.seed), draws=int(res.draws), mode=str(res.mode),
                        levers=levers, checks=run_checks(ld.scenario, res, max_under_draws=CHECK_DRAWS),
                        tornados=tornados)


def summary_numbers(ld, res, table, bundle: ReportBundle | None = None):
    """:func:`ocop_sim.document.compute_summary`, with the levers of the targets at risk taken
    from ``bundle`` (computed once for every language) instead of computed again."""
    from .document import compute_summary

    if bundle is None:
        return compute_summary(ld, res, table)
    s = compute_summary(ld, res, table, levers=False)
    if [(str(it["row"]["registry"]), str(it["row"]["id"])) for it in s.at_risk] != [b[:2] for b in bundle.levers]:
        raise ValueError("report bundle: expected the targets at risk of this run, got others")
    for it, (_, _, eff) in zip(s.at_risk, bundle.levers):
        it["lever"] = eff
    return s


def _plain(x: Any) -> Any:
    """A JSON value of a table cell (numpy scalars as Python numbers)."""
    import numpy as np

    if isinstance(x, np.bool_):
        return bool(x)
    if isinstance(x, np.integer):
        return int(x)
    if isinstance(x, np.floating):
        return float(x)
    return x


def _frame_json(df) -> dict:
    return {"columns": [str(c) for c in df.columns],
            "rows": [[_plain(v) for v in row] for row in df.itertuples(index=False, name=None)]}


def _frame_from(d: dict):
    import pandas as pd

    return pd.DataFrame(d["rows"], columns=d["columns"])


def bundle_json(bundle: ReportBundle) -> dict:
    """The bundle as plain JSON data (what :func:`save_bundle` signs)."""
    return {"scenario_hash": bundle.scenario_hash, "seed": bundle.seed, "draws": bundle.draws, "mode": bundle.mode,
            "levers": [[r, i, None if e is None else [e[0], *map(float, e[1:])]] for r, i, e in bundle.levers],
            "checks": _frame_json(bundle.checks),
            "tornados": {str(y): _frame_json(df) for y, df in bundle.tornados.items()}}


def bundle_from_json(d: dict, label: str = "report bundle") -> ReportBundle:
    """:func:`bundle_json` read back; CacheError naming the field when the data is not a bundle's."""
    from .cache import CacheError

    try:
        return ReportBundle(scenario_hash=str(d["scenario_hash"]), seed=int(d["seed"]), draws=int(d["draws"]),
                            mode=str(d["mode"]),
                            levers=tuple((str(r), str(i), None if e is None else (str(e[0]), *map(float, e[1:4])))
                                         for r, i, e in d["levers"]),
                            checks=_frame_from(d["checks"]),
                            tornados={int(y): _frame_from(t) for y, t in d["tornados"].items()})
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise CacheError(f"{label}: expected the tables of a report bundle, got something else "
                         f"({type(exc).__name__}: {exc})") from None


def save_bundle(folder: str | Path, name: str, bundle: ReportBundle) -> Path:
    """Write ``bundle`` as ``name.json`` in ``folder``, signed with the folder's cache key
    (:mod:`ocop_sim.cache`), atomically; returns the path."""
    from .cache import write_signed_json

    return write_signed_json(folder, name, {"format": BUNDLE_FORMAT, "name": name, "bundle": bundle_json(bundle)})


def load_bundle(path: str | Path, scenario_hash: str | None = None, res=None) -> ReportBundle:
    """The verified bundle at ``path``: signed by its folder's cache key, of this format and, when
    given, of this scenario (hash) and this run (seed, draws, mode).  Raises CacheError on any
    mismatch and FileNotFoundError when there is none."""
    from .cache import CacheError, read_signed_json

    p = Path(path)
    meta = read_signed_json(p, BUNDLE_FORMAT, "report bundle", "bundle", MAX_BUNDLE_BYTES)
    b = bundle_from_json(meta.get("bundle") if isinstance(meta.get("bundle"), dict) else {}, str(p))
    want = {"scenario_hash": scenario_hash}
    if res is not None:
        want.update(seed=int(res.seed), draws=int(res.draws), mode=str(res.mode))
    for k, v in want.items():
        if v is not None and getattr(b, k) != v:
            raise CacheError(f"{p}: {k}: expected {str(v)[:16]!r}, got {str(getattr(b, k))[:16]!r} "
                             "(the bundle of another run)")
    return b


def bundle_key(scenario, res) -> str:
    """Key of a run's bundle in the result cache: the run's inputs (:func:`ocop_sim.cache.run_inputs`:
    scenario, settings, model and package versions, data, posterior, registries), the bundle's
    format and the reruns' draws."""
    import hashlib

    from .cache import run_inputs

    blob = {"format": BUNDLE_FORMAT, "check_draws": CHECK_DRAWS,
            "run": run_inputs(scenario, int(res.draws), int(res.seed), str(res.mode))}
    return hashlib.sha256(json.dumps(blob, sort_keys=True).encode()).hexdigest()


def cached_bundle(ld, res, table=None, use_cache: bool = True) -> ReportBundle:
    """:func:`compute_bundle` through the result cache (``--force`` re-renders and unchanged
    scenarios of a later batch do not compute it again); a cache that cannot be read or written
    is skipped with a warning, as :func:`ocop_sim.cache.cached_simulate` does."""
    import warnings

    from .cache import CacheError, CacheWarning, cache_dir

    if not use_cache:
        return compute_bundle(ld, res, table)
    p = cache_dir() / f"{bundle_key(ld.scenario, res)}.json"
    try:
        return load_bundle(p, ld.hash, res)
    except (FileNotFoundError, NotADirectoryError):
        pass
    except (CacheError, OSError) as exc:
        warnings.warn(f"report bundle discarded, recomputing: {exc}", CacheWarning, stacklevel=2)
        p.unlink(missing_ok=True)
    b = compute_bundle(ld, res, table)
    try:
        save_bundle(p.parent, p.stem, b)
    except (CacheError, OSError) as exc:
        warnings.warn(f"result cache {p.parent} not used for the report bundle: {exc}", CacheWarning, stacklevel=2)
    return b


def report_bundle(ld, res, path: str | Path | None = None, table=None) -> ReportBundle:
    """A report's bundle: the one the batch computed (``path``, verified against this scenario and
    run), or computed here when the notebook runs on its own (``path`` None)."""
    if path:
        return load_bundle(path, ld.hash, res)
    return compute_bundle(ld, res, table)


# ----------------------------------------------------------------------------- execution + export


@dataclass(frozen=True)
class RenderOutcome:
    """What happened to one notebook."""

    name: str
    lang: str
    ok: bool
    files: dict = field(default_factory=dict)  # kind -> path
    error: str = ""
    cell: int | None = None
    seconds: float = 0.0


def _strip_external(html_text: str) -> str:
    """Remove <script src=http...> tags (MathJax, require.js): the report reads offline."""
    return re.sub(r'<script[^>]*\ssrc="https?://[^"]*"[^>]*>\s*</script>', "", html_text)


def to_html(nb, title: str, lang: str | None = None) -> str:
    """Self-contained HTML of an executed notebook without code (images embedded as base64);
    ``lang`` (else the notebook's ``lang`` parameter) sets ``<html lang>``."""
    lang = lang or (nb.metadata.get("papermill", {}).get("parameters", {}).get("lang")) or "en"
    body, _ = _exporter(lang if lang in ("vi", "en") else "en").from_notebook_node(
        nb, resources={"metadata": {"name": title}})
    return _strip_external(body)


_EXPORTERS: dict = {}


def _exporter(lang: str):
    """One HTML exporter per language and process: a new one compiles nbconvert's Jinja templates
    again (about half a second per report)."""
    if lang not in _EXPORTERS:
        from nbconvert import HTMLExporter

        _EXPORTERS[lang] = HTMLExporter(exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True,
                                        language_code=lang)
    return _EXPORTERS[lang]


#: What a report kernel imports while it boots (before it accepts work): the package, pandas
#: and matplotlib, and what loading a scenario with a posterior imports (bayes: scipy.special).
#: The notebook still runs in a fresh kernel process of its own.
_PRELOAD = ("import ocop_sim.report, ocop_sim.plots, ocop_sim.results, ocop_sim.document, ocop_sim.data, "
            "ocop_sim.cache, ocop_sim.bayes, ocop_sim.checks, ocop_sim.targets, ocop_sim.posterior, "
            "matplotlib.pyplot, matplotlib_inline.backend_inline, IPython.display, pandas")
#: ``0`` starts every report kernel as a Python process of its own (``python -m ipykernel_launcher``)
#: instead of forking it from the worker's kernel template (:class:`_KernelTemplate`).
FORK_ENV = "OCOP_SIM_FORK_KERNELS"

# The kernel template: a process that imports ipykernel and what the reports import (_PRELOAD),
# then only forks.  Each child is one report's kernel: a new process (own session and process
# group), in the environment and folder jupyter_client asked for, that starts IPKernelApp as
# ``python -m ipykernel_launcher`` would.  The template never runs notebook code, so no report
# sees another's state; it only spares each kernel ~2 s of imports.  Children are reaped as they
# end; the template exits when its worker closes the pipe.
_TEMPLATE_CODE = r"""
import json, os, signal, sys, traceback
ctl_in, ctl_out = os.fdopen(os.dup(0), "rb"), os.fdopen(os.dup(1), "wb")
os.dup2(2, 1)  # whatever the imports print goes to the log, never into the answers
if sys.path and sys.path[0] == "":
    del sys.path[0]  # as ipykernel_launcher: the kernel puts it back
import ipykernel.kernelapp
exec(sys.argv[1])
def reap(*_):  # at once (no zombie), and into this process's CPU accounting (resource.RUSAGE_CHILDREN)
    while True:
        try:
            if os.waitpid(-1, os.WNOHANG)[0] == 0:
                return
        except ChildProcessError:
            return
signal.signal(signal.SIGINT, signal.SIG_IGN)
signal.signal(signal.SIGCHLD, reap)
for line in ctl_in:
    req = json.loads(line)
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            os.setsid()
            ctl_in.close()
            ctl_out.close()
            for sig in (signal.SIGINT, signal.SIGCHLD, signal.SIGTERM, signal.SIGPIPE):
                signal.signal(sig, signal.SIG_DFL)
            null = os.open(os.devnull, os.O_RDONLY)
            os.dup2(null, 0)
            os.dup2(2, 1)
            os.environ.clear()
            os.environ.update(req["env"])
            os.environ["JPY_PARENT_PID"] = str(os.getppid())
            if req.get("cwd"):
                os.chdir(req["cwd"])
            # the kernel ends with the template (the trait's default was read at import, without it)
            sys.argv = [sys.executable, *req["argv"], "--IPKernelApp.parent_handle=%d" % os.getppid()]
            ipykernel.kernelapp.launch_new_instance()
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 0
        except BaseException:
            traceback.print_exc()
        finally:
            os._exit(code)
    ctl_out.write(b"pid %d\n" % pid)
    ctl_out.flush()
"""


class _ForkedProcess:
    """A :class:`subprocess.Popen`-like handle of a kernel forked by the template (a child of the
    template, not of this process: it is watched by PID, and the template reaps it)."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int) -> None:
        self.pid, self.returncode = pid, None

    def poll(self) -> int | None:
        if self.returncode is None:
            try:
                os.kill(self.pid, 0)
            except ProcessLookupError:
                self.returncode = 0  # gone (its exit status went to the template)
            except PermissionError:
                pass
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        t0 = time.monotonic()
        while self.poll() is None:
            if timeout is not None and time.monotonic() - t0 > timeout:
                import subprocess

                raise subprocess.TimeoutExpired(str(self.pid), timeout)
            time.sleep(0.02)
        return self.returncode

    def send_signal(self, sig: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, sig)

    def kill(self) -> None:
        import signal as _signal

        self.send_signal(_signal.SIGKILL)

    def terminate(self) -> None:
        import signal as _signal

        self.send_signal(_signal.SIGTERM)


class _KernelTemplate:
    """The worker's kernel template process (see ``_TEMPLATE_CODE``): :meth:`fork` returns the PID
    of a new kernel process, or None when the template cannot serve (the caller then launches
    the kernel the usual way)."""

    def __init__(self) -> None:
        import subprocess
        import sys

        from jupyter_client.kernelspec import KernelSpecManager

        self.python = os.path.realpath(sys.executable)
        argv = KernelSpecManager().get_kernel_spec("python3").argv
        # the kernel spec's interpreter options (e.g. -Xfrozen_modules=off): the template runs with them
        self.flags = argv[1:self._launcher(argv)] if self._launcher(argv) else []
        # the last argument names the run's runtime folder and this worker, as kernels' connection
        # files do: the template and every kernel forked from it carry it in their command line
        from jupyter_core.paths import jupyter_runtime_dir

        tag = str(Path(jupyter_runtime_dir()) / f"kernel-ocop-{os.getpid()}-template")
        self.proc = subprocess.Popen([sys.executable, *self.flags, "-c", _TEMPLATE_CODE, _PRELOAD, tag],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, close_fds=True)

    @staticmethod
    def _launcher(cmd: list[str]) -> int | None:
        """Index of ``-m ipykernel_launcher`` in a kernel command (None if it is not one)."""
        return next((i for i in range(1, len(cmd) - 1) if cmd[i:i + 2] == ["-m", "ipykernel_launcher"]), None)

    def fork(self, cmd: list[str], env: dict | None, cwd) -> int | None:
        i = self._launcher(cmd)
        if (i is None or cmd[1:i] != self.flags or os.path.realpath(cmd[0]) != self.python
                or self.proc.poll() is not None):
            return None
        try:
            req = {"argv": list(cmd[i + 2:]), "env": dict(os.environ if env is None else env),
                   "cwd": str(cwd) if cwd else None}
            self.proc.stdin.write(json.dumps(req).encode() + b"\n")
            self.proc.stdin.flush()
            line = self.proc.stdout.readline().strip()
        except (OSError, ValueError):
            return None
        return int(line[4:]) if line.startswith(b"pid ") and line[4:].isdigit() else None

    def close(self) -> None:
        try:
            self.proc.stdin.close()
            self.proc.wait(timeout=5)
        except Exception:  # noqa: BLE001 - stuck or gone: make sure it is gone
            self.kill()

    def kill(self) -> None:
        try:
            self.proc.kill()
        except OSError:
            pass


_TEMPLATE: _KernelTemplate | None = None


def _provisioner_class():
    """A jupyter_client provisioner that forks the kernel from this worker's template."""
    from jupyter_client.provisioning import LocalProvisioner

    class ForkProvisioner(LocalProvisioner):
        async def launch_kernel(self, cmd, **kwargs):
            pid = _TEMPLATE.fork(cmd, kwargs.get("env"), kwargs.get("cwd")) if _TEMPLATE is not None else None
            if pid is None:
                return await super().launch_kernel(cmd, **kwargs)
            self.process = _ForkedProcess(pid)
            self.pid = self.pgid = pid  # it leads its own session (the signal falls back to the PID before that)
            self.cwd = kwargs.get("cwd") or os.getcwd()
            return self.connection_info

    return ForkProvisioner


class _WarmKernels:
    """One kernel started ahead, per process: while a report renders or its HTML is written, the
    next report's kernel boots and imports the package, so kernels only render.

    Every notebook still gets a new kernel process (no state is shared between reports); each
    kernel is shut down right after its notebook.  A kernel that died while waiting is replaced.
    """

    def __init__(self) -> None:
        self._km = None

    @staticmethod
    def _start():
        # the async manager, as nbclient's own: nbclient then awaits it directly.  A blocking
        # manager would nest jupyter_core's run_sync, whose helper thread a forked worker lacks.
        from jupyter_client import AsyncKernelManager
        from jupyter_core.utils import run_sync

        from .signals import stopping

        if stopping():
            raise RuntimeError("the run is being stopped: no new kernel")
        km = AsyncKernelManager(kernel_name="python3", **_kernel_transport())
        if _TEMPLATE is not None:  # forked from the worker's template: the imports are done
            import uuid

            km.kernel_id = str(uuid.uuid4())
            km.provisioner = _provisioner_class()(kernel_id=km.kernel_id, kernel_spec=km.kernel_spec, parent=km)
        _STARTING.append(km)  # a signal while it boots must still find it (_kill_kernels)
        try:
            run_sync(km.start_kernel)(extra_arguments=[f"--IPKernelApp.exec_lines={_PRELOAD}"])
        finally:
            _STARTING.remove(km)
        return km

    @staticmethod
    def stop(km) -> None:
        from jupyter_core.utils import run_sync

        try:
            run_sync(km.shutdown_kernel)(now=True)
        except Exception:  # noqa: BLE001 - already dead: nothing to stop
            pass

    def take(self):
        from jupyter_core.utils import run_sync

        km, self._km = self._km, None
        if km is None or not run_sync(km.is_alive)():
            if km is not None:
                self.stop(km)
            km = self._start()
        return km

    def prepare(self) -> None:
        from .signals import stopping

        if self._km is None and not stopping():  # never boot a kernel while the run is being stopped
            try:
                self._km = self._start()
            except Exception:  # noqa: BLE001 - the next take() starts one (and reports its failure)
                self._km = None

    def close(self) -> None:
        if self._km is not None:
            self.stop(self._km)
            self._km = None


_WARM: _WarmKernels | None = None
#: the kernel executing a notebook in this process right now, and kernels booting (killed on SIGTERM)
_CURRENT_KM = None
_STARTING: list = []
#: Longest path of an IPC socket that fits in ``sockaddr_un`` (107 bytes on Linux) with its suffix.
_IPC_MAX_PATH = 100


def _kernel_transport() -> dict:
    """Kernel connection settings: IPC (Unix sockets, a private folder) rather than TCP on
    localhost where the platform and the socket path length allow, else TCP.  The connection
    file and the sockets live in Jupyter's runtime folder (``$JUPYTER_RUNTIME_DIR``), named per
    kernel, so that a stopped batch can remove exactly its own (:func:`_kill_kernels`)."""
    import uuid

    from jupyter_core.paths import jupyter_runtime_dir

    rt = Path(jupyter_runtime_dir())
    base = rt / f"kernel-ocop-{os.getpid()}-{uuid.uuid4().hex[:12]}"
    try:
        rt.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError:
        return {}
    settings = {"connection_file": str(base) + ".json"}
    if hasattr(os, "fork") and len(str(base)) + len("-ipc-5") <= _IPC_MAX_PATH:
        settings.update(transport="ipc", ip=str(base) + "-ipc")
    return settings


def _kill_kernels() -> None:
    """SIGTERM in a worker: kill this process's kernels (each leads its own process group) and
    remove their connection and IPC socket files.  Never waits for a graceful shutdown."""
    import signal as _signal

    kms = [km for km in (_CURRENT_KM, getattr(_WARM, "_km", None), *_STARTING) if km is not None]
    for km in kms:
        proc = getattr(getattr(km, "provisioner", None), "process", None)
        pid = getattr(proc, "pid", None)
        if pid:
            try:
                os.killpg(pid, _signal.SIGKILL)
            except OSError:
                try:
                    os.kill(pid, _signal.SIGKILL)
                except OSError:
                    pass
        for clean in ("cleanup_connection_file", "cleanup_ipc_files"):
            try:
                getattr(km, clean)()
            except Exception:  # noqa: BLE001 - best effort while stopping
                pass
    if _TEMPLATE is not None:
        _TEMPLATE.kill()
    try:  # whatever is left of this process's kernels (their files carry its PID: ours alone)
        from jupyter_core.paths import jupyter_runtime_dir

        for f in Path(jupyter_runtime_dir()).glob(f"kernel-ocop-{os.getpid()}-*"):
            f.unlink(missing_ok=True)
    except OSError:
        pass


def execute(template: Path, parameters: dict, timeout: float | None = None, cwd: str | Path | None = None,
            warm: bool = False):
    """Execute a notebook in-process with papermill; returns the executed NotebookNode.

    ``warm``: take the kernel started ahead by this process (batch workers), and start the next one.
    """
    import papermill

    if not warm:
        return papermill.execute_notebook(str(template), None, parameters=parameters, kernel_name="python3",
                                          progress_bar=False, request_save_on_cell_execute=False,
                                          execution_timeout=timeout, cwd=str(cwd) if cwd else None,
                                          # the outputs are complete when the last cell ends; a graceful
                                          # shutdown costs ~0.5 s and occasionally stalls (DESIGN §6)
                                          shutdown_kernel="immediate")
    global _WARM
    if _WARM is None:
        _WARM = _WarmKernels()
        import atexit

        atexit.register(_WARM.close)
    global _CURRENT_KM
    km = _WARM.take()
    _CURRENT_KM = km
    try:
        return papermill.execute_notebook(str(template), None, parameters=parameters, kernel_name="python3",
                                          progress_bar=False, request_save_on_cell_execute=False,
                                          execution_timeout=timeout, km=km)
    finally:
        _WARM.stop(km)
        _CURRENT_KM = None
        _WARM.prepare()


def _public(path: Path) -> Path:
    """Reports are read by others (temporary files are created 0600)."""
    os.chmod(path, 0o644)
    return path


def render(template: Path, parameters: dict, out_dir: Path, stem: str, title: str, name: str, lang: str,
           timeout: float | None = None, warm: bool = False) -> RenderOutcome:
    """Execute ``template`` and write ``stem.ipynb`` and ``stem.html`` into ``out_dir`` atomically.

    A failure is returned (with the failing cell index), never raised; the executed notebook
    showing the error is kept as ``stem.failed.ipynb`` so it cannot pass for a finished report.
    """
    import nbformat

    t0 = time.perf_counter()
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    try:
        nb = execute(template, parameters, timeout, cwd=out_dir, warm=warm)
    except Exception as exc:  # noqa: BLE001 - isolate any failure of one report
        cell = getattr(exc, "cell_index", None)
        msg = (f"{getattr(exc, 'ename', type(exc).__name__)}: {getattr(exc, 'evalue', exc)}").strip()
        return RenderOutcome(name, lang, False, error=msg.splitlines()[0][:500] if msg else type(exc).__name__,
                             cell=cell, seconds=time.perf_counter() - t0)
    from .io import staged_output

    files = {}
    with staged_output(out_dir) as stage:  # notebook and HTML move into place together
        for kind, fname, text in (("notebook", f"{stem}.ipynb", nbformat.writes(nb)),
                                  ("html", f"{stem}.html", to_html(nb, title))):
            _public(atomic_write_text(safe_child(stage, fname), text))
            files[kind] = safe_child(out_dir, fname)
    return RenderOutcome(name, lang, True, files={k: str(v) for k, v in files.items()},
                         seconds=time.perf_counter() - t0)


# ----------------------------------------------------------------------------- batch workers


def _worker_init(log: str | None = None) -> None:
    if log:  # kernels inherit this stderr: their start-up/shutdown chatter goes to the log
        fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        os.dup2(fd, 2)
        os.close(fd)
    os.environ.setdefault("MPLBACKEND", "Agg")
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    import papermill  # noqa: F401  - warm the import once per worker
    import nbconvert  # noqa: F401

    global _WARM, _TEMPLATE
    from multiprocessing.util import Finalize

    _WARM = _WarmKernels()
    Finalize(_WARM, _WARM.close, exitpriority=10)  # workers end with os._exit: atexit would not run
    from .signals import install_worker_handler

    install_worker_handler(_kill_kernels)  # SIGTERM/SIGINT: kernels killed, their files removed
    if os.environ.get(FORK_ENV, "1") != "0" and hasattr(os, "fork"):
        try:  # imports while the worker's first task (a simulation) runs; kernels fork from it
            _TEMPLATE = _KernelTemplate()
            Finalize(_TEMPLATE, _TEMPLATE.close, exitpriority=5)  # after the kernels it forked
        except OSError:
            _TEMPLATE = None
    else:
        _WARM.prepare()  # boots while the worker's first task (a simulation) runs


def _simulate_task(path: str, out: str, draws: int | None, seed: int | None, langs: tuple[str, ...],
                   use_cache: bool = True, precomputed: str | None = None, excel: bool = True,
                   handoff: str | None = None) -> dict:
    """Worker: simulate one scenario (through the result cache), keep the Result for the kernels
    (verified files in the batch's own ``handoff`` folder), write CSVs and the Excel workbooks as
    one set (staged, then moved into place together)."""
    from .io import staged_output

    from .cache import cached_simulate
    from .scenarios import load

    try:
        ld = load(path, allow_outside=True)
        name = ld.scenario.name
        hand = Path(handoff) if handoff else Path(out) / CACHE_DIR
        if precomputed:
            res = load_result(precomputed)
            cache = Path(precomputed)
        else:
            res = cached_simulate(ld.scenario, draws=draws, seed=seed, use_cache=use_cache)
            cache = save_result(res, safe_child(hand, f"{name}.npz"))
        tab = res.attainment()
        # what every language's report computes (tornados, reality checks and their reruns): once,
        # here, while the kernels only format and draw
        bundle = save_bundle(hand, f"{name}.report", cached_bundle(ld, res, tab, use_cache))
        folder = safe_child(out, name)
        notes = []
        try:
            from .excel import write_workbook
        except ImportError:
            write_workbook = None
            notes.append("excel: ocop_sim.excel not available, workbook skipped")
        with staged_output(folder, last=f"csv/{name}_manifest.json") as stage:  # the old set or the new, never a mix
            csvs = res.to_csv(safe_child(stage, "csv"))
            files = {"csv": [str(folder / Path(p).relative_to(stage)) for p in csvs]}
            if write_workbook is not None and excel:
                for lang in langs:
                    p = write_workbook(res, ld, safe_child(stage, f"{name}_{lang}.xlsx"), lang)
                    files[f"excel_{lang}"] = str(folder / Path(p).relative_to(stage))
        return {"ok": True, "name": name, "path": path, "cache": str(cache), "bundle": str(bundle),
                "files": files, "notes": notes,
                "attainment": tab.to_dict("records"), "total_cost_bn_vnd": float(res.spending().to_numpy().sum()),
                "title": {"vi": ld.scenario.title.vi, "en": ld.scenario.title.en}}
    except Exception as exc:  # noqa: BLE001
        return {"ok": False, "path": path, "name": Path(path).stem, "error": f"{type(exc).__name__}: {exc}",
                "trace": traceback.format_exc(limit=3)}


# ----------------------------------------------------------------------------- resume: done markers


def resume_key(ld, draws: int | None = None, seed: int | None = None, template: str | Path | None = None) -> dict:
    """What a scenario's done markers must record for its reports to count as finished: the
    resolved scenario's hash, the posterior's and the target registries' *contents*
    (:func:`ocop_sim.targets.registries_digest`: an edited registry re-renders), draws, seed and
    template."""
    from .targets import registries_digest

    return {"scenario_hash": ld.hash, "posterior": _posterior_digest(ld.scenario),
            "draws": ld.scenario.draws if draws is None else int(draws),
            "seed": ld.scenario.seed if seed is None else int(seed),
            "template": str(Path(template).resolve()) if template else "report",
            "registries": registries_digest(ld.scenario)}


def _marker_path(folder: Path, stem: str) -> Path:
    """``folder/.done_<stem>.json``: written after a report's files, so it proves they are whole."""
    return Path(folder) / f".done_{stem}.json"


def _versioned(key: dict) -> dict:
    """``key`` (inputs and settings) plus the package and model versions: what a marker must match."""
    from . import __version__
    from .results import MODEL_VERSION

    return {**key, "version": __version__, "model_version": MODEL_VERSION}


def _write_record(folder: Path, stem: str, key: dict, payload: dict) -> None:
    atomic_write_text(_marker_path(folder, stem),
                      json.dumps({**_versioned(key), **payload}, ensure_ascii=False, default=str))


def _read_record(folder: Path, stem: str, key: dict) -> dict | None:
    """The marker ``stem`` of ``folder`` if it records exactly ``key`` and these versions."""
    try:
        rec = json.loads(_marker_path(folder, stem).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(rec, dict) or any(rec.get(k) != v for k, v in _versioned(key).items()):
        return None
    return rec


def _sim_files(rec: dict) -> list[str]:
    f = rec.get("files", {})
    return [str(p) for p in f.get("csv", [])] + [str(v) for k, v in f.items() if k != "csv"]


def _write_sim_marker(folder: Path, key: dict, r: dict) -> None:
    """After a scenario's tables and workbooks: what the index needs (targets, files, titles)."""
    _write_record(folder, "tables", key, {"result": {k: v for k, v in r.items() if k not in ("cache", "bundle", "notes")}})


def _finished_sim(folder: Path, key: dict, langs) -> dict | None:
    """The recorded simulation outcome of a scenario whose tables and workbooks all exist."""
    rec = _read_record(folder, "tables", key)
    r = rec.get("result") if rec else None
    if not isinstance(r, dict) or not r.get("ok") or not all(f"excel_{lg}" in r.get("files", {}) for lg in langs):
        return None
    if not all(Path(p).is_file() for p in _sim_files(r)):
        return None
    return {**r, "notes": [], "cache": "", "bundle": ""}


def _finished(folder: Path, stem: str, key: dict) -> dict | None:
    """The files of a finished report whose marker matches ``key`` (inputs, settings, versions)."""
    rec = _read_record(folder, stem, key)
    files = rec.get("files") if rec else None
    if not isinstance(files, dict) or not files or not all(Path(str(f)).is_file() for f in files.values()):
        return None
    return {k: str(v) for k, v in files.items()}


def _render_marked(template: Path, params: dict, folder: Path, stem: str, title: str, name: str, lang: str,
                   timeout, key: dict | None) -> RenderOutcome:
    """:func:`render` in a warm kernel, then the done marker (so a marker proves whole files)."""
    o = render(template, params, folder, stem, title, name, lang, timeout, warm=True)
    if o.ok and key is not None:
        _write_record(folder, stem, key, {"files": o.files})
    return o


def _render_task(path: str, cache: str, out: str, name: str, lang: str, draws, seed, timeout,
                 title: str, template: str | None = None, key: dict | None = None,
                 bundle: str | None = None) -> RenderOutcome:
    folder = safe_child(out, name)
    params = {"scenario": str(Path(path).resolve()), "draws": draws, "seed": seed, "lang": lang,
              "output_dir": str(folder), "result_cache": str(Path(cache).resolve()),
              "report_bundle": str(Path(bundle).resolve()) if bundle else None}
    return _render_marked(Path(template) if template else REPORT_NOTEBOOK, params, folder, f"{name}_{lang}", title,
                          name, lang, timeout, key)


def _compare_task(paths: list[str], caches: list[str], out: str, lang: str, draws, seed, timeout,
                  key: dict | None = None) -> RenderOutcome:
    folder = safe_child(out, "compare")
    params = {"scenarios": [str(Path(p).resolve()) for p in paths], "result_caches": [str(Path(c).resolve()) for c in caches],
              "draws": draws, "seed": seed, "lang": lang, "output_dir": str(folder)}
    return _render_marked(COMPARE_NOTEBOOK, params, folder, f"compare_{lang}", t("compare_title", lang), "compare",
                          lang, timeout, key)


def _posterior_digest(scenario) -> str:
    """Checksum of the posterior a scenario names, sidecar included (its samples, diagnostics and
    backtest scores): a new posterior re-renders the reports that show it."""
    if not scenario.posterior:
        return ""
    import hashlib

    try:
        from .scenarios import params_file

        return hashlib.sha256(Path(str(params_file(scenario.posterior)) + ".json").read_bytes()).hexdigest()
    except OSError:
        return ""


def _calibration_task(path: str, out: str, name: str, lang: str, seed, timeout, key: dict | None = None) -> RenderOutcome:
    folder = safe_child(out, "calibration")
    params = {"scenario": str(Path(path).resolve()), "draws": CALIBRATION_DRAWS, "seed": seed or 0, "lang": lang,
              "output_dir": str(folder)}
    return _render_marked(CALIBRATION_NOTEBOOK, params, folder, f"calibration_{lang}", t("cal_fit_title", lang),
                          "calibration", lang, timeout, key)


# ----------------------------------------------------------------------------- the batch runner


@dataclass
class BatchResult:
    out: Path
    index: Path | None = None
    outcomes: list = field(default_factory=list)  # RenderOutcome
    failures: list = field(default_factory=list)  # (name, lang or '', error, cell)
    notes: list = field(default_factory=list)
    skipped: list = field(default_factory=list)  # (name, lang): finished earlier, outputs kept
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.failures

    def skip(self, name: str, lang: str, files: dict) -> None:
        """Record a report finished by an earlier run (its files are kept)."""
        self.outcomes.append(RenderOutcome(name, lang, True, files=files))
        self.skipped.append((name, lang))


def validate_all(paths: list[str]) -> list:
    """Load every scenario (ScenarioError on the first invalid one) and check output names."""
    from .scenarios import ScenarioError, load

    loaded = [load(p, allow_outside=True) for p in paths]
    seen: dict[str, str] = {}
    for ld in loaded:
        name = ld.scenario.name
        if name in seen:
            raise ScenarioError(ld.path, "name", f"expected a unique scenario name, got {name!r} also in {seen[name]}")
        if name in (CACHE_DIR, "compare"):
            raise ScenarioError(ld.path, "name", f"expected a name other than {name!r} (reserved)")
        seen[name] = str(ld.path)
    return loaded


def run_batch(paths: list[str], out: str | Path, *args, **kwargs) -> BatchResult:
    """Render every scenario in every language (+ the comparison report) into ``out``: see
    :func:`_run_batch` for the arguments.

    Before any work: the scenarios are validated, ``out`` must be (or become) a writable folder,
    the run must fit in memory (:func:`ocop_sim.resources.check_memory`), and this process takes
    the folder's lock (:class:`ocop_sim.locks.OutputLock`: a second batch on the same ``out``
    fails at once, exit 2).  Results reach the report kernels through a folder of the batch's own
    (``tempfile.mkdtemp`` in ``out``), removed at the end unless ``keep_cache``; nothing else in
    ``out`` is ever removed (a user's ``out/_cache/`` survives)."""
    import inspect
    import shutil
    import tempfile

    from .io import check_out_dir
    from .locks import OutputLock
    from .resources import check_memory
    from .signals import stop_on_signals

    bound = inspect.signature(_run_batch).bind(paths, out, *args, **kwargs)
    bound.apply_defaults()
    a = bound.arguments
    loaded = validate_all(paths)
    out = Path(out)
    for ld in loaded:  # refuse unsafe names before anything runs
        for lang in a["langs"]:
            safe_child(safe_child(out, ld.scenario.name), f"{ld.scenario.name}_{lang}.html")
    for ld in loaded:
        check_memory(ld.scenario, a["draws"], label=str(ld.path))
    check_out_dir(out)
    with stop_on_signals(), OutputLock(out):
        hand = Path(tempfile.mkdtemp(prefix=f"{CACHE_DIR}.", dir=out))
        try:
            a["handoff"] = str(hand)
            return _run_batch(**a)
        finally:
            if not a["keep_cache"]:  # the handed-over results (~170 MB per 1000 draws): only this run's
                shutil.rmtree(hand, ignore_errors=True)


def _run_batch(paths: list[str], out: str | Path, jobs: int = 2, langs: tuple[str, ...] = ("vi", "en"),
              draws: int | None = None, seed: int | None = None, timeout: float | None = 600,
              compare: bool = True, progress: bool = True, keep_cache: bool = False,
              template: str | Path | None = None, force: bool = False, use_cache: bool = True,
              scheduler: str | None = None, calibration: str | None = "history",
              formats: tuple[str, ...] = ("html", "xlsx"), handoff: str | Path | None = None) -> BatchResult:
    """Render every scenario in every language (+ the comparison report) into ``out``.

    Scenarios are validated first (a ScenarioError or OutputPathError propagates before anything
    is written).  Then worker processes simulate each scenario once (through the result cache of
    :mod:`ocop_sim.cache` unless ``use_cache`` is False), and execute the report notebooks with
    papermill in-process as soon as a scenario's result is ready.  With ``scheduler`` (a Dask
    address or ``local-dask``) the simulations run on that cluster first, in chunks of draws;
    kernels always run here, where the files are.

    Resume: a report whose done-marker (``.done_<name>_<lang>.json``, written after its files)
    records the same scenario hash, draws, seed, template and versions, and whose files all exist,
    is skipped unless ``force``; a batch killed midway therefore completes only what is missing.

    ``calibration``: the name of the scenario (if in the batch) whose calibration and backtest
    report (``notebooks/calibration.ipynb``) is rendered into ``out/calibration/``.

    ``formats``: besides the notebook and HTML (always written: the index links them and PDFs
    are printed from them), ``"xlsx"`` writes the Excel workbooks and ``"pdf"`` prints every
    rendered HTML to a PDF beside it (:mod:`ocop_sim.pdf`, headless Chromium).
    """
    from concurrent.futures import as_completed
    import multiprocessing as mp

    from .signals import KillablePool

    t0 = time.perf_counter()
    loaded = validate_all(paths)
    out = Path(out)
    for ld in loaded:  # refuse unsafe names before anything runs
        for lang in langs:
            safe_child(safe_child(out, ld.scenario.name), f"{ld.scenario.name}_{lang}.html")
    out.mkdir(parents=True, exist_ok=True)
    hand = Path(handoff) if handoff else out / CACHE_DIR
    batch = BatchResult(out=out)
    keys = {ld.scenario.name: resume_key(ld, draws, seed, template) for ld in loaded}
    done: dict[tuple[str, str], dict] = {}
    if not force:
        for ld in loaded:
            n = ld.scenario.name
            for lang in langs:
                files = _finished(out / n, f"{n}_{lang}", keys[n])
                if files is not None:
                    done[(n, lang)] = files
    want_compare = compare and len(loaded) > 1
    all_key = {"scenarios": [[ld.scenario.name, keys[ld.scenario.name]] for ld in loaded]}
    compare_done = {lang: _finished(out / "compare", f"compare_{lang}", all_key)
                    for lang in langs} if want_compare and not force else {}
    finished_sims: dict[str, dict] = {}  # scenarios with every report done: no simulation needed
    for ld in loaded:
        n = ld.scenario.name
        if want_compare and not all(compare_done.values()):
            break  # the comparison report needs every scenario's result
        if all((n, lang) in done for lang in langs):
            rec = _finished_sim(out / n, keys[n], langs if "xlsx" in formats else ())
            if rec is not None:
                finished_sims[n] = rec
    precomputed: dict[str, str] = {}
    if scheduler:
        from .cache import cached_simulate
        from .executors import make_executor

        with make_executor(scheduler=scheduler) as ex:
            for ld in loaded:
                res = cached_simulate(ld.scenario, draws=draws, seed=seed, use_cache=use_cache, executor=ex)
                precomputed[ld.scenario.name] = str(save_result(res, safe_child(hand, f"{ld.scenario.name}.npz")))
    total = len(loaded) * (1 + len(langs)) + (len(langs) if compare and len(loaded) > 1 else 0)
    bar = None
    sims: dict[str, dict] = {}
    # fork: workers start fast and inherit the imported package; they are forked at the first
    # submits, before the progress bar's monitor thread exists
    ctx = mp.get_context("fork") if hasattr(os, "fork") else None
    log = safe_child(out, "kernels.log")
    with KillablePool(max_workers=jobs, mp_context=ctx, initializer=_worker_init,
                             initargs=(str(log),)) as pool:
        futs = {pool.submit(_simulate_task, str(ld.path), str(out), draws, seed, tuple(langs), use_cache,
                            precomputed.get(ld.scenario.name), "xlsx" in formats, str(hand)): ("sim", ld)
                for ld in loaded if ld.scenario.name not in finished_sims}
        cal = next((ld for ld in loaded if calibration and ld.scenario.name == calibration), None)
        if cal is not None:
            ckey = {"calibration": keys[cal.scenario.name], "cal_draws": CALIBRATION_DRAWS,
                    "posterior": _posterior_digest(cal.scenario)}
            for lang in langs:
                files = None if force else _finished(out / "calibration", f"calibration_{lang}", ckey)
                if files is not None:
                    batch.skip("calibration", lang, files)
                    continue
                total += 1
                f = pool.submit(_calibration_task, str(cal.path), str(out), cal.scenario.name, lang, seed, timeout, ckey)
                futs[f] = ("calibration", "calibration")
        for n, rec in finished_sims.items():
            sims[n] = rec
            for lang in langs:
                batch.skip(n, lang, done[(n, lang)])
        if progress:
            from tqdm import tqdm

            bar = tqdm(total=total, desc="ocop-sim report", unit="step")
            bar.update(len(finished_sims) * (1 + len(langs)))
        compare_sent = False
        if not futs and want_compare:  # everything finished earlier, the comparison included
            compare_sent = True
            for lang, files in compare_done.items():
                batch.skip("compare", lang, files)
                if bar:
                    bar.update(1)
        while futs:
            fut = next(as_completed(futs))
            kind, info = futs.pop(fut)
            try:
                r = fut.result()
            except Exception as exc:  # noqa: BLE001 - a worker died
                r = None
                name = info.scenario.name if kind == "sim" else (info if isinstance(info, str) else "?")
                batch.failures.append((name, "", f"{type(exc).__name__}: {exc}", None))
            if kind == "sim" and r is not None:
                if not r["ok"]:
                    batch.failures.append((r["name"], "", r["error"], None))
                    if bar:
                        bar.update(1 + len(langs))
                else:
                    sims[r["name"]] = r
                    _write_sim_marker(out / r["name"], keys[r["name"]], r)
                    batch.notes += [f"{r['name']}: {n}" for n in r["notes"]]
                    for lang in langs:
                        files = done.get((r["name"], lang))
                        if files is not None:
                            batch.skip(r["name"], lang, files)
                            if bar:
                                bar.update(1)
                            continue
                        title = r["title"][lang] or r["name"]
                        f = pool.submit(_render_task, r["path"], r["cache"], str(out), r["name"], lang, draws, seed,
                                        timeout, title, str(template) if template else None, keys[r["name"]],
                                        r.get("bundle"))
                        futs[f] = ("render", r["name"])
            elif kind in ("render", "compare", "calibration") and r is not None:
                batch.outcomes.append(r)
                if not r.ok:
                    batch.failures.append((r.name, r.lang, r.error, r.cell))
            if bar:
                bar.update(1)
            pending = any(k in ("sim", "render") for k, _ in futs.values())
            if compare_sent or not want_compare:
                continue
            if compare and len(loaded) > 1 and not compare_sent and not pending:
                # after every report: compare only scenarios whose reports all rendered
                compare_sent = True
                bad = {n for n, *_ in batch.failures}
                ok = [sims[ld.scenario.name] for ld in loaded if ld.scenario.name in sims
                      and ld.scenario.name not in bad]
                if len(ok) > 1:
                    ckey = {"scenarios": [[s["name"], keys[s["name"]]] for s in ok]}
                    for lang in langs:
                        files = None if force else _finished(out / "compare", f"compare_{lang}", ckey)
                        if files is not None:
                            batch.skip("compare", lang, files)
                            if bar:
                                bar.update(1)
                            continue
                        f = pool.submit(_compare_task, [s["path"] for s in ok], [s["cache"] for s in ok], str(out),
                                        lang, draws, seed, timeout, ckey)
                        futs[f] = ("compare", "compare")
                elif bar:
                    bar.update(len(langs))
    if bar:
        bar.close()
    if "pdf" in formats:  # one Chromium session prints every report rendered (or kept) above
        from .pdf import PdfError, add_pdfs

        try:
            add_pdfs(batch.outcomes)
        except PdfError as exc:
            batch.failures.append(("pdf", "", str(exc), None))
    batch.index = write_index(out, loaded, sims, batch, langs)
    if keep_cache:
        batch.notes.append(f"results handed to the kernels kept in {hand}")
    batch.seconds = time.perf_counter() - t0
    return batch


def run_compare(paths: list[str], out: str | Path, langs: tuple[str, ...] = ("en",), draws: int | None = None,
                seed: int | None = None, timeout: float | None = 600, use_cache: bool = True) -> BatchResult:
    """Render only the comparison report (simulating in this process, through the result cache)."""
    from .cache import cached_simulate

    import shutil
    import tempfile

    from .io import check_out_dir
    from .locks import OutputLock
    from .resources import check_memory

    loaded = validate_all(paths)
    out = Path(out)
    for ld in loaded:
        check_memory(ld.scenario, draws, label=str(ld.path))
    check_out_dir(out)
    batch = BatchResult(out=out)
    from .signals import stop_on_signals

    with stop_on_signals(), OutputLock(out):
        hand = Path(tempfile.mkdtemp(prefix=f"{CACHE_DIR}.", dir=out))  # this run's own, removed below
        try:
            caches = []
            for ld in loaded:
                res = cached_simulate(ld.scenario, draws=draws, seed=seed, use_cache=use_cache)
                caches.append(str(save_result(res, safe_child(hand, f"{ld.scenario.name}.npz"))))
            for lang in langs:
                r = _compare_task([str(ld.path) for ld in loaded], caches, str(out), lang, draws, seed, timeout)
                batch.outcomes.append(r)
                if not r.ok:
                    batch.failures.append((r.name, r.lang, r.error, r.cell))
        finally:
            shutil.rmtree(hand, ignore_errors=True)
    return batch


# ----------------------------------------------------------------------------- index page


def _rel(path: str | Path, root: Path) -> str:
    return esc(Path(path).resolve().relative_to(root.resolve()).as_posix())


def _lang_name(code: str, lang: str) -> str:
    """The name of a report language in ``lang`` (tiếng Việt, English)."""
    return t(f"lang_{code}", lang) if code in LANG_CHOICES["both"] else code


def _csv_label(path: str | Path, lang: str) -> str:
    """A reader's name for a CSV table of a scenario (not its file name)."""
    stem = Path(path).stem
    for kind in ("products_by_area_group_level", "summary", "targets", "manifest"):
        if stem.endswith(kind):
            return t(f"csv_{kind}", lang)
    return t("csv", lang)


def index_html(out: Path, loaded, sims: dict, batch: BatchResult, langs, lang: str) -> str:
    """The index page: links to every report and the cross-scenario target table."""
    rendered = {(o.name, o.lang): o for o in batch.outcomes if o.ok}
    from .i18n import scenario_titles

    titles = scenario_titles([(ld, None) for ld in loaded], lang)  # readers see titles, never file names
    titles.update({"compare": t("compare_title", lang), "calibration": t("cal_fit_title", lang)})
    parts = [f"<!DOCTYPE html><html lang='{esc(lang)}'><head><meta charset='utf-8'>",
             f"<title>{esc(t('index_title', lang))}</title>", _CSS, "</head><body>",
             f"<h1>{esc(t('index_title', lang))}</h1>"]
    from .guide import guide_link

    parts.append(guide_link(out, lang))  # the planners' guide, written beside the index
    rows = []
    for ld in loaded:
        name = ld.scenario.name
        links = []
        for lg in langs:
            o = rendered.get((name, lg))
            if o:
                links.append(f'<a href="{_rel(o.files["html"], out)}">{esc(t("html", lang))} ({esc(_lang_name(lg, lang))})</a>')
                links.append(f'<a href="{_rel(o.files["notebook"], out)}">{esc(t("notebook", lang))} ({esc(_lang_name(lg, lang))})</a>')
                if o.files.get("pdf") and Path(o.files["pdf"]).is_file():
                    links.append(f'<a href="{_rel(o.files["pdf"], out)}">PDF ({esc(_lang_name(lg, lang))})</a>')
        s = sims.get(name)
        if s:
            for k, v in s["files"].items():
                if k.startswith("excel_"):
                    links.append(f'<a href="{_rel(v, out)}">{esc(t("excel", lang))} ({esc(_lang_name(k[6:], lang))})</a>')
            for p in s["files"].get("csv", []):
                links.append(f'<a href="{_rel(p, out)}">{esc(_csv_label(p, lang))}</a>')
        title = titles.get(name, name)
        rows.append([(f"<b>{esc(title)}</b>", ""), (" · ".join(links) or "—", "")])
    parts.append(heading("reports", lang))
    parts.append(_table([t("scenario", lang), t("files", lang)], rows))
    comp = [o for o in batch.outcomes if o.ok and o.name == "compare"]
    if comp:
        parts.append(heading("comparison_report", lang))
        parts.append(" · ".join(f'<a href="{_rel(o.files["html"], out)}">{esc(t("compare_title", lang))} '
                                f'({esc(_lang_name(o.lang, lang))})</a>' for o in comp))
    cal = [o for o in batch.outcomes if o.ok and o.name == "calibration"]
    if cal:
        parts.append(heading("cal_fit_title", lang))
        parts.append(" · ".join(f'<a href="{_rel(o.files["html"], out)}">{esc(t("cal_fit_title", lang))} '
                                f'({esc(_lang_name(o.lang, lang))})</a>' for o in cal))
    # cross-scenario target tables: the evaluation of past targets (reported figures, the same for
    # every scenario of a pack), then the outlook: probability and status per target × scenario
    names = [ld.scenario.name for ld in loaded if ld.scenario.name in sims]
    if names:
        label = "label_vi" if lang == "vi" else "label_en"
        keys, labels, cells = [], {}, {}
        for n in names:
            for r in sims[n]["attainment"]:
                k = (r["registry"], r["id"])
                if k not in labels:
                    keys.append(k)
                    labels[k] = f"{r[label]} ({r['when']}; {_goal_text(r, lang)})"
                cells[(k, n)] = r
        past = [k for k in keys if any(cells.get((k, n), {}).get("phase") == "evaluation" for n in names)]
        future = [k for k in keys if k not in past]
        if past:
            rows = []
            for k in past:
                r = next(cells[(k, n)] for n in names if cells.get((k, n), {}).get("phase") == "evaluation")
                rep = r.get("reported")
                val = "—" if rep is None or rep != rep else esc(_fmt_target_value(r["metric"], rep, lang))
                rows.append([(esc(labels[k]), ""), (val, ' class="num"'),
                             (esc(t(r["status"], lang)), f' style="background:{_STATUS_CSS[r["status"]]}"')])
            years = sorted({int(str(cells[(k, n)]["when"])[-4:]) for k in past for n in names if (k, n) in cells})
            first = min(int(str(cells[(k, n)]["when"])[:4]) for k in past for n in names if (k, n) in cells)
            # the report's part II heading without its number (the index is not a numbered document)
            head = re.sub(r"^[IVX]+\. ", "", t("evaluation_title", lang).format(first=first, last=years[-1]))
            parts.append(f"<h2>{esc(head)}</h2>")
            parts.append(_table([t("target", lang), t("reported_value", lang), t("col_result", lang)], rows))
        rows = []
        for k in future:
            row = [(esc(labels[k]), "")]
            for n in names:
                r = cells.get((k, n))
                if r is None or r.get("phase") == "evaluation":
                    row.append(("—", ' class="num"'))
                elif r["status"] not in ("met", "at_risk", "missed"):
                    row.append((esc(t(r["status"], lang)), f' style="background:{_STATUS_CSS[r["status"]]}"'))
                else:
                    row.append((f"{esc(fmt_percent(r['probability'], lang, 0))} {esc(t(r['status'], lang))}",
                                f' class="num" style="background:{_STATUS_CSS[r["status"]]}" '
                                f'data-value="{float(r["probability"])!r}"'))
            rows.append(row)
        if rows:
            parts.append(f"<h2>{esc(t('outlook', lang))}: {esc(t('prob_matrix', lang))}</h2>")
            parts.append(_table([t("target", lang), *[titles.get(n, n) for n in names]], rows))
    if batch.failures:
        parts.append(heading("failed", lang))
        rows = [[(esc(titles.get(n, n)), ""), (esc(_lang_name(lg, lang) if lg else "—"), ""), (esc(err), ""),
                 (esc("—" if c is None else c), "")] for n, lg, err, c in batch.failures]
        parts.append(_table([t("scenario", lang), t("language", lang), t("error", lang), t("failing_cell", lang)], rows))
    parts.append("</body></html>")
    return "".join(parts)


def write_index(out: Path, loaded, sims: dict, batch: BatchResult, langs) -> Path:
    """Write ``index.html`` (English, or the only language) and ``index_vi.html`` when both."""
    from .guide import write_guides

    for g in write_guides(out, langs):
        _public(g)
    main_lang = "en" if "en" in langs else langs[0]
    path = _public(atomic_write_text(safe_child(out, "index.html"),
                                     index_html(out, loaded, sims, batch, langs, main_lang)))
    for lang in langs:
        if lang != main_lang:
            _public(atomic_write_text(safe_child(out, f"index_{lang}.html"),
                                      index_html(out, loaded, sims, batch, langs, lang)))
    return path
