"""History is data, scenarios start from now (issue 13): outlooks start from the reported stocks,
cannot rewrite the past, and past targets are evaluated against reports, not simulated."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ocop_sim import load, simulate
from ocop_sim.cli import main
from ocop_sim.packs import load_pack

PARAMS = Path(__file__).resolve().parents[1] / "params"

OUTLOOKS = [p for p in sorted(PARAMS.glob("*.yaml")) if load(p).scenario.kind == "outlook"]


@pytest.fixture(scope="module")
def baseline():
    return load(PARAMS / "baseline.yaml")


def test_every_bundled_scenario_is_reviewed_history_or_outlook():
    kinds = {p.name: load(p).scenario.kind for p in sorted(PARAMS.glob("*.yaml"))}
    assert kinds["history.yaml"] == "history" and kinds["baseline.yaml"] == "outlook"
    for p in OUTLOOKS:  # an outlook starts at its pack's start and sets nothing before it
        sc = load(p).scenario
        assert sc.horizon.start == load_pack(sc.pack).start == 2026
        for lever, sched in sc.levers.model_dump().items():
            assert all(y == 2000 or y >= 2026 for y in sched), (p.name, lever)


@pytest.mark.parametrize("mode", ["expected", "monte_carlo"])
def test_outlook_starts_exactly_from_the_reported_end_2025_stocks(baseline, mode):
    r = simulate(baseline.scenario, mode=mode, draws=200, seed=3)
    start = {m: r.start_value(m) for m in ("products_3star", "products_4star", "products_national_5star",
                                            "products_3star_plus", "entities")}
    for m, v in {"products_3star": 360, "products_4star": 89, "products_national_5star": 11,
                 "products_3star_plus": 460, "entities": 286}.items():
        np.testing.assert_allclose(start[m], v, rtol=1e-12, err_msg=m)  # every draw
    # what the reports do not split is spread, with uncertainty in Monte Carlo
    by_area = r.arrays.initial["certified"][0].sum(axis=(2, 3))  # D × A
    if mode == "monte_carlo":
        assert by_area.std(axis=0).max() > 0
    np.testing.assert_allclose(by_area.sum(axis=1), 460)


def test_cli_run_prints_the_starting_state(baseline, capsys):
    assert main(["run", str(baseline.path), "--mode", "expected"]) == 0
    out = capsys.readouterr().out
    assert "31/12/2025" in out and "360" in out and "89" in out and "11" in out and "286" in out


def test_an_outlook_cannot_change_the_past(tmp_path, capsys):
    f = tmp_path / "rewrite.yaml"
    f.write_text("extends: %s\nname: rewrite\nlevers:\n  training_bn_vnd: {2020: 5.0, 2026: 5.0}\n"
                 % (PARAMS / "baseline.yaml").as_posix(), encoding="utf-8")
    assert main(["validate", str(f), "--allow-outside"]) == 2
    err = capsys.readouterr().err
    assert "levers.training_bn_vnd" in err and "2026" in err and "history" in err and err.count("\n") == 1
    g = tmp_path / "event.yaml"
    g.write_text("extends: %s\nname: ev\nevents:\n  - {type: policy_change, year: 2024, assumption: submission_rate, "
                 "multiply: 2}\n" % (PARAMS / "baseline.yaml").as_posix(), encoding="utf-8")
    assert main(["validate", str(g), "--allow-outside"]) == 2
    assert "events.0.year" in capsys.readouterr().err


def test_a_counterfactual_must_say_so_and_is_labelled(tmp_path, capsys):
    f = tmp_path / "cf.yaml"
    f.write_text("extends: %s\nname: cf\ncounterfactual: true\n" % (PARAMS / "baseline.yaml").as_posix(),
                 encoding="utf-8")
    assert main(["validate", str(f), "--allow-outside"]) == 2  # only a history can be a counterfactual
    assert "counterfactual" in capsys.readouterr().err
    from ocop_sim.report import header_html

    ld = load(PARAMS / "sweep_budget.yaml")
    assert ld.scenario.counterfactual
    html = header_html(ld, None, "en")
    assert "Counterfactual" in html


def test_training_share_from_2026_cannot_change_the_2020_target(baseline):
    ld = load(PARAMS / "training_first.yaml")
    r = simulate(ld.scenario, mode="expected")
    tab = r.attainment().set_index("id")
    assert tab.loc["t2020_training_officials", "phase"] == "evaluation"  # not simulated at all
    assert np.isnan(tab.loc["t2020_training_officials", "probability"])


def test_past_targets_are_evaluated_against_reports_not_simulated(baseline):
    r = simulate(baseline.scenario, draws=200, seed=1)
    tab = r.attainment().set_index("id")
    n5 = tab.loc["t2025_national_5star"]
    assert n5["phase"] == "evaluation" and n5["status"] == "met_reported" and n5["reported"] == 8
    assert "nongnghiepmoitruong" in n5["reported_source"] or "thongtin" in n5["reported_source"]
    assert np.isnan(n5["probability"])
    assert tab.loc["t2025_products_3star_plus", "reported"] == 298
    # no report: said so, not guessed
    assert tab.loc["t2020_training_officials", "status"] == "no_report"
    # every past target is evaluation; none carries a probability
    past = tab[tab["phase"] == "evaluation"]
    assert len(past) == sum(1 for t in tab.index if t.startswith("t20"))
    assert past["probability"].isna().all()
    # the outlook keeps probabilities
    fut = tab[tab["phase"] == "outlook"]
    assert len(fut) and fut.loc[fut["status"].isin(["met", "at_risk", "missed"]), "probability"].notna().all()


def test_counts_fixed_by_the_plan_are_shown_as_planned():
    r = simulate(load(PARAMS / "history.yaml").scenario.model_copy(update={"kind": "outlook"}), mode="expected")
    # a synthetic case: a history replay read as if its targets were ahead
    from ocop_sim.targets import PLANNED_METRICS, attainment

    tab = attainment(r)
    planned = tab[tab["metric"].isin(PLANNED_METRICS)]
    assert len(planned) and (planned["status"] == "planned").all() and planned["probability"].isna().all()


def test_first_projected_year_continues_the_reported_series(baseline):
    """No jump at the start: the first projected year moves from the reported stock by no more than
    the series moved in a reported year (products at 3★+: +10–50 % a year in old Đồng Nai 2022–25,
    valid counts a little less; entities: +67 % in 2022, +48 % a year in 2023–24)."""
    r = simulate(baseline.scenario, mode="expected")
    for m, tol in (("products_3star_plus", 0.15), ("entities", 0.48)):
        start = float(r.start_value(m)[0])
        first = float(r.value(m, year=2026)[0])
        assert abs(first / start - 1) <= tol, (m, start, first)


def test_a_counterfactual_simulates_its_past_targets():
    ld = load(PARAMS / "sweep_budget.yaml")
    tab = simulate(ld.scenario, mode="expected").attainment().set_index("id")
    assert (tab["phase"] == "outlook").all()  # another past: its targets are not the reports'
    assert tab.loc["t2025_products_3star_plus", "status"] in ("met", "at_risk", "missed")
