"""ocop-sim: scenario simulation of Đồng Nai's OCOP programme (Decision 1698/QĐ-UBND, 2019)."""
from __future__ import annotations

from . import provenance as _provenance
from . import results as _results
from .config import Scenario
from .scenarios import ScenarioError, load
from .simulate import simulate
from .version import __version__

# Result.manifest hands over to the provenance layer above the runs: handed in here, once
_results.set_manifest_maker(_provenance.manifest)

__all__ = ["Scenario", "ScenarioError", "load", "simulate", "__version__"]
