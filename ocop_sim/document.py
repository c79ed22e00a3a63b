"""The scenario report as a provincial planning document (issue 17; executive summary: issue 16).

Structure (Vietnamese; the English report mirrors it):

* header: issuing body, national motto, "Đồng Nai, ngày … tháng … năm …", title;
* *Căn cứ* (legal bases) from the glossary's documents;
* I. Tóm tắt — the executive summary, generated from the numbers (:func:`executive_summary`);
* II. Kết quả thực hiện 2019–2025 — past targets against reported figures, % completed;
* III. Dự báo theo kịch bản — 2030 and 2035 milestones and the outlook targets;
* IV. Đánh giá — difficulties and causes, generated from the numbers;
* V. Kết luận và kiến nghị — generated: the measures that move the targets at risk;
* Phụ lục — changes versus the parent scenario, measures and assumptions, method, checks.

Everything a reader sees goes through :mod:`ocop_sim.fmt` and :mod:`ocop_sim.i18n`: no
identifier, no JSON, no file name.  All text is HTML-escaped (:func:`esc`).  No prose is written
per scenario: every sentence is a template filled from the run.

Longer than 400 lines because it is the planning document's whole structure (header, summary,
changes, results, milestones, assessment, conclusions, appendix), each part a short function reading
one summary.
"""
from __future__ import annotations

import html
import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import fmt
from .config import ASSUMPTION_NAMES, Levers, assumption_meta, lever_meta
from .i18n import (CATALOGUE, assumption_source, assumption_text, key_label, lever_label, registry_title,
                   scenario_title, scope_label, t, term, unit_text)
from .i18n import scenario_titles  # noqa: F401 - notebooks use doc.scenario_titles
from .plots import cost_attainment as _ca
from .plots import setup_figures
from .scenarios import changed_keys, load
from .sensitivity import tornados
from .trust import trust_sentence

#: Status colours (colour-blind safe: blue / orange / vermillion of Okabe–Ito, light tints for
#: table cells) and a symbol, so the word never depends on the colour alone.
STATUS_STYLE = {
    "met": ("#cfe3f3", "●"), "met_reported": ("#cfe3f3", "●"),
    "at_risk": ("#fde2b8", "◐"),
    "missed": ("#f6c3b0", "○"), "missed_reported": ("#f6c3b0", "○"),
    "no_report": ("#e8e8e8", "–"), "outside_horizon": ("#e8e8e8", "–"), "planned": ("#e8e8e8", "–"),
}
MILESTONES = (2030, 2035)
HEADLINE = ("products_3star_plus", "province")


_CSS = """<style>
.ocopdoc {font-family: "Times New Roman", "Noto Serif", serif; font-size: 14px; line-height: 1.45; max-width: 60em;}
.ocopdoc h1 {font-size: 18px; text-align: center; margin: 8px 0;} .ocopdoc h2 {font-size: 16px; margin-top: 18px;}
.ocopdoc h3 {font-size: 14px;} .ocopdoc .head {display: flex; justify-content: space-between; text-align: center;}
.ocopdoc .head div {width: 48%;} .ocopdoc .date {text-align: right; font-style: italic;}
.ocopdoc .note {font-style: italic; text-align: center; color: #444;}
table.ocop {border-collapse: collapse; font-size: 12px; margin: 6px 0; break-inside: avoid;}
.jp-RenderedHTMLCommon table.ocop th, .jp-RenderedHTMLCommon table.ocop td,
table.ocop th, table.ocop td {border: 1px solid #999; padding: 3px 6px; text-align: left; vertical-align: top;}
.jp-RenderedHTMLCommon table.ocop td.num, table.ocop td.num {text-align: right; white-space: nowrap;}
table.ocop th {background: #eeeeee;}
img {break-inside: avoid;}
td[data-status="met"]::before, td[data-status="met_reported"]::before {content: "● ";}
td[data-status="at_risk"]::before {content: "◐ ";}
td[data-status="missed"]::before, td[data-status="missed_reported"]::before {content: "○ ";}
</style>"""


def esc(x: Any) -> str:
    """HTML-escaped text (every text of the document passes through here)."""
    return html.escape(str(x), quote=True)


def _table(headers: list[str], rows: list[list[tuple[str, str]]], cls: str = "ocop") -> str:
    out = [f'<table class="{cls}"><thead><tr>', *[f"<th>{esc(h)}</th>" for h in headers], "</tr></thead><tbody>"]
    for r in rows:
        out.append("<tr>" + "".join(f"<td{attr}>{cell}</td>" for cell, attr in r) + "</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def status_cell(status: str, lang: str, text: str | None = None) -> tuple[str, str]:
    """A table cell for a status: its word on a colour-blind-safe tint (a symbol before it, from
    the style sheet, so that the cell's text is the word alone)."""
    colour, _ = STATUS_STYLE.get(status, ("#ffffff", ""))
    word = text if text is not None else t(status, lang)
    return esc(word), f' style="background:{colour}" data-status="{esc(status)}"'


def _label(row, lang: str) -> str:
    return str(row["label_vi"] if lang == "vi" else row["label_en"])


def _scoped(row, lang: str) -> str:
    """A target's label with its area when the area is not the whole province."""
    scope = str(row["scope"])
    if scope == "province":
        return _label(row, lang)
    return _label(row, lang) + t("scope_suffix", lang).format(scope=scope_label(scope, lang))


def when_text(when: str, lang: str) -> str:
    """A target's date: ``cuối năm 2025`` or ``giai đoạn 2021–2025``."""
    w = str(when)
    if w.isdigit():
        return t("at_year_end", lang).format(y=w)
    if "–" in w:
        a, b = w.split("–", 1)
        return t("in_period", lang).format(a=a, b=b)
    return w


def goal_text(row, lang: str) -> str:
    return fmt.comparison(row["comparison"], fmt.quantity(row["metric"], row["target"], lang), lang)


def _host(url: str) -> str:
    from urllib.parse import urlparse

    return urlparse(url).netloc or url[:40]


# ----------------------------------------------------------------------------- header and bases


def report_date(res):
    """The document's date: the run's creation time in Vietnam's local time."""
    ts = fmt.local_time(res.manifest().get("created", ""))
    import datetime as dt

    return (ts or dt.datetime.now(fmt.VN_TZ)).date()


def header_html(ld, res, lang: str = "en") -> str:
    """The document's header: issuing body, motto, place and date, title, the scenario's
    description, and the *Căn cứ* (legal bases)."""
    sc = ld.scenario
    date = fmt.date_long(report_date(res), lang)
    parts = [_CSS, '<div class="ocopdoc">',
             '<div class="head"><div>', esc(t("doc_issuer_parent", lang)), "<br><b>", esc(t("doc_issuer", lang)),
             "</b></div><div><b>", esc(t("doc_nation", lang)), "</b><br><b>", esc(t("doc_motto", lang)),
             "</b></div></div>",
             f'<p class="date">{esc(t("doc_place_date", lang).format(date=date))}</p>',
             f"<h1>{esc(t('doc_kind', lang))}<br>{esc(t('doc_title', lang).format(title=scenario_title(ld, lang)))}</h1>",
             f'<p class="note">{esc(t("doc_draft_note", lang))}</p>']
    desc = getattr(sc.description, lang)
    if desc:
        parts.append(f"<p>{esc(desc)}</p>")
    if sc.counterfactual:
        parts.append(f"<p><b>{esc(t('counterfactual_banner', lang))}</b></p>")
    parts.append(f"<h2>{esc(t('doc_bases', lang))}</h2><ul>")
    docs = ["qd_1698", "qd_919", "qd_148"]
    if int(res.years[0]) <= 2023:
        docs.insert(1, "qd_1048")
    if int(res.years[-1]) >= 2025:
        docs.append("nq_202")
    parts += [f"<li>{esc(term(d, lang))};</li>" for d in docs]
    for reg in sc.targets:
        parts.append(f"<li>{esc(t('doc_bases_targets', lang).format(title=registry_title(str(reg), lang)))}</li>")
    parts.append("</ul></div>")
    return "".join(parts)


# ----------------------------------------------------------------------------- the outlook numbers


def _outlook_rows(table):
    if "phase" in table:
        table = table[table["phase"] != "evaluation"]
    return table[table["status"].isin(["met", "at_risk", "missed"])]


def _lever_effect(scenario, metric: str, scope: str, year: int):
    """The lever that moves ``metric`` in ``year`` most (expected mode, funding ×0.5 and ×1.5):
    ``(name, value_low, value_base, value_high)`` or None."""
    try:
        tab = tornados(scenario, metric, [int(year)], scope, assumptions=False, levers=True)[int(year)]
    except Exception:  # noqa: BLE001 - a metric the tornado cannot read: no lever named
        return None
    tab = tab[tab["kind"] == "lever"]
    if not len(tab):
        return None
    r = tab.iloc[0]
    return str(r["name"]), float(r["value_low"]), float(r["value_base"]), float(r["value_high"])


@dataclass
class Summary:
    """The numbers behind the executive summary and the generated parts (one scenario run)."""

    headline: dict = field(default_factory=dict)
    counts: dict = field(default_factory=dict)
    at_risk: list = field(default_factory=list)  # dicts: row, lever effect
    changes: list = field(default_factory=list)  # (label, old, new)
    parent: str | None = None
    trust: str = ""
    backtested: bool = False


def _target_year(row, res) -> int:
    w = str(row["when"])
    y = int(w[-4:]) if w[-4:].isdigit() else int(res.years[-1])
    return min(max(y, int(res.years[0])), int(res.years[-1]))


def compute_summary(ld, res, table=None, n_risk: int = 3, levers: bool = True) -> Summary:
    """Numbers of the executive summary: headline, counts by outlook, the ``n_risk`` targets
    with the lowest probabilities and the lever that moves each most, changes, trust."""
    table = res.attainment() if table is None else table
    s = Summary()
    metric, scope = HEADLINE
    end = int(res.years[-1])
    v = res.value(metric, scope, year=end)
    s0 = res.start_value(metric, scope) if hasattr(res, "start_value") else None
    s.headline = {"year": end, "year0": int(res.years[0]) - 1, "median": float(np.median(v)),
                  "p10": float(np.quantile(v, 0.1)), "p90": float(np.quantile(v, 0.9)),
                  "start": float(np.median(s0)) if s0 is not None and np.size(s0) else float("nan")}
    out = _outlook_rows(table)
    s.counts = {"n": int(len(out)), "met": int((out["status"] == "met").sum()),
                "risk": int((out["status"] == "at_risk").sum()), "missed": int((out["status"] == "missed").sum())}
    risky = out[out["status"] != "met"].sort_values("probability", kind="stable").head(n_risk)
    for _, r in risky.iterrows():
        eff = _lever_effect(ld.scenario, r["metric"], r["scope"], _target_year(r, res)) if levers else None
        s.at_risk.append({"row": r, "lever": eff})
    s.changes = changes(ld)
    if len(ld.chain) > 1:
        s.parent = _parent_title(ld)
    s.trust = trust_sentence(ld.scenario, "vi"), trust_sentence(ld.scenario, "en")
    s.backtested = bool(ld.scenario.posterior) and "chưa được kiểm định" not in s.trust[0]
    return s


def _parent_title(ld) -> str | None:
    try:
        p = load(ld.chain[1], allow_outside=True).scenario
        return {"vi": p.title.vi or p.name, "en": p.title.en or p.name}
    except Exception:  # noqa: BLE001 - the parent cannot be read alone: name it by its title key
        return None


def changes(ld) -> list[tuple[str, Any, Any]]:
    """Changed keys versus the parent scenario (title and description left out)."""
    return [c for c in changed_keys(ld.parent_raw, ld.raw) if not c[0].startswith(("title", "description"))]




def _unit(name: str, unit: str, lang: str) -> str:
    if CATALOGUE.get(f"unit_{name}"):
        return t(f"unit_{name}", lang)
    return unit_text(unit, lang)


def value_text(path: str, x: Any, lang: str) -> str:
    """A scenario value for a reader: schedules as "từ năm 2026: 7 tỷ đồng/năm", target files by
    their titles, flags as words; never JSON."""
    head, _, rest = path.partition(".")
    name = rest.split(".")[0] if rest else ""
    if x is None:
        return "—"
    unit = ""
    if head == "levers" and name in Levers.model_fields:
        unit = lever_meta(name).get("unit", "")
    elif head == "assumptions" and name in ASSUMPTION_NAMES:
        unit = assumption_meta(name)["unit"]
    if isinstance(x, dict) and x and all(isinstance(v, (int, float)) for v in x.values()):
        u = f" {_unit(name, unit, lang)}" if unit and unit != "-" and fmt.kind_of_unit(unit) != "share" else ""
        if len(x) == 1:  # one value held over the whole horizon
            return fmt.value_by_unit(next(iter(x.values())), unit or "-", lang) + u
        return "; ".join(t("from_year_value", lang).format(year=fmt.year(int(k)),
                                                           value=fmt.value_by_unit(v, unit or "-", lang) + u)
                         for k, v in sorted(x.items(), key=lambda kv: int(kv[0])))
    if head == "targets" and isinstance(x, list):
        return "; ".join(registry_title(str(p), lang) for p in x)
    if head == "pack" and CATALOGUE.get(f"pack_{x}"):
        return t(f"pack_{x}", lang)
    if head == "kind" and CATALOGUE.get(f"kind_{x}"):
        return t(f"kind_{x}", lang)
    if head == "posterior":
        return t("yes", lang) if x else t("no", lang)
    if isinstance(x, bool):
        return t("yes" if x else "no", lang)
    if isinstance(x, (list, dict)):
        return t("n_items", lang).format(n=len(x))
    if head in ("horizon", "seed", "draws") or name.endswith("_year"):
        return fmt.year(x) if head == "horizon" or name.endswith("_year") else str(int(x))
    if isinstance(x, (int, float)):
        u = f" {_unit(name, unit, lang)}" if unit and unit != "-" and fmt.kind_of_unit(unit) != "share" else ""
        return fmt.value_by_unit(x, unit or "-", lang, name) + u
    return str(x)


def changes_html(ld, lang: str = "en") -> str:
    ch = changes(ld)
    if len(ld.chain) <= 1:
        return f"<p>{esc(t('es_root', lang))}</p>"
    parent = _parent_title(ld)
    out = []
    if parent:
        out.append(f"<p>{esc(t('extends', lang))}: “{esc(parent[lang])}”</p>")
    if not ch:
        out.append(f"<p>{esc(t('no_changes', lang))}</p>")
        return "".join(out)
    rows = [[(esc(key_label(k, lang)), ""), (esc(value_text(k, a, lang)), ""), (esc(value_text(k, b, lang)), "")]
            for k, a, b in ch]
    out.append(_table([t("col_what", lang), t("col_old", lang), t("col_new", lang)], rows))
    return "".join(out)


def executive_summary_text(ld, res, s: Summary, lang: str = "en") -> list[str]:
    """The executive summary as plain sentences (first two: the headline outlook)."""
    h = s.headline
    title = scenario_title(ld, lang)
    sent = [t("es_headline", lang).format(
        title=title, year=h["year"], year0=h["year0"], median=fmt.count(h["median"], lang),
        p10=fmt.count(h["p10"], lang), p90=fmt.count(h["p90"], lang), start=fmt.count(h["start"], lang))]
    c = s.counts
    if c["n"]:
        sent.append(t("es_counts", lang).format(**c))
    elif ld.scenario.kind == "history":
        sent.append(t("es_history", lang).format(first=int(res.years[0]), last=int(res.years[-1])))
    else:
        sent.append(t("es_no_outlook", lang))
    return sent


def risk_items(s: Summary, lang: str) -> list[str]:
    out = []
    for item in s.at_risk:
        r = item["row"]
        text = t("es_risk_item", lang).format(target=_label(r, lang), when=when_text(r["when"], lang),
                                              goal=goal_text(r, lang), prob=fmt.share(r["probability"], lang),
                                              median=fmt.quantity(r["metric"], r["median"], lang))
        if item["lever"]:
            name, lo, _, hi = item["lever"]
            text += t("es_risk_lever", lang).format(lever=lever_label(name, lang),
                                                    low=fmt.quantity(r["metric"], lo, lang),
                                                    high=fmt.quantity(r["metric"], hi, lang))
        out.append(text)
    return out


def changes_sentence(ld, s: Summary, lang: str) -> str:
    if len(ld.chain) <= 1:
        return t("es_root", lang)
    items = [t("es_change_item", lang).format(what=key_label(k, lang), old=value_text(k, a, lang),
                                              new=value_text(k, b, lang))
             for k, a, b in s.changes if k.split(".")[0] in ("levers", "assumptions", "uncertainty", "horizon",
                                                             "targets", "events", "pack")]
    parent = (s.parent or {}).get(lang) or t("scenario", lang)
    return t("es_changes", lang).format(parent=parent, changes="; ".join(items) if items else t("es_no_change", lang))


def executive_summary_html(ld, res, s: Summary, lang: str = "en") -> str:
    """Part I: the headline in two sentences, the targets most at risk with their lever, the
    changes versus the parent, and how far to trust the probabilities."""
    parts = ['<div class="ocopdoc">', f"<h2>{esc(t('part_1', lang))}</h2>"]
    parts.append("<p><b>" + " ".join(esc(x) for x in executive_summary_text(ld, res, s, lang)) + "</b></p>")
    if s.counts["n"]:
        items = risk_items(s, lang)
        if items:
            parts.append(f"<p>{esc(t('es_risk_heading', lang))}</p><ol>")
            parts += [f"<li>{esc(x)}</li>" for x in items]
            parts.append("</ol>")
        else:
            parts.append(f"<p>{esc(t('es_no_risk', lang))}</p>")
    parts.append(f"<p>{esc(changes_sentence(ld, s, lang))}</p>")
    parts.append(f"<p>{esc(s.trust[0] if lang == 'vi' else s.trust[1])}</p>")
    parts.append(f"<p><i>{esc(t('median_sentence', lang))}</i></p></div>")
    return "".join(parts)


# ----------------------------------------------------------------------------- part II: results


def _reported_date(d: Any, lang: str) -> str:
    s = str(d or "")
    return fmt.date(s, lang) if s else "—"


def results_html(table, lang: str = "en") -> str:
    """Part II: every past target against its reported figure and the share of the target done."""
    past = table[table["phase"] == "evaluation"] if "phase" in table else table.iloc[:0]
    if not len(past):
        return f'<div class="ocopdoc"><h2>{esc(t("evaluation_title", lang).split(" {")[0])}</h2>' \
               f'<p>{esc(t("part_2_none", lang))}</p></div>'
    first = min(int(str(w)[:4]) for w in past["when"])
    last = max(int(str(w)[-4:]) for w in past["when"])
    rows = []
    for _, r in past.iterrows():
        rep = r.get("reported")
        has_rep = rep is not None and rep == rep
        done = fmt.share(float(rep) / float(r["target"]), lang) if has_rep and float(r["target"]) > 0 else "—"
        src = str(r.get("reported_source") or "")
        link = f'<a href="{esc(src)}">{esc(_host(src))}</a>' if src.startswith("http") else "—"
        rows.append([(esc(_scoped(r, lang)), f' data-id="{esc(r["id"])}"'),
                     (esc(when_text(r["when"], lang)), ""), (esc(goal_text(r, lang)), ""),
                     (esc(fmt.quantity(r["metric"], rep, lang)) if has_rep else "—",
                      ' class="num" data-col="reported"' + (f' data-value="{float(rep)!r}"' if has_rep else "")),
                     (esc(done), ' class="num"'),
                     (esc(_reported_date(r.get("reported_date"), lang)) if has_rep else "—", ""),
                     status_cell(str(r["status"]), lang), (link, "")])
    head = [t("col_target", lang), t("col_when", lang), t("col_goal", lang), t("col_reported", lang),
            t("col_completion", lang), t("col_reported_at", lang), t("col_result", lang), t("col_source", lang)]
    return (f'<div class="ocopdoc"><h2>{esc(t("evaluation_title", lang).format(first=first, last=last))}</h2>'
            + _table(head, rows, "ocop targets evaluation") + "</div>")


# ----------------------------------------------------------------------------- part III: outlook

MILESTONE_METRICS = (("products_3star_plus", "province"), ("products_4star", "province"),
                     ("products_national_5star", "province"), ("entities", "province"),
                     ("coverage_leaders", "province"))


def milestone_years(res) -> list[int]:
    lo, hi = int(res.years[0]), int(res.years[-1])
    ys = [y for y in MILESTONES if lo <= y <= hi]
    return ys or [hi]


def milestones_html(res, lang: str = "en") -> str:
    years = milestone_years(res)
    y0 = int(res.years[0]) - 1
    rows = []
    for metric, scope in MILESTONE_METRICS:
        try:
            start = res.start_value(metric, scope)
            cells = [(esc(t(metric, lang)), ""), (esc(fmt.quantity(metric, np.median(start), lang)), ' class="num"')]
        except Exception:  # noqa: BLE001 - no start value for this metric
            cells = [(esc(t(metric, lang)), ""), ("—", ' class="num"')]
        for y in years:
            v = res.value(metric, scope, year=y)
            cells.append((f"{esc(fmt.quantity(metric, np.median(v), lang))} "
                          f"({esc(fmt.quantity(metric, np.quantile(v, .1), lang))}–"
                          f"{esc(fmt.quantity(metric, np.quantile(v, .9), lang))})", ' class="num"'))
        rows.append(cells)
    head = [t("col_indicator", lang), t("col_start", lang).format(year=y0),
            *[t("col_year", lang).format(year=y) for y in years]]
    return (f"<h3>{esc(t('sec_milestones', lang).format(years=', '.join(str(y) for y in years)))}</h3>"
            + _table(head, rows) + f"<p><i>{esc(t('median_sentence', lang))}</i></p>")


def outlook_targets_html(table, lang: str = "en") -> str:
    """The targets ahead: goal, median, P10–P90, probability and an outlook word (not "đánh giá")."""
    fut = table[table["phase"] != "evaluation"] if "phase" in table else table
    rows = []
    for _, r in fut.iterrows():
        st = str(r["status"])
        base = [(esc(_scoped(r, lang)), f' data-id="{esc(r["id"])}"'), (esc(when_text(r["when"], lang)), ""), (esc(goal_text(r, lang)), "")]
        if st in ("met", "at_risk", "missed"):
            m = r["metric"]
            base += [(esc(fmt.quantity(m, r["median"], lang)),
                      f' class="num" data-col="median" data-value="{float(r["median"])!r}"'),
                     (f"{esc(fmt.quantity(m, r['p10'], lang))}–{esc(fmt.quantity(m, r['p90'], lang))}",
                      f' class="num" data-p10="{float(r["p10"])!r}" data-p90="{float(r["p90"])!r}"'),
                     (esc(fmt.share(r["probability"], lang)),
                      f' class="num" data-col="probability" data-value="{float(r["probability"])!r}"'),
                     status_cell(st, lang)]
        elif st == "planned":
            base += [(esc(fmt.quantity(r["metric"], r["median"], lang)), ' class="num" data-col="median"'),
                     ("—", ' class="num"'), ("—", ' class="num"'), status_cell(st, lang)]
        else:
            base += [("—", ' class="num"'), ("—", ' class="num"'), ("—", ' class="num"'), status_cell(st, lang)]
        rows.append(base)
    head = [t("col_target", lang), t("col_when", lang), t("col_goal", lang), t("col_median", lang),
            t("col_band", lang), t("col_probability", lang), t("col_outlook", lang)]
    return _table(head, rows, "ocop targets")


def outlook_html(ld, res, table, lang: str = "en") -> str:
    """Part III: milestones, then the targets ahead with the trust sentence."""
    parts = ['<div class="ocopdoc">', f"<h2>{esc(t('part_3', lang))}</h2>", milestones_html(res, lang),
             f"<h3>{esc(t('sec_targets', lang))} — "
             f"{esc(t('outlook_title', lang).format(first=int(res.years[0]), last=int(res.years[-1])))}</h3>"]
    if len(_outlook_rows(table)) or (len(table) and (table.get("phase") != "evaluation").any()):
        parts.append(f'<p class="trust">{esc(trust_sentence(ld.scenario, lang))}</p>')
        parts.append(outlook_targets_html(table, lang))
    else:
        parts.append(f"<p>{esc(t('es_no_outlook', lang))}</p>")
    parts.append(f"<h3>{esc(t('sec_charts', lang))}</h3></div>")
    return "".join(parts)


# ----------------------------------------------------------------------------- parts IV and V


def _flow_means(res, metric: str) -> np.ndarray:
    return np.median(res.series(metric, "province"), axis=1)


def assessment_html(ld, res, s: Summary, lang: str = "en") -> str:
    """Part IV: difficulties (targets short of their goal, lapses, the trend of new products)
    and their causes, all from the run."""
    a, b = int(res.years[0]), int(res.years[-1])
    diff, causes = [], []
    for item in s.at_risk:
        r = item["row"]
        pct = fmt.share(float(r["median"]) / float(r["target"]), lang) if float(r["target"]) > 0 else "—"
        diff.append(t("as_target_gap", lang).format(target=_label(r, lang), median=fmt.quantity(r["metric"], r["median"], lang),
                                                    pct=pct, goal=goal_text(r, lang), when=when_text(r["when"], lang)))
    try:
        lapses, renewals, new = (_flow_means(res, m) for m in ("lapses", "renewals", "new_products_3star_plus"))
        diff.append(t("as_renewal", lang).format(a=a, b=b, lapses=fmt.count(lapses.mean(), lang),
                                                 renewals=fmt.count(renewals.mean(), lang), new=fmt.count(new.mean(), lang)))
        if lapses.mean() > renewals.mean():
            causes.append(t("cause_lapses", lang))
        if len(new) >= 3 and new[-1] < 0.8 * new[0]:
            diff.append(t("as_new_trend_down", lang).format(first=fmt.count(new[0], lang), a=a,
                                                            last=fmt.count(new[-1], lang), b=b))
            causes.append(t("cause_depletion", lang))
        elif len(new) >= 3 and new[-1] > 1.2 * new[0]:
            diff.append(t("as_new_trend_up", lang).format(first=fmt.count(new[0], lang), a=a,
                                                          last=fmt.count(new[-1], lang), b=b))
        cov = float(np.median(res.value("coverage_leaders", "province", year=b)))
        diff.append(t("as_training", lang).format(y=b, median=fmt.share(cov, lang)))
        if cov < 0.5:
            causes.append(t("cause_training", lang))
    except (KeyError, ValueError):
        pass
    drivers = [lever_label(it["lever"][0], lang) for it in s.at_risk if it["lever"]]
    if drivers:
        causes.append(t("cause_driver", lang).format(y=b, factors=", ".join(dict.fromkeys(drivers))))
    parts = ['<div class="ocopdoc">', f"<h2>{esc(t('part_4', lang))}</h2>", f"<h3>{esc(t('sec_difficulties', lang))}</h3><ul>"]
    parts += [f"<li>{esc(x)}</li>" for x in diff] or [f"<li>{esc(t('as_no_difficulty', lang))}</li>"]
    parts.append(f"</ul><h3>{esc(t('sec_causes', lang))}</h3><ul>")
    parts += [f"<li>{esc(x)}</li>" for x in causes] or [f"<li>{esc(t('as_no_difficulty', lang))}</li>"]
    parts.append("</ul></div>")
    return "".join(parts)


def _meets(op: str, value: float, target: float) -> bool:
    import operator

    ops = {">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt, "==": operator.eq}
    return bool(ops.get(str(op).strip(), operator.ge)(value, target))


def conclusions_html(ld, res, s: Summary, lang: str = "en") -> str:
    """Part V: what the scenario achieves, the measure to favour per target at risk, renewals,
    calibration and yearly updates, all chosen by the numbers."""
    items = []
    if s.counts["n"]:
        items.append(t("co_outlook", lang).format(met=s.counts["met"], n=s.counts["n"]))
    for it in s.at_risk:
        r = it["row"]
        if not it["lever"]:
            continue
        name, lo, base, hi = it["lever"]
        if _meets(r["comparison"], base, float(r["target"])):
            key = "co_uncertain"  # met at the expected values: the risk is the spread, not the level
        elif hi - base > 0.05 * max(abs(base), 1e-9):
            key = "co_recommend"
        else:
            key = "co_recommend_weak"
        items.append(t(key, lang).format(lever=lever_label(name, lang), target=_label(r, lang),
                                         base=fmt.quantity(r["metric"], base, lang),
                                         high=fmt.quantity(r["metric"], hi, lang),
                                         prob=fmt.share(r["probability"], lang)))
    try:
        if _flow_means(res, "lapses").mean() > _flow_means(res, "renewals").mean():
            items.append(t("co_renewal", lang))
    except KeyError:
        pass
    if not s.backtested:
        items.append(t("co_trust_none", lang))
    items.append(t("co_update", lang))
    return ('<div class="ocopdoc">' + f"<h2>{esc(t('part_5', lang))}</h2><ol>"
            + "".join(f"<li>{esc(x)}</li>" for x in items) + "</ol></div>")


# ----------------------------------------------------------------------------- appendix


def appendix_heading(key: str, lang: str, first: bool = False) -> str:
    top = f'<h2>{esc(t("appendix", lang))}</h2>' if first else ""
    return f'<div class="ocopdoc">{top}<h3>{esc(t(key, lang))}</h3></div>'


def assumptions_html(scenario, lang: str = "en") -> str:
    """Measures (funding schedules) and assumptions with labels, units, valid ranges and sources."""
    rows = []
    for name in Levers.model_fields:
        m = lever_meta(name)
        rows.append([(esc(lever_label(name, lang)), ""),
                     (esc(value_text(f"levers.{name}", getattr(scenario.levers, name), lang)), "")])
    lev = _table([t("levers", lang), t("col_value", lang)], rows)
    rows = []
    for name in ASSUMPTION_NAMES:
        m = assumption_meta(name)
        unit = m["unit"]
        shown_unit = "—" if unit in ("-", "fraction") else unit_text(unit, lang)
        v = getattr(scenario.assumptions, name)
        rows.append([(esc(assumption_text(name, lang)), ""), (esc(fmt.value_by_unit(v, unit, lang, name)), ' class="num"'),
                     (esc(shown_unit), ""),
                     (f"{esc(fmt.value_by_unit(m['low'], unit, lang, name))} – "
                      f"{esc(fmt.value_by_unit(m['high'], unit, lang, name))}", ' class="num"'),
                     (esc(assumption_source(name, lang)), "")])
    ass = _table([t("assumptions", lang), t("col_value", lang), t("col_unit", lang), t("col_range", lang),
                  t("col_source", lang)], rows)
    return f'<div class="ocopdoc">{lev}<h4>{esc(t("assumptions", lang))}</h4>{ass}</div>'


def condition_text(under: Any, lang: str = "en") -> str:
    """A check's test input as a sentence (``under`` as a JSON text, a dict or a CheckInput)."""
    if under is None or under == "" or (isinstance(under, float) and under != under):
        return "—"
    if isinstance(under, str):
        under = json.loads(under)
    if hasattr(under, "model_dump"):
        under = under.model_dump(exclude_defaults=True)
    parts = []
    if under.get("budget") is not None:
        v = fmt.number(under["budget"], lang)
        parts.append(t("cond_budget_from", lang).format(value=v, year=fmt.year(under["from_year"]))
                     if under.get("from_year") is not None else t("cond_budget", lang).format(value=v))
    for name, v in (under.get("assumptions") or {}).items():
        parts.append(t("cond_assumption", lang).format(what=assumption_text(name, lang).lower()
                                                       if lang == "vi" else assumption_text(name, lang),
                                                       value=fmt.value_by_unit(v, assumption_meta(name)["unit"], lang, name)))
    return "; ".join(parts) or "—"


def _check_value(metric: str, x: float, lang: str) -> str:
    return fmt.quantity(metric, x, lang)


def check_detail(check, row, years, lang: str = "en") -> str:
    """What a reality check asserts and whether it held, as a sentence."""
    a, b = int(years[0]), int(years[-1])
    lo = check.from_year if check.from_year is not None else a
    hi = check.to_year if check.to_year is not None else b
    period = f"{max(lo, a)}–{min(hi, b)}" if max(lo, a) != min(hi, b) else str(min(hi, b))
    metric = t(check.metric, lang)
    if check.kind == "never_exceeds":
        text = t("check_never_exceeds", lang).format(metric=metric, other=t(check.other, lang),
                                                     ever=t("check_ever", lang) if check.other_ever else "", period=period)
    else:
        val = (t("check_relative", lang).format(share=fmt.share(check.value, lang)) if check.relative
               else _check_value(check.metric, check.value, lang))
        text = t(f"check_{check.kind}", lang).format(metric=metric, value=val, period=period)
    if not bool(row["passed"]) and row.get("first_violation_year") is not None:
        text += "; " + t("check_violated", lang).format(year=int(row["first_violation_year"]))
    return text


def checks_html(scenario, df, years, lang: str = "en") -> str:
    """The reality checks as sentences (no JSON, no identifiers)."""
    if df is None or len(df) == 0:
        return f"<p>{esc(t('checks_none', lang))}</p>"
    by_id = {c.id: c for c in scenario.checks}
    rows = []
    for _, r in df.iterrows():
        c = by_id.get(r["id"])
        ok = bool(r["passed"])
        detail = check_detail(c, r, years, lang) if c is not None else ""
        rows.append([(esc(r["label_vi"] if lang == "vi" else r["label_en"]), ""),
                     (esc(condition_text(c.under if c is not None else r["under"], lang)), ""),
                     status_cell("met" if ok else "missed", lang, t("check_pass" if ok else "check_fail", lang)),
                     (esc(detail), "")])
    n_ok = int(df["passed"].sum())
    return (f'<div class="ocopdoc"><p>{esc(t("checks_passed_of", lang).format(ok=n_ok, n=len(df)))}</p>'
            + _table([t("col_check", lang), t("col_condition", lang), t("col_result", lang), t("col_detail", lang)], rows)
            + "</div>")


def method_html(res, lang: str = "en") -> str:
    m = res.manifest()
    mode = t(f"mode_{m['mode']}", lang) if CATALOGUE.get(f"mode_{m['mode']}") else t("mode_monte_carlo", lang)
    return ('<div class="ocopdoc">'
            f"<p>{esc(t('method_text', lang).format(draws=fmt.count(m['draws'], lang), mode=mode))}</p>"
            f"<p>{esc(t('median_sentence', lang))}</p>"
            f"<p>{esc(t('method_run', lang).format(time=fmt.timestamp(m['created'], lang), version=m['version'], seed=m['seed'], hash=str(m['scenario_hash'])[:12]))}</p>"
            "</div>")


# ----------------------------------------------------------------------------- figures


def show_figure(fig, alt: str) -> None:
    """Display a Matplotlib figure as a PNG with alternative text (read aloud, and shown when the
    image cannot be), then close it."""
    import base64
    import io

    import matplotlib.pyplot as plt
    from IPython.display import display

    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight")
    plt.close(fig)
    from IPython.display import HTML

    # an <img> of our own: nbconvert's lab template drops the output's alt metadata
    b64 = base64.b64encode(buf.getvalue()).decode("ascii")
    display(HTML(f'<img src="data:image/png;base64,{b64}" alt="{esc(alt)}" style="max-width:100%">'))


def alt(key: str, lang: str, **kw) -> str:
    return t(key, lang).format(**kw)


def setup(lang: str = "en") -> None:
    """Figures as the reports draw them, and no warning text printed into a reader's document
    (warnings belong in the logs of the batch, not in a planning document)."""
    import warnings


    setup_figures()
    warnings.simplefilter("ignore")


# ----------------------------------------------------------------------------- several scenarios


def titled(frame, runs, lang: str = "en"):
    """A frame whose columns are scenario names, with the scenarios' titles as columns."""
    return frame.rename(columns=scenario_titles(runs, lang))


def cost_attainment(runs, lang: str = "en"):
    """:func:`ocop_sim.plots.cost_attainment` with the scenarios' titles (column ``label``)."""
    df = _ca(runs)
    df["label"] = df["scenario"].map(scenario_titles(runs, lang))
    return df


def compare_header_html(runs, lang: str = "en") -> str:
    """Title of the comparison and the list of scenarios compared (titles, not file names)."""
    items = "".join(f"<li>{esc(x)}</li>" for x in scenario_titles(runs, lang).values())
    return f'{_CSS}<div class="ocopdoc"><h1>{esc(t("compare_title", lang))}</h1><ol>{items}</ol>' \
           f'<p><i>{esc(t("median_sentence", lang))}</i></p></div>'




def calibration_header_html(ld, lang: str = "en") -> str:
    """Title and introduction of the calibration report, naming the replayed scenario by title."""
    return (f'{_CSS}<div class="ocopdoc"><h1>{esc(t("cal_fit_title", lang))}</h1>'
            f"<p>{esc(t('cal_intro', lang))}</p><p>{esc(t('scenario', lang))}: {esc(scenario_title(ld, lang))}</p></div>")
