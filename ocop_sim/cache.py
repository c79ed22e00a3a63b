"""Result cache: a re-run of an unchanged scenario loads instead of simulating — and verifies
what it loads.

The key is the SHA-256 of the canonical JSON of

* the resolved scenario's hash (:func:`ocop_sim.scenarios.resolved_hash`: every lever,
  assumption, distribution, event, horizon and pack name),
* the run settings: draws, seed, mode, sample_assumptions,
* :data:`ocop_sim.version.MODEL_VERSION` and the package ``__version__``,
* the SHA-256 of the pack's data files the run reads (``pack.yaml``: areas, groups, stocks,
  rounds, events; ``actuals.csv``), so editing a pack also invalidates results,
* the SHA-256 of the posterior file a scenario names (its draws feed Monte Carlo),
* the SHA-256 of the contents of the target registries it names
  (:func:`ocop_sim.targets.registries_digest`).

No pickle.  An entry is two files:

``<key>.npz``
    the raw arrays of the run (:class:`~ocop_sim.results.RunArrays`), numeric only, read with
    ``allow_pickle=False`` (a planted file cannot run code);
``<key>.json``
    its metadata — the inputs above, the resolved scenario, the array file's SHA-256 and size —
    and ``mac``: an HMAC-SHA256 of the metadata with the cache's own secret key
    (``.ocop_cache_key``: 32 random bytes from :mod:`secrets`, file mode 0600, made on first use).

On load the MAC, the array file's checksum, every recorded input (against what this run
expects: a seed-1 entry copied under the seed-2 key is refused) and the arrays' names, types and
shapes are checked.  A corrupt, foreign, mismatching or wrong-typed entry is removed with a
:class:`CacheWarning` and the run recomputes.  A cache folder that cannot be created or written
degrades to no cache (a warning; the run succeeds).

The cache folder is ``$OCOP_SIM_CACHE`` if set, else ``.ocop_cache/`` in the working folder.
The batch runner hands results to its report kernels through the same format
(:func:`save_entry` / :func:`load_entry`) in a folder of its own.

Longer than 400 lines because the signed format (key, HMAC, checksums, the arrays' names, types and
shapes) is checked at every load, and each check has its own refusal; the batch runner's bundles use
the same reader and writer.
"""
from __future__ import annotations

import datetime as _dt
import hashlib
import hmac
import io as _io
import json
import os
import secrets
import stat
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .config import Scenario
from .errors import OcopError
from .io import atomic_write_bytes, atomic_write_text, safe_child
from .packs import load_pack
from .results import Result, RunArrays
from .scenarios import params_file
from .scenarios import resolved_hash as scenario_hash  # every field: a cache is never stale
from .simulate import resolve_engine, simulate
from .targets import registries_digest
from .version import MODEL_VERSION, __version__

__all__ = ["cache_dir", "cache_key", "cached_simulate", "lookup", "store", "clear", "info", "CacheInfo",
           "CacheError", "CacheWarning", "save_entry", "load_entry", "ENV_VAR", "DEFAULT_DIR", "KEY_FILE"]

ENV_VAR = "OCOP_SIM_CACHE"
DEFAULT_DIR = ".ocop_cache"
KEY_FILE = ".ocop_cache_key"
_SUFFIX = ".npz"
FORMAT = "ocop-sim-result/1"
#: the metadata of an entry is small (a resolved scenario and a few hashes): a larger file is not ours
MAX_META_BYTES = 4_000_000
_GROUPS = ("stocks", "flows", "params", "spending", "initial")


class CacheError(OcopError, ValueError):
    """A cache entry failed verification (corrupt, foreign, mismatching or of the wrong type)."""


class CacheWarning(UserWarning):
    """The cache could not be used as asked (an entry discarded, a folder not writable)."""


def _warn(msg: str) -> None:
    warnings.warn(msg, CacheWarning, stacklevel=3)


def cache_dir(folder: str | Path | None = None) -> Path:
    """The cache folder: ``folder``, else ``$OCOP_SIM_CACHE``, else ``./.ocop_cache``."""
    if folder is not None:
        return Path(folder)
    env = os.environ.get(ENV_VAR)
    return Path(env) if env else Path.cwd() / DEFAULT_DIR


# ----------------------------------------------------------------------------- inputs of a run


def _data_hash(pack: str) -> str:
    """SHA-256 of the pack's files (``pack.yaml`` and ``actuals.csv``) that a run reads."""
    return load_pack(pack).digest


def _posterior_hash(scenario) -> str:
    """SHA-256 of the posterior file (and sidecar) a scenario names: Monte Carlo draws depend on it."""
    if not getattr(scenario, "posterior", None):
        return ""
    h = hashlib.sha256()
    post = params_file(scenario.posterior)
    for p in (post, Path(str(post) + ".json")):
        try:
            h.update(p.read_bytes())
        except OSError:
            h.update(b"missing")
    return h.hexdigest()


def _settings(scenario, draws: int | None, seed: int | None, mode: str, sample_assumptions: bool,
              engine: str = "numpy") -> dict:
    """The run settings as :func:`ocop_sim.simulate` resolves them (defaults filled in).  The
    engine enters only when it is not the numpy reference, so the keys of numpy runs stay what
    they were before there was a choice."""
    seed = scenario.seed if seed is None else int(seed)
    engine = resolve_engine(engine)
    if mode == "expected":
        draws, sample_assumptions, engine = 1, False, "numpy"
    else:
        draws = scenario.draws if draws is None else int(draws)
    out = {"draws": draws, "seed": seed, "mode": mode, "sample_assumptions": bool(sample_assumptions)}
    if engine != "numpy":
        out["engine"] = engine
    return out


def run_inputs(scenario, draws: int | None = None, seed: int | None = None, mode: str = "monte_carlo",
               sample_assumptions: bool = True, engine: str = "numpy") -> dict:
    """Everything a run's numbers depend on (what the key hashes and what a loaded entry must match)."""
    return {"scenario": scenario_hash(scenario), **_settings(scenario, draws, seed, mode, sample_assumptions, engine),
            "model_version": MODEL_VERSION, "package_version": __version__,
            "data": _data_hash(scenario.pack), "posterior": _posterior_hash(scenario),
            "registries": registries_digest(scenario)}


def cache_key(scenario, draws: int | None = None, seed: int | None = None, mode: str = "monte_carlo",
              sample_assumptions: bool = True, engine: str = "numpy") -> str:
    """SHA-256 hex key of a run: scenario hash, run settings (engine included), model and package
    versions, data files, posterior and target registries."""
    blob = run_inputs(scenario, draws, seed, mode, sample_assumptions, engine)
    return hashlib.sha256(json.dumps(blob, sort_keys=True).encode()).hexdigest()


# ----------------------------------------------------------------------------- the secret key


def _secret(folder: Path, create: bool) -> bytes | None:
    """The folder's secret key (made with :mod:`secrets`, mode 0600, on first use when ``create``).

    None when there is none and ``create`` is False.  Raises CacheError when the key file is not
    a private regular file of this user (a key others can read or replace authenticates nothing)."""
    p = folder / KEY_FILE
    try:
        fd = os.open(p, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except FileNotFoundError:
        if not create:
            return None
        folder.mkdir(parents=True, exist_ok=True)
        key = secrets.token_bytes(32)
        try:
            fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
        except FileExistsError:  # another process made it first: use theirs
            return _secret(folder, False)
        with os.fdopen(fd, "wb") as fh:
            fh.write(key.hex().encode())
            fh.flush()
            os.fsync(fh.fileno())
        return key
    except OSError as exc:
        raise CacheError(f"{p}: cannot read the cache key ({exc.strerror})") from None
    with os.fdopen(fd, "rb") as fh:
        st = os.fstat(fh.fileno())
        if not stat.S_ISREG(st.st_mode) or st.st_mode & 0o077 or (hasattr(os, "getuid") and st.st_uid != os.getuid()):
            raise CacheError(f"{p}: expected a private key file of this user (mode 0600), got mode "
                             f"{stat.S_IMODE(st.st_mode):o}, owner {st.st_uid}")
        raw = fh.read(200)
    try:
        key = bytes.fromhex(raw.decode("ascii").strip())
    except (UnicodeDecodeError, ValueError):
        key = b""
    if len(key) != 32:
        raise CacheError(f"{p}: expected 64 hex digits of a cache key, got {len(raw)} bytes of something else")
    return key


def _mac(key: bytes, meta: dict) -> str:
    body = {k: v for k, v in meta.items() if k != "mac"}
    return hmac.new(key, json.dumps(body, sort_keys=True, separators=(",", ":")).encode(), hashlib.sha256).hexdigest()


# ----------------------------------------------------------------------------- one entry


def _arrays_blob(arrays) -> bytes:
    named = {"years": np.asarray(arrays.years)}
    for g in _GROUPS:
        d = getattr(arrays, g)
        for k, v in (d or {}).items():
            named[f"{g}/{k}"] = np.ascontiguousarray(v)
    buf = _io.BytesIO()
    np.savez(buf, **named)
    return buf.getvalue()


def _arrays_from(blob: bytes, label: str, draws: int, has_initial: bool):
    try:
        with np.load(_io.BytesIO(blob), allow_pickle=False) as z:
            named = {n: z[n] for n in z.files}
    except Exception as exc:  # noqa: BLE001 - any unreadable array file is a bad entry
        raise CacheError(f"{label}: expected numeric arrays (.npz), got an unreadable file "
                         f"({type(exc).__name__})") from None
    years = named.pop("years", None)
    if years is None or years.ndim != 1 or years.dtype.kind not in "iu" or not 1 <= len(years) <= 10_000:
        raise CacheError(f"{label}: years: expected a 1-D integer array, got {None if years is None else years.dtype}")
    groups: dict[str, dict] = {g: {} for g in _GROUPS}
    for n, a in named.items():
        g, _, k = n.partition("/")
        if g not in groups or not k:
            raise CacheError(f"{label}: {n}: expected an array of {', '.join(_GROUPS)}, got an unknown name")
        if a.dtype.kind not in "fiub":
            raise CacheError(f"{label}: {n}: expected a numeric array, got dtype {a.dtype}")
        t = 1 if g == "initial" else len(years)
        if g in ("stocks", "flows", "initial") and (a.ndim < 2 or a.shape[0] != t or a.shape[1] != draws):
            raise CacheError(f"{label}: {n}: expected shape ({t}, {draws}, …), got {a.shape}")
        if g == "spending" and a.shape != (len(years),):
            raise CacheError(f"{label}: {n}: expected shape ({len(years)},), got {a.shape}")
        groups[g][k] = a
    if not groups["stocks"] or not groups["flows"]:
        raise CacheError(f"{label}: expected stocks and flows arrays, got none")
    return RunArrays(years=years, stocks=groups["stocks"], flows=groups["flows"], params=groups["params"],
                     spending=groups["spending"], initial=groups["initial"] if has_initial else None)


def write_signed_json(folder: str | Path, name: str, meta: dict) -> Path:
    """Write ``meta`` (plain JSON data with a ``format``) as ``name.json`` in ``folder``, signed with
    the folder's key (created when missing), atomically; returns the path.  :func:`read_signed_json`
    reads it back.  The result cache's metadata and the report bundles are written this way."""
    folder = Path(folder)
    meta = {**meta, "mac": _mac(_secret(folder, create=True), meta)}
    return atomic_write_text(safe_child(folder, f"{name}.json"), json.dumps(meta, ensure_ascii=False))


def read_signed_json(path: str | Path, fmt: str, what: str, noun: str, max_bytes: int) -> dict:
    """The JSON mapping at ``path`` after checking it is a regular file of at most ``max_bytes``,
    valid JSON of format ``fmt`` and signed with the key of its own folder (:func:`write_signed_json`).

    ``what`` names the file in messages ("metadata of a cache entry"), ``noun`` its kind ("entry").
    Raises CacheError naming the file, the field and what was expected; FileNotFoundError when
    there is no file."""
    p = Path(path)
    st = p.stat()
    if not stat.S_ISREG(st.st_mode) or st.st_size > max_bytes:
        raise CacheError(f"{p}: expected {what} of at most {max_bytes} bytes, got {st.st_size}")
    try:
        meta = json.loads(p.read_bytes().decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise CacheError(f"{p}: expected the JSON {what}, got invalid JSON") from None
    if not isinstance(meta, dict) or meta.get("format") != fmt:
        raise CacheError(f"{p}: format: expected {fmt!r}, got "
                         f"{meta.get('format') if isinstance(meta, dict) else type(meta).__name__!r}")
    key = _secret(p.parent, create=False)
    if key is None:
        raise CacheError(f"{p}: expected a cache key {KEY_FILE} beside it, got none (a foreign {noun})")
    mac = meta.get("mac")
    if not isinstance(mac, str) or not hmac.compare_digest(mac, _mac(key, meta)):
        raise CacheError(f"{p}: mac: expected the signature of this folder's key, got a different one "
                         f"(a foreign or edited {noun})")
    return meta


def save_entry(folder: str | Path, name: str, result, inputs: dict | None = None) -> Path:
    """Write ``result`` as ``name.npz`` + signed ``name.json`` in ``folder`` (atomically); returns
    the ``.npz`` path.  ``inputs``: what a later load must match (default: the result's scenario
    hash and settings).  Raises OSError when the folder cannot be written."""
    folder = Path(folder)
    _secret(folder, create=True)  # the key first: an unwritable folder fails before any file is written
    blob = _arrays_blob(result.arrays)
    meta = {"format": FORMAT, "name": name,
            "inputs": inputs if inputs is not None else {"scenario": scenario_hash(result.scenario),
                                                         "draws": int(result.draws), "seed": int(result.seed),
                                                         "mode": result.mode},
            "scenario_name": result.scenario.name, "mode": result.mode, "seed": int(result.seed),
            "draws": int(result.draws), "n_draws": int(result.n_draws),
            "has_initial": result.arrays.initial is not None,
            "resolved_scenario": result.scenario.model_dump(mode="json"),
            "npz_sha256": hashlib.sha256(blob).hexdigest(), "bytes": len(blob),
            "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
            "run_created": str(result.created), "engine": str(result.engine)}
    p = atomic_write_bytes(safe_child(folder, f"{name}{_SUFFIX}"), blob)
    write_signed_json(folder, name, meta)
    return p


def load_entry(path: str | Path, scenario=None, inputs: dict | None = None):
    """The verified Result stored at ``path`` (``name.npz``, its ``name.json`` beside it).

    Checks the MAC with the folder's key, the array file's checksum, ``inputs`` (each recorded
    input must equal the given one), the scenario (its hash, when given; else the recorded resolved
    scenario is rebuilt) and the arrays' names, types and shapes.  Raises CacheError on any
    mismatch and FileNotFoundError when there is no entry."""
    from pydantic import ValidationError

    p = Path(path)
    label = str(p)
    jp = p.with_suffix(".json")
    if not jp.exists() and p.exists():
        raise CacheError(f"{label}: expected its signed metadata {jp.name} beside it, got none")
    meta = read_signed_json(jp, FORMAT, "metadata of a cache entry", "entry", MAX_META_BYTES)
    rec = meta.get("inputs")
    if not isinstance(rec, dict):
        raise CacheError(f"{jp}: inputs: expected a mapping, got {type(rec).__name__}")
    for k, v in (inputs or {}).items():
        if rec.get(k) != v:
            raise CacheError(f"{jp}: inputs.{k}: expected {v!r}, got {rec.get(k)!r} (an entry of another run)")
    if p.stat().st_size != meta.get("bytes"):
        raise CacheError(f"{label}: expected {meta.get('bytes')} bytes, got {p.stat().st_size}")
    blob = p.read_bytes()
    if not hmac.compare_digest(hashlib.sha256(blob).hexdigest(), str(meta.get("npz_sha256"))):
        raise CacheError(f"{label}: expected the recorded SHA-256 {str(meta.get('npz_sha256'))[:16]}…, got another "
                         "(the array file changed)")
    if scenario is None:
        try:
            scenario = Scenario.model_validate(meta.get("resolved_scenario"))
        except ValidationError:
            raise CacheError(f"{jp}: resolved_scenario: expected a valid scenario, got an invalid one") from None
    elif scenario_hash(scenario) != rec.get("scenario"):
        raise CacheError(f"{jp}: inputs.scenario: expected {scenario_hash(scenario)[:16]}…, got "
                         f"{str(rec.get('scenario'))[:16]}… (another scenario)")
    mode, seed, draws, n = meta.get("mode"), meta.get("seed"), meta.get("draws"), meta.get("n_draws")
    if mode not in ("monte_carlo", "expected") or not all(isinstance(x, int) and not isinstance(x, bool)
                                                          for x in (seed, draws, n)):
        raise CacheError(f"{jp}: expected mode, seed, draws of a run, got {mode!r}, {seed!r}, {draws!r}")
    arrays = _arrays_from(blob, label, n, bool(meta.get("has_initial")))
    engine = meta.get("engine", "numpy")
    if engine not in ("numpy", "compiled"):
        raise CacheError(f"{jp}: engine: expected 'numpy' or 'compiled', got {engine!r}")
    return Result(scenario=scenario, arrays=arrays, mode=mode, seed=seed, draws=draws,
                  created=str(meta.get("run_created") or meta.get("created", "")), engine=engine)


def _discard(p: Path) -> None:
    for q in (p, p.with_suffix(".json")):
        try:
            q.unlink()
        except OSError:
            pass


# ----------------------------------------------------------------------------- the result cache


def lookup(key: str, folder: str | Path | None = None, scenario=None, inputs: dict | None = None):
    """The verified cached Result for ``key``, or None.

    A missing entry is a miss; an entry that fails verification (:func:`load_entry`) is removed
    with a :class:`CacheWarning` and is a miss."""
    p = cache_dir(folder) / f"{key}{_SUFFIX}"
    try:
        return load_entry(p, scenario, {**(inputs or {}), "key": key})
    except (FileNotFoundError, NotADirectoryError):
        return None
    except (CacheError, OSError) as exc:
        _warn(f"cache entry discarded, recomputing: {exc}")
        _discard(p)
        return None


def store(key: str, result, folder: str | Path | None = None, inputs: dict | None = None) -> Path | None:
    """Write ``result`` under ``key`` (atomically, signed); returns the ``.npz`` path, or None with a
    :class:`CacheWarning` when the cache folder cannot be written (the run goes on without cache)."""
    d = cache_dir(folder)
    rec = {"key": key, **(inputs or {"scenario": scenario_hash(result.scenario), "draws": int(result.draws),
                                     "seed": int(result.seed), "mode": result.mode})}
    try:
        return save_entry(d, key, result, rec)
    except (OSError, CacheError) as exc:
        _warn(f"result cache {d} not used: {exc}")
        return None


def cached_simulate(scenario, draws: int | None = None, seed: int | None = None, mode: str = "monte_carlo",
                    cache_dir: str | Path | None = None, use_cache: bool = True, executor=None,
                    sample_assumptions: bool = True, engine: str = "numpy"):
    """:func:`ocop_sim.simulate` through the cache.

    Parameters
    ----------
    scenario : Scenario
        The resolved scenario.
    draws, seed, mode, sample_assumptions, executor, engine
        As for :func:`ocop_sim.simulate` (the executor does not enter the key: every executor
        gives bit-for-bit the same result).
    cache_dir : path, optional
        Cache folder (default: ``$OCOP_SIM_CACHE`` or ``./.ocop_cache``).
    use_cache : bool
        False (``--no-cache``): simulate, neither read nor write the cache.
    """
    if not use_cache:
        return simulate(scenario, draws=draws, seed=seed, mode=mode, sample_assumptions=sample_assumptions,
                        executor=executor, engine=engine)
    inputs = run_inputs(scenario, draws, seed, mode, sample_assumptions, engine)
    key = hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()
    hit = lookup(key, cache_dir, scenario, inputs)
    if hit is not None:
        return hit
    res = simulate(scenario, draws=draws, seed=seed, mode=mode, sample_assumptions=sample_assumptions,
                   executor=executor, engine=engine)
    store(key, res, cache_dir, inputs)
    return res


@dataclass(frozen=True)
class CacheInfo:
    """What the cache folder holds: entries [-], total size [bytes], per-entry metadata."""

    folder: Path
    entries: int
    bytes: int
    items: tuple[dict, ...]


_SHOWN = ("scenario_name", "mode", "draws", "seed", "created")


def info(folder: str | Path | None = None) -> CacheInfo:
    """Entries of the cache folder (newest first); only a few plain fields of each are shown."""
    d = cache_dir(folder)
    items = []
    total = 0
    for p in sorted(d.glob(f"*{_SUFFIX}")) if d.is_dir() else []:
        size = p.stat().st_size
        total += size
        meta = {"key": p.stem}
        try:
            raw = json.loads(p.with_suffix(".json").read_text(encoding="utf-8"))
        except (OSError, ValueError, RecursionError):
            raw = {}
        if isinstance(raw, dict):
            for k in _SHOWN:
                v = raw.get(k)
                if isinstance(v, (str, int)) and not isinstance(v, bool):
                    meta["scenario" if k == "scenario_name" else k] = v if isinstance(v, int) else v[:200]
        meta["bytes"] = size
        items.append(meta)
    items.sort(key=lambda m: str(m.get("created", "")), reverse=True)
    return CacheInfo(folder=d, entries=len(items), bytes=total, items=tuple(items))


def _is_key(stem: str) -> bool:
    return len(stem) == 64 and all(c in "0123456789abcdef" for c in stem)


def clear(folder: str | Path | None = None) -> int:
    """Delete the cache's entries (only ``<64 hex>.npz/.json`` files, and old ``.pkl``); returns
    how many results."""
    d = cache_dir(folder)
    n = 0
    if not d.is_dir():
        return 0
    for p in d.iterdir():
        stem, suffix = p.stem, p.suffix
        if suffix in (_SUFFIX, ".json", ".pkl") and _is_key(stem) and p.is_file():
            p.unlink()
            n += suffix == _SUFFIX
    return n
