"""Reality checks (ocop_sim.checks): evaluation, conditional runs, validation, HTML, the check command."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml

from ocop_sim import load, simulate
from ocop_sim.checks import apply_input, checks_html, evaluate, run_checks
from ocop_sim.cli import main
from ocop_sim.config import BUDGET_LINES, CheckInput, RealityCheck
from ocop_sim.scenarios import ScenarioError

ROOT = Path(__file__).resolve().parents[1]
PARAMS = ROOT / "params"
#: Scenarios that are, or extend, a scenario with reality checks: the baseline outlook and the history.
ROOTS = ("baseline.yaml", "history.yaml")
CHECKED_FAMILY = [p for p in sorted(PARAMS.glob("*.yaml"))
                  if p.name in ROOTS or any(r in p.read_text(encoding="utf-8") for r in ROOTS)]


def rc(**kw) -> RealityCheck:
    return RealityCheck.model_validate(kw)


def test_checked_family_covers_outlooks_and_history():
    names = {p.name for p in CHECKED_FAMILY}
    assert {"baseline.yaml", "smoke.yaml", "history.yaml", "sweep_budget.yaml"} <= names


@pytest.mark.parametrize("path", CHECKED_FAMILY, ids=lambda p: p.name)
def test_default_checks_pass_on_baseline_family(path):
    ld = load(path)
    root = load(PARAMS / ("history.yaml" if ld.scenario.kind == "history" else "baseline.yaml"))
    assert len(root.scenario.checks) >= 3
    assert {c.id for c in root.scenario.checks} <= {c.id for c in ld.scenario.checks}, "the root's checks are inherited"
    for res in (simulate(ld.scenario, mode="expected"), simulate(ld.scenario, draws=20, seed=11)):
        df = run_checks(ld.scenario, res)
        assert df["passed"].all(), df.loc[~df["passed"], ["id", "detail"]].to_dict("records")
        assert df["first_violation_year"].isna().all()


def test_failing_check_reports_worst_value_and_first_year(history):
    res = simulate(history.scenario, mode="expected")
    s = res.series("products_3star_plus")[:, 0]
    limit = float(s[3])  # exceeded from year index 4 on (the stock grows)
    df = run_checks(history.scenario, res, [rc(id="cap", kind="at_most", metric="products_3star_plus", value=limit)])
    row = df.iloc[0]
    assert not row["passed"]
    first = int(res.years[np.nonzero(s > limit + 1e-9)[0][0]])
    assert row["first_violation_year"] == first
    assert row["worst"] == pytest.approx(s.max())
    assert str(first) in row["detail"]


def test_window_limits_the_years_checked(history):
    res = simulate(history.scenario, mode="expected")
    s = res.series("products_3star_plus")[:, 0]
    assert s[3] > s[2] and s[5] > s[4]  # the stock grows, so the windows below matter
    c = rc(id="early", kind="at_most", metric="products_3star_plus", value=float(s[2]), to_year=int(res.years[2]))
    assert run_checks(history.scenario, res, [c])["passed"].iloc[0]
    c2 = rc(id="late", kind="at_least", metric="products_3star_plus", value=float(s[5]), from_year=int(res.years[5]))
    assert run_checks(history.scenario, res, [c2])["passed"].iloc[0]
    c3 = rc(id="late2", kind="at_least", metric="products_3star_plus", value=float(s[5]) + 1,
            from_year=int(res.years[5]))
    assert run_checks(history.scenario, res, [c3])["first_violation_year"].iloc[0] == int(res.years[5])


def test_never_exceeds_other_metric_and_running_max(smoke):
    res = simulate(smoke.scenario, draws=30, seed=4)
    bad = rc(id="bad", kind="never_exceeds", metric="products_3star_plus", other="products_4star")
    good = rc(id="good", kind="never_exceeds", metric="products_national_5star",
              other="products_provincial_5star", other_ever=True)
    df = run_checks(smoke.scenario, res, [bad, good]).set_index("id")
    assert not df.loc["bad", "passed"] and df.loc["bad", "worst"] > 0
    assert df.loc["good", "passed"] and df.loc["good", "worst"] <= 0


def test_conditional_zero_budget_example(baseline):
    """The issue's example "with zero budget, no new products after 2 years" FAILS in this model:
    part of the inflow of entities and ideas does not need a budget (autonomous_share)."""
    assert baseline.scenario.assumptions.autonomous_share > 0
    c = rc(id="zero_budget_stalls", under={"budget": 0, "from_year": 2027}, kind="at_most",
           metric="new_products_3star_plus", value=0, from_year=2029)
    res = simulate(baseline.scenario, mode="expected")
    row = run_checks(baseline.scenario, res, [c]).iloc[0]
    assert not row["passed"] and row["first_violation_year"] == 2029 and row["worst"] > 1
    # the same check without the test input is evaluated on the run itself: also more products
    plain = rc(id="plain", kind="at_most", metric="new_products_3star_plus", value=0, from_year=2029)
    assert run_checks(baseline.scenario, res, [plain]).iloc[0]["worst"] > row["worst"]


@pytest.mark.parametrize("which, year", [("baseline", 2030), ("history", 2023)])
def test_apply_input_keeps_earlier_schedule_and_fixes_assumptions(which, year, request):
    baseline = request.getfixturevalue(which)
    sc = apply_input(baseline.scenario, CheckInput(budget=0, from_year=year,
                                                   assumptions={"central_pass_rate": 0.1}))
    for line in BUDGET_LINES:
        sched = getattr(sc.levers, line)
        assert sched[year] == 0 and max(sched) == year
        assert {y: v for y, v in sched.items() if y < year} == \
               {y: v for y, v in getattr(baseline.scenario.levers, line).items() if y < year}
    assert sc.assumptions.central_pass_rate == 0.1
    assert "central_pass_rate" not in sc.distributions()
    assert not any(getattr(e, "assumption", None) == "central_pass_rate" for e in sc.events)
    assert sc.checks == []


def test_conditional_input_is_not_resampled_in_monte_carlo(smoke):
    c = rc(id="nosub", under={"assumptions": {"submission_rate": 0}}, kind="at_most",
           metric="new_products_3star_plus", value=0)
    res = simulate(smoke.scenario, draws=40, seed=2)
    assert run_checks(smoke.scenario, res, [c])["passed"].iloc[0]


@pytest.mark.parametrize("bad, words", [
    ({"metric": "products_3star_pluss"}, "did you mean 'products_3star_plus'"),
    ({"other": "products_4starr", "kind": "never_exceeds", "value": None}, "did you mean 'products_4star'"),
    ({"kind": "never_exceeds"}, "expected 'other'"),
    ({"value": None}, "expected 'value'"),
    ({"value": float("nan")}, "finite"),
    ({"under": {"assumptions": {"submision_rate": 0}}}, "did you mean 'submission_rate'"),
    ({"under": {"assumptions": {"submission_rate": 2}}}, "submission_rate in [0.0, 1.0]"),
    ({"under": {"budget": -1}}, "greater than or equal to 0"),
    ({"under": {}}, "expected 'budget' and/or 'assumptions'"),
    ({"from_year": 2030, "to_year": 2020}, "to_year >= from_year"),
    ({"id": "Bad Id"}, "pattern"),
    ({"kind": "sometimes"}, "never_exceeds"),
])
def test_check_validation_messages(tmp_path, bad, words):
    c = {"id": "c1", "kind": "at_most", "metric": "products_3star_plus", "value": 1, **bad}
    c = {k: v for k, v in c.items() if v is not None}
    f = tmp_path / "s.yaml"
    f.write_text(yaml.safe_dump({"name": "s", "targets": [], "checks": [c]}), encoding="utf-8")
    with pytest.raises(ScenarioError) as ei:
        load(f)
    assert str(f) in str(ei.value) and "checks.0" in str(ei.value)
    assert words in str(ei.value)


@pytest.mark.parametrize("extra, field, words", [
    ({"scope": "atlantis"}, "checks.0.scope", "area id"),
    ({"under": {"budget": 0, "from_year": 2050}}, "checks.0.under.from_year", "2019..2035"),
])
def test_check_semantic_validation(tmp_path, extra, field, words):
    c = {"id": "c1", "kind": "at_most", "metric": "products_3star_plus", "value": 1, **extra}
    f = tmp_path / "s.yaml"
    f.write_text(yaml.safe_dump({"name": "s", "targets": [], "checks": [c, {**c, "id": "c2"}]}), encoding="utf-8")
    with pytest.raises(ScenarioError) as ei:
        load(f)
    assert ei.value.field == field and words in ei.value.message


def test_duplicate_check_ids(tmp_path):
    c = {"id": "c1", "kind": "at_most", "metric": "products_3star_plus", "value": 1}
    f = tmp_path / "s.yaml"
    f.write_text(yaml.safe_dump({"name": "s", "targets": [], "checks": [c, c]}), encoding="utf-8")
    with pytest.raises(ScenarioError, match="checks.1.id: expected a unique check id"):
        load(f)


def test_checks_html_escapes_and_translates(smoke):
    res = simulate(smoke.scenario, mode="expected")
    c = rc(id="x", label_en="<script>alert(1)</script>", label_vi="<b>Việt</b>", kind="at_most",
           metric="products_3star_plus", value=1)
    df = run_checks(smoke.scenario, res, [c])
    en, vi = checks_html(df, "en"), checks_html(df, "vi")
    assert "<script>" not in en and "&lt;script&gt;alert(1)&lt;/script&gt;" in en
    assert "&lt;b&gt;Việt&lt;/b&gt;" in vi and "<b>" not in vi
    assert "Failed" in en and "Không đạt" in vi and "0 of 1 checks passed" in en
    assert "The scenario has no reality checks" in checks_html(df.iloc[0:0], "en")


def test_evaluation_pass_rate_nan_years_are_skipped(history):
    res = simulate(history.scenario, mode="expected")
    assert np.isnan(res.value("evaluation_pass_rate", "province", year=2019)[0])  # no round, no submissions
    row = evaluate(rc(id="p", kind="at_least", metric="evaluation_pass_rate", value=0.5), res)
    assert row["passed"], row["detail"]  # 2019 has no submissions (NaN): not a violation
    row = evaluate(rc(id="p", kind="at_least", metric="evaluation_pass_rate", value=0.999), res)
    assert not row["passed"] and row["first_violation_year"] >= 2020


def test_check_command_exit_codes(tmp_path, capsys):
    n = len(load(PARAMS / "smoke.yaml").scenario.checks)
    assert n >= 5
    assert main(["check", str(PARAMS / "smoke.yaml"), "--mode", "expected"]) == 0
    out = capsys.readouterr().out
    assert f"{n} of {n} checks passed" in out and "FAIL" not in out
    f = PARAMS / "smoke.yaml"
    bad = tmp_path / "failing.yaml"
    bad.write_text(f"extends: {f.name}\nname: failing\nchecks:\n"
                   "  - {id: tiny, kind: at_most, metric: products_3star_plus, value: 5}\n", encoding="utf-8")
    from shutil import copytree

    def copy_params(dst):  # a copy of params/ (not from conftest: tests/browser has one too)
        copytree(__import__('pathlib').Path(__file__).resolve().parents[1] / 'params', dst, dirs_exist_ok=True)
        return dst

    copy_params(tmp_path)  # baseline.yaml and the files it names (e.g. its posterior)
    (tmp_path / "smoke.yaml").write_text(f.read_text(encoding="utf-8"), encoding="utf-8")
    assert main(["check", str(bad), "--draws", "10", "--seed", "1"]) == 1
    out = capsys.readouterr().out
    assert "FAIL  tiny" in out and "0 of 1 checks passed" in out
    assert main(["check", str(tmp_path / "nope.yaml")]) == 2
