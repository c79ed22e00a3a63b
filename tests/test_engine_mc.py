"""The compiled Monte Carlo engine (ocop_sim/engine_mc.py) equals the numpy model (run_block) in distribution.

Both engines take the assumptions and the initial split from the same streams, so a draw of one
and the same draw of the other share them: means are compared *paired* (the mean of the
per-draw differences against its standard error), variances and quantiles unpaired (conservative:
the shared assumptions make the two samples positively correlated).  Every tolerance is ``Z``
standard errors, ``Z`` a Bonferroni bound for all the comparisons of a test at a family-wise
error rate of 1e-3; the seeds are fixed, so a test's outcome never changes from run to run.
"""
from __future__ import annotations

import importlib
import math
from pathlib import Path

import numpy as np
import pytest

import ocop_sim
from ocop_sim import engine, engine_mc
from ocop_sim.config import assumption_meta

sim = importlib.import_module("ocop_sim.simulate")  # ``ocop_sim.simulate`` is also the function

ROOT = Path(__file__).resolve().parents[1]
QUANTILES = (0.1, 0.25, 0.5, 0.75, 0.9)

pytestmark = pytest.mark.skipif(not engine.AVAILABLE, reason="numba is not installed")


@pytest.fixture(scope="module", autouse=True)
def _compiled():
    assert engine_mc.warm_up()


def load(name: str):
    return ocop_sim.load(ROOT / "params" / name).scenario


def numpy_block(sc, n, seed, block=0, sample_assumptions=True, **kw):
    return sim.run_block(sc, n, sim.block_rng(seed, block), sample_assumptions, streams=sim.Streams(seed, block), **kw)


def summaries(r: "sim.RunArrays") -> dict[str, np.ndarray]:
    """Per-draw scalars (D,): every stock at the middle and last year and every flow summed over
    the years, each summed over its areas, groups and levels; certified and lapsed by level."""
    T = len(r.years)
    out = {}
    for k, v in r.stocks.items():
        v = v.astype(np.float64)
        for i in sorted({T // 2, T - 1}):
            out[f"stock:{k}[{i}]"] = v[i].reshape(v.shape[1], -1).sum(axis=1)
    for li in range(4):
        out[f"stock:certified[-1] level {li}"] = r.stocks["certified"][-1, ..., li].astype(np.float64).sum(axis=(1, 2))
        out[f"stock:lapsed_cum[-1] level {li}"] = r.stocks["lapsed_cum"][-1, ..., li].astype(np.float64).sum(axis=1)
    for k, v in r.flows.items():
        v = v.astype(np.float64)
        out[f"flow:{k}"] = v.sum(axis=0).reshape(v.shape[1], -1).sum(axis=1)
    return out


def z_bound(n_tests: int, alpha: float = 1e-3) -> float:
    """The two-sided normal bound of ``n_tests`` comparisons at family-wise level ``alpha``."""
    from scipy.stats import norm

    return float(norm.isf(alpha / (2 * n_tests)))


def compare(fast: "sim.RunArrays", ref: "sim.RunArrays", quantiles=QUANTILES) -> list[str]:
    """The comparisons that fail (empty: equal in distribution within sampling error)."""
    a, b = summaries(fast), summaries(ref)
    assert list(a) == list(b)
    z = z_bound(len(a) * (2 + len(quantiles)))
    bad = []
    for k in a:
        x, y = a[k], b[k]
        n, m = len(x), len(y)
        if np.ptp(x) == 0 and np.ptp(y) == 0:  # not random (projects, officials' coverage): equal
            if not np.allclose(x, y, rtol=1e-6, atol=1e-6):
                bad.append(f"{k}: constant {x[0]} vs {y[0]}")
            continue
        # means, paired: the per-draw differences share the draw's assumptions and initial split
        dxy = x - y
        se = dxy.std(ddof=1) / math.sqrt(n)
        if abs(dxy.mean()) > z * se:
            bad.append(f"{k}: mean {x.mean():.6g} vs {y.mean():.6g} (diff {dxy.mean():.3g}, se {se:.3g})")
        # variances: se of a sample variance = sd((x - mean)²) / √n
        vx, vy = x.var(ddof=1), y.var(ddof=1)
        se_v = math.sqrt(((x - x.mean()) ** 2).var(ddof=1) / n + ((y - y.mean()) ** 2).var(ddof=1) / m)
        if abs(vx - vy) > z * se_v + 1e-12:
            bad.append(f"{k}: variance {vx:.6g} vs {vy:.6g} (se {se_v:.3g})")
        # quantiles: at the pooled q-quantile c, P(X ≤ c) of the two samples differ by sampling
        # error only, se = √(F(1 − F)(1/n + 1/m)) (exact for discrete counts too)
        pooled = np.concatenate([x, y])
        for q in quantiles:
            c = np.quantile(pooled, q)
            fx, fy = (x <= c).mean(), (y <= c).mean()
            F = (pooled <= c).mean()
            se_q = math.sqrt(max(F * (1 - F), 1e-12) * (1 / n + 1 / m))
            if abs(fx - fy) > z * se_q:
                bad.append(f"{k}: P(≤ q{q} = {c:.6g}) {fx:.4f} vs {fy:.4f} (se {se_q:.3g})")
    return bad


# ----------------------------------------------------------------------------- contract


@pytest.mark.parametrize("name", ["smoke.yaml", "history.yaml"])
def test_same_keys_shapes_dtypes_and_same_assumptions(name):
    sc = load(name)
    fast, ref = engine_mc.run_monte_carlo(sc, 37, 11, 2), numpy_block(sc, 37, 11, 2)
    np.testing.assert_array_equal(fast.years, ref.years)
    for part in ("stocks", "flows", "initial", "params", "spending"):
        a, b = getattr(fast, part), getattr(ref, part)
        assert list(a) == list(b), part
        for k in b:
            x, y = np.asarray(a[k]), np.asarray(b[k])
            assert (x.shape, x.dtype) == (y.shape, y.dtype), (part, k, x.shape, y.shape, x.dtype, y.dtype)
            if part != "stocks" and part != "flows":  # the same streams: the same numbers
                np.testing.assert_array_equal(x, y, err_msg=f"{part}[{k!r}]")
    for k in ("projects", "active", "coverage_officials"):  # not random given the assumptions
        np.testing.assert_allclose(fast.stocks[k], ref.stocks[k], rtol=1e-6, err_msg=k)
    # counts are whole products (the lapses before the horizon are spread by area shares), never negative
    for k in ("certified", "candidates", "entities", "lapsed_cum"):
        v = fast.stocks[k]
        assert v.min() >= 0, k
        assert k == "lapsed_cum" or np.array_equal(v, np.round(v)), k


def test_unknown_engine_is_refused():
    with pytest.raises(ValueError, match="engine: expected one of numpy, compiled, auto"):
        sim.simulate(load("smoke.yaml"), 10, 1, engine="numba")


# ----------------------------------------------------------------------------- reproducibility


def test_same_seed_same_numbers_and_independent_of_the_split():
    """The seed fixes every number; chunks cut at blocks (serial, pool), and one call, agree."""
    from ocop_sim.executors import LocalPoolExecutor, SerialExecutor

    sc = load("smoke.yaml")
    one = sim.simulate(sc, 1100, 5, engine="compiled").arrays
    again = sim.run_draws(sc, 0, 1100, 5, engine="compiled")
    parts = sim.concat_runs([sim.run_draws(sc, 0, 500, 5, engine="compiled"),
                             sim.run_draws(sc, 500, 1100, 5, engine="compiled")])
    with SerialExecutor() as ex:
        serial = sim.simulate(sc, 1100, 5, executor=ex, engine="compiled").arrays
    with LocalPoolExecutor(2, overhead_s=0, min_chunk_s=0) as ex:  # maps the blocks after the pilot
        pool = sim.simulate(sc, 1100, 5, executor=ex, engine="compiled").arrays
        assert ex._pool is not None
    for other in (again, parts, serial, pool):
        for part in ("stocks", "flows", "initial", "params"):
            for k, v in getattr(one, part).items():
                np.testing.assert_array_equal(getattr(other, part)[k], v, err_msg=f"{part}[{k!r}]")
    # a draw's flow seeds do not depend on how many draws its block runs (its assumptions and
    # initial split come from the block's streams as in run_block)
    T = len(one.years)
    np.testing.assert_array_equal(engine_mc.flow_seeds(5, 1, 300, T)[:100], engine_mc.flow_seeds(5, 1, 100, T))
    assert len(np.unique(engine_mc.flow_seeds(5, 1, 500, T))) > 0.999 * 500 * T
    other = sim.simulate(sc, 1100, 6, engine="compiled").arrays
    assert not np.array_equal(other.stocks["certified"], one.stocks["certified"])


def test_auto_is_compiled_here_and_numpy_stays_the_default():
    sc = load("smoke.yaml")
    ref = sim.simulate(sc, 40, 3).arrays
    np.testing.assert_array_equal(sim.run_draws(sc, 0, 40, 3, engine="numpy").stocks["certified"],
                                  ref.stocks["certified"])
    np.testing.assert_array_equal(sim.simulate(sc, 40, 3, engine="auto").arrays.stocks["certified"],
                                  sim.simulate(sc, 40, 3, engine="compiled").arrays.stocks["certified"])


def test_the_engine_is_recorded_keyed_and_reproduced(tmp_path, capsys, monkeypatch):
    """A run says which engine made its draws (Result, manifest, cache entry); the cache keeps the
    two engines' runs apart; ``reproduce`` re-runs a manifest with its engine, and the numbers of
    the other engine are not accepted for it."""
    import json

    from ocop_sim import cache
    from ocop_sim.cli import main

    sc = load("smoke.yaml")
    assert sim.simulate(sc, 30, 2, engine="auto").engine == "compiled"
    assert sim.simulate(sc, 30, 2).engine == "numpy" and sim.simulate(sc, mode="expected", engine="compiled").engine == "numpy"
    assert cache.cache_key(sc, 30, 2) != cache.cache_key(sc, 30, 2, engine="compiled") == cache.cache_key(sc, 30, 2, engine="auto")
    # a numpy run's key has no engine field: entries made before the choice still hit
    assert "engine" not in cache.run_inputs(sc, 30, 2)
    monkeypatch.setenv("OCOP_SIM_CACHE", str(tmp_path / "cache"))
    a = cache.cached_simulate(sc, 30, 2, engine="compiled")
    b = cache.cached_simulate(sc, 30, 2, engine="compiled")  # read back from the entry
    assert b.engine == "compiled" and np.array_equal(a.arrays.stocks["certified"], b.arrays.stocks["certified"])
    c = cache.cached_simulate(sc, 30, 2)
    assert c.engine == "numpy" and not np.array_equal(c.arrays.stocks["certified"], a.arrays.stocks["certified"])

    out = tmp_path / "run"
    assert main(["run", str(ROOT / "params" / "smoke.yaml"), "--draws", "25", "--seed", "7", "--out", str(out),
                 "--no-cache", "--engine", "compiled"]) == 0
    assert "engine=compiled" in capsys.readouterr().out
    manifest = out / "smoke_manifest.json"
    m = json.loads(manifest.read_text(encoding="utf-8"))
    assert m["engine"] == "compiled"
    assert main(["reproduce", str(manifest)]) == 0, capsys.readouterr().err
    capsys.readouterr()
    m["engine"] = "numpy"  # the same draws cannot come from the other engine
    other = tmp_path / "other" / "smoke_manifest.json"
    other.parent.mkdir()
    other.write_text(json.dumps(m), encoding="utf-8")
    assert main(["reproduce", str(other)]) == 1
    assert "results_checksum" in capsys.readouterr().err
    m["engine"] = "gpu"
    other.write_text(json.dumps(m), encoding="utf-8")
    assert main(["reproduce", str(other)]) == 2
    err = capsys.readouterr().err
    assert str(other) in err and "engine" in err and "'numpy' or 'compiled'" in err


# ----------------------------------------------------------------------------- in distribution


@pytest.mark.parametrize("name, n, sample_assumptions", [
    ("smoke.yaml", 3000, True),
    ("smoke.yaml", 3000, False),
    ("baseline.yaml", 1500, False),
    ("history.yaml", 1500, True),
])
def test_equal_in_distribution(name, n, sample_assumptions):
    sc = load(name)
    fast = sim.concat_runs([engine_mc.run_monte_carlo(sc, min(500, n - b0), 7, b0 // 500, sample_assumptions)
                            for b0 in range(0, n, 500)])
    ref = sim.concat_runs([numpy_block(sc, min(500, n - b0), 7, b0 // 500, sample_assumptions)
                           for b0 in range(0, n, 500)])
    bad = compare(fast, ref)
    assert not bad, "\n".join(bad)


def test_a_fitted_inflow_path_in_distribution():
    """Years whose log inflow is given (inference's posterior predictive) take it; later years walk on."""
    sc = load("history.yaml")
    n = 1500
    rng = np.random.default_rng(4)
    path = {y: rng.normal(0.0, 0.3, n) for y in range(2020, 2024)}
    fast = sim.concat_runs([engine_mc.run_monte_carlo(sc, 500, 9, b, inflow_path={y: v[b * 500:(b + 1) * 500]
                                                                                  for y, v in path.items()})
                            for b in range(3)])
    ref = sim.concat_runs([numpy_block(sc, 500, 9, b, inflow_path={y: v[b * 500:(b + 1) * 500] for y, v in path.items()})
                           for b in range(3)])
    bad = compare(fast, ref)
    assert not bad, "\n".join(bad)


def test_the_comparison_can_fail():
    """A kernel with one rate off by 50 % is caught: the tolerances are not too loose."""
    sc = load("smoke.yaml")
    ov = {"entity_exit_rate": np.full(2000, assumption_meta("entity_exit_rate")["default"])}
    off = {"entity_exit_rate": ov["entity_exit_rate"] * 1.5}
    fast = engine_mc.run_monte_carlo(sc, 2000, 7, 0, False, overrides=off)
    ref = numpy_block(sc, 2000, 7, 0, False, overrides=ov)
    assert any(k.startswith("flow:entity_exits") for k in compare(fast, ref))


def test_property_random_assumptions():
    """Random assumptions (hypothesis), flow noise only: the paired means of every summary agree."""
    import hypothesis

    st = hypothesis.strategies
    sc = load("smoke.yaml")
    names = ("score_base", "submission_rate", "base_new_entities", "base_new_ideas", "renewal_base_prob",
             "renewal_factor_4star", "central_pass_rate", "central_capacity", "retry_prob", "pool_factor",
             "upgrade_attempt_rate", "entity_exit_rate", "candidate_dropout", "inflow_sd", "submission_sd",
             "downgrade_prob", "entity_imitation")

    @hypothesis.settings(max_examples=12, deadline=None, derandomize=True, database=None,
                         suppress_health_check=list(hypothesis.HealthCheck))
    @hypothesis.given(chosen=st.sets(st.sampled_from(names), min_size=1, max_size=6),
                      seed=st.integers(0, 2 ** 32 - 1))
    def check(chosen, seed):
        n = 400
        rng = np.random.default_rng(seed)
        ov = {k: np.full(n, rng.uniform(assumption_meta(k)["low"], assumption_meta(k)["high"])) for k in sorted(chosen)}
        fast = engine_mc.run_monte_carlo(sc, n, seed, 0, False, overrides=ov)
        ref = numpy_block(sc, n, seed, 0, False, overrides=ov)
        a, b = summaries(fast), summaries(ref)
        z = z_bound(len(a) * 12)  # every summary of every example
        for k in a:
            d = a[k] - b[k]
            se = d.std(ddof=1) / math.sqrt(n)
            assert abs(d.mean()) <= z * se + 1e-9 * (1 + abs(b[k].mean())), (k, ov, a[k].mean(), b[k].mean(), se)
        for k in ("certified", "candidates", "entities", "lapsed_cum", "trained_leaders"):
            assert fast.stocks[k].min() >= 0, k

    check()
