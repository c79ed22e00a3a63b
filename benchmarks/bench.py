"""Benchmarks (not tests): speed and memory, with the ratios of issue 5 and issue 2 item 10.

Run ``make bench`` (installs PySD and BPTK-Py for the benchmark only) or
``.venv/bin/python benchmarks/bench.py [--quick]``.  Prints, in one run:

* the expected run of the full baseline [ms] and the ratios of PySD and BPTK-Py (Python and
  Rust engines) on the reduced model to it, after checking the four implementations of the
  reduced model agree to 1e-9 (see ``peer_models.py``);
* 10,000 Monte Carlo draws of the baseline versus a minimal reference kernel of the same array
  shape (time ratio), and the peak memory of the run, each in a fresh subprocess;
* the synthetic national scenario (63 provinces, 10,000 draws) through the bounded-memory path
  (:func:`ocop_sim.streaming.simulate_summary`): time and peak memory;
* Dask LocalCluster versus the local process pool on a 200-scenario sweep;
* the result cache: first run versus cached re-run;
* 24 reports (12 scenarios in Vietnamese and English) by ``ocop-sim report --jobs 2`` versus the
  naive papermill + nbconvert CLI loop, wall and CPU time, the floor of a kernel start, and
  re-runs (cached simulations; resumed batch).
* the Bayesian calibration of the history and posterior predictive Monte Carlo;
* the compiled engine (issue 14, section ``engine``): the expected run and a 1,000-variant batch of
  the full baseline (compiled vs numpy, equal to 1e-9), 10,000 Monte Carlo draws (compiled vs
  numpy; time and peak memory), and a 1,000-run parameter sweep of the reduced model, ocop-sim
  batched against a PySD loop and a BPTK-Py loop of the same equations and values (equal to 1e-9);
  each in a fresh process on one core, the goals judged on its CPU time.

Every goal figure is printed as ``... (goal <= X: met|not met)`` by :func:`goal`, which also
records it; ``--json FILE`` writes those records (``goals``: section, what, value, unit, goal,
comparison, met, line) with every printed line, RATIO and timing.

Times are wall-clock on whatever else the machine is doing; nothing here asserts a time.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BASELINE = ROOT / "params" / "baseline.yaml"
NATIONAL = ROOT / "params" / "national" / "national_synthetic.yaml"
GIB = 2 ** 30


def _best(fn, repeat: int) -> tuple[float, float]:
    """(min, median) wall time of ``fn()`` over ``repeat`` calls [s]."""
    ts = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t)
    return min(ts), statistics.median(ts)


def _maxrss_gib(who=resource.RUSAGE_SELF) -> float:
    return resource.getrusage(who).ru_maxrss * 1024 / GIB  # Linux: kilobytes


# ----------------------------------------------------------------------------- reference kernel

def reference_kernel(draws: int, A: int, G: int, T: int, seed: int = 1) -> float:
    """Minimal stochastic cohort kernel with the model's array shape and random calls per year.

    D×A×G×L×K certificates (L = 4 levels, K = 3 ages), D×A×G candidates, D×A entities; per year
    the same calls as :func:`ocop_sim.model.step`: 15 binomial draws (exits 2, submission 1,
    star split 3, retry 1, dropout 1, upgrades 4, central 2, renewal split 2... on the shapes the
    model uses) and 2 Poisson draws (new entities, new ideas); keeps year-end certified stocks
    T×D×A×G×L as float32 like the model.  Fixed probabilities, no live-cell masking.
    """
    rng = np.random.default_rng(seed)
    D, L, K = draws, 4, 3
    cert = np.zeros((D, A, G, L, K), np.int64)
    cand = np.full((D, A, G), 3, np.int64)
    ent = np.zeros((D, A), np.int64)
    keep = np.empty((T, D, A, G, L), np.float32)
    for t in range(T):
        ex = rng.binomial(ent, 0.02)                        # 1 exits
        ent = ent - ex + rng.poisson(np.full((D, A), 2.0))  # P1 new entities
        cert = cert - rng.binomial(cert, 0.02)              # 2 certificates lost with their entity
        sub = rng.binomial(cand, 0.17)                      # 3 submitted
        fail = rng.binomial(sub, 0.27)                      # 4..6 star split (4 outcomes)
        rest = sub - fail
        n3 = rng.binomial(rest, 0.9)
        rest = rest - n3
        n4 = rng.binomial(rest, 0.78)
        n5 = rest - n4
        retry = rng.binomial(fail, 0.5)                     # 7 retry
        cand = cand - sub + retry
        cand = cand - rng.binomial(cand, 0.05)              # 8 dropout
        cand = cand + rng.poisson(np.full((D, A, G), 0.5))  # P2 new ideas
        att3 = rng.binomial(cert[..., 0, :], 0.06)          # 9..14 upgrades and central council
        up34 = rng.binomial(att3, 0.2)
        att4 = rng.binomial(cert[..., 1, :], 0.06)
        up45 = rng.binomial(att4, 0.03)
        subc = rng.binomial(cert[..., 2, :], 0.9)
        passc = rng.binomial(subc, 0.45)
        cert[..., 0, :] -= up34
        cert[..., 1, :] += up34 - up45
        cert[..., 2, :] += up45 - passc
        cert[..., 3, :] += passc
        exp = cert[..., 2]                                  # 15..16 renewal split (3 outcomes)
        ren = rng.binomial(exp, 0.47)
        down = rng.binomial(exp - ren, 0.3)
        age0 = ren + np.stack([n3, n4, n5, np.zeros_like(n3)], axis=-1)
        age0[..., :-1] += down[..., 1:]
        cert = np.concatenate([age0[..., None], cert[..., :2]], axis=-1)
        keep[t] = cert.sum(axis=-1)
    return float(keep[-1].sum())


# ----------------------------------------------------------------------------- child processes

def child(kind: str, draws: int, jobs: int) -> dict:
    """One measurement in a fresh process; returns time [s] and peak memory [GiB]."""
    if kind.startswith("engine_"):
        return engine_child(kind, draws, jobs)
    from ocop_sim import load, simulate
    from ocop_sim.executors import make_executor
    from ocop_sim.streaming import simulate_summary

    if kind == "reference":
        from ocop_sim import data

        sc = load(BASELINE).scenario
        A, G = len(data.areas(sc.pack).ids), 6
        T = sc.horizon.end - sc.horizon.start + 1
        t = time.perf_counter()
        reference_kernel(draws, A, G, T)
        return {"seconds": time.perf_counter() - t, "maxrss_gib": _maxrss_gib()}
    path = NATIONAL if kind.startswith("national") else BASELINE
    sc = load(path).scenario
    ex = make_executor(jobs)
    try:
        t = time.perf_counter()
        if kind.endswith("summary"):
            res = simulate_summary(sc, draws=draws, executor=ex if jobs > 1 else None)
            check = float(res.series("products_3star_plus")[-1].mean())
        else:
            res = simulate(sc, draws=draws, executor=ex if jobs > 1 else None)
            check = float(res.series("products_3star_plus")[-1].mean())
        secs = time.perf_counter() - t
    finally:
        ex.close()
    return {"seconds": secs, "maxrss_gib": _maxrss_gib(), "children_maxrss_gib": _maxrss_gib(resource.RUSAGE_CHILDREN),
            "mean_products_final_year": check}


#: the environment of a one-core child: numba, OpenMP and BLAS with one thread each
ONE_THREAD = {"NUMBA_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def run_child(kind: str, draws: int, jobs: int = 1, one_core: bool = False) -> dict:
    """``child(kind, draws, jobs)`` in a fresh process (``one_core``: one thread everywhere, pinned
    to one CPU); the child's last line of output is its JSON answer."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", kind, str(draws), str(jobs)]
    env = {**os.environ, "MPLBACKEND": "Agg", **(ONE_THREAD if one_core else {})}
    out = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if out.returncode:
        return {"error": (out.stderr.strip().splitlines() or ["?"])[-1]}
    return json.loads(out.stdout.strip().splitlines()[-1])


# ----------------------------------------------------------------------------- compiled engine (issue 14)

#: assumptions of the reduced-model sweep and the constants of peer_models.ReducedParams they set
#: (each enters the reduced equations as it is, so one value sets both)
SWEEP_PARAMS = {"submission_rate": "sr", "retry_prob": "retry", "central_pass_rate": "cpr",
                "renewal_base_prob": "renew", "upgrade_attempt_rate": "rate", "entity_exit_rate": "h"}


def _bench_engine():
    sys.path.insert(0, str(HERE))
    import bench_engine

    return bench_engine


def _peer_models():
    sys.path.insert(0, str(HERE))
    import peer_models

    return peer_models


def _timed(fn, repeat: int) -> dict:
    """Wall and CPU time of this process per call of ``fn()`` over ``repeat`` calls [s]: min and median."""
    ws, cs = [], []
    for _ in range(repeat):
        t, c = time.perf_counter(), time.process_time()
        fn()
        ws.append(time.perf_counter() - t)
        cs.append(time.process_time() - c)
    return {"wall": min(ws), "cpu": min(cs), "wall_median": statistics.median(ws),
            "cpu_median": statistics.median(cs)}


def _cpu_now() -> float:
    """CPU time of this process and its finished children [s]."""
    return time.process_time() + _children_cpu()


def _one_core() -> str:
    """Pin this process to one CPU (Linux); the threads of numba, OpenMP and BLAS are set to 1 by
    the environment the parent gave (:data:`ONE_THREAD`)."""
    try:
        cpu = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpu})
        return f"pinned to CPU {cpu}"
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return "not pinned"


def reduced_batched(overrides: dict[str, np.ndarray]) -> np.ndarray:
    """The reduced model (peer_models) for ``n`` variants in one call of ``ocop_sim.model.step`` per
    year: :func:`peer_models.run_package` with the draws axis used for the variants; ``overrides``
    maps assumptions (:data:`SWEEP_PARAMS`) to (n,) values.  Returns (n, T, 5) end-of-year values."""
    from ocop_sim import model
    from ocop_sim.simulate import parameter_arrays

    pm = _peer_models()
    n = len(next(iter(overrides.values())))
    p = pm.reduced_params()
    P = parameter_arrays(pm._scenario(), n, None)
    for k, v in overrides.items():
        P[k] = np.asarray(v, dtype=float)
    z = np.zeros
    state = model.State(cand=np.full((n, 1, 1), p.cand0), cert=z((n, 1, 1, model.N_LEVELS, model.N_AGES)),
                        ent=z((n, 1)), trained_lead=z((n, 1)), trained_off=z(n), officials_pool=np.full(n, 180.0),
                        projects=z((n, len(model.PROJECTS))), active=np.array([True]), pool=np.full((n, 1, 1), p.pool0),
                        pool0=np.full((n, 1, 1), p.pool0), lapsed_cum=z((n, 1, model.N_LEVELS)), log_inflow=z(n),
                        score_shift=z(n))
    lev, sampler, one = model.YearLevers(training_share_officials=0.25), model.Sampler(None), np.array([1.0])
    out = []
    for year in range(pm.START, pm.END + 1):
        state, _ = model.step(state, year, lev, P, one, one, 0, sampler)
        out.append(np.concatenate([state.cand.sum(axis=(1, 2))[:, None], state.cert[:, 0, 0].sum(axis=-1)], axis=1))
    return np.stack(out, axis=1)


def _peer_loop(run_one, n: int, max_runs: int, budget: float) -> dict:
    """``run_one(i)`` for i = 0.. (the i-th variant; returns its (T, 5) values) until ``n`` runs,
    ``max_runs`` runs, or, after 50 runs, ``budget`` seconds; wall and CPU time, runs done."""
    outs = []
    t, c = time.perf_counter(), _cpu_now()
    for i in range(min(n, max_runs)):
        outs.append(run_one(i))
        if i + 1 >= 50 and time.perf_counter() - t > budget:
            break
    return {"wall": time.perf_counter() - t, "cpu": _cpu_now() - c, "runs": len(outs), "outs": outs}


def engine_child(kind: str, n: int, arg: int) -> dict:
    """The measurements of :func:`section_engine`, each in a fresh one-core process."""
    import importlib

    from ocop_sim import engine, load

    pinned = _one_core()
    sim = importlib.import_module("ocop_sim.simulate")
    res: dict = {"pinned": pinned}
    if kind == "engine_expected":  # n variants; arg: repeats of the single run
        be = _bench_engine()
        base = load(BASELINE).scenario
        t = time.perf_counter()
        engine.warm_up()
        res["warm_up"] = time.perf_counter() - t
        res["diff1"] = be.max_diff(engine.run_expected(base, 1), sim.run_block(base, 1, None))
        runner = engine.ExpectedRunner(base)
        res["diff1_runner"] = be.max_diff(runner(1), sim.run_block(base, 1, None))
        res["one"] = {"numpy": _timed(lambda: sim.run_block(base, 1, None), arg),
                      "run_expected": _timed(lambda: engine.run_expected(base, 1), arg),
                      "runner": _timed(lambda: runner(1), arg)}
        ov = be.variants(n, 2)
        res["diffn"] = be.max_diff(engine.run_expected(base, n, overrides=ov),
                                   sim.run_block(base, n, None, overrides=ov))
        rep = max(3, arg // 20)
        res["batch"] = {"numpy": _timed(lambda: sim.run_block(base, n, None, overrides=ov), rep),
                        "run_expected": _timed(lambda: engine.run_expected(base, n, overrides=ov), rep),
                        "runner": _timed(lambda: runner(n, ov), rep)}
        return res
    if kind in ("engine_mc_compiled", "engine_mc_numpy"):  # n draws
        from ocop_sim import engine_mc, simulate

        base = load(BASELINE).scenario
        name = kind.rsplit("_", 1)[1]
        if name == "compiled":
            t = time.perf_counter()
            engine_mc.warm_up()
            res["warm_up"] = time.perf_counter() - t
        t, c = time.perf_counter(), time.process_time()
        r = simulate(base, draws=n, engine=name)
        res.update(seconds=time.perf_counter() - t, cpu=time.process_time() - c, maxrss_gib=_maxrss_gib(),
                   mean_products_final_year=float(r.series("products_3star_plus")[-1].mean()))
        return res
    if kind == "engine_sweep":  # n variants of the reduced model; arg: most runs of a peer
        pm = _peer_models()
        ov = {k: v for k, v in _bench_engine().variants(n, 3).items() if k in SWEEP_PARAMS}
        values = [{SWEEP_PARAMS[k]: float(v[i]) for k, v in ov.items()} for i in range(n)]
        ours = reduced_batched(ov)
        res["ocop"] = _timed(lambda: reduced_batched(ov), 5)
        # the plain-float equations of every variant agree with the batched package run
        import dataclasses

        p = pm.reduced_params()
        res["diff_equations"] = max(pm.max_rel_diff(ours[i], pm.run_numpy(dataclasses.replace(p, **values[i])))
                                    for i in range(n))
        budget = 240.0
        try:
            import pysd

            with tempfile.TemporaryDirectory() as d:
                m = pm.load_pysd(Path(d) / "ocop_reduced.mdl")
                cols = list(pm.STOCKS)
                times = [float(t) for t in range(pm.START + 1, pm.END + 2)]

                def run_pysd(i):
                    df = m.run(params=values[i], return_columns=cols, progress=False).loc[times]
                    return pm.level_totals({s: df[s].to_numpy(float) for s in pm.STOCKS})

                run_pysd(0)
                r = _peer_loop(run_pysd, n, arg, budget)
            r["diff"] = max(pm.max_rel_diff(ours[i], o) for i, o in enumerate(r.pop("outs")))
            r["version"] = pysd.__version__
            res["PySD"] = r
        except Exception as exc:  # noqa: BLE001 - say exactly what failed
            res["PySD"] = {"error": f"{type(exc).__name__}: {exc}"}
        try:
            from importlib.metadata import version

            m = pm.build_bptk(p)

            def run_bptk(i, backend):
                for k, v in values[i].items():
                    m.constants[k].equation = v
                m.reset_cache()
                return pm.run_bptk(m, backend)

            speed, failed = {}, {}
            for backend in ("rust", "python"):
                try:
                    run_bptk(0, backend)
                    speed[backend] = _timed(lambda b=backend: run_bptk(0, b), 3)["cpu_median"]
                except Exception as exc:  # noqa: BLE001
                    failed[backend] = f"{type(exc).__name__}: {exc}"
            if not speed:
                raise RuntimeError("; ".join(f"{k}: {v}" for k, v in failed.items()))
            backend = min(speed, key=speed.get)
            r = _peer_loop(lambda i: run_bptk(i, backend), n, arg, budget)
            r["diff"] = max(pm.max_rel_diff(ours[i], o) for i, o in enumerate(r.pop("outs")))
            r.update(version=version("BPTK-Py"), backend=backend, per_run_by_backend=speed, failed=failed)
            res["BPTK-Py"] = r
        except Exception as exc:  # noqa: BLE001
            res["BPTK-Py"] = {"error": f"{type(exc).__name__}: {exc}"}
        return res
    raise ValueError(f"unknown child kind {kind!r}")


# ----------------------------------------------------------------------------- sweep task

def sweep_task(scenario, submission_rate: float) -> float:
    """Expected-mode run of a baseline variant: 3★+ products at the end of 2030 [products]."""
    from ocop_sim import simulate

    sc = scenario.model_copy(update={"assumptions": scenario.assumptions.model_copy(
        update={"submission_rate": submission_rate})})
    return float(simulate(sc, mode="expected").value("products_3star_plus", year=2030)[0])


# ----------------------------------------------------------------------------- sections

def section_peers(quick: bool) -> None:
    from ocop_sim import load, simulate

    print("== 1. Expected run of the full baseline vs peers on the reduced model "
          "(command: .venv/bin/python benchmarks/bench.py)")
    sc = load(BASELINE).scenario
    simulate(sc, mode="expected")
    best, med = _best(lambda: simulate(sc, mode="expected"), 20 if quick else 100)
    goal("expected run of the full baseline, numpy (simulate mode=expected), min wall time", best * 1e3, "ms", "<=", 5,
         text="ocop_sim expected run, full baseline (12 areas x 6 groups, 2019-2035): "
              "min {value}, " f"median {med * 1e3:.2f} ms")
    sys.path.insert(0, str(HERE))
    import peer_models as pm

    p = pm.reduced_params()
    ref = pm.run_package(p)
    b, _ = _best(lambda: pm.run_package(p), 10 if quick else 50)
    print(f"reduced model, ocop_sim.model.step (1 area, 1 group): {b * 1e3:.2f} ms")
    b_step = b
    b, _ = _best(lambda: pm.run_numpy(p), 10 if quick else 50)
    b_float = b
    print(f"reduced model, plain-float equations: {b * 1e3:.3f} ms   "
          f"max rel. diff vs package {pm.max_rel_diff(ref, pm.run_numpy(p)):.1e}")
    peers: dict[str, float] = {}
    try:
        import pysd  # noqa: F401

        with tempfile.TemporaryDirectory() as d:
            m = pm.load_pysd(Path(d) / "ocop_reduced.mdl")
            diff = pm.max_rel_diff(ref, pm.run_pysd(m))
            _check_equal("PySD", diff)
            peers["PySD"] = _best(lambda: pm.run_pysd(m), 3 if quick else 10)[0]
        print(f"reduced model, PySD {pysd.__version__} (Vensim .mdl written by peer_models.vensim_text): "
              f"{peers['PySD'] * 1e3:.1f} ms   max rel. diff {diff:.1e} ({'OK' if diff <= 1e-9 else 'MISMATCH'})")
    except Exception as exc:  # noqa: BLE001 - say exactly what failed
        print(f"PySD: not available ({type(exc).__name__}: {exc})")
    try:
        import BPTK_Py  # noqa: F401
        from importlib.metadata import version

        for backend in ("python", "rust"):
            try:
                m = pm.build_bptk(p)
                diff = pm.max_rel_diff(ref, pm.run_bptk(m, backend))
                _check_equal(f"BPTK-Py {backend}", diff)
                peers[f"BPTK-Py {backend}"] = _best(lambda: pm.run_bptk(m, backend), 3 if quick else 10)[0]
                print(f"reduced model, BPTK-Py {version('BPTK-Py')} {backend} engine: "
                      f"{peers[f'BPTK-Py {backend}'] * 1e3:.2f} ms   max rel. diff {diff:.1e} "
                      f"({'OK' if diff <= 1e-9 else 'MISMATCH'})")
            except Exception as exc:  # noqa: BLE001
                print(f"BPTK-Py {backend} engine: failed ({type(exc).__name__}: {exc})")
    except Exception as exc:  # noqa: BLE001
        print(f"BPTK-Py: not available ({type(exc).__name__}: {exc})")
    bptk = {k: v for k, v in peers.items() if k.startswith("BPTK")}
    if bptk:
        k = min(bptk, key=bptk.get)
        goal(f"{k} (fastest BPTK engine, reduced model) / ocop_sim full baseline", bptk[k] / best, "x", ">=", 10,
             digits=1)
    if "PySD" in peers:
        goal("PySD (reduced model) / ocop_sim full baseline", peers["PySD"] / best, "x", ">=", 500, digits=1)
    for k, v in peers.items():  # like for like: the same reduced model in each tool
        print(f"like for like on the reduced model: {k} / ocop_sim.model.step {v / b_step:.2f}x, "
              f"{k} / plain-float equations {v / b_float:.1f}x")


def section_mc(quick: bool) -> None:
    draws = 2000 if quick else 10000
    print(f"\n== 2. {draws} Monte Carlo draws of the baseline vs the reference kernel (fresh subprocesses, 1 core)")
    ref = run_child("reference", draws)
    full = run_child("baseline", draws)
    summ = run_child("baseline_summary", draws)
    pool = run_child("baseline", draws, 2)
    if "error" in ref or "error" in full:
        print(f"failed: {ref.get('error', '')} {full.get('error', '')}")
        return
    print(f"reference kernel: {ref['seconds']:.2f} s, peak {ref['maxrss_gib']:.2f} GiB")
    print(f"ocop_sim simulate(), serial: {full['seconds']:.2f} s, peak {full['maxrss_gib']:.2f} GiB")
    goal("ocop_sim / reference kernel", full["seconds"] / ref["seconds"], "x", "<=", 1.5)
    goal(f"peak memory of simulate(), {draws} draws", full["maxrss_gib"], "GiB", "<=", 1.5,
         text=f"PEAK MEMORY simulate() {draws} draws: {{value}}")
    if "error" not in summ:
        print(f"ocop_sim simulate_summary() (bounded memory, 7 metrics x 3 scopes), serial: "
              f"{summ['seconds']:.2f} s, peak {summ['maxrss_gib']:.2f} GiB")
    if "error" not in pool:
        print(f"ocop_sim simulate(), local pool of 2: {pool['seconds']:.2f} s, parent peak "
              f"{pool['maxrss_gib']:.2f} GiB, largest worker {pool['children_maxrss_gib']:.2f} GiB")


def section_national(quick: bool) -> None:
    draws = 1000 if quick else 10000
    print(f"\n== 3. National synthetic scenario (63 provinces x 6 groups, 2019-2035), {draws} draws, "
          "simulate_summary on a local pool of 2")
    r = run_child("national_summary", draws, 2)
    if "error" in r:
        print(f"failed: {r['error']}")
        return
    print(f"time {r['seconds']:.1f} s; peak memory: parent {r['maxrss_gib']:.2f} GiB, largest worker "
          f"{r['children_maxrss_gib']:.2f} GiB; mean 3★+ products 2035: {r['mean_products_final_year']:.0f}")
    goal(f"national synthetic scenario, {draws} draws, peak memory of the largest process (parent or worker)",
         max(r["maxrss_gib"], r["children_maxrss_gib"]), "GiB", "<=", 2)


def section_sweep(quick: bool) -> None:
    from ocop_sim import load
    from ocop_sim.executors import DaskExecutor, LocalPoolExecutor, SerialExecutor

    n = 40 if quick else 200
    print(f"\n== 4. {n}-scenario sweep (baseline variants, submission_rate 0.10..0.30, expected mode)")
    sc = load(BASELINE).scenario
    args = [(sc, 0.10 + 0.20 * i / (n - 1)) for i in range(n)]
    t = time.perf_counter()
    ref = SerialExecutor().map(sweep_task, args)
    print(f"serial: {time.perf_counter() - t:.2f} s")
    times = {}
    for name, make in (("local pool (2 processes)", lambda: LocalPoolExecutor(2)),
                       ("Dask LocalCluster (2 worker processes)", lambda: DaskExecutor("local-dask"))):
        t0 = time.perf_counter()
        ex = make()
        try:
            ex.map(sweep_task, args[:2])  # start the workers
            t1 = time.perf_counter()
            out = ex.map(sweep_task, args)
            t2 = time.perf_counter()
        finally:
            ex.close()
        same = out == ref
        times[name] = (t2 - t1, t2 - t0)
        print(f"{name}: sweep {t2 - t1:.2f} s, with start-up {t2 - t0:.2f} s; identical to serial: {same}")
    (a, a0), (b, b0) = times.values()
    print(f"RATIO Dask / local pool: {b / a:.2f}x (sweep only), {b0 / a0:.2f}x (with start-up)")


def section_cache(quick: bool) -> None:
    from ocop_sim import load
    from ocop_sim.cache import cached_simulate

    draws = 500 if quick else 2000
    print(f"\n== 5. Result cache: baseline, {draws} draws")
    sc = load(BASELINE).scenario
    with tempfile.TemporaryDirectory() as d:
        t = time.perf_counter()
        cached_simulate(sc, draws=draws, cache_dir=d)
        first = time.perf_counter() - t
        t = time.perf_counter()
        cached_simulate(sc, draws=draws, cache_dir=d)
        again = time.perf_counter() - t
    print(f"first run {first:.2f} s, cached re-run {again * 1e3:.0f} ms: RATIO {first / again:.0f}x")


def _report_variants(folder: Path, n: int) -> list[Path]:
    """``n`` scenario files extending the bundled baseline (product-development budget varied)."""
    import shutil

    shutil.copytree(ROOT / "params", folder, dirs_exist_ok=True)
    paths = []
    for i in range(n):
        p = folder / f"bench_{i:02d}.yaml"
        level = 4.0 + 0.5 * i
        p.write_text(f"extends: baseline.yaml\nname: bench_{i:02d}\n"
                     f"levers:\n  product_development_bn_vnd: {{2026: {level}}}\n", encoding="utf-8")
        paths.append(p)
    return paths


def _naive_report(args: tuple) -> float:
    """The naive way: papermill CLI, then jupyter nbconvert CLI, for one scenario in one language [s]."""
    path, out, draws, lang = args
    t = time.perf_counter()
    nb = Path(out) / f"{Path(path).stem}_{lang}.ipynb"
    bindir = Path(sys.executable).parent
    subprocess.run([str(bindir / "papermill"), str(ROOT / "notebooks" / "scenario_report.ipynb"), str(nb),
                    "-p", "scenario", str(path), "-p", "draws", str(draws), "-p", "lang", lang, "--no-progress-bar"],
                   check=True, capture_output=True)
    subprocess.run([str(bindir / "jupyter"), "nbconvert", "--to", "html", "--no-input", str(nb)],
                   check=True, capture_output=True)
    return time.perf_counter() - t


def _children_cpu() -> float:
    """CPU time [s] of this process's finished children and their descendants (user + system)."""
    import resource

    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def section_reports(quick: bool) -> None:
    """Issue 3 / issue 14 item 3: ``ocop-sim report --jobs 2`` versus the naive papermill + nbconvert
    loop (2 lanes), the same reports: each scenario in Vietnamese and English, notebook and HTML
    (``--format html``: the naive loop writes no workbook)."""
    from concurrent.futures import ThreadPoolExecutor

    n, draws, langs = (2, 200, ("vi", "en")) if quick else (12, 200, ("vi", "en"))
    print(f"\n== 6. Report batch: {n * len(langs)} reports ({n} scenarios x {'+'.join(langs)}; notebook + HTML), "
          f"{draws} draws each, 2 at a time")
    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        paths = _report_variants(d / "params", n)
        env = {**os.environ, "OCOP_SIM_CACHE": str(d / "cache"), "MPLBACKEND": "Agg"}
        cmd = [str(Path(sys.executable).parent / "ocop-sim"), "report", *map(str, paths), "--out", str(d / "out"),
               "--jobs", "2", "--lang", "both" if len(langs) == 2 else langs[0], "--draws", str(draws),
               "--format", "html", "--no-compare", "--quiet"]

        def timed(extra: list[str]) -> tuple[float, float]:
            t, c = time.perf_counter(), _children_cpu()
            subprocess.run(cmd + extra, check=True, capture_output=True, env=env)
            return time.perf_counter() - t, _children_cpu() - c

        ours, ours_cpu = timed([])
        forced, _ = timed(["--force"])  # every notebook re-rendered, simulations and bundles from the cache
        resumed, _ = timed([])  # nothing left to do
        naive_out = d / "naive"
        naive_out.mkdir()
        t, c = time.perf_counter(), _children_cpu()
        with ThreadPoolExecutor(2) as pool:
            each = list(pool.map(_naive_report, [(p, naive_out, draws, lang) for p in paths for lang in langs]))
        naive, naive_cpu = time.perf_counter() - t, _children_cpu() - c
        # the floor: start a kernel and execute a one-cell notebook with papermill, in-process
        import nbformat
        import papermill

        tiny = d / "tiny.ipynb"
        nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")]), tiny)
        t = time.perf_counter()
        papermill.execute_notebook(str(tiny), None, kernel_name="python3", progress_bar=False)
        floor = time.perf_counter() - t
    reports = n * len(langs)
    print(f"ocop-sim report --jobs 2: {ours:.1f} s ({ours / reports * 2:.2f} s per report per worker), "
          f"CPU {ours_cpu:.1f} s")
    print(f"naive papermill + nbconvert CLI loop, 2 lanes: {naive:.1f} s "
          f"({statistics.mean(each):.2f} s per report), CPU {naive_cpu:.1f} s")
    goal("naive / ocop-sim report", naive / ours, "x", ">=", 3)
    print(f"RATIO naive / ocop-sim report, CPU time (less sensitive to the machine's other load): "
          f"{naive_cpu / ours_cpu:.2f}x")
    print(f"floor (start a kernel + execute a 1-cell notebook): {floor:.2f} s; "
          f"per-report time / floor: {ours / reports * 2 / floor:.2f}x")
    print(f"re-run with --force (renders again, simulations cached): {forced:.1f} s, RATIO first / forced "
          f"{ours / forced:.2f}x")
    print(f"re-run of the unchanged batch (every report finished, skipped): {resumed:.1f} s, RATIO first / re-run "
          f"{ours / resumed:.1f}x")


def section_calibration(quick: bool) -> None:
    """Bayesian calibration of the bundled history (goal <= 60 s, R-hat <= 1.01, ESS >= 400) and
    posterior predictive Monte Carlo of the baseline vs plain Monte Carlo (goal <= 1.2x)."""
    from ocop_sim import inference as inf
    from ocop_sim import load, simulate

    print("\n== 7. Bayesian calibration of params/history.yaml and posterior predictive Monte Carlo (1 core)")
    hist = load(ROOT / "params" / "history.yaml").scenario
    # one log-likelihood evaluation of 96 variants: every report read one by one vs the sparse
    # observation operator (ocop_sim.calibrate.ObservationOperator), side by side
    import numpy as np

    from ocop_sim.calibrate import ObservationOperator
    from ocop_sim.packs import collapsed_run

    kn = inf.knowledge(hist, None)
    names = [n for n in inf.DEFAULT_PARAMS if n in inf.ASSUMPTION_NAMES]
    pri = inf.priors_for(tuple(names), None)
    rng = np.random.default_rng(0)
    ov = {n: pri[n].sample(rng, 96) for n in names}
    fast, events = collapsed_run(kn.scenario, list(kn.events))
    obs, op = list(kn.observations), ObservationOperator(list(kn.observations))
    a, b = inf.model_values(fast, obs, ov, events, None, op), inf.model_values(fast, obs, ov, events)
    assert np.allclose(a, b, rtol=1e-9, atol=1e-9, equal_nan=True), "observation operator != model_value"
    n = 40
    t = time.perf_counter()
    for _ in range(n):
        inf.model_values(fast, obs, ov, events)
    one_by_one = (time.perf_counter() - t) / n
    t = time.perf_counter()
    for _ in range(n):
        inf.model_values(fast, obs, ov, events, None, op)
    matrix = (time.perf_counter() - t) / n
    print(f"{len(obs)} reports x 96 variants: one by one {one_by_one * 1e3:.1f} ms, operator {matrix * 1e3:.1f} ms")
    print(f"RATIO model values one by one / observation operator: {one_by_one / matrix:.2f}x   (higher is better)")
    t, c = time.perf_counter(), time.process_time()
    try:
        cal = inf.calibrate(hist, None, n_steps=1000, max_steps=30000, require=False)
        secs, cpu = time.perf_counter() - t, time.process_time() - c
        post = cal.posterior
        worst_r = max(post.rhat.values())
        worst_e = min(post.ess_bulk.values())
        print(f"calibration: {secs:.1f} s wall, {cpu:.1f} s CPU of this process (a shared machine's load "
              f"inflates the wall time), {post.n_evaluations} model runs, {post.meta['n_steps_total']} steps, "
              f"{len(post.names)} parameters, max R-hat {worst_r:.4f}, min bulk ESS {worst_e:.0f}, "
              f"converged {post.converged}")
        print(f"RATIO calibration CPU time / 60 s goal: {cpu / 60:.2f}x")
        print(f"RATIO calibration time / 60 s goal: {secs / 60:.2f}x")
        goal("calibration, CPU time of this process (1 core)", cpu, "s", "<=", 60, digits=1)
        goal("calibration, max R-hat", worst_r, "", "<=", 1.01, digits=4)
        goal("calibration, min bulk ESS", worst_e, "", ">=", 400, digits=0)
    except Exception as exc:  # noqa: BLE001 - a benchmark reports and goes on
        print(f"calibration failed: {type(exc).__name__}: {exc}")
        return
    base = load(ROOT / "params" / "baseline.yaml").scenario
    draws = 2000 if quick else 10000
    t = time.perf_counter()
    simulate(base.model_copy(update={"posterior": None}), draws=draws, seed=1)
    plain = time.perf_counter() - t
    t = time.perf_counter()
    inf.predictive(base.model_copy(update={"posterior": None}), post, [], draws, 1, observation_noise=False)
    pp = time.perf_counter() - t
    print(f"Monte Carlo {draws} draws: plain {plain:.2f} s, posterior predictive {pp:.2f} s")
    goal("posterior predictive / plain Monte Carlo", pp / plain, "x", "<=", 1.2)


def _equal(who: str, diff: float, scaled: bool = False) -> str:
    """Record a mismatch (``diff`` > 1e-9, or > 1 if ``scaled`` as ``bench_engine.max_diff``); "OK" or "MISMATCH"."""
    ok = diff <= (1.0 if scaled else 1e-9)
    if not ok:
        MISMATCHES.append(f"{who}: max diff {diff:.1e} > {'1e-9 (relative, 1e-9 absolute)' if scaled else '1e-9'}")
    return "OK" if ok else "MISMATCH"


def section_engine(quick: bool) -> None:
    """Issue 14: the compiled engine's figures against their goals, side by side with numpy and the
    peers, each measurement in a fresh process on one core; goals judged on that process's CPU time."""
    from ocop_sim import engine

    n_var, draws = 1000, (2000 if quick else 10000)
    sweep_n, peer_runs, reps = (200, 50, 20) if quick else (1000, 1000, 100)
    print(f"\n== 8. Compiled engine (issue 14): expected run and {n_var:,}-variant batch of the full baseline, "
          f"{draws:,} Monte Carlo draws, {sweep_n:,}-run sweep of the reduced model vs PySD and BPTK-Py; each "
          "in a fresh process on one core (numba, OpenMP, BLAS: 1 thread; pinned to one CPU); the goals are "
          "judged on the CPU time of that process (the machine is shared), wall time beside it")
    if not engine.AVAILABLE:
        print("numba is not installed: no compiled engine to measure")
        return
    e = run_child("engine_expected", n_var, reps, one_core=True)
    if "error" in e:
        print(f"expected runs failed: {e['error']}")
    else:
        one, bat = e["one"], e["batch"]
        ok1 = _equal("expected run, compiled vs numpy", e["diff1"], scaled=True)
        ok1r = _equal("expected run, ExpectedRunner vs numpy", e["diff1_runner"], scaled=True)
        okn = _equal(f"{n_var} variants, compiled vs numpy", e["diffn"], scaled=True)
        print(f"first call of the kernels (compile or disk-cache load): {e['warm_up']:.2f} s ({e['pinned']})")
        print(f"expected run, full baseline (12 areas x 6 groups, 2019-2035), min of {reps}: numpy "
              f"simulate.run_block {one['numpy']['wall'] * 1e3:.3f} ms wall, {one['numpy']['cpu'] * 1e3:.3f} ms CPU; "
              f"compiled engine.run_expected {one['run_expected']['wall'] * 1e3:.3f} ms wall, "
              f"{one['run_expected']['cpu'] * 1e3:.3f} ms CPU; ExpectedRunner call (set up once) "
              f"{one['runner']['wall'] * 1e3:.3f} ms wall, {one['runner']['cpu'] * 1e3:.3f} ms CPU; "
              f"max diff / (1e-9 + 1e-9 |numpy|): {e['diff1']:.2g} ({ok1}), runner {e['diff1_runner']:.2g} ({ok1r})")
        goal("expected run of the full baseline, compiled engine.run_expected (from the scenario), CPU time",
             one["run_expected"]["cpu"] * 1e3, "ms", "<=", 1, digits=3)
        goal("expected run of the full baseline, compiled ExpectedRunner call (set up once), CPU time",
             one["runner"]["cpu"] * 1e3, "ms", "<=", 1, digits=3)
        print(f"RATIO expected run, numpy / compiled run_expected, CPU time: "
              f"{one['numpy']['cpu'] / one['run_expected']['cpu']:.1f}x")
        print(f"RATIO expected run, numpy / compiled ExpectedRunner call, CPU time: "
              f"{one['numpy']['cpu'] / one['runner']['cpu']:.1f}x")
        rep = max(3, reps // 20)
        print(f"{n_var:,}-variant batch of the full baseline (12 assumptions varied: bench_engine.variants), "
              f"min of {rep}: numpy simulate.run_block {bat['numpy']['wall'] * 1e3:.1f} ms wall, "
              f"{bat['numpy']['cpu'] * 1e3:.1f} ms CPU; compiled engine.run_expected "
              f"{bat['run_expected']['wall'] * 1e3:.1f} ms wall, {bat['run_expected']['cpu'] * 1e3:.1f} ms CPU; "
              "ExpectedRunner call "
              f"{bat['runner']['cpu'] * 1e3:.1f} ms CPU; max diff / (1e-9 + 1e-9 |numpy|): {e['diffn']:.2g} ({okn})")
        goal(f"{n_var:,}-variant batch of the full baseline, compiled engine.run_expected, CPU time per variant",
             bat["run_expected"]["cpu"] * 1e3 / n_var, "ms", "<=", 0.2, digits=4)
        print(f"RATIO {n_var:,}-variant batch, numpy / compiled run_expected, CPU time: "
              f"{bat['numpy']['cpu'] / bat['run_expected']['cpu']:.1f}x")

    comp = run_child("engine_mc_compiled", draws, 1, one_core=True)
    nump = run_child("engine_mc_numpy", draws, 1, one_core=True)
    if "error" in comp:
        print(f"Monte Carlo, compiled engine failed: {comp['error']}")
    else:
        print(f"{draws:,} Monte Carlo draws of the baseline, simulate(engine=\"compiled\") after the kernel's first "
              f"call ({comp['warm_up']:.2f} s): {comp['seconds']:.2f} s wall, {comp['cpu']:.2f} s CPU, peak "
              f"{comp['maxrss_gib']:.2f} GiB ({comp['pinned']})")
        if "error" in nump:
            print(f"Monte Carlo, numpy engine failed: {nump['error']}")
        else:
            rel = abs(comp["mean_products_final_year"] - nump["mean_products_final_year"]) / abs(
                nump["mean_products_final_year"])
            print(f"{draws:,} Monte Carlo draws of the baseline, simulate(engine=\"numpy\"): {nump['seconds']:.2f} s "
                  f"wall, {nump['cpu']:.2f} s CPU, peak {nump['maxrss_gib']:.2f} GiB; mean 3★+ products in the last "
                  f"year, compiled vs numpy: rel. diff {rel:.1e} (equal in distribution, not draw for draw: "
                  "tests/test_engine_mc.py)")
        scale = draws / 10000
        goal(f"{draws:,} Monte Carlo draws of the baseline, compiled engine, CPU time on one core"
             + ("" if scale == 1 else " (goal 3 s per 10,000 draws, pro rata: --quick)"),
             comp["cpu"], "s", "<=", round(3.0 * scale, 3), digits=2)
        goal(f"{draws:,} Monte Carlo draws of the baseline, compiled engine, peak memory of the process",
             comp["maxrss_gib"], "GiB", "<=", 1, digits=2)
        if "error" not in nump:
            print(f"RATIO {draws:,} Monte Carlo draws, numpy / compiled, CPU time: {nump['cpu'] / comp['cpu']:.2f}x")
            print(f"RATIO {draws:,} Monte Carlo draws, numpy / compiled, wall time: "
                  f"{nump['seconds'] / comp['seconds']:.2f}x")

    s = run_child("engine_sweep", sweep_n, peer_runs, one_core=True)
    if "error" in s:
        print(f"reduced-model sweep failed: {s['error']}")
        return
    ours = s["ocop"]
    ok = _equal("reduced sweep, batched model.step vs plain-float equations", s["diff_equations"])
    print(f"reduced model (peer_models: 1 area, 1 group), {sweep_n:,} variants of 6 assumptions "
          f"({', '.join(SWEEP_PARAMS)}): ocop-sim batched (ocop_sim.model.step over the {sweep_n:,} variants at once, "
          f"one call a year), median of 5: {ours['wall_median'] * 1e3:.1f} ms wall, {ours['cpu_median'] * 1e3:.1f} ms "
          f"CPU; max rel. diff vs the plain-float equations of each variant {s['diff_equations']:.1e} ({ok})")
    for who, goal_x in (("PySD", 500), ("BPTK-Py", 50)):
        r = s.get(who, {"error": "not run"})
        if "error" in r:
            print(f"{who}: not available ({r['error']})")
            continue
        okp = _equal(f"reduced sweep, {who} vs ocop-sim batched", r["diff"])
        name = f"{who} {r['version']}" + (f" {r['backend']} engine (fastest of {', '.join(r['per_run_by_backend'])})"
                                          if who == "BPTK-Py" else "")
        scaled = r["runs"] < sweep_n
        wall, cpu = r["wall"] * sweep_n / r["runs"], r["cpu"] * sweep_n / r["runs"]
        how = (f"timed on {r['runs']} runs and SCALED to {sweep_n:,} runs: " if scaled else "")
        extra = "".join(f"; {who} {k} engine failed ({v})" for k, v in r.get("failed", {}).items())
        print(f"reduced model, {name}, a loop of {sweep_n:,} runs with the same parameter values: {how}"
              f"{wall:.2f} s wall, {cpu:.2f} s CPU ({cpu / sweep_n * 1e3:.2f} ms CPU a run; model loaded once, "
              f"outside the loop); max rel. diff vs ocop-sim batched {r['diff']:.1e} ({okp}){extra}")
        note = f", {who} timed on {r['runs']} runs and scaled" if scaled else ""
        goal(f"{who} loop / ocop-sim batched, {sweep_n:,}-run sweep of the reduced model, CPU time{note}",
             cpu / ours["cpu_median"], "x", ">=", goal_x, digits=1)
        print(f"RATIO {who} loop / ocop-sim batched, {sweep_n:,}-run sweep of the reduced model, wall time{note}: "
              f"{wall / ours['wall_median']:.1f}x")


SECTIONS = {"peers": section_peers, "mc": section_mc, "national": section_national, "sweep": section_sweep,
            "cache": section_cache, "reports": section_reports, "calibration": section_calibration,
            "engine": section_engine}


#: the goals of the run, one record per goal figure printed (for ``--json``): see :func:`goal`
GOALS: list[dict] = []
#: the section being run (the ``section`` of a goal record)
_SECTION = ["header"]


def _num(x: float, digits: int) -> str:
    return f"{x:,.{digits}f}"


def goal(what: str, value: float, unit: str, comparison: str, target: float, *, digits: int = 2,
         text: str | None = None) -> bool:
    """Print a goal figure and record it in :data:`GOALS`; returns whether the goal is met.

    ``value`` is rounded to ``digits`` as printed, and ``met`` is judged on the printed value.
    ``unit``: "ms", "s", "GiB", "x" (a ratio: the line starts with ``RATIO``) or "" (a number).
    ``text``: the line before the goal, with ``{value}`` where the value (and its unit) goes;
    default ``"{what}: {value}"``.  The line ends with ``(goal <comparison> <target>: met|not met)``.
    """
    if comparison not in ("<=", ">="):
        raise ValueError(f"comparison: expected '<=' or '>=', got {comparison!r}")
    value = round(float(value), digits)
    met = value <= target if comparison == "<=" else value >= target
    sep = "" if unit in ("x", "") else " "
    shown = _num(value, digits) + sep + unit
    body = (text or ("RATIO " if unit == "x" else "") + "{what}: {value}").replace("{what}", what).replace(
        "{value}", shown)
    line = f"{body}   (goal {comparison} {target:g}{sep}{unit}: {'met' if met else 'not met'})"
    print(line)
    GOALS.append({"section": _SECTION[0], "what": what, "value": value, "unit": unit, "goal": target,
                  "comparison": comparison, "met": met, "line": line})
    return met


#: equality failures of the peers (a benchmark of a model that computes something else is void)
MISMATCHES: list[str] = []


def _check_equal(who: str, diff: float) -> None:
    if not diff <= 1e-9:
        MISMATCHES.append(f"{who}: max rel. diff {diff:.1e} > 1e-9")


class _Tee:
    """stdout that also keeps every line printed, by benchmark section (for ``--json``)."""

    def __init__(self, out) -> None:
        self.out, self.section, self.lines, self._part = out, "header", {"header": []}, ""

    def write(self, text: str) -> int:
        self.out.write(text)
        self._part += text
        *done, self._part = self._part.split("\n")
        self.lines.setdefault(self.section, []).extend(x for x in done if x.strip())
        return len(text)

    def flush(self) -> None:
        self.out.flush()


#: a printed ratio: "RATIO <label>: <value>x", "RATIO <label> <value>x" or "<label>: RATIO <value>x"
_RATIO = __import__("re").compile(r"RATIO (?:(?P<label>.*?):? )?(?P<value>[0-9][0-9.,]*)x\b")
#: a printed time or size: "<value> ms|s|GiB"
_FIGURE = __import__("re").compile(r"(?P<value>[0-9][0-9.,]*) ?(?P<unit>ms|s|GiB)\b")


def _machine() -> dict:
    import platform

    info = {"cpus": os.cpu_count(), "platform": platform.platform(), "python": sys.version.split()[0],
            "numpy": np.__version__, "load_average": list(os.getloadavg())}
    try:
        info["cpu_model"] = next(x.split(":", 1)[1].strip() for x in Path("/proc/cpuinfo").read_text().splitlines()
                                 if x.startswith("model name"))
        info["memory_gib"] = round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / GIB, 1)
    except (OSError, StopIteration, ValueError):
        pass
    try:
        info["commit"] = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                                        timeout=10).stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        info["commit"] = None
    return info


def results_json(tee: _Tee, argv: list[str], quick: bool, started: str, machine: dict) -> dict:
    """Every printed line of the run by section, with its RATIO figures and timings parsed out, and
    the goal figures (:data:`GOALS`, recorded by :func:`goal` as they were printed)."""
    sections = {}
    for name, lines in tee.lines.items():
        ratios, figures = [], []
        for line in lines:
            for m in _RATIO.finditer(line):
                label = m.group("label") or line[:m.start()].rstrip(" :")
                ratios.append({"label": label.strip(), "value": float(m.group("value").replace(",", "")), "line": line})
            for m in _FIGURE.finditer(line):
                figures.append({"value": float(m.group("value").replace(",", "")), "unit": m.group("unit"), "line": line})
        sections[name] = {"lines": lines, "ratios": ratios, "figures": figures}
    return {"command": "benchmarks/bench.py " + " ".join(argv), "quick": quick, "started": started,
            "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "machine": machine, "mismatches": list(MISMATCHES),
            "goals": [dict(g) for g in GOALS], "sections": sections}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer draws, scenarios and repeats")
    ap.add_argument("--only", choices=list(SECTIONS), action="append", help="run only these sections")
    ap.add_argument("--json", metavar="FILE", help="also write every printed line, RATIO and timing, by section, "
                    "each goal figure with its goal and whether it is met (goals), and the machine's description "
                    "(CPU, load, versions, commit) to FILE")
    ap.add_argument("--child", nargs=3, metavar=("KIND", "DRAWS", "JOBS"), help=argparse.SUPPRESS)
    argv = sys.argv[1:] if argv is None else list(argv)
    a = ap.parse_args(argv)
    if a.child:
        print(json.dumps(child(a.child[0], int(a.child[1]), int(a.child[2]))))
        return 0
    started = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    GOALS.clear()
    MISMATCHES.clear()
    machine = _machine() if a.json else {}  # the load average before the run
    tee = _Tee(sys.stdout) if a.json else None
    real_stdout = sys.stdout
    if tee is not None:
        sys.stdout = tee
    try:
        print(f"ocop-sim benchmark ({'quick' if a.quick else 'full'}), {time.strftime('%Y-%m-%d %H:%M:%S')}, "
              f"{os.cpu_count()} CPUs, python {sys.version.split()[0]}")
        for name in a.only or SECTIONS:
            if tee is not None:
                tee.section = name
            _SECTION[0] = name
            SECTIONS[name](a.quick)
        if tee is not None:
            tee.section = "summary"
        _SECTION[0] = "summary"
        missed = [f"{g['section']}: {g['what']}" for g in GOALS if not g["met"]]
        print(f"\n== goals met: {len(GOALS) - len(missed)} of {len(GOALS)}"
              + ("; not met: " + "; ".join(missed) if missed else ""))
    finally:
        sys.stdout = real_stdout
    if tee is not None:
        from ocop_sim.io import atomic_write_text

        out = results_json(tee, argv, a.quick, started, machine)
        atomic_write_text(a.json, json.dumps(out, ensure_ascii=False, indent=1) + "\n")
        print(f"wrote {a.json}")
    if MISMATCHES:
        print("BENCHMARK FAILED: the peers do not compute the same model: " + "; ".join(MISMATCHES), file=sys.stderr)
        return 1
    return 0


import numpy as np  # noqa: E402  (used by the reference kernel; kept after the docstring sections)

if __name__ == "__main__":
    os.environ.setdefault("MPLBACKEND", "Agg")
    sys.exit(main())
