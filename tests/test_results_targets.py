import numpy as np
import pytest

from ocop_sim import simulate
from ocop_sim.results import GLOSSARY, METRICS
from ocop_sim.targets import COMPARISONS, attainment, load_registry, status


def test_every_metric_has_a_glossary_entry_and_a_label():
    from ocop_sim.i18n import has

    for m in METRICS:
        assert m in GLOSSARY and GLOSSARY[m]["unit"]
        assert has(m), m


def test_status_words():
    assert status(0.95) == "met" and status(0.8) == "met"
    assert status(0.5) == "at_risk" and status(0.2) == "at_risk"
    assert status(0.1) == "missed"


def test_comparisons_tolerate_float_error_only():
    assert COMPARISONS[">="](np.array([0.9999999999]), 1.0)[0]
    assert not COMPARISONS[">="](np.array([0.999]), 1.0)[0]


def test_registry_of_1698_has_every_numeric_target(root):
    reg = load_registry(root / "params" / "targets" / "decision_1698.yaml")
    ids = {t.id for t in reg.targets}
    assert len(reg.targets) == 18
    values = {t.id: t.value for t in reg.targets}
    assert values["t2020_products_3star_plus"] == 12 and values["t2025_products_3star_plus"] == 100
    assert values["t2025_provincial_5star"] == 15 and values["t2025_national_5star"] == 8
    assert values["t2025_new_products"] == 60 and values["t2025_new_entities"] == 50
    assert values["t2025_value_chain_projects"] == 20 and values["t2025_display_points"] == 10
    assert "t2020_display_centre" in ids
    assert all(t.label_vi and t.label_en and t.source for t in reg.targets)
    assert {n.id for n in reg.not_modelled} >= {"q2020_consolidate_entities", "q2035_brand"}


def test_planners_goals_are_marked_as_such(root):
    reg = load_registry(root / "params" / "targets" / "planners_2035.yaml")
    assert reg.registry.kind == "planners_goal"
    assert all(t.end_year == 2035 for t in reg.targets)


def test_attainment_probability_is_share_of_draws_meeting_target(baseline, root):
    r = simulate(baseline.scenario, draws=400, seed=2)
    table = r.attainment().set_index("id")
    reg = {t.id: t for t in load_registry(root / "params" / "targets" / "planners_2035.yaml").targets}
    for tid, metric in (("g2035_national_5star", "products_national_5star"), ("g2035_entities", "entities")):
        row, t = table.loc[tid], reg[tid]
        assert row["phase"] == "outlook"
        v = r.value(metric, t.scope, year=t.year)
        assert row["probability"] == pytest.approx(float((v >= t.value).mean()))
        assert row["median"] == pytest.approx(float(np.median(v)))
        assert row["p10"] <= row["median"] <= row["p90"]
        assert row["status"] == status(row["probability"])
    assert 0 < table.loc["g2035_national_5star", "probability"] < 1  # a probability, not a certainty


def test_past_targets_of_an_outlook_are_read_from_the_reports(baseline):
    from ocop_sim import data

    r = simulate(baseline.scenario, mode="expected")
    table = r.attainment().set_index("id")
    row = table.loc["t2025_national_5star"]  # >= 8 national 5★ by 2025 (old Đồng Nai)
    assert row["phase"] == "evaluation" and np.isnan(row["probability"]) and np.isnan(row["median"])
    act = data.actuals(baseline.scenario.pack)
    reported = act[(act.metric == "products_national_5star") & (act.scope == "old_dong_nai")]["value"]
    assert row["reported"] in set(reported)
    assert row["status"] == ("met_reported" if row["reported"] >= 8 else "missed_reported")
    assert row["reported_source"].startswith("http") and row["reported_date"]
    # project counts are planned by the levers: no probability, no reported figure needed
    planned = table[table["metric"].isin(["display_points", "startup_projects", "value_chain_projects"])]
    assert len(planned) and (planned["status"].isin(["planned", "no_report", "met_reported", "missed_reported"])).all()
    assert planned["probability"].isna().all()


@pytest.mark.parametrize("which, period", [("history_expected", (2021, 2025)), ("baseline_expected", (2027, 2035))])
def test_flow_targets_sum_the_period(which, period, request):
    r = request.getfixturevalue(which)
    per_year = r.series("new_entities", "old_dong_nai")[:, 0]
    i, j = r.year_index(period[0]), r.year_index(period[1])
    assert per_year[i:j + 1].sum() > 0
    assert float(r.value("new_entities", "old_dong_nai", period=period)[0]) == pytest.approx(per_year[i:j + 1].sum())


def test_targets_beyond_the_horizon_are_marked(smoke):
    r = simulate(smoke.scenario, mode="expected")
    from ocop_sim.targets import default_params_dir

    t = attainment(r, load_registry(default_params_dir() / "targets" / "planners_2035.yaml"))
    assert set(t["status"]) == {"outside_horizon"}


def test_summary_and_frames_are_tidy(smoke):
    r = simulate(smoke.scenario, draws=20, seed=1)
    s = r.summary(metrics=["products_3star_plus", "entities"])
    assert set(s.columns) >= {"year", "metric", "scope", "unit", "mean", "p10", "median", "p90"}
    assert (s["p10"] <= s["median"] + 1e-9).all() and (s["median"] <= s["p90"] + 1e-9).all()
    f = r.frame("median")
    assert len(f) == len(r.years) * 12 * 6 * 4
    full = r.frame(draws=True)
    assert len(full) == len(r.years) * 20 * 12 * 6 * 4
    # the tidy frame sums back to the metric
    tot = full[full.year == 2027].groupby("draw")["products"].sum().to_numpy()
    np.testing.assert_allclose(tot, r.value("products_3star_plus", year=2027))


def test_manifest_and_csv_export(tmp_path, smoke):
    import json

    r = simulate(smoke.scenario, draws=10, seed=4)
    paths = r.to_csv(tmp_path)
    names = sorted(p.name for p in paths)
    assert names == ["smoke_manifest.json", "smoke_products_by_area_group_level.csv", "smoke_summary.csv",
                     "smoke_targets.csv"]
    m = json.loads((tmp_path / "smoke_manifest.json").read_text(encoding="utf-8"))
    assert m["seed"] == 4 and m["draws"] == 10 and len(m["scenario_hash"]) == 64
    assert m["resolved_scenario"]["name"] == "smoke"
    assert not list(tmp_path.glob("*.part"))
