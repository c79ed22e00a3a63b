"""Province data packs: everything specific to a province is data in a folder.

A pack is a folder holding ``pack.yaml`` (areas with the years they exist, product groups with
their pool of potential products, the reported stocks at a start date and how to spread what the
reports do not split, evaluation rounds, dated events) and ``actuals.csv`` (the reported series,
each row with the date from which it was known and its source).  The code knows no province:
Đồng Nai 2019 (history), Đồng Nai 2025 (the merged province) and a synthetic national geography
are bundled packs in ``ocop_sim/packs/``; a planner's own pack is any folder with the same files
(``ocop-sim province init NAME --out DIR`` writes a documented skeleton).

A scenario names its pack (``pack: dong_nai_2025`` or a folder path relative to the scenario).

Longer than 400 lines because a pack's schema, its loading and checks, its actuals' reader and the
skeleton writer are one format.
"""
from __future__ import annotations

import csv
import datetime as _dt
import hashlib
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from .config import ASSUMPTION_NAMES, GROUPS, LEVELS, MAX_YEAR, MIN_YEAR, Event, assumption_meta
from .errors import InputError
from .io import atomic_write_text
from .numbers import FactsError, parse_int, parse_number, parse_value
from .reading import format_validation_error, read_yaml

_STRICT = ConfigDict(extra="forbid", frozen=True)
PACK_FILE = "pack.yaml"
ACTUALS_FILE = "actuals.csv"
MAX_PACK_BYTES = 2_000_000
DATE_RE = r"^\d{4}-\d{2}(-\d{2})?$"


class PackError(InputError, ValueError):
    """A pack is invalid or missing.  ``str()`` is one line naming the file and field."""

    def __init__(self, file: str | Path, field: str, message: str):
        self.file, self.field, self.message = str(file), field, message
        where = f"{self.file}: {field}: " if field else f"{self.file}: "
        super().__init__((where + message).replace("\n", " "))


def decimal_date(date: str) -> float:
    """``YYYY-MM-DD`` (or ``YYYY-MM``) as a decimal year: 31/12/2025 -> 2026.0, 30/06/2025 -> 2025.49."""
    parts = [int(x) for x in str(date).split("-")]
    y, m = parts[0], parts[1]
    d = parts[2] if len(parts) > 2 else 15
    day = _dt.date(y, m, d).timetuple().tm_yday
    n = 366 if (y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)) else 365
    if (m, d) == (12, 31):
        return float(y + 1)  # the end of year Y is Y + 1
    return round(y + (day - 1) / n, 2)


class Label(BaseModel):
    model_config = _STRICT
    vi: str = Field(min_length=1, max_length=300)
    en: str = Field(min_length=1, max_length=300)


class PackArea(BaseModel):
    """A planning area; ``active_from``/``active_until``: the years it exists (a merger adds one)."""

    model_config = _STRICT
    id: str = Field(pattern=r"^[a-z0-9_]{1,40}$")
    name_vi: str = Field(min_length=1, max_length=100)
    name_en: str = Field(min_length=1, max_length=100)
    region: str = Field(pattern=r"^[a-z0-9_]{1,40}$")
    weight: float = Field(gt=0, le=1000, description="Share weight of the area in province-wide activity [-]")
    active_from: int | None = Field(default=None, ge=MIN_YEAR, le=MAX_YEAR)
    active_until: int | None = Field(default=None, ge=MIN_YEAR, le=MAX_YEAR)
    source: str = Field(default="", max_length=1000)


class PackGroup(BaseModel):
    """A product group of 148/QĐ-TTg with its pool of potential products at the start."""

    model_config = _STRICT
    id: str
    pool: float = Field(ge=0, le=1e7, description="Potential products known at the start [products]")
    idea_share: float = Field(ge=0, le=1, description="Share of the group in new product ideas [-]")
    source: str = Field(default="", max_length=1000)

    @model_validator(mode="after")
    def _known(self) -> "PackGroup":
        if self.id not in GROUPS:
            raise ValueError(f"expected a group id among {', '.join(GROUPS)}, got {self.id!r}")
        return self


class StarCounts(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
    s3: float = Field(default=0.0, ge=0, le=1e7, alias="3star")
    s4: float = Field(default=0.0, ge=0, le=1e7, alias="4star")
    p5: float = Field(default=0.0, ge=0, le=1e7)
    n5: float = Field(default=0.0, ge=0, le=1e7)

    def as_array(self) -> np.ndarray:
        return np.array([self.s3, self.s4, self.p5, self.n5], float)


class PackStocks(BaseModel):
    """The reported state at ``date`` and the rule that spreads it over areas, groups and ages.

    Reports give province totals by star level; the rule: areas by their weights (or ``by_area``
    shares where reported), groups by the share of each group in certified products
    (``group_shares``, default the groups' ``idea_share``), certificate ages by ``age_shares``
    (youngest first).  Monte Carlo draws the split from a Dirichlet around these shares with
    concentration ``split_concentration`` (the rule's uncertainty); expected mode uses them as is.
    """

    model_config = _STRICT
    date: str = Field(pattern=DATE_RE)
    products: StarCounts = Field(default_factory=StarCounts)
    entities: float = Field(default=0.0, ge=0, le=1e7)
    candidates: float = Field(default=0.0, ge=0, le=1e7, description="Product ideas in development [products]")
    lapsed_cumulative: float = Field(default=0.0, ge=0, le=1e7,
                                     description="Certificates ever lapsed (reported cumulative minus valid) [products]")
    age_shares: tuple[float, float, float] = (1 / 3, 1 / 3, 1 / 3)
    group_shares: dict[str, float] | None = None
    by_area: dict[str, float] | None = Field(default=None, description="Reported share of products by area [-]")
    split_concentration: float = Field(default=50.0, gt=0, le=1e6)
    leader_coverage: float = Field(default=0.0, ge=0, le=1)
    official_coverage: float = Field(default=0.0, ge=0, le=1)
    officials_pool: float | None = Field(default=None, ge=1, le=1e6)
    source: str = Field(default="", max_length=2000)

    @model_validator(mode="after")
    def _ok(self) -> "PackStocks":
        if abs(sum(self.age_shares) - 1.0) > 1e-6 or min(self.age_shares) < 0:
            raise ValueError(f"age_shares: expected three shares >= 0 summing to 1, got {list(self.age_shares)}")
        for name, d in (("group_shares", self.group_shares), ("by_area", self.by_area)):
            if d is not None and (any(v < 0 for v in d.values()) or sum(d.values()) <= 0):
                raise ValueError(f"{name}: expected shares >= 0 with a positive sum")
        if self.group_shares is not None:
            bad = [g for g in self.group_shares if g not in GROUPS]
            if bad:
                raise ValueError(f"group_shares: expected group ids among {', '.join(GROUPS)}, got {bad[0]!r}")
        return self


class PackAssumption(BaseModel):
    """A province-specific default of an assumption (e.g. the year of its first evaluation round),
    with its source, the date it was known and the value a forecaster would have used before."""

    model_config = _STRICT
    value: float
    source: str = Field(min_length=1, max_length=1000)
    known_from: str | None = Field(default=None, pattern=DATE_RE)
    fallback: float | None = Field(default=None, description="Value before known_from (a backtest's)")


class PackInfo(BaseModel):
    model_config = _STRICT
    schema_version: Literal[1] = 1
    name: str = Field(pattern=r"^[a-z0-9_]{1,40}$")
    kind: Literal["province", "synthetic"] = "province"
    title: Label
    province: Label
    start: int = Field(ge=MIN_YEAR, le=MAX_YEAR, description="First simulated year [year]")
    stock_date: str = Field(pattern=DATE_RE)
    areas: list[PackArea] = Field(min_length=1, max_length=500)
    groups: list[PackGroup] = Field(min_length=len(GROUPS), max_length=len(GROUPS))
    stocks: PackStocks
    rounds: dict[int, list[int]] = Field(default_factory=dict,
                                         description="Months of provincial evaluation rounds by year")
    central_rounds: dict[int, list[int]] = Field(default_factory=dict,
                                                 description="Months of central (national 5★) recognitions by year")
    events: list[Event] = Field(default_factory=list, max_length=200)
    assumptions: dict[str, PackAssumption] = Field(default_factory=dict, max_length=100,
                                                   description="Province-specific defaults of assumptions")
    notes: str = Field(default="", max_length=5000)

    @model_validator(mode="after")
    def _cross(self) -> "PackInfo":
        ids = [a.id for a in self.areas]
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            raise ValueError(f"areas: expected unique ids, got duplicates {dup}")
        if [g.id for g in self.groups] != list(GROUPS):
            raise ValueError(f"groups: expected the six groups in this order: {', '.join(GROUPS)}")
        if sum(g.idea_share for g in self.groups) <= 0:
            raise ValueError("groups: expected idea_share summing to more than 0")
        if decimal_date(self.stock_date) > self.start + 0.01 or decimal_date(self.stock_date) < self.start - 1.0:
            raise ValueError(f"stock_date: expected a date in the year before start {self.start}, got {self.stock_date}")
        for what, table in (("rounds", self.rounds), ("central_rounds", self.central_rounds)):
            for y, months in table.items():
                if not months or not all(1 <= m <= 12 for m in months):
                    raise ValueError(f"{what}.{y}: expected months 1..12, got {months}")
        if self.stocks.by_area is not None:
            bad = [a for a in self.stocks.by_area if a not in ids]
            if bad:
                raise ValueError(f"stocks.by_area: expected area ids of this pack, got {bad[0]!r}")
        for i, ev in enumerate(self.events):
            if ev.type == "merger" and ev.area not in ids:
                raise ValueError(f"events.{i}.area: expected an area id of this pack, got {ev.area!r}")
        for name, a in self.assumptions.items():
            if name not in ASSUMPTION_NAMES:
                import difflib

                close = difflib.get_close_matches(name, ASSUMPTION_NAMES, n=1, cutoff=0.6)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise ValueError(f"assumptions.{name}: expected an assumption name{hint}")
            m = assumption_meta(name)
            for v in (a.value, a.fallback):
                if v is not None and not m["low"] <= v <= m["high"]:
                    raise ValueError(f"assumptions.{name}: expected a value in [{m['low']}, {m['high']}], got {v}")
        return self


ACTUALS_COLUMNS = ("scope", "metric", "kind_of_series", "year", "at", "value", "source_url")
ACTUAL_METRICS = ("products_3star_plus", "products_3star", "products_4star", "products_provincial_5star",
                  "products_national_5star", "entities", "new_products_3star_plus", "new_products_4star",
                  "new_entities", "evaluation_pass_rate", "recertified")


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

    def label(self, scope: str, lang: str = "vi") -> str:
        if scope in self.ids:
            i = self.ids.index(scope)
            return self.name_vi[i] if lang == "vi" else self.name_en[i]
        return scope


@dataclass(frozen=True)
class Pack:
    """A loaded, validated pack."""

    info: PackInfo
    folder: Path
    actuals: tuple[dict, ...]
    digest: str

    @property
    def name(self) -> str:
        return self.info.name

    @property
    def start(self) -> int:
        return self.info.start

    @property
    def areas(self) -> Areas:
        return _areas_of(self)

    def groups(self) -> dict[str, dict]:
        return {g.id: {"pool": g.pool, "idea_share": g.idea_share, "source": g.source,
                       "survey_2018": g.pool} for g in self.info.groups}

    def round_fraction(self, year: int, month_frac: float, central: bool = False) -> float:
        """Share of year ``year``'s rounds held by the decimal month ``month_frac`` (0–12).

        Stocks change in steps at evaluation rounds: a report in mid-year sees the rounds held by
        then, not a straight line between year ends.  ``central``: the central council's
        recognitions (national 5★) instead of the provincial rounds.  Default: one round in December.
        """
        table = self.info.central_rounds if central else self.info.rounds
        months = table.get(int(year), [12])
        return sum(1 for m in months if m <= month_frac + 1e-9) / len(months)


@lru_cache(maxsize=32)
def _areas_cached(digest: str, rows: tuple) -> Areas:
    return Areas(ids=tuple(r[0] for r in rows), name_vi=tuple(r[1] for r in rows), name_en=tuple(r[2] for r in rows),
                 region=tuple(r[3] for r in rows), weight=np.array([r[4] for r in rows], float),
                 active_from=tuple(r[5] for r in rows))


def _areas_of(pack: Pack) -> Areas:
    rows = tuple((a.id, a.name_vi, a.name_en, a.region, a.weight, a.active_from) for a in pack.info.areas)
    return _areas_cached(pack.digest, rows)


# ----------------------------------------------------------------------------- loading


_BUNDLED_SEEN: set[str] = set()


@lru_cache(maxsize=1)
def bundled_dir() -> Path:
    return Path(str(resources.files("ocop_sim").joinpath("packs")))


def bundled_names() -> tuple[str, ...]:
    d = bundled_dir()
    return tuple(sorted(p.name for p in d.iterdir() if (p / PACK_FILE).is_file())) if d.is_dir() else ()


def resolve(ref: str, folder: Path | None = None) -> Path:
    """Folder of a pack named ``ref``: a bundled name, or a folder path (relative to ``folder``)."""
    if ref in _BUNDLED_SEEN or (re.fullmatch(r"[a-z0-9_]{1,40}", ref) and (bundled_dir() / ref / PACK_FILE).is_file()):
        _BUNDLED_SEEN.add(ref)
        return bundled_dir() / ref
    p = Path(ref)
    if not p.is_absolute() and folder is not None:
        p = folder / p
    if (p / PACK_FILE).is_file():
        return p.resolve()
    import difflib

    close = difflib.get_close_matches(ref, bundled_names(), n=1, cutoff=0.6)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    raise PackError(ref, "pack", f"expected a bundled pack ({', '.join(bundled_names())}) or a folder with "
                    f"{PACK_FILE}{hint}, got {ref!r}")


_MEMO: dict[tuple, Pack] = {}


_RECENT: dict[tuple, tuple[float, Pack]] = {}
#: A pack is re-checked on disk at most this often [s]: the model reads it many times a run.
RECHECK_SECONDS = 1.0


def load_pack(ref: str, folder: Path | None = None) -> Pack:
    """Load and validate a pack (cached by folder and file contents; a changed file is re-read)."""
    import time

    now = time.monotonic()
    hit = _RECENT.get((ref, folder))
    if hit is not None and now - hit[0] < RECHECK_SECONDS:
        return hit[1]
    pack = _load_checked(ref, folder)
    _RECENT[(ref, folder)] = (now, pack)
    return pack


def _load_checked(ref: str, folder: Path | None) -> Pack:
    d = resolve(ref, folder)
    pf, af = d / PACK_FILE, d / ACTUALS_FILE
    try:
        stamp = tuple((f.stat().st_mtime_ns, f.stat().st_size) if f.exists() else None for f in (pf, af))
    except OSError:
        stamp = None
    key = (str(d), stamp)
    if stamp is not None and key in _MEMO:
        return _MEMO[key]
    pack = _read_pack(d, pf, af)
    if stamp is not None:
        _MEMO[key] = pack
    return pack


def _read_pack(d: Path, pf: Path, af: Path) -> Pack:
    blobs = []
    for f in (pf, af):
        try:
            if f.exists() and f.stat().st_size > MAX_PACK_BYTES:
                raise PackError(f, "", f"expected at most {MAX_PACK_BYTES} bytes")
            blobs.append(f.read_bytes() if f.exists() else b"")
        except OSError as exc:
            raise PackError(f, "", f"cannot read ({exc.strerror})") from None
    digest = hashlib.sha256(b"\0".join(blobs)).hexdigest()
    return _load_cached(str(d), digest)


@lru_cache(maxsize=32)
def _load_cached(folder: str, digest: str) -> Pack:
    d = Path(folder)
    label = str(d / PACK_FILE)
    data = read_yaml(d / PACK_FILE, label)
    if not isinstance(data, dict):
        raise PackError(label, "", f"expected a mapping of pack fields, got {type(data).__name__}")
    try:
        info = PackInfo.model_validate(data)
    except ValidationError as exc:
        err = format_validation_error(label, exc)
        raise PackError(label, err.field, err.message) from None
    if info.name != d.name and (d.parent == bundled_dir()):
        raise PackError(label, "name", f"expected the folder name {d.name!r}, got {info.name!r}")
    af = d / ACTUALS_FILE
    rows: list[dict] = []
    if af.exists():
        areas = Areas(ids=tuple(a.id for a in info.areas), name_vi=(), name_en=(),
                      region=tuple(a.region for a in info.areas), weight=np.ones(len(info.areas)), active_from=())
        rows = parse_actuals(af.read_bytes(), str(af), areas.scopes)
    return Pack(info=info, folder=d, actuals=tuple(rows), digest=digest)


# ----------------------------------------------------------------------------- actuals


def parse_actuals(blob: bytes, label: str, scopes: tuple[str, ...]) -> list[dict]:
    """Rows of an actuals CSV (the pack's, or a user's ``--actuals FILE``).

    Columns: ``scope``, ``metric``, ``kind_of_series`` (stock/flow), ``counting`` (stocks:
    ``valid`` certificates or ``cumulative`` ever certified; default valid), ``year`` (flows),
    ``at`` (stocks: decimal year, end of year Y = Y+1), ``value``, ``known_from`` (date the number
    was published; default the observation date), ``source_url``; optional ``value_kind``,
    ``raw_value``, ``date``, ``note``.  Any bad row raises :class:`ocop_sim.data.FactsError`.
    """
    try:
        text = blob.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FactsError(f"{label}: expected UTF-8 text, got undecodable byte at {exc.start}") from None
    reader = csv.DictReader(text.splitlines())
    header = reader.fieldnames or []
    missing = [c for c in ACTUALS_COLUMNS if c not in header]
    if missing:
        raise FactsError(f"{label}: header: expected columns {', '.join(ACTUALS_COLUMNS)}, missing {', '.join(missing)}")
    out = []
    for i, r in enumerate(reader, start=2):
        where = f"{label}: row {i}"
        if None in r:
            raise FactsError(f"{where}: expected {len(header)} fields, got more")
        if r["scope"] not in scopes:
            raise FactsError(f"{where}: field scope: expected one of {', '.join(scopes[:8])}…, got {r['scope']!r}")
        if r["metric"] not in ACTUAL_METRICS:
            raise FactsError(f"{where}: field metric: expected one of {', '.join(ACTUAL_METRICS)}, got {r['metric']!r}")
        kind = r["kind_of_series"]
        if kind not in ("stock", "flow"):
            raise FactsError(f"{where}: field kind_of_series: expected stock or flow, got {kind!r}")
        counting = (r.get("counting") or ("valid" if kind == "stock" else "new")).strip()
        allowed = ("valid", "cumulative") if kind == "stock" else ("new", "")
        if counting not in allowed:
            raise FactsError(f"{where}: field counting: expected {' or '.join(a for a in allowed if a)}, got {counting!r}")
        try:
            value, vkind = parse_value(r["value"] or "")
        except FactsError as exc:
            raise FactsError(f"{where}: field value: {exc}") from None
        if vkind == "exact" and r.get("value_kind") in ("range", "approx"):
            vkind = r["value_kind"]
        fit = (r.get("fit") or "yes").strip()
        if fit not in ("yes", "no"):
            raise FactsError(f"{where}: field fit: expected yes or no, got {fit!r}")
        rec = {"scope": r["scope"], "metric": r["metric"], "kind": kind, "counting": counting or "new", "fit": fit == "yes",
               "value": value, "value_kind": vkind, "source_url": r.get("source_url", "") or "",
               "note": r.get("note", "") or "", "date": r.get("date", "") or ""}
        try:  # the shared number rule: plain ASCII digits ("2_020" and "٢٠٢٠" are not years)
            if kind == "flow":
                rec["year"] = parse_int(r["year"])
                rec["at"] = float(rec["year"]) + 1.0
            else:
                rec["at"] = parse_number(r["at"])
                rec["year"] = int(math.floor(rec["at"] - 1e-9))
        except (TypeError, ValueError):
            field = "year" if kind == "flow" else "at"
            raise FactsError(f"{where}: field {field}: expected a number, got {r.get(field)!r}") from None
        if not (1990 <= rec["at"] <= 2110):
            raise FactsError(f"{where}: field at/year: expected a year in 1990..2110, got {rec['at']}")
        kf = (r.get("known_from") or "").strip()
        if kf:
            if not re.fullmatch(DATE_RE, kf):
                raise FactsError(f"{where}: field known_from: expected a date YYYY-MM-DD or YYYY-MM, got {kf!r}")
            rec["known_at"] = decimal_date(kf)
        else:
            rec["known_at"] = rec["at"]
        if rec["known_at"] + 1e-9 < rec["at"] - 1.0:
            raise FactsError(f"{where}: field known_from: expected a date after the observed period, got {kf!r}")
        out.append(rec)
    return out


def known_by(rows, until: int) -> list[dict]:
    """Rows that were published by the end of year ``until`` (a backtest's knowledge)."""
    return [o for o in rows if o["known_at"] <= until + 1.0 + 1e-9]


# ----------------------------------------------------------------------------- skeleton

SKELETON = """\
# A province data pack for ocop-sim (written by `ocop-sim province init`).  Every number is data
# with its source; replace the placeholders with your province's figures, then run
# `ocop-sim validate` on a scenario that names this pack (`pack: {folder}`).
schema_version: 1
name: {name}
kind: province
title: {{vi: "{name} (số liệu tỉnh)", en: "{name} (province data)"}}
province: {{vi: "{name}", en: "{name}"}}
# First simulated year; the stocks below are the reported state at stock_date (31/12 of start-1).
start: {start}
stock_date: "{prev}-12-31"
# Planning areas (districts, former provinces, regions): weight = share of OCOP activity;
# active_from/active_until: the years an area exists (e.g. a merger adds an area).
areas:
  - {{id: north, name_vi: "Khu vực phía Bắc", name_en: "North", region: {name}, weight: 0.4, source: "judgement"}}
  - {{id: centre, name_vi: "Khu vực trung tâm", name_en: "Centre", region: {name}, weight: 0.35, source: "judgement"}}
  - {{id: south, name_vi: "Khu vực phía Nam", name_en: "South", region: {name}, weight: 0.25, source: "judgement"}}
# The six groups of 148/QĐ-TTg: pool = potential products known at the start (a baseline survey);
# idea_share = the group's share of new product ideas.
groups:
  - {{id: food, pool: 80, idea_share: 0.75, source: "judgement"}}
  - {{id: beverage, pool: 8, idea_share: 0.08, source: "judgement"}}
  - {{id: herbal, pool: 5, idea_share: 0.05, source: "judgement"}}
  - {{id: handicraft, pool: 6, idea_share: 0.06, source: "judgement"}}
  - {{id: ornamental, pool: 2, idea_share: 0.02, source: "judgement"}}
  - {{id: tourism, pool: 4, idea_share: 0.04, source: "judgement"}}
# Reported stocks at stock_date, by star level (3star, 4star, p5 = provincial 5★ awaiting the
# central council, n5 = national 5★), entities, ideas in development.  What the reports do not
# split is spread by the rule in the documentation of ocop_sim.packs.PackStocks.
stocks:
  date: "{prev}-12-31"
  products: {{3star: 20, 4star: 6, p5: 0, n5: 0}}
  entities: 15
  candidates: 20
  age_shares: [0.4, 0.35, 0.25]
  source: "placeholder: replace with the province's report"
# Months of provincial evaluation rounds by year (default: one round in December).
rounds: {{}}
# Dated events: the year, the date from which it was known (known_from) and the source.
events: []
"""

ACTUALS_SKELETON = (
    "scope,metric,kind_of_series,counting,year,at,value,value_kind,raw_value,date,known_from,source_url,note\n"
    "province,products_3star_plus,stock,cumulative,,{at},26,exact,26,{prev}-12-31,{start}-02-01,"
    "https://example.org/replace-with-source,placeholder row: replace with a reported figure\n")


def write_skeleton(name: str, out: Path, start: int = 2026) -> list[Path]:
    """Write a documented skeleton pack into the new folder ``out``; refuses an existing pack."""
    if not re.fullmatch(r"[a-z0-9_]{1,40}", name):
        raise PackError(name, "name", "expected lowercase letters, digits and _ (at most 40)")
    if not MIN_YEAR < start <= MAX_YEAR:
        raise PackError(name, "start", f"expected a year in {MIN_YEAR + 1}..{MAX_YEAR}, got {start}")
    if (out / PACK_FILE).exists() or (out / ACTUALS_FILE).exists():
        raise PackError(out, "", "expected a new folder: a pack is already there (nothing was overwritten)")
    if out.exists() and not out.is_dir():
        raise PackError(out, "", "expected a folder, got a file")
    out.mkdir(parents=True, exist_ok=True)
    fmt = {"name": name, "start": start, "prev": start - 1, "folder": out.name, "at": f"{float(start):.1f}"}
    return [atomic_write_text(out / PACK_FILE, SKELETON.format(**fmt)),
            atomic_write_text(out / ACTUALS_FILE, ACTUALS_SKELETON.format(**fmt))]


def describe(pack: Pack) -> dict[str, Any]:
    """A short summary for CLI output."""
    s = pack.info.stocks
    return {"name": pack.name, "start": pack.start, "areas": len(pack.info.areas),
            "stocks": dict(zip(LEVELS, s.products.as_array().tolist())), "entities": s.entities,
            "actuals": len(pack.actuals), "events": len(pack.info.events)}


def collapsed_run(scenario, events: list) -> tuple:
    """``scenario`` on its pack collapsed by region (:func:`collapsed`) and ``events`` with their
    merger areas mapped to the region they belong to: the fast run of calibration."""
    pack = load_pack(scenario.pack)
    region = dict(zip(pack.areas.ids, pack.areas.region))
    fast = scenario.model_copy(update={"pack": str(collapsed(pack))})
    return fast, [ev.model_copy(update={"area": region[ev.area]}) if ev.type == "merger" else ev for ev in events]


def collapsed(pack: Pack) -> Path:
    """A copy of ``pack`` with its areas merged by region, for calibration (returns its folder).

    Every per-area quantity of the expected model scales with the area's weight, so the region
    totals of the collapsed pack equal those of the full one (tests/test_inference.py checks
    this); the likelihood only sees regions, and a run costs a fraction of the full one.
    """
    import tempfile

    import yaml

    info = pack.info
    regions = list(dict.fromkeys(a.region for a in info.areas))
    if len(regions) == len(info.areas):
        return pack.folder
    out = Path(tempfile.gettempdir()) / "ocop_sim_packs" / f"{info.name}_regions_{pack.digest[:16]}"
    if (out / PACK_FILE).is_file() and (out / ACTUALS_FILE).exists():
        return out
    area_region = {a.id: a.region for a in info.areas}
    areas = []
    for r in regions:
        members = [a for a in info.areas if a.region == r]
        starts = [a.active_from for a in members]
        areas.append({"id": r, "name_vi": r, "name_en": r, "region": r, "weight": sum(a.weight for a in members),
                      "active_from": None if any(s is None for s in starts) else min(starts),
                      "source": "sum of the region's areas"})
    doc = info.model_dump(mode="json", by_alias=True)
    doc["areas"] = areas
    if info.stocks.by_area:
        by = {}
        for a, v in info.stocks.by_area.items():
            by[area_region[a]] = by.get(area_region[a], 0.0) + v
        doc["stocks"]["by_area"] = by
    for ev in doc["events"]:
        if ev.get("type") == "merger":
            ev["area"] = area_region[ev["area"]]
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=out.parent, prefix=".tmp_"))
    (tmp / PACK_FILE).write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    src = pack.folder / ACTUALS_FILE
    (tmp / ACTUALS_FILE).write_bytes(src.read_bytes() if src.exists() else b"")
    try:
        tmp.rename(out)
    except OSError:  # another process made it first
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)
    return out
