"""Excel workbook of a scenario run, and reading a planner's edits back into a scenario YAML.

:func:`write_workbook` writes one ``.xlsx`` per scenario run with the sheets

``levers``       one row per lever and year key (the ``value`` column is editable; vi: "Giải pháp"),
``assumptions``  one row per assumption with unit, bounds, distribution and source
                 (the ``value`` column is editable),
``targets``      the attainment table of the run,
``results``      certified products by year × area × group × level (median over draws),
``summary``      every metric by year and scope (mean, P10, median, P90),
``manifest``     scenario name, hash, source file, seed, draws, versions.

Every sheet has two header rows: row 1 (hidden) holds the machine-readable column keys that
:func:`read_changes` looks for, row 2 the labels in the report's language (from
:mod:`ocop_sim.i18n`) with the filter buttons, so columns may be reordered but keys must stay.
Data start in row 3.  Vietnamese workbooks name their sheets in Vietnamese (:data:`SHEET_NAMES`);
identifiers (lever and assumption names, target ids, metrics, manifest keys) stay in hidden
columns and rows, so a reader sees labels, units, sources and numbers formatted as in the report
(:mod:`ocop_sim.fmt`: percent, whole counts, years as numbers).

Text is never written as a formula: every text cell is a string cell, and text starting with
``= + - @``, a tab or a carriage return also carries Excel's quote prefix (the apostrophe), so
neither Excel nor LibreOffice evaluates a scenario title such as ``=HYPERLINK(...)``.

:func:`import_workbook` (CLI ``ocop-sim import-xlsx``) reads the ``levers`` and ``assumptions``
sheets as edited in Excel, compares them with the base scenario and writes a validated YAML that
``extends`` the base and holds only the changes.  A deleted row of a schedule removes that year
key; a lever or assumption with no row at all is left unchanged.  Every problem raises
:class:`~ocop_sim.scenarios.ScenarioError` naming the workbook, the cell (``levers!C5``), what was
expected and what was got.

Longer than 400 lines because it holds both directions of one format, writing the workbook and
reading a planner's edits back, which must agree sheet by sheet.
"""
from __future__ import annotations

import datetime as _dt
import difflib
import io as _io
import math
import numbers
import os
import re
import tempfile
import zipfile
from pathlib import Path
from typing import Any, Callable

from . import fmt
from .config import (ALL_SCHEDULES, ASSUMPTION_NAMES, COUNT_LEVERS, MAX_BUDGET_BN_VND, MIN_YEAR, NAME_RE,
                     SCHEDULE_LEVERS, Levers, Scenario, assumption_meta, lever_meta)
from .i18n import (CATALOGUE, LANGS, assumption_source, assumption_text, has, lever_label, scope_label, t,
                   unit_text)
from .io import OutputPathError, atomic_write_bytes
from .numbers import NumberError, parse_number
from .provenance import manifest
from .scenarios import Loaded, ScenarioError, deep_merge, format_validation_error, load, write_child
from .version import MODEL_VERSION, __version__

#: Identifies workbooks this module wrote (manifest key ``format``).
WORKBOOK_FORMAT = "ocop-sim-workbook/1"
#: Largest workbook read back [bytes] and largest total size of its unzipped parts [bytes].
MAX_XLSX_BYTES = 20_000_000
MAX_UNZIPPED_BYTES = 200_000_000
#: Most data rows read from an editable sheet.
MAX_ROWS = 20_000
#: Most columns read from a sheet (a damaged dimension must not make rows 16,384 cells wide).
MAX_COLS = 40
#: Row 1: the column keys the importer reads (hidden); row 2: the labels in the reader's language
#: (with the filter buttons); data from row 3.  Workbooks written before 12/2026 had the two
#: header rows the other way round: the importer finds the key row in either.
KEY_ROW, LABEL_ROW, FIRST_DATA_ROW = 1, 2, 3
#: Excel's cell text limit [characters].
MAX_CELL_CHARS = 32_767

#: Columns of each sheet: (machine key, i18n key of the label).  Order = order in the workbook.
COLUMNS: dict[str, tuple[tuple[str, str], ...]] = {
    "levers": (("lever", "xl_lever"), ("year", "year"), ("value", "value"), ("unit", "unit"),
               ("description", "xl_description")),
    "assumptions": (("name", "xl_assumption"), ("value", "value"), ("unit", "unit"), ("low", "xl_low"),
                    ("high", "xl_high"), ("distribution", "xl_distribution"), ("source", "source"),
                    ("description", "xl_description")),
    "targets": (("registry", "xl_registry"), ("id", "xl_id"), ("label", "target"), ("metric", "xl_metric"),
                ("scope", "xl_scope"), ("when", "when"), ("comparison", "xl_comparison"), ("target", "goal"),
                ("median", "median"), ("p10", "p10"), ("p90", "p90"), ("probability", "probability"),
                ("status", "xl_outlook")),
    "results": (("year", "year"), ("area", "area"), ("group", "group"), ("level", "level"),
                ("products", "count_products")),
    "summary": (("year", "year"), ("metric", "xl_metric"), ("label", "xl_metric_label"), ("scope", "xl_scope"),
                ("unit", "unit"), ("mean", "mean"), ("p10", "p10"), ("median", "median"), ("p90", "p90")),
    "manifest": (("key", "xl_key"), ("value", "value"), ("label", "xl_label")),
}
#: Sheet names in the reader's language (English workbooks keep the keys, which are English words);
#: the importer finds a sheet under either name.
SHEET_NAMES = {"levers": {"vi": "Giải pháp", "en": "levers"}, "assumptions": {"vi": "Giả định", "en": "assumptions"},
               "targets": {"vi": "Chỉ tiêu", "en": "targets"}, "results": {"vi": "Kết quả", "en": "results"},
               "summary": {"vi": "Tổng hợp", "en": "summary"}, "manifest": {"vi": "Thông tin", "en": "manifest"}}
#: Machine columns (identifiers the importer reads, or codes): kept, but hidden from the reader.
HIDDEN = {"levers": ("lever",), "assumptions": ("name",), "targets": ("registry", "id", "metric"),
          "summary": ("metric",), "manifest": ("key",)}
#: Manifest rows a reader needs (the others identify the workbook for the importer: hidden rows).
MANIFEST_SHOWN = ("title", "description", "method", "seed", "draws", "horizon", "version", "created")
#: The editable column of each editable sheet.
EDITABLE = {"levers": "value", "assumptions": "value"}
#: Columns the importer needs in each sheet it reads.
REQUIRED = {"levers": ("lever", "year", "value"), "assumptions": ("name", "value"), "manifest": ("key", "value")}

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_ILLEGAL = re.compile(r"[\x00-\x08\x0b-\x0c\x0e-\x1f]")


# ============================================================================= writing


def neutralise(text: str) -> tuple[str, bool]:
    """Text fit for a cell and whether it needs Excel's quote prefix.

    Control characters that XML cannot hold become U+FFFD; text is cut to Excel's limit.
    Returns ``(text, needs_quote_prefix)``; the prefix is needed when the text starts with a
    character that would make Excel read it as a formula (``= + - @``, tab, CR).
    """
    s = _ILLEGAL.sub("\ufffd", str(text))[:MAX_CELL_CHARS]
    return s, s.startswith(_FORMULA_START)


def _put(ws, row: int, col: int, value: Any):
    """Write one cell: text always as a string cell (never a formula), numbers finite or empty."""
    cell = ws.cell(row=row, column=col)
    if value is None:
        return cell
    if isinstance(value, str):
        s, quote = neutralise(value)
        cell.value = s
        cell.data_type = "s"  # openpyxl would otherwise store '=...' as a formula
        if quote:
            cell.quotePrefix = True
        return cell
    if isinstance(value, bool):
        cell.value = bool(value)
        return cell
    try:
        x = float(value)
    except (TypeError, ValueError):
        return _put(ws, row, col, str(value))
    if not math.isfinite(x):
        return cell  # NaN (e.g. outside the horizon) is an empty cell, never the text 'nan'
    cell.value = int(value) if isinstance(value, numbers.Integral) else x
    return cell


def _header(ws, sheet: str, lang: str) -> None:
    from openpyxl.comments import Comment
    from openpyxl.styles import Font, PatternFill

    bold, grey = Font(bold=True), Font(italic=True, color="808080", size=9)
    yellow = PatternFill("solid", fgColor="FFF2CC")
    for j, (key, label) in enumerate(COLUMNS[sheet], start=1):
        _put(ws, LABEL_ROW, j, t(label, lang)).font = bold
        _put(ws, KEY_ROW, j, key).font = grey
        if EDITABLE.get(sheet) == key:
            ws.cell(LABEL_ROW, j).fill = yellow
    # the note sits on the key row's first cell: what may be edited, and that row 2 must stay
    note = "xl_note_editable" if sheet in EDITABLE else "xl_note_readonly"
    ws.cell(LABEL_ROW, 1).comment = Comment(t(note, lang), "ocop-sim")
    ws.row_dimensions[KEY_ROW].hidden = True  # the column keys the importer reads: not for the reader
    ws.freeze_panes = ws.cell(FIRST_DATA_ROW, 1)


def _rows(ws, sheet: str, rows: list[tuple], widths: dict[str, int] | None = None) -> None:
    from openpyxl.styles import PatternFill
    from openpyxl.utils import get_column_letter

    keys = [k for k, _ in COLUMNS[sheet]]
    edit = keys.index(EDITABLE[sheet]) + 1 if sheet in EDITABLE else None
    fill = PatternFill("solid", fgColor="FFF2CC")
    for i, row in enumerate(rows, start=FIRST_DATA_ROW):
        for j, v in enumerate(row, start=1):
            c = _put(ws, i, j, v)
            if j == edit:
                c.fill = fill
    for j, key in enumerate(keys, start=1):
        dim = ws.column_dimensions[get_column_letter(j)]
        dim.width = (widths or {}).get(key, 14)
        if key in HIDDEN.get(sheet, ()):
            dim.hidden = True
    # number formats that match the report (percent, whole counts, years as numbers)
    for j, key in enumerate(keys, start=1):
        for i, row in enumerate(rows, start=FIRST_DATA_ROW):
            nf = _number_format(sheet, key, row, keys)
            if nf:
                ws.cell(i, j).number_format = nf
    if rows:  # a filter on the label row (the hidden key row sits between it and the data)
        ws.auto_filter.ref = f"A{LABEL_ROW}:{get_column_letter(len(keys))}{FIRST_DATA_ROW + len(rows) - 1}"


def _dist_text(dist: Any) -> str:
    """``triangular(low=1.5, mode=3, high=6)``: a distribution as compact text (not a formula)."""
    if dist is None:
        return ""
    d = dist.model_dump()
    kind = d.pop("type")
    return f"{kind}(" + ", ".join(f"{k}={v:g}" for k, v in d.items()) + ")"


def _lever_rows(scenario: Scenario, lang: str) -> list[tuple]:
    rows = []
    for name in Levers.model_fields:
        meta = lever_meta(name)
        desc = lever_label(name, lang)
        unit = unit_text(meta["unit"], lang)
        v = getattr(scenario.levers, name)
        if isinstance(v, dict):
            integer = name in COUNT_LEVERS
            for year, val in v.items():
                rows.append((name, int(year), int(val) if integer else float(val), unit, desc))
        else:
            rows.append((name, None, float(v), unit, desc))
    return rows


_DIST_VI = {"uniform": "đều", "triangular": "tam giác", "normal": "chuẩn", "lognormal": "loga chuẩn", "beta": "beta",
            "truncnormal": "chuẩn cắt cụt"}
_PARAM_VI = {"low": "thấp", "high": "cao", "mode": "đỉnh", "mean": "trung bình", "sd": "độ lệch chuẩn"}


def _dist_text_lang(dist: Any, lang: str) -> str:
    """A distribution in words of ``lang`` (Vietnamese: ``tam giác (thấp 1,5; đỉnh 3; cao 6)``)."""
    if lang != "vi" or dist is None:
        return _dist_text(dist)
    d = dist.model_dump()
    kind = d.pop("type")
    return f"{_DIST_VI.get(kind, kind)} (" + "; ".join(f"{_PARAM_VI.get(k, k)} {fmt.number(v, 'vi', 3)}"
                                                      for k, v in d.items()) + ")"


def _assumption_rows(scenario: Scenario, lang: str = "en") -> list[tuple]:
    dists = scenario.distributions()
    rows = []
    for name in ASSUMPTION_NAMES:
        m = assumption_meta(name)
        rows.append((name, float(getattr(scenario.assumptions, name)), unit_text(m["unit"], lang), float(m["low"]),
                     float(m["high"]), _dist_text_lang(dists.get(name), lang), assumption_source(name, lang),
                     assumption_text(name, lang)))
    return rows


def _when(w: Any) -> Any:
    """A target's date: a year as a number, a period as text (2021–2025)."""
    s = str(w)
    return int(s) if s.isdigit() else s


def _target_rows(result, lang: str) -> list[tuple]:

    att = result.attainment()
    label = "label_vi" if lang == "vi" else "label_en"
    pack = result.scenario.pack
    return [(r["registry"], r["id"], r[label], r["metric"], scope_label(str(r["scope"]), lang, pack), _when(r["when"]),
             fmt.comparison(r["comparison"], fmt.quantity(r["metric"], r["target"], lang), lang),
             float(r["target"]), float(r["median"]), float(r["p10"]), float(r["p90"]), float(r["probability"]),
             t(r["status"], lang)) for _, r in att.iterrows()]


def _result_rows(result, lang: str) -> list[tuple]:
    """Products by year, area, group and level with the names of areas, groups and levels."""
    pack = result.scenario.pack
    names: dict[str, str] = {}

    def name(code: str) -> str:
        if code not in names:
            names[code] = t(code, lang) if code in _LEVEL_GROUP_KEYS else scope_label(code, lang, pack)
        return names[code]

    return [(int(y), name(str(a)), name(str(g)), name(str(lv)), v)
            for y, a, g, lv, v in result.frame("median").itertuples(index=False, name=None)]


def _summary_rows(result, lang: str) -> list[tuple]:
    df = result.summary()
    pack = result.scenario.pack
    labels = {m: (t(m, lang) if has(m) else m) for m in df["metric"].unique()}
    scopes = {sc: scope_label(str(sc), lang, pack) for sc in df["scope"].unique()}
    units = {u: unit_text(u, lang) for u in df["unit"].unique()}
    return [(int(y), m, labels[m], scopes[s], units[u], mean, p10, med, p90) for y, m, s, u, mean, p10, med, p90 in
            df[["year", "metric", "scope", "unit", "mean", "p10", "median", "p90"]].itertuples(index=False)]


def _manifest_rows(result, loaded: Loaded, lang: str, folder: str | Path | None = None) -> list[tuple]:
    """Manifest rows ``(key, value, label)``.  ``source_path``: the scenario file relative to the
    workbook's ``folder`` (no local absolute path leaves the machine in a shared workbook)."""

    sc = loaded.scenario
    src = loaded.path.resolve()
    try:
        rel = os.path.relpath(src, Path(folder).resolve()) if folder is not None else src.name
    except ValueError:  # another drive (Windows): the name only
        rel = src.name
    now = _dt.datetime.now(_dt.timezone.utc)
    mode = t(f"mode_{result.mode}", lang) if f"mode_{result.mode}" in _catalogue() else str(result.mode)
    rows = [
        ("format", WORKBOOK_FORMAT),
        ("scenario", sc.name),
        ("title", getattr(sc.title, lang)),
        ("description", getattr(sc.description, lang)),
        ("scenario_hash", loaded.hash),
        ("source_file", loaded.path.name),
        ("source_path", Path(rel).as_posix()),
        ("extends", " <- ".join(p.name for p in loaded.chain)),
        ("result_scenario_hash", manifest(result)["scenario_hash"]),
        ("mode", result.mode),
        ("method", mode),
        ("seed", int(result.seed)),
        ("draws", int(result.draws)),
        ("horizon", f"{sc.horizon.start}–{sc.horizon.end}"),
        ("lang", lang),
        ("package", "ocop_sim"),
        ("version", __version__),
        ("model_version", MODEL_VERSION),
        ("created", fmt.timestamp(now.isoformat(timespec="seconds"), lang)),
        ("created_utc", now.isoformat(timespec="seconds")),
    ]
    return [(k, v, t(f"xl_m_{k}", lang) if f"xl_m_{k}" in _catalogue() else "") for k, v in rows]


def _catalogue() -> dict:
    return CATALOGUE


_LEVEL_GROUP_KEYS = {"3star", "4star", "p5", "n5", "food", "beverage", "herbal", "handicraft", "ornamental", "tourism"}


def _number_format(sheet: str, key: str, row: tuple, keys: list[str]) -> str | None:
    """The Excel number format of a cell, as the report writes the value (see :mod:`ocop_sim.fmt`)."""
    if key == "year" or (sheet == "targets" and key == "when"):
        return fmt.EXCEL_FORMATS["year"]
    if sheet == "targets" and key in ("target", "median", "p10", "p90"):
        return fmt.excel_format(row[keys.index("metric")])
    if sheet == "targets" and key == "probability":
        return fmt.EXCEL_FORMATS["share"]
    if sheet == "summary" and key in ("mean", "p10", "median", "p90"):
        return fmt.excel_format(row[keys.index("metric")])
    if sheet == "results" and key == "products":
        return fmt.EXCEL_FORMATS["count"]
    if sheet in ("levers", "assumptions") and key in ("value", "low", "high"):
        # editable numbers keep their decimals; only shares show as percent and years as years
        name = row[0]
        unit = lever_meta(name).get("unit", "-") if sheet == "levers" else assumption_meta(name)["unit"]
        kind = "year" if unit == "year" or str(name).endswith("_year") else fmt.kind_of_unit(unit)
        if kind == "year":
            return fmt.EXCEL_FORMATS["year"]
        if kind == "share":
            return "0.0%"
    return None


def _validations(ws, sheet: str, rows: list[tuple]) -> None:
    """Excel data validation on the editable cells: numbers within the schema's bounds."""
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    letter = get_column_letter([k for k, _ in COLUMNS[sheet]].index("value") + 1)
    for i, row in enumerate(rows, start=FIRST_DATA_ROW):
        low, high = _bounds(sheet, row[0])
        kind = "whole" if sheet == "levers" and row[0] in COUNT_LEVERS else "decimal"
        dv = DataValidation(type=kind, operator="between", formula1=f"{low:.15g}",
                            formula2=f"{high:.15g}", allow_blank=False, showErrorMessage=True,
                            error=f"{str(row[-1])[:150]}: {low:g} – {high:g}")
        dv.add(f"{letter}{i}")
        ws.add_data_validation(dv)


#: Sheet builders: name -> function(result, loaded, lang) -> rows.
_BUILDERS: dict[str, Callable] = {
    "levers": lambda res, ld, lang: _lever_rows(ld.scenario, lang),
    "assumptions": lambda res, ld, lang: _assumption_rows(ld.scenario, lang),
    "targets": lambda res, ld, lang: _target_rows(res, lang),
    "results": lambda res, ld, lang: _result_rows(res, lang),
    "summary": lambda res, ld, lang: _summary_rows(res, lang),
    "manifest": lambda res, ld, lang, folder=None: _manifest_rows(res, ld, lang, folder),
}
_WIDTHS = {"lever": 30, "name": 32, "description": 60, "source": 50, "label": 55, "distribution": 30,
           "key": 22, "value": 16, "id": 30, "metric": 28}


def workbook_bytes(result, loaded: Loaded, lang: str = "en", folder: str | Path | None = None) -> bytes:
    """The ``.xlsx`` file of a run as bytes (see the module docstring for its sheets).

    Parameters
    ----------
    result : :class:`ocop_sim.results.Result` of ``loaded.scenario`` (any mode, draws, seed).
    loaded : the :class:`~ocop_sim.scenarios.Loaded` scenario file the run came from; its
        levers and assumptions fill the editable sheets and its path and hash the manifest.
    lang : ``"vi"`` or ``"en"``: language of the sheet names, labels, units and status words.
    folder : where the workbook will be written: the manifest names the scenario file relative to it.
    """
    from openpyxl import Workbook

    if lang not in LANGS:
        raise ValueError(f"expected lang in {LANGS}, got {lang!r}")
    wb = Workbook()
    wb.remove(wb.active)
    for sheet, build in _BUILDERS.items():
        ws = wb.create_sheet(SHEET_NAMES[sheet][lang])
        rows = build(result, loaded, lang, folder) if sheet == "manifest" else build(result, loaded, lang)
        _header(ws, sheet, lang)
        _rows(ws, sheet, rows, _WIDTHS)
        if sheet in EDITABLE:
            _validations(ws, sheet, rows)
        if sheet == "manifest":  # rows that identify the workbook for the importer: hidden
            for i, row in enumerate(rows, start=FIRST_DATA_ROW):
                if row[0] not in MANIFEST_SHOWN:
                    ws.row_dimensions[i].hidden = True
    wb.active = 0
    buf = _io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def write_workbook(result, loaded: Loaded, path: str | Path, lang: str = "en") -> Path:
    """Write the workbook of a run atomically (temporary file in the same folder, then rename).

    Returns the path written.  ``path`` must end in ``.xlsx``.
    """
    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        raise OutputPathError(f"expected an output file ending in .xlsx, got {path.name!r}")
    return atomic_write_bytes(path, workbook_bytes(result, loaded, lang, folder=path.parent))


# ============================================================================= reading


class _Book:
    """An opened workbook: cached values and formulas, with the file's label for errors."""

    def __init__(self, path: str | Path):
        from openpyxl import load_workbook

        self.path = Path(path)
        self.label = str(path)
        data = _read_checked(self.path, self.label)
        try:
            self.values = load_workbook(_io.BytesIO(data), read_only=True, data_only=True)
            self.formulas = load_workbook(_io.BytesIO(data), read_only=True, data_only=False)
        except Exception as exc:  # openpyxl raises many types on a damaged file
            msg = " ".join(str(exc).split())[:200]
            raise ScenarioError(self.label, "", f"expected a readable .xlsx workbook, got a damaged file "
                                f"({type(exc).__name__}: {msg})") from None

    def error(self, where: str, message: str) -> ScenarioError:
        return ScenarioError(self.label, where, message)

    def sheet_rows(self, sheet: str) -> tuple[dict[str, int], list[tuple[int, list, list]]]:
        """Column positions by key, and the data rows ``(row number, values, formulas)``."""
        from openpyxl.utils import get_column_letter

        title = next((n for n in (sheet, *SHEET_NAMES.get(sheet, {}).values()) if n in self.values.sheetnames), None)
        if title is None:
            close = difflib.get_close_matches(sheet, self.values.sheetnames, n=1, cutoff=0.5)
            hint = f" (renamed to {close[0]!r}?)" if close else ""
            raise self.error(sheet, f"expected a sheet named {sheet!r}{hint}, got sheets "
                                    f"{', '.join(map(repr, self.values.sheetnames)) or 'none'}")
        try:  # read-only sheets are parsed here, lazily: a damaged part fails now
            vals = self._read(self.values[title])
            forms = self._read(self.formulas[title])
        except Exception as exc:
            msg = " ".join(str(exc).split())[:200]
            raise self.error(sheet, f"expected a readable sheet, got a damaged one ({type(exc).__name__}: {msg})") from None
        if len(vals) > MAX_ROWS + FIRST_DATA_ROW:
            raise self.error(sheet, f"expected at most {MAX_ROWS} rows, got more")
        key_row = KEY_ROW
        if len(vals) >= 2 and not _has_keys(vals[KEY_ROW - 1], sheet) and _has_keys(vals[1], sheet):
            key_row = 2  # a workbook of the earlier layout (labels in row 1, keys in row 2)
        keyrow = vals[key_row - 1] if len(vals) >= key_row else []
        cols: dict[str, int] = {}
        for j, v in enumerate(keyrow):
            if isinstance(v, str) and v.strip():
                k = v.strip()
                if k in cols:
                    raise self.error(f"{sheet}!{get_column_letter(j + 1)}{KEY_ROW}",
                                     f"expected each column key once in row {KEY_ROW}, got {k!r} twice")
                cols[k] = j
        default = [k for k, _ in COLUMNS[sheet]]
        for key in REQUIRED[sheet]:
            if key not in cols:
                j = default.index(key)
                got = keyrow[j] if j < len(keyrow) else None
                raise self.error(f"{sheet}!{get_column_letter(j + 1)}{KEY_ROW}",
                                 f"expected the column key {key!r} in the key row {KEY_ROW} (do not edit that row), "
                                 f"got {_show(got)}")
        rows = []
        for i in range(FIRST_DATA_ROW - 1, len(vals)):
            row = vals[i]
            if all(v is None or (isinstance(v, str) and not v.strip()) for v in row):
                continue
            frow = forms[i] if i < len(forms) else []
            rows.append((i + 1, row, frow))
        return cols, rows

    @staticmethod
    def _read(ws) -> list[list]:
        out = []
        for n, row in enumerate(ws.iter_rows(values_only=True, max_col=MAX_COLS)):
            if n > MAX_ROWS + FIRST_DATA_ROW:
                break
            out.append(list(row))
        return out


def _has_keys(row: list, sheet: str) -> bool:
    keys = {v.strip() for v in row if isinstance(v, str)}
    return all(k in keys for k in REQUIRED.get(sheet, ()))


def _read_checked(path: Path, label: str) -> bytes:
    """The workbook's bytes after size and format checks (zip, parts, unzipped size)."""
    try:
        st = path.stat()
    except FileNotFoundError:
        raise ScenarioError(label, "", "expected an existing .xlsx workbook, got no such file") from None
    except OSError as exc:
        raise ScenarioError(label, "", f"cannot read the workbook ({exc.strerror})") from None
    if not path.is_file():
        raise ScenarioError(label, "", "expected an .xlsx file, got a directory or special file")
    if st.st_size > MAX_XLSX_BYTES:
        raise ScenarioError(label, "", f"expected a workbook of at most {MAX_XLSX_BYTES} bytes, got {st.st_size}")
    data = path.read_bytes()
    try:
        with zipfile.ZipFile(_io.BytesIO(data)) as zf:
            names = zf.namelist()
            unzipped = sum(i.file_size for i in zf.infolist())
    except (zipfile.BadZipFile, ValueError, OSError):
        raise ScenarioError(label, "", "expected an .xlsx workbook (a zip archive), got a file that is not one "
                            "(an old .xls or a CSV? save it as .xlsx)") from None
    if "xl/workbook.xml" not in names:
        raise ScenarioError(label, "", "expected an .xlsx workbook, got a zip archive without xl/workbook.xml")
    if unzipped > MAX_UNZIPPED_BYTES:
        raise ScenarioError(label, "", f"expected at most {MAX_UNZIPPED_BYTES} bytes unzipped, got {unzipped}")
    return data


def _show(v: Any) -> str:
    if v is None or (isinstance(v, str) and not v.strip()):
        return "an empty cell"
    s = repr(v)
    return s if len(s) <= 60 else s[:57] + "...'"


def _number(book: _Book, ref: str, value: Any, formula: Any, what: str) -> float:
    """A finite number from a cell (a number, or text holding one)."""
    if isinstance(value, bool):
        raise book.error(ref, f"expected a number for {what}, got {value!r}")
    if isinstance(value, (int, float)):
        x = float(value)
    elif value is None and isinstance(formula, str) and formula.startswith("="):
        raise book.error(ref, f"expected a number for {what}, got the formula {_show(formula)} without a computed "
                              "value (open and save the workbook in Excel, or type the number)")
    elif isinstance(value, str) and value.strip():
        try:  # the shared rule: plain ASCII digits only ("1_0" and "٣" are not numbers)
            x = parse_number(value)
        except NumberError:
            raise book.error(ref, f"expected a number for {what} (plain digits, with a decimal point), "
                                  f"got {_show(value)}") from None
    elif isinstance(value, (_dt.datetime, _dt.date, _dt.time)):
        raise book.error(ref, f"expected a number for {what}, got a date {value}")
    else:
        raise book.error(ref, f"expected a number for {what}, got {_show(value)}")
    if not math.isfinite(x):
        raise book.error(ref, f"expected a finite number for {what}, got {_show(value)}")
    return x


def _field_bounds(field) -> tuple[float, float]:
    """``(ge, le)`` of a pydantic field (infinite where unbounded)."""
    low, high = -math.inf, math.inf
    for m in field.metadata:
        if getattr(m, "ge", None) is not None:
            low = float(m.ge)
        if getattr(m, "le", None) is not None:
            high = float(m.le)
    return low, high


def _bounds(sheet: str, name: str) -> tuple[float, float]:
    """Valid range of a lever value or assumption [its unit]."""
    if sheet == "assumptions":
        m = assumption_meta(name)
        return float(m["low"]), float(m["high"])
    if name in SCHEDULE_LEVERS:
        return 0.0, MAX_BUDGET_BN_VND
    if name == "training_share_officials":
        return 0.0, 1.0  # a share, schedule {year: share}
    return _field_bounds(Levers.model_fields[name])


def _name(book: _Book, ref: str, value: Any, known: tuple[str, ...], what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise book.error(ref, f"expected a{'n' if what[0] in 'aeiou' else ''} {what} name, got {_show(value)}")
    name = value.strip()
    if name not in known:
        close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise book.error(ref, f"expected a known {what} name{hint}, got {_show(value)}")
    return name


def _year(book: _Book, ref: str, value: Any, lever: str, horizon) -> int:
    y: int | None = None
    if isinstance(value, bool):
        y = None
    elif isinstance(value, int):
        y = value
    elif isinstance(value, float) and value.is_integer():
        y = int(value)
    elif isinstance(value, str) and re.fullmatch(r"\s*[0-9]{4}\s*", value):  # ASCII digits (the shared rule)
        y = int(value)
    if y is None:
        raise book.error(ref, f"expected a whole year like {horizon.start} for {lever}, got {_show(value)}")
    if y != MIN_YEAR and not horizon.start <= y <= horizon.end:
        raise book.error(ref, f"expected a year in {horizon.start}..{horizon.end} for {lever}, got {y}")
    return y


def _letter(cols: dict[str, int], key: str) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(cols[key] + 1)


def _cell(row: list, cols: dict[str, int], key: str) -> Any:
    j = cols[key]
    return row[j] if j < len(row) else None


def _read_levers(book: _Book, base: Scenario) -> tuple[dict[str, Any], dict[str, str]]:
    """Levers as edited: ``{name: schedule or number}`` and the first cell of each lever."""
    cols, rows = book.sheet_rows("levers")
    names = tuple(Levers.model_fields)
    out: dict[str, Any] = {}
    where: dict[str, str] = {}
    for r, vals, forms in rows:
        ref = lambda key: f"levers!{_letter(cols, key)}{r}"  # noqa: E731
        name = _name(book, ref("lever"), _cell(vals, cols, "lever"), names, "lever")
        where.setdefault(name, ref("value"))
        x = _number(book, ref("value"), _cell(vals, cols, "value"), _cell(forms, cols, "value"), name)
        low, high = _bounds("levers", name)
        if not low <= x <= high:
            raise book.error(ref("value"), f"expected {name} in [{low:g}, {high:g}], got {x:g}")
        if name in ALL_SCHEDULES:
            year = _year(book, ref("year"), _cell(vals, cols, "year"), name, base.horizon)
            if name in COUNT_LEVERS:
                if not x.is_integer():
                    raise book.error(ref("value"), f"expected a whole count for {name} in {year}, got {x:g}")
                x = int(x)
            sched = out.setdefault(name, {})
            if year in sched:
                raise book.error(ref("year"), f"expected one row per year for {name}, got {year} twice")
            sched[year] = x
        else:
            yv = _cell(vals, cols, "year")
            if not (yv is None or (isinstance(yv, str) and not yv.strip())):
                raise book.error(ref("year"), f"expected an empty year for {name} (one value for all years), "
                                              f"got {_show(yv)}")
            if name in out:
                raise book.error(ref("lever"), f"expected one row for {name}, got a second one")
            out[name] = x
    return {k: (dict(sorted(v.items())) if isinstance(v, dict) else v) for k, v in out.items()}, where


def _read_assumptions(book: _Book) -> tuple[dict[str, float], dict[str, str]]:
    cols, rows = book.sheet_rows("assumptions")
    out: dict[str, float] = {}
    where: dict[str, str] = {}
    for r, vals, forms in rows:
        ref = lambda key: f"assumptions!{_letter(cols, key)}{r}"  # noqa: E731
        name = _name(book, ref("name"), _cell(vals, cols, "name"), ASSUMPTION_NAMES, "assumption")
        if name in out:
            raise book.error(ref("name"), f"expected one row for {name}, got a second one")
        x = _number(book, ref("value"), _cell(vals, cols, "value"), _cell(forms, cols, "value"), name)
        low, high = _bounds("assumptions", name)
        if not low <= x <= high:
            unit = assumption_meta(name)["unit"]
            raise book.error(ref("value"), f"expected {name} in [{low:g}, {high:g}] {unit}, got {x:g}")
        out[name] = x
        where[name] = ref("value")
    return out, where


def _read_manifest(book: _Book) -> tuple[dict[str, Any], dict[str, str]]:
    """The manifest sheet as ``{key: value}`` and ``{key: cell}``; checks it is an ocop-sim workbook."""
    cols, rows = book.sheet_rows("manifest")
    out: dict[str, Any] = {}
    where: dict[str, str] = {}
    for r, vals, _ in rows:
        k = _cell(vals, cols, "key")
        if isinstance(k, str) and k.strip():
            out[k.strip()] = _cell(vals, cols, "value")
            where[k.strip()] = f"manifest!{_letter(cols, 'value')}{r}"
    if out.get("format") != WORKBOOK_FORMAT:
        raise book.error(where.get("format", "manifest"),
                         f"expected key 'format' = {WORKBOOK_FORMAT!r}, got {_show(out.get('format'))} "
                         "(not a workbook written by ocop-sim)")
    return out, where


def read_workbook_manifest(path: str | Path) -> dict[str, Any]:
    """The manifest sheet of a workbook as ``{key: value}``."""
    return _read_manifest(_Book(path))[0]


def _same(a: float, b: float) -> bool:
    return math.isclose(float(a), float(b), rel_tol=1e-12, abs_tol=1e-12)


def _schedule_equal(a: dict, b: dict) -> bool:
    return set(map(int, a)) == set(map(int, b)) and all(_same(a[k], b[k]) for k in a)


def _changes(book: _Book, base_loaded: Loaded, check_base: bool) -> dict[str, dict[str, Any]]:
    base = base_loaded.scenario
    manifest, mwhere = _read_manifest(book)
    if check_base:
        got = str(manifest.get("scenario_hash") or "")
        if got != base_loaded.hash:
            raise book.error(mwhere.get("scenario_hash", "manifest"),
                             f"expected the hash of {base_loaded.path} ({base_loaded.hash[:12]}), got {got[:12] or 'none'}: "
                             f"the workbook was written from another version of the scenario; re-export it, or pass "
                             f"--any-base to compare against {base_loaded.path.name} anyway")
    levers, lwhere = _read_levers(book, base)
    assumptions, awhere = _read_assumptions(book)
    changes: dict[str, dict[str, Any]] = {}
    for name, new in levers.items():
        old = getattr(base.levers, name)
        same = _schedule_equal(old, new) if isinstance(new, dict) else _same(old, new)
        if not same:
            changes.setdefault("levers", {})[name] = new
    for name, new in assumptions.items():
        if not _same(getattr(base.assumptions, name), new):
            changes.setdefault("assumptions", {})[name] = new
    # cross-field rules (e.g. threshold order) on the merged scenario, reported at the cell
    from pydantic import ValidationError

    merged = deep_merge(base_loaded.raw, changes)
    try:
        Scenario.model_validate(merged)
    except ValidationError as exc:
        err = format_validation_error(book.label, exc)
        parts = err.field.split(".")
        ref = {"levers": lwhere, "assumptions": awhere}.get(parts[0], {}).get(parts[1] if len(parts) > 1 else "")
        if ref is None and parts[0] == "assumptions":
            ref = "assumptions"
        raise book.error(ref or err.field or "levers", err.message) from None
    return changes


def read_changes(path: str | Path, base_loaded: Loaded, check_base: bool = True) -> dict[str, dict[str, Any]]:
    """Levers and assumptions edited in a workbook that differ from the base scenario.

    Parameters
    ----------
    path : the ``.xlsx`` written by :func:`write_workbook` and edited in Excel.
    base_loaded : the scenario the workbook was written from.
    check_base : refuse a base whose hash differs from the workbook's manifest (the base file
        changed since the export, so unchanged cells would silently revert it).

    Returns
    -------
    ``{"levers": {name: schedule or value}, "assumptions": {name: value}}`` holding only
    changed entries (a changed schedule is given whole); ``{}`` when nothing changed.
    """
    return _changes(_Book(path), base_loaded, check_base)


def base_from_manifest(book_path: str | Path, allow_outside: bool = False) -> Loaded:
    """The scenario file named in the workbook's manifest (its path, else its name beside the workbook)."""
    return _base_from_manifest(_Book(book_path), allow_outside)


def _base_from_manifest(book: _Book, allow_outside: bool) -> Loaded:
    m, where = _read_manifest(book)
    candidates = []
    for key, p in (("source_path", m.get("source_path")), ("source_file", m.get("source_file"))):
        if isinstance(p, str) and p.strip() and "\x00" not in p:
            if key == "source_path":  # relative to the workbook (absolute in workbooks before 12/2026)
                candidates.append(Path(p) if Path(p).is_absolute() else book.path.parent / p)
            else:
                candidates.append(book.path.parent / Path(p).name)
    for c in candidates:
        if c.is_file():
            return load(c, allow_outside=allow_outside)
    raise book.error(where.get("source_path", "manifest"), "expected the scenario file the workbook was written from, got "
                     f"{', '.join(str(c) for c in candidates) or 'none'} (not found); pass --scenario BASE.yaml")


def write_scenario(changes: dict, base_loaded: Loaded, out: str | Path, name: str, source: str = "",
                   allow_outside: bool = False, replace: bool = True) -> Loaded:
    """Write a scenario YAML that extends the base with ``changes`` through the one writer of
    child scenarios (:func:`ocop_sim.scenarios.write_child`: validated before the rename, never
    over the base or a file it extends; an existing file replaced keeps a ``.bak`` copy)."""
    head = ""
    if source:
        src = " ".join(neutralise(source)[0].split())
        head = f"# Imported from the workbook {src} by ocop-sim import-xlsx: only the changes.\n"
    return write_child(base_loaded, out, changes, name, head, replace=replace, allow_outside=allow_outside)


def changed_names(base: Scenario, new: Scenario) -> list[str]:
    """``levers.X`` / ``assumptions.Y`` keys whose values differ between two scenarios."""
    out = [f"levers.{k}" for k in Levers.model_fields if getattr(base.levers, k) != getattr(new.levers, k)]
    return out + [f"assumptions.{k}" for k in ASSUMPTION_NAMES
                  if getattr(base.assumptions, k) != getattr(new.assumptions, k)]


def import_workbook(workbook: str | Path, out: str | Path, base: str | Path | Loaded | None = None,
                    name: str | None = None, allow_outside: bool = False, check_base: bool = True) -> Loaded:
    """Read a workbook's edits and write ``out``, a scenario that extends the base with them.

    Parameters
    ----------
    workbook : the edited ``.xlsx``.
    out : the scenario YAML to write (``.yaml``); must not be the base itself.
    base : the base scenario (path or Loaded); default: the file named in the workbook's manifest.
    name : the new scenario's name; default: the stem of ``out``.
    allow_outside : allow ``extends`` to leave ``out``'s folder (as ``--allow-outside``).
    check_base : see :func:`read_changes`.

    Returns the loaded new scenario.
    """
    out = Path(out)
    book = _Book(workbook)
    if base is None:
        base_loaded = _base_from_manifest(book, allow_outside)
    elif isinstance(base, Loaded):
        base_loaded = base
    else:
        base_loaded = load(base, allow_outside=allow_outside)
    changes = _changes(book, base_loaded, check_base)
    return write_scenario(changes, base_loaded, out, name if name is not None else out.stem,
                          source=Path(workbook).name, allow_outside=allow_outside)


__all__ = ["write_workbook", "workbook_bytes", "read_changes", "import_workbook", "write_scenario",
           "base_from_manifest", "read_workbook_manifest", "changed_names", "neutralise", "WORKBOOK_FORMAT", "COLUMNS", "MAX_XLSX_BYTES"]
