"""Excel workbook of a run and the import-xlsx round trip (ocop_sim.excel, ocop_sim.cli.excel)."""
from __future__ import annotations

import math
import os
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pytest
import yaml

from ocop_sim import excel, fmt, load, simulate
from ocop_sim.cli import main
from ocop_sim.config import ASSUMPTION_NAMES, Levers, assumption_meta, lever_meta
from ocop_sim.i18n import assumption_source, scope_label, t
from ocop_sim.scenarios import ScenarioError

ROOT = Path(__file__).resolve().parents[1]
PARAMS = ROOT / "params"


# ----------------------------------------------------------------------------- fixtures


#: The workbook's scenario: the baseline outlook (2026–2035, targets of 1698 and of the planners
#: for 2035) with schedules of several steps, so rows can be edited, added and deleted.
PLAN = """\
extends: baseline.yaml
name: plan
draws: 30
levers:
  product_development_bn_vnd: {2026: 7.0, 2028: 9.0, 2030: 12.0}
  training_bn_vnd: {2026: 1.2, 2028: 1.5}
"""


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    """A params folder of our own: plan.yaml and what it extends (outputs go beside them)."""
    from shutil import copytree

    def copy_params(dst):  # a copy of params/ (not from conftest: tests/browser has one too)
        copytree(__import__('pathlib').Path(__file__).resolve().parents[1] / 'params', dst, dirs_exist_ok=True)
        return dst

    d = copy_params(tmp_path_factory.mktemp("xlparams"))  # baseline.yaml and the files it names
    (d / "plan.yaml").write_text(PLAN, encoding="utf-8")
    return d


@pytest.fixture(scope="module")
def base(folder):
    return load(folder / "plan.yaml")


@pytest.fixture(scope="module")
def res(base):
    return simulate(base.scenario, draws=30, seed=7)


@pytest.fixture(scope="module")
def book(base, res, folder) -> Path:
    return excel.write_workbook(res, base, folder / "plan.xlsx", lang="en")


def data_rows(ws) -> list[dict]:
    """Rows of a sheet as dicts keyed by the machine-readable key row."""
    rows = list(ws.iter_rows(values_only=True))
    keys = rows[excel.KEY_ROW - 1]
    return [dict(zip(keys, r)) for r in rows[excel.FIRST_DATA_ROW - 1:]]


def find_row(ws, col_key: str, name: str, year=None, nth: int = 0) -> int:
    """Worksheet row number of the ``nth`` row whose ``col_key`` is ``name`` (and year, if given)."""
    hits = []
    for i, r in enumerate(data_rows(ws), start=excel.FIRST_DATA_ROW):
        if r[col_key] == name and (year is None or r.get("year") == year):
            hits.append(i)
    return hits[nth]


def edited(src: Path, dst: Path, fn) -> Path:
    wb = openpyxl.load_workbook(src)
    fn(wb)
    wb.save(dst)
    return dst


# ----------------------------------------------------------------------------- contents


def test_targets_sheet_equals_attainment(book, res):
    att = res.attainment()
    rows = {r["id"]: r for r in data_rows(openpyxl.load_workbook(book)["targets"])}
    assert len(rows) == len(att) > 10
    # outlook targets (2035) get a band and a probability; past targets of 1698 are read from the reports
    assert set(att["phase"]) == {"evaluation", "outlook"}
    n_numbers = 0
    for _, a in att.iterrows():
        r = rows[a["id"]]
        assert r["label"] == a["label_en"] and r["metric"] == a["metric"] and r["scope"] == scope_label(a["scope"], "en")
        assert r["comparison"] == fmt.comparison(a["comparison"], fmt.quantity(a["metric"], a["target"], "en"), "en")
        assert str(r["when"]) == str(a["when"]) and (isinstance(r["when"], int) or "–" in r["when"])  # years as numbers
        assert r["target"] == a["target"]
        assert r["status"] == t(a["status"], "en")
        for k in ("median", "p10", "p90", "probability"):
            if isinstance(a[k], float) and math.isnan(a[k]):
                assert r[k] is None  # outside the horizon: an empty cell, never the text 'nan'
            else:
                assert r[k] == pytest.approx(a[k], rel=1e-12, abs=1e-12)
                n_numbers += 1
    n_forecast = int(att["probability"].notna().sum())
    assert n_forecast >= 3 and n_numbers == 4 * n_forecast
    assert all(rows[i]["probability"] is None for i in att.loc[att["phase"] == "evaluation", "id"])
    # a Monte Carlo run has a band: some P10 < P90
    assert any(r["p10"] is not None and r["p10"] < r["p90"] for r in rows.values())


def test_levers_and_assumptions_sheets_equal_the_scenario(book, base):
    wb = openpyxl.load_workbook(book)
    sc = base.scenario
    got: dict = {}
    for r in data_rows(wb["levers"]):
        assert r["unit"] == lever_meta(r["lever"])["unit"]
        if r["year"] is None:
            got[r["lever"]] = r["value"]
        else:
            got.setdefault(r["lever"], {})[r["year"]] = r["value"]
    assert got == {k: getattr(sc.levers, k) for k in Levers.model_fields}
    assert got["product_development_bn_vnd"] == {2026: 7.0, 2028: 9.0, 2030: 12.0}
    assert got["training_share_officials"] == dict(sc.levers.training_share_officials)  # a schedule too
    arows = data_rows(wb["assumptions"])
    assert [r["name"] for r in arows] == list(ASSUMPTION_NAMES)
    for r in arows:
        m = assumption_meta(r["name"])
        assert r["value"] == getattr(sc.assumptions, r["name"])
        assert (r["unit"], r["low"], r["high"]) == (m["unit"], m["low"], m["high"])
        assert r["source"] == assumption_source(r["name"], "en")
    dist = {r["name"]: r["distribution"] for r in arows}
    assert dist["central_pass_rate"] == "beta(a=4.5, b=5.5, low=0, high=1)"
    assert dist["officials_pool"] is None  # no uncertainty: empty cell


def test_results_summary_and_manifest_sheets(book, base, res):
    wb = openpyxl.load_workbook(book)
    assert wb.sheetnames == ["levers", "assumptions", "targets", "results", "summary", "manifest"]
    fr = res.frame("median")
    rows = data_rows(wb["results"])
    assert len(rows) == len(fr)
    assert sum(r["products"] for r in rows) == pytest.approx(fr["products"].sum(), rel=1e-9)
    end = base.scenario.horizon.end
    last = [r for r in rows if r["year"] == end]
    assert sum(r["products"] for r in last) == pytest.approx(fr[fr.year == end]["products"].sum(), rel=1e-9)
    summ = res.summary()
    srows = data_rows(wb["summary"])
    assert len(srows) == len(summ)
    one = summ[(summ.metric == "entities") & (summ.scope == "province") & (summ.year == end)].iloc[0]
    got = [r for r in srows if r["metric"] == "entities" and r["scope"] == scope_label("province", "en")
           and r["year"] == end][0]
    assert got["median"] == pytest.approx(one["median"]) and got["label"] == t("entities", "en")
    m = {r["key"]: r["value"] for r in data_rows(wb["manifest"])}
    assert m["format"] == excel.WORKBOOK_FORMAT and m["scenario"] == "plan"
    assert m["scenario_hash"] == base.hash and m["seed"] == 7 and m["draws"] == 30
    # the scenario file relative to the workbook: no local absolute path in a shared workbook
    assert not Path(m["source_path"]).is_absolute() and m["source_file"] == "plan.yaml"
    assert (Path(book).parent / m["source_path"]).resolve() == base.path.resolve()


def test_vietnamese_workbook_labels(base, res, tmp_path):
    p = excel.write_workbook(res, base, tmp_path / "vi.xlsx", lang="vi")
    wb = openpyxl.load_workbook(p)
    assert wb.sheetnames == [excel.SHEET_NAMES[k]["vi"] for k in excel.COLUMNS]
    ws = wb[excel.SHEET_NAMES["levers"]["vi"]]
    assert ws["A2"].value == t("xl_lever", "vi") and ws["A1"].value == "lever"
    assert ws.row_dimensions[excel.KEY_ROW].hidden and ws.column_dimensions["A"].hidden
    wb = {k: wb[excel.SHEET_NAMES[k]["vi"]] for k in excel.COLUMNS}
    statuses = {r["status"] for r in data_rows(wb["targets"])}
    assert statuses == {t(s, "vi") for s in res.attainment()["status"]}
    assert len(statuses) >= 3 and t("met_reported", "vi") in statuses
    assert not statuses & {t(s, "en") for s in res.attainment()["status"]}  # translated, not English
    labels = {r["label"] for r in data_rows(wb["targets"])}
    assert set(res.attainment()["label_vi"]) == labels


def test_write_workbook_refuses_non_xlsx_and_is_atomic(base, res, tmp_path, monkeypatch):
    from ocop_sim.io import OutputPathError

    with pytest.raises(OutputPathError):
        excel.write_workbook(res, base, tmp_path / "a.csv")
    target = tmp_path / "keep.xlsx"
    target.write_bytes(b"old")

    def boom(*a, **k):
        raise RuntimeError("disk full")

    monkeypatch.setattr(excel, "workbook_bytes", boom)
    with pytest.raises(RuntimeError):
        excel.write_workbook(res, base, target)
    assert target.read_bytes() == b"old" and sorted(os.listdir(tmp_path)) == ["keep.xlsx"]


# ----------------------------------------------------------------------------- formula injection


EVIL = {
    "title": {"en": '=HYPERLINK("http://evil.example/x","click me")', "vi": "@SUM(1+1)"},
    "description": {"en": "+cmd|' /C calc'!A0", "vi": "-2+3"},
}


def test_formula_injection_is_neutralised(folder, tmp_path):
    d = tmp_path / "p"
    d.mkdir()
    shutil.copytree(folder, d, dirs_exist_ok=True)
    (d / "evil.yaml").write_text(yaml.safe_dump({"extends": "baseline.yaml", "name": "evil",
                                                 "horizon": {"start": 2026, "end": 2028}, **EVIL},
                                                allow_unicode=True), encoding="utf-8")
    ld = load(d / "evil.yaml")
    r = simulate(ld.scenario, mode="expected")
    for lang in ("en", "vi"):
        p = excel.write_workbook(r, ld, d / f"evil_{lang}.xlsx", lang=lang)
        with zipfile.ZipFile(p) as zf:
            for n in zf.namelist():
                if n.endswith(".xml"):
                    xml = zf.read(n).decode("utf-8")
                    assert "<f>" not in xml and "<f " not in xml, n  # no formula anywhere
        ws = openpyxl.load_workbook(p)[excel.SHEET_NAMES["manifest"][lang]]
        cells = {ws.cell(i, 1).value: ws.cell(i, 2) for i in range(3, ws.max_row + 1)}
        for key in ("title", "description"):
            c = cells[key]
            assert c.value == EVIL[key][lang]  # text kept exactly ...
            assert c.data_type == "s" and c.quotePrefix  # ... as a quoted string, never evaluated
        assert not cells["scenario"].quotePrefix  # ordinary text is left alone
    # the workbook still round-trips
    out = excel.import_workbook(d / "evil_en.xlsx", d / "evil2.yaml")
    assert out.scenario.title == ld.scenario.title and out.scenario.name == "evil2"


def test_neutralise():
    assert excel.neutralise("=1+1") == ("=1+1", True)
    assert excel.neutralise("\tx")[1] and excel.neutralise("\rx")[1] and excel.neutralise("@x")[1]
    assert excel.neutralise("ok =1") == ("ok =1", False)
    assert excel.neutralise("a\x07b") == ("a\ufffdb", False)
    assert len(excel.neutralise("x" * 40000)[0]) == excel.MAX_CELL_CHARS


# ----------------------------------------------------------------------------- round trip


def test_unchanged_workbook_reproduces_the_scenario(book, base, folder, tmp_path):
    assert excel.read_changes(book, base) == {}
    out = folder / "same.yaml"
    try:
        assert main(["import-xlsx", str(book), "--out", str(out)]) == 0  # base from the manifest
        doc = yaml.safe_load(out.read_text(encoding="utf-8"))
        assert doc == {"extends": "plan.yaml", "name": "same"}
        new = load(out)
        assert new.chain[1].resolve() == base.path.resolve()
        assert new.scenario.model_copy(update={"name": "plan"}) == base.scenario
        assert new.scenario.name == "same"
    finally:
        out.unlink(missing_ok=True)


def test_edited_workbook_gives_a_scenario_with_only_those_changes(book, base, folder, tmp_path, capsys):
    def edit(wb):
        ws = wb["levers"]
        ws.cell(find_row(ws, "lever", "product_development_bn_vnd", 2030), 3).value = 20.0
        wa = wb["assumptions"]
        wa.cell(find_row(wa, "name", "score_base"), 2).value = 64.5

    xl = edited(book, tmp_path / "edited.xlsx", edit)
    ch = excel.read_changes(xl, base)
    assert ch == {"levers": {"product_development_bn_vnd": {2026: 7.0, 2028: 9.0, 2030: 20.0}},
                  "assumptions": {"score_base": 64.5}}
    out = folder / "edited.yaml"
    try:
        assert main(["import-xlsx", str(xl), "--scenario", str(base.path), "--out", str(out),
                     "--name", "more_money"]) == 0
        msg = capsys.readouterr().out
        assert "levers.product_development_bn_vnd" in msg and "assumptions.score_base" in msg
        doc = yaml.safe_load(out.read_text(encoding="utf-8"))
        assert doc["extends"] == "plan.yaml" and doc["name"] == "more_money"
        assert set(doc) == {"extends", "name", "levers", "assumptions"}
        assert set(doc["levers"]) == {"product_development_bn_vnd"} and set(doc["assumptions"]) == {"score_base"}
        new = load(out)
        a, b = base.scenario.model_dump(), new.scenario.model_dump()
        diff = {k for k in a if a[k] != b[k]}
        assert diff == {"name", "levers", "assumptions"}
        assert {k for k in a["levers"] if a["levers"][k] != b["levers"][k]} == {"product_development_bn_vnd"}
        assert {k for k in a["assumptions"] if a["assumptions"][k] != b["assumptions"][k]} == {"score_base"}
        assert excel.changed_names(base.scenario, new.scenario) == ["levers.product_development_bn_vnd",
                                                                     "assumptions.score_base"]
        r0 = simulate(base.scenario, mode="expected")
        r1 = simulate(new.scenario, mode="expected")
        end = base.scenario.horizon.end
        start = base.scenario.horizon.start
        v0 = r0.value("new_products_4star", period=(start, end))[0]
        v1 = r1.value("new_products_4star", period=(start, end))[0]
        # more development money and a higher base score: more products certified at 4★ (the valid
        # total can even fall a little: 4★ certificates renew less often than 3★ ones)
        assert v1 > v0 + 1
    finally:
        out.unlink(missing_ok=True)


def test_added_and_deleted_schedule_rows(book, base, tmp_path):
    def edit(wb):
        ws = wb["levers"]
        ws.delete_rows(find_row(ws, "lever", "training_bn_vnd", 2028))
        n = ws.max_row + 1
        for j, v in enumerate(["trade_promotion_bn_vnd", "2030", "7,5".replace(",", ".")], start=1):
            ws.cell(n, j).value = v  # year and value typed as text still read as numbers

    ch = excel.read_changes(edited(book, tmp_path / "rows.xlsx", edit), base)
    lv = base.scenario.levers
    assert ch == {"levers": {"training_bn_vnd": {k: v for k, v in lv.training_bn_vnd.items() if k != 2028},
                             "trade_promotion_bn_vnd": {**lv.trade_promotion_bn_vnd, 2030: 7.5}}}


def test_changed_base_is_refused_unless_any_base(book, base, tmp_path):
    d = tmp_path / "p"
    d.mkdir()
    shutil.copytree(base.path.parent, d, dirs_exist_ok=True)
    text = base.path.read_text(encoding="utf-8").replace("draws: 30", "draws: 60")
    (d / "plan.yaml").write_text(text, encoding="utf-8")
    other = load(d / "plan.yaml")
    with pytest.raises(ScenarioError, match=r"manifest!B\d+: expected the hash"):
        excel.read_changes(book, other)
    assert excel.read_changes(book, other, check_base=False) == {}
    out = d / "x.yaml"
    assert main(["import-xlsx", str(book), "--scenario", str(d / "plan.yaml"), "--out", str(out)]) == 2
    assert not out.exists()
    assert main(["import-xlsx", str(book), "--scenario", str(d / "plan.yaml"), "--out", str(out),
                 "--any-base"]) == 0
    assert load(out).scenario.draws == 60


def test_write_scenario_validates_before_rename(base, folder):
    before = sorted(os.listdir(folder))
    with pytest.raises(ScenarioError, match="score_base"):
        excel.write_scenario({"assumptions": {"score_base": 500.0}}, base, folder / "bad.yaml", "bad")
    assert sorted(os.listdir(folder)) == before


# ----------------------------------------------------------------------------- bad workbooks


def _set(sheet, col, name_key, name, value, year=None):
    def fn(wb):
        ws = wb[sheet]
        ws.cell(find_row(ws, name_key, name, year), col).value = value
    return fn


def _lever(col, name, value, year=None):
    return _set("levers", col, "lever", name, value, year)


def _assumption(col, name, value):
    return _set("assumptions", col, "name", name, value)


def _cell(sheet, ref, value):
    def fn(wb):
        wb[sheet][ref].value = value
    return fn


def _del_sheet(name):
    def fn(wb):
        del wb[name]
    return fn


def _rename_sheet(old, new):
    def fn(wb):
        wb[old].title = new
    return fn


def _dup_year(wb):
    ws = wb["levers"]
    ws.cell(find_row(ws, "lever", "product_development_bn_vnd", 2028), 2).value = 2026


def _manifest_value(key, value):
    return _set("manifest", 2, "key", key, value)


# (id, edit, substrings the error must contain).  Row numbers of plan.yaml's workbook (checked by
# test_row_numbers_of_the_bad_cases): levers rows 3-5 product_development 2026/2028/2030, row 14
# training_share_officials (2019: one value from the first year); assumptions score_base = row 13.
BAD = [
    ("missing_sheet", _del_sheet("levers"), ["levers:", "expected a sheet named 'levers'"]),
    ("renamed_sheet", _rename_sheet("assumptions", "Assumption"), ["expected a sheet named 'assumptions'", "renamed"]),
    ("missing_manifest", _del_sheet("manifest"), ["expected a sheet named 'manifest'"]),
    ("renamed_header", _cell("levers", "C1", "valu"), ["levers!C1", "'value'", "'valu'"]),
    ("deleted_header", _cell("assumptions", "A1", None), ["assumptions!A1", "'name'", "an empty cell"]),
    ("text_in_value", _lever(3, "product_development_bn_vnd", "abc", 2028), ["levers!C4", "expected a number", "'abc'"]),
    ("decimal_comma", _assumption(2, "score_base", "60,6"), ["assumptions!B13", "decimal point", "'60,6'"]),
    ("empty_value", _assumption(2, "submission_rate", None), ["assumptions!B", "submission_rate", "an empty cell"]),
    ("bool_value", _lever(3, "training_share_officials", True), ["levers!C14", "True"]),
    ("formula_no_cache", _assumption(2, "score_base", "=60+1"), ["assumptions!B13", "formula", "=60+1"]),
    ("unknown_lever", _lever(1, "product_development_bn_vnd", "product_developmnt_bn_vnd", 2026),
     ["levers!A3", "did you mean 'product_development_bn_vnd'"]),
    ("unknown_assumption", _assumption(1, "score_base", "score_bas"), ["assumptions!A13", "did you mean 'score_base'"]),
    ("assumption_out_of_bounds", _assumption(2, "score_base", 500), ["assumptions!B13", "[20, 90]", "got 500"]),
    ("negative_lever", _lever(3, "product_development_bn_vnd", -1, 2026), ["levers!C3", "[0, 100000]", "got -1"]),
    ("share_above_one", _lever(3, "training_share_officials", 1.5), ["levers!C14", "[0, 1]"]),
    ("negative_share", _lever(3, "training_share_officials", -0.1), ["levers!C14", "[0, 1]"]),
    ("fractional_count", _lever(3, "display_centres", 1.5, 2026), ["levers!C", "whole count"]),
    ("year_not_a_year", _lever(2, "product_development_bn_vnd", "twenty", 2030), ["levers!B5", "whole year", "'twenty'"]),
    ("year_outside_horizon", _lever(2, "product_development_bn_vnd", 2040, 2030), ["levers!B5", "2026..2035", "2040"]),
    ("share_year_before_outlook", _lever(2, "training_share_officials", 2020), ["levers!B14", "2026..2035", "2020"]),
    ("share_without_year", _lever(2, "training_share_officials", None), ["levers!B14", "whole year"]),
    ("duplicate_year", _dup_year, ["levers!B4", "one row per year", "2026 twice"]),
    ("duplicate_assumption", _assumption(1, "score_scale", "score_base"), ["assumptions!A", "second one"]),
    ("threshold_order", _assumption(2, "threshold_3star", 80), ["assumptions", "threshold_3star < threshold_4star"]),
    ("hash_changed", _manifest_value("scenario_hash", "deadbeef"), ["manifest!B", "expected the hash", "deadbeef"]),
    ("not_our_workbook", _manifest_value("format", "something else"), ["manifest!B3", "ocop-sim-workbook/1"]),
]


def test_row_numbers_of_the_bad_cases(book):
    wb = openpyxl.load_workbook(book)
    lv, asm = wb["levers"], wb["assumptions"]
    assert [find_row(lv, "lever", "product_development_bn_vnd", y) for y in (2026, 2028, 2030)] == [3, 4, 5]
    assert find_row(lv, "lever", "training_share_officials") == 14
    assert find_row(asm, "name", "score_base") == 13


@pytest.mark.parametrize("case", BAD, ids=[c[0] for c in BAD])
def test_bad_workbook(case, book, base, tmp_path, capsys):
    _, fn, expect = case
    xl = edited(book, tmp_path / "bad.xlsx", fn)
    with pytest.raises(ScenarioError) as ei:
        excel.read_changes(xl, base)
    msg = str(ei.value)
    assert msg.startswith(str(xl)) and "\n" not in msg
    for s in expect:
        assert s in msg, (s, msg)
    out = tmp_path / "out" / "new.yaml"
    out.parent.mkdir()
    capsys.readouterr()
    assert main(["import-xlsx", str(xl), "--scenario", str(base.path), "--out", str(out),
                 "--allow-outside"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and expect[0] in err
    assert os.listdir(out.parent) == []  # nothing written, no temporary file left


def _text(p: Path) -> Path:
    p.write_text("lever,year,value\nproduct_development_bn_vnd,2019,2\n", encoding="utf-8")
    return p


def _zip_without_workbook(p: Path) -> Path:
    with zipfile.ZipFile(p, "w") as zf:
        zf.writestr("hello.txt", "hi")
    return p


def _damaged(p: Path) -> Path:
    with zipfile.ZipFile(p, "w") as zf:
        zf.writestr("xl/workbook.xml", "<not xml")
        zf.writestr("[Content_Types].xml", "<also not")
    return p


FILE_CASES = [
    ("csv_named_xlsx", _text, "not one"),
    ("zip_not_xlsx", _zip_without_workbook, "without xl/workbook.xml"),
    ("damaged_xlsx", _damaged, "damaged"),
    ("missing_file", lambda p: p, "no such file"),
    ("directory", lambda p: (p.mkdir() or p), "directory"),
]


@pytest.mark.parametrize("case", FILE_CASES, ids=[c[0] for c in FILE_CASES])
def test_bad_workbook_files(case, base, tmp_path, capsys):
    _, make, expect = case
    (tmp_path / "in").mkdir()
    xl = make(tmp_path / "in" / "book.xlsx")
    with pytest.raises(ScenarioError, match=expect) as ei:
        excel.read_changes(xl, base)
    assert str(ei.value).startswith(str(xl))
    out = tmp_path / "o" / "new.yaml"
    out.parent.mkdir()
    assert main(["import-xlsx", str(xl), "--scenario", str(base.path), "--out", str(out), "--allow-outside"]) == 2
    assert os.listdir(out.parent) == []


def test_too_big_workbook(book, base, monkeypatch, tmp_path):
    monkeypatch.setattr(excel, "MAX_XLSX_BYTES", 1000)
    with pytest.raises(ScenarioError, match="at most 1000 bytes"):
        excel.read_changes(book, base)
    out = tmp_path / "new.yaml"
    assert main(["import-xlsx", str(book), "--scenario", str(base.path), "--out", str(out), "--allow-outside"]) == 2
    assert not out.exists()


@pytest.mark.parametrize("args,expect", [
    (["--out", "{folder}/plan.yaml"], "base scenario"),
    (["--out", "{folder}/baseline.yaml"], "base scenario"),
    (["--out", "{folder}/new.txt"], ".yaml"),
    (["--out", "{folder}/new.yaml", "--name", "../evil"], "name"),
    (["--out", "{folder}/nowhere/new.yaml"], "does not exist"),
])
def test_import_refuses_bad_outputs(args, expect, book, folder, capsys):
    before = {p: p.read_bytes() for p in folder.iterdir() if p.is_file()}
    argv = ["import-xlsx", str(book)] + [a.format(folder=folder) for a in args]
    assert main(argv) == 2
    assert expect in capsys.readouterr().err
    assert {p: p.read_bytes() for p in folder.iterdir() if p.is_file()} == before


def test_import_outside_params_folder_needs_allow_outside(book, base, tmp_path):
    out = tmp_path / "elsewhere.yaml"
    assert main(["import-xlsx", str(book), "--out", str(out)]) == 2
    assert not out.exists()
    assert main(["import-xlsx", str(book), "--out", str(out), "--allow-outside"]) == 0
    assert load(out, allow_outside=True).chain[1].resolve() == base.path.resolve()


def test_export_xlsx_cli(folder, tmp_path, capsys):
    out = tmp_path / "s.xlsx"
    assert main(["export-xlsx", str(folder / "plan.yaml"), "--out", str(out), "--mode", "expected",
                 "--lang", "vi"]) == 0
    m = excel.read_workbook_manifest(out)
    assert m["lang"] == "vi" and m["mode"] == "expected" and m["scenario"] == "plan"
    assert main(["export-xlsx", str(folder / "plan.yaml"), "--out", str(tmp_path / "s.csv")]) == 2
    assert not (tmp_path / "s.csv").exists()


def test_columns_may_be_moved_and_blank_rows_are_skipped(book, base, tmp_path):
    def edit(wb):
        ws = wb["assumptions"]
        ws.cell(find_row(ws, "name", "staff_turnover"), 2).value = 0.2
        ws.move_range(f"B1:B{ws.max_row}", cols=10)  # the value column now sits in L
        ws.insert_rows(5, amount=2)  # blank rows in the middle

    xl = edited(book, tmp_path / "moved.xlsx", edit)
    assert excel.read_changes(xl, base) == {"assumptions": {"staff_turnover": 0.2}}

    def bad(wb):
        edit(wb)
        ws = wb["assumptions"]
        ws.cell(find_row(ws, "name", "score_base"), 12).value = "x"

    with pytest.raises(ScenarioError, match=r"assumptions!L15: expected a number"):
        excel.read_changes(edited(book, tmp_path / "moved_bad.xlsx", bad), base)


# ----------------------------------------------------------------------------- the reader's workbook (issue 17)


def test_vietnamese_workbook_reads_as_the_report(base, res, tmp_path):
    """Sheet names, units, descriptions and number formats in Vietnamese as the report writes
    them; codes only in hidden columns and rows; filters; and the workbook still imports."""
    import re

    p = excel.write_workbook(res, base, tmp_path / "vi.xlsx", lang="vi")
    wb = openpyxl.load_workbook(p)
    sheets = {k: wb[excel.SHEET_NAMES[k]["vi"]] for k in excel.COLUMNS}
    for key, ws in sheets.items():
        keys = [c.value for c in ws[excel.KEY_ROW]]
        assert ws.auto_filter.ref and ws.auto_filter.ref.startswith(f"A{excel.LABEL_ROW}:"), key
        for i, row in enumerate(ws.iter_rows(min_row=excel.LABEL_ROW), start=excel.LABEL_ROW):
            if ws.row_dimensions[i].hidden:
                continue
            for c, k in zip(row, keys):
                if ws.column_dimensions[c.column_letter].hidden or not isinstance(c.value, str):
                    continue
                assert not re.search(r"\b[a-z0-9]+_[a-z0-9_]+\b", c.value), (key, c.coordinate, c.value)
                assert not re.search(r"\bbn VND\b|judgement|triangular\(|/home/|/tmp/", c.value), (key, c.coordinate, c.value)
    targets = data_rows(sheets["targets"])
    first = next(i for i, r in enumerate(targets) if r["metric"] == "products_3star_plus")
    share = next(i for i, r in enumerate(targets) if r["metric"] == "coverage_leaders")
    ws = sheets["targets"]
    col = {k: j for j, k in enumerate([c.value for c in ws[excel.KEY_ROW]], start=1)}
    assert ws.cell(excel.FIRST_DATA_ROW + first, col["target"]).number_format == "#,##0"
    assert ws.cell(excel.FIRST_DATA_ROW + share, col["target"]).number_format == "0%"
    assert ws.cell(excel.FIRST_DATA_ROW, col["probability"]).number_format == "0%"
    assert isinstance(targets[first]["when"], int)
    results = data_rows(sheets["results"])
    assert {r["level"] for r in results} <= {t(x, "vi") for x in ("3star", "4star", "p5", "n5")}
    assert "Biên Hòa" in {r["area"] for r in results}
    units = {r["unit"] for r in data_rows(sheets["levers"])}
    assert "tỷ đồng/năm" in units and "bn VND/year" not in units
    # the workbook as the reader got it still imports: an edit of the yellow column is read back
    ws = sheets["assumptions"]
    ws.cell(find_row(ws, "name", "score_base"), 2).value = 61.5
    wb.save(tmp_path / "vi_edited.xlsx")
    assert excel.read_changes(tmp_path / "vi_edited.xlsx", base) == {"assumptions": {"score_base": 61.5}}


def test_workbook_of_the_earlier_layout_still_imports(book, base, tmp_path):
    """Labels in row 1 and keys in row 2 (workbooks written before the key row moved to row 1)."""
    wb = openpyxl.load_workbook(book)
    for ws in wb.worksheets:
        for c1, c2 in zip(ws[1], ws[2]):
            c1.value, c2.value = c2.value, c1.value
    ws = wb["assumptions"]
    assert ws["A2"].value == "name"
    row = next(i for i, r in enumerate(ws.iter_rows(min_row=3, values_only=True), start=3) if r[0] == "score_base")
    ws.cell(row, 2).value = 62.0
    wb.save(tmp_path / "old.xlsx")
    assert excel.read_changes(tmp_path / "old.xlsx", base) == {"assumptions": {"score_base": 62.0}}
