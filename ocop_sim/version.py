"""The package's version and the model's version, in one small ground-floor module.

:data:`__version__` is the package's (it equals ``version`` in pyproject.toml); manifests,
the result cache's keys and ``ocop-sim --version`` record it.  :data:`MODEL_VERSION` names the
model's equations and random streams: a change of what a seed gives must bump it, so that the
result cache does not reuse old runs and scenario hashes change.  Imports nothing.
"""
from __future__ import annotations

__all__ = ["MODEL_VERSION", "__version__"]

__version__ = "0.1.0"

MODEL_VERSION = "3"  # 2: flows kept at coarser axes (cached results of 1 are not reused); 3: each flow draws
# from a random stream of its own (issue 19): Monte Carlo numbers of a seed changed once
