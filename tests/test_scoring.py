"""Forecast scoring (ocop_sim.scoring): coverage, interval score, CRPS, PIT, reliability,
collapsing of repeated reports."""
from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from ocop_sim import scoring as sc


# ------------------------------------------------------------------ coverage

def test_coverage_of_calibrated_normal_forecast_is_nominal():
    rng = np.random.default_rng(20240501)
    n_obs, n_draws = 4000, 1000
    samples = rng.normal(0.0, 1.0, (n_obs, n_draws))
    actual = rng.normal(0.0, 1.0, n_obs)
    table = sc.coverage_table(samples, actual)
    assert set(table) == {"50", "80", "95"}
    for key, level in (("50", 0.5), ("80", 0.8), ("95", 0.95)):
        se = math.sqrt(level * (1 - level) / n_obs)
        assert abs(table[key] - level) < 3 * se, (key, table[key])


def test_coverage_of_overconfident_forecast_is_low():
    rng = np.random.default_rng(7)
    samples = rng.normal(0.0, 1.0, (4000, 1000))
    actual = rng.normal(0.0, 2.0, 4000)
    cov80 = sc.coverage_table(samples, actual)["80"]
    # P(|N(0, 4)| < 1.2816) = 2 Φ(0.6408) - 1 = 0.478
    assert cov80 < 0.55
    assert abs(cov80 - 0.478) < 0.03


def test_interval_coverage_closed_interval_and_key_format():
    samples = np.tile(np.arange(101.0), (3, 1))  # quantiles are exact: q(0.1) = 10, q(0.9) = 90
    hits = sc.interval_coverage(samples, np.array([10.0, 90.0, 90.5]), 0.8)
    assert hits.tolist() == [True, True, False]
    assert list(sc.coverage_table(samples, np.array([50.0, 1.0, 99.0]), levels=(0.975,))) == ["97.5"]
    with pytest.raises(ValueError):
        sc.interval_coverage(samples, np.zeros(3), 1.0)
    with pytest.raises(ValueError):
        sc.interval_coverage(samples, np.zeros(2), 0.5)


# ------------------------------------------------------------------ interval score

def test_interval_score_by_hand():
    # inside: width only
    assert sc.interval_score(2.0, 6.0, 4.0, 0.2) == pytest.approx(4.0)
    # below: 4 + (2/0.2) * (2 - 1) = 14
    assert sc.interval_score(2.0, 6.0, 1.0, 0.2) == pytest.approx(14.0)
    # above, 95 % interval: 4 + (2/0.05) * (6.5 - 6) = 24
    assert sc.interval_score(2.0, 6.0, 6.5, 0.05) == pytest.approx(24.0)
    vec = sc.interval_score([2, 2, 2], [6, 6, 6], [4, 1, 6.5], [0.2, 0.2, 0.05])
    np.testing.assert_allclose(vec, [4.0, 14.0, 24.0])
    with pytest.raises(ValueError):
        sc.interval_score(1.0, 0.0, 0.5, 0.1)


# ------------------------------------------------------------------ CRPS

def test_crps_normal_known_value_at_mean():
    expected = 2 * stats.norm.pdf(0) - 1 / math.sqrt(math.pi)
    assert expected == pytest.approx((math.sqrt(2) - 1) / math.sqrt(math.pi))
    assert sc.crps_normal(0.0, 1.0, 0.0) == pytest.approx(0.23369497725510913, rel=1e-12)
    assert sc.crps_normal(3.0, 2.5, 3.0) == pytest.approx(2.5 * 0.23369497725510913, rel=1e-12)


def test_crps_normal_matches_numerical_integral():
    from scipy.integrate import quad

    mu, sigma, y = 1.0, 2.0, 4.0
    f = stats.norm(mu, sigma).cdf
    num = quad(lambda x: f(x) ** 2, -40, y)[0] + quad(lambda x: (1 - f(x)) ** 2, y, 40)[0]
    assert sc.crps_normal(mu, sigma, y) == pytest.approx(num, rel=1e-7)


def test_crps_samples_matches_closed_form():
    rng = np.random.default_rng(11)
    m = 20_000
    mus = np.array([0.0, 5.0, -2.0, 10.0])
    sigmas = np.array([1.0, 0.5, 3.0, 2.0])
    ys = np.array([0.0, 6.0, 1.0, 4.0])
    samples = mus[:, None] + sigmas[:, None] * rng.standard_normal((4, m))
    got = sc.crps_samples(samples, ys)
    exact = sc.crps_normal(mus, sigmas, ys)
    # Monte Carlo error of the two U/V-statistics is O(sigma / sqrt(m)) ≈ 0.7 % of sigma here
    np.testing.assert_array_less(np.abs(got / exact - 1), 0.02)


def test_crps_samples_small_cases_by_hand():
    # one draw: CRPS = |x - y|
    assert sc.crps_samples(np.array([[3.0]]), np.array([1.0]))[0] == pytest.approx(2.0)
    # draws {0, 2}, y = 1: E|X - y| = 1, E|X - X'| = (0 + 2 + 2 + 0)/4 = 1 -> 0.5
    assert sc.crps_samples(np.array([0.0, 2.0]), 1.0)[0] == pytest.approx(0.5)
    # fair version: E|X - X'| over distinct pairs = 2 -> 0
    assert sc.crps_samples(np.array([0.0, 2.0]), 1.0, fair=True)[0] == pytest.approx(0.0)
    # brute force O(m^2) on random data
    rng = np.random.default_rng(3)
    x = rng.gamma(2.0, 3.0, 257)
    brute = np.mean(np.abs(x - 4.0)) - 0.5 * np.mean(np.abs(x[:, None] - x[None, :]))
    assert sc.crps_samples(x, 4.0)[0] == pytest.approx(brute, rel=1e-12)


# ------------------------------------------------------------------ PIT

def test_pit_uniform_for_calibrated_forecast():
    rng = np.random.default_rng(2024)
    samples = rng.normal(0, 1, (3000, 200))
    actual = rng.normal(0, 1, 3000)
    u = sc.pit(samples, actual, rng=np.random.default_rng(1))
    assert np.all((u >= 0) & (u <= 1))
    assert stats.kstest(u, "uniform").pvalue > 0.001
    counts, edges = sc.pit_histogram(u, bins=10)
    assert counts.sum() == 3000 and len(edges) == 11


def test_pit_u_shaped_for_overconfident_forecast():
    rng = np.random.default_rng(5)
    samples = rng.normal(0, 1, (3000, 200))
    actual = rng.normal(0, 2.5, 3000)
    u = sc.pit(samples, actual, rng=1)
    counts, _ = sc.pit_histogram(u, bins=10)
    # outer bins hold far more than the uniform 10 %, the middle far less
    assert counts[0] > 2.5 * 300 and counts[-1] > 2.5 * 300
    assert counts[4] < 0.6 * 300 and counts[5] < 0.6 * 300
    assert stats.kstest(u, "uniform").pvalue < 1e-6


def test_pit_randomises_ties_of_discrete_forecasts():
    rng = np.random.default_rng(8)
    lam = 3.0
    samples = rng.poisson(lam, (4000, 50)).astype(float)
    actual = rng.poisson(lam, 4000).astype(float)
    u = sc.pit(samples, actual, rng=2)
    assert stats.kstest(u, "uniform").pvalue > 0.001


# ------------------------------------------------------------------ reliability and Brier

def test_reliability_of_perfect_forecast():
    rng = np.random.default_rng(9)
    p = rng.uniform(0, 1, 50_000)
    o = rng.uniform(0, 1, p.size) < p  # events happen with the forecast probability
    table = sc.reliability(p, o, bins=5)
    assert list(table.columns) == ["bin", "lower", "upper", "mean_forecast", "observed_frequency", "n"]
    assert table["n"].sum() == p.size and len(table) == 5
    se = np.sqrt(table["mean_forecast"] * (1 - table["mean_forecast"]) / table["n"])
    assert np.all(np.abs(table["observed_frequency"] - table["mean_forecast"]) < 4 * se)
    np.testing.assert_allclose(table["mean_forecast"], [0.1, 0.3, 0.5, 0.7, 0.9], atol=0.01)


def test_reliability_sure_forecasts_and_empty_bins():
    p = np.array([0.0, 0.0, 1.0, 1.0, 1.0])
    o = np.array([0, 0, 1, 1, 1])
    table = sc.reliability(p, o, bins=5)
    assert table["n"].tolist() == [2, 0, 0, 0, 3]
    assert table["observed_frequency"][0] == 0.0 and table["observed_frequency"][4] == 1.0
    assert np.isnan(table["observed_frequency"][2])
    assert sc.brier_score(p, o) == 0.0
    assert sc.brier_score([0.5, 0.2], [1, 0]) == pytest.approx((0.25 + 0.04) / 2)
    with pytest.raises(ValueError):
        sc.reliability([0.5], [2])


# ------------------------------------------------------------------ repeats

def test_collapse_repeats_press_reports_chain_into_one_group():
    key = ("dong_nai", "products_total", "cumulative")
    values = np.array([439, 481, 496, 490, 460])
    times = [2025.49, 2025.6, 2025.77, 2025.82, 2026.0]
    other = ("dong_nai", "products_4star", "cumulative")
    keys = [key] * 5 + [other, other]
    all_times = times + [2025.6, 2025.7]
    groups = sc.collapse_repeats(keys, 0.25, all_times)
    # consecutive gaps 0.11, 0.17, 0.05, 0.18 are all ≤ 0.25: single linkage chains all five
    # (span 0.51 years); the other key is never merged with them
    assert groups == [[0, 1, 2, 3, 4], [5, 6]]
    assert len(values) == len(groups[0])
    # a tighter window splits at the gaps > 0.15
    assert sc.collapse_repeats(keys, 0.15, all_times) == [[0, 1], [2, 3], [4], [5, 6]]
    # a new report half a year later starts a new group
    assert sc.collapse_repeats([key] * 6, 0.25, times + [2026.6]) == [[0, 1, 2, 3, 4], [5]]
    # no times: one group per key; unsorted input times are handled
    assert sc.collapse_repeats(["a", "b", "a"]) == [[0, 2], [1]]
    assert sc.collapse_repeats(["a", "a", "a"], 0.25, [2026.0, 2025.0, 2025.9]) == [[0, 2], [1]]


def test_collapsed_coverage_counts_each_group_once():
    inside = np.array([True, True, True, False, True, False, False])
    groups = [[0, 1, 2, 3, 4], [5, 6]]
    # group means 0.8 and 0.0 -> 0.4 (the raw mean would be 4/7)
    assert sc.collapsed_coverage(inside, groups) == pytest.approx(0.4)
    # indices in no group count on their own: groups [0..4], [5], [6]
    assert sc.collapsed_coverage(inside, [[0, 1, 2, 3, 4]]) == pytest.approx(0.8 / 3)
    with pytest.raises(ValueError):
        sc.collapsed_coverage(inside, [[0, 1], [1, 2]])
    with pytest.raises(ValueError):
        sc.collapsed_coverage(inside, [[0, 9]])


# ------------------------------------------------------------------ bias

def test_bias_relative_median():
    samples = np.array([[90.0, 100.0, 110.0], [1.0, 2.0, 3.0], [1.0, 1.0, 1.0]])
    b = sc.bias(samples, np.array([80.0, 4.0, 0.0]))
    assert b[0] == pytest.approx(0.25)
    assert b[1] == pytest.approx(-0.5)
    assert np.isnan(b[2])
