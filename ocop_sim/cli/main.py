"""``ocop-sim`` command line: one subcommand per function, registered explicitly by command group.

Exit codes: 0 success, 2 a user's mistake (one-line message on stderr, nothing written),
1 an internal failure or a batch where something failed.  The map from errors to exit codes is
here and only here: an error of ours carries its code (:class:`ocop_sim.errors.OcopError`), the
few foreign exceptions are listed in :func:`main`.
"""
from __future__ import annotations

import argparse
import sys
import warnings

from ..version import __version__
from ..cache import CacheWarning
from ..errors import EXIT_FAILURE, InputError, OcopError
from . import analysis, app, excel, inference, ops, report, run, scale
from .options import Parser, common

#: The command groups, in the order their subcommands are listed: each has ``register(subparsers, common)``.
COMMAND_GROUPS = (run, report, excel, analysis, inference, ops, scale, app)

#: Exit code of an interrupted run (128 + SIGINT, as a shell reports it).
EXIT_INTERRUPTED = 130


def build_parser() -> argparse.ArgumentParser:
    """The ``ocop-sim`` parser with the subcommands of every group in :data:`COMMAND_GROUPS`."""
    parser = Parser(prog="ocop-sim", description="Scenario simulation of Đồng Nai's OCOP programme.")
    parser.add_argument("--version", action="version", version=f"ocop-sim {__version__}")
    sub = parser.add_subparsers(dest="command", parser_class=Parser)
    shared = common()
    for group in COMMAND_GROUPS:
        group.register(sub, shared)
    return parser


def _one_line_warnings() -> None:
    """The package's own warnings (e.g. a cache entry discarded) print as one line ``warning: …``."""
    default = warnings.formatwarning

    def fmt(message, category, filename, lineno, line=None):
        if isinstance(category, type) and issubclass(category, CacheWarning):
            return f"warning: {message}".replace("\n", " ") + "\n"
        return default(message, category, filename, lineno, line)

    if getattr(warnings.formatwarning, "__name__", "") != "fmt":
        warnings.formatwarning = fmt


def _error_line(exc: BaseException) -> str:
    """One line for stderr: a user's mistake as ``error: …``, anything else as an internal error."""
    text = f"error: {exc}" if isinstance(exc, InputError) else f"internal error: {type(exc).__name__}: {exc}"
    return text.replace("\n", " ")


def main(argv: list[str] | None = None) -> int:
    """Run ``ocop-sim`` with ``argv`` (default: the process's arguments); returns the exit code."""
    _one_line_warnings()
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if not getattr(args, "command", None):
            parser.print_help()
            return 2
        return int(args.func(args) or 0)
    except OcopError as exc:  # ours: the class says the exit code
        print(_error_line(exc), file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return EXIT_FAILURE
    except Exception as exc:  # internal failure: say so, in one line, exit 1
        print(_error_line(exc), file=sys.stderr)
        return EXIT_FAILURE
