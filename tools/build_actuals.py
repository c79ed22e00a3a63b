"""Build the Đồng Nai packs' ``actuals.csv`` from the shared facts file, keeping every source.

Usage: python tools/build_actuals.py ../shared/data/dongnai_facts.csv [OUT.csv]
(default: writes ``ocop_sim/packs/dong_nai_2019/actuals.csv`` and the same rows to
``ocop_sim/packs/dong_nai_2025/actuals.csv``: the merged province's pack carries its history).

Two columns make the series usable by a leak-free observation model:

* ``counting``: a press total ("lũy kế") counts every product ever certified (``cumulative``);
  a year-end report after expired certificates were removed counts ``valid`` certificates.  The
  rule used here: old Đồng Nai's running totals and the merged province's 2025 running totals
  (439, 481, 496, 490) are cumulative (282 = 188 + 94 exactly, and 100 + 58 ≈ 150 show plain
  additions); the 31/12/2025 report (460 = 360 + 89 + 11, "down from 109" 4★) and the 4★ count of
  06/2025 (50, below the sum of 4★ awards) count valid certificates; entities are the model's
  stock of active entities (``valid``).
* ``known_from``: the date the number was published (a backtest at an earlier cut-off drops it).
* ``fit``: ``no`` for figures DERIVED by arithmetic from other reported figures (end-2020 = 100 − 55,
  end-2023 = 282 − 94, new entities from the entity stocks): they are shown where a target needs
  them but add no evidence to a calibration, which already sees the figures they come from; and
  ``no`` for the figures an event takes as its input (old Bình Phước's 141 products and 99
  entities at the merger of 07/2025 are the merger event's stocks, ``pack.yaml``): a model that
  is handed a number cannot be scored on forecasting it, nor learn from it.

Each row of the output is one fact of the input, selected by (date, scope, metric) below and
renamed to the model's canonical metric names.  Values go through
:func:`ocop_sim.data.parse_value`, whose rules are documented there: a value that is not a
plain number is either mapped by a documented rule (a range ``45-46`` becomes its midpoint and
is marked ``range``) or the build fails.  Nothing is guessed silently.
"""
from __future__ import annotations

import csv
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from ocop_sim.data import parse_value  # noqa: E402

# (facts date, facts scope, facts metric) -> (scope, metric, observed at [decimal year], flow/stock)
SELECT = {
    ("2020 (derived)", "province", "products_cum_total_end2020_DERIVED"): ("old_dong_nai", "products_3star_plus", 2021.0),
    ("2021-06-28", "province", "products_cum_total"): ("old_dong_nai", "products_3star_plus", 2021.49),
    ("2021-06-28", "province", "products_cum_3star"): ("old_dong_nai", "products_3star", 2021.49),
    ("2021-06-28", "province", "products_cum_4star"): ("old_dong_nai", "products_4star", 2021.49),
    ("2021-12-30", "province", "products_cum_total"): ("old_dong_nai", "products_3star_plus", 2022.0),
    ("end 2021", "province", "products_cum_3star"): ("old_dong_nai", "products_3star", 2022.0),
    ("end 2021", "province", "products_cum_4star"): ("old_dong_nai", "products_4star", 2022.0),
    ("end 2021", "province", "entities_cum"): ("old_dong_nai", "entities", 2022.0),
    ("2022-12-28", "province", "products_cum_total"): ("old_dong_nai", "products_3star_plus", 2023.0),
    ("2023-03-01", "province", "entities_cum"): ("old_dong_nai", "entities", 2023.0),
    ("end 2023 (derived)", "province", "products_cum_total_DERIVED"): ("old_dong_nai", "products_3star_plus", 2024.0),
    ("2024-12-26", "province", "products_cum_total"): ("old_dong_nai", "products_3star_plus", 2025.0),
    ("2024-12-26", "province", "entities_cum"): ("old_dong_nai", "entities", 2025.0),
    ("2024-12-26", "province", "products_potential5star_submitted_national"): ("old_dong_nai", "products_provincial_5star", 2025.0),
    ("2025-06-26", "province", "products_cum_total"): ("old_dong_nai", "products_3star_plus", 2025.49),
    ("2025-06", "province", "products_cum_national5star"): ("old_dong_nai", "products_national_5star", 2025.49),
    ("2025-06-26", "province", "products_cum_4star"): ("old_dong_nai", "products_4star", 2025.49),
    ("2025-12-31", "province (merged)", "products_cum_3star"): ("province", "products_3star", 2026.0),
    ("2025-12-31", "province (merged)", "products_cum_4star"): ("province", "products_4star", 2026.0),
    ("2021 (year)", "province", "products_year_certified"): ("old_dong_nai", "new_products_3star_plus", 2021),
    ("2023-03-01", "province", "products_year_certified"): ("old_dong_nai", "new_products_3star_plus", 2022),
    ("2024-12-26", "province", "products_year_new"): ("old_dong_nai", "new_products_3star_plus", 2024),
    ("2021 (year)", "province", "products_year_4star"): ("old_dong_nai", "new_products_4star", 2021),
    ("2023-03-01", "province", "products_year_4star"): ("old_dong_nai", "new_products_4star", 2022),
    ("2024-12-26", "province", "products_year_new_4star"): ("old_dong_nai", "new_products_4star", 2024),
    # re-evaluated and certified again in 2024 (the 2021 certificates expired that year).  Not used:
    # the 4 re-evaluations of round 2/2022 (no old Đồng Nai certificate was 36 months old in 2022:
    # the first round was 17/09/2020) and the 19 of Jan–Oct 2025 (part of a year)
    ("2024-12-26", "province", "products_year_reevaluated"): ("old_dong_nai", "recertified", 2024),
    ("2025-06", "old Bình Phước", "products_cum_total"): ("old_binh_phuoc", "products_3star_plus", 2025.49),
    ("2025-06", "old Bình Phước", "entities_cum"): ("old_binh_phuoc", "entities", 2025.49),
    ("2025-06", "province (merged)", "products_cum_total"): ("province", "products_3star_plus", 2025.49),
    ("2025-08-06", "province (merged)", "products_cum_total"): ("province", "products_3star_plus", 2025.6),
    ("2025-08-06", "province (merged)", "entities_cum"): ("province", "entities", 2025.6),
    ("2025-10-08", "province (merged)", "products_cum_total"): ("province", "products_3star_plus", 2025.77),
    ("2025-10-26", "province (merged)", "products_cum_total"): ("province", "products_3star_plus", 2025.82),
    ("2025-10-26", "province (merged)", "entities_cum"): ("province", "entities", 2025.82),
    ("2025-12-31", "province (merged)", "products_cum_total"): ("province", "products_3star_plus", 2026.0),
    ("2025-12-31", "province (merged)", "entities_cum"): ("province", "entities", 2026.0),
    ("2025-12-31", "province (merged)", "products_cum_national5star"): ("province", "products_national_5star", 2026.0),
}
FLOWS = {"new_products_3star_plus", "new_products_4star", "evaluation_pass_rate", "recertified"}

#: (facts date, scope, metric) of stocks that count valid certificates (all other product stocks
#: are cumulative press totals; see the module docstring).
VALID = {
    ("2025-06-26", "province", "products_cum_4star"),
    ("2025-06", "province", "products_cum_national5star"),
    ("2024-12-26", "province", "products_potential5star_submitted_national"),
    ("2025-12-31", "province (merged)", "products_cum_3star"),
    ("2025-12-31", "province (merged)", "products_cum_4star"),
    ("2025-12-31", "province (merged)", "products_cum_total"),
    ("2025-12-31", "province (merged)", "products_cum_national5star"),
}
#: Publication dates where the facts' date is not one (derived or period figures).
KNOWN_FROM = {
    "2020 (derived)": "2022-01",        # derived from the end-2021 reports
    "end 2021": "2022-01",
    "2021 (year)": "2022-01",
    "end 2023 (derived)": "2024-12-26",  # derived from the 26/12/2024 report
    "2025-12-31": "2026-02-10",          # Báo Đồng Nai English, 10/02/2026
}


def _known_from(date: str) -> str:
    return KNOWN_FROM.get(date, date)


def _counting(key: tuple, metric: str) -> str:
    if metric in FLOWS:
        return "new"
    if metric == "entities":
        return "valid"
    return "valid" if key in VALID else "cumulative"

# Pass rates of provincial rounds: DERIVED as passed / submitted of the same round (both published).
PASS_RATES = [  # (round scope in the facts, date, year, scope)
    ("round 1/2020", "2020-09-17", 2020, "old_dong_nai"),
    ("round 2/2021", "2021-12-30", 2021, "old_dong_nai"),
    ("round 2/2022", "2022-12-28", 2022, "old_dong_nai"),
    ("round 1/2025 (merged)", "2025-10-08", 2025, "province"),
]


#: Facts that are an event's input (the merger event of the packs adds these stocks): not evidence.
EVENT_INPUTS = {("2025-06", "old Bình Phước", "products_cum_total"), ("2025-06", "old Bình Phước", "entities_cum")}


def main(src: str, dst: list[str]) -> None:
    rows = list(csv.DictReader(open(src, encoding="utf-8")))
    out = []
    seen = set()
    for r in rows:
        key = (r["date"], r["scope"], r["metric"])
        if key not in SELECT or key in seen:
            continue
        seen.add(key)
        scope, metric, at = SELECT[key]
        value, kind = parse_value(r["value"])
        out.append({
            "scope": scope, "metric": metric,
            "kind_of_series": "flow" if metric in FLOWS else "stock", "counting": _counting(key, metric),
            "year": int(at) if metric in FLOWS else "",
            "at": "" if metric in FLOWS else at,
            "value": value, "value_kind": kind, "raw_value": r["value"], "date": r["date"],
            "known_from": _known_from(r["date"]), "source_url": r["source_url"], "note": r["note"],
            "fit": "no" if ("DERIVED" in r["note"] and metric != "evaluation_pass_rate") or key in EVENT_INPUTS
                   else "yes",
        })
    by_key = {(r["scope"], r["date"], r["metric"]): r for r in rows}
    for rnd, date, year, scope in PASS_RATES:
        sub_row = by_key[(rnd, date, "products_submitted")]
        pass_row = by_key[(rnd, date, "products_passed")]
        n_sub, _ = parse_value(sub_row["value"])
        n_pass, _ = parse_value(pass_row["value"])
        out.append({
            "scope": scope, "metric": "evaluation_pass_rate", "kind_of_series": "flow", "counting": "new",
            "year": year, "at": "", "value": round(n_pass / n_sub, 4), "value_kind": "derived",
            "raw_value": f"{pass_row['value']}/{sub_row['value']}", "date": date, "known_from": _known_from(date),
            "source_url": pass_row["source_url"], "fit": "yes",
            "note": f"DERIVED: {rnd} passed {pass_row['value']} of {sub_row['value']} submitted",
        })
    # new entities: DERIVED from the entity stocks (FACTS §6.5: +30 in 2022 (45 -> 75), ≈45 a year in
    # 2023–24 ((165 - 75) / 2)); the two years of 2023–24 get the average, marked as such
    ent = {k[0]: parse_value(r["value"])[0] for r in rows for k in [(r["date"], r["scope"], r["metric"])]
           if k in (("end 2021", "province", "entities_cum"), ("2023-03-01", "province", "entities_cum"),
                    ("2024-12-26", "province", "entities_cum"))}
    src = {r["date"]: r["source_url"] for r in rows if r["metric"] == "entities_cum" and r["scope"] == "province"}
    derived = [(2022, ent["2023-03-01"] - ent["end 2021"], "2023-03-01",
                "DERIVED: entity stock 75 (end 2022) - 45 (end 2021) (FACTS §6.5)"),
               (2023, (ent["2024-12-26"] - ent["2023-03-01"]) / 2, "2024-12-26",
                "DERIVED: (165 - 75) / 2, the average of 2023–24 (FACTS §6.5): the split between the two years is not reported"),
               (2024, (ent["2024-12-26"] - ent["2023-03-01"]) / 2, "2024-12-26",
                "DERIVED: (165 - 75) / 2, the average of 2023–24 (FACTS §6.5): the split between the two years is not reported")]
    for year, value, known, note in derived:
        out.append({"scope": "old_dong_nai", "metric": "new_entities", "kind_of_series": "flow", "counting": "new",
                    "year": year, "at": "", "value": value, "value_kind": "derived", "raw_value": "", "date": str(year),
                    "known_from": known, "source_url": src[known], "note": note, "fit": "no"})
    missing = set(SELECT) - seen
    if missing:
        raise SystemExit(f"facts not found: {sorted(missing)}")
    for d in dst:
        with open(d, "w", encoding="utf-8", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=list(out[0]))
            w.writeheader()
            w.writerows(out)
        print(f"wrote {len(out)} rows to {d}")


PACKS = Path(__file__).resolve().parents[1] / "ocop_sim" / "packs"

if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "../shared/data/dongnai_facts.csv",
         sys.argv[2:] or [str(PACKS / "dong_nai_2019" / "actuals.csv"), str(PACKS / "dong_nai_2025" / "actuals.csv")])
