"""Bayesian calibration and backtests: observation model, dated knowledge, leak-freedom, refusal."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import yaml
from scipy import stats

from ocop_sim import inference as inf
from ocop_sim import load
from ocop_sim.cli import main
from ocop_sim.data import parse_value
from ocop_sim.packs import PACK_FILE, load_pack

ROOT = Path(__file__).resolve().parents[1]
HISTORY = ROOT / "params" / "history.yaml"
QUICK = {"n_steps": 120, "max_steps": 120, "require": False}


@pytest.fixture(scope="module")
def history():
    return load(HISTORY).scenario


# ----------------------------------------------------------------------------- observation model


@pytest.mark.parametrize("mu, cv, y", [(10.0, 0.1, 7), (250.0, 0.15, 282), (3.0, 0.5, 0), (40.0, 0.05, 40)])
def test_negative_binomial_matches_scipy(mu, cv, y):
    r = 1.0 / cv ** 2
    ref = stats.nbinom(n=r, p=r / (r + mu)).logpmf(y)
    assert inf.nb_logpmf(np.array(float(y)), np.array(mu), np.array(cv ** 2)) == pytest.approx(ref, rel=1e-9)
    # variance mu + cv² mu²: the overdispersion the observation model claims
    assert stats.nbinom(n=r, p=r / (r + mu)).var() == pytest.approx(mu + cv ** 2 * mu ** 2)


def test_the_compiled_observation_model_equals_the_numpy_one():
    """The calibration's observation model is one compiled loop; it must give what the numpy
    reference gives: counts (negative binomial), shares (normal), repeats' weights, a NaN model
    value (−inf), a zero and a negative value (clipped at 1e-6), no overdispersion at all."""
    base = {"scope": "province", "metric": "products_3star_plus", "kind": "stock", "year": 2022}
    obs = [dict(base, at=a, value=v) for a, v in zip([2020.0, 2020.5, 2021.0, 2021.5, 2021.55], [10, 45.5, 0, 130, 131])]
    obs.append({"scope": "province", "metric": "evaluation_pass_rate", "kind": "flow", "at": 2022.5, "year": 2022,
                "value": 0.6})
    m = inf.ObservationModel(obs, 2019)
    rng = np.random.default_rng(0)
    mu = rng.uniform(0, 150, (6, 64))
    mu[5] = rng.uniform(0, 1, 64)
    mu[1, 3], mu[0, 5], mu[2, 7] = np.nan, 0.0, -3.0
    cv, sd = rng.uniform(0, 0.3, 64), rng.uniform(0, 0.2, 64)
    cv[9] = sd[9] = 0.0
    with np.errstate(invalid="ignore"):
        ref = m.reference(mu, cv, sd)
    got = m(mu, cv, sd)
    assert np.array_equal(np.isfinite(got), np.isfinite(ref)) and got[3] == -np.inf
    np.testing.assert_allclose(got[np.isfinite(ref)], ref[np.isfinite(ref)], rtol=1e-12)
    assert m.w[3, 0] == m.w[4, 0] == 0.5  # the repeat counts once


def test_repeated_reports_of_one_quantity_count_once():
    base = {"scope": "province", "metric": "products_3star_plus", "kind": "stock", "counting": "cumulative"}
    five = [dict(base, at=a, value=v) for a, v in [(2025.49, 439), (2025.6, 481), (2025.77, 496), (2025.82, 490)]]
    valid = dict(base, counting="valid", at=2026.0, value=460)
    w = inf.repeat_weights([*five, valid])
    np.testing.assert_allclose(w, [0.25, 0.25, 0.25, 0.25, 1.0])  # 460 counts valid certificates: another quantity
    # the log-likelihood of a report given twice equals that of the report given once
    mu = np.array([[300.0, 320.0]])
    one = inf.log_likelihood(mu, [dict(base, at=2025.0, value=282)], np.array([0.1, 0.1]), np.array([0.1, 0.1]), 2019)
    two = inf.log_likelihood(np.vstack([mu, mu]), [dict(base, at=2025.0, value=282), dict(base, at=2025.0, value=282)],
                             np.array([0.1, 0.1]), np.array([0.1, 0.1]), 2019)
    np.testing.assert_allclose(one, two)


def test_cumulative_reports_are_compared_with_cumulative_counts(history):
    from ocop_sim import simulate
    from ocop_sim.calibrate import model_value

    r = simulate(history, mode="expected")
    o = {"scope": "province", "metric": "products_3star_plus", "kind": "stock", "at": 2026.0}
    valid = float(model_value(r, dict(o, counting="valid"))[0])
    cum = float(model_value(r, dict(o, counting="cumulative"))[0])
    lapsed = float(r.arrays.stocks["lapsed_cum"][-1, 0].sum())
    assert lapsed > 1.0 and cum == pytest.approx(valid + lapsed)


# ----------------------------------------------------------------------------- dated knowledge


def test_knowledge_at_a_cut_off_drops_what_was_published_later(history):
    kn = inf.knowledge(history, 2022)
    assert kn.observations and all(o["known_at"] <= 2023.0 + 1e-9 for o in kn.observations)
    full = inf.knowledge(history, None)
    assert len(full.observations) > len(kn.observations)
    # the default known only from 12/2024 (first dossiers sent to the centre) gives way to the
    # value a forecaster would have used in 2022
    assert "central_first_year" in kn.replaced_defaults
    assert kn.scenario.assumptions.central_first_year == 2021
    assert full.scenario.assumptions.central_first_year == 2025
    # exogenous decisions (the 2023 criteria, the 2025 merger) are conditioned on
    assert {e.type for e in kn.events} == {"criteria_change", "merger"}


def test_priors_known_after_the_cut_off_take_their_fallback():
    assert inf.prior("renewal_base_prob", 2019).a == 2.0 and inf.prior("renewal_base_prob", None).a == 3.6
    assert inf.prior("criteria_score_shift", 2022).a == 0.0
    assert inf.prior("criteria_score_shift", 2023).a == -3.0


def _truncated_pack(tmp_path: Path, until: int) -> Path:
    """A copy of dong_nai_2019 holding only the reports published by the end of ``until``."""
    import csv

    src = ROOT / "ocop_sim" / "packs" / "dong_nai_2019"
    dst = tmp_path / "dong_nai_truncated"
    shutil.copytree(src, dst)
    keep = [o for o in load_pack("dong_nai_2019").actuals if o["known_at"] <= until + 1.0 + 1e-9]
    rows = list(csv.DictReader(open(src / "actuals.csv", encoding="utf-8")))
    kept_keys = {(o["scope"], o["metric"], o["at"], o["value"]) for o in keep}
    out = [r for r in rows
           if (r["scope"], r["metric"], float(r["at"]) if r["at"] else float(r["year"]) + 1.0,
               parse_value(r["value"])[0]) in kept_keys]
    assert 0 < len(out) < len(rows)
    with open(dst / "actuals.csv", "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(out)
    return dst


def test_backtest_is_bit_identical_with_or_without_later_data(tmp_path, history):
    until = 2021
    # a later, non-exogenous event (a policy change known only in 2024) in the full pack
    full = tmp_path / "full"
    shutil.copytree(ROOT / "ocop_sim" / "packs" / "dong_nai_2019", full)
    doc = yaml.safe_load((full / PACK_FILE).read_text(encoding="utf-8"))
    doc["events"].append({"type": "policy_change", "year": 2024, "assumption": "submission_rate", "multiply": 1.5,
                          "known_from": "2024-12-26", "label": "hindsight"})
    (full / PACK_FILE).write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    cut = _truncated_pack(tmp_path, until)
    a = history.model_copy(update={"pack": str(full)})
    b = history.model_copy(update={"pack": str(cut)})
    cal_a = inf.calibrate(a, until, seed=5, **QUICK)
    cal_b = inf.calibrate(b, until, seed=5, **QUICK)
    np.testing.assert_array_equal(cal_a.posterior.samples, cal_b.posterior.samples)
    assert cal_a.knowledge.dropped_events == ("hindsight",) and cal_b.knowledge.dropped_events == ()
    # the forecast of every later report, as the full pack defines them
    held = [o for o in load_pack(str(full)).actuals if o["at"] > until + 1.0]
    fa, _ = inf.predictive(a, cal_a.posterior, held, 200, 5, events=cal_a.knowledge.events)
    fb, _ = inf.predictive(b, cal_b.posterior, held, 200, 5, events=cal_b.knowledge.events)
    np.testing.assert_array_equal(fa, fb)


# ----------------------------------------------------------------------------- refusal and files


def test_an_unconverged_posterior_is_refused_and_nothing_is_written(tmp_path, capsys):
    out = tmp_path / "post.npz"
    code = main(["calibrate", str(HISTORY), "--steps", "100", "--max-steps", "100", "--out", str(out), "--quiet"])
    assert code == 1
    text = capsys.readouterr().out
    assert "did not converge" in text and "R-hat" in text
    assert not out.exists() and not Path(str(out) + ".json").exists()


def test_calibrate_refuses_an_outlook_and_a_bad_year(capsys):
    assert main(["calibrate", str(ROOT / "params" / "baseline.yaml")]) == 2
    assert "history scenario" in capsys.readouterr().err
    assert main(["calibrate", str(HISTORY), "--until", "2031"]) == 2
    assert "--until" in capsys.readouterr().err


def test_scoring_of_held_back_reports_on_known_samples():
    rng = np.random.default_rng(0)
    held = [{"scope": "province", "metric": "products_3star_plus", "kind": "stock", "counting": "valid",
             "at": 2024.0 + i, "value": float(v)} for i, v in enumerate(rng.normal(100, 10, 200))]
    samples = rng.normal(100, 10, (200, 2000))
    s, table = inf.score(held, samples)
    se = np.sqrt(0.8 * 0.2 / 200)
    assert abs(s["coverage"]["80"] - 0.8) < 3 * se and abs(s["coverage"]["50"] - 0.5) < 3 * np.sqrt(0.25 / 200)
    assert len(table) == 200 and s["n_quantities"] == 200


def test_pooled_prior_is_normal_on_the_unconstrained_scale():
    p = inf.priors_for(["renewal_base_prob"], None, pooled={"renewal_base_prob": (0.5, 0.3)})[0]
    u = p.to_unbounded(p.sample(np.random.default_rng(1), 20000))
    assert abs(u.mean() - 0.5) < 0.01 and abs(u.std() - 0.3) < 0.01
    # its density integrates to one over the bounds
    lo, hi = p.bounds
    x = np.linspace(lo, hi, 200001)[1:-1]
    assert np.trapezoid(np.exp(p.logpdf(x)), x) == pytest.approx(1.0, abs=2e-3)


# ----------------------------------------------------------------------------- simulation-based calibration


@pytest.mark.slow
def test_simulation_based_calibration_of_the_model(history):
    """Talts et al. (2018): fit reports generated by the model from parameters drawn from the
    prior; the ranks of the true values among posterior draws are uniform and the central 80 %
    posterior intervals cover the truth 70–90 % of the time (pooled over parameters)."""
    names = ("score_base", "submission_rate", "base_new_ideas", "renewal_base_prob", "obs_cv")
    priors = inf.priors_for(names)
    kn = inf.knowledge(history, None)
    obs = [o for o in kn.observations if o["metric"] != "evaluation_pass_rate"]
    reps, n_rank = 30, 19
    rng = np.random.default_rng(2018)
    ranks, covered = [], []
    for rep in range(reps):
        truth = priors.sample(rng, 1)[0]
        ov = {n: truth[[i]] for i, n in enumerate(names) if n != "obs_cv"}
        mu = inf.model_values(kn.scenario, obs, ov, kn.events)[:, 0]
        cv = truth[names.index("obs_cv")]
        # the observation model the fit assumes: reporting noise plus the inflow's variance growing
        # with the years since the start (inflow_sd is not fitted here: held at the scenario's value)
        h = np.array([max(o["at"] - kn.scenario.horizon.start, 0.5) for o in obs])
        shape = 1.0 / (cv ** 2 + kn.scenario.assumptions.inflow_sd ** 2 * h / 3.0)
        y = rng.poisson(rng.gamma(shape, np.maximum(mu, 1e-9) / shape))
        data = [dict(o, value=float(v)) for o, v in zip(obs, y)]
        cal = inf.calibrate(history, None, names, actuals=data, seed=rep, n_steps=400, max_steps=400, require=False,
                            path=False, n_walkers=100)
        draws = cal.posterior.draws(n_rank, np.random.default_rng(rep))
        ranks.append((draws < truth[None, :]).sum(axis=0))
        lo, hi = np.quantile(cal.posterior.samples, [0.1, 0.9], axis=0)
        covered.append((lo <= truth) & (truth <= hi))
    ranks, covered = np.array(ranks), np.array(covered)
    # ranks 0..n_rank in 5 bins, chi-square over all parameters
    counts = np.array([np.histogram(ranks[:, j], bins=5, range=(0, n_rank + 1))[0] for j in range(len(names))])
    chi2 = stats.chisquare(counts.ravel().reshape(len(names), 5), axis=1)
    assert (chi2.pvalue > 1e-3).all(), (counts, chi2.pvalue)
    assert 0.70 <= covered.mean() <= 0.90, covered.mean(axis=0)


# ----------------------------------------------------------------------------- recovery on the default path


@pytest.mark.slow
def test_calibration_recovers_the_default_parameters_from_noisy_monte_carlo_data(history):
    """Draw true values from the documented priors, simulate ONE Monte Carlo history with them
    (process noise: binomial/Poisson flows, the inflow random walk), add the observation noise of
    the likelihood (negative binomial with the true obs_cv; shares ± SHARE_SD), and fit with
    :func:`ocop_sim.inference.calibrate` on its defaults (parameters, priors, walkers, no path)
    except fewer steps (1000 of 1500, for CI time): the true values lie in their 95 % intervals but
    for as many misses as chance allows.

    With 14 parameters and honest 95 % intervals the number of misses is about Binomial(14, 0.05):
    0, 1, 2, 3 with probabilities 0.49, 0.36, 0.12, 0.03 and 4 or more with 0.004, so more than
    three misses says the method is wrong, not unlucky.  Measured 2026-11-30 with this truth and six
    histories (the test's seed, and +1..+5): 0, 3, 0, 1, 0, 1 misses (submission_rate twice,
    inflow_sd twice, pool_factor once), 0.83 on average against 0.70 expected; asking that all 14
    hold (as this test did before) fails an honest method half the time.  Simulation-based
    calibration (above) tests the same property over many truths."""
    from ocop_sim import simulate
    from ocop_sim.calibrate import model_value, with_assumptions

    names = tuple(n for n in inf.DEFAULT_PARAMS if n != "central_pass_rate" or inf._has_national(history))
    kn = inf.knowledge(history, None)
    rng = np.random.default_rng(18)
    truth = dict(zip(names, inf.priors_for(names).sample(rng, 1)[0]))
    sc = with_assumptions(kn.scenario.model_copy(update={"posterior": None}),
                          {k: v for k, v in truth.items() if k in inf.ASSUMPTION_NAMES})
    r = simulate(sc, draws=1, seed=int(rng.integers(2**31)), sample_assumptions=False)
    shape = 1 / truth["obs_cv"] ** 2
    data = []
    for o in kn.observations:
        mu = float(model_value(r, o)[0])
        if o["metric"] == "evaluation_pass_rate":
            v = float(np.clip(mu + rng.normal(0, inf.SHARE_SD), 0, 1))
        else:
            v = float(rng.poisson(rng.gamma(shape, max(mu, 1e-9) / shape)))
        data.append(dict(o, value=v))
    cal = inf.calibrate(history, None, actuals=data, seed=1, n_steps=1000, max_steps=1000, require=False)
    lo, hi = np.quantile(cal.posterior.samples, [0.025, 0.975], axis=0)
    fitted = list(cal.posterior.names)
    assert set(fitted) >= set(names), fitted
    missed = {n: (round(float(truth[n]), 4), round(float(lo[j]), 4), round(float(hi[j]), 4))
              for j, n in enumerate(fitted) if n in truth and not lo[j] <= truth[n] <= hi[j]}
    assert len(missed) <= 3, f"{len(missed)} of {len(fitted)} true values outside their 95 % intervals: {missed}"
