"""Sensitivity: Sobol wrapper on Ishigami, OAT tornado consistent with re-simulation, plots."""
from __future__ import annotations

import math

import numpy as np
import pytest

from ocop_sim import sensitivity as sens
from ocop_sim import simulate
from ocop_sim.config import ASSUMPTION_NAMES


def test_sobol_wrapper_reproduces_ishigami_indices():
    prob = {"num_vars": 3, "names": ["x1", "x2", "x3"], "bounds": [[-math.pi, math.pi]] * 3}
    df = sens.sobol_indices(sens.ishigami, prob, n=4096, seed=11)
    assert list(df["name"]) == ["x1", "x2", "x3"]
    # each estimate within its own 95 % confidence half-width (SALib's bootstrap) of the analytic
    # value: the tolerance is the estimator's claim, not a padded constant (v0.1: ±0.04)
    for k in ("S1", "ST"):
        err = np.abs(df[k].to_numpy() - np.asarray(sens.ISHIGAMI_INDICES[k]))
        assert (err <= df[f"{k}_conf"].to_numpy()).all(), (k, err, df[f"{k}_conf"].to_numpy())
        assert (df[f"{k}_conf"] < 0.05).all()  # and that interval is narrow at n = 4096
    # analytic values themselves (Saltelli et al. 2008): S1 = .3139, .4424, 0; ST = .5576, .4424, .2437
    np.testing.assert_allclose(sens.ISHIGAMI_INDICES["S1"], [0.3139, 0.4424, 0.0], atol=1e-4)
    np.testing.assert_allclose(sens.ISHIGAMI_INDICES["ST"], [0.5576, 0.4424, 0.2437], atol=1e-4)
    assert (df["S1_conf"] > 0).all() and (df["ST_conf"] > 0).all()


def test_morris_recovers_the_slopes_of_a_linear_function():
    """Morris on ``y = 3 x1 − 2 x2 + 0 x3`` over [0, 1]³: every elementary effect of x_i is its
    slope exactly, so mu* = |slope| (to rounding) and sigma = 0 — an oracle independent of the code."""
    prob = {"num_vars": 3, "names": ["x1", "x2", "x3"], "bounds": [[0.0, 1.0]] * 3}
    df = sens.morris_indices(lambda X: 3.0 * X[:, 0] - 2.0 * X[:, 1] + 0.0 * X[:, 2], prob, trajectories=10, seed=3)
    np.testing.assert_allclose(df["mu_star"], [3.0, 2.0, 0.0], atol=1e-9)
    np.testing.assert_allclose(df["sigma"], [0.0, 0.0, 0.0], atol=1e-9)


@pytest.fixture(scope="module")
def torn(smoke):
    return sens.tornado(smoke.scenario, "products_3star_plus", 2028, "old_dong_nai")


def test_tornado_covers_every_factor_sorted_by_swing(torn):
    names = set(torn["name"])
    assert set(sens.LEVER_NAMES) <= names
    assert len(names & set(ASSUMPTION_NAMES)) >= len(ASSUMPTION_NAMES) - 3  # zero-valued ones have no range
    assert (np.diff(torn["swing"].to_numpy()) <= 1e-12).all()
    assert np.allclose(torn["swing"], (torn["value_high"] - torn["value_low"]).abs())


def test_tornado_values_match_resimulation(smoke, torn):
    sc = smoke.scenario
    for _, row in torn.head(3).iterrows():
        f = sens.Factor(row["name"], row["kind"], row["low"], row["high"], row["base"])
        r = simulate(sens.apply_factor(sc, f, row["high"]), mode="expected")
        assert float(r.value("products_3star_plus", "old_dong_nai", year=2028)[0]) == pytest.approx(row["value_high"])
    lev = torn[torn["name"] == "product_development_bn_vnd"].iloc[0]
    assert (lev["low"], lev["high"]) == (0.5, 1.5)
    assert lev["value_high"] > lev["value_base"] > lev["value_low"]  # more development money, more products


def test_scale_lever_from_year_keeps_the_past(smoke):
    sc = smoke.scenario
    new = sens.scale_lever(sc, "product_development_bn_vnd", 2.0, from_year=2027)
    old = sc.levers.product_development_bn_vnd
    sched = new.levers.product_development_bn_vnd
    before = {k: v for k, v in old.items() if k < 2027}
    assert before and {k: v for k, v in sched.items() if k < 2027} == before
    from ocop_sim.config import schedule_value

    assert schedule_value(sched, 2027) == pytest.approx(2 * schedule_value(old, 2027))
    assert schedule_value(sched, 2026) == schedule_value(old, 2026)


def test_scale_share_of_officials_schedule_clipped_to_one(smoke):
    from ocop_sim.config import schedule_value

    sc = smoke.scenario
    old = sc.levers.training_share_officials
    assert isinstance(old, dict)
    new = sens.scale_lever(sc, "training_share_officials", 1.5, from_year=2027).levers.training_share_officials
    assert {k: v for k, v in new.items() if k < 2027} == {k: v for k, v in old.items() if k < 2027}
    assert schedule_value(new, 2027) == pytest.approx(min(1.0, 1.5 * schedule_value(old, 2027)))
    big = sens.scale_lever(sc, "training_share_officials", 50.0).levers.training_share_officials
    assert set(big) == set(old) and all(v == 1.0 for v in big.values())
    # the scaled scenario runs, and more officials among trainees raises their coverage
    lo = simulate(sc, mode="expected").value("coverage_officials", "province", year=2028)[0]
    hi = simulate(sens.scale_lever(sc, "training_share_officials", 2.0), mode="expected")
    assert hi.value("coverage_officials", "province", year=2028)[0] >= lo


def test_unknown_metric_and_year_rejected(smoke):
    from ocop_sim.scenarios import ScenarioError

    with pytest.raises(ScenarioError, match="metric"):
        sens.tornado(smoke.scenario, "nope", 2028)
    h = smoke.scenario.horizon
    with pytest.raises(ScenarioError, match=f"{h.start}..{h.end}"):
        sens.tornado(smoke.scenario, "products_3star_plus", 2040)


def test_morris_per_year(smoke):
    df = sens.global_indices(smoke.scenario, "products_3star_plus", [2026, 2028], "morris", n=4, top=3)
    assert set(df["year"]) == {2026, 2028} and len(df) == 6
    assert (df["mu_star"] >= 0).all()


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_tornado_figure_labels(torn, lang):
    import matplotlib.pyplot as plt

    from ocop_sim import plots
    from ocop_sim.i18n import t

    ax = plots.tornado_figure(torn, lang, top=5)
    assert ax.get_title() == t("tornado_title", lang)
    assert len(ax.patches) == 10
    labels = [x.get_text() for x in ax.get_yticklabels()]
    assert len(labels) == 5 and labels[-1] == plots.factor_label(torn["name"].iloc[0], lang)
    plt.close("all")


def test_batched_tornados_equal_one_run_per_factor(smoke):
    """tornados() runs the assumption factors as one vectorised batch: same numbers as one
    expected run per factor and value."""
    from ocop_sim import sensitivity as S
    from ocop_sim.simulate import effective_scenario

    sc = smoke.scenario
    tabs = S.tornados(sc, "products_3star_plus", [2027, 2028])
    sc = effective_scenario(sc)  # the factors vary around the values the run uses (posterior medians)
    for y in (2027, 2028):
        df = tabs[y].set_index("name")
        for f in S.factors(sc):
            vl = S._value(S.apply_factor(sc, f, f.low), "products_3star_plus", "province", [y])[0]
            vh = S._value(S.apply_factor(sc, f, f.high), "products_3star_plus", "province", [y])[0]
            assert df.loc[f.name, "value_low"] == pytest.approx(vl, abs=1e-8), f.name
            assert df.loc[f.name, "value_high"] == pytest.approx(vh, abs=1e-8), f.name


def test_eval_rows_batch_equals_one_run_per_row(smoke):
    from ocop_sim import sensitivity as S

    sc = smoke.scenario
    fs = [f for f in S.factors(sc) if f.name in ("threshold_3star", "threshold_4star", "submission_rate",
                                                 "renewal_base_prob")]
    rng = np.random.default_rng(3)
    X = np.column_stack([rng.uniform(f.low, f.high, 6) for f in fs])
    X[0, 0], X[0, 1] = 69.0, 60.0  # 3★ above 4★: nudged into order exactly as set_assumption does
    got = S.eval_rows(sc, fs, "products_3star_plus", "province", [2027, 2028], X)
    for i, x in enumerate(X):
        one = sc
        for f, v in zip(fs, x):
            one = S.apply_factor(one, f, float(v))
        np.testing.assert_allclose(got[i], S._value(one, "products_3star_plus", "province", [2027, 2028]),
                                   rtol=1e-10)


def test_sobol_through_a_process_pool_equals_serial(smoke):
    from ocop_sim import sensitivity as S
    from ocop_sim.executors import LocalPoolExecutor

    sc = smoke.scenario
    kw = dict(method="sobol", n=8, top=None, seed=1,
              fs=[f for f in S.factors(sc) if f.name in ("submission_rate", "score_base", "training_bn_vnd")])
    serial = S.global_indices(sc, "products_3star_plus", [2028], **kw)
    with LocalPoolExecutor(2, overhead_s=0, min_chunk_s=0) as ex:  # maps the rows after the pilot
        pooled = S.global_indices(sc, "products_3star_plus", [2028], executor=ex, **kw)
        assert ex._pool is not None
    num = serial.select_dtypes("number").columns
    np.testing.assert_array_equal(serial[num].to_numpy(), pooled[num].to_numpy())
