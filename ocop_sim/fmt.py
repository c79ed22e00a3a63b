"""One formatting layer for everything a reader sees: report tables, text, charts and Excel.

Vietnamese numbers as ``1.234,5``, English as ``1,234.5``; and, in both languages:

* years without separators (``2035``, never ``2.035``);
* dates as ``30/06/2025`` (a decimal year such as ``2025.49`` is turned into its date);
* counts (products, entities, projects, people) as whole numbers;
* shares and probabilities as percent, ``15 %`` (a space before the sign, as everywhere in
  the reports), never ``-0 %``;
* comparisons as words: ``từ 12 trở lên`` / ``at least 12``;
* timestamps in Vietnam's local time (UTC+7), ``30/11/2026 18:03``.

:data:`EXCEL_FORMATS` gives the same choices as Excel number formats (:mod:`ocop_sim.excel`).
"""
from __future__ import annotations

import datetime as _dt
import math
import re
from typing import Any

from .metrics import GLOSSARY

#: Vietnam's time zone (no daylight saving): local time of the reports' timestamps.
VN_TZ = _dt.timezone(_dt.timedelta(hours=7))

#: Units whose values are counted things (shown as whole numbers).
COUNT_UNITS = {"products", "entities", "persons", "points", "centres", "projects", "candidates", "count",
               "products/year", "entities/year", "ideas/year", "count/year"}
#: Units of shares (shown as percent).
SHARE_UNITS = {"fraction", "share"}

#: Excel number formats of the kinds of values (the workbook's cells match the report's text).
EXCEL_FORMATS = {"count": "#,##0", "share": "0%", "share1": "0.0%", "year": "0", "money": "#,##0.0",
                 "number": "#,##0.0##", "date": "dd/mm/yyyy", "text": "@"}


def _finite(x: Any) -> float | None:
    try:
        xf = float(x)
    except (TypeError, ValueError):
        return None
    return xf if math.isfinite(xf) else None


def _localise(s: str, lang: str) -> str:
    if lang == "vi":
        s = s.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    return s


def number(x: Any, lang: str = "en", digits: int = 1) -> str:
    """A number with up to ``digits`` decimals (trailing zeros dropped); ``—`` when missing."""
    xf = _finite(x)
    if xf is None:
        return "—" if x is None or isinstance(x, (int, float)) else str(x)
    s = f"{xf:,.{digits}f}"
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    if s.lstrip("-").replace(",", "").replace(".", "").strip("0") == "":
        s = s.lstrip("-")  # no "-0"
    return _localise(s, lang)


def count(x: Any, lang: str = "en") -> str:
    """A count as a whole number (``1.094``, not ``1.093,5``)."""
    xf = _finite(x)
    if xf is None:
        return "—"
    return _localise(f"{int(math.floor(xf + 0.5)):,}", lang)


def share(x: Any, lang: str = "en", digits: int = 0) -> str:
    """A share (0–1) as percent: ``15 %``, ``15,5 %`` (vi); never ``-0 %``."""
    xf = _finite(x)
    if xf is None:
        return "—"
    s = f"{100 * xf:.{digits}f}"
    if float(s) == 0:
        s = s.lstrip("-")
    return _localise(s, lang) + " %"


def year(y: Any) -> str:
    """A year as four digits, never with a separator."""
    xf = _finite(y)
    return "—" if xf is None else str(int(round(xf)))


def decimal_year_to_date(x: float) -> _dt.date:
    """The calendar date of a decimal year (``2025.49`` → 28/06/2025)."""
    y = int(math.floor(x))
    start = _dt.date(y, 1, 1)
    days = (_dt.date(y + 1, 1, 1) - start).days
    return start + _dt.timedelta(days=int(round((x - y) * days)))


_ISO_DAY = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_ISO_MONTH = re.compile(r"(\d{4})-(\d{2})")
_DERIVED = {"vi": "suy ra", "en": "derived"}


def date(d: Any, lang: str = "en") -> str:
    """A date as ``dd/mm/yyyy`` (a month as ``mm/yyyy``, a year as ``yyyy``).

    Accepts ``datetime.date``/``datetime``, ISO text (``2025-06-26``, ``2025-06``), a year and a
    decimal year (``2025.49``); free text (e.g. ``2021, 2022, 2024``) is kept, with the word
    ``derived`` translated.
    """
    if d is None or (isinstance(d, float) and not math.isfinite(d)):
        return "—"
    if isinstance(d, _dt.datetime):
        return d.strftime("%d/%m/%Y")
    if isinstance(d, _dt.date):
        return d.strftime("%d/%m/%Y")
    if isinstance(d, (int, float)) and not isinstance(d, bool):
        if float(d) == int(d):
            return year(d)
        return decimal_year_to_date(float(d)).strftime("%d/%m/%Y")
    s = str(d).strip()
    if not s:
        return "—"
    m = _ISO_DAY.fullmatch(s[:10]) if len(s) >= 10 else None
    if m and (len(s) == 10 or s[10] in "T "):
        return f"{m.group(3)}/{m.group(2)}/{m.group(1)}"
    m = _ISO_MONTH.fullmatch(s)
    if m:
        return f"{m.group(2)}/{m.group(1)}"
    if re.fullmatch(r"\d{4}\.\d+", s):
        return date(float(s), lang)
    return s.replace("derived", _DERIVED.get(lang, "derived"))


def date_long(d: _dt.date, lang: str = "en") -> str:
    """``ngày 30 tháng 11 năm 2026`` / ``30 November 2026`` (a document's date line)."""
    if lang == "vi":
        return f"ngày {d.day:02d} tháng {d.month:02d} năm {d.year}"
    return f"{d.day} {d.strftime('%B')} {d.year}"


def local_time(iso: Any) -> _dt.datetime | None:
    """A timestamp (ISO text or datetime; naive means UTC) in Vietnam's local time."""
    if isinstance(iso, _dt.datetime):
        ts = iso
    else:
        try:
            ts = _dt.datetime.fromisoformat(str(iso))
        except ValueError:
            return None
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=_dt.timezone.utc)
    return ts.astimezone(VN_TZ)


def timestamp(iso: Any, lang: str = "en") -> str:
    """``30/11/2026 18:03 (giờ Việt Nam)`` from an ISO timestamp (UTC or with an offset)."""
    ts = local_time(iso)
    if ts is None:
        return str(iso)
    zone = "giờ Việt Nam" if lang == "vi" else "Vietnam time"
    return f"{ts.strftime('%d/%m/%Y %H:%M')} ({zone})"


_COMPARISON = {
    ">=": {"vi": "từ {v} trở lên", "en": "at least {v}"},
    ">": {"vi": "trên {v}", "en": "more than {v}"},
    "<=": {"vi": "không quá {v}", "en": "at most {v}"},
    "<": {"vi": "dưới {v}", "en": "less than {v}"},
    "==": {"vi": "bằng {v}", "en": "exactly {v}"},
    "=": {"vi": "bằng {v}", "en": "exactly {v}"},
}


def comparison(op: str, value_text: str, lang: str = "en") -> str:
    """A comparison in words: ``>=`` 12 → ``từ 12 trở lên`` / ``at least 12``."""
    return _COMPARISON[str(op).strip()][lang].format(v=value_text)


def kind_of_unit(unit: str) -> str:
    """``count``, ``share``, ``money`` or ``number`` for a unit of the glossary or the schema."""
    if unit in SHARE_UNITS:
        return "share"
    if unit in COUNT_UNITS:
        return "count"
    if unit.startswith(("bn VND", "mn VND")):
        return "money"
    return "number"


def metric_kind(metric: str) -> str:
    """Kind (see :func:`kind_of_unit`) of a metric of :data:`ocop_sim.metrics.GLOSSARY`."""
    return kind_of_unit(GLOSSARY.get(metric, {}).get("unit", "-"))


def quantity(metric: str, x: Any, lang: str = "en") -> str:
    """A value of ``metric`` as a reader expects it: counts whole, shares in percent, money with
    one decimal (``tỷ đồng``) or none (``triệu đồng``)."""
    unit = GLOSSARY.get(metric, {}).get("unit", "-")
    k = kind_of_unit(unit)
    if k == "count":
        return count(x, lang)
    if k == "share":
        return share(x, lang)
    if unit.startswith("mn VND"):
        return number(x, lang, 0)
    return number(x, lang, 1)


def value_by_unit(x: Any, unit: str, lang: str = "en", name: str = "") -> str:
    """An input value (lever, assumption) by its unit: years as years, shares in percent,
    counts whole, other numbers with up to three significant decimals."""
    if unit == "year" or name.endswith("_year"):
        return year(x)
    k = kind_of_unit(unit)
    if k == "share":
        return share(x, lang, 1 if _finite(x) is not None and abs(100 * float(x) - round(100 * float(x))) > 1e-9
                     else 0)
    if k == "count" and _finite(x) is not None and float(x) == round(float(x)):
        return count(x, lang)
    return number(x, lang, 3)


def excel_format(metric_or_unit: str) -> str:
    """The Excel number format of a metric (glossary name) or a unit."""
    unit = GLOSSARY[metric_or_unit]["unit"] if metric_or_unit in GLOSSARY else metric_or_unit
    if unit == "year":
        return EXCEL_FORMATS["year"]
    return EXCEL_FORMATS[{"count": "count", "share": "share", "money": "money"}.get(kind_of_unit(unit), "number")]
