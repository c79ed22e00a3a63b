"""Extending without breaking (issue 19, done-when): a new budget line with its effect and a new
output metric, added through the registries only.

The lever is declared the way a developer would add it: two declarations appended to
``ocop_sim/levers.py`` of a temporary copy of the package (nothing else of the copy differs);
the metric is registered with one call of :func:`ocop_sim.results.register_metric`.  A fresh
interpreter runs the smoke scenario with the copy and with the package as it is, and the test
shows: the lever is in the schema, the budget lines, the labels, the model and the compiled
kernel; the metric is in the summaries; every existing array and summary row is bit-identical
(the lever's default is 0); the scenario hash is unchanged; the committed old manifest still
reproduces, with the model change reported; and with the lever on, renewals rise.
"""
from __future__ import annotations

import filecmp
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RECORDED = ROOT / "tests" / "data" / "reproduce" / "smoke_manifest.json"
NEW = "ecommerce_support_bn_vnd"

#: What a developer appends to ocop_sim/levers.py to add the budget line and its effect.
DECLARATION = f'''

# --- e-commerce support: a budget line that raises renewals (issue 19's worked example)
LEVERS.append(LeverSpec(
    "{NEW}", "budget", 0.0, "E-commerce support: platform listings, online shops, digital marketing",
    "Hỗ trợ thương mại điện tử", "E-commerce support",
    "Hỗ trợ đưa sản phẩm OCOP lên sàn thương mại điện tử, cửa hàng trực tuyến", 10.0,
    "Thương mại điện tử", "E-commerce"))
RESPONSES.append(Response("renewal_from_ecommerce", ("{NEW}",), "per_certified_mn", "renewal_prob",
                          "renewal_gain_max", "renewal_half_saturation_mn_vnd", form="gain"))
'''

#: Run in a fresh interpreter: ``extended`` also registers the metric and runs the lever on.
PROBE = r'''
import hashlib, json, shutil, sys, tempfile
from pathlib import Path

import numpy as np

import ocop_sim
from ocop_sim import config, engine, i18n, load, results, simulate
from ocop_sim.checks import checksum_arrays
from ocop_sim.cli.ops import reproduce

extended, smoke, recorded = sys.argv[1] == "extended", sys.argv[2], sys.argv[3]
if extended:
    results.register_metric("products_4star_plus", results._stock_levels(results._lvl("4star", "p5", "n5")),
                            unit="products", kind="stock", description="Products at 4★ or above at year end",
                            label_vi="Sản phẩm đạt 4 sao trở lên", label_en="Products at 4★ or above")


def digest(arr):
    return hashlib.sha256(np.ascontiguousarray(np.asarray(arr, dtype=np.float64)).tobytes()).hexdigest()


def arrays(r):
    a = r.arrays
    groups = {"stocks": a.stocks, "flows": a.flows, "params": a.params, "spending": a.spending}
    return {n: digest(groups[n.split(".", 1)[0]][n.split(".", 1)[1]]) for n in checksum_arrays(r)}


def summary(r):
    s = r.summary()
    return {m: digest(g.sort_values(["year", "scope"])[["mean", "p10", "median", "p90"]].to_numpy())
            for m, g in s.groupby("metric")}


ld = load(smoke)
sc = ld.scenario
out = {"package": ocop_sim.__file__, "budget_lines": list(config.BUDGET_LINES), "hash": ld.hash,
       "levers": list(config.Levers.model_fields), "metrics": list(results.METRICS)}
for name, r in (("expected", simulate(sc, mode="expected")), ("monte_carlo", simulate(sc, draws=20, seed=3))):
    out[name] = arrays(r)
    out[name + "_summary"] = summary(r)
if engine.AVAILABLE:
    ra = engine.run_expected(sc, 2)
    out["engine"] = {f"{g}.{k}": digest(v) for g in ("stocks", "flows", "spending")
                     for k, v in getattr(ra, g).items()}
with tempfile.TemporaryDirectory() as d:
    m = Path(d) / "smoke_manifest.json"
    shutil.copy(recorded, m)
    out["reproduce"] = list(reproduce(m))
if extended:
    r0 = simulate(sc, mode="expected")
    on = sc.model_copy(update={"levers": sc.levers.model_copy(update={"ECOM": {sc.horizon.start: 5.0}})})
    on = config.Scenario.model_validate(on.model_dump())
    r1 = simulate(on, mode="expected")
    out["renewals"] = [float(r0.series("renewals", "province").sum()), float(r1.series("renewals", "province").sum())]
    out["spending_on"] = float(r1.series("spending_ECOM", "province")[-1, 0])
    out["metric"] = [float(r0.series("products_4star_plus", "province")[-1, 0]),
                     float(r0.series("products_4star", "province")[-1, 0]
                           + r0.series("products_national_5star", "province")[-1, 0])]
    out["labels"] = [i18n.lever_label("ECOM", "vi"), i18n.t("spending_ECOM", "en"), i18n.t("products_4star_plus", "vi")]
    out["meta"] = config.lever_meta("ECOM")["unit"]
print(json.dumps(out, default=str))
'''.replace("ECOM", NEW)


def _probe(pythonpath: Path, mode: str) -> dict:
    env = {**os.environ, "PYTHONPATH": str(pythonpath)}
    p = subprocess.run([sys.executable, "-c", PROBE, mode, str(ROOT / "params" / "smoke.yaml"), str(RECORDED)],
                       capture_output=True, text=True, env=env, timeout=900, cwd=str(pythonpath))
    assert p.returncode == 0, p.stderr[-3000:]
    return json.loads(p.stdout.strip().splitlines()[-1])


def _differing_files(a: Path, b: Path) -> list[str]:
    out = []
    cmp = filecmp.dircmp(a, b, ignore=["__pycache__"])
    stack = [(cmp, "")]
    while stack:
        c, pre = stack.pop()
        out += [pre + f for f in c.diff_files + c.left_only + c.right_only]
        stack += [(sub, f"{pre}{name}/") for name, sub in c.subdirs.items()]
    return sorted(out)


@pytest.mark.slow
def test_a_new_lever_and_metric_through_the_registries_only(tmp_path):
    copy = tmp_path / "ocop_sim"
    shutil.copytree(ROOT / "ocop_sim", copy, ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "params").symlink_to(ROOT / "params", target_is_directory=True)  # posteriors, targets
    with open(copy / "levers.py", "a", encoding="utf-8") as f:
        f.write(DECLARATION)
    # nothing else to edit: one file of the package differs
    assert _differing_files(ROOT / "ocop_sim", copy) == ["levers.py"]

    base = _probe(ROOT, "base")
    ext = _probe(tmp_path, "extended")
    assert base["package"].startswith(str(ROOT)) and ext["package"].startswith(str(tmp_path))

    # the lever is everywhere the registry reaches
    assert ext["budget_lines"] == base["budget_lines"] + [NEW] and ext["levers"][-1] == NEW
    assert ext["labels"] == ["Hỗ trợ thương mại điện tử", "E-commerce", "Sản phẩm đạt 4 sao trở lên"]
    assert ext["meta"] == "bn VND/year" and ext["spending_on"] == 5.0
    assert [m for m in ext["metrics"] if m in base["metrics"]] == base["metrics"]
    assert set(ext["metrics"]) - set(base["metrics"]) == {"products_4star_plus", f"spending_{NEW}"}
    assert ext["metric"][0] == pytest.approx(ext["metric"][1], rel=1e-12) and ext["metric"][0] > 0
    # ... and with the lever on, renewals rise (the declared response acts)
    assert ext["renewals"][1] > ext["renewals"][0] * 1.001

    # every existing number unchanged, bit for bit; the new line adds only its own (zero) spending
    for part in ("expected", "monte_carlo", "engine"):
        if part not in base:
            continue
        assert {k: ext[part][k] for k in base[part]} == base[part], part
        assert set(ext[part]) - set(base[part]) == {f"spending.{NEW}"}, part
    for part in ("expected_summary", "monte_carlo_summary"):
        assert {k: ext[part][k] for k in base[part]} == base[part], part
        assert set(ext[part]) - set(base[part]) == {"products_4star_plus", f"spending_{NEW}"}, part
    # the scenario's hash covers what it sets: a new field with a default leaves it unchanged
    assert ext["hash"] == base["hash"]

    # the committed old manifest still reproduces, and says the model changed since
    ok, msg = base["reproduce"]
    assert ok, msg
    ok, msg = ext["reproduce"]
    assert ok, msg
    assert "the model changed since the run" in msg and f"levers.{NEW}" in msg
