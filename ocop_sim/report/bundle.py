"""What a scenario report computes once, for every language (:class:`ReportBundle`), and its
signed JSON file (save, load, the result cache)."""
from __future__ import annotations

import hashlib
import json
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .. import sensitivity
from ..cache import CacheError, CacheWarning, cache_dir, read_signed_json, run_inputs, write_signed_json
from ..checks import run_checks
from ..document import compute_summary
from .tables import key_sensitivity_tables

#: Monte Carlo draws of the reality checks' conditional reruns in a report (bounds their time).
CHECK_DRAWS = 200
#: Format of a report bundle: bump it when what a bundle holds, or how it is computed, changes.
BUNDLE_FORMAT = "ocop-sim-report-bundle/1"
#: A bundle is a few tables: a larger file is not ours.
MAX_BUNDLE_BYTES = 2_000_000


@dataclass(frozen=True)
class ReportBundle:
    """What a scenario report computes beyond reading its Result, the same in every language:
    the lever that moves each target at risk most (summary, parts IV–V: expected-mode tornados),
    the reality checks with their conditional Monte Carlo reruns (appendix 4) and the
    key-sensitivity tornados (appendix 5).

    The batch computes it once per scenario in its worker (:func:`compute_bundle`) and hands it
    to the vi and en kernels as a signed JSON file (:func:`save_bundle`, :func:`load_bundle`;
    no pickle); a notebook run on its own computes it in its kernel (:func:`report_bundle`).
    """
    scenario_hash: str
    seed: int
    draws: int
    mode: str
    #: per target at risk, in the summary's order: (registry, id, (lever, low, base, high) or None)
    levers: tuple
    #: :func:`ocop_sim.checks.run_checks` with :data:`CHECK_DRAWS` draws for the reruns
    checks: Any
    #: :func:`key_sensitivity_tables`: ``{year: DataFrame}``
    tornados: dict


class _SharedExpectedRuns:
    """Within the block, an expected-mode run the tornados ask for twice (same scenario: the
    lever variants of every target's tornado and of the key sensitivities) is computed once.

    Expected runs are deterministic, so the tables are those of separate calls, number for
    number (the report bundle test compares them)."""

    def __enter__(self):
        self._mod, self._orig, memo = sensitivity, getattr(sensitivity, "simulate", None), {}
        orig = self._orig

        def simulate(scenario, *args, **kwargs):
            if args or kwargs.get("mode") != "expected" or set(kwargs) - {"mode"}:
                return orig(scenario, *args, **kwargs)
            key = scenario.model_dump_json()
            if key not in memo:
                memo[key] = orig(scenario, *args, **kwargs)
            return memo[key]

        if orig is not None:
            sensitivity.simulate = simulate
        return self

    def __exit__(self, *exc) -> None:
        if self._orig is not None:
            self._mod.simulate = self._orig


def compute_bundle(ld, res, table=None) -> ReportBundle:
    """Compute a report's :class:`ReportBundle` (tornados, reality checks and their reruns)."""
    table = res.attainment() if table is None else table
    with _SharedExpectedRuns():
        s = compute_summary(ld, res, table)
        tornados = key_sensitivity_tables(ld, res)
    levers = tuple((str(it["row"]["registry"]), str(it["row"]["id"]),
                    None if it["lever"] is None else tuple(it["lever"])) for it in s.at_risk)
    return ReportBundle(scenario_hash=ld.hash, seed=int(res.seed), draws=int(res.draws), mode=str(res.mode),
                        levers=levers, checks=run_checks(ld.scenario, res, max_under_draws=CHECK_DRAWS),
                        tornados=tornados)


def summary_numbers(ld, res, table, bundle: ReportBundle | None = None):
    """:func:`ocop_sim.document.compute_summary`, with the levers of the targets at risk taken
    from ``bundle`` (computed once for every language) instead of computed again."""
    if bundle is None:
        return compute_summary(ld, res, table)
    s = compute_summary(ld, res, table, levers=False)
    if [(str(it["row"]["registry"]), str(it["row"]["id"])) for it in s.at_risk] != [b[:2] for b in bundle.levers]:
        raise ValueError("report bundle: expected the targets at risk of this run, got others")
    for it, (_, _, eff) in zip(s.at_risk, bundle.levers):
        it["lever"] = eff
    return s


def _plain(x: Any) -> Any:
    """A JSON value of a table cell (numpy scalars as Python numbers)."""
    if isinstance(x, np.bool_):
        return bool(x)
    if isinstance(x, np.integer):
        return int(x)
    if isinstance(x, np.floating):
        return float(x)
    return x


def _frame_json(df) -> dict:
    return {"columns": [str(c) for c in df.columns],
            "rows": [[_plain(v) for v in row] for row in df.itertuples(index=False, name=None)]}


def _frame_from(d: dict):
    return pd.DataFrame(d["rows"], columns=d["columns"])


def bundle_json(bundle: ReportBundle) -> dict:
    """The bundle as plain JSON data (what :func:`save_bundle` signs)."""
    return {"scenario_hash": bundle.scenario_hash, "seed": bundle.seed, "draws": bundle.draws, "mode": bundle.mode,
            "levers": [[r, i, None if e is None else [e[0], *map(float, e[1:])]] for r, i, e in bundle.levers],
            "checks": _frame_json(bundle.checks),
            "tornados": {str(y): _frame_json(df) for y, df in bundle.tornados.items()}}


def bundle_from_json(d: dict, label: str = "report bundle") -> ReportBundle:
    """:func:`bundle_json` read back; CacheError naming the field when the data is not a bundle's."""
    try:
        return ReportBundle(scenario_hash=str(d["scenario_hash"]), seed=int(d["seed"]), draws=int(d["draws"]),
                            mode=str(d["mode"]),
                            levers=tuple((str(r), str(i), None if e is None else (str(e[0]), *map(float, e[1:4])))
                                         for r, i, e in d["levers"]),
                            checks=_frame_from(d["checks"]),
                            tornados={int(y): _frame_from(t) for y, t in d["tornados"].items()})
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise CacheError(f"{label}: expected the tables of a report bundle, got something else "
                         f"({type(exc).__name__}: {exc})") from None


def save_bundle(folder: str | Path, name: str, bundle: ReportBundle) -> Path:
    """Write ``bundle`` as ``name.json`` in ``folder``, signed with the folder's cache key
    (:mod:`ocop_sim.cache`), atomically; returns the path."""
    return write_signed_json(folder, name, {"format": BUNDLE_FORMAT, "name": name, "bundle": bundle_json(bundle)})


def load_bundle(path: str | Path, scenario_hash: str | None = None, res=None) -> ReportBundle:
    """The verified bundle at ``path``: signed by its folder's cache key, of this format and, when
    given, of this scenario (hash) and this run (seed, draws, mode).  Raises CacheError on any
    mismatch and FileNotFoundError when there is none."""
    p = Path(path)
    meta = read_signed_json(p, BUNDLE_FORMAT, "report bundle", "bundle", MAX_BUNDLE_BYTES)
    b = bundle_from_json(meta.get("bundle") if isinstance(meta.get("bundle"), dict) else {}, str(p))
    want = {"scenario_hash": scenario_hash}
    if res is not None:
        want.update(seed=int(res.seed), draws=int(res.draws), mode=str(res.mode))
    for k, v in want.items():
        if v is not None and getattr(b, k) != v:
            raise CacheError(f"{p}: {k}: expected {str(v)[:16]!r}, got {str(getattr(b, k))[:16]!r} "
                             "(the bundle of another run)")
    return b


def bundle_key(scenario, res) -> str:
    """Key of a run's bundle in the result cache: the run's inputs (:func:`ocop_sim.cache.run_inputs`:
    scenario, settings, model and package versions, data, posterior, registries), the bundle's
    format and the reruns' draws."""
    blob = {"format": BUNDLE_FORMAT, "check_draws": CHECK_DRAWS,
            "run": run_inputs(scenario, int(res.draws), int(res.seed), str(res.mode))}
    return hashlib.sha256(json.dumps(blob, sort_keys=True).encode()).hexdigest()


def cached_bundle(ld, res, table=None, use_cache: bool = True) -> ReportBundle:
    """:func:`compute_bundle` through the result cache (``--force`` re-renders and unchanged
    scenarios of a later batch do not compute it again); a cache that cannot be read or written
    is skipped with a warning, as :func:`ocop_sim.cache.cached_simulate` does."""
    if not use_cache:
        return compute_bundle(ld, res, table)
    p = cache_dir() / f"{bundle_key(ld.scenario, res)}.json"
    try:
        return load_bundle(p, ld.hash, res)
    except (FileNotFoundError, NotADirectoryError):
        pass
    except (CacheError, OSError) as exc:
        warnings.warn(f"report bundle discarded, recomputing: {exc}", CacheWarning, stacklevel=2)
        p.unlink(missing_ok=True)
    b = compute_bundle(ld, res, table)
    try:
        save_bundle(p.parent, p.stem, b)
    except (CacheError, OSError) as exc:
        warnings.warn(f"result cache {p.parent} not used for the report bundle: {exc}", CacheWarning, stacklevel=2)
    return b


def report_bundle(ld, res, path: str | Path | None = None, table=None) -> ReportBundle:
    """A report's bundle: the one the batch computed (``path``, verified against this scenario and
    run), or computed here when the notebook runs on its own (``path`` None)."""
    if path:
        return load_bundle(path, ld.hash, res)
    return compute_bundle(ld, res, table)


