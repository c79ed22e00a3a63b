"""Facts: value parsing shared by every reader of reported figures, and thin views on the packs.

Everything specific to a province lives in a pack (:mod:`ocop_sim.packs`); the functions here
return a pack's area table, groups and actual series (default: the Đồng Nai 2019 history pack).
The packs' ``actuals.csv`` files are built from ``shared/data/dongnai_facts.csv`` by
``tools/build_actuals.py``.

Value parsing rules (:func:`parse_value`), applied to the facts file and to user actuals CSVs:

==============  ===============  =====================================================
raw value       result           rule
==============  ===============  =====================================================
``100``         100.0, exact     a plain number
``45-46``       45.5, range      a closed range ``a-b`` (a <= b) maps to its midpoint
``~60``         60.0, approx     "about" maps to the number, marked approximate
``>240``        rejected         a bound is not a value: :class:`FactsError`
``11/14``       rejected         a ratio is not a count: :class:`FactsError`
anything else   rejected         :class:`FactsError` naming the row and the value
==============  ===============  =====================================================
"""
from __future__ import annotations

import math
import re
from pathlib import Path

from ..errors import InputError


__all__ = ["FactsError", "parse_value", "Areas", "areas", "groups", "actuals", "load_actuals_csv",
           "ACTUALS_COLUMNS", "DEFAULT_PACK"]

DEFAULT_PACK = "dong_nai_2019"


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


from ..packs import ACTUAL_METRICS, ACTUALS_COLUMNS, Areas  # noqa: E402

MAX_ACTUALS_BYTES = 5_000_000


def areas(pack: str = DEFAULT_PACK) -> Areas:
    """The area table of a pack (default: old Đồng Nai's 11 districts + old Bình Phước)."""
    from ..packs import load_pack

    return load_pack(pack).areas


def groups(pack: str = DEFAULT_PACK) -> dict[str, dict]:
    """Product groups (148/QĐ-TTg) of a pack: pool of potential products and shares of new ideas."""
    from ..packs import load_pack

    return load_pack(pack).groups()


def load_actuals_csv(path: str | Path | None = None, pack: str = DEFAULT_PACK) -> list[dict]:
    """Actual observations: a pack's series (``path`` None) or a user's CSV checked against the pack.

    The columns are those of :func:`ocop_sim.packs.parse_actuals`; any bad row raises
    :class:`FactsError` naming the file, the row and the field.
    """
    from ..packs import load_pack, parse_actuals

    p = load_pack(pack)
    if path is None:
        return [dict(o) for o in p.actuals]
    label = str(path)
    f = Path(path)
    try:
        if f.stat().st_size > MAX_ACTUALS_BYTES:
            raise FactsError(f"{label}: file is larger than {MAX_ACTUALS_BYTES} bytes")
        blob = f.read_bytes()
    except OSError as exc:
        raise FactsError(f"{label}: cannot read ({exc.strerror})") from None
    return parse_actuals(blob, label, p.areas.scopes)


def actuals(pack: str = DEFAULT_PACK):
    """A pack's actuals as a pandas DataFrame."""
    import pandas as pd

    return pd.DataFrame(load_actuals_csv(pack=pack))
