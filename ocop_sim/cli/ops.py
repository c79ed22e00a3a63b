"""``ocop-sim check`` (reality checks) and ``ocop-sim reproduce`` (re-run a manifest, confirm equality).

Registered by :func:`register`.
"""
from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from . import options

#: A run manifest is small (the resolved scenario is a few kB): refuse anything far larger.
MAX_MANIFEST_BYTES = 5_000_000
#: Relative tolerance when comparing a re-run with a summary table written as CSV text.
SUMMARY_RTOL = 1e-12


def cmd_check(args) -> int:
    """Run scenarios and evaluate their reality checks (exit 1 if any check fails)."""
    from ..cache import cached_simulate
    from ..checks import format_checks, run_checks
    from ..scenarios import load

    from ..resources import check_memory

    loaded = [load(p, allow_outside=args.allow_outside) for p in args.scenarios]
    for ld in loaded:  # a run that cannot fit in memory is refused before any work (exit 2)
        check_memory(ld.scenario, args.draws, args.mode, label=str(ld.path))
    failed = 0
    for ld in loaded:
        sc = ld.scenario
        res = cached_simulate(sc, draws=args.draws, seed=args.seed, mode=args.mode)
        df = run_checks(sc, res)
        print(f"\n== {sc.name}: {ld.path}  ({res.mode}, draws={res.draws}, seed={res.seed})")
        text, n_bad = format_checks(df, args.lang)
        print(text)
        failed += n_bad
    return 1 if failed else 0


def _configure_check(p) -> None:
    p.add_argument("scenarios", nargs="+")
    options.include(p, options.draws(), options.seed(), options.mode(), options.lang())


# ----------------------------------------------------------------------------- reproduce


def read_run_manifest(path: str | Path) -> dict[str, Any]:
    """Read a run manifest (JSON); a missing, unreadable or malformed one is a ScenarioError."""
    from ..scenarios import ScenarioError

    p = Path(path)
    label = str(path)
    try:
        size = p.stat().st_size
    except OSError:
        raise ScenarioError(label, "", "manifest file not found") from None
    if not p.is_file():
        raise ScenarioError(label, "", "expected a manifest file, got a directory or special file")
    if size > MAX_MANIFEST_BYTES:
        raise ScenarioError(label, "", f"expected a manifest of at most {MAX_MANIFEST_BYTES} bytes, got {size}")
    try:
        data = json.loads(p.read_bytes().decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ScenarioError(label, "", f"expected UTF-8 JSON, got an undecodable byte at offset {exc.start}") from None
    except (ValueError, RecursionError) as exc:
        raise ScenarioError(label, "", f"expected a JSON run manifest, got invalid JSON ({str(exc)[:120]})") from None
    if not isinstance(data, dict):
        raise ScenarioError(label, "", f"expected a JSON object, got {type(data).__name__}")
    # data_hash too: without it a re-run cannot confirm it read the data the recorded run read
    need = {"resolved_scenario": dict, "scenario_hash": str, "data_hash": str, "mode": str, "seed": int, "draws": int}
    for key, typ in need.items():
        v = data.get(key)
        if v is None:
            raise ScenarioError(label, key, "expected this field of a run manifest, got nothing")
        if not isinstance(v, typ) or isinstance(v, bool):
            raise ScenarioError(label, key, f"expected {typ.__name__}, got {type(v).__name__}")
    if data["mode"] not in ("monte_carlo", "expected"):
        raise ScenarioError(label, "mode", f"expected monte_carlo or expected, got {data['mode']!r}")
    if not 1 <= data["draws"] <= 100_000:
        raise ScenarioError(label, "draws", f"expected draws in 1..100000, got {data['draws']}")
    if not 0 <= data["seed"] < 2**63:
        raise ScenarioError(label, "seed", f"expected a seed in 0..2^63-1, got {data['seed']}")
    return data


def _first_summary_difference(old_csv: Path, res) -> str | None:
    """First value of the re-run's summary that differs from the CSV written by the original run.

    Compares exactly the rows the CSV holds (year, metric, scope): a metric added to the model
    since adds rows to the re-run that the recorded run could not have, and is not compared.
    """
    import numpy as np
    import pandas as pd

    old = pd.read_csv(old_csv)
    new = res.summary()
    keys = ["year", "metric", "scope"]
    stats = [c for c in ("mean", "p10", "median", "p90") if c in old.columns]
    if not stats or not set(keys) <= set(old.columns):
        return f"summary table: {old_csv.name} has no {'/'.join(keys)} and statistics columns to compare"
    new = new[new["metric"].isin(set(old["metric"]))]
    if len(old) != len(new):
        return f"summary table: {len(old)} rows in {old_csv.name}, {len(new)} of its metrics in the re-run"
    m = old.merge(new, on=keys, how="outer", suffixes=("_old", "_new"), indicator=True)
    missing = m[m["_merge"] != "both"]
    if len(missing):
        r = missing.iloc[0]
        return f"summary row {r['metric']} {r['scope']} {r['year']} only in one of the runs"
    for _, r in m.sort_values(keys).iterrows():
        for c in stats:
            a, b = float(r[f"{c}_old"]), float(r[f"{c}_new"])
            if not (np.isclose(a, b, rtol=SUMMARY_RTOL, atol=1e-12) or (math.isnan(a) and math.isnan(b))):
                return f"{r['metric']} ({r['scope']}, {int(r['year'])}, {c}): recorded {a!r}, re-run {b!r}"
    return None


def _compared_arrays(m: dict, res) -> list[str]:
    """The arrays the manifest's checksum covered: as recorded (``compared``), or, in a manifest
    written before that was recorded, every stock and flow of the re-run with the parameters and
    spending of the assumptions and levers its resolved scenario had."""
    from ..checks import checksum_arrays

    rec = m.get("compared")
    if isinstance(rec, dict) and isinstance(rec.get("results_checksum"), list):
        return [str(x) for x in rec["results_checksum"]]
    sc = m["resolved_scenario"]
    had = {"params": set(sc.get("assumptions") or {}), "spending": set(sc.get("levers") or {})}
    out = []
    for name in checksum_arrays(res):
        group, key = name.split(".", 1)
        if group not in had or key in had[group]:
            out.append(name)
    return out


def model_changes(m: dict, scenario) -> list[str]:
    """How the installed model differs from the one that wrote manifest ``m``: versions recorded
    and installed, and fields the schema gained since (empty if nothing changed)."""
    from ..config import SCHEMA_VERSION
    from ..version import MODEL_VERSION
    from ..scenarios import added_fields

    out = []
    for key, now in (("model_version", MODEL_VERSION), ("schema_version", SCHEMA_VERSION)):
        was = m.get(key)
        if str(was) != now and not (was is None and key == "schema_version" and now == "1"):
            out.append(f"{key} {was if was is not None else '(none)'} → {now}")
    new = added_fields(m["resolved_scenario"], scenario.model_dump(mode="json"))
    if new:
        out.append("fields added since: " + ", ".join(new[:8]) + (f" and {len(new) - 8} more" if len(new) > 8 else ""))
    return out


def reproduce(manifest_path: str | Path) -> tuple[bool, str]:
    """Re-run the run a manifest describes; ``(True, message)`` if the numbers are equal.

    First the manifest's integrity: the recorded resolved scenario must hash to what the run
    recorded (``resolved_hash``, or ``scenario_hash`` of a ``hash_version`` 1 manifest); if not,
    "the manifest was edited".  Then the re-run is compared on exactly what the manifest
    recorded: the ``results_checksum`` over the arrays listed in ``compared`` (see
    :func:`_compared_arrays` for older manifests) and the rows of ``<name>_summary.csv`` beside
    it.  Where the model changed since the run (:func:`model_changes`: versions, fields added),
    the message says so with the versions, whether the numbers still agree or not.  Raises
    ScenarioError if the manifest is bad or there is nothing to compare against.
    """
    from pydantic import ValidationError

    from ..checks import results_checksum
    from ..config import Scenario
    from ..scenarios import ScenarioError, dump_hash, format_validation_error, scenario_hash
    from ..simulate import simulate

    label = str(manifest_path)
    m = read_run_manifest(manifest_path)
    try:
        sc = Scenario.model_validate(m["resolved_scenario"])
    except ValidationError as exc:
        e = format_validation_error(label, exc)
        raise ScenarioError(label, f"resolved_scenario.{e.field}".rstrip("."), e.message) from None
    recorded = m.get("resolved_hash") if m.get("hash_version", 1) != 1 else m["scenario_hash"]
    h = dump_hash(m["resolved_scenario"])
    if h != recorded:
        what = "scenario_hash (resolved_hash)" if m.get("hash_version", 1) != 1 else "scenario_hash"
        return False, (f"{what}: recorded {str(recorded)[:16]}…, the recorded resolved scenario "
                       f"hashes to {h[:16]}… (the manifest was edited)")
    if m.get("hash_version", 1) != 1:  # the identity hash, with the versions the run recorded
        h2 = scenario_hash(sc, str(m.get("schema_version") or ""), str(m.get("model_version") or ""))
        if h2 != m["scenario_hash"]:
            return False, (f"scenario_hash: recorded {m['scenario_hash'][:16]}…, the recorded resolved scenario "
                           f"hashes to {h2[:16]}… (the manifest was edited, or a default of the schema changed "
                           f"without a new schema_version)")
    name = m.get("scenario", sc.name)
    if name != sc.name:
        return False, f"scenario: recorded {name!r}, resolved scenario is named {sc.name!r}"
    csv = Path(manifest_path).with_name(f"{sc.name}_summary.csv")
    have_sum = isinstance(m.get("results_checksum"), str)
    if not have_sum and not csv.is_file():
        raise ScenarioError(label, "results_checksum", f"expected a results checksum in the manifest or "
                            f"{csv.name} beside it, got neither (nothing to compare the re-run with)")
    engine = m.get("engine", "numpy")  # manifests before the choice of engine: the numpy reference
    if engine not in ("numpy", "compiled"):
        raise ScenarioError(label, "engine", f"expected 'numpy' or 'compiled', got {engine!r}")
    res = simulate(sc, draws=m["draws"], seed=m["seed"], mode=m["mode"], engine=engine)
    if res.draws != m["draws"] or res.seed != m["seed"]:
        return False, f"settings: recorded draws={m['draws']}, seed={m['seed']}; re-run draws={res.draws}, seed={res.seed}"
    notes = []
    from ..version import __version__
    from ..checks import data_hash

    if isinstance(m.get("data_hash"), str) and m["data_hash"] != data_hash(sc.pack):
        notes.append(f"the packaged data of pack {sc.pack} (pack.yaml, actuals.csv) differ from the recorded data_hash")
    if "version" in m and str(m["version"]) != __version__:
        notes.append(f"version {m['version']} recorded, {__version__} installed")
    changed = model_changes(m, sc)
    if changed:
        notes.insert(0, "the model changed since the run (" + "; ".join(changed) + ")")
    tail = f" ({'; '.join(notes)})" if notes else ""
    if csv.is_file():
        diff = _first_summary_difference(csv, res)
        if diff is not None:
            return False, f"first difference: {diff}{tail}"
    n_arrays = 0
    if have_sum:
        arrays = _compared_arrays(m, res)
        n_arrays = len(arrays)
        try:
            got = results_checksum(res, arrays)
        except KeyError as exc:
            return False, f"results_checksum: {exc.args[0]}{tail}"
        if got != m["results_checksum"]:
            return False, f"results_checksum: recorded {m['results_checksum'][:16]}…, re-run {got[:16]}…{tail}"
    what = " and ".join(x for x in (("results checksum" if have_sum else ""),
                                    (f"{csv.name}" if csv.is_file() else "")) if x)
    return True, (f"reproduced {sc.name} ({m['mode']}, draws={m['draws']}, seed={m['seed']}): {what} equal"
                  + (f" (the checksum over the {n_arrays} arrays the run recorded)" if have_sum else "")
                  + (f"; note: {'; '.join(notes)}" if notes else ""))


def cmd_reproduce(args) -> int:
    """Re-run the run a manifest records and confirm its numbers are equal (exit 1 if not)."""
    import sys

    ok, msg = reproduce(args.manifest)
    if ok:
        print(msg)
        return 0
    print(f"not reproduced: {msg}", file=sys.stderr)
    return 1


def _configure_reproduce(p) -> None:
    p.add_argument("manifest", help="run manifest JSON (<name>_manifest.json written by run --out or report)")


def register(subparsers, common) -> None:
    """Add ``check`` and ``reproduce``; ``common`` holds the options every subcommand takes."""
    options.add_command(subparsers, "check", cmd_check, _configure_check, common)
    options.add_command(subparsers, "reproduce", cmd_reproduce, _configure_reproduce, common)
