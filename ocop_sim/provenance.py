"""A run's manifest: everything needed to reproduce it (``ocop-sim reproduce`` reads it back).

The manifest names the scenario and its hashes, the run settings, the package, model and
schema versions, the hash of the pack's data, the checksum of the run's arrays and the
versions of Python and the numerical libraries.  It stands in the provenance layer because it
asks the result cache (:func:`ocop_sim.cache._data_hash`) and the checksums
(:mod:`ocop_sim.checks`), both above the runs; :meth:`ocop_sim.results.Result.manifest` hands
over to :func:`manifest`.
"""
from __future__ import annotations

import platform

import numpy as np

from .cache import _data_hash
from .checks import checksum_arrays, results_checksum
from .config import SCHEMA_VERSION
from .scenarios import HASH_VERSION, dump_hash, scenario_hash
from .version import MODEL_VERSION, __version__

__all__ = ["manifest"]


def manifest(result, **extra) -> dict:
    """Everything needed to reproduce ``result`` (a :class:`~ocop_sim.results.Result`);
    ``extra`` keys are added as given."""
    import pandas  # heavy: imported when a manifest is made, not when the package is
    import scipy

    resolved = result.scenario.model_dump(mode="json")
    return {
        "scenario": result.scenario.name,
        "scenario_hash": scenario_hash(result.scenario),
        "hash_version": HASH_VERSION,
        # integrity of resolved_scenario below: reproduce tells an edited manifest from a changed model
        "resolved_hash": dump_hash(resolved),
        "mode": result.mode, "seed": result.seed, "draws": result.draws, "engine": result.engine,
        "package": "ocop_sim", "version": __version__, "model_version": MODEL_VERSION,
        "schema_version": SCHEMA_VERSION,
        "data_hash": _data_hash(result.scenario.pack),
        "results_checksum": results_checksum(result),
        # what the checksum covers: reproduce compares exactly these arrays (and the summary
        # CSV's own rows), so that arrays or metrics added later do not fail an old manifest
        "compared": {"results_checksum": checksum_arrays(result), "summary": "the rows of <scenario>_summary.csv"},
        "python": platform.python_version(), "numpy": np.__version__, "scipy": scipy.__version__,
        "pandas": pandas.__version__,
        "created": result.created,
        "resolved_scenario": resolved,
        **extra,
    }
