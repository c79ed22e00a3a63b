"""The compiled expected-mode engine (ocop_sim/engine.py) equals the numpy model (run_block) within 1e-9."""
from __future__ import annotations

import importlib
from pathlib import Path

import numpy as np
import pytest

import ocop_sim
from ocop_sim import engine
from ocop_sim.config import ASSUMPTION_NAMES, assumption_meta
from ocop_sim.packs import collapsed, collapsed_run, load_pack

sim = importlib.import_module("ocop_sim.simulate")  # ``ocop_sim.simulate`` is also the function

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = sorted((ROOT / "params").glob("*.yaml")) + sorted((ROOT / "params" / "national").glob("*.yaml"))
THRESHOLDS = ("threshold_3star", "threshold_4star", "threshold_5star")
#: assumptions the batch tests vary (12), thresholds included (kept ordered)
VARIED = ("score_base", "submission_rate", "base_new_entities", "base_new_ideas", "renewal_base_prob",
          "renewal_factor_4star", "criteria_score_shift", "central_pass_rate", "central_capacity",
          "premium_share", "threshold_4star", "threshold_5star")


def assert_same(fast: "sim.RunArrays", ref: "sim.RunArrays") -> None:
    """Every array of stocks, flows, initial, params and spending: same keys, shape, dtype, values."""
    np.testing.assert_array_equal(fast.years, ref.years)
    for part in ("stocks", "flows", "initial", "params", "spending"):
        a, b = getattr(fast, part), getattr(ref, part)
        assert list(a) == list(b), part
        for k in b:
            x, y = np.asarray(a[k]), np.asarray(b[k])
            assert x.shape == y.shape, (part, k, x.shape, y.shape)
            assert x.dtype == y.dtype == np.float64, (part, k, x.dtype, y.dtype)
            np.testing.assert_allclose(x, y, rtol=1e-9, atol=1e-9, err_msg=f"{part}[{k!r}]")


def random_overrides(rng: np.random.Generator, n: int, names=VARIED) -> dict[str, np.ndarray]:
    """Values drawn uniformly within each assumption's bounds; the score thresholds kept ordered
    (when one is drawn, all three are, and sorted)."""
    names = list(names)
    if any(k in names for k in THRESHOLDS):
        names = [k for k in names if k not in THRESHOLDS] + list(THRESHOLDS)
    ov = {k: rng.uniform(assumption_meta(k)["low"], assumption_meta(k)["high"], n) for k in names}
    if THRESHOLDS[0] in ov:
        for k, v in zip(THRESHOLDS, np.sort(np.stack([ov[k] for k in THRESHOLDS]), axis=0)):
            ov[k] = v
    return ov


def collapsed_history():
    sc = ocop_sim.load(ROOT / "params" / "history.yaml").scenario
    return collapsed_run(sc, sim.scenario_events(sc))


@pytest.fixture(scope="module", autouse=True)
def _compiled():
    assert engine.warm_up()


def test_warm_up_and_columns():
    assert engine.warm_up() is True
    assert sorted(engine.COLUMNS) == sorted(ASSUMPTION_NAMES)
    assert sorted(engine.COLUMNS.values()) == list(range(len(ASSUMPTION_NAMES)))


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.name for p in SCENARIOS])
def test_every_scenario_equals_numpy(path):
    sc = ocop_sim.load(path).scenario
    assert_same(engine.run_expected(sc, 1), sim.run_block(sc, 1, None))


@pytest.mark.parametrize("name", ["history.yaml", "baseline.yaml"])
def test_batch_of_variants(name):
    sc = ocop_sim.load(ROOT / "params" / name).scenario
    ov = random_overrides(np.random.default_rng(37), 37)
    assert_same(engine.run_expected(sc, 37, overrides=ov), sim.run_block(sc, 37, None, overrides=ov))


def test_batch_of_variants_every_assumption():
    """All 58 assumptions varied at once (thresholds ordered), on the scenario with every event type."""
    sc = ocop_sim.load(ROOT / "params" / "national" / "national_synthetic.yaml").scenario
    ov = random_overrides(np.random.default_rng(5), 11, ASSUMPTION_NAMES)
    assert_same(engine.run_expected(sc, 11, overrides=ov), sim.run_block(sc, 11, None, overrides=ov))


def test_collapsed_pack_with_mapped_events():
    fast, events = collapsed_history()
    assert len(load_pack(fast.pack).areas.ids) < len(load_pack(ocop_sim.load(ROOT / "params" / "history.yaml")
                                                               .scenario.pack).areas.ids)
    assert any(ev.type == "merger" for ev in events)
    ov = random_overrides(np.random.default_rng(200), 200)
    assert_same(engine.run_expected(fast, 200, overrides=ov, event_list=events),
                sim.run_block(fast, 200, None, overrides=ov, event_list=events))
    # and without overrides, the pack's own events (already mapped by collapsed())
    assert_same(engine.run_expected(fast, 3), sim.run_block(fast, 3, None))


def test_central_capacity_binds():
    """The capacity branch: national passes scaled down where they exceed the central capacity."""
    sc = ocop_sim.load(ROOT / "params" / "baseline.yaml").scenario
    ov = {"central_capacity": np.array([0.0, 0.5, 2.0, 1000.0]), "central_first_year": np.full(4, 2000.0),
          "central_pass_rate": np.full(4, 1.0)}
    ref = sim.run_block(sc, 4, None, overrides=ov)
    assert ref.flows["upgrades"][..., 3].sum(axis=(2, 3))[:, 0].max() == 0.0
    assert_same(engine.run_expected(sc, 4, overrides=ov), ref)


def test_empty_events_and_scalar_draw():
    sc = ocop_sim.load(ROOT / "params" / "history.yaml").scenario
    assert_same(engine.run_expected(sc, 2, event_list=[]), sim.run_block(sc, 2, None, event_list=[]))


def test_unavailable_raises(monkeypatch):
    sc = ocop_sim.load(ROOT / "params" / "smoke.yaml").scenario
    monkeypatch.setattr(engine, "AVAILABLE", False)
    with pytest.raises(engine.EngineUnavailable):
        engine.run_expected(sc, 1)
    assert engine.warm_up() is False


def test_property_random_assumptions():
    import hypothesis

    st = hypothesis.strategies
    fast, events = collapsed_history()
    base = ocop_sim.load(ROOT / "params" / "baseline.yaml").scenario

    @hypothesis.settings(max_examples=30, deadline=None, derandomize=True, database=None,
                         suppress_health_check=list(hypothesis.HealthCheck))
    @hypothesis.given(names=st.sets(st.sampled_from(ASSUMPTION_NAMES), min_size=1, max_size=20),
                      seed=st.integers(0, 2 ** 32 - 1), n=st.integers(1, 5), which=st.booleans())
    def check(names, seed, n, which):
        ov = random_overrides(np.random.default_rng(seed), n, sorted(names))
        if which:
            got = engine.run_expected(fast, n, overrides=ov, event_list=events)
            ref = sim.run_block(fast, n, None, overrides=ov, event_list=events)
        else:
            got, ref = engine.run_expected(base, n, overrides=ov), sim.run_block(base, n, None, overrides=ov)
        assert_same(got, ref)

    check()


def test_a_fitted_inflow_path_gives_the_same_numbers():
    sc = ocop_sim.load(ROOT / "params" / "history.yaml").scenario
    rng = np.random.default_rng(4)
    path = {y: rng.normal(0.0, 0.3, 9) for y in range(2020, 2024)}
    ov = {"base_new_ideas": rng.uniform(20, 80, 9)}
    assert_same(engine.run_expected(sc, 9, overrides=ov, inflow_path=path),
                sim.run_block(sc, 9, None, overrides=ov, inflow_path=path))


def test_a_runner_reused_across_calls_equals_fresh_runs():
    """Calibration keeps one ExpectedRunner for thousands of calls: what it builds once (the
    scenario's values, the one-variant initial state scaled by pool_factor and officials_pool)
    must give, call after call and for any batch size, what simulate.run_block gives."""
    sc = ocop_sim.load(ROOT / "params" / "history.yaml").scenario
    runner = engine.ExpectedRunner(sc)
    for n, seed in ((5, 1), (1, 2), (17, 3)):
        ov = random_overrides(np.random.default_rng(seed), n, ASSUMPTION_NAMES)
        assert_same(runner(n, ov), sim.run_block(sc, n, None, overrides=ov))
    assert_same(runner(3), sim.run_block(sc, 3, None))
