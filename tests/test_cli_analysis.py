"""ocop-sim sensitivity | goal-seek | optimize | sweep, in-process: exit codes and files."""
from __future__ import annotations

import pytest
import yaml

from ocop_sim.cli import main


@pytest.fixture()
def smoke_path(root):
    return str(root / "params" / "smoke.yaml")


@pytest.fixture()
def plan_path(plan_folder):
    """smoke + targets inside its horizon (tests/conftest.py PLAN_REGISTRY)."""
    return str(plan_folder / "plan.yaml")


@pytest.mark.parametrize("argv, word", [
    (["goal-seek", "{s}", "--target", "t2025_nope", "--lever", "training_bn_vnd"], "target"),
    (["goal-seek", "{p}", "--target", "l2028_new_products", "--lever", "trainig_bn_vnd"], "lever"),
    (["goal-seek", "{p}", "--target", "l2028_new_products", "--lever", "training_bn_vnd", "--from-year", "2040"],
     "--from-year"),
    # a past target of an outlook is evaluated against the reports: nothing to seek
    (["goal-seek", "{s}", "--target", "t2025_provincial_5star", "--lever", "training_bn_vnd"], "horizon 2026..2028"),
    (["sensitivity", "{s}", "--metric", "products_3star_pluss", "--year", "2028"], "metric"),
    (["sensitivity", "{s}", "--metric", "products_3star_plus", "--year", "2040"], "year"),
    (["sensitivity", "{s}", "--metric", "products_3star_plus", "--year", "2025"], "year"),
    (["optimize", "{s}", "--budget", "-5", "--out", "{o}"], "budget"),
    (["optimize", "{s}", "--budget", "5", "--min-line", "training_bn_vnd=4", "value_chain_bn_vnd=2", "--out", "{o}"],
     "min-line"),
    (["optimize", "{s}", "--budget", "5", "--objective", "weighted", "--out", "{o}"], "--weights"),
    (["sweep", "{s}", "--out", "{d}"], "sweep"),
    # bounded whole numbers name what they count (rows, samples), not "draws"
    (["sensitivity", "{s}", "--metric", "products_3star_plus", "--year", "2028", "--top", "0"],
     "--top: expected rows in 1..10000, got 0"),
    (["sensitivity", "{s}", "--metric", "products_3star_plus", "--year", "2028", "--method", "sobol", "--n", "x"],
     "--n: expected a whole number of samples, got 'x'"),
])
def test_bad_arguments_exit_2_nothing_written(smoke_path, plan_path, tmp_path, capsys, argv, word):
    o, d = tmp_path / "x.yaml", tmp_path / "sweepout"
    args = [a.format(s=smoke_path, p=plan_path, o=o, d=d) for a in argv]
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and word in err
    assert list(tmp_path.iterdir()) == []


def test_goal_seek_expected_writes_scenario(plan_path, capsys):
    from pathlib import Path

    out = Path(plan_path).parent / "gs.yaml"  # beside plan.yaml: its registries resolve there
    assert main(["goal-seek", plan_path, "--target", "l2028_new_products", "--lever",
                 "product_development_bn_vnd", "--out", str(out)]) == 0
    assert "×" in capsys.readouterr().out
    from ocop_sim import load, simulate

    ld = load(out, allow_outside=True)
    before = load(plan_path).scenario.levers.product_development_bn_vnd
    after = ld.scenario.levers.product_development_bn_vnd
    assert set(after) == set(before) and all(after[y] > before[y] for y in before)  # more money was needed
    from ocop_sim.goalseek import find_target

    goal = find_target(ld.scenario, "l2028_new_products", out.parent).value
    r = simulate(ld.scenario, mode="expected")
    assert r.value("new_products_3star_plus", "province", period=(2026, 2028))[0] >= goal - 1e-9


def test_goal_seek_unreachable_exits_1(plan_path, tmp_path, capsys):
    out = tmp_path / "gs.yaml"
    assert main(["goal-seek", plan_path, "--target", "l2028_new_products_too_many", "--lever", "training_bn_vnd",
                 "--out", str(out)]) == 1
    assert "No value within the lever's bounds" in capsys.readouterr().out
    assert not out.exists()


def test_sensitivity_oat_and_csv(smoke_path, tmp_path, capsys):
    out = tmp_path / "t.csv"
    assert main(["sensitivity", smoke_path, "--metric", "products_3star_plus", "--year", "2028", "--top", "5",
                 "--out", str(out)]) == 0
    import pandas as pd

    df = pd.read_csv(out)
    assert len(df) == 5 and (df["swing"].diff().dropna() <= 1e-9).all()


def test_optimize_writes_best_split(plan_path, capsys):
    from pathlib import Path

    out = Path(plan_path).parent / "best.yaml"
    assert main(["optimize", plan_path, "--budget", "8", "--draws", "20", "--from-year", "2027",
                 "--min-line", "training_bn_vnd=1", "--out", str(out)]) == 0
    from ocop_sim import load

    sc = load(out, allow_outside=True).scenario
    from ocop_sim.config import BUDGET_LINES, schedule_value

    vals = [schedule_value(getattr(sc.levers, k), 2027) for k in BUDGET_LINES]
    assert sum(vals) == pytest.approx(8.0, rel=1e-6) and schedule_value(sc.levers.training_bn_vnd, 2027) >= 1 - 1e-6
    base = load(plan_path).scenario  # the year before is kept as it was
    assert [schedule_value(getattr(sc.levers, k), 2026) for k in BUDGET_LINES] == \
           [schedule_value(getattr(base.levers, k), 2026) for k in BUDGET_LINES]


def test_sweep_writes_outcomes_and_rules(root, tmp_path, capsys):
    out = tmp_path / "sw"
    assert main(["sweep", str(root / "params" / "sweep_budget.yaml"), "--out", str(out)]) == 0
    import pandas as pd

    from ocop_sim import load

    df = pd.read_csv(out / "outcomes.csv")
    sweep = load(root / "params" / "sweep_budget.yaml").scenario.sweep  # one row per sample of the sweep
    assert len(df) == sweep.n and sweep.method == "lhs" and set(sweep.levers) <= set(df.columns)
    assert (out / "rules.csv").exists() and "Gini" in (out / "rules.txt").read_text(encoding="utf-8")
