"""``ocop-sim`` command line: one subcommand per function, a registry not an if-chain.

Exit codes: 0 success, 2 a user's mistake (one-line message on stderr, nothing written),
1 an internal failure or a batch where something failed.
"""
from __future__ import annotations

import argparse
import contextlib
import sys
from pathlib import Path
from typing import Callable

from .config import MAX_DRAWS


class UsageError(Exception):
    """A bad command-line argument (exit 2)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, exit 2
        raise UsageError(f"{self.prog}: {message}")


def _int_arg(text: str) -> int:
    """A whole number by the shared rule (:mod:`ocop_sim.numbers`): ``1_0`` and ``٣`` are not numbers."""
    from .numbers import NumberError, parse_int

    try:
        return parse_int(text)
    except NumberError:
        raise ValueError(text) from None


def bounded_int(noun: str, low: int, high: int):
    """An argparse ``type`` for a whole number of ``noun`` in ``low..high`` (the shared number rule,
    :func:`_int_arg`); its errors say what was expected: "expected draws in 1..100000, got 0"."""
    def parse(text: str) -> int:
        try:
            v = _int_arg(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number of {noun}, got {text!r}") from None
        if not low <= v <= high:
            raise argparse.ArgumentTypeError(f"expected {noun} in {low}..{high}, got {v}")
        return v

    parse.__name__ = noun.replace(" ", "_")
    return parse


_draws = bounded_int("draws", 1, MAX_DRAWS)


def _seed(text: str) -> int:
    try:
        v = _int_arg(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole-number seed, got {text!r}") from None
    if not 0 <= v < 2**63:
        raise argparse.ArgumentTypeError(f"expected a seed in 0..2^63-1, got {v}")
    return v


_jobs = bounded_int("jobs", 1, 64)


def _load_all(paths: list[str], allow_outside: bool = False):
    from .scenarios import load

    return [load(p, allow_outside=allow_outside) for p in paths]


# ----------------------------------------------------------------------------- subcommands


def cmd_validate(args) -> int:
    """Validate scenario files and province packs (a folder holding ``pack.yaml``)."""
    from .packs import PACK_FILE, load_pack

    packs = [p for p in args.scenarios if (Path(p) / PACK_FILE).is_file()]
    checked = [load_pack(str(Path(p).resolve())) for p in packs]
    loaded = _load_all([p for p in args.scenarios if p not in packs], args.allow_outside)
    for pk in checked:
        print(f"ok  {pk.folder}  (pack {pk.name}, {len(pk.actuals)} reported figures)")
    for ld in loaded:
        print(f"ok  {ld.path}  ({ld.scenario.name}, {ld.scenario.kind}, pack {Path(ld.scenario.pack).name}, "
              f"{ld.hash[:12]})")
    return 0


def format_start(res, lang: str = "en") -> str:
    """One line: the state the run starts from (an outlook: the pack's reported stocks)."""
    import numpy as np

    from .i18n import fmt_number, t
    from .packs import load_pack

    pack = load_pack(res.scenario.pack)
    parts = [f"{t(m, lang)} {fmt_number(float(np.median(res.start_value(m))), lang, digits=0)}"
             for m in ("products_3star", "products_4star", "products_national_5star", "products_3star_plus",
                       "entities")]
    d = pack.info.stock_date.split("-")
    date = f"{d[2]}/{d[1]}/{d[0]}" if len(d) == 3 else pack.info.stock_date
    kind = t("start_reported", lang) if res.scenario.kind == "outlook" else t("start_history", lang)
    return f"{kind} {date}: " + " · ".join(parts)


def format_targets(table, lang: str = "en") -> str:
    """Plain-text target table for the terminal, in the reports' formats (:mod:`ocop_sim.fmt`):
    counts whole, shares and probabilities in percent, goals in words ("at least …", "từ … trở lên")."""
    from . import fmt
    from .i18n import fmt_number, t

    label = "label_vi" if lang == "vi" else "label_en"
    lines = []
    head = f"{t('target', lang):<58} {t('when', lang):>9} {t('goal', lang):>18} {t('median', lang):>9} " \
           f"{'P10–P90':>17} {t('probability', lang):>6}  {t('status', lang)}"
    lines.append(head)
    lines.append("-" * len(head))
    for _, r in table.iterrows():
        name = str(r[label])[:58]
        metric = str(r.get("metric", ""))
        q = (lambda x: fmt.quantity(metric, x, lang)) if metric else (lambda x: fmt_number(x, lang, digits=1))
        goal = fmt.comparison(r["comparison"], q(r["target"]), lang)
        if r["status"] in ("outside_horizon", "no_report"):
            lines.append(f"{name:<58} {r['when']:>9} {goal:>18} {'—':>9} {'—':>17} {'—':>6}  {t(r['status'], lang)}")
            continue
        if r["status"] in ("met_reported", "missed_reported", "planned"):
            v = r["reported"] if r["status"] != "planned" else r["median"]
            lines.append(f"{name:<58} {r['when']:>9} {goal:>18} {q(v):>9} {'—':>17} "
                         f"{'—':>6}  {t(r['status'], lang)}")
            continue
        band = f"{q(r['p10'])}–{q(r['p90'])}"
        lines.append(f"{name:<58} {r['when']:>9} {goal:>18} {q(r['median']):>9} "
                     f"{band:>17} {fmt.share(r['probability'], lang):>6}  {t(r['status'], lang)}")
    return "\n".join(lines)


def _scheduler(text: str) -> str:
    """A Dask scheduler address (tcp://host:port, tls://…, a scheduler file) or ``local-dask``."""
    import re

    if text == "local-dask" or re.fullmatch(r"(tcp|tls|ucx|inproc)://[\w.\-\[\]:]+", text):
        return text
    raise argparse.ArgumentTypeError(f"expected a Dask scheduler address like tcp://host:8786 or 'local-dask', "
                                     f"got {text!r}")


@contextlib.contextmanager
def executor_from_args(args):
    """The executor of ``--jobs`` / ``--scheduler`` (None for one serial job), closed afterwards."""
    from .executors import make_executor

    ex = make_executor(args.jobs, args.scheduler) if (args.jobs > 1 or args.scheduler) else None
    try:
        yield ex
    finally:
        if ex is not None:
            ex.close()


def cmd_run(args) -> int:
    from .cache import cached_simulate
    from .io import check_out_dir, safe_child
    from .locks import OutputLock
    from .resources import check_memory

    loaded = _load_all(args.scenarios, args.allow_outside)
    out = Path(args.out) if args.out else None
    for ld in loaded:  # refuse a run that cannot fit in memory before any work
        check_memory(ld.scenario, args.draws, args.mode, label=str(ld.path))
    if out is not None:
        for ld in loaded:  # refuse unsafe names before anything runs
            safe_child(out, f"{ld.scenario.name}_summary.csv")
        check_out_dir(out)  # a file or a read-only folder: exit 2 now, not after the simulation
    with (OutputLock(out) if out is not None else contextlib.nullcontext()), executor_from_args(args) as executor:
        for ld in loaded:
            _run_one(ld, args, executor, out, cached_simulate)
    return 0


def _run_one(ld, args, executor, out, cached_simulate) -> None:
    """Simulate one scenario (through the result cache), print its targets, write its tables."""
    sc = ld.scenario
    res = cached_simulate(sc, draws=args.draws, seed=args.seed, mode=args.mode, use_cache=not args.no_cache,
                          executor=executor, engine=args.engine)
    table = res.attainment()
    engine = f", engine={res.engine}" if res.engine != "numpy" else ""
    print(f"\n== {sc.name}: {ld.path}  ({res.mode}, draws={res.draws}, seed={res.seed}{engine})")
    print(format_start(res, args.lang))
    print(format_targets(table, args.lang))
    if args.checks:
        from .checks import format_checks, run_checks

        print(format_checks(run_checks(sc, res), args.lang)[0])
    if out is not None:  # the set is staged and moved into place together (old set or new, never a mix)
        from .io import staged_output

        with staged_output(out, last=f"{sc.name}_manifest.json") as stage:
            paths = res.to_csv(stage)
        print(f"wrote {len(paths)} files to {out}/{sc.name}_*")


def _add_common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--allow-outside", action="store_true",
                   help="allow 'extends' to reach files outside the scenario's folder")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="ocop-sim", description="Scenario simulation of Đồng Nai's OCOP programme.")
    from . import __version__

    parser.add_argument("--version", action="version", version=f"ocop-sim {__version__}")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)

    p = sub.add_parser("validate", help="validate scenario files")
    p.add_argument("scenarios", nargs="+")
    _add_common(p)
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("run", help="simulate scenarios and print the target table")
    p.add_argument("scenarios", nargs="+")
    p.add_argument("--draws", type=_draws, default=None)
    p.add_argument("--seed", type=_seed, default=None)
    p.add_argument("--mode", choices=["monte_carlo", "expected"], default="monte_carlo")
    p.add_argument("--engine", choices=["numpy", "compiled", "auto"], default="numpy",
                   help="Monte Carlo engine: numpy (the reference, default), compiled (numba: the same "
                        "distribution, not the same draws, ~4x faster), auto (compiled where numba is installed); "
                        "the manifest records the engine, and reproduce uses it")
    p.add_argument("--lang", choices=["en", "vi"], default="en")
    p.add_argument("--out", default=None, help="folder for CSV tables and the manifest")
    p.add_argument("--jobs", type=_jobs, default=1, help="worker processes for chunks of draws")
    p.add_argument("--scheduler", type=_scheduler, default=None, metavar="ADDRESS",
                   help="run chunks of draws on a Dask scheduler (tcp://host:port, or local-dask)")
    p.add_argument("--no-cache", action="store_true", help="simulate again; neither read nor write the result cache")
    p.add_argument("--checks", action="store_true", help="also evaluate and print the scenario's reality checks")
    _add_common(p)
    p.set_defaults(func=cmd_run)

    for name, (fn, configure) in EXTRA_COMMANDS.items():
        p = sub.add_parser(name, help=fn.__doc__.splitlines()[0] if fn.__doc__ else None)
        configure(p)
        _add_common(p)
        p.set_defaults(func=fn)
    return parser


#: Further subcommands registered by other modules: name -> (function, configure(parser)).
EXTRA_COMMANDS: dict[str, tuple[Callable, Callable]] = {}


def _register_extras() -> None:
    for mod in ("ocop_sim.cli_report", "ocop_sim.cli_excel", "ocop_sim.cli_analysis", "ocop_sim.cli_inference",
                "ocop_sim.cli_ops", "ocop_sim.cli_scale", "ocop_sim.cli_app"):
        try:
            __import__(mod)
        except ModuleNotFoundError as exc:
            if exc.name != mod:
                raise


def _one_line_warnings() -> None:
    """The package's own warnings (e.g. a cache entry discarded) print as one line ``warning: …``."""
    import warnings

    from .cache import CacheWarning

    default = warnings.formatwarning

    def fmt(message, category, filename, lineno, line=None):
        if isinstance(category, type) and issubclass(category, CacheWarning):
            return f"warning: {message}".replace("\n", " ") + "\n"
        return default(message, category, filename, lineno, line)

    if getattr(warnings.formatwarning, "__name__", "") != "fmt":
        warnings.formatwarning = fmt


def main(argv: list[str] | None = None) -> int:
    from .data import FactsError
    from .io import OutputPathError
    from .packs import PackError
    from .scenarios import ScenarioError

    _register_extras()
    _one_line_warnings()
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if not getattr(args, "command", None):
            parser.print_help()
            return 2
        return int(args.func(args) or 0)
    except (UsageError, ScenarioError, FactsError, OutputPathError, PackError) as exc:
        print(f"error: {exc}".replace("\n", " "), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 1
    except Exception as exc:  # internal failure: say so, in one line, exit 1
        print(f"internal error: {type(exc).__name__}: {exc}".replace("\n", " "), file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    # run the package's module (not this __main__ copy): extra commands register into it
    from ocop_sim.cli import main as _main

    sys.exit(_main())
