"""CLI tested in-process through main(argv)."""
import json
import re
from pathlib import Path

import pytest

from ocop_sim.cli import main

ROOT = Path(__file__).resolve().parents[1]
SMOKE = str(ROOT / "params" / "smoke.yaml")


def test_validate_ok(capsys):
    assert main(["validate", SMOKE, str(ROOT / "params" / "baseline.yaml")]) == 0
    out = capsys.readouterr().out
    assert "ok" in out and "smoke" in out and "baseline" in out


def test_run_prints_every_target_reported_or_with_probabilities(capsys, tmp_path):
    """The baseline outlook lists 1698's targets (2020, 2025: read from the reports) and the
    planners' 2035 goals (forecast: median, band, probability)."""
    baseline = str(ROOT / "params" / "baseline.yaml")
    assert main(["run", baseline, "--draws", "40", "--seed", "3", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    from ocop_sim.i18n import t as tr
    from ocop_sim.targets import load_registry

    lines = out.splitlines()
    for name in ("decision_1698.yaml", "planners_2035.yaml"):
        reg = load_registry(ROOT / "params" / "targets" / name)
        for t in reg.targets:
            hit = [ln for ln in lines if t.label_en[:40] in ln]
            assert len(hit) == 1, t.id
            if t.end_year < 2026:  # before the outlook: evaluated against the reports, no probability
                assert hit[0].rstrip().endswith((tr("met_reported", "en"), tr("missed_reported", "en"),
                                                 tr("no_report", "en"))), hit[0]
            else:
                # counts whole (no "875.5"), the probability in percent, then the status word
                v = r"\d[\d,]*(?: %)?"  # a whole count, or a share in percent
                m = re.search(rf"\s({v})\s+({v})–({v})\s+(\d+) %\s+(likely|at risk|unlikely)$", hit[0].rstrip())
                assert m, hit[0]
                assert 0 <= int(m.group(4)) <= 100
    assert re.search(r"\d+ %\s+(likely|at risk|unlikely)", out)
    assert "31/12/2025" in out  # the outlook says where it starts from
    assert (tmp_path / "baseline_targets.csv").exists()
    m = json.loads((tmp_path / "baseline_manifest.json").read_text(encoding="utf-8"))
    assert m["draws"] == 40 and m["seed"] == 3


def test_run_in_vietnamese_uses_vietnamese_numbers(capsys):
    assert main(["run", str(ROOT / "params" / "baseline.yaml"), "--mode", "expected", "--lang", "vi"]) == 0
    out = capsys.readouterr().out
    assert "Mục tiêu" in out and "đạt" in out
    assert re.search(r"\d\.\d{3}\b", out)  # thousands separator: 1.300
    assert "trở lên" in out and ">=" not in out  # goals in words


@pytest.mark.parametrize("argv, fragment", [
    (["run", "nope.yaml"], "nope.yaml: file not found"),
    (["run", SMOKE, "--draws", "0"], "expected draws in 1..100000, got 0"),
    (["run", SMOKE, "--draws", "lots"], "expected a whole number of draws"),
    (["run", SMOKE, "--seed", "-1"], "expected a seed"),
    (["frobnicate"], "invalid choice"),
    (["run", SMOKE, "--mode", "fast"], "invalid choice"),
])
def test_user_errors_exit_2_with_one_line(capsys, tmp_path, argv, fragment):
    assert main(argv + (["--out", str(tmp_path / "o")] if argv[0] == "run" and "--mode" not in argv else [])) == 2
    err = capsys.readouterr().err
    assert fragment in err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert not (tmp_path / "o").exists()


def test_invalid_scenario_among_valid_ones_writes_nothing(capsys, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\nassumptions: {score_base: 500}\n", encoding="utf-8")
    out = tmp_path / "out"
    assert main(["run", SMOKE, str(bad), "--out", str(out)]) == 2
    assert "bad.yaml: assumptions.score_base" in capsys.readouterr().err
    assert not out.exists()


def test_internal_error_exits_1(capsys, monkeypatch):
    import importlib

    sim = importlib.import_module("ocop_sim.simulate")

    def boom(*a, **k):
        raise RuntimeError("kaput")

    monkeypatch.setattr(sim, "run_block", boom)
    assert main(["run", SMOKE, "--mode", "expected", "--no-cache"]) == 1
    assert "internal error: RuntimeError: kaput" in capsys.readouterr().err


def test_console_script_is_declared():
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert 'ocop-sim = "ocop_sim.cli:main"' in text


def test_run_jobs_and_cache_give_identical_tables(tmp_path, monkeypatch, capsys):
    """--jobs 2 (chunks of draws in a process pool) and a cached re-run print the same numbers
    as a serial uncached run; the cache holds one entry per distinct setting."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("OCOP_SIM_CACHE", str(cache))
    assert main(["run", SMOKE, "--draws", "600", "--seed", "5", "--no-cache"]) == 0
    serial = capsys.readouterr().out
    assert not cache.exists()  # --no-cache neither reads nor writes
    assert main(["run", SMOKE, "--draws", "600", "--seed", "5", "--jobs", "2"]) == 0
    pooled = capsys.readouterr().out
    assert len(list(cache.glob("*.npz"))) == 1
    assert main(["run", SMOKE, "--draws", "600", "--seed", "5"]) == 0
    cached = capsys.readouterr().out
    assert serial == pooled == cached
    assert main(["run", SMOKE, "--draws", "600", "--seed", "6"]) == 0  # another seed: another entry
    assert capsys.readouterr().out != serial
    assert len(list(cache.glob("*.npz"))) == 2


@pytest.mark.parametrize("bad", ["http://x:1", "local", "tcp://a b"])
def test_run_rejects_bad_scheduler(bad, capsys):
    assert main(["run", SMOKE, "--scheduler", bad]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--scheduler" in err and "tcp://host:8786" in err


def test_run_with_checks_prints_every_check(capsys):
    from ocop_sim import load

    assert main(["run", SMOKE, "--mode", "expected", "--checks"]) == 0
    out = capsys.readouterr().out
    checks = load(SMOKE).scenario.checks
    assert len(checks) >= 5
    for c in checks:
        assert re.search(rf"^(PASS|FAIL)  {c.id}: ", out, re.M), c.id
    assert re.search(r"\d+ of \d+ checks passed", out)


def test_run_on_a_local_dask_cluster_prints_the_serial_numbers(tmp_path, capsys):
    assert main(["run", SMOKE, "--draws", "1200", "--seed", "11", "--no-cache"]) == 0
    serial = capsys.readouterr().out
    assert main(["run", SMOKE, "--draws", "1200", "--seed", "11", "--no-cache", "--scheduler", "local-dask"]) == 0
    assert capsys.readouterr().out == serial
