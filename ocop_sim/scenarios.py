"""Load scenario YAML files: safe parsing, ``extends:`` chains, deep merge, validation.

Every problem raises :class:`ScenarioError` with the file, the field path, what was expected
and what was got (and the nearest valid key for a typo).

Longer than 400 lines because the loader's rules (extends chains, pack defaults, dated events,
target registries, posterior files, checks) each need the resolved scenario, and the child-writing
of goal seek and Excel goes through the same validation.
"""
from __future__ import annotations

import copy
import difflib
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from . import data as _data
from . import targets as _targets
from .config import ASSUMPTION_NAMES, NAME_RE, SCHEDULE_LEVERS, SCHEMA_VERSION, Scenario
from .io import OutputPathError, atomic_copy, atomic_write_text
from .numbers import is_plain_number_text, quoted_numbers
from .packs import PackError, bundled_names, load_pack, resolve
from .posterior import OBS_PARAMS, SHOCK_PREFIX
# safe YAML and one-line errors live on the ground floor (packs and targets read through them too);
# ScenarioError, read_yaml and format_validation_error stay known here
from .reading import MAX_DEPTH, ScenarioError, format_validation_error, read_yaml
from .reading import within as _within
from .targets import default_params_dir, resolve_registry_path  # noqa: F401 - also known here
from .version import MODEL_VERSION

#: The only scenario fields that hold yes/no values (YAML turns yes/no/on/off into booleans).
_BOOL_FIELDS = ("other_ever", "counterfactual", "exogenous", "backlog", "relative")


# ----------------------------------------------------------------------------- merge


def deep_merge(base: Any, over: Any) -> Any:
    """Merge ``over`` into ``base``: mappings merge key by key, anything else replaces.

    Schedules (lever mappings ``{year: value}``) are replaced whole, not merged, so that a
    child scenario's schedule means exactly what it says.
    """
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        for k, v in over.items():
            out[k] = deep_merge(base[k], v) if k in base and not _is_schedule(k) else copy.deepcopy(v)
        return out
    return copy.deepcopy(over)


def _is_schedule(key: Any) -> bool:
    return key in SCHEDULE_LEVERS


def derive(base: Scenario, changes: dict, label: str = "") -> Scenario:
    """The one validated way to change a scenario in code: ``changes``, nested like a scenario
    file (``{"assumptions": {"submission_rate": 0.4}, "levers": {"budget_training_bn_vnd":
    {2026: 3.0}}}``; a lever schedule replaces the old one whole, as in a child file), merged into
    ``base`` and validated by the schema (bounds, threshold order, schedule years).  Goal seek,
    optimisation, sensitivity, calibration, backtests and the explorer change scenarios through it;
    a scenario *file* that extends its base with only the changes is :func:`write_child`'s, which
    validates through the same schema.  ScenarioError (one line, naming the field) when the result
    is not a valid scenario (``label``, default the scenario's name, says which); ``base`` is
    never changed.  Costs ~0.1 ms."""
    if not changes:
        return base
    raw = deep_merge(base.model_dump(), changes)
    # a shorter horizon drops the lever steps it no longer reaches (a step schedule's values inside
    # the horizon do not change): the shortened scenario stays a valid one
    end = raw["horizon"]["end"]
    for k, sched in raw["levers"].items():
        if isinstance(sched, dict) and any(y > end for y in sched):
            raw["levers"][k] = {y: v for y, v in sched.items() if y <= end}
    try:
        return type(base).model_validate(raw)
    except ValidationError as exc:
        raise format_validation_error(label or f"scenario {base.name!r} (derived)", exc) from None


# ----------------------------------------------------------------------------- loading


@dataclass(frozen=True)
class Loaded:
    """A validated scenario with where it came from."""

    scenario: Scenario
    path: Path
    chain: tuple[Path, ...]  # this file first, then what it extends
    raw: dict = field(repr=False)  # the resolved (merged) mapping before validation
    parent_raw: dict | None = field(default=None, repr=False)  # the merged mapping of the parent chain
    params_root: Path | None = None

    @property
    def hash(self) -> str:
        return scenario_hash(self.scenario)


#: Version of :func:`scenario_hash` that manifests record as ``hash_version`` (1, or absent: the
#: SHA-256 of every resolved field, defaults included; 2: what the scenario sets, with versions).
HASH_VERSION = 2


def scenario_hash(scenario: Scenario, schema_version: str | None = None, model_version: str | None = None) -> str:
    """SHA-256 identifying a scenario: what it sets plus the schema and model versions.

    Covers the fields whose values differ from the schema's defaults (at any depth, canonical
    JSON), :data:`ocop_sim.config.SCHEMA_VERSION` and :data:`ocop_sim.version.MODEL_VERSION`.
    A field added to the schema with a default (a new lever, a new assumption) leaves the hash of
    every existing scenario unchanged; a change of what a default means must bump one of the two
    versions.  Cache keys use :func:`resolved_hash` (every field) instead.  ``schema_version`` /
    ``model_version`` replace the installed ones (to check a hash a manifest recorded).
    """
    body = {"hash_version": HASH_VERSION, "schema_version": schema_version or SCHEMA_VERSION,
            "model_version": model_version or MODEL_VERSION,
            "set": scenario.model_dump(mode="json", exclude_defaults=True)}
    return dump_hash(body)


def resolved_hash(scenario: Scenario) -> str:
    """SHA-256 of every resolved field, defaults included (``hash_version`` 1): changes with any
    schema default, so a cache keyed on it is never stale."""
    return dump_hash(scenario.model_dump(mode="json"))


def dump_hash(data: Any) -> str:
    """SHA-256 of the canonical JSON (sorted keys, no spaces) of ``data``."""
    blob = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()


def added_fields(recorded: Any, now: Any, prefix: str = "") -> list[str]:
    """Dotted paths of the mappings' keys in ``now`` that ``recorded`` lacks (fields the schema
    gained since a scenario was dumped); year keys of schedules are not fields and not compared."""
    out: list[str] = []
    if not (isinstance(recorded, dict) and isinstance(now, dict)):
        return out
    for k, v in now.items():
        if k not in recorded:
            out.append(f"{prefix}{k}")
        elif isinstance(v, dict) and not all(str(x).isdigit() for x in v):
            out.extend(added_fields(recorded[k], v, f"{prefix}{k}."))
    return out


def _resolve_chain(path: Path, root: Path, allow_outside: bool, seen: tuple[Path, ...]) -> tuple[dict, list[Path]]:
    label = str(path)
    if len(seen) > MAX_DEPTH:
        raise ScenarioError(label, "extends", f"expected at most {MAX_DEPTH} levels of extends")
    data = read_yaml(path, label)
    if data is None:
        raise ScenarioError(label, "", "expected a mapping of scenario fields, got an empty file")
    if not isinstance(data, dict):
        raise ScenarioError(label, "", f"expected a mapping of scenario fields, got {type(data).__name__}")
    for k in data:
        if not isinstance(k, str):
            raise ScenarioError(label, str(k), f"expected a text key, got {type(k).__name__}")
    parent = data.pop("extends", None)
    if parent is None:
        return data, [path]
    if not isinstance(parent, str) or not parent.strip():
        raise ScenarioError(label, "extends", f"expected a file name, got {parent!r}")
    if "\x00" in parent:
        raise ScenarioError(label, "extends", "expected a file name, got a NUL byte")
    ppath = (path.parent / parent)
    if not allow_outside and not _within(ppath, root):
        raise ScenarioError(label, "extends", f"expected a file inside {root}, got {parent!r} "
                            "(use --allow-outside to permit)")
    rp = ppath.resolve()
    if rp in seen:
        cycle = " -> ".join(p.name for p in seen + (rp,))
        raise ScenarioError(label, "extends", f"cycle: {cycle}")
    if not ppath.exists():
        raise ScenarioError(label, "extends", f"expected an existing file, got {parent!r} (not found)")
    base, chain = _resolve_chain(ppath, root, allow_outside, seen + (rp,))
    return deep_merge(base, data), [path] + chain


def load(path: str | Path, params_root: str | Path | None = None, allow_outside: bool = False) -> Loaded:
    """Load, resolve ``extends`` and validate a scenario file.

    Parameters
    ----------
    path : path of the scenario YAML.
    params_root : folder that ``extends`` may not leave (default: the file's folder).
    allow_outside : permit ``extends`` outside ``params_root``.
    """
    p = Path(path)
    root = Path(params_root) if params_root is not None else p.parent
    data, chain = _resolve_chain(p, root, allow_outside, (p.resolve(),))
    parent_raw = None
    if len(chain) > 1:
        parent_raw, _ = _resolve_chain(chain[1], root, True, (chain[1].resolve(),))
        parent_raw = _with_pack_defaults(str(chain[1]), parent_raw, chain[1].parent)
    _reject_booleans(str(p), data)
    _reject_quoted_numbers(str(p), data)
    data = _with_pack_defaults(str(p), data, p.parent)
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise format_validation_error(_origin(chain, exc), exc) from None
    _check_semantics(str(p), scenario, p.parent, chain)
    scenario = _resolve_paths(str(p), scenario, p.parent, chain)
    return Loaded(scenario=scenario, path=p, chain=tuple(chain), raw=data, parent_raw=parent_raw, params_root=root)


def _with_pack_defaults(label: str, data: dict, folder: Path) -> dict:
    """The scenario's mapping with its pack's province-specific assumption defaults beneath it
    (what the scenario sets itself wins)."""

    ref = data.get("pack", "dong_nai_2019") if isinstance(data, dict) else None
    if not isinstance(ref, str):
        return data
    try:
        pack = load_pack(ref, folder)
    except PackError:
        return data  # reported with its field by _check_semantics
    if not pack.info.assumptions:
        return data
    own = data.get("assumptions") if isinstance(data.get("assumptions"), dict) else {}
    merged = {k: a.value for k, a in pack.info.assumptions.items()}
    merged.update(own or {})
    return {**data, "assumptions": merged}


def _origin(chain: list[Path], exc: ValidationError) -> str:
    """The file of an ``extends`` chain (child first) that sets the first invalid field."""
    p = chain[0]
    if len(chain) == 1:
        return str(p)
    loc = [x for x in exc.errors()[0].get("loc", ()) if not isinstance(x, int)][:2]
    for f in chain:
        try:
            node = read_yaml(f)
        except ScenarioError:
            continue
        for k in loc:
            if not isinstance(node, dict) or k not in node:
                break
            node = node[k]
        else:
            if loc:
                return str(f) if f == p else f"{f} (extended by {p})"
    return str(p)


def _reject_quoted_numbers(label: str, data: Any) -> None:
    """A quoted number where the schema wants a number (``seed: '42'``) is an error, as
    ``seed: '1.5'`` always was: one rule for every number (:mod:`ocop_sim.numbers`)."""

    found = quoted_numbers(Scenario, data)
    if found:
        where, text = found[0]
        hint = " (write it without quotes)" if is_plain_number_text(text) else ""
        raise ScenarioError(label, where, f"expected a number, got the text {text!r}{hint}")


def _reject_booleans(label: str, data: Any, path: str = "") -> None:
    """A yes/no value where a number or text is expected (YAML reads ``yes``, ``no``, ``on``,
    ``off`` as booleans, which pydantic would silently take as 1 or 0) is an error."""
    if isinstance(data, dict):
        for k, v in data.items():
            _reject_booleans(label, v, f"{path}.{k}" if path else str(k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            _reject_booleans(label, v, f"{path}.{i}" if path else str(i))
    elif isinstance(data, bool) and path.rsplit(".", 1)[-1] not in _BOOL_FIELDS:
        raise ScenarioError(label, path, f"expected a number or text, got the yes/no value {data!r} "
                            "(write a number, or quote the text)")


def _check_semantics(label: str, scenario: Scenario, folder: Path, chain=()) -> None:
    """Rules that need the packaged data or other files: areas, target registries."""


    try:
        pack = load_pack(scenario.pack, folder)
    except PackError as exc:
        raise ScenarioError(label, "pack", exc.message if exc.field == "pack" else str(exc)) from None
    geo = pack.areas
    if scenario.horizon.start != pack.start:
        raise ScenarioError(label, "horizon.start", f"expected the start of pack {pack.name} ({pack.start}): a "
                            f"{scenario.kind} runs from the pack's reported state, got {scenario.horizon.start}")
    empty = not pack.info.stocks.products.as_array().any() and pack.info.stocks.entities == 0
    if scenario.kind == "outlook" and empty and pack.info.kind == "province":
        raise ScenarioError(label, "kind", f"expected a pack with reported stocks for an outlook, got {pack.name} "
                            "(starts from nothing: use kind: history)")
    for i, ev in enumerate(scenario.events):
        if ev.type == "merger" and ev.area not in geo.ids:
            close = difflib.get_close_matches(ev.area, geo.ids, n=1, cutoff=0.6)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ScenarioError(label, f"events.{i}.area", f"expected a known area id{hint}, got {ev.area!r}")
    reg_folder = _declaring_folder(chain, "targets", folder)  # where run will look (_resolve_paths)
    for i, reg in enumerate(scenario.targets):
        rp = resolve_registry_path(reg, reg_folder)
        if rp is None:
            raise ScenarioError(label, f"targets.{i}", f"expected a registry file inside the params folder, got {reg!r}")
        if not rp.exists():  # fall back to the bundled registries (params/targets/)
            bundled = resolve_registry_path(reg, _targets.default_params_dir())
            if bundled is not None and bundled.exists():
                rp = bundled
        if not rp.exists():
            raise ScenarioError(label, f"targets.{i}", f"expected an existing registry file, got {reg!r} (not found)")
        reg_ = _targets.load_registry(rp)
        for t_ in reg_.targets:  # a registry's scopes must exist in the scenario's own pack
            if t_.scope not in geo.scopes:
                close = difflib.get_close_matches(t_.scope, geo.scopes, n=1, cutoff=0.6)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise ScenarioError(str(rp), f"targets.{t_.id}.scope", f"expected a scope of pack {pack.name} "
                                    f"(province, a region or an area id){hint}, got {t_.scope!r}")
    if scenario.checks:
        validate_checks(label, scenario, geo.scopes)


def validate_checks(label: str, scenario: Scenario, scopes=None) -> None:
    """Rules of a scenario's reality checks that need the pack's areas and the horizon; raises
    ScenarioError naming the check.  ``scopes``: the pack's scopes where the caller resolved the
    pack (a ``pack:`` path relative to the scenario's folder); else the pack is looked up by its
    reference.  (Also known as :func:`ocop_sim.checks.validate_checks`.)"""
    scopes = _data.areas(scenario.pack).scopes if scopes is None else scopes
    h = scenario.horizon
    ids: set[str] = set()
    for i, c in enumerate(scenario.checks):
        if c.id in ids:
            raise ScenarioError(label, f"checks.{i}.id", f"expected a unique check id, got {c.id!r} twice")
        ids.add(c.id)
        if c.scope not in scopes:
            raise ScenarioError(label, f"checks.{i}.scope", f"expected province, a region or an area id, "
                                f"got {c.scope!r}")
        if c.under is not None and c.under.from_year is not None and not h.start <= c.under.from_year <= h.end:
            raise ScenarioError(label, f"checks.{i}.under.from_year",
                                f"expected a year in {h.start}..{h.end}, got {c.under.from_year}")


def _declaring_folder(chain, key: str, folder: Path) -> Path:
    """The folder of the file of an ``extends`` chain (child first) that sets ``key``: a relative
    path in a file means relative to that file, whoever extends it."""
    for f in chain:
        try:
            node = read_yaml(Path(f))
        except ScenarioError:
            continue
        if isinstance(node, dict) and key in node:
            return Path(f).parent
    return folder


def _resolve_paths(label: str, scenario: Scenario, folder: Path, chain=()) -> Scenario:
    """A pack, posterior or target registry named by a path is resolved against the folder of the
    file that names it (absolute in the resolved scenario, so that every process, executor and
    report finds the same files)."""

    update: dict[str, Any] = {}
    if scenario.pack not in bundled_names():
        update["pack"] = str(resolve(scenario.pack, _declaring_folder(chain, "pack", folder)))
    regs = []
    reg_folder = _declaring_folder(chain, "targets", folder)
    for reg in scenario.targets:
        rp = resolve_registry_path(reg, reg_folder)
        regs.append(portable_path(rp) if rp is not None and rp.exists() else reg)
    if regs != list(scenario.targets):
        update["targets"] = regs
    if scenario.posterior is not None:
        pp = Path(scenario.posterior)
        pp = pp if pp.is_absolute() else (_declaring_folder(chain, "posterior", folder) / pp)
        if not pp.is_file():
            raise ScenarioError(label, "posterior", f"expected an existing posterior file, got {scenario.posterior!r}")
        from .bayes import Posterior, PosteriorFileError  # scipy (heavy): only for a scenario that names a posterior

        try:
            post = Posterior.load(str(pp))
        except PosteriorFileError as exc:
            raise ScenarioError(label, "posterior", str(exc)) from None

        unknown = [n for n in post.names if n not in ASSUMPTION_NAMES and n not in OBS_PARAMS
                   and not n.startswith(SHOCK_PREFIX)]
        if unknown:
            raise ScenarioError(label, "posterior", f"expected parameters that are assumptions, got {unknown[0]!r}")
        if not post.converged:
            raise ScenarioError(label, "posterior", "expected a converged posterior (R-hat and effective sample "
                                "size within their limits), got one that is not: re-run ocop-sim calibrate")
        update["posterior"] = portable_path(pp)
    return scenario.model_copy(update=update) if update else scenario


def portable_path(path: Path) -> str:
    """A file's path as a resolved scenario keeps it: relative to the bundled params folder when
    inside it (the same on every machine and clone), else absolute."""

    p = Path(path).resolve()
    try:
        return p.relative_to(default_params_dir().resolve()).as_posix()
    except ValueError:
        return str(p)


def params_file(path: str) -> Path:
    """The inverse of :func:`portable_path`."""

    p = Path(path)
    return p if p.is_absolute() else default_params_dir() / p


def changed_keys(parent: dict | None, child: dict) -> list[tuple[str, Any, Any]]:
    """Flattened keys whose value differs between the parent's and the child's merged mapping."""
    if parent is None:
        return []
    out: list[tuple[str, Any, Any]] = []

    def walk(a: Any, b: Any, prefix: str) -> None:
        if isinstance(a, dict) and isinstance(b, dict) and not _is_schedule(prefix.rsplit(".", 1)[-1]):
            for k in sorted(set(a) | set(b), key=str):
                walk(a.get(k), b.get(k), f"{prefix}.{k}" if prefix else str(k))
        elif a != b:
            out.append((prefix, a, b))

    walk(parent, child, "")
    return [c for c in out if c[0] != "name"]


__all__ = ["ScenarioError", "load", "Loaded", "scenario_hash", "resolved_hash", "dump_hash",
           "added_fields", "HASH_VERSION", "deep_merge", "derive", "write_child", "read_yaml",
           "changed_keys", "ASSUMPTION_NAMES"]


def write_child(base: Loaded, out: str | Path, changes: dict, name: str, header: str = "", *,
                folder: str | Path | None = None, replace: bool = False, allow_outside: bool = False) -> Loaded:
    """The one writer of a scenario that ``extends`` another (explorer, goal seek, optimise,
    Excel import): only the changed keys, validated before it exists.

    * ``out`` ends in ``.yaml``/``.yml``, its folder exists, and with ``folder`` it lies inside it;
    * never the base scenario or any file it extends (saving over one's own input destroyed it);
    * another existing scenario only with ``replace`` (``--force``), and a copy of it is kept as
      ``<file>.bak``;
    * the text goes to a temporary file beside ``out``, is loaded (validated) and only then renamed
      over ``out``: nothing is left behind on failure.
    """
    import os

    out = check_child_out(base, out, folder, replace)
    if not isinstance(name, str) or not re.fullmatch(NAME_RE, name):
        raise ScenarioError(str(out), "name", f"expected letters, digits, _ . - (at most 64, starting with a letter "
                            f"or digit), got {name!r}")
    rel = Path(os.path.relpath(Path(base.path).resolve(), out.resolve().parent)).as_posix()
    return _write_validated(out, rel, changes, name, header, allow_outside)


def check_child_out(base: Loaded, out: str | Path, folder: str | Path | None = None, replace: bool = False) -> Path:
    """``out`` as :func:`write_child` accepts it, checked before any work (one-line errors)."""

    out = Path(out)
    label = str(out)
    if out.suffix.lower() not in (".yaml", ".yml"):
        raise ScenarioError(label, "", f"expected an output file ending in .yaml, got {out.name!r}")
    if folder is not None and not _within(out, Path(folder)):
        raise OutputPathError(f"output {out} is outside the scenarios folder {Path(folder).resolve()}")
    if not out.parent.is_dir():
        raise OutputPathError(f"output folder {out.parent} does not exist")
    if out.exists() and not out.is_file():
        raise OutputPathError(f"output {out} exists and is not a file")
    if out.resolve() in {p.resolve() for p in base.chain}:
        raise ScenarioError(label, "", "expected a new file, got the base scenario (or a file it extends): "
                            "saving over it would destroy it")
    if out.exists() and not replace:
        raise ScenarioError(label, "", "expected a new file, got an existing scenario (choose another name, or "
                            "replace it explicitly with --force: a copy is kept as .bak)")
    return out


def _write_validated(out: Path, rel: str, changes: dict, name: str, header: str, allow_outside: bool) -> Loaded:

    label = str(out)
    doc = {"extends": rel, "name": name, **changes}
    text = header + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, default_flow_style=None, width=100)

    def validate_then_back_up(tmp: str) -> None:
        try:
            load(tmp, allow_outside=allow_outside)
        except ScenarioError as exc:
            raise ScenarioError(label if exc.file == tmp else exc.file, exc.field, exc.message) from None
        if out.exists():  # replace: the old file is kept beside it
            atomic_copy(out, out.with_name(out.name + ".bak"))

    atomic_write_text(out, text, check=validate_then_back_up)
    return load(out, allow_outside=allow_outside)
