"""Notebooks: committed without outputs, thin, executed through papermill; the explore widgets
driven programmatically.  (scenario_report and compare_scenarios run in tests/test_report.py's
batch in both languages.)"""
from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
PARAMETERS = {"scenario", "scenarios", "draws", "seed", "lang", "output_dir", "result_cache", "result_caches", "until",
              "report_bundle"}


def test_expected_notebooks_exist():
    names = {p.name for p in NOTEBOOKS}
    assert {"scenario_report.ipynb", "compare_scenarios.ipynb", "explore.ipynb"} <= names


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_without_outputs_and_thin(path):
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in code)
    assert not any(line.lstrip().startswith(("def ", "class ")) for c in code for line in c.source.splitlines())
    params = [c for c in code if "parameters" in c.metadata.get("tags", [])]
    assert len(params) == 1
    names = {line.split("=")[0].strip() for line in params[0].source.splitlines()
             if "=" in line and not line.startswith("#")}
    assert names and names <= PARAMETERS, names


@pytest.fixture()
def params(tmp_path):
    shutil.copytree(ROOT / "params", tmp_path, dirs_exist_ok=True)
    return tmp_path


@pytest.mark.notebook
@pytest.mark.parametrize("lang", ["vi", "en"])
def test_explore_notebook_executes(params, lang):
    from ocop_sim import report

    nb = report.execute(report.NOTEBOOKS / "explore.ipynb", {"scenario": str(params / "baseline.yaml"), "lang": lang,
                                                             "output_dir": str(params)}, timeout=120, cwd=params)
    outs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in outs)
    from ocop_sim.i18n import t

    import json

    html = json.dumps(nb.metadata.get("widgets", {}), ensure_ascii=False)  # the Output widget's state
    assert t("met", lang) in html and 'data-status=\\"met\\"' in html  # the outlook (planners' 2035 goals)
    assert t("met_reported", lang) in html and 'data-status=\\"met_reported\\"' in html  # 1698 against the reports
    assert "image/png" in html  # the live chart


def test_explorer_slider_changes_table_as_package_predicts(params):
    from ocop_sim import load, simulate
    from ocop_sim.config import Scenario
    from ocop_sim.scenarios import changed_keys, deep_merge
    from ocop_sim.widgets import Explorer

    ex = Explorer(params / "baseline.yaml", from_year=2030)
    assert {"product_development_bn_vnd", "training_share_officials", "central_pass_rate"} <= set(ex.sliders)
    assert ex.sliders["product_development_bn_vnd"].max == 60.0  # from the schema's max_ui
    assert ex.sliders["training_share_officials"].max == 1.0  # a share (a schedule since issue 13)
    before = ex.table()
    ex.set_lever("product_development_bn_vnd", 30.0)
    after = ex.table()
    # what the package predicts for the same change, built independently of the explorer
    ld = load(params / "baseline.yaml")
    new = {2026: ld.scenario.levers.product_development_bn_vnd[2026], 2030: 30.0}
    raw = deep_merge(ld.raw, {"levers": {"product_development_bn_vnd": new}})
    sc = Scenario.model_validate(raw).model_copy(update={"posterior": ld.scenario.posterior})  # as resolved by load
    expected = simulate(sc, mode="expected").attainment()
    assert list(after["median"]) == pytest.approx(list(expected["median"]), nan_ok=True)
    row = after["id"] == "g2035_products_3star_plus"
    assert float(after.loc[row, "median"].iloc[0]) > float(before.loc[row, "median"].iloc[0]) + 1

    out = ex.save(params / "more_dev.yaml")
    saved = load(out)  # validates
    assert saved.chain[1].name == "baseline.yaml"
    changes = changed_keys(saved.parent_raw, saved.raw)
    assert [k for k, _, _ in changes] == ["levers.product_development_bn_vnd"]
    assert changes[0][2] == new


def test_explorer_key_assumption_and_reset(params):
    from ocop_sim.widgets import Explorer

    ex = Explorer(params / "baseline.yaml")
    lo = ex.sliders["central_pass_rate"].min
    ex.set_assumption("central_pass_rate", 0.9)
    assert ex.overrides() == {"assumptions": {"central_pass_rate": 0.9}}
    ex.set_assumption("central_pass_rate", ex.loaded.scenario.assumptions.central_pass_rate)
    assert ex.overrides() == {} and lo == 0.0
    with pytest.raises(KeyError):
        ex.set_lever("no_such_lever", 1.0)


def test_explorer_debounced_slider_reruns(params):
    import time

    from ocop_sim import widgets

    ex = widgets.Explorer(params / "baseline.yaml", from_year=2030)
    old = ex.loaded.scenario.levers.training_bn_vnd
    want = {**{y: v for y, v in old.items() if y < 2030}, 2030: 6.0}
    ex.sliders["training_bn_vnd"].value = 5.0  # as a browser would: through the observer
    ex.sliders["training_bn_vnd"].value = 6.0  # a second move within the debounce window
    assert ex._last is None  # nothing ran yet
    time.sleep(widgets.DEBOUNCE_S + 1.0)
    assert ex.overrides() == {"levers": {"training_bn_vnd": want}}
    assert ex._last is not None and ex._last.scenario.levers.training_bn_vnd == want


def test_explorer_share_of_officials_is_a_schedule(params):
    from ocop_sim import load
    from ocop_sim.widgets import Explorer

    ex = Explorer(params / "baseline.yaml", from_year=2030)
    share = ex.loaded.scenario.levers.training_share_officials
    ex.set_lever("training_share_officials", 0.5, refresh=False)
    want = {**{y: v for y, v in share.items() if y < 2030}, 2030: 0.5}
    assert ex.overrides() == {"levers": {"training_share_officials": want}}
    out = ex.save(params / "more_officials.yaml")
    assert load(out).scenario.levers.training_share_officials == want
