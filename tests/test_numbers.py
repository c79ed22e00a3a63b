"""Issue 12: one number parser for YAML, Excel and CSV inputs (:mod:`ocop_sim.numbers`).

The rule: a number is a number; text is parsed only where the format has no numbers of its own
(Excel text cells, CSV fields, environment variables), and only as plain ASCII decimal notation;
in YAML a quoted number is text, so ``seed: '42'`` is refused just as ``seed: '1.5'`` is."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ocop_sim.cli import main
from ocop_sim.numbers import NumberError, is_plain_number_text, parse_int, parse_number

PARAMS = Path(__file__).resolve().parents[1] / "params"


@pytest.mark.parametrize("text,value", [("12", 12.0), (" -3.5 ", -3.5), ("1e3", 1000.0), ("+0.25", 0.25),
                                        (".5", 0.5), ("7.", 7.0)])
def test_plain_decimal_text_is_a_number(text, value):
    assert parse_number(text) == value


@pytest.mark.parametrize("text", ["1_0", "٣", "١٢", "４２", "1,000", "60,6", "inf", "nan", "-inf", "0x10", "1e", "",
                                  " ", "1 000", "½", "²", "True", "1.2.3", "--1"])
def test_other_text_is_not_a_number(text):
    with pytest.raises(NumberError, match="expected a number"):
        parse_number(text)
    assert not is_plain_number_text(text)


def test_python_float_would_have_taken_them():
    """Why a parser of our own: Python's int()/float() read '1_0' as 10 and '٣' as 3."""
    assert float("1_0") == 10 and int("٣") == 3


@pytest.mark.parametrize("value,expect", [(3, 3), (3.0, 3), ("3", 3), ("2026", 2026), (2**62, 2**62)])
def test_parse_int(value, expect):
    assert parse_int(value) == expect and isinstance(parse_int(value), int)


@pytest.mark.parametrize("value", [3.5, "3.5", True, None, "٣", [3]])
def test_parse_int_refuses(value):
    with pytest.raises(NumberError):
        parse_int(value)


def test_text_not_allowed_where_the_format_has_numbers():
    with pytest.raises(NumberError, match="write it without quotes"):
        parse_number("42", text_ok=False)
    assert parse_number(42, text_ok=False) == 42.0


@settings(max_examples=300, deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False))
def test_repr_of_any_finite_float_round_trips(x):
    assert parse_number(repr(x)) == x


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=12))
def test_accepted_text_is_ascii_decimal_and_equals_float(text):
    try:
        x = parse_number(text)
    except NumberError:
        return
    assert text.strip(" \t").isascii() and "_" not in text
    assert x == float(text)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(categories=["Nd"]), min_size=1, max_size=6))
def test_no_digit_outside_ascii_is_read(digits):
    if digits.isascii():
        assert parse_number(digits) == float(digits)
    else:
        with pytest.raises(NumberError):
            parse_number(digits)


# ----------------------------------------------------------------------------- YAML


@pytest.fixture()
def params(tmp_path):
    d = tmp_path / "params"
    shutil.copytree(PARAMS, d)
    return d


@pytest.mark.parametrize("field,value", [("seed", "'42'"), ("seed", "'1.5'"), ("draws", "'20'"),
                                         ("horizon", "{start: 2026, end: '2030'}")])
def test_quoted_numbers_in_yaml_are_refused_alike(params, capsys, field, value):
    """v0.1 took seed: '42' (pydantic's lax mode) but refused seed: '1.5'."""
    p = params / "q.yaml"
    p.write_text(f"extends: smoke.yaml\nname: q\n{field}: {value}\n", encoding="utf-8")
    assert main(["validate", str(p)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "q.yaml" in err and field in err and "expected a number" in err, err
    assert "without quotes" in err


def test_unquoted_numbers_in_yaml_pass(params, capsys):
    p = params / "q.yaml"
    p.write_text("extends: smoke.yaml\nname: q\nseed: 42\ndraws: 20\n", encoding="utf-8")
    assert main(["validate", str(p)]) == 0


@pytest.mark.parametrize("key", ["'٢٠٣٠'", "'2_030'", "'２０３０'"])
def test_schedule_years_in_other_digits_are_refused(params, capsys, key):
    p = params / "q.yaml"
    p.write_text(f"extends: smoke.yaml\nname: q\nlevers:\n  training_bn_vnd: {{{key}: 3}}\n", encoding="utf-8")
    assert main(["validate", str(p)]) == 2
    err = capsys.readouterr().err
    assert "training_bn_vnd" in err and "4-digit" in err, err


# ----------------------------------------------------------------------------- CSV (actuals)


@pytest.mark.parametrize("year", ["2_024", "٢٠٢٤", "2024x"])
def test_actuals_csv_year_follows_the_rule(year):
    from ocop_sim.data import FactsError
    from ocop_sim.packs import load_pack, parse_actuals

    pack = load_pack("dong_nai_2025")
    csv = ("scope,metric,kind_of_series,counting,year,at,value,known_from,source_url\n"
           f"province,new_products_3star_plus,flow,,{year},,12,2025-01,https://example.org\n")
    with pytest.raises(FactsError, match=r"row 2: field year: expected a number"):
        parse_actuals(csv.encode(), "actuals.csv", pack.areas.scopes)
    ok = csv.replace(year, "2024")
    assert parse_actuals(ok.encode(), "actuals.csv", pack.areas.scopes)[0]["year"] == 2024


# ----------------------------------------------------------------------------- Excel


@pytest.mark.parametrize("text", ["1_0", "٣", "４"])
def test_excel_text_cells_follow_the_rule(params, tmp_path, text):
    import openpyxl

    from ocop_sim import excel, load, simulate
    from ocop_sim.scenarios import ScenarioError

    ld = load(params / "smoke.yaml")
    book = excel.write_workbook(simulate(ld.scenario, draws=5, seed=1), ld, tmp_path / "s.xlsx", lang="en")
    wb = openpyxl.load_workbook(book)
    ws = wb["assumptions"]
    keys = [c.value for c in ws[excel.KEY_ROW]]
    col_name, col_value = keys.index("name") + 1, keys.index("value") + 1
    row = next(r for r in range(excel.FIRST_DATA_ROW, ws.max_row + 1)
               if ws.cell(r, col_name).value == "submission_rate")
    ws.cell(row, col_value).value = text
    wb.save(book)
    with pytest.raises(ScenarioError, match=r"expected a number .*plain digits") as e:
        excel.import_workbook(book, params / "edited.yaml", base=ld)
    assert repr(text) in str(e.value) or text in str(e.value)
    assert not (params / "edited.yaml").exists()


# ----------------------------------------------------------------------------- command line


@pytest.mark.parametrize("opt,value", [("--draws", "1_0"), ("--draws", "٣"), ("--seed", "4_2"), ("--seed", "١"),
                                       ("--jobs", "２"), ("--draws", "2.5")])
def test_cli_numbers_follow_the_rule(opt, value, capsys):
    assert main(["run", str(PARAMS / "smoke.yaml"), opt, value]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and opt in err and repr(value) in err, err


def test_cli_plain_numbers_pass(tmp_path, monkeypatch):
    monkeypatch.setenv("OCOP_SIM_CACHE", str(tmp_path / "c"))
    assert main(["run", str(PARAMS / "smoke.yaml"), "--draws", "20", "--seed", "7"]) == 0
