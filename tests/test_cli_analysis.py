"""ocop-sim calibrate | sensitivity | goal-seek | optimize | sweep, in-process: exit codes and files."""
from __future__ import annotations

import pytest
import yaml

from ocop_sim.cli import main


@pytest.fixture()
def smoke_path(root):
    return str(root / "params" / "smoke.yaml")


def test_calibrate_writes_loadable_fitted_scenario(smoke_path, tmp_path, capsys):
    out = tmp_path / "fit.yaml"
    assert main(["calibrate", smoke_path, "--fit", "score_base", "base_new_entities", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "RMSE" in text and "MAPE" in text and "products_3star_plus" in text
    doc = yaml.safe_load(out.read_text(encoding="utf-8"))
    assert set(doc["assumptions"]) == {"score_base", "base_new_entities"}
    assert doc["extends"].endswith("params/smoke.yaml")
    assert main(["validate", "--allow-outside", str(out)]) == 0


def test_calibrate_backtest_prints_coverage(smoke_path, tmp_path, capsys):
    out = tmp_path / "bt.yaml"
    assert main(["calibrate", smoke_path, "--fit", "score_base", "--until", "2022", "--draws", "30",
                 "--out", str(out)]) == 0
    assert "coverage P10–P90" in capsys.readouterr().out and out.exists()


def test_calibrate_bad_csv_row_names_file_row_field(smoke_path, tmp_path, capsys, root):
    src = (root / "ocop_sim" / "data" / "actuals.csv").read_text(encoding="utf-8").splitlines()
    bad = src[:2] + [src[2].replace("products_3star_plus", "products_3star_pluss", 1)] + src[3:]
    csv = tmp_path / "bad.csv"
    csv.write_text("\n".join(bad) + "\n", encoding="utf-8")
    out = tmp_path / "fit.yaml"
    assert main(["calibrate", smoke_path, "--actuals", str(csv), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "bad.csv" in err and "row" in err
    assert not out.exists()


@pytest.mark.parametrize("argv, word", [
    (["goal-seek", "{s}", "--target", "t2025_nope", "--lever", "training_bn_vnd"], "target"),
    (["goal-seek", "{s}", "--target", "t2025_provincial_5star", "--lever", "trainig_bn_vnd"], "lever"),
    (["goal-seek", "{s}", "--target", "t2025_provincial_5star", "--lever", "training_bn_vnd", "--from-year", "2040"],
     "--from-year"),
    (["sensitivity", "{s}", "--metric", "products_3star_pluss", "--year", "2025"], "metric"),
    (["sensitivity", "{s}", "--metric", "products_3star_plus", "--year", "2040"], "year"),
    (["calibrate", "{s}", "--fit", "score_bas", "--out", "{o}"], "--fit"),
    (["calibrate", "{s}", "--until", "1990", "--out", "{o}"], "--until"),
    (["optimize", "{s}", "--budget", "-5", "--out", "{o}"], "budget"),
    (["optimize", "{s}", "--budget", "5", "--min-line", "training_bn_vnd=4", "value_chain_bn_vnd=2", "--out", "{o}"],
     "min-line"),
    (["optimize", "{s}", "--budget", "5", "--objective", "weighted", "--out", "{o}"], "--weights"),
    (["sweep", "{s}", "--out", "{d}"], "sweep"),
])
def test_bad_arguments_exit_2_nothing_written(smoke_path, tmp_path, capsys, argv, word):
    o, d = tmp_path / "x.yaml", tmp_path / "sweepout"
    args = [a.format(s=smoke_path, o=o, d=d) for a in argv]
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and word in err
    assert list(tmp_path.iterdir()) == []


def test_goal_seek_expected_writes_scenario(smoke_path, tmp_path, capsys):
    out = tmp_path / "gs.yaml"
    assert main(["goal-seek", smoke_path, "--target", "t2025_provincial_5star", "--lever",
                 "product_development_bn_vnd", "--out", str(out)]) == 0
    assert "×" in capsys.readouterr().out
    from ocop_sim import load

    ld = load(out, allow_outside=True)
    assert ld.scenario.levers.product_development_bn_vnd != load(smoke_path).scenario.levers.product_development_bn_vnd


def test_goal_seek_unreachable_exits_1(smoke_path, tmp_path, capsys):
    out = tmp_path / "gs.yaml"
    assert main(["goal-seek", smoke_path, "--target", "t2020_agritourism_projects", "--lever", "training_bn_vnd",
                 "--out", str(out)]) == 1
    assert "No value within the lever's bounds" in capsys.readouterr().out
    assert not out.exists()


def test_sensitivity_oat_and_csv(smoke_path, tmp_path, capsys):
    out = tmp_path / "t.csv"
    assert main(["sensitivity", smoke_path, "--metric", "products_3star_plus", "--year", "2025", "--top", "5",
                 "--out", str(out)]) == 0
    import pandas as pd

    df = pd.read_csv(out)
    assert len(df) == 5 and (df["swing"].diff().dropna() <= 1e-9).all()


def test_optimize_writes_best_split(smoke_path, tmp_path, capsys):
    out = tmp_path / "best.yaml"
    assert main(["optimize", smoke_path, "--budget", "8", "--draws", "20", "--from-year", "2024",
                 "--min-line", "training_bn_vnd=1", "--out", str(out)]) == 0
    from ocop_sim import load

    sc = load(out, allow_outside=True).scenario
    from ocop_sim.config import BUDGET_LINES, schedule_value

    vals = [schedule_value(getattr(sc.levers, k), 2024) for k in BUDGET_LINES]
    assert sum(vals) == pytest.approx(8.0, rel=1e-6) and schedule_value(sc.levers.training_bn_vnd, 2024) >= 1 - 1e-6


def test_sweep_writes_outcomes_and_rules(root, tmp_path, capsys):
    out = tmp_path / "sw"
    assert main(["sweep", str(root / "params" / "sweep_budget.yaml"), "--out", str(out)]) == 0
    import pandas as pd

    df = pd.read_csv(out / "outcomes.csv")
    assert len(df) == 12 and "product_development_bn_vnd" in df.columns
    assert (out / "rules.csv").exists() and "Gini" in (out / "rules.txt").read_text(encoding="utf-8")
