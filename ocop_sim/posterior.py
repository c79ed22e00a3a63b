"""Posterior files named by scenarios: loaded once per file and verified (no pickle).

A thin layer over :class:`ocop_sim.bayes.Posterior`: the file written by ``ocop-sim calibrate``
(``.npz`` + a JSON sidecar with a checksum) gives Monte Carlo runs their parameter draws.
"""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import numpy as np

#: Parameters of the observation model (not model assumptions) that a posterior file may hold.
OBS_PARAMS = ("obs_cv",)
#: Parameters of the fitted inflow path: ``inflow_shock_YYYY`` are standard normal innovations of a
#: random walk on log inflow (non-centred: the step of year Y is ``inflow_sd × inflow_shock_Y``).
SHOCK_PREFIX = "inflow_shock_"


def inflow_path(names, X: np.ndarray) -> dict[int, np.ndarray]:
    """``{year: log inflow (n,)}`` of parameter rows ``X`` (columns ``names``); {} without shocks."""
    names = list(names)
    years = sorted(int(n[len(SHOCK_PREFIX):]) for n in names if n.startswith(SHOCK_PREFIX))
    if not years:
        return {}
    X = np.atleast_2d(X)
    sd = X[:, names.index("inflow_sd")]
    z = np.zeros(len(X))
    out = {years[0] - 1: z.copy()}
    for y in years:
        z = z + sd * X[:, names.index(f"{SHOCK_PREFIX}{y}")]
        out[y] = z.copy()
    return out


class PosteriorDraws:
    """The parameter samples of a posterior file: names, medians, joint resampling."""

    def __init__(self, names: tuple[str, ...], samples: np.ndarray, path: str):
        self.names = names
        self.samples = samples
        self.path = path

    def medians(self) -> dict[str, float]:
        return {n: float(v) for n, v in zip(self.names, np.median(self.samples, axis=0))}

    def draw_index(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """Rows of ``n`` joint parameter vectors resampled (with replacement) from the posterior."""
        return rng.integers(0, len(self.samples), n)

    def draws(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """``n`` joint parameter vectors resampled (with replacement) from the posterior samples."""
        return self.samples[self.draw_index(n, rng)]

    @property
    def has_path(self) -> bool:
        return any(n.startswith(SHOCK_PREFIX) for n in self.names)

    def last_log_inflow(self) -> np.ndarray:
        """Per sample, the log inflow level at the end of the fitted path (0 without a path)."""
        path = inflow_path(self.names, self.samples)
        return path[max(path)] if path else np.zeros(len(self.samples))


def load_cached(path: str) -> PosteriorDraws:
    p = Path(path)
    try:
        stamp = p.stat().st_mtime_ns
    except OSError:
        stamp = 0
    return _load(str(p), stamp)


@lru_cache(maxsize=16)
def _load(path: str, stamp: int) -> PosteriorDraws:
    from .bayes import Posterior  # scipy (heavy): loaded when a posterior file is read, not with the package

    post = Posterior.load(path)
    return PosteriorDraws(tuple(post.names), np.asarray(post.samples, float), path)


def load_meta(path: str) -> dict:
    """The provenance recorded with a posterior file (its JSON sidecar's ``meta``); {} if absent."""
    side = Path(str(path) + ".json")
    try:
        return dict(json.loads(side.read_text(encoding="utf-8")).get("meta") or {})
    except (OSError, ValueError):
        return {}
