"""Every scenario file in params/ (and params/ sub-folders of scenarios) validates and runs."""
from pathlib import Path

import numpy as np
import pytest

from ocop_sim import load, simulate
from ocop_sim.packs import load_pack
from ocop_sim.targets import load_registry

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = sorted(ROOT.glob("params/*.yaml")) + sorted(ROOT.glob("params/national/*.yaml"))
REGISTRIES = sorted(ROOT.glob("params/targets/*.yaml"))


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.name)
def test_scenario_validates_and_runs(path):
    ld = load(path)
    sc = ld.scenario
    assert sc.name == path.stem
    assert sc.description.vi and sc.description.en, "every bundled scenario is described in both languages"
    pack = load_pack(sc.pack)
    if sc.kind == "outlook":  # an outlook starts from the pack's reported state
        assert sc.horizon.start == pack.start
    small = sc.model_copy(update={"draws": 20})
    # province packs in Monte Carlo; the synthetic national geography (10,000 draws) in expected mode
    r = simulate(small, draws=20, seed=1) if pack.info.kind == "province" else simulate(small, mode="expected")
    total = r.series("products_3star_plus")
    assert np.isfinite(total).all() and total[-1].mean() > 0
    if sc.targets:
        table = r.attainment()
        assert len(table) > 0 and table["probability"].dropna().between(0, 1).all()
        assert set(table["phase"]) <= {"evaluation", "outlook"}
        assert table.loc[table["phase"] == "evaluation", "probability"].isna().all()  # read from the reports


@pytest.mark.parametrize("path", REGISTRIES, ids=lambda p: p.name)
def test_registry_validates(path):
    reg = load_registry(path)
    assert reg.targets


def test_alternatives_differ_from_baseline_in_the_expected_direction():
    base = simulate(load(ROOT / "params/baseline.yaml").scenario, mode="expected")
    def v(name, metric="products_3star_plus", year=2035):
        r = simulate(load(ROOT / f"params/{name}.yaml").scenario, mode="expected")
        return float(r.value(metric, year=year)[0])
    b = float(base.value("products_3star_plus", year=2035)[0])
    assert v("push_2035") > b * 1.2
    assert v("cuts_after_2025") < b
    assert v("more_development") > b
    assert v("training_first", "coverage_officials", 2030) >= float(base.value("coverage_officials", year=2030)[0])
