"""Generic, vectorised Bayesian posterior sampling with convergence diagnostics.

Priors (:class:`Prior`, :class:`PriorSet`) are one-dimensional distributions with hard
bounds; the sampler (:func:`sample_posterior`) runs the affine-invariant ensemble sampler
``emcee`` with differential-evolution and independence moves in an unconstrained space (each parameter
mapped by log / logit / identity), evaluates a user log-likelihood for all walkers at
once, and keeps extending the chains until the diagnostics pass.  The result
(:class:`Posterior`) is saved without pickle (``.npz`` plus a JSON sidecar holding a
sha256 of the arrays).

Convergence
-----------
The walkers of an ensemble sampler are not independent chains: every proposal of a
walker is built from the positions of the others.  Diagnostics that assume independent
chains can therefore be optimistic.  The sampler requires all of

* ArviZ's rank-normalised split R-hat (Vehtari et al. 2021) ≤ ``max_rhat`` for every
  parameter, treating the walkers as chains (each split in halves); the classic split
  R-hat is recorded in ``meta["rhat_split"]``;
* ArviZ's bulk effective sample size ≥ ``min_ess`` for every parameter;
* ``steps_after_burn ≥ 50 × τ_max`` with ``τ`` the integrated autocorrelation time
  [steps] of the ensemble estimated by emcee (Goodman and Weare 2010; Foreman-Mackey et
  al. 2013), which is the check the emcee authors recommend for ensemble samplers.

This module imports nothing from the rest of ``ocop_sim``.

References
----------
.. [GW2010] Goodman, J. and Weare, J. (2010). Ensemble samplers with affine invariance.
   *Communications in Applied Mathematics and Computational Science*, 5(1), 65-80.
.. [FM2013] Foreman-Mackey, D., Hogg, D. W., Lang, D. and Goodman, J. (2013). emcee: the
   MCMC hammer. *PASP*, 125(925), 306-312.
.. [tB2006] ter Braak, C. J. F. (2006); ter Braak and Vrugt (2008). Differential
   evolution Markov chain (with snooker updater).
.. [V2021] Vehtari, A., Gelman, A., Simpson, D., Carpenter, B. and Bürkner, P.-C. (2021).
   Rank-normalization, folding, and localization: an improved R-hat for assessing
   convergence of MCMC. *Bayesian Analysis*, 16(2), 667-718.

Longer than 400 lines because the sampler, its convergence diagnostics, the posterior file format
and its trace plots are generic and kept together, apart from the model.
"""
from __future__ import annotations

import datetime as _dt
import hashlib
import io
import json
import math
import os
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
from scipy import special as _sp

from .errors import InputError, OcopError

__all__ = [
    "Prior", "PriorSet", "Posterior", "sample_posterior", "NotConvergedError",
    "PosteriorFileError", "plot_trace", "plot_pair", "KINDS", "AUTOCORR_FACTOR",
]

#: Prior families and the meaning of their parameters ``a`` and ``b``.
KINDS = {
    "normal": ("mean", "sd"),
    "lognormal": ("mu of log", "sigma of log"),
    "beta": ("alpha", "beta"),
    "uniform": ("low", "high"),
    "halfnormal": ("scale", "unused"),
    "logitnormal": ("mu of logit", "sigma of logit"),
}

#: Required chain length after burn-in, in units of the integrated autocorrelation time.
AUTOCORR_FACTOR = 50.0

#: Version of the on-disk format written by :meth:`Posterior.save`.
FILE_FORMAT = 1

_LOG_2PI = math.log(2.0 * math.pi)


class NotConvergedError(OcopError, ValueError):
    """A posterior failed its convergence diagnostics."""


class PosteriorFileError(InputError, ValueError):
    """A saved posterior is missing, unreadable, tampered with or inconsistent."""


# --------------------------------------------------------------------------- priors


@dataclass(frozen=True)
class Prior:
    """A one-dimensional prior with hard bounds.

    Parameters
    ----------
    name : str
        Parameter name.
    kind : str
        One of ``"normal"``, ``"lognormal"``, ``"beta"``, ``"uniform"``,
        ``"halfnormal"``, ``"logitnormal"``.
    a, b : float
        Family parameters: normal (mean, sd) [units of the parameter]; lognormal (mu,
        sigma) of the log; beta (alpha, beta); uniform (low, high) [units of the
        parameter]; halfnormal (scale [units of the parameter], unused); logitnormal (mu,
        sigma) of the logit.
    low, high : float
        Hard bounds [units of the parameter]; ``-inf`` / ``inf`` allowed.  The density is
        the family density restricted to ``[low, high]`` (not renormalised: the constant
        does not matter for sampling).
    source : str
        Where the prior comes from (free text).
    known_from : str
        ISO date (``YYYY-MM-DD``) from which the information behind the prior was known;
        empty if not applicable.
    """

    name: str
    kind: str
    a: float
    b: float = float("nan")
    low: float = -math.inf
    high: float = math.inf
    source: str = ""
    known_from: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise ValueError("prior name must be a non-empty string")
        if self.kind not in KINDS:
            raise ValueError(f"prior {self.name!r}: kind must be one of {sorted(KINDS)}, got {self.kind!r}")
        for attr in ("a", "b", "low", "high"):
            object.__setattr__(self, attr, float(getattr(self, attr)))
        a, b, k = self.a, self.b, self.kind
        if math.isnan(self.low) or math.isnan(self.high) or not self.low < self.high:
            raise ValueError(f"prior {self.name!r}: need low < high, got [{self.low}, {self.high}]")
        bad = {
            "normal": not (math.isfinite(a) and math.isfinite(b) and b > 0),
            "lognormal": not (math.isfinite(a) and math.isfinite(b) and b > 0),
            "beta": not (math.isfinite(a) and math.isfinite(b) and a > 0 and b > 0),
            "uniform": not (math.isfinite(a) and math.isfinite(b) and a < b),
            "halfnormal": not (math.isfinite(a) and a > 0),
            "logitnormal": not (math.isfinite(a) and math.isfinite(b) and b > 0),
        }[k]
        if bad:
            raise ValueError(f"prior {self.name!r}: invalid {k} parameters a={a}, b={b} "
                             f"({', '.join(KINDS[k])})")
        lo, hi = self.bounds
        if not lo < hi:
            raise ValueError(f"prior {self.name!r}: bounds [{self.low}, {self.high}] do not overlap "
                             f"the support of the {k} distribution")
        if self.known_from:
            try:
                _dt.date.fromisoformat(self.known_from)
            except ValueError:
                raise ValueError(f"prior {self.name!r}: known_from must be an ISO date, "
                                 f"got {self.known_from!r}") from None

    # -- support and bounds (cached: the instance is immutable)
    @cached_property
    def support(self) -> tuple[float, float]:
        """Support of the (untruncated) family [units of the parameter]."""
        return {
            "normal": (-math.inf, math.inf),
            "lognormal": (0.0, math.inf),
            "beta": (0.0, 1.0),
            "uniform": (self.a, self.b),
            "halfnormal": (0.0, math.inf),
            "logitnormal": (0.0, 1.0),
        }[self.kind]

    @cached_property
    def bounds(self) -> tuple[float, float]:
        """Effective bounds: support ∩ [low, high] [units of the parameter]."""
        s_lo, s_hi = self.support
        return max(s_lo, self.low), min(s_hi, self.high)

    def _inside(self, x: np.ndarray) -> np.ndarray:
        """Whether ``x`` is in [low, high] and in the support (open where the density may
        be infinite or undefined at the edge)."""
        lo, hi = self.bounds
        ok = np.isfinite(x) & (x >= lo) & (x <= hi)
        if self.kind in ("lognormal", "beta", "logitnormal"):
            ok &= x > 0
        if self.kind in ("beta", "logitnormal"):
            ok &= x < 1
        return ok

    # -- density
    def logpdf(self, x) -> np.ndarray:
        """Log density of the family [log of 1/units], ``-inf`` outside the bounds.

        Parameters
        ----------
        x : array_like
            Parameter values [units of the parameter].

        Returns
        -------
        ndarray
            Log density, same shape as ``x``.
        """
        x = np.asarray(x, dtype=float)
        ok = self._inside(x)
        xs = np.where(ok, x, self._safe_point())
        a, b = self.a, self.b
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            if self.kind == "normal":
                z = (xs - a) / b
                lp = -0.5 * z * z - math.log(b) - 0.5 * _LOG_2PI
            elif self.kind == "lognormal":
                lx = np.log(xs)
                z = (lx - a) / b
                lp = -0.5 * z * z - math.log(b) - lx - 0.5 * _LOG_2PI
            elif self.kind == "beta":
                lp = (a - 1.0) * np.log(xs) + (b - 1.0) * np.log1p(-xs) - _sp.betaln(a, b)
            elif self.kind == "uniform":
                lp = np.full(xs.shape, -math.log(b - a))
            elif self.kind == "halfnormal":
                z = xs / a
                lp = 0.5 * math.log(2.0 / math.pi) - math.log(a) - 0.5 * z * z
            else:  # logitnormal
                lx, l1x = np.log(xs), np.log1p(-xs)
                z = (lx - l1x - a) / b
                lp = -0.5 * z * z - math.log(b) - 0.5 * _LOG_2PI - lx - l1x
        return np.where(ok, lp, -np.inf)

    def _safe_point(self) -> float:
        lo, hi = self.bounds
        if math.isfinite(lo) and math.isfinite(hi):
            return 0.5 * (lo + hi)
        if math.isfinite(lo):
            return lo + 1.0
        if math.isfinite(hi):
            return hi - 1.0
        return 0.0

    # -- sampling
    def _draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        a, b = self.a, self.b
        if self.kind == "normal":
            return rng.normal(a, b, n)
        if self.kind == "lognormal":
            return rng.lognormal(a, b, n)
        if self.kind == "beta":
            return rng.beta(a, b, n)
        if self.kind == "uniform":
            return rng.uniform(a, b, n)
        if self.kind == "halfnormal":
            return np.abs(rng.normal(0.0, a, n))
        return _sp.expit(rng.normal(a, b, n))

    def _cdf(self, x: np.ndarray) -> np.ndarray:
        a, b = self.a, self.b
        with np.errstate(divide="ignore", invalid="ignore"):
            if self.kind == "normal":
                return _sp.ndtr((x - a) / b)
            if self.kind == "lognormal":
                return np.where(x > 0, _sp.ndtr((np.log(np.maximum(x, 1e-300)) - a) / b), 0.0)
            if self.kind == "beta":
                return _sp.betainc(a, b, np.clip(x, 0.0, 1.0))
            if self.kind == "uniform":
                return np.clip((x - a) / (b - a), 0.0, 1.0)
            if self.kind == "halfnormal":
                return np.where(x > 0, 2.0 * _sp.ndtr(np.maximum(x, 0.0) / a) - 1.0, 0.0)
            xc = np.clip(x, 0.0, 1.0)
            return _sp.ndtr((_sp.logit(xc) - a) / b)

    def _ppf(self, q: np.ndarray) -> np.ndarray:
        a, b = self.a, self.b
        if self.kind == "normal":
            return a + b * _sp.ndtri(q)
        if self.kind == "lognormal":
            return np.exp(a + b * _sp.ndtri(q))
        if self.kind == "beta":
            return _sp.betaincinv(a, b, q)
        if self.kind == "uniform":
            return a + (b - a) * q
        if self.kind == "halfnormal":
            return a * _sp.ndtri(0.5 + 0.5 * q)
        return _sp.expit(a + b * _sp.ndtri(q))

    def sample(self, rng, n: int) -> np.ndarray:
        """Draw from the prior restricted to its bounds.

        Rejection sampling from the untruncated family; if fewer than 1 % of a first batch
        of draws is accepted, the truncated inverse CDF is used instead (same
        distribution, no wasted draws).

        Parameters
        ----------
        rng : numpy.random.Generator or int
            Random generator (or seed).
        n : int
            Number of draws.

        Returns
        -------
        ndarray, shape (n,)
            Draws [units of the parameter].
        """
        rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
        n = int(n)
        if n < 0:
            raise ValueError("n must be non-negative")
        out = np.empty(0)
        batch = max(n, 16)
        for attempt in range(50):
            x = self._draw(rng, batch)
            keep = x[self._inside(x)]
            out = np.concatenate([out, keep])
            if out.size >= n:
                return out[:n]
            if attempt == 0 and keep.size < 0.01 * batch:
                break
            batch = max(16, int(1.2 * (n - out.size) * batch / max(keep.size, 1)))
        lo, hi = self.bounds
        q_lo, q_hi = self._cdf(np.array(lo)), self._cdf(np.array(hi))
        if not q_hi > q_lo:
            raise ValueError(f"prior {self.name!r}: no probability mass inside [{lo}, {hi}]")
        x = self._ppf(rng.uniform(q_lo, q_hi, n))
        x = np.clip(x, lo, hi)
        bad = ~self._inside(x)
        if np.any(bad):  # an open edge hit by rounding: nudge inside
            x[bad] = np.clip(x[bad], np.nextafter(lo, hi), np.nextafter(hi, lo))
        return x

    # -- transforms to an unconstrained space
    def to_unbounded(self, x) -> np.ndarray:
        """Map values inside the bounds to the real line.

        Identity when both effective bounds are infinite; ``log(x - lo)`` (``log(hi - x)``)
        with one finite bound; ``logit((x - lo)/(hi - lo))`` with two.

        Parameters
        ----------
        x : array_like
            Parameter values [units of the parameter].

        Returns
        -------
        ndarray
            Unconstrained values [dimensionless, or units of the parameter for the
            identity].
        """
        x = np.asarray(x, dtype=float)
        lo, hi = self.bounds
        with np.errstate(divide="ignore", invalid="ignore"):
            if math.isinf(lo) and math.isinf(hi):
                return x.copy()
            if math.isinf(hi):
                return np.log(x - lo)
            if math.isinf(lo):
                return np.log(hi - x)
            return _sp.logit((x - lo) / (hi - lo))

    def from_unbounded(self, u) -> np.ndarray:
        """Inverse of :meth:`to_unbounded`.

        Parameters
        ----------
        u : array_like
            Unconstrained values.

        Returns
        -------
        ndarray
            Parameter values [units of the parameter] inside the bounds.
        """
        u = np.asarray(u, dtype=float)
        lo, hi = self.bounds
        if math.isinf(lo) and math.isinf(hi):
            return u.copy()
        with np.errstate(over="ignore"):
            if math.isinf(hi):
                return lo + np.exp(u)
            if math.isinf(lo):
                return hi - np.exp(u)
            return lo + (hi - lo) * _sp.expit(u)

    def log_jacobian(self, u) -> np.ndarray:
        """``log |dx/du|`` of :meth:`from_unbounded` at ``u``.

        Parameters
        ----------
        u : array_like
            Unconstrained values.

        Returns
        -------
        ndarray
            Log Jacobian, same shape as ``u``.
        """
        u = np.asarray(u, dtype=float)
        lo, hi = self.bounds
        if math.isinf(lo) and math.isinf(hi):
            return np.zeros(u.shape)
        if math.isinf(lo) or math.isinf(hi):
            return u.copy()
        return math.log(hi - lo) + _sp.log_expit(u) + _sp.log_expit(-u)

    def describe(self) -> dict:
        """JSON-ready description of the prior."""
        return {"name": self.name, "kind": self.kind, "a": _finite_or_none(self.a),
                "b": _finite_or_none(self.b), "low": _finite_or_none(self.low),
                "high": _finite_or_none(self.high), "source": self.source,
                "known_from": self.known_from}


class PriorSet:
    """An ordered collection of independent priors (the joint prior is their product).

    Parameters
    ----------
    priors : iterable of Prior
        The priors, in parameter order; names must be unique.

    Notes
    -----
    Arrays of parameter vectors have shape ``(n, k)`` with column ``j`` the parameter
    ``names[j]``; a single vector of shape ``(k,)`` is accepted as ``(1, k)``.
    """

    def __init__(self, priors: Iterable[Prior]):
        self.priors: tuple[Prior, ...] = tuple(priors)
        if not self.priors:
            raise ValueError("a PriorSet needs at least one prior")
        for p in self.priors:
            if not isinstance(p, Prior):
                raise TypeError(f"expected Prior, got {type(p).__name__}")
        names = [p.name for p in self.priors]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"duplicate prior names: {dup}")
        self.names: tuple[str, ...] = tuple(names)
        # column groups of the transforms, for vectorised evaluation over all parameters
        lo = np.array([p.bounds[0] for p in self.priors])
        hi = np.array([p.bounds[1] for p in self.priors])
        self._lo, self._hi = lo, hi
        self._j_lower = np.flatnonzero(np.isfinite(lo) & np.isinf(hi))
        self._j_upper = np.flatnonzero(np.isinf(lo) & np.isfinite(hi))
        self._j_interval = np.flatnonzero(np.isfinite(lo) & np.isfinite(hi))
        self._width = hi[self._j_interval] - lo[self._j_interval]
        self._log_width_sum = float(np.sum(np.log(self._width)))
        # the joint density, vectorised by family (what Prior.logpdf does one column at a time)
        pr = self.priors
        self._a = np.array([p.a for p in pr])
        self._b = np.array([p.b for p in pr])
        self._open_lo = np.array([p.kind in ("lognormal", "beta", "logitnormal") for p in pr])
        self._open_hi = np.array([p.kind in ("beta", "logitnormal") for p in pr])
        self._safe = np.array([p._safe_point() for p in pr])
        # a subclass with a density of its own (e.g. a pooled prior, normal on the unconstrained
        # scale) is evaluated by its own logpdf, column by column
        own = np.array([type(p).logpdf is not Prior.logpdf for p in pr], dtype=bool)
        self._own = np.flatnonzero(own)
        self._open_lo &= ~own
        self._open_hi &= ~own
        self._by_kind = {k: np.flatnonzero([p.kind == k and not o for p, o in zip(pr, own)]) for k in KINDS}
        self._by_kind = {k: j for k, j in self._by_kind.items() if j.size}
        const = np.zeros(len(pr))
        for j, p in enumerate(pr):
            if own[j]:
                continue
            if p.kind in ("normal", "lognormal", "logitnormal"):
                const[j] = -math.log(p.b) - 0.5 * _LOG_2PI
            elif p.kind == "beta":
                const[j] = -float(_sp.betaln(p.a, p.b))
            elif p.kind == "uniform":
                const[j] = -math.log(p.b - p.a)
            else:  # halfnormal
                const[j] = 0.5 * math.log(2.0 / math.pi) - math.log(p.a)
        self._const_sum = float(const.sum())

    def __len__(self) -> int:
        return len(self.priors)

    def __iter__(self):
        return iter(self.priors)

    def __getitem__(self, key: int | str) -> Prior:
        if isinstance(key, str):
            return self.priors[self.names.index(key)]
        return self.priors[key]

    def __repr__(self) -> str:
        return f"PriorSet({', '.join(f'{p.name}~{p.kind}' for p in self.priors)})"

    def _2d(self, X) -> np.ndarray:
        X = np.asarray(X, dtype=float)
        if X.ndim == 1:
            X = X[None, :]
        if X.ndim != 2 or X.shape[1] != len(self):
            raise ValueError(f"expected shape (n, {len(self)}), got {X.shape}")
        return X

    def logpdf(self, X) -> np.ndarray:
        """Joint log prior density of each row, shape ``(n,)``; ``-inf`` outside bounds.

        The sum of :meth:`Prior.logpdf` over the columns, computed a family at a time."""
        X = self._2d(X)
        ok = np.isfinite(X) & (X >= self._lo) & (X <= self._hi)
        ok &= ~self._open_lo | (X > 0)
        ok &= ~self._open_hi | (X < 1)
        own = np.zeros(X.shape[0])
        for j in self._own:
            own += self.priors[j].logpdf(X[:, j])  # -inf outside its own support
            ok[:, j] = True
        row_ok = ok.all(axis=1)
        Xs = np.where(ok, X, self._safe)
        lp = np.full(X.shape[0], self._const_sum)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            for kind, j in self._by_kind.items():
                x, a, b = Xs[:, j], self._a[j], self._b[j]
                if kind == "normal":
                    z = (x - a) / b
                    lp += (-0.5 * z * z).sum(axis=1)
                elif kind == "lognormal":
                    lx = np.log(x)
                    z = (lx - a) / b
                    lp += (-0.5 * z * z - lx).sum(axis=1)
                elif kind == "beta":
                    lp += ((a - 1.0) * np.log(x) + (b - 1.0) * np.log1p(-x)).sum(axis=1)
                elif kind == "halfnormal":
                    z = x / a
                    lp += (-0.5 * z * z).sum(axis=1)
                elif kind == "logitnormal":
                    lx, l1x = np.log(x), np.log1p(-x)
                    z = (lx - l1x - a) / b
                    lp += (-0.5 * z * z - lx - l1x).sum(axis=1)
                # uniform: the constant only
        return np.where(row_ok, lp + own, -np.inf)

    def sample(self, rng, n: int) -> np.ndarray:
        """``n`` independent draws of the joint prior, shape ``(n, k)`` [natural units]."""
        rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
        return np.column_stack([p.sample(rng, n) for p in self.priors]).reshape(int(n), len(self))

    def to_unbounded(self, X) -> np.ndarray:
        """Column-wise :meth:`Prior.to_unbounded`, shape ``(n, k)``."""
        X = self._2d(X)
        U = X.copy()
        jl, ju, ji = self._j_lower, self._j_upper, self._j_interval
        with np.errstate(divide="ignore", invalid="ignore"):
            if jl.size:
                U[:, jl] = np.log(X[:, jl] - self._lo[jl])
            if ju.size:
                U[:, ju] = np.log(self._hi[ju] - X[:, ju])
            if ji.size:
                U[:, ji] = _sp.logit((X[:, ji] - self._lo[ji]) / self._width)
        return U

    def from_unbounded(self, U) -> np.ndarray:
        """Column-wise :meth:`Prior.from_unbounded`, shape ``(n, k)``."""
        U = self._2d(U)
        X = U.copy()
        jl, ju, ji = self._j_lower, self._j_upper, self._j_interval
        with np.errstate(over="ignore"):
            if jl.size:
                X[:, jl] = self._lo[jl] + np.exp(U[:, jl])
            if ju.size:
                X[:, ju] = self._hi[ju] - np.exp(U[:, ju])
            if ji.size:
                X[:, ji] = self._lo[ji] + self._width * _sp.expit(U[:, ji])
        return X

    def log_jacobian(self, U) -> np.ndarray:
        """Sum over parameters of :meth:`Prior.log_jacobian`, shape ``(n,)``."""
        U = self._2d(U)
        out = np.zeros(U.shape[0])
        jl, ju, ji = self._j_lower, self._j_upper, self._j_interval
        if jl.size:
            out += U[:, jl].sum(axis=1)
        if ju.size:
            out += U[:, ju].sum(axis=1)
        if ji.size:
            ui = U[:, ji]
            out += self._log_width_sum + np.sum(_sp.log_expit(ui) + _sp.log_expit(-ui), axis=1)
        return out

    def describe(self) -> list[dict]:
        """JSON-ready description of every prior."""
        return [p.describe() for p in self.priors]


# --------------------------------------------------------------------------- posterior


def _finite_or_none(x):
    x = float(x)
    return x if math.isfinite(x) else None


def _jsonable(obj):
    """Recursively convert numpy types, tuples and non-finite floats (→ None) for JSON."""
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _jsonable(obj.tolist())
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        return _finite_or_none(obj)
    if obj is None or isinstance(obj, str):
        return obj
    return str(obj)


def _float_dict(d, names) -> dict[str, float]:
    return {n: (math.nan if d.get(n) is None else float(d[n])) for n in names}


@dataclass(frozen=True, eq=False)
class Posterior:
    """Posterior draws and their diagnostics, as returned by :func:`sample_posterior`.

    Attributes
    ----------
    names : tuple of str
        Parameter names, in column order.
    samples : ndarray, shape (n, k)
        Post-burn-in, thinned draws in natural units (``chains`` flattened walker by
        walker).
    chains : ndarray, shape (n_walkers, n_steps_kept, k)
        The same draws per walker [natural units].
    loglik : ndarray, shape (n,)
        Log-likelihood of each draw in ``samples``.
    rhat : dict of str to float
        Rank-normalised split R-hat per parameter.
    ess_bulk, ess_tail : dict of str to float
        Bulk and tail effective sample sizes [draws] per parameter.
    autocorr : dict of str to float
        Integrated autocorrelation time [steps] per parameter.
    converged : bool
        Whether every diagnostic passed its threshold.
    n_evaluations : int
        Number of parameter vectors passed to the log-likelihood.
    seconds : float
        Wall-clock time of the sampling [s].
    meta : dict
        Free-form provenance: sampler settings, thresholds, priors, split R-hat, etc.
    """

    names: tuple[str, ...]
    samples: np.ndarray
    chains: np.ndarray
    loglik: np.ndarray
    rhat: dict
    ess_bulk: dict
    ess_tail: dict
    autocorr: dict
    converged: bool
    n_evaluations: int
    seconds: float
    meta: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "names", tuple(self.names))

    # -- summaries
    def summary(self):
        """Per-parameter summary table.

        Returns
        -------
        pandas.DataFrame
            Columns ``name``, ``mean``, ``sd``, ``p5``, ``p50``, ``p95`` [natural units],
            ``rhat``, ``ess_bulk``, ``ess_tail`` [draws].
        """
        import pandas as pd

        s = self.samples
        q = np.percentile(s, [5, 50, 95], axis=0)
        return pd.DataFrame({
            "name": list(self.names), "mean": s.mean(axis=0),
            "sd": s.std(axis=0, ddof=1) if len(s) > 1 else np.full(len(self.names), np.nan),
            "p5": q[0], "p50": q[1], "p95": q[2],
            "rhat": [self.rhat.get(n, np.nan) for n in self.names],
            "ess_bulk": [self.ess_bulk.get(n, np.nan) for n in self.names],
            "ess_tail": [self.ess_tail.get(n, np.nan) for n in self.names],
        })

    def draws(self, n: int, rng=None) -> np.ndarray:
        """Resample ``n`` parameter vectors from the posterior.

        Without replacement when ``n`` ≤ the number of stored draws, with replacement
        otherwise.

        Parameters
        ----------
        n : int
            Number of vectors.
        rng : numpy.random.Generator, int or None
            Randomness (``None``: seed 0, reproducible).

        Returns
        -------
        ndarray, shape (n, k)
            Parameter vectors [natural units].
        """
        rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(0 if rng is None else rng)
        m = self.samples.shape[0]
        if m == 0:
            raise ValueError("the posterior holds no draws")
        idx = rng.choice(m, size=int(n), replace=int(n) > m)
        return self.samples[idx].copy()

    def failures(self) -> list[str]:
        """Human-readable list of the failing diagnostics (empty when all pass)."""
        th = self.meta.get("thresholds", {})
        max_rhat = float(th.get("max_rhat", 1.01))
        min_ess = float(th.get("min_ess", 400))
        factor = float(th.get("autocorr_factor", AUTOCORR_FACTOR))
        after = self.meta.get("steps_after_burn")
        out = []
        for n in self.names:
            parts = []
            r, e = self.rhat.get(n, math.nan), self.ess_bulk.get(n, math.nan)
            if not (r is not None and math.isfinite(r) and r <= max_rhat):
                parts.append(f"R-hat {_fmt(r)} > {max_rhat:g}")
            if not (e is not None and math.isfinite(e) and e >= min_ess):
                parts.append(f"ESS_bulk {_fmt(e, 0)} < {min_ess:g}")
            tau = self.autocorr.get(n, math.nan)
            if after is not None and not (tau is not None and math.isfinite(tau) and after >= factor * tau):
                parts.append(f"tau {_fmt(tau, 1)} steps needs {factor:g}×tau steps after burn-in, "
                             f"has {after}")
            if parts:
                out.append(f"{n}: " + ", ".join(parts))
        return out

    def require_converged(self) -> "Posterior":
        """Return ``self`` if converged, else raise :class:`NotConvergedError`.

        The one-line message names each failing parameter with its R-hat / ESS /
        autocorrelation time against the thresholds.
        """
        if self.converged:
            return self
        fails = self.failures() or ["diagnostics flagged not converged"]
        m = self.meta
        raise NotConvergedError(
            f"posterior not converged after {m.get('n_steps_total', '?')} steps × "
            f"{m.get('n_walkers', '?')} walkers (burn-in {m.get('burn', '?')}): " + "; ".join(fails))

    # -- ArviZ
    def to_inference_data(self):
        """The chains as an :class:`arviz.InferenceData` (walkers as chains).

        Returns
        -------
        arviz.InferenceData
            ``posterior`` group with one variable per parameter (dims chain, draw) and a
            ``sample_stats`` group with the log-likelihood when it matches the chains.
        """
        import arviz as az

        post = {n: self.chains[:, :, j] for j, n in enumerate(self.names)}
        w, s, _ = self.chains.shape
        stats = {"loglik": self.loglik.reshape(w, s)} if self.loglik.size == w * s else None
        return az.from_dict(posterior=post, sample_stats=stats)

    # -- files
    def save(self, path) -> Path:
        """Write the draws to ``path`` (``.npz``) and a JSON sidecar ``<path>.json``.

        The ``.npz`` holds ``samples``, ``chains`` and ``loglik`` (plain float arrays, no
        pickle); the sidecar holds the names, diagnostics, ``converged``, ``meta``, the
        array shapes and the sha256 of the ``.npz`` bytes.  Both files are written to a
        temporary name and renamed into place.

        Parameters
        ----------
        path : str or Path
            File to write (written exactly there; no extension is added).

        Returns
        -------
        Path
            ``path``.
        """
        path = Path(path)
        buf = io.BytesIO()
        np.savez(buf, samples=np.asarray(self.samples, dtype=float),
                 chains=np.asarray(self.chains, dtype=float), loglik=np.asarray(self.loglik, dtype=float))
        raw = buf.getvalue()
        side = {
            "format": FILE_FORMAT, "names": list(self.names),
            "sha256": hashlib.sha256(raw).hexdigest(),
            "shapes": {"samples": list(self.samples.shape), "chains": list(self.chains.shape),
                       "loglik": list(self.loglik.shape)},
            "rhat": self.rhat, "ess_bulk": self.ess_bulk, "ess_tail": self.ess_tail,
            "autocorr": self.autocorr, "converged": bool(self.converged),
            "n_evaluations": int(self.n_evaluations), "seconds": float(self.seconds), "meta": self.meta,
        }
        text = json.dumps(_jsonable(side), indent=1, ensure_ascii=False, allow_nan=False)
        sidecar = _sidecar(path)
        for target, data in ((path, raw), (sidecar, text.encode("utf-8"))):
            tmp = target.with_name(f".{target.name}.tmp{os.getpid()}")
            tmp.write_bytes(data)
            os.replace(tmp, target)
        return path

    @classmethod
    def load(cls, path) -> "Posterior":
        """Read a posterior written by :meth:`save`, verifying checksum and shapes.

        Parameters
        ----------
        path : str or Path
            The ``.npz`` file (its sidecar is ``<path>.json``).

        Returns
        -------
        Posterior

        Raises
        ------
        PosteriorFileError
            If a file is missing or unreadable, the checksum does not match, or the arrays
            are inconsistent with each other or with the names.
        """
        path = Path(path)
        sidecar = _sidecar(path)

        def fail(what: str, where: Path = path):
            raise PosteriorFileError(f"{where}: {what}")

        if not path.is_file():
            fail("posterior file not found")
        if not sidecar.is_file():
            fail("sidecar JSON not found (expected next to the .npz)", sidecar)
        try:
            raw = path.read_bytes()
            side = json.loads(sidecar.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
            fail(f"cannot read: {type(e).__name__}: {e}".replace("\n", " "))
        if not isinstance(side, dict) or "sha256" not in side or "names" not in side:
            fail("sidecar JSON lacks 'sha256' or 'names'", sidecar)
        if side.get("format") != FILE_FORMAT:
            fail(f"unsupported format {side.get('format')!r} (expected {FILE_FORMAT})", sidecar)
        digest = hashlib.sha256(raw).hexdigest()
        if digest != side["sha256"]:
            fail(f"sha256 mismatch (file {digest[:12]}…, sidecar {str(side['sha256'])[:12]}…): "
                 "the file was modified or belongs to another sidecar")
        try:
            with np.load(io.BytesIO(raw), allow_pickle=False) as z:
                arrays = {k: np.asarray(z[k], dtype=float) for k in ("samples", "chains", "loglik")}
        except (KeyError, ValueError, OSError, EOFError) as e:
            fail(f"not a valid posterior .npz: {type(e).__name__}: {e}".replace("\n", " "))
        names = tuple(side["names"])
        k = len(names)
        s, c, ll = arrays["samples"], arrays["chains"], arrays["loglik"]
        if s.ndim != 2 or s.shape[1] != k:
            fail(f"samples have shape {s.shape}, expected (n, {k}) for names {list(names)}")
        if c.ndim != 3 or c.shape[2] != k:
            fail(f"chains have shape {c.shape}, expected (n_walkers, n_steps, {k})")
        if c.shape[0] * c.shape[1] != s.shape[0]:
            fail(f"chains {c.shape} do not flatten to samples {s.shape}")
        if ll.shape != (s.shape[0],):
            fail(f"loglik has shape {ll.shape}, expected ({s.shape[0]},)")
        shapes = side.get("shapes", {})
        for key, arr in arrays.items():
            if key in shapes and tuple(shapes[key]) != arr.shape:
                fail(f"{key} shape {arr.shape} differs from the sidecar's {tuple(shapes[key])}")
        return cls(names=names, samples=s, chains=c, loglik=ll,
                   rhat=_float_dict(side.get("rhat", {}), names),
                   ess_bulk=_float_dict(side.get("ess_bulk", {}), names),
                   ess_tail=_float_dict(side.get("ess_tail", {}), names),
                   autocorr=_float_dict(side.get("autocorr", {}), names),
                   converged=bool(side.get("converged", False)),
                   n_evaluations=int(side.get("n_evaluations", 0)),
                   seconds=float(side.get("seconds") or 0.0), meta=dict(side.get("meta") or {}))


def _sidecar(path: Path) -> Path:
    return path.with_name(path.name + ".json")


def _fmt(x, digits: int = 3) -> str:
    if x is None or not math.isfinite(x):
        return "nan"
    return f"{x:.{digits}f}"


# --------------------------------------------------------------------------- sampler


def _diagnostics(chains: np.ndarray, chain_u: np.ndarray, names: Sequence[str]) -> dict:
    """R-hat (rank and split), ESS (bulk, tail) per parameter on ``chains`` (walkers,
    draws, k), and the emcee integrated autocorrelation time [steps] on the unthinned
    unconstrained chain ``chain_u`` (steps, walkers, k)."""
    import arviz as az
    from emcee.autocorr import integrated_time

    out = {"rhat": {}, "rhat_split": {}, "ess_bulk": {}, "ess_tail": {}, "autocorr": {}}
    enough = chains.shape[1] >= 4
    for j, n in enumerate(names):
        x = chains[:, :, j]
        if enough and np.ptp(x) > 0:
            out["rhat"][n] = float(az.rhat(x, method="rank"))
            out["rhat_split"][n] = float(az.rhat(x, method="split"))
            out["ess_bulk"][n] = float(az.ess(x, method="bulk"))
            out["ess_tail"][n] = float(az.ess(x, method="tail"))
        else:
            for key in ("rhat", "rhat_split", "ess_bulk", "ess_tail"):
                out[key][n] = math.nan
    if chain_u is None:  # the caller estimates the autocorrelation time itself
        return out
    if chain_u.shape[0] >= 2:
        # tol=0: never warn; the length condition is checked by the caller
        with np.errstate(invalid="ignore", divide="ignore"):
            tau = integrated_time(chain_u, c=5, tol=0, quiet=True)
    else:
        tau = np.full(len(names), np.nan)
    out["autocorr"] = {n: float(t) for n, t in zip(names, tau)}
    return out


#: Burn-in once the autocorrelation time τ is known [τ]: the start (best prior draws, far wider than
#: the posterior) is forgotten within a few τ; the split R-hat of what is kept checks that it was.
BURN_TAUS = 20.0


def _burn(total: int, tau) -> int:
    """Steps discarded: a third of the chain, or :data:`BURN_TAUS` × the largest τ of the last check
    when that is less (a chain that needs 100 τ after burn-in then runs ~120 τ, not 150 τ)."""
    third = total // 3
    finite = [t for t in (tau or []) if math.isfinite(t)]
    if not finite:
        return third
    return min(third, int(math.ceil(BURN_TAUS * max(finite))))


def _next_chunk(diag: dict, names, steps_after: int, max_rhat: float, n_steps: int) -> int:
    """Steps to run before the next check: what R-hat says is left (R-hat − 1 falls about as
    1 / the steps kept), with a tenth to spare, between a fifth of ``n_steps`` and ``n_steps``."""
    worst = max((diag["rhat"][n] for n in names if math.isfinite(diag["rhat"][n])), default=math.nan)
    if not math.isfinite(worst) or worst <= max_rhat or max_rhat <= 1.0:
        return n_steps
    left = steps_after * ((worst - 1.0) / (max_rhat - 1.0) - 1.0) * 1.1
    return int(min(n_steps, max(n_steps // 5, math.ceil(left))))


def _passes(diag: dict, names, steps_after: int, max_rhat: float, min_ess: float) -> bool:
    for n in names:
        r, e, t = diag["rhat"][n], diag["ess_bulk"][n], diag["autocorr"][n]
        if not (math.isfinite(r) and r <= max_rhat):
            return False
        if not (math.isfinite(e) and e >= min_ess):
            return False
        if not (math.isfinite(t) and steps_after >= AUTOCORR_FACTOR * t):
            return False
    return True


def sample_posterior(loglik: Callable[[np.ndarray], np.ndarray], priors, *, n_walkers: int | None = None,
                     n_steps: int = 2000, burn: int | None = None, thin: int = 1, seed: int = 0,
                     min_ess: float = 400, max_rhat: float = 1.01, max_steps: int = 20000,
                     init=None, progress: Callable[[int, int], None] | None = None,
                     moves: str | None = None) -> Posterior:
    """Sample the posterior ``p(θ | data) ∝ L(θ) π(θ)`` with emcee until converged.

    The ensemble runs in the unconstrained space ``u = to_unbounded(θ)`` with log density
    ``loglik(from_unbounded(u)) + priors.logpdf(θ) + log_jacobian(u)``, using the mixture of
    moves named by ``moves`` (:data:`MOVES`; default :data:`DEFAULT_MOVES`):
    ``emcee.moves.DEMove`` (weight 0.5), :func:`snooker_move` (0.1: the snooker update of ter
    Braak and Vrugt, as emcee's ``DESnookerMove`` meant it) and :func:`ensemble_t_move` (0.4: a
    Student-t independence proposal fitted to the other half of the ensemble).  On the Đồng Nai
    history the last halves the autocorrelation time (τ 117 → 67 steps) and the steps to
    convergence, with the same posterior (means and s.d. within Monte Carlo error).  It runs
    ``n_steps`` steps, then checks convergence on the post-burn-in chains and extends (by what
    R-hat says is left, at most ``n_steps``) until converged or ``max_steps`` is reached (see
    the module docstring for the three conditions).  Not converging is not an error: the result has
    ``converged=False``; call :meth:`Posterior.require_converged` to insist.

    Parameters
    ----------
    loglik : callable
        ``loglik(X)`` with ``X`` of shape ``(n, k)`` in natural units returns the
        log-likelihood of each row, shape ``(n,)``.  It is called with many rows at once
        (vectorised; only rows inside the prior bounds are passed).  NaN is treated as
        ``-inf``; ``+inf`` is an error.
    priors : PriorSet or iterable of Prior
        The priors; their order is the column order of ``X``.
    n_walkers : int, optional
        Ensemble size; default ``max(4k, 24)`` rounded up to even (``len(init)`` when
        ``init`` is given).  Must be even and ≥ ``2k``.
    n_steps : int
        Steps per chunk [steps].
    burn : int, optional
        Steps discarded as burn-in [steps]; default a third of the chain run so far, or
        :data:`BURN_TAUS` autocorrelation times once those are estimated and fewer (the split
        R-hat on what is kept checks that the rest is stationary).  Between checks the chain
        runs what R-hat says is left (at most ``n_steps``).
    thin : int
        Keep every ``thin``-th step after burn-in.
    seed : int
        Seed of the initialisation and of emcee's random state.
    min_ess : float
        Required bulk ESS [draws] for every parameter.
    max_rhat : float
        Largest accepted rank-normalised split R-hat.
    max_steps : int
        Largest total chain length [steps].
    init : array_like, shape (n_walkers, k), optional
        Starting positions [natural units], strictly inside the bounds with finite
        posterior density.  By default a pool of ``max(8 n_walkers, 256)`` prior draws is
        evaluated and the ``n_walkers`` draws with the highest posterior density are
        kept: dispersed like the prior, but out of its regions the data rule out.
    progress : callable, optional
        ``progress(steps_done, max_steps)`` called about 20 times per chunk.

    Returns
    -------
    Posterior
    """
    import emcee

    t0 = time.perf_counter()
    if not isinstance(priors, PriorSet):
        priors = PriorSet(priors)
    names, k = priors.names, len(priors)
    n_steps, max_steps, thin = int(n_steps), int(max_steps), int(thin)
    if n_steps < 1 or max_steps < 1 or thin < 1:
        raise ValueError("n_steps, max_steps and thin must be at least 1")
    if burn is not None and not 0 <= int(burn) < max_steps:
        raise ValueError(f"burn must lie in [0, max_steps), got {burn}")
    X0 = None
    if init is not None:
        X0 = np.asarray(init, dtype=float)
        if X0.ndim != 2 or X0.shape[1] != k:
            raise ValueError(f"init must have shape (n_walkers, {k}), got {X0.shape}")
        if n_walkers is None:
            n_walkers = X0.shape[0]
    if n_walkers is None:
        n_walkers = max(4 * k, 24)
        n_walkers += n_walkers % 2
    n_walkers = int(n_walkers)
    if n_walkers % 2 or n_walkers < 2 * k or n_walkers < 4:
        raise ValueError(f"n_walkers must be even, ≥ 4 and ≥ 2k = {2 * k}; got {n_walkers}")
    if X0 is not None and X0.shape[0] != n_walkers:
        raise ValueError(f"init has {X0.shape[0]} rows but n_walkers is {n_walkers}")

    n_eval = 0

    def log_post(U: np.ndarray) -> np.ndarray:
        nonlocal n_eval
        U = np.atleast_2d(U)
        X = priors.from_unbounded(U)
        lp = priors.logpdf(X) + priors.log_jacobian(U)
        ok = np.isfinite(lp)
        ll = np.full(U.shape[0], -np.inf)
        if ok.any():
            val = np.asarray(loglik(X[ok]), dtype=float)
            if val.shape != (int(ok.sum()),):
                raise ValueError(f"loglik returned shape {val.shape} for {int(ok.sum())} rows; "
                                 "expected one value per row")
            if np.any(val == np.inf):
                raise ValueError("loglik returned +inf")
            n_eval += int(ok.sum())
            ll[ok] = np.where(np.isnan(val), -np.inf, val)
        total = np.where(ok, lp + ll, -np.inf)
        total = np.where(np.isnan(total), -np.inf, total)
        return np.column_stack([total, ll])  # emcee: column 0 log-prob, column 1 a blob

    rng = np.random.default_rng(seed)
    if X0 is None:
        pool = priors.sample(rng, max(8 * n_walkers, 256))
        U_pool = priors.to_unbounded(pool)
        res = log_post(U_pool)
        good = np.flatnonzero(np.isfinite(res[:, 0]))
        if good.size < n_walkers:
            raise ValueError(f"only {good.size} of {len(pool)} prior draws have a finite posterior "
                             f"density; need {n_walkers} (pass init=)")
        best = good[np.argsort(-res[good, 0], kind="stable")[:n_walkers]]
        U0, res0 = U_pool[best], res[best]
        init_how = f"best {n_walkers} of {len(pool)} prior draws by posterior density"
    else:
        U0 = priors.to_unbounded(X0)
        res0 = log_post(U0)
        if not np.all(np.isfinite(res0[:, 0])) or not np.all(np.isfinite(U0)):
            bad = np.flatnonzero(~np.isfinite(res0[:, 0]) | ~np.all(np.isfinite(U0), axis=1))
            raise ValueError(f"init rows {bad[:10].tolist()} are outside the bounds or have zero posterior density")
        init_how = "user init"

    moves = DEFAULT_MOVES if moves is None else moves
    move_list = _moves(moves)
    sampler = emcee.EnsembleSampler(n_walkers, k, log_post, moves=move_list, vectorize=True)
    state = emcee.State(U0, log_prob=res0[:, 0].copy(), blobs=res0[:, 1].copy(),
                        random_state=np.random.RandomState(seed).get_state())

    total = 0
    first = True
    diag = None
    converged = False
    b = 0
    chunk_next = n_steps
    while total < max_steps:
        chunk = min(chunk_next, max_steps - total)
        every = max(1, chunk // 20)
        done_here = 0
        for state in sampler.sample(state, iterations=chunk, skip_initial_state_check=not first):
            done_here += 1
            if progress is not None and (done_here % every == 0 or done_here == chunk):
                progress(total + done_here, max_steps)
        first = False
        total += chunk
        hint = None if diag is None else [diag["autocorr"][n] for n in names]
        b = int(burn) if burn is not None else _burn(total, hint)
        if b >= total:
            continue
        diag = _chain_diagnostics(sampler, priors, b, thin, hint, max_rhat, min_ess)
        converged = _passes(diag, names, total - b, max_rhat, min_ess)
        if converged:
            break
        chunk_next = _next_chunk(diag, names, total - b, max_rhat, n_steps)
    if diag is None:  # burn never reached (cannot happen with the burn check above)
        raise ValueError("no post-burn-in steps")
    if not converged:  # report the autocorrelation time of the chains as they ended
        diag = _chain_diagnostics(sampler, priors, b, thin)

    chain_u = sampler.get_chain(discard=b, thin=thin)  # (steps, walkers, k)
    s_kept = chain_u.shape[0]
    X = priors.from_unbounded(chain_u.reshape(-1, k)).reshape(s_kept, n_walkers, k)
    chains = np.ascontiguousarray(X.transpose(1, 0, 2))
    ll = sampler.get_blobs(discard=b, thin=thin).reshape(s_kept, n_walkers).T.reshape(-1)
    meta = {
        "sampler": "emcee.EnsembleSampler", "emcee_version": emcee.__version__,
        "moves": {"mixture": moves, **{_MOVE_LABELS[m]: w for m, w in MOVES[moves]}},
        "space": "unconstrained (log/logit/identity)",
        "n_walkers": n_walkers, "n_steps_total": total, "chunk_steps": n_steps, "burn": b, "thin": thin,
        "steps_after_burn": total - b, "seed": seed, "init": init_how,
        "thresholds": {"max_rhat": max_rhat, "min_ess": min_ess, "autocorr_factor": AUTOCORR_FACTOR,
                       "max_steps": max_steps},
        "rhat_method": "arviz rank-normalised split R-hat, walkers as chains",
        "diagnostics_thin": int(diag.get("thin", thin)),
        "rhat_split": diag["rhat_split"],
        "acceptance_fraction": float(np.mean(sampler.acceptance_fraction)),
        "priors": priors.describe(),
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
    }
    post = Posterior(names=names, samples=chains.reshape(-1, k), chains=chains, loglik=ll,
                     rhat=diag["rhat"], ess_bulk=diag["ess_bulk"], ess_tail=diag["ess_tail"],
                     autocorr=diag["autocorr"], converged=bool(converged), n_evaluations=n_eval,
                     seconds=time.perf_counter() - t0, meta=meta)
    post.meta["failures"] = post.failures()
    return post


_SNOOKER = None
_INDEPENDENT = None

#: The move mixtures :func:`sample_posterior` knows (name -> [(move factory, weight)]).
MOVES = {
    "de+snooker": (("DEMove", 0.8), ("SnookerMove", 0.2)),
    "de+snooker+ensemble-t": (("DEMove", 0.5), ("SnookerMove", 0.1), ("EnsembleTMove", 0.4)),
}


_MOVE_LABELS = {"DEMove": "DEMove",
                "SnookerMove": "SnookerMove (ocop_sim.bayes; emcee's DESnookerMove of 3.1.6 corrected)",
                "EnsembleTMove": "EnsembleTMove (ocop_sim.bayes: Student-t independence proposal from the other half)"}

#: The mixture :func:`sample_posterior` uses unless told otherwise.
DEFAULT_MOVES = "de+snooker+ensemble-t"


def _moves(name: str) -> list:
    import emcee

    if name not in MOVES:
        raise ValueError(f"moves: expected one of {', '.join(MOVES)}, got {name!r}")
    make = {"DEMove": emcee.moves.DEMove, "SnookerMove": snooker_move, "EnsembleTMove": ensemble_t_move}
    return [(make[m](), w) for m, w in MOVES[name]]


def ensemble_t_move(df: float = 5.0, scale: float = 1.0):
    """An independence proposal fitted to the other half of the ensemble, as an emcee move.

    While one half of the ensemble moves, the other half is held fixed (the red-blue scheme of
    every emcee move); its mean ``m`` and covariance ``Σ`` define a multivariate Student-t
    ``g = t_ν(m, scale²·Σ)``.  Each moving walker ``s`` proposes ``q ~ g`` independently of ``s``
    and is accepted with ``π(q) g(s) / (π(s) g(q))`` (log factor ``log g(s) − log g(q)``): a
    Metropolis-Hastings independence sampler whose proposal does not depend on the walkers that
    move, so detailed balance holds as for emcee's ``KDEMove`` (which draws from NumPy's global
    random state and so cannot be seeded through the sampler; this move uses the sampler's).
    Where the posterior is close to normal on the unconstrained scale, proposals land anywhere
    in it at once: the autocorrelation time falls from tens of steps (differential evolution) to
    a few; where it is not, its acceptance falls and the other moves carry the chain.  The heavy
    tails (``df``) keep ``g(s)`` from vanishing for walkers in the posterior's tails.
    """
    global _INDEPENDENT
    if _INDEPENDENT is None:
        from emcee.moves.red_blue import RedBlueMove

        class EnsembleTMove(RedBlueMove):
            def __init__(self, df: float = 5.0, scale: float = 1.0, **kwargs):
                self.df, self.scale = float(df), float(scale)
                kwargs.setdefault("nsplits", 2)
                super().__init__(**kwargs)

            def get_proposal(self, s, c, random):
                ns, d = s.shape
                c = np.concatenate(c, axis=0)
                m = c.mean(axis=0)
                cov = np.atleast_2d(np.cov(c, rowvar=False)) * self.scale ** 2
                cov = cov + np.eye(d) * (1e-12 * max(float(np.trace(cov)) / d, 1e-300))
                try:
                    L = np.linalg.cholesky(cov)
                except np.linalg.LinAlgError:  # a degenerate ensemble: propose nothing new
                    return s.copy(), np.full(ns, -np.inf)
                z = random.standard_normal((ns, d)) @ L.T
                w = random.chisquare(self.df, ns) / self.df
                q = m + z / np.sqrt(w)[:, None]

                def log_g(x):  # up to a constant: the same for s and q
                    y = np.linalg.solve(L, (x - m).T)
                    return -0.5 * (self.df + d) * np.log1p((y * y).sum(axis=0) / self.df)

                return q, log_g(s) - log_g(q)

        _INDEPENDENT = EnsembleTMove
    return _INDEPENDENT(df, scale)



def snooker_move(gamma: float = 1.7):
    """The differential-evolution snooker update of ter Braak and Vrugt (2008) as an emcee move,
    vectorised over the walkers.

    emcee 3.1.6 (the latest release, 05/2024) ships ``DESnookerMove`` with two errors: the
    direction ``u = δ/√‖δ‖`` is not a unit vector, and the acceptance factor is ``½(d−1)``
    instead of ``d−1`` (fixed upstream after the release, dfm/emcee pull request #531,
    12/2024).  The proposal then breaks detailed balance: used alone on a 6-dimensional
    correlated normal it returned variances ~0.68 of the truth; this move returns them within
    sampling error (``tests/test_bayes.py::test_the_snooker_move_samples_a_correlated_normal``).

    For each walker ``s`` of one half of the ensemble: three distinct walkers ``z, z1, z2`` of
    the other half (in random roles), ``u = (s − z)/‖s − z‖``, proposal
    ``q = s + γ u·(u·(z1 − z2))``, log acceptance factor ``(d − 1)·log(‖q − z‖/‖s − z‖)``.  The
    other half is held fixed while one half moves, as in every red-blue move; emcee splits the
    ensemble in quarters for this move (four model calls per step), the halves used here cost
    two, like the DE move.
    """
    global _SNOOKER
    if _SNOOKER is None:
        from emcee.moves.red_blue import RedBlueMove

        class SnookerMove(RedBlueMove):
            def __init__(self, gammas: float = 1.7, **kwargs):
                self.gammas = float(gammas)
                kwargs.setdefault("nsplits", 2)
                super().__init__(**kwargs)

            def get_proposal(self, s, c, random):
                ns, ndim = s.shape
                c = np.concatenate(c, axis=0)
                # three distinct walkers of the complementary set, in random roles z, z1, z2
                w = c[np.argsort(random.rand(ns, len(c)), axis=1)[:, :3]]
                z, z1, z2 = w[:, 0], w[:, 1], w[:, 2]
                delta = s - z
                # a walker on top of z (‖δ‖ = 0) proposes NaN, which the sampler rejects
                with np.errstate(divide="ignore", invalid="ignore"):
                    norm = np.linalg.norm(delta, axis=1)
                    u = delta / norm[:, None]
                    q = s + self.gammas * u * np.einsum("ij,ij->i", u, z1 - z2)[:, None]
                    factor = (ndim - 1.0) * (np.log(np.linalg.norm(q - z, axis=1)) - np.log(norm))
                return q, factor

        _SNOOKER = SnookerMove
    return _SNOOKER(gamma)


#: R-hat and ESS are computed on the chains thinned to about this many draws per autocorrelation
#: time: rank-normalising and sorting 10⁶ draws per parameter at every check cost more than the
#: model runs, while thinning within τ loses almost no information (an ESS computed on the
#: thinned chain can only be lower: the check stays conservative).
DIAG_DRAWS_PER_TAU = 4


def _chain_diagnostics(sampler, priors: PriorSet, burn: int, thin: int, tau_hint=None,
                       max_rhat: float = math.inf, min_ess: float = 0.0) -> dict:
    """R-hat and ESS on the post-burn-in chains thinned to :data:`DIAG_DRAWS_PER_TAU` draws per
    autocorrelation time (``tau_hint``, the last estimate, while there is one), and the
    autocorrelation time on the unthinned chain — computed only when R-hat and ESS pass (or
    there is no estimate yet): a check that fails on R-hat does not need it."""
    from emcee.autocorr import integrated_time

    k = len(priors)
    chain_u_all = sampler.get_chain(discard=burn)  # unthinned, for the autocorrelation time

    def tau_of() -> np.ndarray:
        if chain_u_all.shape[0] < 2:
            return np.full(k, np.nan)
        with np.errstate(invalid="ignore", divide="ignore"):
            return integrated_time(chain_u_all, c=5, tol=0, quiet=True)

    tau = None if tau_hint is None else np.asarray(tau_hint, float)
    if tau is None:
        tau = tau_of()
        fresh = True
    else:
        fresh = False
    finite = tau[np.isfinite(tau)]
    step = max(int(thin), int(finite.min() // DIAG_DRAWS_PER_TAU) if finite.size else 1, 1)
    chain_u = chain_u_all[::step]
    s, w = chain_u.shape[:2]
    X = priors.from_unbounded(chain_u.reshape(-1, k)).reshape(s, w, k).transpose(1, 0, 2)
    out = _diagnostics(X, None, priors.names)
    passing = all(math.isfinite(out["rhat"][n]) and out["rhat"][n] <= max_rhat
                  and math.isfinite(out["ess_bulk"][n]) and out["ess_bulk"][n] >= min_ess for n in priors.names)
    if not fresh and passing:
        tau = tau_of()
    out["autocorr"] = {n: float(t) for n, t in zip(priors.names, tau)}
    out["thin"] = step
    return out


# --------------------------------------------------------------------------- plots


def _pyplot():
    """Import pyplot, selecting the non-interactive Agg backend unless a backend was
    already chosen (pyplot imported, or ``MPLBACKEND`` set, e.g. by Jupyter)."""
    import matplotlib

    if "matplotlib.pyplot" not in sys.modules and not os.environ.get("MPLBACKEND"):
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_trace(posterior: Posterior, ax=None):
    """Trace and density plot of every parameter (``arviz.plot_trace``), walkers as chains.

    Parameters
    ----------
    posterior : Posterior
    ax : ndarray of matplotlib Axes, shape (k, 2), optional
        Axes to draw on; new figure if omitted.

    Returns
    -------
    ndarray of matplotlib Axes
    """
    import arviz as az

    _pyplot()
    return az.plot_trace(posterior.to_inference_data(), var_names=list(posterior.names), axes=ax,
                         compact=False)


def plot_pair(posterior: Posterior, ax=None):
    """Pairwise scatter plots of the parameters (``arviz.plot_pair``).

    Parameters
    ----------
    posterior : Posterior
        Needs at least two parameters.
    ax : matplotlib Axes or ndarray of Axes, optional
        Axes to draw on; new figure if omitted.

    Returns
    -------
    matplotlib Axes or ndarray of Axes
    """
    import arviz as az

    if len(posterior.names) < 2:
        raise ValueError("plot_pair needs at least two parameters")
    _pyplot()
    return az.plot_pair(posterior.to_inference_data(), var_names=list(posterior.names), ax=ax,
                        kind="scatter", marginals=False)
