"""``ocop-sim sensitivity | goal-seek | optimize | sweep``: planning analytics.

Registered by :func:`register`.  Every argument is checked before anything is written (bad
argument: one line on stderr, exit 2).  ``goal-seek`` exits 1 when no value within the lever's
bounds reaches the target (an answer, not a user error).
"""
from __future__ import annotations

import argparse
from pathlib import Path

from . import options
from .options import UsageError, bounded_int
from ..scenarios import check_child_out


def _year(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a year, got {text!r}") from None


def _number(text: str) -> float:
    import math

    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(v):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return v


def _probability(text: str) -> float:
    v = _number(text)
    if not 0 < v <= 1:
        raise argparse.ArgumentTypeError(f"expected a probability in (0, 1], got {text!r}")
    return v


def _load(args):
    from ..scenarios import load

    return load(args.scenario, allow_outside=args.allow_outside)


def _check_out_file(path: str, suffixes=(".yaml", ".yml")) -> Path:
    p = Path(path)
    if p.suffix.lower() not in suffixes:
        raise UsageError(f"--out: expected a {' or '.join(suffixes)} file, got {path!r}")
    if p.exists() and p.is_dir():
        raise UsageError(f"--out: expected a file, got a folder {path!r}")
    if not p.parent.exists():
        raise UsageError(f"--out: expected an existing folder, got {str(p.parent)!r}")
    return p


def _check_year(sc, year: int, flag: str) -> None:
    if not sc.horizon.start <= year <= sc.horizon.end:
        raise UsageError(f"{flag}: expected a year in {sc.horizon.start}..{sc.horizon.end}, got {year}")


# ----------------------------------------------------------------------------- sensitivity


def cmd_sensitivity(args) -> int:
    """Tornado (one at a time), Morris or Sobol sensitivity of a metric (expected mode)."""
    from .. import sensitivity as sens

    sc = _load(args).scenario
    years = args.years or [args.year]
    sens.check_metric(sc, args.metric, args.scope, years + [args.year])
    out = _check_out_file(args.out, (".csv",)) if args.out else None
    if args.method == "oat":
        df = sens.tornado(sc, args.metric, args.year, args.scope)
        df = df.head(args.top)
    else:
        with options.executor_from_args(args) as executor:
            df = sens.global_indices(sc, args.metric, years, args.method, n=args.n, scope=args.scope,
                                     top=args.top, seed=args.seed or 0, executor=executor)
    text = df.to_string(index=False, float_format=lambda x: f"{x:.4g}")
    print(text)
    if out is not None:
        from ..io import atomic_write_text

        atomic_write_text(out, df.to_csv(index=False))
        print(f"wrote {out}")
    return 0


def _configure_sensitivity(p: argparse.ArgumentParser) -> None:
    p.add_argument("scenario")
    p.add_argument("--metric", required=True)
    p.add_argument("--year", type=_year, required=True)
    p.add_argument("--years", type=_year, nargs="+", default=None, help="years of the global indices")
    p.add_argument("--scope", default="province")
    p.add_argument("--method", choices=["oat", "morris", "sobol"], default="oat")
    p.add_argument("--n", type=bounded_int("samples", 1, 100_000), default=64,
                   help="Sobol base samples / Morris trajectories")
    p.add_argument("--top", type=bounded_int("rows", 1, 10_000), default=10,
                   help="rows shown (oat) / factors kept (morris, sobol)")
    options.include(p, options.seed(), options.jobs(help="worker processes (morris, sobol)"),
                    options.scheduler("evaluate the sample on a Dask scheduler (tcp://host:port, or local-dask)"),
                    options.out("CSV file of the table"))


# ----------------------------------------------------------------------------- goal seek


def cmd_goal_seek(args) -> int:
    """Smallest scaling of a lever's schedule meeting a target (exit 1 if unreachable)."""
    from .. import goalseek as gs

    ld = _load(args)
    sc = ld.scenario
    gs.check_lever(args.lever)
    target = gs.find_target(sc, args.target, ld.path.parent)
    gs.check_target_in_horizon(sc, target)
    if args.from_year is not None:
        _check_year(sc, args.from_year, "--from-year")
    if not args.max_factor > 0:
        raise UsageError(f"--max-factor: expected a factor > 0, got {args.max_factor:g}")
    out = _check_out_file(args.out) if args.out else None
    if out is not None:  # before any work: never over its own input, another file only with --force
        check_child_out(ld, out, replace=args.force)
    r = gs.goal_seek(sc, args.target, args.lever, args.probability, args.from_year, args.draws, args.seed,
                     max_factor=args.max_factor, folder=ld.path.parent)
    print(gs.format_result(r, args.lang))
    if not r.reachable:
        return 1
    if out is not None:
        _write_lever_yaml(ld, out, {args.lever: r.scenario.levers.model_dump()[args.lever]},
                          f"goal seek: {args.lever} ×{r.factor:.4g} for {args.target}"
                          + (f" with probability >= {args.probability}" if args.probability else " (expected mode)"),
                          replace=args.force)
        print(f"wrote {out}")
    return 0


def _write_lever_yaml(ld, out: Path, levers: dict, note: str, replace: bool = False) -> None:
    """Write a scenario that extends ``ld`` and overrides ``levers`` (the one child writer:
    validated, atomic, never over its own input; over another file only with ``--force``)."""
    import datetime as _dt
    import re

    from ..config import NAME_RE
    from ..scenarios import write_child

    name = out.stem if re.fullmatch(NAME_RE, out.stem) else f"{ld.scenario.name}_analysis"
    today = _dt.datetime.now(_dt.timezone.utc).date().isoformat()
    clean = {k: ({int(y): float(v) for y, v in val.items()} if isinstance(val, dict) else float(val))
             for k, val in levers.items()}
    changes = {"description": {"vi": f"Tạo ngày {today} bởi ocop-sim: {note}.",
                               "en": f"Written on {today} by ocop-sim: {note}."},
               "levers": clean}
    write_child(ld, out, changes, name, replace=replace, allow_outside=True)


def _configure_goal_seek(p: argparse.ArgumentParser) -> None:
    p.add_argument("scenario")
    p.add_argument("--target", required=True, help="target id (see the scenario's registries)")
    p.add_argument("--lever", required=True, help="lever name, e.g. product_development_bn_vnd")
    p.add_argument("--probability", type=_probability, default=None,
                   help="required probability (Monte Carlo with common random numbers); default: expected mode")
    p.add_argument("--from-year", type=_year, default=None, help="scale only the level from this year on")
    options.include(p, options.draws(200), options.seed(), options.lang())
    p.add_argument("--max-factor", type=_number, default=100.0,
                   help="largest factor tried (also capped by the lever's bound); default 100")
    options.include(p, options.out("scenario YAML with the resulting schedule"), options.force())


# ----------------------------------------------------------------------------- optimize


def _min_line(text: str) -> tuple[str, float]:
    if "=" not in text:
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    k, v = text.split("=", 1)
    return k.strip(), _number(v)


def cmd_optimize(args) -> int:
    """Best split of a yearly budget across the budget lines of the lever registry; writes it as a scenario."""
    from .. import optimize as opt
    from ..scenarios import read_yaml

    ld = _load(args)
    sc = ld.scenario
    mins = dict(args.min_line or [])
    opt.check_inputs(sc, args.budget, mins, args.from_year)
    weights = None
    if args.objective == "weighted":
        if not args.weights:
            raise UsageError("--weights: expected a YAML file {target_id: weight} with --objective weighted")
        weights = read_yaml(Path(args.weights), args.weights)
        if not isinstance(weights, dict):
            raise UsageError(f"--weights: expected a mapping target_id: weight, got {type(weights).__name__}")
        opt.check_weights(weights, opt.relevant_targets(sc, args.from_year, ld.path.parent), args.weights)
    out = _check_out_file(args.out)
    check_child_out(ld, out, replace=args.force)  # before any work
    r = opt.optimize(sc, args.budget, args.objective, weights, mins, args.from_year, args.draws, args.seed,
                     folder=ld.path.parent)
    print(opt.format_result(r, args.lang))
    fy = args.from_year if args.from_year is not None else sc.horizon.start
    _write_lever_yaml(ld, out, {k: r.scenario.levers.model_dump()[k] for k in r.allocation},
                      f"best split of {args.budget:g} bn VND/year from {fy} ({args.objective})", replace=args.force)
    print(f"wrote {out}")
    return 0


def _configure_optimize(p: argparse.ArgumentParser) -> None:
    p.add_argument("scenario")
    p.add_argument("--budget", type=_number, required=True, help="total budget per year [bn VND/year]")
    p.add_argument("--objective", choices=["targets_met", "weighted"], default="targets_met")
    p.add_argument("--weights", default=None, help="YAML {target_id: weight} for --objective weighted")
    p.add_argument("--min-line", type=_min_line, nargs="+", default=None, metavar="NAME=VALUE",
                   help="minimum per budget line [bn VND/year]")
    p.add_argument("--from-year", type=_year, default=None)
    options.include(p, options.draws(200), options.seed(), options.lang(),
                    options.out("scenario YAML with the best split", required=True), options.force())


# ----------------------------------------------------------------------------- sweep


def cmd_sweep(args) -> int:
    """Run a scenario's sweep: block as one batch; writes outcomes.csv and rules.csv/.txt."""
    from ..io import atomic_write_text, check_out_dir, safe_child
    from ..locks import OutputLock
    from ..sweep import RULES_EXPLANATION, rules_table, run_sweep

    ld = _load(args)
    sc = ld.scenario
    if sc.sweep is None:
        raise UsageError(f"{args.scenario}: sweep: expected a 'sweep:' block in the scenario, got none")
    out = Path(args.out)
    paths = [safe_child(out, n) for n in ("outcomes.csv", "rules.csv", "rules.txt")]
    check_out_dir(out)  # a file or a read-only folder: exit 2 now, not after the sweep
    # one run per folder, as run and report: a second sweep on the same --out fails fast (exit 2)
    with OutputLock(out), options.executor_from_args(args) as executor:
        outcomes = run_sweep(sc, executor=executor, folder=ld.path.parent)
        rules = rules_table(outcomes, sc.sweep)
        atomic_write_text(paths[0], outcomes.to_csv(index=False))
        atomic_write_text(paths[1], rules.to_csv(index=False))
        atomic_write_text(paths[2], RULES_EXPLANATION + "\n\n" + "\n".join(rules["text"]) + "\n")
    print(RULES_EXPLANATION)
    print("\n".join(rules["text"]))
    print(f"wrote {len(outcomes)} samples to {paths[0]}, {len(rules)} rules to {paths[1]}")
    return 0


def _configure_sweep(p: argparse.ArgumentParser) -> None:
    p.add_argument("scenario")
    options.include(p, options.jobs(), options.scheduler(), options.out("output folder", required=True))


def register(subparsers, common) -> None:
    """Add ``sensitivity``, ``goal-seek``, ``optimize`` and ``sweep``; ``common`` holds the options every
    subcommand takes."""
    options.add_command(subparsers, "sensitivity", cmd_sensitivity, _configure_sensitivity, common)
    options.add_command(subparsers, "goal-seek", cmd_goal_seek, _configure_goal_seek, common)
    options.add_command(subparsers, "optimize", cmd_optimize, _configure_optimize, common)
    options.add_command(subparsers, "sweep", cmd_sweep, _configure_sweep, common)
