"""Resume: the done markers a batch writes after each report's files (``.done_<stem>.json``), and
what they must record (:func:`resume_key`) for a later batch to skip the report."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

from ..io import atomic_write_text
from ..scenarios import params_file
from ..targets import registries_digest
from ..version import MODEL_VERSION, __version__

def resume_key(ld, draws: int | None = None, seed: int | None = None, template: str | Path | None = None) -> dict:
    """What a scenario's done markers must record for its reports to count as finished: the
    resolved scenario's hash, the posterior's and the target registries' *contents*
    (:func:`ocop_sim.targets.registries_digest`: an edited registry re-renders), draws, seed and
    template."""
    return {"scenario_hash": ld.hash, "posterior": _posterior_digest(ld.scenario),
            "draws": ld.scenario.draws if draws is None else int(draws),
            "seed": ld.scenario.seed if seed is None else int(seed),
            "template": str(Path(template).resolve()) if template else "report",
            "registries": registries_digest(ld.scenario)}


def _marker_path(folder: Path, stem: str) -> Path:
    """``folder/.done_<stem>.json``: written after a report's files, so it proves they are whole."""
    return Path(folder) / f".done_{stem}.json"


def _versioned(key: dict) -> dict:
    """``key`` (inputs and settings) plus the package and model versions: what a marker must match."""
    return {**key, "version": __version__, "model_version": MODEL_VERSION}


def _write_record(folder: Path, stem: str, key: dict, payload: dict) -> None:
    atomic_write_text(_marker_path(folder, stem),
                      json.dumps({**_versioned(key), **payload}, ensure_ascii=False, default=str))


def _read_record(folder: Path, stem: str, key: dict) -> dict | None:
    """The marker ``stem`` of ``folder`` if it records exactly ``key`` and these versions."""
    try:
        rec = json.loads(_marker_path(folder, stem).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(rec, dict) or any(rec.get(k) != v for k, v in _versioned(key).items()):
        return None
    return rec


def _sim_files(rec: dict) -> list[str]:
    f = rec.get("files", {})
    return [str(p) for p in f.get("csv", [])] + [str(v) for k, v in f.items() if k != "csv"]


def _write_sim_marker(folder: Path, key: dict, r: dict) -> None:
    """After a scenario's tables and workbooks: what the index needs (targets, files, titles)."""
    _write_record(folder, "tables", key, {"result": {k: v for k, v in r.items() if k not in ("cache", "bundle", "notes")}})


def _finished_sim(folder: Path, key: dict, langs) -> dict | None:
    """The recorded simulation outcome of a scenario whose tables and workbooks all exist."""
    rec = _read_record(folder, "tables", key)
    r = rec.get("result") if rec else None
    if not isinstance(r, dict) or not r.get("ok") or not all(f"excel_{lg}" in r.get("files", {}) for lg in langs):
        return None
    if not all(Path(p).is_file() for p in _sim_files(r)):
        return None
    return {**r, "notes": [], "cache": "", "bundle": ""}


def _finished(folder: Path, stem: str, key: dict) -> dict | None:
    """The files of a finished report whose marker matches ``key`` (inputs, settings, versions)."""
    rec = _read_record(folder, stem, key)
    files = rec.get("files") if rec else None
    if not isinstance(files, dict) or not files or not all(Path(str(f)).is_file() for f in files.values()):
        return None
    return {k: str(v) for k, v in files.items()}


def _posterior_digest(scenario) -> str:
    """Checksum of the posterior a scenario names, sidecar included (its samples, diagnostics and
    backtest scores): a new posterior re-renders the reports that show it."""
    if not scenario.posterior:
        return ""
    try:
        return hashlib.sha256(Path(str(params_file(scenario.posterior)) + ".json").read_bytes()).hexdigest()
    except OSError:
        return ""
