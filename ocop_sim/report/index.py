"""The index page of a batch (``index.html``, ``index_<lang>.html``): links to every report and
file, and the cross-scenario target tables; HTML from ``templates/index.html.j2``."""
from __future__ import annotations

import re
from pathlib import Path

from ..guide import guide_link, write_guides
from ..i18n import fmt_percent, scenario_titles, t
from ..io import atomic_write_text, safe_child
from ..markup import Markup, esc, render_template
from .render import _public
from .tables import _CSS, _STATUS_CSS, LANG_CHOICES, _fmt_target_value, _goal_text, _table


def _rel(path: str | Path, root: Path) -> str:
    """``path`` relative to ``root`` (a link's ``href``, escaped where it is written)."""
    return Path(path).resolve().relative_to(root.resolve()).as_posix()


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


def _links(items: list[tuple[str, str]]) -> Markup:
    """``(href, text)`` pairs as links separated by `` · ``."""
    return Markup(render_template("links.html.j2", items=items))


def _file_links(name: str, rendered: dict, sim: dict | None, out: Path, langs, lang: str) -> list[tuple[str, str]]:
    """A scenario's reports (HTML, notebook, PDF per language), workbooks and CSV tables."""
    links = []
    for lg in langs:
        o = rendered.get((name, lg))
        if o:
            ln = _lang_name(lg, lang)
            links.append((_rel(o.files["html"], out), f'{t("html", lang)} ({ln})'))
            links.append((_rel(o.files["notebook"], out), f'{t("notebook", lang)} ({ln})'))
            if o.files.get("pdf") and Path(o.files["pdf"]).is_file():
                links.append((_rel(o.files["pdf"], out), f"PDF ({ln})"))
    if sim:
        for k, v in sim["files"].items():
            if k.startswith("excel_"):
                links.append((_rel(v, out), f'{t("excel", lang)} ({_lang_name(k[6:], lang)})'))
        for p in sim["files"].get("csv", []):
            links.append((_rel(p, out), _csv_label(p, lang)))
    return links


def _target_sections(loaded, sims: dict, titles: dict, lang: str) -> list[tuple[str, str]]:
    """Cross-scenario target tables: the evaluation of past targets (reported figures, the same for
    every scenario of a pack), then the outlook: probability and status per target × scenario."""
    names = [ld.scenario.name for ld in loaded if ld.scenario.name in sims]
    if not names:
        return []
    sections = []
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
        sections.append((head, _table([t("target", lang), t("reported_value", lang), t("col_result", lang)], rows)))
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
        sections.append((f"{t('outlook', lang)}: {t('prob_matrix', lang)}",
                         _table([t("target", lang), *[titles.get(n, n) for n in names]], rows)))
    return sections


def index_html(out: Path, loaded, sims: dict, batch, langs, lang: str) -> str:
    """The index page: links to every report and the cross-scenario target table.  ``batch``: the
    :class:`~ocop_sim.report.batch.BatchResult` (outcomes and failures)."""
    rendered = {(o.name, o.lang): o for o in batch.outcomes if o.ok}
    titles = scenario_titles([(ld, None) for ld in loaded], lang)  # readers see titles, never file names
    titles.update({"compare": t("compare_title", lang), "calibration": t("cal_fit_title", lang)})
    rows = []
    for ld in loaded:
        name = ld.scenario.name
        links = _file_links(name, rendered, sims.get(name), out, langs, lang)
        rows.append([(f"<b>{esc(titles.get(name, name))}</b>", ""), (_links(links) if links else "—", "")])
    sections = [(t("reports", lang), _table([t("scenario", lang), t("files", lang)], rows))]
    for kind, head in (("compare", t("comparison_report", lang)), ("calibration", t("cal_fit_title", lang))):
        done = [o for o in batch.outcomes if o.ok and o.name == kind]
        if done:
            sections.append((head, _links([(_rel(o.files["html"], out), f"{titles[kind]} ({_lang_name(o.lang, lang)})")
                                                   for o in done])))
    sections += _target_sections(loaded, sims, titles, lang)
    if batch.failures:
        rows = [[(esc(titles.get(n, n)), ""), (esc(_lang_name(lg, lang) if lg else "—"), ""), (esc(err), ""),
                 (esc("—" if c is None else c), "")] for n, lg, err, c in batch.failures]
        sections.append((t("failed", lang), _table([t("scenario", lang), t("language", lang), t("error", lang),
                                                    t("failing_cell", lang)], rows)))
    return render_template("index.html.j2", lang=lang, title=t("index_title", lang), css=Markup(_CSS),
                           guide=Markup(guide_link(out, lang)), sections=[(h, Markup(b)) for h, b in sections])


def write_index(out: Path, loaded, sims: dict, batch, langs) -> Path:
    """Write ``index.html`` (English, or the only language) and ``index_vi.html`` when both."""
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
