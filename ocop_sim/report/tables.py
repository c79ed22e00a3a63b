"""Report tables: loading a run for the notebooks, the table builders (HTML from
``templates/table.html.j2``, every user text escaped) and the comparison frames."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from .. import plots
from ..cache import load_entry, save_entry
from ..config import ASSUMPTION_NAMES, Levers, assumption_meta, lever_meta
from ..fmt import comparison, date, quantity
from ..i18n import assumption_text, fmt_number, fmt_percent, source_text, t, unit_text
from ..markup import Markup, esc, render_template
from ..scenarios import changed_keys, load
from ..sensitivity import tornados
from ..simulate import simulate
from ..targets import status
from ..trust import trust_sentence

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


# ----------------------------------------------------------------------------- loading a run


def load_result(path: str | Path, scenario=None):
    """Read a Result the batch runner handed over (``name.npz`` + signed ``name.json``,
    :func:`ocop_sim.cache.load_entry`): verified, never unpickled.  Raises
    :class:`~ocop_sim.cache.CacheError` when the files fail verification."""
    return load_entry(path, scenario)


def save_result(res, path: str | Path) -> Path:
    """Hand a Result to the report kernels: ``path`` (``name.npz``) and its signed metadata."""
    path = Path(path)
    return save_entry(path.parent, path.stem, res)


def load_run(scenario: str | Path, result_cache: str | Path | None = None, draws: int | None = None,
             seed: int | None = None):
    """Load a scenario and its Result: from ``result_cache`` when it holds this resolved scenario
    (same hash, verified), otherwise simulate.  Returns ``(loaded, result)``."""
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
    """rows: lists of (cell_html, attributes_html), each built escaped (:func:`esc`); the table
    itself comes from ``templates/table.html.j2``."""
    return render_template("table.html.j2", css=Markup(_CSS), cls=cls, headers=headers,
                           rows=[[(Markup(cell), Markup(attr)) for cell, attr in r] for r in rows])


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
    return quantity(metric, x, lang)


def _goal_text(r, lang: str) -> str:
    """A target's goal in words: ``từ 100 trở lên`` / ``at least 100``."""
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
    return date(d, lang) if d else d


def _host(url: str) -> str:

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
    return tornados(ld.scenario, SENSITIVITY_METRIC, sensitivity_years(res))


def key_sensitivities(ld, res, lang: str = "en", top: int = 8, tables: dict | None = None):
    """Tornado charts (expected mode) of products at 3★+ in 2025 and 2035: one figure, one panel
    per year, the ``top`` factors each.  ``tables``: :func:`key_sensitivity_tables` computed
    earlier (a :class:`ReportBundle`'s), else computed here (about 0.7 s on the baseline)."""


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
    cols = {}
    for ld, res in runs:
        cols[ld.scenario.name] = pd.Series(np.median(res.series(metric, scope), axis=1), index=res.years)
    return pd.DataFrame(cols).rename_axis("year")


def probability_matrix(runs, lang: str = "en"):
    """Probability of meeting each target (rows: target labels) per scenario (columns)."""
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

                cells.append((f"{esc(fmt_percent(v, lang, 0))} ({esc(t(status(float(v)), lang))})",
                              f' class="num" style="background:{_STATUS_CSS[status(float(v))]}"'))
        rows.append(cells)
    return _table([t("target", lang), *[str(c) for c in matrix.columns]], rows)


