"""Issue 12, item 7, in-process parts: the main-process handler, the killable pool and the
IPC kernel settings (the end-to-end checks with real signals are in tests/test_signals.py)."""
from __future__ import annotations

import os
import signal
import time

import pytest

from ocop_sim import signals


def _sleep(s: float) -> float:
    time.sleep(s)
    return s


def test_sigterm_raises_terminated_in_the_main_thread_and_handlers_are_restored():
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(signals.Terminated):
        with signals.stop_on_signals():
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(1)
    assert signals.stopping()
    assert signal.getsignal(signal.SIGTERM) is before
    with signals.stop_on_signals():
        assert not signals.stopping()  # a new run starts unstopped


def test_killable_pool_left_by_an_exception_does_not_wait_for_its_tasks():
    import multiprocessing as mp

    t0 = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        with signals.KillablePool(max_workers=2, mp_context=mp.get_context("fork")) as pool:
            futs = [pool.submit(_sleep, 60) for _ in range(2)]
            time.sleep(1.0)
            pids = [p.pid for p in pool._processes.values()]
            raise KeyboardInterrupt
    assert time.monotonic() - t0 < 30  # not the 60 s the tasks would take
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def test_killable_pool_returns_results_normally():
    import multiprocessing as mp

    with signals.KillablePool(max_workers=1, mp_context=mp.get_context("fork")) as pool:
        assert pool.submit(_sleep, 0.01).result() == 0.01


def test_kernels_use_ipc_in_the_runtime_folder(tmp_path, monkeypatch):
    from ocop_sim.report import render

    rt = tmp_path / "rt"
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(rt))
    s = render._kernel_transport()
    if len(str(rt)) + 60 > render._IPC_MAX_PATH:
        assert "transport" not in s  # too long a socket path: TCP, still in the runtime folder
    else:
        assert s["transport"] == "ipc" and s["ip"].startswith(str(rt))
    assert s["connection_file"].startswith(str(rt)) and s["connection_file"].endswith(".json")
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", "/tmp/ocrt-unit")
    s = render._kernel_transport()
    assert s["transport"] == "ipc" and s["ip"].startswith("/tmp/ocrt-unit/kernel-ocop-")
    os.rmdir("/tmp/ocrt-unit")
