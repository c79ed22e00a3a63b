"""The README's benchmark figures come from committed ``bench.py --json`` runs, not typing (issue 18)."""
from __future__ import annotations

import io
import json
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
FIGURE = re.compile(r"(?P<value>[0-9][0-9.,]*) ?(?P<unit>×|ms|s|GiB)(?![A-Za-z])")


def _benchmark_rows() -> list[tuple[str, str]]:
    """(what, figure) of each row of the README's benchmark table that cites a committed run."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Benchmarks", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and len(cells) >= 2 and "benchmarks/results/" in cells[0]:
            rows.append((cells[0], cells[1]))
    return rows


def test_committed_runs_carry_the_machine_and_every_printed_ratio():
    files = sorted(RESULTS.glob("*.json"))
    assert files, f"no committed benchmark run in {RESULTS}"
    for f in files:
        run = json.loads(f.read_text(encoding="utf-8"))
        assert run["command"].startswith("benchmarks/bench.py") and "--json" in run["command"], f
        m = run["machine"]
        assert m["cpus"] >= 1 and m["python"] and m["numpy"] and len(m["load_average"]) == 3 and "commit" in m, f
        assert run["mismatches"] == [], f
        for name, sec in run["sections"].items():
            printed = [x for x in sec["lines"] if "RATIO" in x]
            assert len(sec["ratios"]) >= len(printed), (f, name)
            assert {r["line"] for r in sec["ratios"]} == set(printed), (f, name)
        if "goals" in run:  # runs since the goal records (bench.goal) existed
            _check_goals(run)


def _check_goals(run: dict) -> None:
    """Every goal record is complete, its ``met`` follows from value, comparison and goal, its line
    was printed in its section, and every printed goal has a record."""
    for g in run["goals"]:
        assert set(g) >= {"section", "what", "value", "unit", "goal", "comparison", "met", "line"}, g
        assert isinstance(g["met"], bool) and g["comparison"] in ("<=", ">="), g
        assert g["met"] == (g["value"] <= g["goal"] if g["comparison"] == "<=" else g["value"] >= g["goal"]), g
        assert g["line"] in run["sections"][g["section"]]["lines"], g
        assert g["line"].endswith(f": {'met' if g['met'] else 'not met'})"), g
    printed = {x for sec in run["sections"].values() for x in sec["lines"] if re.search(r"\(goal [<>]=", x)}
    assert printed == {g["line"] for g in run["goals"]}


def test_readme_figures_equal_the_committed_runs_they_cite():
    rows = _benchmark_rows()
    assert rows, "the README's benchmark table cites no committed run"
    for what, figure in rows:
        cited = re.search(r"benchmarks/results/[A-Za-z0-9_.-]+\.json", what).group(0)
        run = json.loads((ROOT / cited).read_text(encoding="utf-8"))
        ratios = {r["value"] for s in run["sections"].values() for r in s["ratios"]}
        figures = {(f["value"], f["unit"]) for s in run["sections"].values() for f in s["figures"]}
        found = list(FIGURE.finditer(figure))
        assert found, (what, figure)
        for m in found:
            value = float(m.group("value").replace(",", ""))
            if m.group("unit") == "×":
                assert value in ratios, f"README: {m.group(0)} in {what!r} is not a ratio of {cited}: {sorted(ratios)}"
            else:
                assert (value, m.group("unit")) in figures, \
                    f"README: {m.group(0)} in {what!r} is not a figure of {cited}: {sorted(figures)}"


def test_bench_json_parses_what_bench_prints():
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import bench
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    tee = bench._Tee(io.StringIO())
    tee.section = "reports"
    tee.write("re-run with --force (renders again, simulations cached): 3.0 s, RATIO first / forced 2.50x\n")
    tee.write("RATIO naive / ocop-sim report: 1.47x (goal >= 3x)\nfirst run 1.22 s, cached re-run 102 ms: RATIO 12x\n")
    out = bench.results_json(tee, ["--quick"], True, "t0", {"cpus": 2})["sections"]["reports"]
    assert [(r["label"], r["value"]) for r in out["ratios"]] == [
        ("first / forced", 2.5), ("naive / ocop-sim report", 1.47), ("first run 1.22 s, cached re-run 102 ms", 12.0)]
    assert (102.0, "ms") in {(f["value"], f["unit"]) for f in out["figures"]}


def test_bench_json_records_each_goal_with_whether_it_is_met(monkeypatch):
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import bench
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    monkeypatch.setattr(bench, "GOALS", [])
    tee = bench._Tee(io.StringIO())
    monkeypatch.setattr(sys, "stdout", tee)
    for section, args, kw in [("engine", ("expected run", 0.9996, "ms", "<=", 1), {"digits": 3}),
                              ("engine", ("expected run, rounded", 1.0004, "ms", "<=", 1), {"digits": 3}),
                              ("engine", ("PySD loop / ocop-sim batched", 499.96, "x", ">=", 500), {"digits": 1}),
                              ("mc", ("peak memory", 1.2, "GiB", "<=", 1.5), {"text": "PEAK MEMORY: {value}"}),
                              ("calibration", ("min bulk ESS", 399.4, "", ">=", 400), {"digits": 0})]:
        tee.section = section
        monkeypatch.setattr(bench, "_SECTION", [section])
        bench.goal(*args, **kw)
    monkeypatch.setattr(sys, "stdout", sys.__stdout__)
    run = bench.results_json(tee, ["--quick"], True, "t0", {"cpus": 2})
    assert [(g["section"], g["value"], g["met"]) for g in run["goals"]] == [
        ("engine", 1.0, True), ("engine", 1.0, True), ("engine", 500.0, True), ("mc", 1.2, True),
        ("calibration", 399.0, False)]
    assert run["goals"][2]["line"].startswith("RATIO PySD loop / ocop-sim batched: 500.0x   (goal >= 500x: met)")
    assert run["goals"][3]["line"] == "PEAK MEMORY: 1.20 GiB   (goal <= 1.5 GiB: met)"
    assert [r["value"] for r in run["sections"]["engine"]["ratios"]] == [500.0]
    _check_goals(run)


@pytest.mark.parametrize("bad", ["1.22 s, re-run 102 ms: 13×", "1.25 s, re-run 102 ms: 12×"])
def test_a_typed_figure_that_differs_is_caught(bad, monkeypatch, tmp_path):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    row = next(f for _, f in _benchmark_rows())
    (tmp_path / "README.md").write_text(readme.replace(row, bad, 1), encoding="utf-8")
    (tmp_path / "benchmarks").symlink_to(ROOT / "benchmarks")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    with pytest.raises(AssertionError, match="is not a"):
        test_readme_figures_equal_the_committed_runs_they_cite()
