"""``ocop-sim calibrate | backtest | province``: Bayesian calibration, leak-free backtests, packs.

Registered by :func:`register`.  Arguments are checked before anything runs or is written (bad
argument: one line on stderr, exit 2).  A posterior that does not converge is refused with the
failing diagnostics (exit 1): it is never reported or written.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from . import options
from .options import UsageError


def _year(text: str) -> int:
    try:
        y = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a year, got {text!r}") from None
    if not 1990 <= y <= 2100:
        raise argparse.ArgumentTypeError(f"expected a year in 1990..2100, got {text}")
    return y


def _steps(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number of steps, got {text!r}") from None
    if not 100 <= v <= 200_000:
        raise argparse.ArgumentTypeError(f"expected 100..200000 steps, got {text}")
    return v


def _out_file(path: str | None, suffixes: tuple[str, ...], flag: str) -> Path | None:
    if path is None:
        return None
    p = Path(path)
    if p.suffix.lower() not in suffixes:
        raise UsageError(f"{flag}: expected a {' or '.join(suffixes)} file, got {path!r}")
    if p.is_dir():
        raise UsageError(f"{flag}: expected a file, got a folder {path!r}")
    if not p.parent.is_dir():
        raise UsageError(f"{flag}: expected an existing folder, got {str(p.parent)!r}")
    return p


def _load_all(paths, allow_outside: bool):
    from ..scenarios import load

    return [load(p, allow_outside=allow_outside) for p in paths]


def _history(ld, flag: str):
    if ld.scenario.kind != "history":
        raise UsageError(f"{flag}: expected a history scenario (it replays the reported past), got the outlook "
                         f"{ld.path} (calibrate its pack's history instead, e.g. params/history.yaml)")
    return ld


def _progress(quiet: bool):
    if quiet:
        return None
    import sys

    def cb(done: int, total: int) -> None:
        print(f"\r  sampling: {done}/{total} steps", end="", file=sys.stderr, flush=True)

    return cb


def cmd_calibrate(args) -> int:
    """Bayesian calibration: a posterior over the uncertain parameters given a pack's reports."""
    from .. import inference as inf

    ld = _history(_load_all([args.scenario], args.allow_outside)[0], "scenario")
    pool = [_history(p, "--pool") for p in _load_all(args.pool or [], args.allow_outside)]
    names = tuple(args.fit) if args.fit else inf.DEFAULT_PARAMS
    if args.until is not None and not ld.scenario.horizon.start <= args.until <= ld.scenario.horizon.end:
        raise UsageError(f"--until: expected a year in {ld.scenario.horizon.start}..{ld.scenario.horizon.end}, "
                         f"got {args.until}")
    out = _out_file(args.out, (".npz",), "--out")
    js = _out_file(args.json, (".json",), "--json")
    kw = {"n_steps": args.steps, "max_steps": args.max_steps, "path": args.path}
    try:
        pooled = inf.pooled_priors([p.scenario for p in pool], args.until, seed=args.seed, jobs=args.jobs,
                                   **kw) if pool else None
        cal = inf.calibrate(ld.scenario, args.until, names, pooled=pooled, seed=args.seed,
                            progress=_progress(args.quiet), **kw)
    except inf.CalibrationError as exc:
        print()
        print(f"error: {exc}")
        return 1
    post = cal.posterior
    if not args.quiet:
        print()
    if args.backtest:
        try:
            runs = _backtests(ld.scenario, args.backtest, [p.scenario for p in pool] if args.pool_backtests else None,
                              args, kw)
        except inf.CalibrationError as exc:
            print(f"error: --backtest: {exc}")
            return 1
        for y, sc_ in zip(args.backtest, runs):
            c = sc_["coverage"]
            print(f"backtest {y}: 80 % band held {c.get('80', float('nan')):.2f} of {sc_['n_quantities']} "
                  f"later quantities (50 %: {c.get('50', float('nan')):.2f}, 95 %: {c.get('95', float('nan')):.2f})")
        post.meta["backtest"] = inf.backtest_summary(runs)
        print(f"backtests together: 80 % bands held {post.meta['backtest']['coverage_80']:.2f}")
    print(f"posterior of {len(post.names)} parameters from {len(cal.knowledge.observations)} reports"
          f"{'' if args.until is None else f' known by the end of {args.until}'}"
          f"{' (pooled with ' + ', '.join(p.scenario.name for p in pool) + ')' if pool else ''}: "
          f"{post.n_evaluations} model runs in {post.seconds:.1f} s, converged")
    print(post.summary().to_string(index=False, float_format=lambda x: f"{x:.4g}"))
    if out is not None:
        post = inf.thinned(post)  # a file of ~1 MB, not the ~150 MB of every step of every walker
        post.save(out)
        print(f"wrote {out}")
    if js is not None:
        inf.write_json(js, {"scenario": ld.scenario.name, "until": args.until, "summary":
                            post.summary().to_dict(orient="records"), "meta": post.meta})
        print(f"wrote {js}")
    return 0


def _backtest_scores(scenario, year: int, pool, draws: int, seed: int, kw: dict) -> dict:
    from .. import inference as inf

    return inf.backtest(scenario, year, draws=draws, seed=seed, pool_with=pool, **kw).scores


def _backtests(scenario, years, pool, args, kw) -> list[dict]:
    """The backtests' scores, cut-offs run side by side in ``--jobs`` processes (each is a whole
    calibration: they are independent)."""
    jobs = max(1, min(getattr(args, "jobs", 1), len(years)))
    if jobs == 1:
        return [_backtest_scores(scenario, y, pool, args.draws, args.seed, kw) for y in years]
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=jobs, mp_context=mp.get_context("fork")) as ex:
        futs = [ex.submit(_backtest_scores, scenario, y, pool, args.draws, args.seed, kw) for y in years]
        return [f.result() for f in futs]


def cmd_backtest(args) -> int:
    """Leak-free backtest: fit on what was known by a year, score the forecast of later reports."""
    from .. import inference as inf

    ld = _history(_load_all([args.scenario], args.allow_outside)[0], "scenario")
    pool = [_history(p, "--pool") for p in _load_all(args.pool or [], args.allow_outside)]
    sc = ld.scenario
    for y in args.until:
        if not sc.horizon.start <= y < sc.horizon.end:
            raise UsageError(f"--until: expected a year in {sc.horizon.start}..{sc.horizon.end - 1}, got {y}")
    js = _out_file(args.json, (".json",), "--json")
    kw = {"n_steps": args.steps, "max_steps": args.max_steps, "path": args.path}
    try:
        results = _backtests(sc, args.until, [p.scenario for p in pool] or None, args, kw)
    except inf.CalibrationError as exc:
        print(f"error: --until: {exc}")
        return 1
    for y, s in zip(args.until, results):
        cov = s.get("coverage", {})
        print(f"cut-off {y}: {s['n']} held-back reports ({s['n_quantities']} quantities): coverage "
              f"50 % {cov.get('50', float('nan')):.2f}, 80 % {cov.get('80', float('nan')):.2f}, "
              f"95 % {cov.get('95', float('nan')):.2f}; CRPS/actual {s.get('crps_relative', float('nan')):.3f}")
        by = s.get("bias_by_metric", {})
        if by:
            print("    median bias per metric (every scope): " + ", ".join(f"{k} {v:+.1%}" for k, v in by.items()))
        for k, v in s.get("bias_median", {}).items():
            print(f"    median bias {k}: {v:+.1%}")
    if js is not None:
        payload = results[0] if len(results) == 1 else {"cutoffs": results, "pooled": [p.scenario.name for p in pool]}
        inf.write_json(js, payload)
        print(f"wrote {js}")
    return 0


def cmd_province(args) -> int:
    """Province data packs: ``init NAME --out DIR`` writes a documented skeleton; ``show PACK``."""
    from ..packs import describe, load_pack, write_skeleton

    if args.action == "init":
        if not args.name or not args.out:
            raise UsageError("province init: expected NAME and --out DIR")
        paths = write_skeleton(args.name, Path(args.out), start=args.start)
        for p in paths:
            print(f"wrote {p}")
        return 0
    if not args.name:
        raise UsageError("province show: expected a pack name or folder")
    print(json.dumps(describe(load_pack(args.name, Path.cwd())), ensure_ascii=False, indent=2))
    return 0


def _jobs(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number of processes, got {text!r}") from None
    if not 1 <= v <= 64:
        raise argparse.ArgumentTypeError(f"expected 1..64 processes, got {text}")
    return v


def _configure_common(p: argparse.ArgumentParser) -> None:
    options.include(p, options.jobs(help="backtest cut-offs run side by side in this many processes", type=_jobs))
    p.add_argument("--pool", nargs="+", default=None, metavar="SCENARIO",
                   help="history scenarios of other provinces to pool with (partial pooling)")
    options.include(p, options.seed(0))
    p.add_argument("--steps", type=_steps, default=1000,
                   help="sampler steps per chunk (convergence is checked after each)")
    p.add_argument("--max-steps", type=_steps, default=32000,
                   help="most sampler steps before refusing (a fit stops as soon as it converges)")
    p.add_argument("--path", action="store_true",
                   help="also infer the yearly inflow path (inflow_shock_YYYY; slower to converge)")


def _configure_calibrate(p: argparse.ArgumentParser) -> None:
    p.add_argument("scenario", help="a history scenario (e.g. params/history.yaml)")
    p.add_argument("--until", type=_year, default=None, help="use only what was known by the end of this year")
    p.add_argument("--fit", nargs="+", default=None, metavar="NAME", help="parameters to infer (default: all with a prior)")
    options.include(p, options.out("posterior file to write (.npz, with a .json sidecar)"),
                    options.json("summary as JSON"))
    p.add_argument("--quiet", action="store_true", help="no progress line")
    p.add_argument("--backtest", type=_year, nargs="+", default=None, metavar="YEAR",
                   help="also run leak-free backtests at these cut-offs and record their scores with the posterior")
    options.include(p, options.draws(1000, help="posterior predictive draws of the backtests"))
    p.add_argument("--pool-backtests", action="store_true",
                   help="pool the backtests too (each cut-off refits the other provinces on what was known then)")
    _configure_common(p)


def _configure_backtest(p: argparse.ArgumentParser) -> None:
    p.add_argument("scenario", help="a history scenario (e.g. params/history.yaml)")
    p.add_argument("--until", type=_year, nargs="+", required=True, help="cut-off year(s)")
    options.include(p, options.draws(1000, help="posterior predictive draws"), options.json("scores as JSON"))
    _configure_common(p)


def _configure_province(p: argparse.ArgumentParser) -> None:
    p.add_argument("action", choices=["init", "show"])
    p.add_argument("name", nargs="?", default=None)
    options.include(p, options.out("init: the new pack's folder"))
    p.add_argument("--start", type=_year, default=2026, help="init: first simulated year")


def register(subparsers, common) -> None:
    """Add ``calibrate``, ``backtest`` and ``province``; ``common`` holds the options every subcommand takes."""
    options.add_command(subparsers, "calibrate", cmd_calibrate, _configure_calibrate, common)
    options.add_command(subparsers, "backtest", cmd_backtest, _configure_backtest, common)
    options.add_command(subparsers, "province", cmd_province, _configure_province, common)
