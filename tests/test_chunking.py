"""Executors only where a task pays for them (issue 14): plan_chunks and the timed pilot.

No timing is asserted: the pilot's clock is replaced by a fake one (every reading advances it by a
fixed step), so a pilot range "takes" that step whatever it does.
"""
from __future__ import annotations

import itertools
import logging
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from ocop_sim import executors, load, simulate
from ocop_sim.executors import LocalPoolExecutor, SerialExecutor, map_planned, plan_chunks
from ocop_sim.simulate import BLOCK

ROOT = Path(__file__).resolve().parents[1]


class FakeExecutor:
    """Maps in this process, records the argument lists it was given; ``fail``: map must not be called."""

    def __init__(self, workers=2, overhead_s=0.0, task_overhead_s=0.0, fail=False):
        self.workers, self.overhead_s, self.task_overhead_s, self.fail = workers, overhead_s, task_overhead_s, fail
        self.calls: list[list[tuple]] = []

    def map(self, fn, args_list, return_exceptions=False):
        if self.fail:
            raise AssertionError("the plan should have run serially")
        self.calls.append(list(args_list))
        return [fn(*a) for a in args_list]


def fake_clock(monkeypatch, step: float) -> None:
    counter = itertools.count()
    monkeypatch.setattr(executors, "clock", lambda: step * next(counter))


# ----------------------------------------------------------------------------- plan_chunks

plans = dict(n=st.integers(0, 5000), s=st.floats(1e-5, 10.0), w=st.integers(1, 16),
             overhead=st.floats(0.0, 10.0), task=st.floats(0.0, 0.1), least=st.floats(0.01, 2.0))


def _least_tasks(s: float, min_chunk_s: float) -> int:
    return max(1, math.ceil(min_chunk_s / s - 1e-9))


@settings(max_examples=400, deadline=None)
@given(**plans)
def test_plan_covers_all_tasks_in_order(n, s, w, overhead, task, least):
    chunks = plan_chunks(n, s, w, overhead, task, least)
    if chunks is None:
        return
    assert chunks[0][0] == 0 and chunks[-1][1] == n
    assert all(a < b for a, b in chunks)
    assert all(b == a2 for (_, b), (a2, _) in zip(chunks[:-1], chunks[1:]))  # no gap, no overlap
    # parallel: one chunk per worker at least, each with at least min_chunk_s of work
    assert len(chunks) >= w >= 2
    assert all(b - a >= _least_tasks(s, least) for a, b in chunks)
    assert max(b - a for a, b in chunks) - min(b - a for a, b in chunks) <= 1
    assert len(chunks) <= executors.CHUNKS_PER_WORKER * w


@settings(max_examples=300, deadline=None)
@given(n=plans["n"], s=plans["s"], w=plans["w"], ratio=st.floats(1.0, 100.0), task=plans["task"],
       least=plans["least"])
def test_plan_is_serial_when_the_work_is_shorter_than_the_overhead(n, s, w, ratio, task, least):
    overhead = n * s * ratio  # the overhead costs at least the whole serial time
    assert plan_chunks(n, s, w, overhead, task, least) is None


@settings(max_examples=300, deadline=None)
@given(s=plans["s"], w=st.integers(2, 16), least=plans["least"], extra=st.integers(0, 5000),
       task=plans["task"], frac=st.floats(0.0, 0.99))
def test_plan_is_parallel_when_the_work_is_long(s, w, least, extra, task, frac):
    n = _least_tasks(s, least) * w + extra  # enough tasks for one chunk of min_chunk_s per worker
    k_max = executors.CHUNKS_PER_WORKER * w
    saving = n * s * (w - 1) / w - k_max * task / w  # what w workers save, even with the most chunks
    assume(saving > 1e-9)
    chunks = plan_chunks(n, s, w, frac * saving, task, least)
    assert chunks is not None and len(chunks) >= w


def test_plan_edge_cases():
    assert plan_chunks(100, 1.0, 1) is None  # one worker
    assert plan_chunks(1, 100.0, 4) is None  # one task
    assert plan_chunks(0, 1.0, 4) is None
    assert plan_chunks(100, 0.0, 4) is None  # nothing measured
    assert plan_chunks(100, float("nan"), 4) is None
    assert plan_chunks(10, 0.01, 2, overhead_s=0.0, min_chunk_s=0.06) is None  # 0.1 s: not 2 chunks of 0.06 s
    assert plan_chunks(10, 0.01, 2, overhead_s=0.0, min_chunk_s=0.05) == [(0, 5), (5, 10)]
    assert plan_chunks(400, 1.0, 2) == [(i * 50, i * 50 + 50) for i in range(8)]  # at most 4 per worker
    assert plan_chunks(400, 1.0, 2, max_chunks=3) == [(0, 133), (133, 266), (266, 400)]


def test_executors_state_their_overhead():
    assert SerialExecutor().overhead_s == 0 and SerialExecutor().task_overhead_s == 0
    ex = LocalPoolExecutor(2)  # not started: start-up is the overhead
    assert ex.overhead_s == executors.POOL_START_S > executors.POOL_MAP_S > 0
    assert ex.task_overhead_s == executors.POOL_TASK_S
    ex.close()
    assert LocalPoolExecutor(2, overhead_s=0).overhead_s == 0  # stated by the caller
    assert executors.DaskExecutor.task_overhead_s == executors.DASK_TASK_S


# ----------------------------------------------------------------------------- map_planned


def _ranges(a, b):
    return list(range(a, b))


def test_map_planned_keeps_the_pilot_and_covers_every_task(monkeypatch):
    fake_clock(monkeypatch, 1.0)  # each pilot range "takes" 1 s
    ex = FakeExecutor(workers=2)
    parts = map_planned(ex, _ranges, 20, lambda a, b: (a, b))
    assert [x for p in parts for x in p] == list(range(20))
    # pilot: ranges of 1 and 2 tasks here, then 17 tasks at 0.5 s in 8 chunks over the executor
    assert parts[0] == [0] and parts[1] == [1, 2]
    assert len(ex.calls) == 1 and len(ex.calls[0]) == 8 and ex.calls[0][0] == (3, 5)
    # without an executor (or with one worker): one range, no pilot
    assert map_planned(None, _ranges, 5, lambda a, b: (a, b)) == [[0, 1, 2, 3, 4]]
    assert map_planned(SerialExecutor(), _ranges, 5, lambda a, b: (a, b)) == [[0, 1, 2, 3, 4]]
    assert map_planned(ex, _ranges, 0, lambda a, b: (a, b)) == []


# ----------------------------------------------------------------------------- sweeps


@pytest.fixture(scope="module")
def sweep_sc():
    return load(ROOT / "params" / "sweep_budget.yaml").scenario


@pytest.fixture(scope="module")
def sweep_ref(sweep_sc):
    from ocop_sim.sweep import run_sweep

    return run_sweep(sweep_sc, executor=None)


def test_cheap_sweep_on_a_pool_runs_serially(monkeypatch, caplog, sweep_sc, sweep_ref):
    from ocop_sim.sweep import run_sweep

    fake_clock(monkeypatch, 0.06)  # pilot ranges of 1 and 2 samples take 60 ms each: 30 ms a sample
    with caplog.at_level(logging.INFO, logger="ocop_sim.executors"):
        with LocalPoolExecutor(2) as ex:
            out = run_sweep(sweep_sc, executor=ex)
            assert ex._pool is None  # the pool never started
    assert "ran 12 sweep samples serially: est. 0.39 s" in caplog.text
    assert "too short for LocalPoolExecutor(2 workers) (overhead 2.50 s" in caplog.text
    assert out.equals(sweep_ref)
    # an executor whose map fails if called: not called
    assert run_sweep(sweep_sc, executor=FakeExecutor(overhead_s=executors.POOL_START_S, fail=True)).equals(sweep_ref)


def test_expensive_sweep_goes_parallel_with_identical_outcomes(monkeypatch, caplog, sweep_sc, sweep_ref):
    from ocop_sim.sweep import run_sweep

    fake_clock(monkeypatch, 5.0)  # 5 s a pilot range: worth an executor of small overhead ...
    cheap = FakeExecutor(workers=2, overhead_s=0.5, task_overhead_s=0.01)
    with caplog.at_level(logging.INFO, logger="ocop_sim.executors"):
        out = run_sweep(sweep_sc, executor=cheap)
    assert len(cheap.calls) == 1 and len(cheap.calls[0]) >= 2
    assert "ran 12 sweep samples on FakeExecutor(2 workers)" in caplog.text
    assert out.equals(sweep_ref)  # bit for bit: serial plan == parallel plan
    # ... but not one whose overhead is larger than the whole work
    costly = FakeExecutor(workers=2, overhead_s=1000.0, fail=True)
    assert run_sweep(sweep_sc, executor=costly).equals(sweep_ref)
    # an explicit chunk keeps the caller's chunking, every chunk through the executor
    fixed = FakeExecutor(workers=2, overhead_s=1000.0)
    assert run_sweep(sweep_sc, executor=fixed, chunk=5).equals(sweep_ref)
    assert [len(a[2]) for a in fixed.calls[0]] == [5, 5, 2]


# ----------------------------------------------------------------------------- Monte Carlo


@pytest.fixture(scope="module")
def smoke_sc():
    return load(ROOT / "params" / "smoke.yaml").scenario


def _assert_identical(a, b) -> None:
    for group in ("stocks", "flows", "params", "initial"):
        ga, gb = getattr(a.arrays, group), getattr(b.arrays, group)
        assert set(ga) == set(gb)
        for k in ga:
            assert ga[k].dtype == gb[k].dtype, (group, k)
            assert np.array_equal(ga[k], gb[k]), (group, k)


def test_monte_carlo_plans_give_bit_for_bit_the_same_draws(monkeypatch, caplog, smoke_sc):
    draws = 2 * BLOCK + 7  # three blocks, the last one partial
    ref = simulate(smoke_sc, draws=draws, seed=3)  # no executor: one serial run
    # serial plan on an executor (short work): the pilot block, then the rest here
    fake_clock(monkeypatch, 0.01)
    serial = simulate(smoke_sc, draws=draws, seed=3, executor=FakeExecutor(overhead_s=100.0, fail=True))
    _assert_identical(ref, serial)
    # parallel plan: the pilot block here, the other two blocks as two chunks on block boundaries
    fake_clock(monkeypatch, 5.0)
    ex = FakeExecutor(workers=2, overhead_s=0.1)
    par = simulate(smoke_sc, draws=draws, seed=3, executor=ex)
    assert [a[1:3] for a in ex.calls[0]] == [(BLOCK, 2 * BLOCK), (2 * BLOCK, draws)]
    _assert_identical(ref, par)
    # the same on a real 2-process pool told that it costs nothing
    with caplog.at_level(logging.INFO, logger="ocop_sim.executors"):
        with LocalPoolExecutor(2, overhead_s=0.0) as pool:
            pooled = simulate(smoke_sc, draws=draws, seed=3, executor=pool)
            assert pool._pool is not None
    assert f"ran 3 blocks of {BLOCK} draws on LocalPoolExecutor(2 workers)" in caplog.text
    _assert_identical(ref, pooled)


def test_sensitivity_rows_parallel_plan_equals_serial(monkeypatch, smoke_sc):
    from ocop_sim import sensitivity as S

    fs = [f for f in S.factors(smoke_sc) if f.name in ("submission_rate", "score_base", "training_bn_vnd")]
    kw = dict(method="sobol", n=4, top=None, seed=1, fs=fs)
    serial = S.global_indices(smoke_sc, "products_3star_plus", [2028], **kw)
    fake_clock(monkeypatch, 5.0)
    ex = FakeExecutor(workers=2, overhead_s=0.1)
    par = S.global_indices(smoke_sc, "products_3star_plus", [2028], executor=ex, **kw)
    assert ex.calls and len(ex.calls[0]) >= 2
    num = serial.select_dtypes("number").columns
    np.testing.assert_array_equal(serial[num].to_numpy(), par[num].to_numpy())
