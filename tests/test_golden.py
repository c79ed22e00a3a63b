"""Small golden regression: expected-mode numbers of the smoke scenario (regenerate deliberately
with `python tests/test_golden.py` after a model change, and say why in the commit)."""
import json
from pathlib import Path

import numpy as np

GOLDEN = Path(__file__).with_name("golden_smoke.json")
METRICS = [("products_3star_plus", "old_dong_nai"), ("products_4star", "province"),
           ("products_national_5star", "province"), ("entities", "province"), ("candidates", "province"),
           ("coverage_officials", "province"), ("coverage_leaders", "province")]


def compute():
    from ocop_sim import load, simulate

    ld = load(Path(__file__).resolve().parents[1] / "params" / "smoke.yaml")
    r = simulate(ld.scenario, mode="expected")
    mc = simulate(ld.scenario, draws=30, seed=123)
    return {
        "expected": {f"{m}@{s}": [round(float(x), 6) for x in r.series(m, s)[:, 0]] for m, s in METRICS},
        "monte_carlo_sum": {f"{m}@{s}": round(float(mc.series(m, s).sum()), 3) for m, s in METRICS[:5]},
    }


def test_golden_smoke():
    want = json.loads(GOLDEN.read_text())
    got = compute()
    for k, v in want["expected"].items():
        np.testing.assert_allclose(got["expected"][k], v, rtol=1e-9, atol=1e-6, err_msg=k)
    for k, v in want["monte_carlo_sum"].items():
        assert got["monte_carlo_sum"][k] == v, k


if __name__ == "__main__":
    GOLDEN.write_text(json.dumps(compute(), indent=1) + "\n")
    print(f"wrote {GOLDEN}")
