"""Executors: ordered results, named failures, worker death, bit-for-bit identical Monte Carlo."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from ocop_sim import load, simulate
from ocop_sim.executors import (DaskExecutor, LocalPoolExecutor, SerialExecutor, TaskError, describe_task,
                                make_executor)
from ocop_sim.simulate import BLOCK, run_draws

ROOT = Path(__file__).resolve().parents[1]


def _square(x):
    return x * x


def _fail_on_three(x):
    if x == 3:
        raise ValueError("three is not allowed")
    return x


def _die_once(marker: str, x: int) -> int:
    """The first task to claim the marker kills its worker process; later calls succeed."""
    try:
        fd = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        return 2 * x
    os.close(fd)
    os._exit(3)


def _always_die(x: int) -> int:
    os._exit(3)


@pytest.fixture(scope="module")
def smoke():
    return load(ROOT / "params" / "smoke.yaml").scenario


def _assert_identical(a, b) -> None:
    assert a.arrays.stocks.keys() == b.arrays.stocks.keys()
    for k in a.arrays.stocks:
        assert a.arrays.stocks[k].dtype == b.arrays.stocks[k].dtype
        assert np.array_equal(a.arrays.stocks[k], b.arrays.stocks[k]), k
    for k in a.arrays.flows:
        assert np.array_equal(a.arrays.flows[k], b.arrays.flows[k]), k
    for k in a.arrays.params:
        assert np.array_equal(a.arrays.params[k], b.arrays.params[k]), k


def test_serial_map_order_and_named_error():
    ex = SerialExecutor()
    assert ex.workers == 1
    assert ex.map(_square, [(i,) for i in range(5)]) == [0, 1, 4, 9, 16]
    with pytest.raises(TaskError) as info:
        ex.map(_fail_on_three, [(i,) for i in range(5)])
    assert info.value.task == 3 and "_fail_on_three(3)" in str(info.value)
    out = ex.map(_fail_on_three, [(i,) for i in range(5)], return_exceptions=True)
    assert out[:3] == [0, 1, 2] and out[4] == 4 and isinstance(out[3], ValueError)


def test_describe_task_names_scenarios_briefly(smoke):
    assert describe_task(run_draws, (smoke, 0, 500, 7)) == "run_draws(<Scenario smoke>, 0, 500, 7)"


def test_make_executor_registry():
    assert isinstance(make_executor(1), SerialExecutor)
    ex = make_executor(2)
    assert isinstance(ex, LocalPoolExecutor) and ex.workers == 2
    ex.close()
    with pytest.raises(ValueError):
        LocalPoolExecutor(0)


def test_local_pool_order_errors_and_worker_death(tmp_path, capfd):
    with LocalPoolExecutor(2) as ex:
        assert ex.map(_square, [(i,) for i in range(7)]) == [i * i for i in range(7)]
        out = ex.map(_fail_on_three, [(i,) for i in range(5)], return_exceptions=True)
        assert isinstance(out[3], ValueError) and out[4] == 4
        # a worker dies mid-run: the lost tasks are reported by name and retried on a fresh pool
        marker = str(tmp_path / "died")
        assert ex.map(_die_once, [(marker, i) for i in range(4)]) == [0, 2, 4, 6]
        err = capfd.readouterr().err
        assert "BrokenProcessPool" in err and "_die_once(" in err
        # a task that kills every worker is named as failed after one retry
        with pytest.raises(TaskError) as info:
            ex.map(_always_die, [(5,)])
        assert info.value.task == 0 and "_always_die(5)" in str(info.value)
        # the executor still works afterwards
        assert ex.map(_square, [(3,)]) == [9]


@pytest.mark.slow
def test_bit_for_bit_serial_pool_dask(smoke, tmp_path):
    draws = 2 * BLOCK + 137  # three blocks, the last one partial
    ref = simulate(smoke, draws=draws, seed=11)
    with SerialExecutor() as ex:
        _assert_identical(ref, simulate(smoke, draws=draws, seed=11, executor=ex))
    # overhead 0 and no least chunk: the planner maps the blocks after its pilot (a run this short
    # would otherwise stay here, and the comparison would be serial against serial)
    with LocalPoolExecutor(2, overhead_s=0, min_chunk_s=0) as ex:
        pooled = simulate(smoke, draws=draws, seed=11, executor=ex)
        assert ex._pool is not None  # the pool did run chunks
    _assert_identical(ref, pooled)
    with DaskExecutor("local-dask", overhead_s=0, min_chunk_s=0) as ex:  # a real LocalCluster with 2 worker processes
        assert ex.workers == 2
        pids = ex.client.run(os.getpid)  # two separate worker processes, not threads of this one
        assert len(set(pids.values())) == 2 and os.getpid() not in pids.values()
        dasked = simulate(smoke, draws=draws, seed=11, executor=ex)
        assert ex._warm  # the cluster did run chunks
        # a Dask worker dying mid-task: the nanny restarts it and the scheduler reruns the task
        assert ex.map(_die_once, [(str(tmp_path / "dask_died"), i) for i in range(3)]) == [0, 2, 4]
        # a failing task on Dask is named (run_draws refuses chunks off block boundaries)
        with pytest.raises(TaskError) as info:
            ex.map(run_draws, [(smoke, 0, 10, 1), (smoke, 1, 10, 1)])
        assert info.value.task == 1 and "run_draws(<Scenario smoke>, 1, 10, 1)" in str(info.value)
    _assert_identical(ref, dasked)
    # and a different seed does differ (the comparison can fail)
    other = simulate(smoke, draws=draws, seed=12)
    assert not np.array_equal(ref.arrays.stocks["certified"], other.arrays.stocks["certified"])


def test_streaming_summary_equals_full_run(smoke):
    from ocop_sim.streaming import simulate_summary

    draws = BLOCK + 60
    full = simulate(smoke, draws=draws, seed=5)
    with LocalPoolExecutor(2) as ex:
        small = simulate_summary(smoke, draws=draws, seed=5, executor=ex,
                                 metrics=["products_3star_plus", "new_products_3star_plus"],
                                 scopes=["province", "old_dong_nai", "dinh_quan"])
    for m in ("products_3star_plus", "new_products_3star_plus"):
        for sc in ("province", "old_dong_nai", "dinh_quan"):
            assert np.array_equal(full.series(m, sc), small.series(m, sc)), (m, sc)
    h = smoke.horizon
    assert np.array_equal(full.value("new_products_3star_plus", period=(h.start, h.end)),
                          small.value("new_products_3star_plus", period=(h.start, h.end)))
    a = full.summary(metrics=["products_3star_plus"], scopes=["province"]).set_index("year")
    b = small.summary().query("metric == 'products_3star_plus' and scope == 'province'").set_index("year")
    assert np.array_equal(a["median"].to_numpy(), b["median"].to_numpy())
    assert np.array_equal(a["p90"].to_numpy(), b["p90"].to_numpy())
    with pytest.raises(KeyError):
        simulate_summary(smoke, draws=10, metrics=["no_such_metric"])


def test_national_synthetic_geography():
    from ocop_sim import data

    geo = data.areas("vietnam_synthetic")
    assert len(geo.ids) == 63 and len(set(geo.ids)) == 63
    assert len(set(geo.region)) == 6
    assert abs(geo.weight[geo.ids.index("dong_nai")] - 1.0) < 1e-9
    sc = load(ROOT / "params" / "national" / "national_synthetic.yaml").scenario
    assert sc.pack == "vietnam_synthetic" and sc.draws == 10000 and sc.targets == []
    assert not [e for e in sc.events if e.type == "merger"]
    exp = simulate(sc, mode="expected")
    final = exp.series("products_3star_plus")[-1, 0]
    regions = sum(exp.series("products_3star_plus", r)[-1, 0] for r in dict.fromkeys(geo.region))
    assert final > 1000 and abs(final - regions) < 1e-6 * final


def test_reduced_benchmark_model_matches_package_step():
    """benchmarks/peer_models.py: the equations the PySD/BPTK models are built from equal model.step."""
    import sys

    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import peer_models as pm
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    p = pm.reduced_params()
    pkg, flt = pm.run_package(p), pm.run_numpy(p)
    assert pkg.shape == (17, 5) and pkg[-1, 1] > 50 and pkg[-1, 4] > 0  # 3★ stock and national 5★ grow
    assert pm.max_rel_diff(pkg, flt) <= 1e-9
    text = pm.vensim_text(p)
    assert text.count("INTEG(") == len(pm.STOCKS) and "STEP(1.0, first_eval)" in text and "first_eval = 2020.0" in text
