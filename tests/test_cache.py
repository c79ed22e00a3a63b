"""Result cache: hits load instead of simulating; any change of inputs or versions misses."""
from __future__ import annotations

import importlib
from pathlib import Path

import numpy as np
import pytest

import ocop_sim
import ocop_sim.version
from ocop_sim import cache, load
from ocop_sim.cli import main

SIM_MODULE = importlib.import_module("ocop_sim.simulate")

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def smoke():
    return load(ROOT / "params" / "smoke.yaml").scenario


@pytest.fixture
def counting(monkeypatch):
    """Count calls of the real simulate (as the cache calls it)."""
    calls = []
    real = cache.simulate

    def spy(*a, **k):
        calls.append((a, k))
        return real(*a, **k)

    monkeypatch.setattr(cache, "simulate", spy)
    return calls


def _with_assumption(scenario, name, value):
    return scenario.model_copy(update={"assumptions": scenario.assumptions.model_copy(update={name: value})})


def test_hit_returns_identical_result_without_simulating(smoke, tmp_path, counting):
    a = cache.cached_simulate(smoke, draws=40, seed=3, cache_dir=tmp_path)
    b = cache.cached_simulate(smoke, draws=40, seed=3, cache_dir=tmp_path)
    assert len(counting) == 1
    assert np.array_equal(a.series("products_3star_plus"), b.series("products_3star_plus"))
    assert b.seed == 3 and b.draws == 40
    assert len(list(tmp_path.glob("*.npz"))) == 1 and len(list(tmp_path.glob("*.json"))) == 1
    assert not list(tmp_path.glob("*.pkl"))  # no pickle on disk


def test_a_cached_run_keeps_the_time_it_was_computed(smoke, tmp_path):
    """A report rendered again from a cached run says when the run was made, not when it was read:
    two renders of one cached run are the same document (tests/test_report_bundle.py)."""
    from ocop_sim.simulate import simulate

    res = simulate(smoke, draws=8, seed=1)
    res = res.__class__(scenario=res.scenario, arrays=res.arrays, mode=res.mode, seed=res.seed, draws=res.draws,
                        created="2026-01-02T03:04:05+00:00")
    back = cache.load_entry(cache.save_entry(tmp_path, "run", res), smoke)
    assert back.created == "2026-01-02T03:04:05+00:00"
    assert back.manifest()["created"] == res.manifest()["created"] == "2026-01-02T03:04:05+00:00"
    fresh = simulate(smoke, draws=8, seed=1)
    assert fresh.created != res.created and fresh.manifest()["created"] == fresh.created


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
    monkeypatch.setattr(cache, "MODEL_VERSION", ocop_sim.version.MODEL_VERSION + "-next")
    cache.cached_simulate(smoke, draws=20, seed=1, cache_dir=tmp_path)
    assert len(counting) == 2
    monkeypatch.setattr(cache, "__version__", ocop_sim.version.__version__ + ".dev1")
    cache.cached_simulate(smoke, draws=20, seed=1, cache_dir=tmp_path)
    assert len(counting) == 3


def test_no_cache_neither_reads_nor_writes(smoke, tmp_path, counting):
    cache.cached_simulate(smoke, draws=20, seed=1, cache_dir=tmp_path, use_cache=False)
    cache.cached_simulate(smoke, draws=20, seed=1, cache_dir=tmp_path, use_cache=False)
    assert len(counting) == 2 and not list(tmp_path.iterdir())


def test_corrupt_entry_is_a_miss(smoke, tmp_path, counting):
    cache.cached_simulate(smoke, draws=20, seed=1, cache_dir=tmp_path)
    (npz,) = tmp_path.glob("*.npz")
    npz.write_bytes(b"not an array file")
    with pytest.warns(cache.CacheWarning, match="discarded"):
        r = cache.cached_simulate(smoke, draws=20, seed=1, cache_dir=tmp_path)
    assert len(counting) == 2 and r.draws == 20
    assert cache.lookup(npz.stem, tmp_path, smoke) is not None  # rewritten


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


# ----------------------------------------------------------------------------- issue 12: a cache that verifies


def _entry(folder: Path):
    (npz,) = folder.glob("*.npz")
    return npz, npz.with_suffix(".json")


def test_planted_pickle_never_runs(smoke, tmp_path, counting):
    """A pickle planted under the key of a run (as .npz, and as the old .pkl) runs no code."""
    import pickle

    witness = tmp_path / "pwned"

    class Boom:
        def __reduce__(self):
            return (Path.write_text, (witness, "code ran"))

    key = cache.cache_key(smoke, draws=20, seed=1)
    (tmp_path / f"{key}.pkl").write_bytes(pickle.dumps(Boom()))
    (tmp_path / f"{key}.npz").write_bytes(pickle.dumps(Boom()))
    (tmp_path / f"{key}.json").write_text('{"format": "ocop-sim-result/1", "mac": "0"}')
    with pytest.warns(cache.CacheWarning, match="discarded"):
        r = cache.cached_simulate(smoke, draws=20, seed=1, cache_dir=tmp_path)
    assert not witness.exists() and len(counting) == 1 and r.seed == 1


def test_seed1_entry_copied_under_seed2_key_is_refused(smoke, tmp_path, counting):
    a = cache.cached_simulate(smoke, draws=20, seed=1, cache_dir=tmp_path)
    npz, js = _entry(tmp_path)
    k2 = cache.cache_key(smoke, draws=20, seed=2)
    (tmp_path / f"{k2}.npz").write_bytes(npz.read_bytes())
    (tmp_path / f"{k2}.json").write_bytes(js.read_bytes())
    with pytest.warns(cache.CacheWarning, match=r"inputs\.(key|seed): expected"):
        b = cache.cached_simulate(smoke, draws=20, seed=2, cache_dir=tmp_path)
    assert len(counting) == 2 and b.seed == 2
    assert not np.array_equal(a.series("products_3star_plus"), b.series("products_3star_plus"))
    fresh = SIM_MODULE.simulate(smoke, draws=20, seed=2)
    assert np.array_equal(b.series("products_3star_plus"), fresh.series("products_3star_plus"))


def test_seed1_entry_resigned_with_the_key_is_still_refused(smoke, tmp_path, counting):
    """Even with the cache's own key (a user moving files about), the recorded inputs must match."""
    import json

    cache.cached_simulate(smoke, draws=20, seed=1, cache_dir=tmp_path)
    npz, js = _entry(tmp_path)
    k2 = cache.cache_key(smoke, draws=20, seed=2)
    meta = json.loads(js.read_text())
    meta["inputs"]["key"] = k2
    meta["mac"] = cache._mac(cache._secret(tmp_path, False), meta)
    (tmp_path / f"{k2}.npz").write_bytes(npz.read_bytes())
    (tmp_path / f"{k2}.json").write_text(json.dumps(meta))
    with pytest.warns(cache.CacheWarning, match="inputs.seed: expected 2, got 1"):
        b = cache.cached_simulate(smoke, draws=20, seed=2, cache_dir=tmp_path)
    assert b.seed == 2 and len(counting) == 2


@pytest.mark.parametrize("offset", [100, -200, -10])
def test_flipped_bits_are_detected(smoke, tmp_path, counting, offset):
    a = cache.cached_simulate(smoke, draws=20, seed=1, cache_dir=tmp_path)
    npz, _ = _entry(tmp_path)
    raw = bytearray(npz.read_bytes())
    raw[offset] ^= 0x10
    npz.write_bytes(bytes(raw))
    with pytest.warns(cache.CacheWarning, match="SHA-256|unreadable"):
        b = cache.cached_simulate(smoke, draws=20, seed=1, cache_dir=tmp_path)
    assert len(counting) == 2
    assert np.array_equal(a.series("products_3star_plus"), b.series("products_3star_plus"))


def test_edited_metadata_fails_the_mac(smoke, tmp_path, counting):
    cache.cached_simulate(smoke, draws=20, seed=1, cache_dir=tmp_path)
    _, js = _entry(tmp_path)
    js.write_text(js.read_text().replace('"draws": 20', '"draws": 21', 1))
    with pytest.warns(cache.CacheWarning, match="mac"):
        cache.cached_simulate(smoke, draws=20, seed=1, cache_dir=tmp_path)
    assert len(counting) == 2


def test_foreign_entry_from_another_cache_is_refused(smoke, tmp_path, counting):
    other = tmp_path / "other"
    cache.cached_simulate(smoke, draws=20, seed=1, cache_dir=other)
    mine = tmp_path / "mine"
    cache.cached_simulate(smoke, draws=20, seed=2, cache_dir=mine)  # has its own key
    npz, js = _entry(other)
    (mine / npz.name).write_bytes(npz.read_bytes())
    (mine / js.name).write_bytes(js.read_bytes())
    with pytest.warns(cache.CacheWarning, match="mac"):
        cache.cached_simulate(smoke, draws=20, seed=1, cache_dir=mine)
    assert len(counting) == 3
    assert (other / cache.KEY_FILE).read_bytes() != (mine / cache.KEY_FILE).read_bytes()


def test_wrong_typed_arrays_signed_with_the_key_are_refused(smoke, tmp_path, counting):
    """An entry whose arrays are of the wrong type or shape (even correctly signed) is discarded,
    and every later run works (v0.1: a pickle of the wrong type crashed every later run)."""
    import hashlib
    import io
    import json

    cache.cached_simulate(smoke, draws=20, seed=1, cache_dir=tmp_path)
    npz, js = _entry(tmp_path)
    buf = io.BytesIO()
    np.savez(buf, years=np.array(["a", "b"]), **{"stocks/entities": np.zeros((3, 20))})
    blob = buf.getvalue()
    meta = json.loads(js.read_text())
    meta.update(npz_sha256=hashlib.sha256(blob).hexdigest(), bytes=len(blob))
    meta["mac"] = cache._mac(cache._secret(tmp_path, False), meta)
    npz.write_bytes(blob)
    js.write_text(json.dumps(meta))
    with pytest.warns(cache.CacheWarning, match="years: expected a 1-D integer array"):
        r = cache.cached_simulate(smoke, draws=20, seed=1, cache_dir=tmp_path)
    assert len(counting) == 2 and r.series("products_3star_plus").shape[1] == 20
    cache.cached_simulate(smoke, draws=20, seed=1, cache_dir=tmp_path)
    assert len(counting) == 2  # the recomputed entry serves the next run


def test_key_file_is_private_and_a_shared_one_is_not_trusted(smoke, tmp_path, counting):
    import stat

    cache.cached_simulate(smoke, draws=20, seed=1, cache_dir=tmp_path)
    kf = tmp_path / cache.KEY_FILE
    assert stat.S_IMODE(kf.stat().st_mode) == 0o600
    kf.chmod(0o644)
    with pytest.warns(cache.CacheWarning, match="private key file"):
        r = cache.cached_simulate(smoke, draws=20, seed=1, cache_dir=tmp_path)
    assert len(counting) == 2 and r.draws == 20


def test_unwritable_cache_folder_degrades_to_no_cache(smoke, tmp_path, counting):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    with pytest.warns(cache.CacheWarning, match="not used"):
        r = cache.cached_simulate(smoke, draws=20, seed=1, cache_dir=blocker / "cache")
    assert r.draws == 20 and len(counting) == 1 and blocker.read_text() == "not a folder"


def test_full_disk_while_storing_degrades_to_no_cache(smoke, tmp_path, counting, monkeypatch):
    """A fake writer stands in for a full or read-only file system (no tmpfs in the test box)."""
    import errno

    def full(*a, **k):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(cache, "atomic_write_bytes", full)
    with pytest.warns(cache.CacheWarning, match="No space left"):
        r = cache.cached_simulate(smoke, draws=20, seed=1, cache_dir=tmp_path)
    assert r.draws == 20
    assert not list(tmp_path.glob("*.npz")) and not list(tmp_path.glob("*.json"))


def test_cli_run_warns_and_succeeds_with_unwritable_cache(tmp_path, monkeypatch, capsys):
    blocker = tmp_path / "a_file"
    blocker.write_text("x")
    monkeypatch.setenv(cache.ENV_VAR, str(blocker / "c"))
    with pytest.warns(cache.CacheWarning):
        assert main(["run", str(ROOT / "params" / "smoke.yaml"), "--draws", "20"]) == 0


def test_reproduce_is_not_fooled_by_a_planted_entry(tmp_path, monkeypatch, capsys):
    """A seed-1 entry planted under the seed-2 key: run --seed 2 recomputes, and reproduce (which
    never reads the cache) confirms the seed-2 numbers."""
    import json

    monkeypatch.setenv(cache.ENV_VAR, str(tmp_path / "c"))
    smoke_yaml = str(ROOT / "params" / "smoke.yaml")
    assert main(["run", smoke_yaml, "--draws", "20", "--seed", "1", "--out", str(tmp_path / "o1")]) == 0
    sc = load(ROOT / "params" / "smoke.yaml").scenario
    k1, k2 = cache.cache_key(sc, draws=20, seed=1), cache.cache_key(sc, draws=20, seed=2)
    for suf in (".npz", ".json"):
        (tmp_path / "c" / f"{k2}{suf}").write_bytes((tmp_path / "c" / f"{k1}{suf}").read_bytes())
    with pytest.warns(cache.CacheWarning):
        assert main(["run", smoke_yaml, "--draws", "20", "--seed", "2", "--out", str(tmp_path / "o2")]) == 0
    capsys.readouterr()
    m = json.loads((tmp_path / "o2" / "smoke_manifest.json").read_text())
    assert m["seed"] == 2
    assert main(["reproduce", str(tmp_path / "o2" / "smoke_manifest.json")]) == 0
    assert "reproduced smoke" in capsys.readouterr().out
    s1 = (tmp_path / "o1" / "smoke_summary.csv").read_text()
    assert s1 != (tmp_path / "o2" / "smoke_summary.csv").read_text()


def test_info_shows_only_plain_fields(tmp_path, smoke):
    cache.cached_simulate(smoke, draws=20, seed=1, cache_dir=tmp_path)
    (it,) = cache.info(tmp_path).items
    assert it["scenario"] == "smoke" and it["seed"] == 1 and "resolved_scenario" not in it
    assert cache.clear(tmp_path) == 1 and not list(tmp_path.glob("*.npz"))
