"""Nothing lost (issue 12, first item): the writers of child scenarios (explorer, goal seek,
optimise, Excel import: :func:`ocop_sim.scenarios.write_child`) never destroy a user's file."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ocop_sim.cli import main
from ocop_sim.io import OutputPathError
from ocop_sim.scenarios import ScenarioError, load, write_child

PARAMS = Path(__file__).resolve().parents[1] / "params"


@pytest.fixture()
def params(tmp_path):
    d = tmp_path / "params"
    shutil.copytree(PARAMS, d)
    return d


def _bytes(folder: Path) -> dict:
    return {p.name: p.read_bytes() for p in sorted(folder.glob("*.yaml"))}


def test_saving_over_the_starting_scenario_is_refused_and_it_survives(params):
    from ocop_sim.widgets import Explorer

    before = _bytes(params)
    ex = Explorer(params / "baseline.yaml", from_year=2030)
    ex.set_lever("product_development_bn_vnd", 30.0)
    with pytest.raises(ScenarioError, match="base scenario"):
        ex.save("baseline.yaml")
    assert _bytes(params) == before  # v0.1: baseline.yaml was gone, every child broken
    load(params / "more_development.yaml")  # its children still load


def test_saving_over_another_scenario_needs_replace_and_keeps_a_copy(params):
    from ocop_sim.widgets import Explorer

    old = (params / "more_development.yaml").read_bytes()
    ex = Explorer(params / "baseline.yaml", from_year=2030)
    ex.set_lever("product_development_bn_vnd", 30.0)
    with pytest.raises(ScenarioError, match="existing scenario"):
        ex.save("more_development.yaml")
    assert (params / "more_development.yaml").read_bytes() == old  # v0.1: silently replaced
    ex.save("more_development.yaml", replace=True)
    assert (params / "more_development.yaml.bak").read_bytes() == old
    assert load(params / "more_development.yaml").scenario.levers.product_development_bn_vnd[2030] == 30.0


@pytest.mark.parametrize("where", ["../escaped.yaml", "../../escaped.yaml", "/tmp/ocop_escaped.yaml"])
def test_the_explorer_writes_into_its_scenarios_folder_only(params, where):
    from ocop_sim.widgets import Explorer

    ex = Explorer(params / "baseline.yaml", from_year=2030)
    target = (params / where).resolve() if not where.startswith("/") else Path(where)
    with pytest.raises(OutputPathError, match="outside the scenarios folder"):
        ex.save(where if not where.startswith("/") else target)
    assert not target.exists()


@pytest.mark.parametrize("cmd", ["goal-seek", "optimize"])
def test_goal_seek_and_optimize_refuse_their_own_input_before_any_work(plan_folder, cmd, capsys):
    plan = plan_folder / "plan.yaml"
    chain = load(plan, allow_outside=True).chain
    before = {p: p.read_bytes() for p in chain}
    extra = (["--target", "l2028_new_products", "--lever", "product_development_bn_vnd"]
             if cmd == "goal-seek" else ["--budget", "20"])
    for out in chain:  # itself, and every file it extends
        code = main([cmd, str(plan), *extra, "--out", str(out), "--allow-outside"])
        err = capsys.readouterr()
        assert code == 2, err
        assert "base scenario" in err.err and len(err.err.strip().splitlines()) == 1
        assert "×" not in err.out  # refused before the search ran
    assert {p: p.read_bytes() for p in chain} == before


def test_write_child_leaves_nothing_when_the_result_is_invalid(params):
    base = load(params / "baseline.yaml")
    out = params / "broken.yaml"
    with pytest.raises(ScenarioError):
        write_child(base, out, {"levers": {"training_bn_vnd": -5.0}}, "broken")
    assert not out.exists()
    assert not list(params.glob(".broken.yaml.*"))  # no temporary file left behind
