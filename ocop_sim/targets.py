"""Target registries (YAML data) and attainment: projected value and probability of meeting it."""
from __future__ import annotations

import difflib
import hashlib
import math
import re
from functools import lru_cache
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from . import metrics as _metrics
from .config import MAX_YEAR, MIN_YEAR
from .numbers import is_plain_number_text, quoted_numbers
from .packs import load_pack
from .reading import ScenarioError, format_validation_error, read_yaml, within

_STRICT = ConfigDict(extra="forbid", frozen=True)

#: Comparisons a target may use; a small tolerance absorbs floating error (a coverage of
#: 0.9999999999 meets "100 %").
COMPARISONS = {
    ">=": lambda x, v: x >= v - 1e-9 * max(1.0, abs(v)),
    ">": lambda x, v: x > v,
    "<=": lambda x, v: x <= v + 1e-9 * max(1.0, abs(v)),
    "<": lambda x, v: x < v,
}

#: Probability thresholds of the status words.
MET_AT = 0.8
AT_RISK_AT = 0.2


def status(probability: float) -> str:
    """``met`` (P ≥ 0.8), ``at_risk`` (0.2 ≤ P < 0.8) or ``missed`` (P < 0.2)."""
    if probability >= MET_AT:
        return "met"
    if probability >= AT_RISK_AT:
        return "at_risk"
    return "missed"


class Target(BaseModel):
    model_config = _STRICT

    id: str = Field(pattern=r"^[a-z0-9_]{1,64}$")
    metric: str
    year: int | None = Field(default=None, ge=MIN_YEAR, le=MAX_YEAR)
    period: tuple[int, int] | None = None
    comparison: Literal[">=", ">", "<=", "<"]
    value: float
    scope: str = "province"
    label_vi: str = Field(min_length=1, max_length=400)
    label_en: str = Field(min_length=1, max_length=400)
    source: str = Field(min_length=1, max_length=1000)
    note: str = Field(default="", max_length=1000)
    headline: bool = False

    @model_validator(mode="after")
    def _ok(self) -> "Target":
        known = _metrics.names()
        if self.metric not in known:
            close = difflib.get_close_matches(self.metric, known, n=1, cutoff=0.6)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ValueError(f"unknown metric {self.metric!r}{hint}")
        if not math.isfinite(self.value):
            raise ValueError(f"expected a finite value, got {self.value}")
        kind = _metrics.kind(self.metric)
        if (self.year is None) == (self.period is None):
            raise ValueError("expected exactly one of 'year' (stocks, ratios) or 'period' (flows)")
        if kind == "flow" and self.period is None:
            raise ValueError(f"{self.metric} is a flow: expected 'period: [start, end]'")
        if kind == "stock" and self.year is None:
            raise ValueError(f"{self.metric} is a stock: expected 'year'")
        if self.period is not None and not (MIN_YEAR <= self.period[0] <= self.period[1] <= MAX_YEAR):
            raise ValueError(f"expected period [start, end] with start <= end, got {list(self.period)}")
        if not re.fullmatch(r"[a-z0-9_]{1,64}", self.scope):
            raise ValueError(f"expected scope province, a region or an area id, got {self.scope!r}")
        return self

    @property
    def when(self) -> str:
        return str(self.year) if self.year is not None else f"{self.period[0]}–{self.period[1]}"

    @property
    def end_year(self) -> int:
        return self.year if self.year is not None else self.period[1]


class NotModelled(BaseModel):
    model_config = _STRICT

    id: str = Field(pattern=r"^[a-z0-9_]{1,64}$")
    label_vi: str = Field(min_length=1, max_length=600)
    label_en: str = Field(min_length=1, max_length=600)
    source: str = Field(min_length=1, max_length=1000)
    reason: str = Field(default="qualitative", max_length=600)


class RegistryInfo(BaseModel):
    model_config = _STRICT

    id: str = Field(pattern=r"^[a-z0-9_]{1,64}$")
    kind: Literal["plan", "planners_goal"] = "plan"
    title_vi: str = Field(min_length=1, max_length=400)
    title_en: str = Field(min_length=1, max_length=400)
    source: str = Field(min_length=1, max_length=1000)
    note: str = Field(default="", max_length=2000)


class Registry(BaseModel):
    model_config = _STRICT

    registry: RegistryInfo
    targets: list[Target] = Field(default_factory=list, max_length=500)
    not_modelled: list[NotModelled] = Field(default_factory=list, max_length=500)

    @model_validator(mode="after")
    def _unique(self) -> "Registry":
        ids = [t.id for t in self.targets] + [t.id for t in self.not_modelled]
        dup = {i for i in ids if ids.count(i) > 1}
        if dup:
            raise ValueError(f"expected unique target ids, got duplicates {sorted(dup)}")
        return self


def load_registry(path: str | Path) -> Registry:
    """Load and validate a target registry; errors are :class:`ScenarioError`."""
    p = Path(path)
    return _load_cached(str(p.resolve()), p.stat().st_mtime_ns if p.exists() else 0, str(p))


@lru_cache(maxsize=64)
def _load_cached(resolved: str, mtime: int, label: str) -> Registry:
    data = read_yaml(Path(resolved), label)
    if not isinstance(data, dict):
        raise ScenarioError(label, "", f"expected a mapping with 'registry' and 'targets', got {type(data).__name__}")
    found = quoted_numbers(Registry, data)  # the shared number rule: '10' and '1_0' are text
    if found:
        where, text = found[0]
        hint = " (write it without quotes)" if is_plain_number_text(text) else ""
        raise ScenarioError(label, where, f"expected a number, got the text {text!r}{hint}")
    try:
        return Registry.model_validate(data)
    except ValidationError as exc:
        raise format_validation_error(label, exc) from None


def registry_paths(result_or_scenario, folder: Path | None = None) -> list[Path]:
    """The files of the registries a scenario names, found as :func:`scenario_registries` finds them.

    A resolved scenario (:func:`ocop_sim.scenarios.load`) names them by absolute path, or relative to
    the bundled params when inside it; a relative name is looked up in ``folder`` first (confined
    to it), then in the bundled params."""
    sc = getattr(result_or_scenario, "scenario", result_or_scenario)
    folder = Path(folder) if folder is not None else default_params_dir()
    out = []
    for reg in sc.targets:
        if Path(reg).is_absolute():  # resolved by the loader (a registry outside the bundled params)
            out.append(Path(reg))
            continue
        p = resolve_registry_path(reg, folder)
        if p is None or not p.exists():
            p = resolve_registry_path(reg, default_params_dir())
        if p is None:
            raise ScenarioError(str(reg), "targets", f"expected a registry file inside {folder}, got {reg!r}")
        out.append(p)
    return out


def scenario_registries(result_or_scenario, folder: Path | None = None) -> list[Registry]:
    """The registries a scenario names (relative to ``folder``, default the bundled params)."""
    return [load_registry(p) for p in registry_paths(result_or_scenario, folder)]


def registries_digest(result_or_scenario, folder: Path | None = None) -> str:
    """SHA-256 of the *contents* of the registries a scenario names (their names and bytes, in
    order): part of the result cache's key and of the report's resume markers, so an edited
    registry re-evaluates and re-renders.  A missing file counts as ``missing``."""
    h = hashlib.sha256()
    for p in registry_paths(result_or_scenario, folder):
        h.update(p.name.encode() + b"\0")
        try:
            h.update(hashlib.sha256(p.read_bytes()).digest())
        except OSError:
            h.update(b"missing")
    return h.hexdigest()


def default_params_dir() -> Path:
    here = Path(__file__).resolve().parent
    for cand in (here.parent / "params", Path.cwd() / "params"):
        if cand.is_dir():
            return cand
    return here.parent / "params"


def resolve_registry_path(reg: str, folder: Path) -> Path | None:
    """A target registry named in a scenario, relative to the scenario's folder; None if it escapes."""
    if not isinstance(reg, str) or "\x00" in reg:
        return None
    p = folder / reg
    if not within(p, folder):
        return None
    return p


def target_values(result, target: Target) -> np.ndarray:
    """Per-draw projected values of a target's metric."""
    return result.value(target.metric, target.scope, year=target.year, period=target.period)


#: Metrics whose values are fixed by the plan's levers (counts of projects, points and centres
#: built from planned counts or budget ÷ unit cost): shown as planned, never as a probability.
PLANNED_METRICS = ("display_points", "display_centres", "startup_projects", "agritourism_projects",
                   "value_chain_projects")

#: Status words of the evaluation of past targets and of planned counts.
EVALUATION_STATUSES = ("met_reported", "missed_reported", "no_report", "planned")


def last_reported_year(result) -> int:
    """The last calendar year the scenario's pack holds reports for (targets up to it are history)."""
    rows = load_pack(result.scenario.pack).actuals
    return max((o["year"] for o in rows), default=int(result.years[0]) - 1)


def is_past(result, target: Target) -> bool:
    """A target is evaluated against reports, not simulated, when its date has passed: it ends
    before an outlook's start, or (history) within the years the pack has reports for; never in a
    counterfactual, which simulates another past."""
    sc = result.scenario
    if sc.counterfactual:  # a what-if on the past simulates it: its targets are not the reports'
        return False
    if sc.kind == "outlook":
        return target.end_year < sc.horizon.start
    return target.end_year <= last_reported_year(result)


def reported(result, target: Target) -> dict:
    """The reported figure of a past target from the pack's actuals: value, date, source, note.

    Stocks: the latest report of the target's metric and scope within the target year (valid
    and cumulative counts alike: both say how many products the province had).  Flows over a
    period: the sum of the yearly reports; when some years are missing, the partial sum is a lower
    bound, which settles a ``>=`` target once it reaches the goal.  Empty dict: no reported figure.
    """
    rows = [o for o in load_pack(result.scenario.pack).actuals
            if o["metric"] == target.metric and o["scope"] == target.scope]
    if target.year is not None:
        inside = [o for o in rows if o["kind"] == "stock" and target.year < o["at"] <= target.year + 1.0 + 1e-9]
        if not inside:
            return {}
        o = max(inside, key=lambda r: r["at"])
        return {"value": o["value"], "date": o.get("date", ""), "source": o.get("source_url", ""), "complete": True}
    a, b = target.period
    flows = {o["year"]: o for o in rows if o["kind"] == "flow" and a <= o["year"] <= b}
    if not flows:
        return {}
    total = float(sum(o["value"] for o in flows.values()))
    years = sorted(flows)
    return {"value": total, "date": ", ".join(map(str, years)), "source": flows[years[-1]].get("source_url", ""),
            "complete": len(years) == b - a + 1}


def _evaluate(target: Target, rep: dict) -> str:
    if not rep:
        return "no_report"
    ok = bool(COMPARISONS[target.comparison](np.array(rep["value"]), target.value))
    if rep["complete"]:
        return "met_reported" if ok else "missed_reported"
    # a partial sum of yearly reports is a lower bound: it settles ">=" / ">" once reached
    if ok and target.comparison in (">=", ">"):
        return "met_reported"
    return "no_report"


def attainment(result, registry: Registry | list[Registry] | None = None, folder: Path | None = None):
    """Attainment table: one row per target.

    Past targets (:func:`is_past`) carry the reported figure, its date and source and
    ``met_reported`` / ``missed_reported`` / ``no_report``; counts fixed by the plan's levers
    (:data:`PLANNED_METRICS`) carry the planned value and ``planned``; the others the projected
    median, P10, P90, mean, the probability of meeting the target and its status word.
    """
    import pandas as pd

    if registry is None:
        regs = scenario_registries(result, folder)
    elif isinstance(registry, Registry):
        regs = [registry]
    else:
        regs = list(registry)
    rows = []
    last = int(result.years[-1])
    first = int(result.years[0])
    for reg in regs:
        for t in reg.targets:
            row = {"registry": reg.registry.id, "registry_kind": reg.registry.kind, "id": t.id,
                   "label_vi": t.label_vi, "label_en": t.label_en, "metric": t.metric, "scope": t.scope,
                   "when": t.when, "comparison": t.comparison, "target": t.value, "source": t.source,
                   "headline": t.headline}
            start = t.year if t.year is not None else t.period[0]
            row.update(phase="outlook", reported=np.nan, reported_date="", reported_source="")
            if is_past(result, t):
                rep = reported(result, t)
                row.update(median=np.nan, p10=np.nan, p90=np.nan, mean=np.nan, probability=np.nan,
                           status=_evaluate(t, rep), phase="evaluation", reported=rep.get("value", np.nan),
                           reported_date=rep.get("date", ""), reported_source=rep.get("source", ""))
            elif t.end_year > last or start < first:
                row.update(median=np.nan, p10=np.nan, p90=np.nan, mean=np.nan, probability=np.nan,
                           status="outside_horizon")
            elif t.metric in PLANNED_METRICS:
                v = target_values(result, t)
                row.update(median=float(np.median(v)), p10=float(np.median(v)), p90=float(np.median(v)),
                           mean=float(np.mean(v)), probability=np.nan, status="planned")
            else:
                v = target_values(result, t)
                ok = COMPARISONS[t.comparison](v, t.value) & np.isfinite(v)
                prob = float(ok.mean())
                q = np.nanquantile(v, [0.1, 0.5, 0.9]) if np.isfinite(v).any() else [np.nan] * 3
                row.update(median=float(q[1]), p10=float(q[0]), p90=float(q[2]), mean=float(np.nanmean(v)),
                           probability=prob, status=status(prob))
            rows.append(row)
    return pd.DataFrame(rows)


def not_modelled(registries: list[Registry]):
    import pandas as pd

    return pd.DataFrame([{"registry": r.registry.id, **t.model_dump()} for r in registries for t in r.not_modelled])
