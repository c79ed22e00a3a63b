"""Counterfactual backtest: is a miss at a cut-off the knowledge a forecaster did not have?

Usage: python tools/backtest_prior_leak.py UNTIL [PRIOR ...] [--events]

Runs the leak-free backtest of params/history.yaml at ``UNTIL`` (without pooling), once as is and
once with the named priors (default ``renewal_factor_4star``) allowed whatever their
``known_from`` date: a deliberate leak of later knowledge.  With ``--events``, a third run also
keeps the non-exogenous events dated after the cut-off (exogenous ones, such as the 2023
criteria change of 148/QĐ-TTg and the 2025 merger in the Đồng Nai pack, are in every backtest:
its forecasts are conditional on them, so for that pack the third run equals the second).  Prints the coverage, the bias per metric and the 4★ forecasts of each, as
JSON.  Issue 15's closing note uses it to show that the 4★ bias at the 2021 cut-off comes from
knowledge published later (the national star mix of 04/2024), unknown in 2021.
"""
from __future__ import annotations

import copy
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from ocop_sim import inference as inf, load  # noqa: E402


def run(until: int, leak: tuple[str, ...], events: bool = False) -> dict:
    orig, orig_known = inf._prior_table, inf._event_known
    if events:
        inf._event_known = lambda ev, until: True
    if leak:
        def table():
            t = copy.deepcopy(orig())
            for name in leak:
                t[name]["known_from"] = "1900-01-01"
            return t
        inf._prior_table = table
    try:
        bt = inf.backtest(load(ROOT / "params" / "history.yaml").scenario, until, draws=1000, seed=0)
    finally:
        inf._prior_table, inf._event_known = orig, orig_known
    s = bt.scores
    return {"until": until, "leaked_priors": list(leak), "leaked_events": events, "coverage": s["coverage"], "bias": s["bias_by_metric"],
            "forecasts_4star": [{k: r[k] for k in ("scope", "metric", "at", "actual", "median", "p10", "p90")}
                                for r in s["forecasts"] if "4star" in r["metric"]]}


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a != "--events"]
    until = int(args[0])
    leak = tuple(args[1:]) or ("renewal_factor_4star",)
    out = {"as_is": run(until, ()), "with_later_prior": run(until, leak)}
    if "--events" in sys.argv:
        out["with_later_prior_and_events"] = run(until, leak, events=True)
    print(json.dumps(out, indent=1, default=float))
