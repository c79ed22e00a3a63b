"""Issue 12: output folders are checked before any work, locked per run, written as sets, and a
batch removes only what it created; runs that cannot fit in memory are refused up front."""
from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from ocop_sim import cache
from ocop_sim import io as oio
from ocop_sim.cli import main
from ocop_sim.locks import LOCK_FILE, OutputLock

ROOT = Path(__file__).resolve().parents[1]
SMOKE = str(ROOT / "params" / "smoke.yaml")


@pytest.fixture
def no_sim(monkeypatch):
    """Fail the test if anything simulates (the checks must come before any work)."""
    import importlib

    sim = importlib.import_module("ocop_sim.simulate")
    # imported first, unpatched: a module imported under the patch (the report package imports
    # ocop_sim.sensitivity, which binds simulate) would keep the fake after the test
    importlib.import_module("ocop_sim.report")

    def boom(*a, **k):
        raise AssertionError("simulated before the output folder was checked")

    monkeypatch.setattr(sim, "simulate", boom)
    monkeypatch.setattr(cache, "simulate", boom)  # the result cache's own name of it


def _one_line_exit2(capsys, code, *needles):
    err = capsys.readouterr().err.strip()
    assert code == 2, err
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    for n in needles:
        assert n in err, err
    return err


# ----------------------------------------------------------------------------- --out checked first


def test_out_that_is_a_file_exit2_before_any_work(tmp_path, capsys, no_sim, monkeypatch):
    monkeypatch.setenv("OCOP_SIM_CACHE", str(tmp_path / "c"))
    f = tmp_path / "results.csv"
    f.write_text("mine")
    code = main(["run", SMOKE, "--draws", "20", "--out", str(f)])
    _one_line_exit2(capsys, code, str(f), "expected a folder, got a file")
    assert f.read_text() == "mine"


def test_out_read_only_exit2_before_any_work(tmp_path, capsys, no_sim, monkeypatch):
    """A read-only folder, by a fake writer (the tests run as root, who may write anywhere)."""
    monkeypatch.setenv("OCOP_SIM_CACHE", str(tmp_path / "c"))
    ro = tmp_path / "ro"
    ro.mkdir()
    real = oio.tempfile.mkstemp

    def read_only(*a, dir=None, **k):
        if dir is not None and Path(dir) == ro:
            raise PermissionError(errno.EROFS, "Read-only file system")
        return real(*a, dir=dir, **k)

    monkeypatch.setattr(oio.tempfile, "mkstemp", read_only)
    code = main(["run", SMOKE, "--draws", "20", "--out", str(ro)])
    _one_line_exit2(capsys, code, str(ro), "expected a writable folder", "Read-only file system")
    assert not list(ro.iterdir())


def test_report_out_that_is_a_file_exit2(tmp_path, capsys, no_sim):
    f = tmp_path / "out"
    f.write_text("mine")
    code = main(["report", SMOKE, "--out", str(f), "--quiet", "--lang", "en"])
    _one_line_exit2(capsys, code, "expected a folder, got a file")


# ----------------------------------------------------------------------------- one run per folder


_HOLD = textwrap.dedent("""
    import sys, time
    from ocop_sim.locks import OutputLock
    with OutputLock(sys.argv[1]):
        print("locked", flush=True)
        time.sleep(60)
""")


def test_second_run_on_a_locked_out_fails_fast_naming_folder_and_pid(tmp_path, capsys, no_sim):
    out = tmp_path / "out"
    out.mkdir()
    holder = subprocess.Popen([sys.executable, "-c", _HOLD, str(out)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        code = main(["run", SMOKE, "--draws", "20", "--out", str(out)])
        _one_line_exit2(capsys, code, str(out), f"PID {holder.pid}", "in use by another ocop-sim run")
        code = main(["report", SMOKE, "--out", str(out), "--quiet", "--lang", "en", "--draws", "5"])
        _one_line_exit2(capsys, code, str(out), f"PID {holder.pid}")
        code = main(["sweep", str(ROOT / "params" / "sweep_budget.yaml"), "--out", str(out)])
        _one_line_exit2(capsys, code, str(out), f"PID {holder.pid}", "in use by another ocop-sim run")
        assert sorted(p.name for p in out.iterdir()) == [".ocop-sim.lock"]  # nothing written
    finally:
        holder.kill()
        holder.wait()


def test_a_dead_holders_lock_file_does_not_block(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    p = subprocess.run([sys.executable, "-c", "import os,sys; from ocop_sim.locks import OutputLock; "
                        "l = OutputLock(sys.argv[1]).acquire(); os._exit(0)", str(out)], check=True)
    assert p.returncode == 0 and (out / LOCK_FILE).exists()  # left behind by a process that died holding it
    with OutputLock(out) as lk:
        assert (out / LOCK_FILE).read_text().strip() == str(os.getpid())
        with pytest.raises(oio.OutputBusyError, match=f"PID {os.getpid()}"):
            OutputLock(out).acquire()  # a second open file description conflicts even in one process
    with OutputLock(out):  # released: free again
        pass


# ----------------------------------------------------------------------------- sets, not files


def _set(folder: Path) -> dict:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file() and not p.name.startswith(".")}


def test_failed_write_mid_set_keeps_the_old_set_whole(tmp_path, capsys, monkeypatch):
    """Disk full while writing the new set over an earlier run (a fake writer fails the third
    file): the old set stays as it was, nothing of the new one is mixed in, no staging is left,
    and the old manifest still reproduces."""
    monkeypatch.setenv("OCOP_SIM_CACHE", str(tmp_path / "c"))
    out = tmp_path / "out"
    assert main(["run", SMOKE, "--draws", "20", "--seed", "1", "--out", str(out)]) == 0
    old = _set(out)
    assert set(old) == {"smoke_summary.csv", "smoke_targets.csv", "smoke_products_by_area_group_level.csv",
                        "smoke_manifest.json"}
    import ocop_sim.io as io_mod

    real = io_mod.atomic_write_bytes
    calls = []

    def full_disk(path, data, check=None):
        calls.append(Path(path).name)
        if len(calls) == 3:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(path, data, check)

    monkeypatch.setattr(io_mod, "atomic_write_bytes", full_disk)
    code = main(["run", SMOKE, "--draws", "20", "--seed", "2", "--out", str(out)])
    assert code == 1 and "No space left" in capsys.readouterr().err
    monkeypatch.setattr(io_mod, "atomic_write_bytes", real)
    assert _set(out) == old
    assert not [p for p in out.iterdir() if p.name.startswith(".staging")]
    assert main(["reproduce", str(out / "smoke_manifest.json")]) == 0


def test_a_new_set_replaces_the_old_one_entirely(tmp_path, monkeypatch):
    monkeypatch.setenv("OCOP_SIM_CACHE", str(tmp_path / "c"))
    out = tmp_path / "out"
    assert main(["run", SMOKE, "--draws", "20", "--seed", "1", "--out", str(out)]) == 0
    old = _set(out)
    assert main(["run", SMOKE, "--draws", "20", "--seed", "2", "--out", str(out)]) == 0
    new = _set(out)
    assert set(new) == set(old) and all(new[k] != old[k] for k in new if k != "smoke_targets.csv")
    assert json.loads(new["smoke_manifest.json"])["seed"] == 2
    assert main(["reproduce", str(out / "smoke_manifest.json")]) == 0


def test_commit_moves_the_manifest_last_and_removes_the_old_one_first(tmp_path, monkeypatch):
    folder = tmp_path / "f"
    folder.mkdir()
    (folder / "m.json").write_text("old manifest")
    (folder / "a.csv").write_text("old a")
    seen = []
    real = os.replace

    def spy(src, dst):
        seen.append((Path(dst).name, (folder / "m.json").exists()))
        return real(src, dst)

    monkeypatch.setattr(oio.os, "replace", spy)
    with oio.staged_output(folder, last="m.json") as stage:
        (stage / "a.csv").write_text("new a")
        (stage / "m.json").write_text("new manifest")
        (stage / "b.csv").write_text("new b")
    assert [n for n, _ in seen] == ["a.csv", "b.csv", "m.json"]
    assert not any(had for _, had in seen)  # while the set moved, no (old) manifest vouched for it
    assert (folder / "m.json").read_text() == "new manifest" and (folder / "a.csv").read_text() == "new a"
    assert sorted(p.name for p in folder.iterdir()) == ["a.csv", "b.csv", "m.json"]


def test_staged_output_failure_leaves_nothing(tmp_path):
    folder = tmp_path / "f"
    folder.mkdir()
    (folder / "a.csv").write_text("old")
    with pytest.raises(RuntimeError):
        with oio.staged_output(folder) as stage:
            (stage / "a.csv").write_text("half")
            raise RuntimeError("disk full")
    assert sorted(p.name for p in folder.iterdir()) == ["a.csv"] and (folder / "a.csv").read_text() == "old"


# ----------------------------------------------------------------------------- a batch's own folders


def test_report_keeps_a_users_cache_folder_and_removes_only_its_own(tmp_path, monkeypatch):
    """v0.1 removed OUT/_cache/ (a user's folder) after every batch."""
    from ocop_sim import report

    out = tmp_path / "out"
    (out / "_cache").mkdir(parents=True)
    (out / "_cache" / "notes.txt").write_text("the user's own")
    seen = {}

    def fake_batch(**a):
        hand = Path(a["handoff"])
        seen["hand"] = hand
        assert hand.is_dir() and hand.parent == out and hand != out / "_cache"
        (hand / "x.npz").write_bytes(b"result")
        return report.BatchResult(out=out)

    import functools

    monkeypatch.setattr(report.batch, "_run_batch", functools.wraps(report.batch._run_batch)(fake_batch))
    report.run_batch([SMOKE], out, langs=("en",), progress=False)
    assert (out / "_cache" / "notes.txt").read_text() == "the user's own"
    assert not seen["hand"].exists()


def test_report_keep_cache_keeps_its_own_folder(tmp_path, monkeypatch):
    from ocop_sim import report

    out = tmp_path / "out"
    import functools

    monkeypatch.setattr(report.batch, "_run_batch", functools.wraps(report.batch._run_batch)(
        lambda **a: report.BatchResult(out=Path(a["out"]))))
    report.run_batch([SMOKE], out, langs=("en",), progress=False, keep_cache=True)
    (kept,) = out.glob("_cache.*")
    assert kept.is_dir()


# ----------------------------------------------------------------------------- memory guard


def test_memory_guard_refuses_with_estimate_and_limit(tmp_path, capsys, monkeypatch, no_sim):
    monkeypatch.setenv("OCOP_SIM_MEMORY_LIMIT", "64M")
    code = main(["run", SMOKE, "--draws", "100000", "--out", str(tmp_path / "o")])
    err = _one_line_exit2(capsys, code, "smoke.yaml", "draws", "100000 draws", "estimated", "limit of 64.0 MiB",
                          "OCOP_SIM_MEMORY_LIMIT")
    assert "GiB" in err
    assert not (tmp_path / "o").exists()  # refused before anything was written
    code = main(["report", SMOKE, "--draws", "100000", "--out", str(tmp_path / "r"), "--quiet"])
    _one_line_exit2(capsys, code, "estimated")
    assert not (tmp_path / "r").exists()
    code = main(["check", SMOKE, "--draws", "100000"])
    _one_line_exit2(capsys, code, "estimated", "limit of 64.0 MiB")


def test_memory_guard_default_limit_from_meminfo(tmp_path, monkeypatch):
    from ocop_sim import load, resources
    from ocop_sim.scenarios import ScenarioError

    monkeypatch.delenv("OCOP_SIM_MEMORY_LIMIT", raising=False)
    sc = load(SMOKE).scenario
    per = resources.bytes_per_draw(sc)
    assert per > 1000
    mi = tmp_path / "meminfo"
    mi.write_text(f"MemTotal: 1000000 kB\nMemAvailable: {per * 1000 // 1024} kB\n")
    # limit: half of (per × 1000) bytes; an estimate is per × draws × 2
    assert resources.check_memory(sc, 200, meminfo=mi) == per * 200 * 2
    with pytest.raises(ScenarioError, match=r"250 draws .* over the limit .*of RAM available"):
        resources.check_memory(sc, 250, meminfo=mi)
    assert resources.check_memory(sc, 10**6, mode="expected", meminfo=mi) == 0


@pytest.mark.parametrize("bad", ["lots", "-1G", "1_0G", "٣G", "0"])
def test_memory_limit_env_var_is_checked(bad, capsys, monkeypatch, no_sim):
    monkeypatch.setenv("OCOP_SIM_MEMORY_LIMIT", bad)
    code = main(["run", SMOKE, "--draws", "20"])
    _one_line_exit2(capsys, code, "OCOP_SIM_MEMORY_LIMIT", "expected a memory size")


# ----------------------------------------------------------------------------- explorer widget


@pytest.mark.parametrize("fname", ['<img src=x onerror="alert(1)">.yaml', "a&b<script>.yaml", "../<b>x</b>.yaml"])
def test_explorer_message_escapes_the_file_name(tmp_path, fname):
    import shutil

    from ocop_sim.widgets import Explorer

    d = tmp_path / "params"
    shutil.copytree(ROOT / "params", d)
    ex = Explorer(d / "smoke.yaml")
    msg = ex.save_message(fname)
    assert "<img" not in msg and "<script" not in msg and "<b>" not in msg, msg
    assert "&lt;" in msg


def test_cli_prints_a_cache_warning_in_one_line(tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("x")
    env = {**os.environ, "OCOP_SIM_CACHE": str(blocker / "c")}
    p = subprocess.run([str(Path(sys.executable).with_name("ocop-sim")), "run", SMOKE, "--draws", "10"],
                       capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300)
    assert p.returncode == 0, p.stderr
    warn = [l for l in p.stderr.splitlines() if "cache" in l]
    assert warn == [l for l in warn if l.startswith("warning: result cache")] and len(warn) == 1, p.stderr


def test_batch_tables_and_workbooks_are_one_set(tmp_path, monkeypatch):
    """A scenario's CSVs and workbooks in a report batch: a failure while writing the new set
    (a fake full disk at the second workbook) leaves the earlier set exactly as it was."""
    import errno as _errno

    from ocop_sim import excel, report
    from ocop_sim.scenarios import load

    monkeypatch.setenv("OCOP_SIM_CACHE", str(tmp_path / "c"))
    out, hand = tmp_path / "out", tmp_path / "hand"
    hand.mkdir()
    ld = load(SMOKE, allow_outside=True)
    r1 = report.workers._simulate_task(ld, str(out), 10, 1, ("vi", "en"), True, None, True, str(hand))
    assert r1["ok"], r1
    folder = out / "smoke"

    def files():
        return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}

    before = files()
    assert "smoke_en.xlsx" in before and "csv/smoke_summary.csv" in before
    real = excel.write_workbook
    calls = []

    def full(res, ld, path, lang):
        calls.append(lang)
        if len(calls) == 2:
            raise OSError(_errno.ENOSPC, "No space left on device")
        return real(res, ld, path, lang)

    monkeypatch.setattr(excel, "write_workbook", full)
    r2 = report.workers._simulate_task(ld, str(out), 10, 2, ("vi", "en"), True, None, True, str(hand))
    assert not r2["ok"] and "No space left" in r2["error"]
    assert files() == before  # v0.1: new CSVs and one new workbook beside the old ones
    assert not list(folder.glob(".staging*"))
