"""The ``ocop-sim`` command line (entry point :func:`main`).

:mod:`.main` builds the top parser and maps errors to exit codes; :mod:`.options` holds what the
subcommands share; each command group is one module with ``register(subparsers, common)``:
:mod:`.run` (validate, run), :mod:`.report` (report, compare), :mod:`.excel` (export-xlsx,
import-xlsx), :mod:`.analysis` (sensitivity, goal-seek, optimize, sweep), :mod:`.inference`
(calibrate, backtest, province), :mod:`.ops` (check, reproduce), :mod:`.scale` (cache) and
:mod:`.app` (app).  The submodules never import this package's ``__init__`` or :mod:`.main`.

The command functions import the modules that do the work (report → papermill and nbconvert,
inference → emcee and arviz, app → voilà, ...) when they run, not at the top of the command
modules: ``ocop-sim --help`` and a mistyped argument answer without loading every command's
dependencies.
"""
from .main import main
from .options import UsageError

__all__ = ["main", "UsageError"]
