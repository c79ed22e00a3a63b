"""Forecast scoring: interval coverage, interval score, CRPS, PIT, reliability and bias.

Pure numpy functions (pandas only for the tabular :func:`reliability`).  Forecasts are
given either as Monte Carlo samples, an array ``samples`` of shape ``(n_obs, n_draws)``
whose row ``i`` holds draws of the predictive distribution of observation ``i``, or in
closed form (:func:`crps_normal`).  ``actual`` is the observed value of each observation,
shape ``(n_obs,)``, in the same units as the samples.

Repeated reports of one quantity (for instance several press reports of the same
cumulative count a few weeks apart) are not independent tests of a forecast;
:func:`collapse_repeats` groups them and :func:`collapsed_coverage` counts each group once.

References
----------
.. [GR2007] Gneiting, T. and Raftery, A. E. (2007). Strictly proper scoring rules,
   prediction, and estimation. *Journal of the American Statistical Association*,
   102(477), 359-378.
.. [G2005] Gneiting, T., Raftery, A. E., Westveld, A. H. and Goldman, T. (2005).
   Calibrated probabilistic forecasting using ensemble model output statistics and
   minimum CRPS estimation. *Monthly Weather Review*, 133(5), 1098-1118.
.. [CGH2009] Czado, C., Gneiting, T. and Held, L. (2009). Predictive model assessment for
   count data. *Biometrics*, 65(4), 1254-1261.
.. [BS1950] Brier, G. W. (1950). Verification of forecasts expressed in terms of
   probability. *Monthly Weather Review*, 78(1), 1-3.
.. [BS2007] Bröcker, J. and Smith, L. A. (2007). Increasing the reliability of
   reliability diagrams. *Weather and Forecasting*, 22(3), 651-661.

Longer than 400 lines because each forecast score (coverage, interval score, CRPS, PIT, reliability,
bias) is a documented numpy function with its own checks of shapes and levels.
"""
from __future__ import annotations

from collections.abc import Hashable, Sequence

import numpy as np

__all__ = [
    "interval_coverage", "coverage_table", "interval_score", "crps_samples", "crps_normal",
    "pit", "pit_histogram", "reliability", "brier_score", "collapse_repeats",
    "collapsed_coverage", "bias",
]

#: Tolerance [years] added to ``window_years`` in :func:`collapse_repeats` so that decimal
#: years that differ by exactly the window (up to floating error) are merged.
_TIME_EPS = 1e-9


def _samples_actual(samples, actual) -> tuple[np.ndarray, np.ndarray]:
    """Validate and coerce ``samples`` to ``(n_obs, n_draws)`` and ``actual`` to ``(n_obs,)``."""
    s = np.asarray(samples, dtype=float)
    y = np.asarray(actual, dtype=float)
    if s.ndim == 1 and y.ndim == 0:  # one observation given as a plain vector of draws
        s, y = s[None, :], y[None]
    if s.ndim != 2:
        raise ValueError(f"samples must have shape (n_obs, n_draws), got {s.shape}")
    if y.ndim != 1 or y.shape[0] != s.shape[0]:
        raise ValueError(f"actual must have shape ({s.shape[0]},), got {y.shape}")
    if s.shape[1] < 1:
        raise ValueError("samples need at least one draw per observation")
    if not np.all(np.isfinite(s)):
        raise ValueError("samples contain NaN or infinite values")
    return s, y


def _check_level(level: float) -> float:
    level = float(level)
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must lie in (0, 1), got {level}")
    return level


def interval_coverage(samples, actual, level: float) -> np.ndarray:
    """Whether each actual value lies in the central ``level`` interval of its forecast.

    The interval is ``[q((1 - level)/2), q((1 + level)/2)]`` with ``q`` the sample quantile
    of the draws (linear interpolation, numpy's default), closed at both ends:

    .. math:: \\mathrm{hit}_i = 1\\{l_i \\le y_i \\le u_i\\}.

    Parameters
    ----------
    samples : ndarray, shape (n_obs, n_draws)
        Predictive draws [units of the quantity].
    actual : ndarray, shape (n_obs,)
        Observed values [units of the quantity]; NaN gives ``False``.
    level : float
        Nominal central coverage [fraction], in (0, 1), e.g. 0.8.

    Returns
    -------
    ndarray of bool, shape (n_obs,)
        ``True`` where the actual value is inside its interval.

    References
    ----------
    Gneiting and Raftery (2007), section 6.2 [GR2007]_.
    """
    s, y = _samples_actual(samples, actual)
    level = _check_level(level)
    lo, hi = np.quantile(s, [(1.0 - level) / 2.0, (1.0 + level) / 2.0], axis=1)
    return (y >= lo) & (y <= hi)


def coverage_table(samples, actual, levels: Sequence[float] = (0.5, 0.8, 0.95)) -> dict[str, float]:
    """Empirical coverage of the central intervals at several levels.

    Parameters
    ----------
    samples : ndarray, shape (n_obs, n_draws)
        Predictive draws [units of the quantity].
    actual : ndarray, shape (n_obs,)
        Observed values [units of the quantity].
    levels : sequence of float
        Nominal levels [fraction].

    Returns
    -------
    dict of str to float
        Fraction of observations inside the interval [fraction], keyed by the level in
        percent without the sign (``"50"``, ``"80"``, ``"95"``; ``"97.5"`` for 0.975).
    """
    out = {}
    for level in levels:
        key = f"{100.0 * float(level):g}"
        out[key] = float(np.mean(interval_coverage(samples, actual, level)))
    return out


def interval_score(lower, upper, actual, alpha) -> np.ndarray:
    """Interval score of central ``(1 - alpha)`` prediction intervals (lower is better).

    Gneiting and Raftery (2007), eq. 43 [GR2007]_:

    .. math:: S_\\alpha(l, u; y) = (u - l) + \\frac{2}{\\alpha}(l - y)\\,1\\{y < l\\}
              + \\frac{2}{\\alpha}(y - u)\\,1\\{y > u\\}.

    Parameters
    ----------
    lower, upper : array_like
        Interval bounds [units of the quantity]; broadcast against each other.
    actual : array_like
        Observed values [units of the quantity].
    alpha : float or array_like
        One minus the nominal coverage [fraction], in (0, 1) (0.2 for an 80 % interval).

    Returns
    -------
    ndarray
        The score [units of the quantity], broadcast shape of the inputs.
    """
    lo = np.asarray(lower, dtype=float)
    hi = np.asarray(upper, dtype=float)
    y = np.asarray(actual, dtype=float)
    a = np.asarray(alpha, dtype=float)
    if np.any((a <= 0) | (a >= 1)):
        raise ValueError("alpha must lie in (0, 1)")
    if np.any(hi < lo):
        raise ValueError("upper must not be below lower")
    return (hi - lo) + (2.0 / a) * np.maximum(lo - y, 0.0) + (2.0 / a) * np.maximum(y - hi, 0.0)


def crps_samples(samples, actual, *, fair: bool = False) -> np.ndarray:
    """Continuous ranked probability score of a sample forecast (lower is better).

    Energy form (Gneiting and Raftery 2007, eq. 21 [GR2007]_):

    .. math:: \\mathrm{CRPS}(F, y) = E|X - y| - \\tfrac12 E|X - X'|,

    with ``X, X'`` independent draws of ``F``.  With the ``m`` draws sorted,
    ``x_(1) <= ... <= x_(m)``, the second term is computed in O(m log m) from

    .. math:: \\sum_{i,j} |x_i - x_j| = 2 \\sum_{i=1}^m (2i - m - 1)\\, x_{(i)}.

    Parameters
    ----------
    samples : ndarray, shape (n_obs, n_draws)
        Predictive draws [units of the quantity]; a 1-D array with a scalar ``actual`` is
        one observation.
    actual : ndarray, shape (n_obs,)
        Observed values [units of the quantity].
    fair : bool
        ``False`` (default): the CRPS of the empirical distribution of the draws (the
        pairwise mean divides by ``m**2``).  ``True``: the unbiased "fair" estimator of the
        CRPS of the underlying distribution (divides by ``m (m - 1)``; needs ``m >= 2``).

    Returns
    -------
    ndarray, shape (n_obs,)
        CRPS [units of the quantity].
    """
    s, y = _samples_actual(samples, actual)
    m = s.shape[1]
    if fair and m < 2:
        raise ValueError("the fair CRPS needs at least two draws")
    term1 = np.mean(np.abs(s - y[:, None]), axis=1)
    xs = np.sort(s, axis=1)
    w = 2.0 * np.arange(1, m + 1) - m - 1.0
    pair_sum = 2.0 * (xs @ w)  # sum over all ordered pairs of |x_i - x_j|
    denom = m * (m - 1.0) if fair else float(m) * m
    return term1 - 0.5 * pair_sum / denom


def crps_normal(mu, sigma, y) -> np.ndarray:
    """Closed-form CRPS of a normal forecast ``N(mu, sigma**2)``.

    Gneiting et al. (2005), eq. 5 [G2005]_, with ``z = (y - mu) / sigma``:

    .. math:: \\mathrm{CRPS}(N(\\mu, \\sigma^2), y) = \\sigma \\left[ z\\,(2\\Phi(z) - 1)
              + 2\\varphi(z) - \\frac{1}{\\sqrt{\\pi}} \\right].

    At ``y = mu`` this is ``sigma (2 phi(0) - 1/sqrt(pi)) = sigma (sqrt(2) - 1)/sqrt(pi)``
    ``≈ 0.2337 sigma``.

    Parameters
    ----------
    mu : array_like
        Forecast mean [units of the quantity].
    sigma : array_like
        Forecast standard deviation [units of the quantity], > 0.
    y : array_like
        Observed values [units of the quantity].

    Returns
    -------
    ndarray
        CRPS [units of the quantity], broadcast shape of the inputs.
    """
    from scipy.special import ndtr

    mu = np.asarray(mu, dtype=float)
    sigma = np.asarray(sigma, dtype=float)
    y = np.asarray(y, dtype=float)
    if np.any(sigma <= 0):
        raise ValueError("sigma must be positive")
    z = (y - mu) / sigma
    phi = np.exp(-0.5 * z * z) / np.sqrt(2.0 * np.pi)
    return sigma * (z * (2.0 * ndtr(z) - 1.0) + 2.0 * phi - 1.0 / np.sqrt(np.pi))


def _rng(rng) -> np.random.Generator:
    if isinstance(rng, np.random.Generator):
        return rng
    return np.random.default_rng(0 if rng is None else rng)


def pit(samples, actual, rng=None) -> np.ndarray:
    """Randomised probability integral transform of each actual value.

    With ``m`` draws, ``L`` of them below ``y`` and ``E`` equal to ``y``, and
    ``V ~ U(0, 1)``:

    .. math:: u = \\frac{L + V\\,(E + 1)}{m + 1}.

    If ``y`` and the draws are exchangeable (a calibrated forecast) ``u`` is exactly
    uniform on [0, 1], ties included (randomised PIT, Czado, Gneiting and Held 2009
    [CGH2009]_; the ``m + 1`` denominator is the rank-histogram convention).  A U-shaped
    histogram means an overconfident (too narrow) forecast, a hump an underconfident one,
    a slope a bias.

    Parameters
    ----------
    samples : ndarray, shape (n_obs, n_draws)
        Predictive draws [units of the quantity].
    actual : ndarray, shape (n_obs,)
        Observed values [units of the quantity].
    rng : numpy.random.Generator, int or None
        Randomness for the ties; ``None`` uses a fixed seed (0) so results are
        reproducible.

    Returns
    -------
    ndarray, shape (n_obs,)
        PIT values [fraction] in [0, 1].
    """
    s, y = _samples_actual(samples, actual)
    m = s.shape[1]
    below = np.sum(s < y[:, None], axis=1)
    equal = np.sum(s == y[:, None], axis=1)
    v = _rng(rng).random(s.shape[0])
    return (below + v * (equal + 1.0)) / (m + 1.0)


def pit_histogram(pit_values, bins: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """Histogram of PIT values on [0, 1] with equal-width bins.

    Parameters
    ----------
    pit_values : array_like
        PIT values [fraction] in [0, 1].
    bins : int
        Number of bins.

    Returns
    -------
    counts : ndarray of int, shape (bins,)
        Number of values per bin.
    edges : ndarray, shape (bins + 1,)
        Bin edges [fraction].
    """
    u = np.asarray(pit_values, dtype=float).ravel()
    if np.any((u < 0) | (u > 1)) or np.any(~np.isfinite(u)):
        raise ValueError("PIT values must lie in [0, 1]")
    counts, edges = np.histogram(u, bins=int(bins), range=(0.0, 1.0))
    return counts, edges


def _prob_outcome(probabilities, outcomes) -> tuple[np.ndarray, np.ndarray]:
    p = np.asarray(probabilities, dtype=float).ravel()
    o = np.asarray(outcomes, dtype=float).ravel()
    if p.shape != o.shape:
        raise ValueError(f"probabilities {p.shape} and outcomes {o.shape} differ in shape")
    if np.any((p < 0) | (p > 1)) or np.any(~np.isfinite(p)):
        raise ValueError("probabilities must lie in [0, 1]")
    if np.any((o != 0) & (o != 1)):
        raise ValueError("outcomes must be 0/1 or boolean")
    return p, o


def reliability(probabilities, outcomes, bins: int = 5):
    """Reliability table of probability forecasts of binary events.

    The forecasts are grouped in ``bins`` equal-width bins of [0, 1] (the last bin closed);
    a calibrated forecast has observed frequency ≈ mean forecast in every bin (Bröcker and
    Smith 2007 [BS2007]_).

    Parameters
    ----------
    probabilities : array_like
        Forecast probabilities [fraction] in [0, 1].
    outcomes : array_like of bool or 0/1
        Whether each event happened.
    bins : int
        Number of bins.

    Returns
    -------
    pandas.DataFrame
        One row per bin, empty bins included: ``bin`` (index), ``lower``, ``upper``
        [fraction], ``mean_forecast`` [fraction], ``observed_frequency`` [fraction] (NaN
        when the bin is empty) and ``n`` (number of forecasts).
    """
    import pandas as pd

    p, o = _prob_outcome(probabilities, outcomes)
    bins = int(bins)
    if bins < 1:
        raise ValueError("bins must be at least 1")
    edges = np.linspace(0.0, 1.0, bins + 1)
    idx = np.clip(np.searchsorted(edges, p, side="right") - 1, 0, bins - 1)
    n = np.bincount(idx, minlength=bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_f = np.bincount(idx, weights=p, minlength=bins) / n
        freq = np.bincount(idx, weights=o, minlength=bins) / n
    return pd.DataFrame({"bin": np.arange(bins), "lower": edges[:-1], "upper": edges[1:],
                         "mean_forecast": mean_f, "observed_frequency": freq, "n": n})


def brier_score(probabilities, outcomes) -> float:
    """Brier score (Brier 1950 [BS1950]_): mean squared error of probability forecasts.

    .. math:: \\mathrm{BS} = \\frac1n \\sum_i (p_i - o_i)^2.

    Parameters
    ----------
    probabilities : array_like
        Forecast probabilities [fraction] in [0, 1].
    outcomes : array_like of bool or 0/1
        Whether each event happened.

    Returns
    -------
    float
        Brier score [fraction²], 0 (perfect) to 1.
    """
    p, o = _prob_outcome(probabilities, outcomes)
    if p.size == 0:
        raise ValueError("no forecasts to score")
    return float(np.mean((p - o) ** 2))


def collapse_repeats(obs_keys: list[Hashable], window_years: float = 0.25,
                     times=None) -> list[list[int]]:
    """Group repeated observations of one quantity so that they count once.

    Observations with equal keys (e.g. ``(scope, metric, counting)``) are sorted by time
    and chained: an observation joins the current group when it lies within
    ``window_years`` of the previous one (single-linkage clustering, so the rule is
    transitive and a group may span more than ``window_years`` when the reports follow
    each other closely); a gap larger than ``window_years`` starts a new group.  Different
    keys are never merged.  Without ``times`` every key forms one group.

    Parameters
    ----------
    obs_keys : list of hashable
        Key of each observation.
    window_years : float
        Largest gap [years] between consecutive reports of one group, >= 0.
    times : array_like or None
        Time of each observation [decimal years], e.g. 2025.49.

    Returns
    -------
    list of list of int
        A partition of ``range(len(obs_keys))``: each group's indices ascending, the
        groups ordered by their first index.

    Examples
    --------
    >>> collapse_repeats(["a", "a", "b", "a"], 0.25, [2025.0, 2025.2, 2025.1, 2026.0])
    [[0, 1], [2], [3]]
    """
    keys = list(obs_keys)
    n = len(keys)
    window = float(window_years)
    if not window >= 0:
        raise ValueError("window_years must be non-negative")
    if times is None:
        t = np.zeros(n)
    else:
        t = np.asarray(times, dtype=float).ravel()
        if t.shape != (n,):
            raise ValueError(f"times must have one entry per key ({n}), got {t.shape}")
        if not np.all(np.isfinite(t)):
            raise ValueError("times must be finite")
    by_key: dict = {}
    for i, k in enumerate(keys):
        by_key.setdefault(k, []).append(i)
    groups: list[list[int]] = []
    for members in by_key.values():
        order = sorted(members, key=lambda i: (t[i], i))
        current = [order[0]]
        for prev, i in zip(order, order[1:]):
            if t[i] - t[prev] <= window + _TIME_EPS:
                current.append(i)
            else:
                groups.append(sorted(current))
                current = [i]
        groups.append(sorted(current))
    return sorted(groups, key=lambda g: g[0])


def collapsed_coverage(inside, groups: Sequence[Sequence[int]]) -> float:
    """Coverage with each group of repeated observations counted once.

    Each group contributes the MEAN of its members' hits with weight 1:

    .. math:: C = \\frac{1}{G} \\sum_{g=1}^{G} \\frac{1}{|g|} \\sum_{i \\in g} \\mathrm{hit}_i.

    The mean (rather than, say, the latest report or "any hit") keeps the estimate
    unbiased when the reports of one quantity disagree, uses every report, and gives a
    quantity reported five times the same weight as one reported once.  Indices that are
    in no group count as groups of their own.

    Parameters
    ----------
    inside : array_like of bool, shape (n_obs,)
        Whether each observation was inside its interval (see :func:`interval_coverage`).
    groups : sequence of sequence of int
        Groups of indices, e.g. from :func:`collapse_repeats`; an index may appear in at
        most one group.

    Returns
    -------
    float
        Collapsed coverage [fraction].
    """
    hits = np.asarray(inside, dtype=float).ravel()
    n = hits.size
    if n == 0:
        raise ValueError("no observations")
    seen = np.zeros(n, dtype=bool)
    means = []
    for g in groups:
        g = np.asarray(list(g), dtype=int)
        if g.size == 0:
            continue
        if np.any((g < 0) | (g >= n)):
            raise ValueError(f"group index out of range 0..{n - 1}: {g.tolist()}")
        if np.any(seen[g]) or len(np.unique(g)) != g.size:
            raise ValueError(f"an index appears in more than one group: {g.tolist()}")
        seen[g] = True
        means.append(hits[g].mean())
    means.extend(hits[~seen].tolist())
    return float(np.mean(means))


def bias(samples, actual) -> np.ndarray:
    """Relative median bias of each forecast.

    .. math:: b_i = \\frac{\\operatorname{median}(X_i) - y_i}{y_i}.

    Parameters
    ----------
    samples : ndarray, shape (n_obs, n_draws)
        Predictive draws [units of the quantity].
    actual : ndarray, shape (n_obs,)
        Observed values [units of the quantity]; zero gives NaN.

    Returns
    -------
    ndarray, shape (n_obs,)
        Relative bias [fraction]; positive means the forecast is too high.
    """
    s, y = _samples_actual(samples, actual)
    med = np.median(s, axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(y != 0, (med - y) / np.where(y != 0, y, 1.0), np.nan)
