"""Reading a user's files: safe YAML, confinement to a folder, and one-line errors.

Scenario files, packs and target registries are read here: :func:`read_yaml` (a SafeLoader that
refuses duplicate keys, alias bombs and oversized files) and :func:`format_validation_error`
(pydantic's first error as one :class:`ScenarioError` line: file, field path, expected, got,
and the nearest valid key for a typo).  The ground floor: imports only the schema
(:mod:`ocop_sim.config`), so that packs, targets and scenarios can all read through it.
"""
from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from .config import Assumptions, Horizon, Levers, Scenario, Text
from .errors import InputError

__all__ = ["MAX_ALIASES", "MAX_DEPTH", "MAX_EXPANDED_VALUES", "MAX_FILE_BYTES", "MAX_YAML_NODES", "ScenarioError",
           "format_validation_error", "read_yaml", "within"]

MAX_FILE_BYTES = 1_000_000
MAX_ALIASES = 100
MAX_DEPTH = 20
#: Most values a scenario file may hold once aliases are expanded (billion-laughs guard).
MAX_EXPANDED_VALUES = 200_000
#: Most keys and items one YAML file may hold, counted before parsing (the largest bundled file,
#: a 63-province pack, has ~3,000): a 100,000-year schedule is refused at once, not after 20 s.
MAX_YAML_NODES = 20_000


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


def within(path: Path, root: Path) -> bool:
    """``path`` (resolved) lies inside ``root``."""
    try:
        path.resolve().relative_to(root.resolve())
        return True
    except ValueError:
        return False


# ----------------------------------------------------------------------------- validation errors


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
