"""Benchmark (not a test): the compiled expected-mode engine (:mod:`ocop_sim.engine`) versus numpy.

``.venv/bin/python benchmarks/bench_engine.py [--repeat N]`` prints, side by side in one run,
numpy (``simulate.run_block``) and numba (``engine.run_expected``) for

* (a) one expected run of params/baseline.yaml (12 areas, 10 years),
* (b) a 200-variant batch of the history replay (params/history.yaml) on its collapsed pack
  (2 regions, 7 years, merger mapped to its region), as calibration runs it,
* (c) 1,000 variants of params/baseline.yaml,

the best time per call, the ratio, and the largest difference; exits non-zero if any array
differs beyond 1e-9 (relative and absolute).  Then (d) ``--mc-draws`` (default 10,000) Monte Carlo
draws of params/baseline.yaml, numpy (``simulate.run_draws``) against numba
(``engine="compiled"``, :mod:`ocop_sim.engine_mc`), one call each (goal ≤ 3 s on one core), with
the relative difference of the mean certified products in the last year (equal in distribution,
not draw for draw: tests/test_engine_mc.py tests that); wall clock and this process's CPU time
(on a shared machine the CPU time is the one-core figure).  Times are wall clock on whatever else the machine
is doing; nothing asserts a time.  The first call of the kernels (compile or disk-cache load) is
timed separately.
"""
from __future__ import annotations

import argparse
import importlib
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import ocop_sim  # noqa: E402
from ocop_sim import engine, engine_mc  # noqa: E402
from ocop_sim.config import assumption_meta  # noqa: E402
from ocop_sim.packs import collapsed_run  # noqa: E402

sim = importlib.import_module("ocop_sim.simulate")

NAMES = ("score_base", "submission_rate", "base_new_entities", "base_new_ideas", "renewal_base_prob",
         "renewal_factor_4star", "criteria_score_shift", "central_pass_rate", "retry_prob", "pool_factor",
         "upgrade_attempt_rate", "entity_exit_rate")


def variants(n: int, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {k: rng.uniform(assumption_meta(k)["low"], assumption_meta(k)["high"], n) for k in NAMES}


def best(fn, repeat: int) -> float:
    ts = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t)
    return min(ts)


def max_diff(a, b) -> float:
    """Largest |a − b| / (1e-9 + 1e-9·|b|) over every array (≤ 1 means equal within 1e-9)."""
    worst = 0.0
    for part in ("stocks", "flows", "initial", "params", "spending"):
        da, db = getattr(a, part), getattr(b, part)
        if list(da) != list(db):
            return float("inf")
        for k in db:
            x, y = np.asarray(da[k]), np.asarray(db[k])
            if x.shape != y.shape or x.dtype != y.dtype:
                return float("inf")
            if x.size:
                d = np.abs(x - y) / (1e-9 + 1e-9 * np.abs(y))
                worst = max(worst, float(np.nanmax(np.where(np.isnan(x) & np.isnan(y), 0.0, d))))
    return worst


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=20, help="calls per case; the best is reported")
    ap.add_argument("--mc-draws", type=int, default=10_000, help="Monte Carlo draws of case (d); 0 skips it")
    ap.add_argument("--only-mc", action="store_true", help="only case (d)")
    args = ap.parse_args(argv)
    if not engine.AVAILABLE:
        print("numba is not installed: nothing to compare")
        return 2
    t = time.perf_counter()
    engine.warm_up()
    print(f"first call of the kernels (compile or cache load): {time.perf_counter() - t:.2f} s")
    t = time.perf_counter()
    engine_mc.warm_up()
    print(f"first call of the Monte Carlo kernel (compile or cache load): {time.perf_counter() - t:.2f} s")
    if args.only_mc:
        return monte_carlo(args.mc_draws)

    base = ocop_sim.load(ROOT / "params" / "baseline.yaml").scenario
    hist = ocop_sim.load(ROOT / "params" / "history.yaml").scenario
    fast, events = collapsed_run(hist, sim.scenario_events(hist))
    ov200, ov1000 = variants(200, 1), variants(1000, 2)
    cases = [
        ("(a) baseline, 1 expected run", lambda: sim.run_block(base, 1, None),
         lambda: engine.run_expected(base, 1), args.repeat),
        ("(b) history, collapsed pack, 200 variants",
         lambda: sim.run_block(fast, 200, None, overrides=ov200, event_list=events),
         lambda: engine.run_expected(fast, 200, overrides=ov200, event_list=events), args.repeat),
        ("(c) baseline, 1,000 variants", lambda: sim.run_block(base, 1000, None, overrides=ov1000),
         lambda: engine.run_expected(base, 1000, overrides=ov1000), max(3, args.repeat // 4)),
    ]
    fail = False
    print(f"{'case':<44} {'numpy [ms]':>11} {'numba [ms]':>11} {'ratio':>8} {'max diff/1e-9':>14}")
    for label, ref, fast_fn, repeat in cases:
        diff = max_diff(fast_fn(), ref())
        t_np = best(ref, repeat)
        t_nb = best(fast_fn, repeat)
        ok = diff <= 1.0
        fail |= not ok
        print(f"{label:<44} {t_np * 1e3:>11.3f} {t_nb * 1e3:>11.3f} {t_np / t_nb:>7.1f}x {diff:>14.3g}"
              + ("" if ok else "  DIFFERS"))
    if fail:
        print("FAIL: numba and numpy differ beyond 1e-9", file=sys.stderr)
        return 1
    return monte_carlo(args.mc_draws)


def monte_carlo(draws: int) -> int:
    """(d): ``draws`` Monte Carlo draws of the baseline, numpy and numba, one call each (serial)."""
    if draws <= 0:
        return 0
    base = ocop_sim.load(ROOT / "params" / "baseline.yaml").scenario
    times, cpu, means = {}, {}, {}
    for name in ("numpy", "compiled"):
        t, c = time.perf_counter(), time.process_time()
        r = sim.run_draws(base, 0, draws, base.seed, engine=name)
        times[name], cpu[name] = time.perf_counter() - t, time.process_time() - c
        means[name] = float(r.stocks["certified"][-1].astype(np.float64).sum(axis=(1, 2, 3)).mean())
        del r
    rel = abs(means["compiled"] - means["numpy"]) / abs(means["numpy"])
    label = f"(d) baseline, {draws:,} Monte Carlo draws"
    print(f"{'case':<44} {'numpy [s]':>11} {'numba [s]':>11} {'ratio':>8} {'mean rel diff':>14}")
    for what, d in (("wall", times), ("CPU", cpu)):
        print(f"{label + ', ' + what:<44} {d['numpy']:>11.2f} {d['compiled']:>11.2f} "
              f"{d['numpy'] / d['compiled']:>7.1f}x {rel:>14.2g}"
              f"   goal numba <= 3 s: {'met' if d['compiled'] <= 3.0 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
