"""SIGTERM and SIGINT stop a run cleanly: workers and their kernels end, temporary files go,
finished outputs stay whole.

* The main process (:func:`stop_on_signals`) turns SIGTERM into :class:`Terminated` (a
  ``KeyboardInterrupt``, as Ctrl-C's SIGINT is), so ``finally`` blocks run: staging folders
  and the batch's own hand-over folder are removed, the output lock released.
* A pool leaving its ``with`` block by an exception (:class:`KillablePool`) sends SIGTERM to
  its workers, gives them :data:`GRACE_S` to clean up and then SIGKILLs what is left; it does
  not wait for running tasks (a report can take minutes).
* A worker (:func:`install_worker_handler`) on SIGTERM first kills the kernels it started
  (each kernel is the leader of its own session: its whole process group is killed) and
  removes their connection and IPC socket files, then unwinds the running task with
  :class:`Stop` (its temporary and staged files are removed on the way) and exits with 143.
"""
from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from typing import Callable

__all__ = ["Terminated", "Stop", "stop_on_signals", "KillablePool", "terminate_workers", "install_worker_handler",
           "stopping", "GRACE_S"]

#: Seconds a worker has to clean up after SIGTERM before it is killed.
GRACE_S = 10.0
_STOPPING = threading.Event()


class Terminated(KeyboardInterrupt):
    """SIGTERM in the main process (handled like Ctrl-C)."""


class Stop(BaseException):
    """SIGTERM in a worker: unwinds the running task (``finally`` blocks run), then the worker exits."""


def stopping() -> bool:
    """True once this process was told to stop (pools then terminate instead of waiting)."""
    return _STOPPING.is_set()


def _main_handler(signum, frame):
    _STOPPING.set()
    if signum == signal.SIGINT:
        raise KeyboardInterrupt
    raise Terminated(f"signal {signum}")


@contextlib.contextmanager
def stop_on_signals():
    """While inside: SIGTERM and SIGINT raise in the main thread (elsewhere: no change)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _STOPPING.clear()  # a new run (in-process callers, tests) starts unstopped
    old = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT)}
    for s in old:
        signal.signal(s, _main_handler)
    try:
        yield
    finally:
        for s, h in old.items():
            signal.signal(s, h)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            return fh.read().rsplit(b")", 1)[1].split()[0] != b"Z"
    except (OSError, IndexError):
        try:
            os.kill(pid, 0)
            return True
        except OSError:
            return False


def terminate_workers(pool: ProcessPoolExecutor, grace: float = GRACE_S) -> None:
    """SIGTERM every worker of ``pool``, wait up to ``grace`` s, SIGKILL the rest, drop the pool."""
    procs = list((getattr(pool, "_processes", None) or {}).values())
    for p in procs:
        with contextlib.suppress(OSError):
            os.kill(p.pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    for p in procs:
        p.join(max(0.0, deadline - time.monotonic()))
    for p in procs:
        if p.is_alive():
            with contextlib.suppress(OSError):
                os.kill(p.pid, signal.SIGKILL)
            p.join(2.0)
    with contextlib.suppress(Exception):
        pool.shutdown(wait=False, cancel_futures=True)


def _guarded(fn: Callable, *args, **kwargs):
    """Run a task in a worker; a :class:`Stop` unwinds it and ends the worker (exit 143)."""
    global _IN_TASK
    _IN_TASK = True
    try:
        return fn(*args, **kwargs)
    except Stop:
        os._exit(128 + signal.SIGTERM)
    finally:
        _IN_TASK = False


class KillablePool(ProcessPoolExecutor):
    """A process pool that, left by an exception (a signal, an error), terminates its workers
    instead of waiting for their tasks; tasks run under :func:`_guarded`."""

    def submit(self, fn, /, *args, **kwargs):
        return super().submit(_guarded, fn, *args, **kwargs)

    def __exit__(self, typ, exc, tb):
        if typ is not None or stopping():
            terminate_workers(self)
            return False
        return super().__exit__(typ, exc, tb)


_IN_TASK = False
_CLEANUPS: list[Callable[[], None]] = []


def _worker_handler(signum, frame):
    _STOPPING.set()
    for fn in list(_CLEANUPS):
        with contextlib.suppress(Exception):
            fn()
    if not _IN_TASK:
        os._exit(128 + signum)
    raise Stop(signum)


def install_worker_handler(cleanup: Callable[[], None] | None = None) -> None:
    """In a worker: SIGTERM (and SIGINT) run ``cleanup`` (kill kernels, remove their files), then
    stop the running task (or exit at once when idle)."""
    if cleanup is not None:
        _CLEANUPS.append(cleanup)
    for s in (signal.SIGTERM, signal.SIGINT):
        signal.signal(s, _worker_handler)
