"""One executor interface for Monte Carlo chunks, sweeps, sensitivity runs and report batches.

An executor has ``.workers`` (how many tasks run at once) and
``.map(fn, list_of_arg_tuples, return_exceptions=False) -> list`` returning ``fn(*args)`` for
each tuple, **in input order**.  A failed task raises :class:`TaskError` naming the task (its
index and a short description of the arguments); with ``return_exceptions=True`` the exceptions
are returned in place of the failed results instead.

===============================  =========================================================
executor                         runs tasks
===============================  =========================================================
:class:`SerialExecutor`          in this process, one after another
:class:`LocalPoolExecutor`       in ``jobs`` worker processes (``spawn`` start method)
:class:`DaskExecutor`            on a Dask distributed cluster (``tcp://host:port``), or a
                                 ``LocalCluster`` of 2 worker processes for ``"local-dask"``
===============================  =========================================================

``fn`` must be a picklable module-level function and its arguments picklable (worker processes
import it by name).  Determinism: the functions the package maps (e.g.
:func:`ocop_sim.simulate.run_draws`) take their random numbers from per-block generators, so
results are bit-for-bit identical on every executor (tests/test_executors.py checks this).

Worker death: in the local pool a dying worker breaks the whole pool
(``BrokenProcessPool``); the executor reports the tasks that were lost on stderr, starts a
fresh pool and retries each of them once; a task lost twice raises :class:`TaskError`.  On Dask,
tasks are submitted with ``retries=1`` and the scheduler reschedules work of a lost worker; a
task that still fails is named in the :class:`TaskError`.
"""
from __future__ import annotations

import contextlib
import multiprocessing
import sys
import uuid
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Callable, Sequence

__all__ = ["Executor", "SerialExecutor", "LocalPoolExecutor", "DaskExecutor", "TaskError", "make_executor",
           "describe_task", "LOCAL_DASK"]

#: The ``scheduler`` value that starts a local Dask cluster.
LOCAL_DASK = "local-dask"


class TaskError(RuntimeError):
    """A mapped task failed; ``.task`` is its index, ``.name`` its description, ``.cause`` the error."""

    def __init__(self, index: int, name: str, cause: BaseException):
        self.task, self.name, self.cause = index, name, cause
        super().__init__(f"task {index} ({name}) failed: {type(cause).__name__}: {cause}")


def _short(x: Any) -> str:
    name = getattr(x, "name", None)
    if isinstance(name, str):  # a Scenario (or anything named): its name, not its whole repr
        return f"<{type(x).__name__} {name}>"
    r = repr(x)
    return r if len(r) <= 40 else r[:37] + "..."


def describe_task(fn: Callable, args: Sequence[Any]) -> str:
    """Short one-line description of a task, e.g. ``run_draws(<Scenario baseline>, 0, 500, 7)``."""
    return f"{getattr(fn, '__name__', 'task')}({', '.join(_short(a) for a in args)})"


def _report(message: str) -> None:
    print(f"ocop-sim executor: {message}", file=sys.stderr, flush=True)


class Executor:
    """Base of the executors: ``workers`` and ``map``; usable as a context manager."""

    workers: int = 1

    def map(self, fn: Callable, args_list: Sequence[tuple], return_exceptions: bool = False) -> list:
        raise NotImplementedError

    def close(self) -> None:
        """Release worker processes or cluster connections (idempotent)."""

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @staticmethod
    def _finish(fn: Callable, args_list: Sequence[tuple], results: list, errors: dict[int, BaseException],
                return_exceptions: bool) -> list:
        if errors and not return_exceptions:
            i = min(errors)
            raise TaskError(i, describe_task(fn, args_list[i]), errors[i]) from errors[i]
        for i, e in errors.items():
            results[i] = e
        return results


class SerialExecutor(Executor):
    """Runs tasks one after another in this process (``--jobs 1``)."""

    workers = 1

    def map(self, fn: Callable, args_list: Sequence[tuple], return_exceptions: bool = False) -> list:
        results: list = [None] * len(args_list)
        errors: dict[int, BaseException] = {}
        for i, args in enumerate(args_list):
            try:
                results[i] = fn(*args)
            except Exception as exc:  # noqa: BLE001 - reported with the task's name
                if not return_exceptions:
                    raise TaskError(i, describe_task(fn, args), exc) from exc
                errors[i] = exc
        return self._finish(fn, args_list, results, errors, return_exceptions)


class LocalPoolExecutor(Executor):
    """A local pool of ``jobs`` worker processes (``concurrent.futures``, ``spawn`` start method).

    The pool starts on the first ``map`` and is kept for later calls until :meth:`close`.
    """

    def __init__(self, jobs: int = 2, start_method: str = "spawn"):
        if int(jobs) < 1:
            raise ValueError(f"jobs: expected a whole number >= 1, got {jobs!r}")
        self.workers = int(jobs)
        self._ctx = multiprocessing.get_context(start_method)
        self._pool: ProcessPoolExecutor | None = None
        self._signals = contextlib.ExitStack()

    def _get_pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            from .signals import KillablePool, stop_on_signals

            # SIGTERM/SIGINT while the pool lives: raise here, and close() terminates the workers
            self._signals.enter_context(stop_on_signals())
            self._pool = KillablePool(max_workers=self.workers, mp_context=self._ctx)
        return self._pool

    def _run(self, fn: Callable, args_list: Sequence[tuple], idx: list[int]) -> tuple[dict, dict, list[int]]:
        pool = self._get_pool()
        futs = {i: pool.submit(fn, *args_list[i]) for i in idx}
        done, errors, broken = {}, {}, []
        for i, fut in futs.items():
            try:
                done[i] = fut.result()
            except BrokenProcessPool:
                broken.append(i)
            except Exception as exc:  # noqa: BLE001 - reported with the task's name
                errors[i] = exc
        if broken:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
        return done, errors, broken

    def map(self, fn: Callable, args_list: Sequence[tuple], return_exceptions: bool = False) -> list:
        args_list = list(args_list)
        results: list = [None] * len(args_list)
        done, errors, broken = self._run(fn, args_list, list(range(len(args_list))))
        if broken:
            names = "; ".join(f"task {i} ({describe_task(fn, args_list[i])})" for i in broken)
            _report(f"a worker process died (BrokenProcessPool); retrying once on a fresh pool: {names}")
            done2, errors2, broken2 = self._run(fn, args_list, broken)
            done.update(done2)
            errors.update(errors2)
            for i in broken2:
                errors[i] = BrokenProcessPool("a worker process died twice while running this task")
        for i, v in done.items():
            results[i] = v
        return self._finish(fn, args_list, results, errors, return_exceptions)

    def close(self) -> None:
        from .signals import stopping, terminate_workers

        if self._pool is not None:
            if stopping():  # a signal: do not wait for the running chunks
                terminate_workers(self._pool)
            else:
                self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        self._signals.close()


class DaskExecutor(Executor):
    """Tasks on a Dask distributed cluster.

    Parameters
    ----------
    address : str
        A scheduler address (``tcp://host:8786``) or ``"local-dask"``: start a ``LocalCluster``
        of ``n_workers`` worker processes with one thread each, closed by :meth:`close`.
    n_workers : int
        Worker processes of a local cluster [-].
    retries : int
        Times the scheduler retries a failed task [-].
    """

    def __init__(self, address: str = LOCAL_DASK, n_workers: int = 2, retries: int = 1):
        from distributed import Client, LocalCluster

        self.retries = int(retries)
        self._cluster = None
        if address == LOCAL_DASK:
            self._cluster = LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True,
                                         dashboard_address=None)
            self._client = Client(self._cluster)
        else:
            self._client = Client(address)
        info = self._client.scheduler_info()
        self.workers = max(1, sum(int(w.get("nthreads", 1)) for w in info.get("workers", {}).values()))
        self.address = address

    @property
    def client(self):
        return self._client

    def map(self, fn: Callable, args_list: Sequence[tuple], return_exceptions: bool = False) -> list:
        args_list = list(args_list)
        tag = uuid.uuid4().hex[:8]
        futs = [self._client.submit(fn, *args, retries=self.retries, pure=False,
                                    key=f"{getattr(fn, '__name__', 'task')}-{tag}-{i}")
                for i, args in enumerate(args_list)]
        results: list = [None] * len(args_list)
        errors: dict[int, BaseException] = {}
        for i, fut in enumerate(futs):
            try:
                results[i] = fut.result()
            except Exception as exc:  # noqa: BLE001 - includes KilledWorker; named below
                errors[i] = exc
        for fut in futs:
            fut.release()
        if errors:
            _report("failed on Dask after retries: " + "; ".join(
                f"task {i} ({describe_task(fn, args_list[i])}): {type(e).__name__}" for i, e in errors.items()))
        return self._finish(fn, args_list, results, errors, return_exceptions)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None


def make_executor(jobs: int = 1, scheduler: str | None = None) -> Executor:
    """The executor for ``--jobs`` / ``--scheduler``: Dask if a scheduler is given, else a pool.

    ``jobs == 1`` and no scheduler gives the :class:`SerialExecutor`.
    """
    if scheduler:
        return DaskExecutor(scheduler)
    if int(jobs) <= 1:
        return SerialExecutor()
    return LocalPoolExecutor(int(jobs))
