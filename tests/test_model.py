"""Unit and property tests of the equations (ocop_sim.model) and the time loop."""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ocop_sim import model, simulate
from ocop_sim.config import ASSUMPTION_NAMES, BUDGET_LINES, GROUPS, assumption_meta
from ocop_sim.simulate import BLOCK, concat_runs, run_draws

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def test_logistic_star_probabilities_sum_to_one_and_move_with_the_mean():
    p_lo = model.star_probabilities(np.array(55.0), 6.0, 50, 70, 90)
    p_hi = model.star_probabilities(np.array(75.0), 6.0, 50, 70, 90)
    assert abs(sum(p_lo) - 1) < 1e-12 and abs(sum(p_hi) - 1) < 1e-12
    assert p_hi[0] < p_lo[0] and p_hi[2] > p_lo[2] and p_hi[3] > p_lo[3]
    # hand-computed: P(score < 50 | mean 55, scale 6) = 1 / (1 + e^(5/6))
    assert abs(p_lo[0] - 1 / (1 + np.exp(5 / 6))) < 1e-12


def test_saturating_response():
    assert model.saturating(np.array(0.0), 2.0) == 0
    assert model.saturating(np.array(2.0), 2.0) == 0.5
    assert model.saturating(np.array(-5.0), 2.0) == 0


def test_expected_sampler_gives_means_and_split_conserves():
    s = model.Sampler(None)
    n = np.array([10.0, 3.0])
    parts = s.split(n, [np.array(0.2), np.array(0.3), np.array(0.5)])
    np.testing.assert_allclose(parts[0], [2.0, 0.6])
    np.testing.assert_allclose(sum(parts), n)


def test_mc_split_conserves_integers():
    s = model.Sampler(np.random.default_rng(1))
    n = np.arange(50, dtype=float)
    parts = s.split(n, [np.full(50, 0.1), np.full(50, 0.6), np.full(50, 0.3)])
    np.testing.assert_array_equal(sum(parts), n)
    assert all((p >= 0).all() and (p == np.round(p)).all() for p in parts)


def test_allocate_integers_largest_remainder():
    np.testing.assert_array_equal(model.allocate_integers(10, np.array([1, 1, 1])), [4, 3, 3])
    assert model.allocate_integers(141, np.arange(18).reshape(6, 3) + 1.0).sum() == 141


def _perturbed(scenario, data):
    """A scenario with random assumption values within bounds and random budgets."""
    vals = {}
    for name in ("score_base", "submission_rate", "renewal_base_prob", "central_pass_rate", "entity_exit_rate",
                 "staff_turnover", "downgrade_prob", "retry_prob", "upgrade_attempt_rate"):
        m = assumption_meta(name)
        vals[name] = data.draw(st.floats(m["low"], m["high"], allow_nan=False), label=name)
    a = scenario.assumptions.model_copy(update=vals)
    start = scenario.horizon.start
    lv = {line: {start: data.draw(st.floats(0, 50), label=line)} for line in BUDGET_LINES}
    levers = scenario.levers.model_copy(update=lv)
    return scenario.model_copy(update={"assumptions": type(a).model_validate(a.model_dump()), "levers": levers})


def _merger_products(scenario, years) -> np.ndarray:
    """Products the merger events inside the horizon bring, by year of the run [products]."""
    from ocop_sim.simulate import scenario_events

    out = np.zeros(len(years))
    for e in scenario_events(scenario):
        if e.type == "merger" and e.year in list(years):
            out[list(years).index(e.year)] += e.products_3star + e.products_4star + e.products_p5 + e.products_n5
    return out


@pytest.mark.parametrize("which, merger", [("history", 141.0), ("smoke", 0.0)])
@SETTINGS
@given(data=st.data())
def test_no_negative_stocks_and_products_conserved(which, merger, request, data):
    """history: from an empty province, with the 2025 merger; smoke: an outlook from the reported
    end-2025 stocks, no merger."""
    sc = _perturbed(request.getfixturevalue(which).scenario, data)
    r = simulate(sc, draws=30, seed=data.draw(st.integers(0, 2**32), label="seed"))
    for k, v in r.arrays.stocks.items():
        assert (v >= 0).all(), k
    # conservation: change in certified = new + merger - lapses (expiry, downgraded 3★, exit)
    cert = r.arrays.stocks["certified"].sum(axis=(2, 3, 4)).astype(float)
    f = r.arrays.flows
    new = f["new_certified"].sum(axis=(2, 3, 4))
    out = f["lapsed_expiry"].sum(axis=2) + f["lapsed_exit"].sum(axis=2)  # kept by area only
    start = r.arrays.initial["certified"].sum(axis=(2, 3, 4)).astype(float)  # the run's initial state
    prev = np.vstack([start, cert[:-1]])
    merged = _merger_products(sc, r.years)
    assert merged.sum() == merger  # the merger is counted exactly when its event is in the horizon
    np.testing.assert_allclose(cert, prev + new - out + merged[:, None], atol=1e-3)


def test_step_conserves_products_exactly_in_expected_mode(baseline):
    from ocop_sim.simulate import _lever_values, initial_state, parameter_arrays

    sc = baseline.scenario
    P = parameter_arrays(sc, 1, None)
    st0 = initial_state(sc, 1, True)
    st0 = model.replace(st0, cert=np.random.default_rng(0).uniform(0, 3, st0.cert.shape))
    from ocop_sim import data

    geo = data.areas(sc.pack)
    gs = np.array([v["idea_share"] for v in data.groups(sc.pack).values()])
    st1, f = model.step(st0, 2027, _lever_values(sc, 2027), P, geo.weight, gs / gs.sum(), GROUPS.index("tourism"),
                        model.Sampler(None))
    lhs = st1.cert.sum()
    rhs = st0.cert.sum() + f["new_certified"].sum() - f["lapsed_expiry"].sum() - f["lapsed_exit"].sum()
    assert abs(lhs - rhs) < 1e-9
    # candidates: what enters equals what stays plus what leaves
    cand_rhs = st0.cand.sum() - f["submitted"].sum() + (f["failed"].sum() * P["retry_prob"][0]) \
        - f["dropout"].sum() + f["new_ideas"].sum()
    assert abs(st1.cand.sum() - cand_rhs) < 1e-9


def test_same_seed_same_numbers_and_different_seed_differs(smoke):
    a = simulate(smoke.scenario, draws=40, seed=7)
    b = simulate(smoke.scenario, draws=40, seed=7)
    c = simulate(smoke.scenario, draws=40, seed=8)
    for k in a.arrays.stocks:
        np.testing.assert_array_equal(a.arrays.stocks[k], b.arrays.stocks[k])
    assert not np.array_equal(a.arrays.stocks["certified"], c.arrays.stocks["certified"])


def test_results_do_not_depend_on_chunking(smoke):
    sc = smoke.scenario
    n = BLOCK * 2 + 37
    whole = run_draws(sc, 0, n, seed=3)
    parts = concat_runs([run_draws(sc, 0, BLOCK, 3), run_draws(sc, BLOCK, 2 * BLOCK, 3),
                         run_draws(sc, 2 * BLOCK, n, 3)])
    for k in whole.stocks:
        np.testing.assert_array_equal(whole.stocks[k], parts.stocks[k])
    for k in whole.params:
        np.testing.assert_array_equal(whole.params[k], parts.params[k])
    with pytest.raises(ValueError, match="multiple of"):
        run_draws(sc, 10, 20, 3)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(line=st.sampled_from(BUDGET_LINES), base=st.floats(0, 20), extra=st.floats(0.01, 20))
def test_more_budget_never_lowers_expected_new_products(smoke, line, base, extra):
    def new_products(amount):
        lv = smoke.scenario.levers.model_copy(update={line: {smoke.scenario.horizon.start: amount}})
        r = simulate(smoke.scenario.model_copy(update={"levers": lv}), mode="expected")
        return float(r.value("new_products_3star_plus", "province", period=(2026, 2028))[0])

    assert new_products(base + extra) >= new_products(base) - 1e-9


@pytest.fixture(scope="module")
def baseline_mc_fixed(baseline):
    """1500 Monte Carlo draws of the baseline with its assumptions fixed: only the flows are random."""
    return simulate(baseline.scenario, draws=1500, seed=11, sample_assumptions=False)


def _gap_in_standard_errors(mc, expected, metric, scope, year):
    v = mc.value(metric, scope, year=year)
    e = float(expected.value(metric, scope, year=year)[0])
    se = v.std(ddof=1) / np.sqrt(len(v))
    return (v.mean() - e) / se, v.mean(), e


def test_expected_mode_is_the_monte_carlo_mean_one_year_on(baseline_mc_fixed, baseline_expected):
    # From the same starting state each flow of expected mode is the mean of the sampled flow
    # (model.Sampler), so one year on the Monte Carlo mean is within 4 standard errors of it
    # (|z| > 4 has probability 6e-5 if the claim holds); no padding: the tolerance is the SE.
    for metric in ("products_3star_plus", "entities", "products_national_5star", "new_products_3star_plus"):
        for scope in ("province", "old_dong_nai"):
            z, mean, e = _gap_in_standard_errors(baseline_mc_fixed, baseline_expected, metric, scope, 2026)
            assert abs(z) <= 4, f"{metric}/{scope} 2026: Monte Carlo mean {mean:.2f}, expected {e:.2f} ({z:+.1f} SE)"


def test_expected_mode_is_a_mean_field_run_close_to_the_monte_carlo_mean(baseline_mc_fixed, baseline_expected):
    """Beyond the first year, expected mode is a mean-field run, not the Monte Carlo mean: the Bass
    imitation term (entities × pool left, two negatively correlated random stocks) and the
    min(Poisson, pool) of new ideas make the mean of the sampled runs fall below the run of the
    means (found by issue 18's oracle: -1.9 % = -20 SE for 3★+ by 2030).  This is the stated
    approximation (simulate's docstring; the explorer and the calibration use expected mode,
    reports quote Monte Carlo): the gap is at most 3 % over the horizon and, for the stocks of
    products and entities, has the sign the concave terms predict."""
    for metric, scope, year in [("products_3star_plus", "old_dong_nai", 2027), ("products_3star_plus", "province", 2030),
                                ("entities", "province", 2028), ("products_national_5star", "province", 2030)]:
        z, mean, e = _gap_in_standard_errors(baseline_mc_fixed, baseline_expected, metric, scope, year)
        gap = (mean - e) / e
        assert abs(gap) <= 0.03, f"{metric}/{scope} {year}: Monte Carlo mean {mean:.2f}, expected {e:.2f} ({gap:+.1%})"
        if metric != "products_national_5star":
            assert mean < e, f"{metric}/{scope} {year}: Monte Carlo mean {mean:.2f} above the mean-field {e:.2f}"


def test_uncertain_assumptions_are_sampled_within_bounds(baseline):
    sc = baseline.scenario.model_copy(update={"posterior": None})  # the schema's distributions alone
    r = simulate(sc, draws=600, seed=5)
    dists = sc.distributions()
    assert dists, "the baseline must carry uncertainty"
    for name in dists:
        v = r.arrays.params[name]
        m = assumption_meta(name)
        assert (v >= m["low"]).all() and (v <= m["high"]).all()
        assert v.std() > 0
    # the triangular submission-rate distribution has mean (low + mode + high) / 3
    d = dists["submission_rate"]
    assert abs(r.arrays.params["submission_rate"].mean() - (d.low + d.mode + d.high) / 3) < 0.005


@pytest.mark.parametrize("which", ["history", "smoke"])
def test_zero_budget_means_no_projects_and_fewer_products(which, request):
    sc = request.getfixturevalue(which).scenario
    h = sc.horizon
    lv = sc.levers.model_copy(update={k: {h.start: 0.0} for k in BUDGET_LINES})
    zero = simulate(sc.model_copy(update={"levers": lv}), mode="expected")
    base = simulate(sc, mode="expected")
    assert float(base.value("trainees", period=(h.start, h.end))[0]) > 0
    assert float(zero.value("value_chain_projects", period=(h.start, h.end))[0]) == 0
    assert float(zero.value("trainees", period=(h.start, h.end))[0]) == 0
    assert float(zero.value("coverage_leaders", year=h.end)[0]) < float(base.value("coverage_leaders", year=h.end)[0])
    assert float(zero.value("products_3star_plus", year=h.end)[0]) < float(base.value("products_3star_plus", year=h.end)[0])


def test_first_evaluation_year_gates_certification(history_expected):
    s = history_expected.series("products_3star_plus")
    assert s[0, 0] == 0  # 2019: the first round was in September 2020
    assert s[1, 0] > 0


def test_merger_adds_binh_phuoc_stocks_in_2025(history_expected):
    r = history_expected
    bp = r.series("products_3star_plus", "old_binh_phuoc")[:, 0]
    assert bp[r.year_index(2024)] == 0
    assert 120 < bp[r.year_index(2025)] < 170
    n5 = r.series("products_national_5star", "old_binh_phuoc")[:, 0]
    assert n5[r.year_index(2025)] >= 2.5


def test_simulate_variants_equals_one_run_per_variant(smoke):
    """Every assumption, moved down and up, in one vectorised batch equals its own expected run."""
    from ocop_sim.calibrate import with_assumptions
    from ocop_sim.config import ASSUMPTION_NAMES, assumption_meta
    from ocop_sim.simulate import simulate_variants

    sc = smoke.scenario
    metrics = ("products_3star_plus", "products_4star", "products_national_5star", "entities", "candidates",
               "coverage_leaders", "coverage_officials", "trainees", "new_products_3star_plus", "lapses", "renewals")
    for name in ASSUMPTION_NAMES:
        m, v0 = assumption_meta(name), float(getattr(sc.assumptions, name))
        vals = [min(max(x, m["low"]), m["high"]) for x in ((0.9 * v0, 1.1 * v0) if v0 else (0.1 * m["high"],) * 2)]
        if name.endswith("_year") or name.startswith("threshold_"):
            vals = [float(round(v0 - 1)), float(round(v0 + 1))]
        batch = simulate_variants(sc, {name: np.array(vals)})
        for i, v in enumerate(vals):
            one = simulate(with_assumptions(sc, {name: v}), mode="expected")
            for metric in metrics:
                np.testing.assert_allclose(batch.series(metric)[:, i], one.series(metric)[:, 0], rtol=1e-9,
                                           atol=1e-9, err_msg=f"{name}={v} {metric}")


def test_a_posterior_gives_the_draws_of_the_parameters_it_fitted(baseline):
    from ocop_sim.bayes import Posterior
    from ocop_sim.scenarios import params_file

    post = Posterior.load(str(params_file(baseline.scenario.posterior)))
    r = simulate(baseline.scenario, draws=2000, seed=5)
    j = post.names.index("submission_rate")
    mean, sd = post.samples[:, j].mean(), post.samples[:, j].std()
    # the mean of 2,000 resampled draws is within 4 standard errors of the posterior mean
    assert abs(r.arrays.params["submission_rate"].mean() - mean) < 4 * sd / np.sqrt(2000)
    # a value the scenario sets itself is not overruled by the posterior
    from ocop_sim.calibrate import with_assumptions

    r2 = simulate(with_assumptions(baseline.scenario, {"submission_rate": 0.5}), draws=200, seed=5)
    assert (r2.arrays.params["submission_rate"] == 0.5).all()
