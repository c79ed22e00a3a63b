"""Result cache: a re-run of an unchanged scenario loads instead of simulating.

The key is the SHA-256 of the canonical JSON of

* the resolved scenario's hash (:func:`ocop_sim.scenarios.scenario_hash`: every lever,
  assumption, distribution, event, horizon and pack name),
* the run settings: draws, seed, mode, sample_assumptions,
* :data:`ocop_sim.results.MODEL_VERSION` and the package ``__version__``,
* the SHA-256 of the pack's data files the run reads (``pack.yaml``: areas, groups, stocks,
  rounds, events; ``actuals.csv``), so editing a pack also invalidates results,
* the SHA-256 of the posterior file a scenario names (its draws feed Monte Carlo).

A changed assumption, seed, draw count or model version therefore gives a different key and
never serves a stale result.  Entries are pickle files ``<key>.pkl`` (the :class:`Result`) with a
small ``<key>.json`` beside them (scenario name, settings, size, creation time) for
``ocop-sim cache info``; both are written atomically.

The cache folder is ``$OCOP_SIM_CACHE`` if set, else ``.ocop_cache/`` in the working folder.
Pickle files are only ever read from this folder, which the user owns: never point the cache
at a folder other people can write to.
"""
from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
import pickle
from dataclasses import dataclass
from pathlib import Path

from .io import atomic_write_bytes, atomic_write_text

__all__ = ["cache_dir", "cache_key", "cached_simulate", "lookup", "store", "clear", "info", "CacheInfo",
           "ENV_VAR", "DEFAULT_DIR"]

ENV_VAR = "OCOP_SIM_CACHE"
DEFAULT_DIR = ".ocop_cache"
_SUFFIX = ".pkl"


def cache_dir(folder: str | Path | None = None) -> Path:
    """The cache folder: ``folder``, else ``$OCOP_SIM_CACHE``, else ``./.ocop_cache``."""
    if folder is not None:
        return Path(folder)
    env = os.environ.get(ENV_VAR)
    return Path(env) if env else Path.cwd() / DEFAULT_DIR


def _data_hash(pack: str) -> str:
    """SHA-256 of the pack's files (``pack.yaml`` and ``actuals.csv``) that a run reads."""
    from .packs import load_pack

    return load_pack(pack).digest


def _posterior_hash(scenario) -> str:
    """SHA-256 of the posterior file (and sidecar) a scenario names: Monte Carlo draws depend on it."""
    if not getattr(scenario, "posterior", None):
        return ""
    h = hashlib.sha256()
    from .scenarios import params_file

    post = params_file(scenario.posterior)
    for p in (post, Path(str(post) + ".json")):
        try:
            h.update(p.read_bytes())
        except OSError:
            h.update(b"missing")
    return h.hexdigest()


def _settings(scenario, draws: int | None, seed: int | None, mode: str, sample_assumptions: bool) -> dict:
    """The run settings as :func:`ocop_sim.simulate` resolves them (defaults filled in)."""
    seed = scenario.seed if seed is None else int(seed)
    if mode == "expected":
        draws, sample_assumptions = 1, False
    else:
        draws = scenario.draws if draws is None else int(draws)
    return {"draws": draws, "seed": seed, "mode": mode, "sample_assumptions": bool(sample_assumptions)}


def cache_key(scenario, draws: int | None = None, seed: int | None = None, mode: str = "monte_carlo",
              sample_assumptions: bool = True) -> str:
    """SHA-256 hex key of a run: scenario hash, run settings, model and package versions, data files."""
    from . import __version__
    from .results import MODEL_VERSION
    from .scenarios import scenario_hash

    blob = {"scenario": scenario_hash(scenario), **_settings(scenario, draws, seed, mode, sample_assumptions),
            "model_version": MODEL_VERSION, "package_version": __version__,
            "data": _data_hash(scenario.pack), "posterior": _posterior_hash(scenario)}
    return hashlib.sha256(json.dumps(blob, sort_keys=True).encode()).hexdigest()


def lookup(key: str, folder: str | Path | None = None):
    """The cached Result for ``key``, or None (a missing or unreadable entry is a miss)."""
    p = cache_dir(folder) / f"{key}{_SUFFIX}"
    try:
        blob = p.read_bytes()
    except OSError:
        return None
    try:
        return pickle.loads(blob)  # noqa: S301 - only files this package wrote in the user's own cache folder
    except Exception:  # noqa: BLE001 - a truncated/foreign file: drop it and recompute
        for q in (p, p.with_suffix(".json")):
            try:
                q.unlink()
            except OSError:
                pass
        return None


def store(key: str, result, folder: str | Path | None = None) -> Path:
    """Write ``result`` under ``key`` (atomically); returns the pickle's path."""
    d = cache_dir(folder)
    blob = pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
    p = atomic_write_bytes(d / f"{key}{_SUFFIX}", blob)
    meta = {"key": key, "scenario": result.scenario.name, "mode": result.mode, "draws": result.draws,
            "seed": result.seed, "bytes": len(blob),
            "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")}
    atomic_write_text(d / f"{key}.json", json.dumps(meta, ensure_ascii=False))
    return p


def cached_simulate(scenario, draws: int | None = None, seed: int | None = None, mode: str = "monte_carlo",
                    cache_dir: str | Path | None = None, use_cache: bool = True, executor=None,
                    sample_assumptions: bool = True):
    """:func:`ocop_sim.simulate` through the cache.

    Parameters
    ----------
    scenario : Scenario
        The resolved scenario.
    draws, seed, mode, sample_assumptions, executor
        As for :func:`ocop_sim.simulate` (the executor does not enter the key: every executor
        gives bit-for-bit the same result).
    cache_dir : path, optional
        Cache folder (default: ``$OCOP_SIM_CACHE`` or ``./.ocop_cache``).
    use_cache : bool
        False (``--no-cache``): simulate, neither read nor write the cache.
    """
    from .simulate import simulate

    if not use_cache:
        return simulate(scenario, draws=draws, seed=seed, mode=mode, sample_assumptions=sample_assumptions,
                        executor=executor)
    key = cache_key(scenario, draws, seed, mode, sample_assumptions)
    hit = lookup(key, cache_dir)
    if hit is not None:
        return hit
    res = simulate(scenario, draws=draws, seed=seed, mode=mode, sample_assumptions=sample_assumptions,
                   executor=executor)
    store(key, res, cache_dir)
    return res


@dataclass(frozen=True)
class CacheInfo:
    """What the cache folder holds: entries [-], total size [bytes], per-entry metadata."""

    folder: Path
    entries: int
    bytes: int
    items: tuple[dict, ...]


def info(folder: str | Path | None = None) -> CacheInfo:
    """Entries of the cache folder (newest first)."""
    d = cache_dir(folder)
    items = []
    total = 0
    for p in sorted(d.glob(f"*{_SUFFIX}")) if d.is_dir() else []:
        size = p.stat().st_size
        total += size
        try:
            meta = json.loads(p.with_suffix(".json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            meta = {"key": p.stem}
        meta["bytes"] = size
        items.append(meta)
    items.sort(key=lambda m: m.get("created", ""), reverse=True)
    return CacheInfo(folder=d, entries=len(items), bytes=total, items=tuple(items))


def clear(folder: str | Path | None = None) -> int:
    """Delete the cache's entries (only ``<64 hex>.pkl/.json`` files); returns how many results."""
    d = cache_dir(folder)
    n = 0
    if not d.is_dir():
        return 0
    for p in d.iterdir():
        stem, suffix = p.stem, p.suffix
        if suffix in (_SUFFIX, ".json") and len(stem) == 64 and all(c in "0123456789abcdef" for c in stem):
            p.unlink()
            n += suffix == _SUFFIX
    return n
