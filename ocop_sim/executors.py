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

Planning (issue 14): an executor only pays where a task is long enough.  Each executor states
what using it costs (``overhead_s``: a fixed cost per ``map``, start-up included while its workers
are not started; ``task_overhead_s``: the cost per task, pickling and IPC; both 0 for the
:class:`SerialExecutor`).  :func:`map_planned` runs a small pilot in this process (its results are
kept), measures the cost per task and lets :func:`plan_chunks` choose between running the rest
serially and mapping it over the executor in chunks of at least :data:`MIN_CHUNK_S` of work.
The decision is logged on the ``ocop_sim.executors`` logger (level INFO).

Longer than 400 lines because it holds the three executors (serial, local pool, Dask) with their
shared planning of chunks from a measured cost and the failure reports of a task.
"""
from __future__ import annotations

import contextlib
import logging
import math
import multiprocessing
import sys
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Callable, Sequence

from .errors import OcopError
from .signals import KillablePool, stop_on_signals, stopping, terminate_workers

__all__ = ["Executor", "SerialExecutor", "LocalPoolExecutor", "DaskExecutor", "TaskError", "make_executor",
           "describe_task", "LOCAL_DASK", "plan_chunks", "map_planned"]

#: The ``scheduler`` value that starts a local Dask cluster.
LOCAL_DASK = "local-dask"

# Overheads of the executors [s].  Measured on 2026-11-30 on the project machine (2 cores shared,
# load average ~4) by a throw-away script (the issue-14 report quotes it) that maps
# ocop_sim.sweep.run_chunk over params/sweep_budget.yaml: the first map of 2 one-row tasks on a
# fresh executor, then 3 maps of 40 empty tasks (scenario, sweep and targets pickled) and 5
# one-task maps on the warm executor; two runs each.
#: Local pool: first map, i.e. spawning 2 workers that import ocop_sim and load the pack
#: (measured 2.25 s and 3.85 s).
POOL_START_S = 2.5
#: Local pool, warm: one ``map`` of one task (measured 0.8-1.1 ms).
POOL_MAP_S = 0.001
#: Local pool, warm: each further task (measured 1.0-1.3 ms).
POOL_TASK_S = 0.001
#: Dask LocalCluster: first map on a started cluster (workers import ocop_sim; measured 0.50 s and
#: 1.39 s).  Starting the cluster itself (3.5-4.7 s) is paid when the executor is made, before any plan.
DASK_START_S = 0.5
#: Dask, warm: one ``map`` of one task (measured 34-36 ms).
DASK_MAP_S = 0.035
#: Dask, warm: each further task (measured 15-29 ms).
DASK_TASK_S = 0.02
#: Least work in a parallel chunk [s] (and at least 10x the executor's per-task overhead): a chunk
#: must pay for its pickling and dispatch many times over.
MIN_CHUNK_S = 0.1
#: At most this many chunks per worker (load balance without paying more per-task overhead).
CHUNKS_PER_WORKER = 4
#: Work the pilot runs in this process before the rest is planned [s] (its results are kept).
PILOT_S = 0.1

#: The clock the pilot is timed with (tests replace it).
clock = time.perf_counter

log = logging.getLogger("ocop_sim.executors")


class TaskError(OcopError, RuntimeError):
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
    """Base of the executors: ``workers`` and ``map``; usable as a context manager.

    ``overhead_s`` is what one ``map`` costs besides the tasks' work (start-up included while the
    workers are not started) and ``task_overhead_s`` what each task adds (pickling, IPC) [s]:
    :func:`plan_chunks` weighs them against the measured cost of the tasks.
    """

    workers: int = 1
    overhead_s: float = 0.0
    task_overhead_s: float = 0.0
    #: least work in a chunk [s] when stated (``min_chunk_s=0`` with ``overhead_s=0``: map whenever
    #: more than one task is left, as tests of parallel equality want); None: the planner's default
    min_chunk_s: float | None = None

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
    """Runs tasks one after another in this process (``--jobs 1``); no overhead."""

    workers = 1
    overhead_s = 0.0
    task_overhead_s = 0.0

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
    ``overhead_s`` is :data:`POOL_START_S` until then, :data:`POOL_MAP_S` after, unless stated
    (``overhead_s=0`` maps whenever there is more than one chunk of work).
    """

    task_overhead_s = POOL_TASK_S

    @property
    def overhead_s(self) -> float:
        if self._overhead is not None:
            return self._overhead
        return POOL_START_S if self._pool is None else POOL_MAP_S

    def __init__(self, jobs: int = 2, start_method: str = "spawn", overhead_s: float | None = None,
                 min_chunk_s: float | None = None):
        if int(jobs) < 1:
            raise ValueError(f"jobs: expected a whole number >= 1, got {jobs!r}")
        self._overhead = None if overhead_s is None else float(overhead_s)
        self.min_chunk_s = None if min_chunk_s is None else float(min_chunk_s)
        self.workers = int(jobs)
        self._ctx = multiprocessing.get_context(start_method)
        self._pool: ProcessPoolExecutor | None = None
        self._signals = contextlib.ExitStack()

    def _get_pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
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
    overhead_s : float, optional
        What one ``map`` costs [s]: default :data:`DASK_START_S` until the first ``map``,
        :data:`DASK_MAP_S` after.
    min_chunk_s : float, optional
        Least work in a chunk [s] (:attr:`Executor.min_chunk_s`).
    """

    task_overhead_s = DASK_TASK_S
    _warm = False

    @property
    def overhead_s(self) -> float:
        if self._overhead is not None:
            return self._overhead
        return DASK_MAP_S if self._warm else DASK_START_S

    def __init__(self, address: str = LOCAL_DASK, n_workers: int = 2, retries: int = 1,
                 overhead_s: float | None = None, min_chunk_s: float | None = None):
        from distributed import Client, LocalCluster

        self._overhead = None if overhead_s is None else float(overhead_s)
        self.min_chunk_s = None if min_chunk_s is None else float(min_chunk_s)
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
        self._warm = True
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


def plan_chunks(n_tasks: int, seconds_per_task: float, workers: int, overhead_s: float = 0.0,
                task_overhead_s: float = 0.0, min_chunk_s: float = MIN_CHUNK_S,
                max_chunks: int | None = None) -> list[tuple[int, int]] | None:
    """Chunks ``[(start, stop), ...]`` covering ``range(n_tasks)`` in order, or None: run serially.

    Parameters
    ----------
    n_tasks : int
        Tasks to run [-].
    seconds_per_task : float
        Measured cost of one task run in this process [s].
    workers : int
        Tasks the executor runs at once [-].
    overhead_s, task_overhead_s : float
        The executor's cost per ``map`` and per task [s] (:class:`Executor`).
    min_chunk_s : float
        Least work in a chunk [s].
    max_chunks : int, optional
        At most this many chunks; default :data:`CHUNKS_PER_WORKER` per worker.

    Serial time is ``n_tasks * seconds_per_task``; in ``k`` chunks the executor takes about
    ``overhead_s + (serial + k * task_overhead_s) / workers``.  The plan is parallel only if that
    is shorter than serial time **and** the work fills at least one chunk of ``min_chunk_s`` per
    worker; it then has between ``workers`` and ``max_chunks`` chunks of (almost) equal size,
    each of at least ``ceil(min_chunk_s / seconds_per_task)`` tasks.  So work shorter than the
    overhead always runs serially.
    """
    n, w = int(n_tasks), int(workers)
    s = float(seconds_per_task)
    if n < 2 or w < 2 or not s > 0 or not math.isfinite(s):
        return None
    least = max(1, math.ceil(min_chunk_s / s - 1e-9))  # tasks in a chunk of min_chunk_s
    most = n // least  # chunks of at least ``least`` tasks
    if most < w:
        return None
    k = max(w, min(most, max_chunks if max_chunks is not None else CHUNKS_PER_WORKER * w))
    k = min(k, most)
    serial = n * s
    if overhead_s + (serial + k * task_overhead_s) / w >= serial:
        return None
    bounds = [i * n // k for i in range(k + 1)]
    return [(a, b) for a, b in zip(bounds[:-1], bounds[1:])]


def _name(executor) -> str:
    w = getattr(executor, "workers", 1)
    return f"{type(executor).__name__}({w} workers)"


def map_planned(executor, fn: Callable, n_tasks: int, args_for: Callable[[int, int], tuple], *,
                what: str = "tasks", pilot_s: float = PILOT_S, pilot_rounds: int = 2,
                min_chunk_s: float | None = None, chunks_per_worker: int = CHUNKS_PER_WORKER) -> list:
    """Run ``fn(*args_for(a, b))`` over ranges ``[a, b)`` that cover ``range(n_tasks)`` in order;
    returns the results (one per range) in order.

    Without an executor (or one of 1 worker) it is one range run here.  Else a pilot runs here
    first: ranges of 1, 2, 4, ... tasks until ``pilot_s`` of work and ``pilot_rounds`` ranges are
    done (results kept: no work is done twice); the cost per task of the last pilot range plans
    the rest (:func:`plan_chunks` with the executor's ``overhead_s`` and ``task_overhead_s``),
    which runs here as one range or over the executor.  ``min_chunk_s``: default
    ``max(MIN_CHUNK_S, 10 * task_overhead_s)``; at most ``chunks_per_worker`` chunks a worker.
    The decision is logged (INFO, ``ocop_sim.executors``), e.g. "ran 12 sweep samples serially:
    est. 0.39 s (pilot 3 in 0.12 s) too short for LocalPoolExecutor(2 workers) (overhead 2.50 s ...)".
    """
    n = int(n_tasks)
    workers = int(getattr(executor, "workers", 1)) if executor is not None else 1
    if n <= 0:
        return []
    if workers <= 1:
        return [fn(*args_for(0, n))]
    overhead = float(getattr(executor, "overhead_s", 0.0))
    task_overhead = float(getattr(executor, "task_overhead_s", 0.0))
    if min_chunk_s is None:
        min_chunk_s = getattr(executor, "min_chunk_s", None)
    least = max(MIN_CHUNK_S, 10 * task_overhead) if min_chunk_s is None else float(min_chunk_s)
    # the pilot runs on until pilot_s of work only where its measure decides something: with no
    # overhead and no least chunk (an executor that maps whenever more than one task is left) the
    # plan is parallel whatever the cost, so the pilot is pilot_rounds ranges, however fast they are
    timed = overhead > 0 or least > 0
    parts: list = []
    done, step, spent, rounds, per_task = 0, 1, 0.0, 0, 0.0
    while done < n and (rounds < pilot_rounds or (timed and spent < pilot_s)):
        b = min(n, done + step)
        t0 = clock()
        parts.append(fn(*args_for(done, b)))
        dt = max(0.0, clock() - t0)
        per_task, spent, rounds, done, step = dt / (b - done), spent + dt, rounds + 1, b, 2 * step
    rest = n - done
    if rest == 0:
        log.info("ran %d %s serially: all in the pilot (%.2f s), %s not used", n, what, spent, _name(executor))
        return parts
    chunks = plan_chunks(rest, per_task, workers, overhead, task_overhead if timed else 0.0, least,
                         max(1, chunks_per_worker) * workers)
    est = rest * per_task
    if chunks is None:
        log.info("ran %d %s serially: est. %.2f s (pilot %d in %.2f s) too short for %s "
                 "(overhead %.2f s + %.3f s a task)", n, what, spent + est, done, spent, _name(executor),
                 overhead, task_overhead)
        parts.append(fn(*args_for(done, n)))
        return parts
    log.info("ran %d %s on %s: pilot %d in %.2f s here, then %d chunks of ~%d (est. %.2f s serial, "
             "overhead %.2f s + %.3f s a task)", n, what, _name(executor), done, spent, len(chunks),
             round(rest / len(chunks)), est, overhead, task_overhead)
    parts.extend(executor.map(fn, [args_for(done + a, done + b) for a, b in chunks]))
    return parts


def make_executor(jobs: int = 1, scheduler: str | None = None) -> Executor:
    """The executor for ``--jobs`` / ``--scheduler``: Dask if a scheduler is given, else a pool.

    ``jobs == 1`` and no scheduler gives the :class:`SerialExecutor`.
    """
    if scheduler:
        return DaskExecutor(scheduler)
    if int(jobs) <= 1:
        return SerialExecutor()
    return LocalPoolExecutor(int(jobs))
