"""What the subcommands share: the parser class, the validators of numbers, and the options
several commands take, each defined once as an argparse parent parser.

A command adds the shared options it takes with :func:`include`, at the place in its own list
where they belong (argparse's ``parents=`` would put them all first and change the order the
help shows); the per-command default or help text is an argument of the option's factory.
"""
from __future__ import annotations

import argparse
import contextlib
import re

from ..config import MAX_DRAWS
from ..errors import InputError
from ..executors import make_executor
from ..numbers import NumberError, parse_int

__all__ = ["UsageError", "Parser", "bounded_int", "draws_arg", "seed_arg", "jobs_arg", "scheduler_arg",
           "include", "common", "draws", "seed", "mode", "lang", "out", "json", "jobs", "scheduler", "no_cache",
           "force", "executor_from_args", "add_command"]


class UsageError(InputError):
    """A bad command-line argument (exit 2)."""


class Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line and exit 2 (a :class:`UsageError`)."""

    def error(self, message: str):
        raise UsageError(f"{self.prog}: {message}")


# ----------------------------------------------------------------------------- validators


def _int_arg(text: str) -> int:
    """A whole number by the shared rule (:mod:`ocop_sim.numbers`): ``1_0`` and ``٣`` are not numbers."""
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


draws_arg = bounded_int("draws", 1, MAX_DRAWS)
jobs_arg = bounded_int("jobs", 1, 64)


def seed_arg(text: str) -> int:
    """An argparse ``type`` for a seed: a whole number in 0..2^63-1."""
    try:
        v = _int_arg(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole-number seed, got {text!r}") from None
    if not 0 <= v < 2**63:
        raise argparse.ArgumentTypeError(f"expected a seed in 0..2^63-1, got {v}")
    return v


def scheduler_arg(text: str) -> str:
    """A Dask scheduler address (tcp://host:port, tls://…, a scheduler file) or ``local-dask``."""
    if text == "local-dask" or re.fullmatch(r"(tcp|tls|ucx|inproc)://[\w.\-\[\]:]+", text):
        return text
    raise argparse.ArgumentTypeError(f"expected a Dask scheduler address like tcp://host:8786 or 'local-dask', "
                                     f"got {text!r}")


# ----------------------------------------------------------------------------- shared options


def _parent(*args, **kwargs) -> argparse.ArgumentParser:
    """A parent parser holding the one option ``add_argument(*args, **kwargs)``."""
    p = argparse.ArgumentParser(add_help=False)
    p.add_argument(*args, **kwargs)
    return p


def include(parser: argparse.ArgumentParser, *parents: argparse.ArgumentParser) -> None:
    """Add the options of ``parents`` to ``parser`` here, in this order (what ``parents=`` does,
    but at this place of the parser's option list rather than first)."""
    for parent in parents:
        parser._add_container_actions(parent)


def common() -> argparse.ArgumentParser:
    """The options every subcommand takes (added last)."""
    return _parent("--allow-outside", action="store_true",
                   help="allow 'extends' to reach files outside the scenario's folder")


def draws(default: int | None = None, help: str | None = None) -> argparse.ArgumentParser:
    """``--draws``: Monte Carlo draws (default: the scenario's)."""
    return _parent("--draws", type=draws_arg, default=default, help=help)


def seed(default: int | None = None) -> argparse.ArgumentParser:
    """``--seed``: the run's seed (default: the scenario's)."""
    return _parent("--seed", type=seed_arg, default=default)


def mode() -> argparse.ArgumentParser:
    """``--mode``: Monte Carlo or expected values."""
    return _parent("--mode", choices=["monte_carlo", "expected"], default="monte_carlo")


def lang(choices: tuple[str, ...] = ("en", "vi"), default: str = "en",
         help: str | None = None) -> argparse.ArgumentParser:
    """``--lang``: the language of what is printed or written."""
    return _parent("--lang", choices=list(choices), default=default, help=help)


def out(help: str, required: bool = False) -> argparse.ArgumentParser:
    """``--out``: where the command writes (a folder or a file, as ``help`` says)."""
    if required:
        return _parent("--out", required=True, help=help)
    return _parent("--out", default=None, help=help)


def json(help: str) -> argparse.ArgumentParser:
    """``--json``: a JSON file of the command's result."""
    return _parent("--json", default=None, help=help)


def jobs(default: int = 1, help: str | None = None, type=jobs_arg) -> argparse.ArgumentParser:
    """``--jobs``: worker processes."""
    return _parent("--jobs", type=type, default=default, help=help)


def scheduler(help: str | None = None) -> argparse.ArgumentParser:
    """``--scheduler``: a Dask scheduler to run on."""
    return _parent("--scheduler", type=scheduler_arg, default=None, metavar="ADDRESS", help=help)


def no_cache() -> argparse.ArgumentParser:
    """``--no-cache``: bypass the result cache."""
    return _parent("--no-cache", action="store_true",
                   help="simulate again; neither read nor write the result cache")


def force() -> argparse.ArgumentParser:
    """``--force``: replace an existing ``--out`` file."""
    return _parent("--force", action="store_true", help="replace an existing --out file (a .bak copy is kept)")


# ----------------------------------------------------------------------------- commands


def add_command(subparsers, name: str, func, configure, common_options: argparse.ArgumentParser,
                help: str | None = None) -> argparse.ArgumentParser:
    """Add subcommand ``name`` running ``func(args)``: ``configure(parser)`` adds its own options,
    then the ``common_options``; its help line is ``help`` or the first line of ``func``'s docstring."""
    if help is None and func.__doc__:
        help = func.__doc__.splitlines()[0]
    p = subparsers.add_parser(name, help=help)
    configure(p)
    include(p, common_options)
    p.set_defaults(func=func)
    return p


@contextlib.contextmanager
def executor_from_args(args):
    """The executor of ``--jobs`` / ``--scheduler`` (None for one serial job), closed afterwards."""
    ex = make_executor(args.jobs, args.scheduler) if (args.jobs > 1 or args.scheduler) else None
    try:
        yield ex
    finally:
        if ex is not None:
            ex.close()
