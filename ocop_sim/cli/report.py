"""``ocop-sim report`` and ``ocop-sim compare``: the batch runner on the command line.

Registered by :func:`register`.
"""
from __future__ import annotations

import argparse
import sys

from . import options
from .options import UsageError


def _timeout(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a timeout in seconds, got {text!r}") from None
    if not 1 <= v <= 86_400:
        raise argparse.ArgumentTypeError(f"expected a timeout in 1..86400 s, got {v:g}")
    return v


#: Output formats of ``report --format`` (the notebook and HTML are always written: PDFs are
#: printed from the HTML and the index links it).
REPORT_FORMATS = ("html", "pdf", "xlsx")


def _formats(text: str) -> tuple[str, ...]:
    """``html,pdf,xlsx`` → ("html", "pdf", "xlsx"); an unknown name lists the valid ones."""
    names = tuple(dict.fromkeys(x.strip().lower() for x in text.split(",") if x.strip()))
    bad = [x for x in names if x not in REPORT_FORMATS]
    if bad or not names:
        raise argparse.ArgumentTypeError(f"expected formats from {','.join(REPORT_FORMATS)} separated by commas, "
                                         f"got {text!r}")
    return names


def _print_failures(batch) -> None:
    for name, lang, err, cell in batch.failures:
        where = f" [{lang}]" if lang else ""
        at = f" (cell {cell})" if cell is not None else ""
        print(f"FAILED {name}{where}{at}: {err}", file=sys.stderr)


def cmd_report(args) -> int:
    """Render scenario reports (notebook, HTML, CSV, Excel) and index.html into --out."""
    from ..report import LANG_CHOICES, run_batch

    if "pdf" in args.format:  # before any work: say what is missing, exit 2
        from ..pdf import missing

        why = missing()
        if why:
            raise UsageError(f"--format pdf: cannot print PDFs here: {why}")
    batch = run_batch(args.scenarios, args.out, jobs=args.jobs, langs=LANG_CHOICES[args.lang], draws=args.draws,
                      seed=args.seed, timeout=args.timeout, compare=not args.no_compare,
                      progress=not args.quiet, keep_cache=args.keep_cache, force=args.force,
                      use_cache=not args.no_cache, scheduler=args.scheduler,
                      calibration=None if args.no_calibration else args.calibration, formats=args.format)
    for note in sorted(set(batch.notes)):
        print(f"note: {note}", file=sys.stderr)
    _print_failures(batch)
    done = sum(o.ok for o in batch.outcomes) - len(batch.skipped)
    print(f"{done} notebooks rendered, skipped {len(batch.skipped)} already finished, "
          f"{len(batch.failures)} failed, {batch.seconds:.1f} s")
    print(batch.index.resolve())
    return 0 if batch.ok else 1


def cmd_compare(args) -> int:
    """Render the comparison report of several scenarios into --out."""
    from ..report import LANG_CHOICES, run_compare

    batch = run_compare(args.scenarios, args.out, langs=LANG_CHOICES[args.lang], draws=args.draws, seed=args.seed,
                        timeout=args.timeout, use_cache=not args.no_cache)
    _print_failures(batch)
    for o in batch.outcomes:
        if o.ok:
            print(o.files["html"])
    return 0 if batch.ok else 1


def _configure_report(p: argparse.ArgumentParser) -> None:
    p.add_argument("scenarios", nargs="+")
    options.include(p, options.out("output folder", required=True), options.jobs(2, help="worker processes"),
                    options.lang(("vi", "en", "both"), "both"), options.draws(), options.seed())
    p.add_argument("--timeout", type=_timeout, default=600.0, help="per-cell execution timeout [s]")
    p.add_argument("--format", type=_formats, default=("html", "xlsx"), metavar="LIST",
                   help="comma-separated outputs from html,pdf,xlsx (default html,xlsx; pdf needs Chromium)")
    p.add_argument("--no-compare", action="store_true", help="skip the comparison report")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--keep-cache", action="store_true", help="keep the results handed to the kernels (OUT/_cache.*/: arrays with signed metadata)")
    p.add_argument("--force", action="store_true", help="re-render reports already finished by an earlier run")
    p.add_argument("--calibration", default="history", metavar="NAME",
                   help="render the calibration and backtest report of this scenario, if in the batch "
                        "(default: baseline)")
    p.add_argument("--no-calibration", action="store_true", help="no calibration report")
    options.include(p, options.no_cache(),
                    options.scheduler("run the simulations on a Dask scheduler (tcp://host:port, or local-dask)"))


def _configure_compare(p: argparse.ArgumentParser) -> None:
    p.add_argument("scenarios", nargs="+")
    options.include(p, options.out("output folder", required=True), options.lang(("vi", "en", "both"), "en"),
                    options.draws(), options.seed())
    p.add_argument("--timeout", type=_timeout, default=600.0, help="per-cell execution timeout [s]")
    options.include(p, options.no_cache())


def register(subparsers, common) -> None:
    """Add ``report`` and ``compare``; ``common`` holds the options every subcommand takes."""
    options.add_command(subparsers, "report", cmd_report, _configure_report, common)
    options.add_command(subparsers, "compare", cmd_compare, _configure_compare, common)
