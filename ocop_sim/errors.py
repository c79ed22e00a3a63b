"""The package's error hierarchy: every error of ours is an :class:`OcopError` carrying the CLI's
exit code, so the command line maps errors to exit codes in one place (``ocop_sim.cli.main``).

A ground-floor module: it imports nothing of ours, so any module may import it.  The error
classes themselves stay in the modules that raise them (``scenarios.ScenarioError``,
``packs.PackError``, ...), each deriving from the base here as well as from its builtin
(``ValueError``, ``RuntimeError``), so ``except ValueError`` keeps catching them.

Exit codes: 0 success, 2 a user's mistake (:class:`InputError`: bad arguments, scenario,
pack, data or output path; one line on stderr, nothing written), 1 anything else that failed.
"""
from __future__ import annotations

__all__ = ["OcopError", "InputError", "EXIT_FAILURE", "EXIT_INPUT"]

#: Exit code of a failure that is not the user's input (also any exception not of ours).
EXIT_FAILURE = 1
#: Exit code of a user's mistake: a bad argument or input file.
EXIT_INPUT = 2


class OcopError(Exception):
    """Base of every ocop-sim error; ``exit_code`` is what the command line returns for it."""

    exit_code: int = EXIT_FAILURE


class InputError(OcopError, ValueError):
    """A user's mistake in an argument or input file: one line on stderr, exit 2."""

    exit_code = EXIT_INPUT
