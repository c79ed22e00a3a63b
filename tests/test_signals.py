"""Issue 12, item 7: SIGTERM/SIGINT to ``report`` or ``run --jobs 2`` stop every process of the run
(workers and kernels), remove temporary and kernel files, and leave finished outputs whole.
Real subprocesses; processes found through /proc (psutil is not a dependency)."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
OCOP_SIM = Path(sys.executable).with_name("ocop-sim")
SMOKE = str(ROOT / "params" / "smoke.yaml")

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists() or not hasattr(os, "killpg"),
                                reason="needs Linux /proc and process groups")


def _procs() -> dict[int, tuple[int, int, str]]:
    """pid -> (ppid, pgid, cmdline) of every live (non-zombie) process."""
    out = {}
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            stat = (d / "stat").read_bytes()
            cmd = (d / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        fields = stat.rsplit(b")", 1)[1].split()
        if fields[0] == b"Z":
            continue
        out[int(d.name)] = (int(fields[1]), int(fields[2]), cmd)
    return out


def _family(root: int, runtime: Path) -> set[int]:
    """The run's processes: descendants of ``root`` and kernels whose connection file is in ``runtime``."""
    ps = _procs()
    fam = {root} if root in ps else set()
    grew = True
    while grew:
        grew = False
        for pid, (ppid, _, _) in ps.items():
            if ppid in fam and pid not in fam:
                fam.add(pid)
                grew = True
    fam |= {pid for pid, (_, _, cmd) in ps.items() if str(runtime) in cmd}
    return fam


def _start(args: list[str], tmp: Path, runtime: Path) -> subprocess.Popen:
    env = {**os.environ, "MPLBACKEND": "Agg", "JUPYTER_RUNTIME_DIR": str(runtime),
           "OCOP_SIM_CACHE": str(tmp / "cache")}
    return subprocess.Popen([str(OCOP_SIM), *args], cwd=tmp, env=env, start_new_session=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.fixture
def runtime():
    d = Path(tempfile.mkdtemp(prefix="ocrt", dir="/tmp"))  # short: IPC socket paths have a length limit
    yield d
    shutil.rmtree(d, ignore_errors=True)


def _wait_for(cond, timeout: float) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.05)
    return False


def _gone(pids: set[int], timeout: float = 20) -> set[int]:
    _wait_for(lambda: not (pids & set(_procs())), timeout)
    return pids & set(_procs())


@pytest.mark.slow
@pytest.mark.notebook
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signal_to_report_stops_workers_and_kernels(tmp_path, runtime, sig):
    out = tmp_path / "out"
    proc = _start(["report", SMOKE, str(ROOT / "params" / "more_development.yaml"), "--out", str(out),
                   "--jobs", "2", "--lang", "both", "--draws", "20", "--no-calibration", "--quiet"], tmp_path, runtime)
    try:
        # a kernel runs a notebook: its connection file is in the runtime folder, a report is under way
        assert _wait_for(lambda: list(runtime.glob("kernel-*.json")) and list(out.glob("*/csv")), 120), \
            proc.stderr.read() if proc.poll() is not None else "no kernel started"
        time.sleep(1.0)
        fam = _family(proc.pid, runtime)
        kernels = {pid for pid, (_, _, cmd) in _procs().items() if str(runtime) in cmd}
        assert kernels and len(fam) >= 3, (fam, kernels)  # main, workers, kernels
        # kernels talk over Unix sockets, not TCP (a kernel forked from the worker's template binds
        # them once the template has imported the package)
        assert _wait_for(lambda: any("ipc" in p.name for p in runtime.iterdir()), 60)
        os.kill(proc.pid, sig)
        code = proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    err = proc.stderr.read()
    assert code == 130 and "interrupted" in err, (code, err)
    assert not _gone(fam), f"survivors: {[(p, _procs().get(p)) for p in _gone(fam, 0)]}"
    assert not list(runtime.iterdir()), list(runtime.iterdir())  # no connection or socket file left
    assert not list(out.glob("_cache.*")), "the batch's hand-over folder was left"
    assert not list(out.rglob(".staging.*")) and not list(out.rglob("*.part"))
    for html in out.rglob("*.html"):  # what finished is whole
        assert html.read_text(encoding="utf-8").rstrip().endswith("</html>"), html
    for csv in out.rglob("*.csv"):
        assert csv.read_text(encoding="utf-8").endswith("\n")
    # the lock died with the run: the same folder can be used again at once
    from ocop_sim.locks import OutputLock

    with OutputLock(out):
        pass


@pytest.mark.slow
def test_sigterm_to_run_jobs2_stops_its_workers(tmp_path, runtime):
    proc = _start(["run", str(ROOT / "params" / "baseline.yaml"), "--draws", "15000", "--jobs", "2", "--no-cache",
                   "--out", str(tmp_path / "o")], tmp_path, runtime)
    try:
        assert _wait_for(lambda: len(_family(proc.pid, runtime)) >= 3, 60), \
            proc.stderr.read() if proc.poll() is not None else "no workers started"
        time.sleep(1.0)
        fam = _family(proc.pid, runtime)
        os.kill(proc.pid, signal.SIGTERM)
        code = proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert code == 130, proc.stderr.read()
    assert not _gone(fam), "a worker survived"
    assert not [p for p in (tmp_path / "o").iterdir() if p.name != ".ocop-sim.lock"]  # nothing half-written
