"""Calibration: recovers known values from model-generated data, improves the real fit, backtest coverage."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ocop_sim import calibrate as cal
from ocop_sim import load, simulate
from ocop_sim.data import load_actuals_csv

#: Tolerance of the recovery test: relative error of each fitted value.
RECOVERY_RTOL = 0.02


def synthetic(scenario, actuals):
    """The packaged observations' shape, with values from the model's expected run."""
    r = simulate(scenario, mode="expected")
    years = r.years
    return [{**o, "value": float(cal.model_value(r, o)[0])} for o in cal.select(actuals, None, years)]


def test_fit_recovers_known_values_from_model_generated_data(smoke):
    truth = {"score_base": 57.5, "submission_rate": 0.2, "base_new_entities": 14.0}
    sc = smoke.scenario
    obs = synthetic(cal.with_assumptions(sc, truth), load_actuals_csv())
    fr = cal.fit(sc, list(truth), obs)
    for k, v in truth.items():
        assert fr.values[k] == pytest.approx(v, rel=RECOVERY_RTOL), k
        assert fr.start[k] != pytest.approx(v, rel=RECOVERY_RTOL)  # it had to move
    assert fr.cost < 1e-6 < fr.cost_start
    assert not fr.at_bound


def test_fit_improves_real_dong_nai_series_over_defaults(baseline):
    fr = cal.fit(baseline.scenario)
    assert fr.cost < 0.9 * fr.cost_start
    q = fr.quality
    # scale-weighted error over all series drops by > 10 %, and so does the mean MAPE of the series
    assert q["mape"].mean() < 0.9 * q["mape_start"].mean()
    assert fr.rmse_weighted == pytest.approx(np.sqrt(2 * fr.cost / len(fr.observations)))


def test_identification_flags_an_unidentified_parameter(smoke):
    # renewals happen 36 months after certification: data up to 2021 cannot see renewal_base_prob
    fr = cal.fit(smoke.scenario, ["score_base", "renewal_base_prob"], until=2021)
    assert "renewal_base_prob" in fr.poorly_identified
    assert "score_base" not in fr.poorly_identified


def test_coverage_hand_made():
    frame = pd.DataFrame({"inside": [True, False, True, True]})
    assert cal.coverage(frame) == 0.75
    assert np.isnan(cal.coverage(pd.DataFrame({"inside": []})))


def test_backtest_scores_held_back_actuals(smoke):
    sc = smoke.scenario
    past = [o for o in synthetic(sc, load_actuals_csv()) if o["year"] <= 2021]
    r = simulate(sc, draws=40, seed=3)
    base = {"scope": "old_dong_nai", "metric": "products_3star_plus", "kind": "stock", "value_kind": "exact",
            "source_url": "", "note": ""}
    med = float(np.median(r.value_at("products_3star_plus", 2025.0, "old_dong_nai")))
    held = [{**base, "year": 2024, "at": 2025.0, "value": med},          # at the median: inside
            {**base, "year": 2023, "at": 2024.0, "value": 1e5}]          # absurd: outside
    fr, bt = cal.backtest(sc, 2021, ["score_base"], past + held, draws=40, seed=3)
    assert fr.values["score_base"] == pytest.approx(sc.assumptions.score_base, rel=1e-4)  # synthetic: no move
    assert len(bt) == 2 and list(bt["inside"]) == [True, False] or list(bt["inside"]) == [False, True]
    by = bt.set_index("actual")
    assert bool(by.loc[med, "inside"]) and not bool(by.loc[1e5, "inside"])
    assert by.loc[med, "median"] == pytest.approx(med)
    assert by.loc[1e5, "error"] == pytest.approx(by.loc[1e5, "median"] - 1e5)
    assert cal.coverage(bt) == 0.5


def test_write_fitted_extends_input_and_loads(smoke, tmp_path):
    fr = cal.fit(smoke.scenario, ["score_base"], until=2022)
    out = tmp_path / "smoke_fit.yaml"
    cal.write_fitted(smoke, fr, out)
    import yaml

    doc = yaml.safe_load(out.read_text(encoding="utf-8"))
    assert set(doc) == {"extends", "name", "title", "description", "assumptions"}
    assert doc["assumptions"] == {"score_base": pytest.approx(fr.values["score_base"], rel=1e-5)}
    assert "RMSE" in doc["description"]["en"] and "<= 2022" in doc["description"]["en"]
    ld = load(out, allow_outside=True)
    assert ld.scenario.assumptions.score_base == pytest.approx(fr.values["score_base"], rel=1e-5)
    assert ld.scenario.horizon == smoke.scenario.horizon
