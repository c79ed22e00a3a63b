"""One number parser for every input: YAML scenarios, Excel workbooks, CSV files, environment.

The rule, everywhere:

* a **number** is a number: YAML's own ints and floats, an Excel cell holding a number;
* **text** is parsed only where the input format has no numbers of its own (an Excel cell
  typed as text, a CSV field, an environment variable) and then only plain ASCII decimal
  notation: an optional sign, digits, an optional ``.`` and fraction, an optional exponent
  (``12``, ``-3.5``, ``1e3``).  No ``_`` digit separators (``"1_0"``), no thousands separators,
  no non-ASCII digits (``"٣"``, full-width ``"４"``), no ``inf``/``nan``, no hex;
* in a **YAML scenario a quoted number is text, not a number** — ``seed: '42'`` is refused just
  as ``seed: '1.5'`` is (v0.1 took the first and refused the second): YAML writes numbers
  without quotes, so quotes mean the author wrote text, and guessing would make ``'42'`` and
  ``'4 2'`` behave differently for no visible reason;
* an integer field takes only whole numbers (``3.0`` from a spreadsheet is 3; ``3.5`` is refused).

Python's own ``int()``/``float()`` accept ``"1_0"`` (10) and ``"٣"`` (3): never use them on text.
"""
from __future__ import annotations

import math
import re

from .errors import InputError

__all__ = ["FactsError", "NumberError", "parse_number", "parse_int", "parse_value", "is_plain_number_text",
           "NUMBER_TEXT"]

#: Plain ASCII decimal notation (re.ASCII: ``\d`` would match every Unicode digit).
NUMBER_TEXT = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)


class NumberError(InputError, ValueError):
    """Text or a value that is not a number by the shared rule; ``str()`` says expected and got."""


def _show(v) -> str:
    s = repr(v)
    return s if len(s) <= 60 else s[:57] + "...'"


def is_plain_number_text(text: str) -> bool:
    """True for ASCII decimal notation (after trimming spaces), e.g. ``'-1.5e3'``; False for
    ``'1_0'``, ``'٣'``, ``'inf'``, ``'0x10'``, ``''``."""
    return isinstance(text, str) and NUMBER_TEXT.fullmatch(text.strip(" \t")) is not None


def parse_number(value, *, text_ok: bool = True) -> float:
    """A finite float from a number, or (``text_ok``) from plain ASCII decimal text.

    Raises NumberError for booleans, text that is not plain decimal notation, text when
    ``text_ok`` is False (a YAML field), and non-finite values."""
    if isinstance(value, bool):
        raise NumberError(f"expected a number, got the yes/no value {value!r}")
    if isinstance(value, (int, float)):
        x = float(value)
    elif isinstance(value, str):
        if not text_ok:
            hint = " (write it without quotes)" if is_plain_number_text(value) else ""
            raise NumberError(f"expected a number, got the text {_show(value)}{hint}")
        if not is_plain_number_text(value):
            raise NumberError(f"expected a number in plain digits (like 12 or -3.5), got {_show(value)}")
        x = float(value.strip(" \t"))
    else:
        try:  # numpy scalars and the like
            import numbers

            if isinstance(value, numbers.Real):
                return parse_number(float(value), text_ok=text_ok)
        except (TypeError, ValueError):
            pass
        raise NumberError(f"expected a number, got {type(value).__name__} {_show(value)}")
    if not math.isfinite(x):
        raise NumberError(f"expected a finite number, got {_show(value)}")
    return x


def parse_int(value, *, text_ok: bool = True) -> int:
    """A whole number by the same rule (``3.0`` → 3; ``3.5``, ``'1_0'``, ``'٣'`` refused)."""
    x = parse_number(value, text_ok=text_ok)
    if x != int(x):
        raise NumberError(f"expected a whole number, got {_show(value)}")
    if isinstance(value, int) and not isinstance(value, bool):
        return value  # exact (a float would round above 2^53)
    if isinstance(value, str) and re.fullmatch(r"\s*[+-]?\d+\s*", value, re.ASCII):
        return int(value.strip())
    return int(x)


# ----------------------------------------------------------------------------- YAML: quoted numbers


def _numeric(annotation) -> bool:
    import typing

    if annotation in (int, float):
        return True
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _numeric(typing.get_args(annotation)[0])
    if origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return bool(args) and all(_numeric(a) for a in args)
    return False


def _models(annotation) -> list:
    """The pydantic models an annotation may hold (directly, in a list/tuple/dict value, a union)."""
    import typing

    from pydantic import BaseModel

    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    out = []
    for a in typing.get_args(annotation):
        out += _models(a)
    return out


def quoted_numbers(model, data, path: str = "") -> list[tuple[str, str]]:
    """``(field path, text)`` of every text value of ``data`` where ``model`` (a pydantic model)
    expects a number (int or float) and the text is plain number notation: ``seed: '42'``.

    By the shared rule a quoted number in YAML is text, not a number (see the module docstring);
    pydantic's lax mode would take ``'42'`` for an int but refuse ``'1.5'``.  Nested models, lists,
    tuples, mappings and unions of models are followed."""
    if not isinstance(data, dict):
        return []
    fields = getattr(model, "model_fields", {})
    found = []
    for key, value in data.items():
        f = fields.get(key) if isinstance(key, str) else None
        if f is None:
            continue
        where = f"{path}.{key}" if path else key
        if isinstance(value, str) and _numeric(f.annotation):
            found.append((where, value))
            continue
        for sub in _models(f.annotation):
            if isinstance(value, dict):
                found += quoted_numbers(sub, value, where)
                if not isinstance(next(iter(value.values()), None), dict):
                    continue
                for k, v in value.items():  # a mapping of models, e.g. {name: distribution}
                    found += quoted_numbers(sub, v, f"{where}.{k}")
            elif isinstance(value, (list, tuple)):
                for i, v in enumerate(value):
                    found += quoted_numbers(sub, v, f"{where}.{i}")
    return list(dict.fromkeys(found))


# ----------------------------------------------------------------------------- reported figures
# (the rules of the table in ocop_sim.data's docstring; also known as ocop_sim.data.parse_value)


class FactsError(InputError, ValueError):
    """A facts or actuals file holds a value that cannot be used; names file, row and field."""


_NUM = r"[0-9]+(?:\.[0-9]+)?"


def parse_value(raw: str) -> tuple[float, str]:
    """Parse a facts ``value`` cell by the documented rules; returns (value, kind)."""
    s = str(raw).strip().replace(",", "")
    if re.fullmatch(_NUM, s):
        return float(s), "exact"
    m = re.fullmatch(rf"({_NUM})\s*-\s*({_NUM})", s)
    if m:
        a, b = float(m.group(1)), float(m.group(2))
        if a > b:
            raise FactsError(f"range {raw!r}: expected low-high with low <= high")
        return (a + b) / 2, "range"
    m = re.fullmatch(rf"~\s*({_NUM})", s)
    if m:
        return float(m.group(1)), "approx"
    if re.fullmatch(rf"(>=|<=|>|<)\s*{_NUM}", s):
        raise FactsError(f"value {raw!r} is a bound, not a number: expected a plain number, a range a-b or ~n")
    if re.fullmatch(rf"{_NUM}\s*/\s*{_NUM}", s):
        raise FactsError(f"value {raw!r} is a ratio, not a number: expected a plain number, a range a-b or ~n")
    raise FactsError(f"value {raw!r}: expected a plain number, a range a-b or ~n")
