"""Counterfactual backtest: is a miss at a cut-off the knowledge a forecaster did not have?

Usage: python tools/backtest_prior_leak.py UNTIL [PRIOR ...]

Runs the leak-free backtest of params/history.yaml at ``UNTIL`` (without pooling), once as is and
once with the named priors (default ``renewal_factor_4star``) allowed whatever their
``known_from`` date: a deliberate leak of later knowledge.  Prints the coverage, the bias per
metric and the 4★ forecasts of both, as JSON.  Issue 15's closing note uses it to show that the 4★
bias at the 2021 cut-off comes from the national star mix of 04/2024, unknown in 2021.
"""
from __future__ import annotations

import copy
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from ocop_sim import inference as inf, load  # noqa: E402


def run(until: int, leak: tuple[str, ...]) -> dict:
    orig = inf._prior_table
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
        inf._prior_table = orig
    s = bt.scores
    return {"until": until, "leaked_priors": list(leak), "coverage": s["coverage"], "bias": s["bias_by_metric"],
            "forecasts_4star": [{k: r[k] for k in ("scope", "metric", "at", "actual", "median", "p10", "p90")}
                                for r in s["forecasts"] if "4star" in r["metric"]]}


if __name__ == "__main__":
    until = int(sys.argv[1])
    leak = tuple(sys.argv[2:]) or ("renewal_factor_4star",)
    print(json.dumps({"as_is": run(until, ()), "with_later_prior": run(until, leak)}, indent=1, default=float))
