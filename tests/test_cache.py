"""Result cache: hits load instead of simulating; any change of inputs or versions misses."""
from __future__ import annotations

import importlib
from pathlib import Path

import numpy as np
import pytest

import ocop_sim
import ocop_sim.results
from ocop_sim import cache, load
from ocop_sim.cli import main

SIM_MODULE = importlib.import_module("ocop_sim.simulate")

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def smoke():
    return load(ROOT / "params" / "smoke.yaml").scenario


@pytest.fixture
def counting(monkeypatch):
    """Count calls of the real simulate."""
    calls = []
    real = SIM_MODULE.simulate

    def spy(*a, **k):
        calls.append((a, k))
        return real(*a, **k)

    monkeypatch.setattr(SIM_MODULE, "simulate", spy)
    return calls


def _with_assumption(scenario, name, value):
    return scenario.model_copy(update={"assumptions": scenario.assumptions.model_copy(update={name: value})})


def test_hit_returns_identical_result_without_simulating(smoke, tmp_path, counting):
    a = cache.cached_simulate(smoke, draws=40, seed=3, cache_dir=tmp_path)
    b = cache.cached_simulate(smoke, draws=40, seed=3, cache_dir=tmp_path)
    assert len(counting) == 1
    assert np.array_equal(a.series("products_3star_plus"), b.series("products_3star_plus"))
    assert b.seed == 3 and b.draws == 40
    assert len(list(tmp_path.glob("*.pkl"))) == 1 and len(list(tmp_path.glob("*.json"))) == 1


def test_defaults_resolve_like_simulate(smoke, tmp_path):
    assert cache.cache_key(smoke) == cache.cache_key(smoke, draws=smoke.draws, seed=smoke.seed)
    # expected mode ignores draws and sample_assumptions, as simulate does
    assert cache.cache_key(smoke, draws=5, mode="expected") == cache.cache_key(smoke, draws=9, mode="expected",
                                                                               sample_assumptions=False)


def test_changed_assumption_misses(smoke, tmp_path, counting):
    a = cache.cached_simulate(smoke, draws=30, seed=1, cache_dir=tmp_path)
    changed = _with_assumption(smoke, "submission_rate", smoke.assumptions.submission_rate * 0.5)
    b = cache.cached_simulate(changed, draws=30, seed=1, cache_dir=tmp_path)
    assert len(counting) == 2
    assert b.scenario.assumptions.submission_rate == pytest.approx(smoke.assumptions.submission_rate * 0.5)
    assert not np.array_equal(a.series("products_3star_plus"), b.series("products_3star_plus"))


def test_changed_seed_draws_mode_sampling_miss(smoke, tmp_path, counting):
    base = dict(draws=30, seed=1, cache_dir=tmp_path)
    cache.cached_simulate(smoke, **base)
    cache.cached_simulate(smoke, **{**base, "seed": 2})
    cache.cached_simulate(smoke, **{**base, "draws": 31})
    cache.cached_simulate(smoke, **base, sample_assumptions=False)
    cache.cached_simulate(smoke, mode="expected", cache_dir=tmp_path)
    assert len(counting) == 5
    r = cache.cached_simulate(smoke, **{**base, "seed": 2})
    assert len(counting) == 5 and r.seed == 2


def test_changed_model_or_package_version_misses(smoke, tmp_path, counting, monkeypatch):
    cache.cached_simulate(smoke, draws=20, seed=1, cache_dir=tmp_path)
    monkeypatch.setattr(ocop_sim.results, "MODEL_VERSION", ocop_sim.results.MODEL_VERSION + "-next")
    cache.cached_simulate(smoke, draws=20, seed=1, cache_dir=tmp_path)
    assert len(counting) == 2
    monkeypatch.setattr(ocop_sim, "__version__", ocop_sim.__version__ + ".dev1")
    cache.cached_simulate(smoke, draws=20, seed=1, cache_dir=tmp_path)
    assert len(counting) == 3


def test_no_cache_neither_reads_nor_writes(smoke, tmp_path, counting):
    cache.cached_simulate(smoke, draws=20, seed=1, cache_dir=tmp_path, use_cache=False)
    cache.cached_simulate(smoke, draws=20, seed=1, cache_dir=tmp_path, use_cache=False)
    assert len(counting) == 2 and not list(tmp_path.iterdir())


def test_corrupt_entry_is_a_miss(smoke, tmp_path, counting):
    cache.cached_simulate(smoke, draws=20, seed=1, cache_dir=tmp_path)
    (pkl,) = tmp_path.glob("*.pkl")
    pkl.write_bytes(b"not a pickle")
    r = cache.cached_simulate(smoke, draws=20, seed=1, cache_dir=tmp_path)
    assert len(counting) == 2 and r.draws == 20
    assert cache.lookup(pkl.stem, tmp_path) is not None  # rewritten


def test_env_var_and_cli(smoke, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv(cache.ENV_VAR, str(tmp_path / "c"))
    assert cache.cache_dir() == tmp_path / "c"
    cache.cached_simulate(smoke, draws=20, seed=1)
    cache.cached_simulate(smoke, draws=20, seed=2)
    other = tmp_path / "c" / "keep.txt"
    other.write_text("not ours")
    assert main(["cache", "info"]) == 0
    out = capsys.readouterr().out
    assert "2 cached results" in out and "smoke" in out
    assert main(["cache", "clear", "--dir", str(tmp_path / "c")]) == 0
    assert "removed 2" in capsys.readouterr().out
    assert cache.info().entries == 0 and other.exists()
    assert main(["cache"]) == 2
