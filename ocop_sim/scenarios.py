"""Load scenario YAML files: safe parsing, ``extends:`` chains, deep merge, validation.

Every problem raises :class:`ScenarioError` with the file, the field path, what was expected
and what was got (and the nearest valid key for a typo).
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
from pydantic import BaseModel, ValidationError

from .config import (ASSUMPTION_NAMES, NAME_RE, SCHEDULE_LEVERS, Assumptions, Horizon, Levers, Scenario,
                     Text)
from .errors import InputError

MAX_FILE_BYTES = 1_000_000
MAX_ALIASES = 100
MAX_DEPTH = 20
#: Most values a scenario file may hold once aliases are expanded (billion-laughs guard).
MAX_EXPANDED_VALUES = 200_000
#: Most keys and items one YAML file may hold, counted before parsing (the largest bundled file,
#: a 63-province pack, has ~3,000): a 100,000-year schedule is refused at once, not after 20 s.
MAX_YAML_NODES = 20_000
#: The only scenario fields that hold yes/no values (YAML turns yes/no/on/off into booleans).
_BOOL_FIELDS = ("other_ever", "counterfactual", "exogenous", "backlog", "relative")


class ScenarioError(InputError, ValueError):
    """A user's scenario (or target registry) is invalid.  ``str()`` is one line."""

    def __init__(self, file: str | Path, field: str, message: str):
        self.file = str(file)
        self.field = field
        self.message = message
        where = f"{self.file}: {field}: " if field else f"{self.file}: "
        super().__init__((where + message).replace("\n", " "))


# ----------------------------------------------------------------------------- safe YAML


class _Loader(yaml.SafeLoader):
    """SafeLoader that rejects duplicate keys and caps aliases (billion-laughs)."""

    def __init__(self, stream):
        super().__init__(stream)
        self._aliases = 0

    def compose_node(self, parent, index):  # count alias uses and nodes
        self._nodes = getattr(self, "_nodes", 0) + 1
        if self._nodes > 2 * MAX_YAML_NODES:
            raise yaml.YAMLError(f"more than {2 * MAX_YAML_NODES} values")
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                raise yaml.YAMLError(f"more than {MAX_ALIASES} alias uses")
        return super().compose_node(parent, index)

    def construct_mapping(self, node, deep=False):
        if isinstance(node, yaml.MappingNode):
            seen = set()
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=True)
                try:
                    hash(key)
                except TypeError:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"unhashable key at line {key_node.start_mark.line + 1}", key_node.start_mark)
                if key in seen:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"duplicate key {key!r} at line {key_node.start_mark.line + 1}",
                        key_node.start_mark)
                seen.add(key)
        return super().construct_mapping(node, deep=deep)


def read_yaml(path: Path, label: str | None = None) -> Any:
    """Read a YAML file safely; errors are :class:`ScenarioError`."""
    label = label or str(path)
    try:
        st = path.stat()
    except FileNotFoundError:
        raise ScenarioError(label, "", "file not found") from None
    except OSError as exc:
        raise ScenarioError(label, "", f"cannot read file ({exc.strerror})") from None
    if not path.is_file():
        raise ScenarioError(label, "", "expected a file, got a directory or special file")
    if st.st_size > MAX_FILE_BYTES:
        raise ScenarioError(label, "", f"expected a file of at most {MAX_FILE_BYTES} bytes, got {st.st_size}")
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioError(label, "", f"expected UTF-8 text, got an undecodable byte at offset {exc.start}") from None
    if "\x00" in text:
        raise ScenarioError(label, "", "expected text, got a NUL byte")
    approx = text.count(":") + text.count(",") + text.count("- ")  # keys and items, before any parsing
    if approx > MAX_YAML_NODES:
        raise ScenarioError(label, "", f"expected at most {MAX_YAML_NODES} keys and items in one file, got about "
                            f"{approx} (a lever schedule holds at most one value per year)")
    try:
        data = yaml.load(text, Loader=_Loader)  # noqa: S506 - _Loader is a SafeLoader subclass
    except yaml.YAMLError as exc:
        msg = str(exc).replace("\n", " ")
        msg = " ".join(msg.split())
        raise ScenarioError(label, "", f"not valid YAML: {msg[:300]}") from None
    except RecursionError:
        raise ScenarioError(label, "", "not valid YAML: nested too deeply") from None
    n = _expanded_size(data)
    if n > MAX_EXPANDED_VALUES:
        raise ScenarioError(label, "", f"expected at most {MAX_EXPANDED_VALUES} values once YAML aliases are "
                            f"expanded, got {n}+ (an alias bomb?)")
    return data


def _expanded_size(data: Any, limit: int | None = None) -> int:
    """Number of values ``data`` holds with shared (aliased) parts counted every time they occur;
    stops counting past ``limit`` (default :data:`MAX_EXPANDED_VALUES`)."""
    limit = MAX_EXPANDED_VALUES if limit is None else limit
    memo: dict[int, int] = {}

    def size(x: Any, depth: int = 0) -> int:
        if not isinstance(x, (dict, list)):
            return 1
        if id(x) in memo:
            return memo[id(x)]
        if depth > 200:
            return limit + 1
        items = list(x.keys()) + list(x.values()) if isinstance(x, dict) else x
        n = 1
        for v in items:
            n += size(v, depth + 1)
            if n > limit:
                break
        memo[id(x)] = n
        return n

    return size(data)


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
    JSON), :data:`ocop_sim.config.SCHEMA_VERSION` and :data:`ocop_sim.results.MODEL_VERSION`.
    A field added to the schema with a default (a new lever, a new assumption) leaves the hash of
    every existing scenario unchanged; a change of what a default means must bump one of the two
    versions.  Cache keys use :func:`resolved_hash` (every field) instead.  ``schema_version`` /
    ``model_version`` replace the installed ones (to check a hash a manifest recorded).
    """
    from .config import SCHEMA_VERSION
    from .results import MODEL_VERSION

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


def _within(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root.resolve())
        return True
    except ValueError:
        return False


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


def _loc_to_path(loc: tuple) -> str:
    return ".".join(str(x) for x in loc if not (isinstance(x, str) and x in ("merger", "criteria_change",
                                                                               "policy_change", "uniform",
                                                                               "triangular", "normal", "beta")))


_MODELS: dict[str, type[BaseModel]] = {"": Scenario, "levers": Levers, "assumptions": Assumptions,
                                       "horizon": Horizon, "title": Text, "description": Text}


def _suggestion(loc: tuple) -> str:
    if not loc:
        return ""
    parent = ".".join(str(x) for x in loc[:-1])
    model = _MODELS.get(parent)
    if model is None:
        if parent.startswith("uncertainty") or parent.startswith("events"):
            return ""
        return ""
    close = difflib.get_close_matches(str(loc[-1]), list(model.model_fields), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def format_validation_error(label: str, exc: ValidationError) -> ScenarioError:
    err = exc.errors()[0]
    loc = tuple(err.get("loc", ()))
    path = _loc_to_path(loc)
    typ = err.get("type", "")
    got = err.get("input")
    got_s = repr(got) if not isinstance(got, (dict, list)) else type(got).__name__
    if len(got_s) > 80:
        got_s = got_s[:77] + "..."
    if typ == "extra_forbidden":
        msg = f"unknown key{_suggestion(loc)}"
        parent = ".".join(str(x) for x in loc[:-1])
        model = _MODELS.get(parent)
        if model is not None and not _suggestion(loc):
            msg += f"; expected one of: {', '.join(list(model.model_fields)[:12])}"
    elif typ == "missing":
        msg = "expected this field (it is required), got nothing"
    elif typ == "union_tag_invalid":
        ctx = err.get("ctx") or {}
        path = f"{path}.{ctx.get('discriminator', 'type')}".strip(".").replace("'", "")
        msg = f"expected one of {ctx.get('expected_tags', '')}, got {ctx.get('tag')!r}"
    else:
        m = err.get("msg", "invalid").removeprefix("Value error, ")
        # a validator may name a sub-field first ("levers.x: expected ..."): move it to the path
        sub = re.match(r"^([A-Za-z_][\w.]*): (.*)$", m)
        if sub:
            path = f"{path}.{sub.group(1)}" if path else sub.group(1)
            m = sub.group(2)
        m = _plain(m)
        if m.startswith(("expected", "unknown", "cycle")):
            msg = m
        else:
            msg = f"expected {m[0].lower() + m[1:] if m else 'a valid value'}"
        if ", got" not in msg and not m.startswith("unknown"):
            msg = f"{msg}, got {got_s}"
    return ScenarioError(label, path, msg)


def _plain(m: str) -> str:
    """pydantic's wording made to read as "expected ...": drop "Input should be", name values."""
    for pre in ("Input should be ", "input should be "):
        if m.startswith(pre):
            m = m[len(pre):]
            if m.startswith(("greater", "less")):
                m = "a value " + m
            return m
    if m.startswith("String should match pattern "):
        return "text matching the pattern " + m.removeprefix("String should match pattern ")
    if m.startswith("String should have at most "):
        return "text of at most " + m.removeprefix("String should have at most ")
    return m


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
    from .packs import PackError, load_pack

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
    from .numbers import is_plain_number_text, quoted_numbers

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
    from . import data as _data
    from . import targets as _targets

    from .packs import PackError, load_pack

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
        from .checks import validate_checks

        validate_checks(label, scenario, geo.scopes)


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
    from .packs import bundled_names, resolve

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
        from .bayes import PosteriorFileError, Posterior

        try:
            post = Posterior.load(str(pp))
        except PosteriorFileError as exc:
            raise ScenarioError(label, "posterior", str(exc)) from None
        from .inference import OBS_PARAMS, SHOCK_PREFIX

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
    from .targets import default_params_dir

    p = Path(path).resolve()
    try:
        return p.relative_to(default_params_dir().resolve()).as_posix()
    except ValueError:
        return str(p)


def params_file(path: str) -> Path:
    """The inverse of :func:`portable_path`."""
    from .targets import default_params_dir

    p = Path(path)
    return p if p.is_absolute() else default_params_dir() / p


def resolve_registry_path(reg: str, folder: Path) -> Path | None:
    """A target registry named in a scenario, relative to the scenario's folder; None if it escapes."""
    if not isinstance(reg, str) or "\x00" in reg:
        return None
    p = folder / reg
    if not _within(p, folder):
        return None
    return p


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
           "added_fields", "HASH_VERSION", "deep_merge", "read_yaml",
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
    from .io import OutputPathError

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
    from .io import atomic_copy, atomic_write_text

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
