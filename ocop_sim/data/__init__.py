"""Packaged facts: geography, product groups, the merger stocks and the actual series.

Every number in these CSV files carries its source (``source``/``source_url`` columns).
``actuals.csv`` is built from ``shared/data/dongnai_facts.csv`` by ``tools/build_actuals.py``.

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

import csv
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np

__all__ = ["FactsError", "parse_value", "Areas", "areas", "groups", "merger_stocks", "actuals",
           "load_actuals_csv", "ACTUALS_COLUMNS"]


class FactsError(ValueError):
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


def _read_csv(name: str) -> list[dict[str, str]]:
    text = resources.files(__name__).joinpath(name).read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


@dataclass(frozen=True)
class Areas:
    """The area table: ids, labels, regions, activity weights, first active year."""

    ids: tuple[str, ...]
    name_vi: tuple[str, ...]
    name_en: tuple[str, ...]
    region: tuple[str, ...]
    weight: np.ndarray
    active_from: tuple[int | None, ...]

    def index(self, area_id: str) -> int:
        return self.ids.index(area_id)

    def mask(self, scope: str) -> np.ndarray:
        """Boolean mask of areas in a scope: ``province``, a region, or an area id."""
        if scope == "province":
            return np.ones(len(self.ids), bool)
        if scope in self.region:
            return np.array([r == scope for r in self.region])
        if scope in self.ids:
            return np.array([a == scope for a in self.ids])
        raise KeyError(scope)

    @property
    def scopes(self) -> tuple[str, ...]:
        return ("province",) + tuple(dict.fromkeys(self.region)) + self.ids


#: Area tables by geography name (a registry: add a CSV with the same columns to add one).
GEOGRAPHIES: dict[str, str] = {
    "dong_nai": "areas.csv",
    # 63 pre-2025 provinces in the 6 socio-economic regions; weights are SYNTHETIC (proportional to
    # population), for scale tests and the benchmark only (params/national/national_synthetic.yaml)
    "vietnam_synthetic": "areas_vietnam_synthetic.csv",
}


@lru_cache(maxsize=8)
def areas(geography: str = "dong_nai") -> Areas:
    """The area table of a geography (default: Đồng Nai's 11 districts + old Bình Phước)."""
    if geography not in GEOGRAPHIES:
        raise KeyError(f"unknown geography {geography!r}; expected one of {', '.join(GEOGRAPHIES)}")
    rows = _read_csv(GEOGRAPHIES[geography])
    return Areas(
        ids=tuple(r["area_id"] for r in rows),
        name_vi=tuple(r["name_vi"] for r in rows),
        name_en=tuple(r["name_en"] for r in rows),
        region=tuple(r["region"] for r in rows),
        weight=np.array([float(r["weight"]) for r in rows]),
        active_from=tuple(int(r["active_from"]) if r["active_from"] else None for r in rows),
    )


@lru_cache(maxsize=1)
def groups() -> dict[str, dict]:
    """Product groups (148/QĐ-TTg) with the 2018 survey counts and shares of new ideas."""
    out = {}
    for r in _read_csv("groups.csv"):
        out[r["group_id"]] = {"name_vi": r["name_vi"], "name_en": r["name_en"],
                              "survey_2018": float(r["survey_2018"]), "idea_share": float(r["idea_share"]),
                              "source": r["source"], "mapping": r["survey_2018_mapping"]}
    return out


@lru_cache(maxsize=1)
def merger_stocks() -> dict[str, dict[str, float]]:
    """Stocks an area brings at a merger: ``{area_id: {metric: value}}``."""
    out: dict[str, dict[str, float]] = {}
    for r in _read_csv("merger.csv"):
        out.setdefault(r["area_id"], {})[r["metric"]] = float(r["value"])
    return out


ACTUALS_COLUMNS = ("scope", "metric", "kind_of_series", "year", "at", "value", "source_url")
ACTUAL_METRICS = ("products_3star_plus", "products_3star", "products_4star", "products_provincial_5star",
                  "products_national_5star", "entities", "new_products_3star_plus", "new_products_4star",
                  "new_entities", "evaluation_pass_rate")
MAX_ACTUALS_BYTES = 5_000_000


def load_actuals_csv(path: str | Path | None = None) -> list[dict]:
    """Load an actuals CSV (default: the packaged Đồng Nai series).

    Schema (header row required): ``scope`` (``province``, a region or an area id), ``metric``
    (one of :data:`ACTUAL_METRICS`), ``kind_of_series`` (``stock`` or ``flow``), ``year``
    (flows: the calendar year), ``at`` (stocks: decimal year of the observation, e.g. 2021.5 for
    mid-2021; the model's end-of-year state of year Y is at Y+1), ``value``, ``source_url``.
    Any bad row raises :class:`FactsError` naming the file, the row and the field.
    """
    label = str(path) if path is not None else "ocop_sim/data/actuals.csv"
    if path is None:
        text = resources.files(__name__).joinpath("actuals.csv").read_text(encoding="utf-8")
    else:
        p = Path(path)
        try:
            if p.stat().st_size > MAX_ACTUALS_BYTES:
                raise FactsError(f"{label}: file is larger than {MAX_ACTUALS_BYTES} bytes")
            text = p.read_bytes().decode("utf-8")
        except UnicodeDecodeError as exc:
            raise FactsError(f"{label}: expected UTF-8 text, got undecodable byte at {exc.start}") from None
        except OSError as exc:
            raise FactsError(f"{label}: cannot read ({exc.strerror})") from None
    reader = csv.DictReader(text.splitlines())
    header = reader.fieldnames or []
    missing = [c for c in ACTUALS_COLUMNS if c not in header]
    if missing:
        raise FactsError(f"{label}: header: expected columns {', '.join(ACTUALS_COLUMNS)}, missing {', '.join(missing)}")
    scopes = areas().scopes
    out = []
    for i, r in enumerate(reader, start=2):
        where = f"{label}: row {i}"
        if None in r:
            raise FactsError(f"{where}: expected {len(header)} fields, got more")
        if r["scope"] not in scopes:
            raise FactsError(f"{where}: field scope: expected one of province, a region or an area id, got {r['scope']!r}")
        if r["metric"] not in ACTUAL_METRICS:
            raise FactsError(f"{where}: field metric: expected one of {', '.join(ACTUAL_METRICS)}, got {r['metric']!r}")
        kind = r["kind_of_series"]
        if kind not in ("stock", "flow"):
            raise FactsError(f"{where}: field kind_of_series: expected stock or flow, got {kind!r}")
        try:
            value, vkind = parse_value(r["value"] or "")
        except FactsError as exc:
            raise FactsError(f"{where}: field value: {exc}") from None
        if vkind == "exact" and r.get("value_kind") in ("range", "approx"):
            vkind = r["value_kind"]  # the build already mapped the raw value by a documented rule
        rec = {"scope": r["scope"], "metric": r["metric"], "kind": kind, "value": value, "value_kind": vkind,
               "source_url": r.get("source_url", ""), "note": r.get("note", "") or ""}
        try:
            if kind == "flow":
                rec["year"] = int(r["year"])
                rec["at"] = float(rec["year"]) + 1.0
            else:
                rec["at"] = float(r["at"])
                if not math.isfinite(rec["at"]):
                    raise ValueError(rec["at"])
                rec["year"] = int(math.floor(rec["at"] - 1e-9))  # calendar year observed
        except (TypeError, ValueError):
            field = "year" if kind == "flow" else "at"
            raise FactsError(f"{where}: field {field}: expected a number, got {r.get(field)!r}") from None
        if not (1990 <= rec["at"] <= 2110):
            raise FactsError(f"{where}: field at/year: expected a year in 1990..2110, got {rec['at']}")
        out.append(rec)
    return out


def actuals():
    """The packaged actuals as a pandas DataFrame."""
    import pandas as pd

    return pd.DataFrame(load_actuals_csv())
