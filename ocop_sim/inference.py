"""Bayesian calibration, posterior predictive Monte Carlo and leak-free backtests.

The chain of reasoning, each step a function:

1. **Knowledge at a cut-off** (:func:`knowledge`): the actuals published by the end of year
   ``until`` (their ``known_from`` date, not just their observation date), the events known by
   then (exogenous decisions — a merger, a national criteria set — are conditioned on, like the
   levers), priors whose information was known by then (else their documented ``fallback``) and
   assumption defaults known by then (else the value a planner would have set in 2019).
2. **Observation model** (:func:`log_likelihood`): a reported count ``y`` of a model quantity
   ``μ(θ)`` (valid certificates or cumulative, per the pack) is negative binomial with variance
   ``μ + c²μ²``, ``c² = obs_cv² + inflow_sd²·h/3`` (reporting noise plus the variance a random
   walk on log inflow adds to a stock after ``h`` years); shares are normal.  Repeated reports of
   one quantity (same scope, metric and counting within 3 months) count once: each of ``m``
   repeats enters with weight ``1/m``.
3. **Posterior** (:func:`calibrate`): emcee over the expected-mode model, all walkers evaluated
   as one batch of variants of the history replay collapsed to its regions
   (:func:`ocop_sim.packs.collapsed`: the same numbers at a fraction of the cost).  Refused when
   not converged (R-hat, effective sample size, autocorrelation: :mod:`ocop_sim.bayes`).
4. **Partial pooling** (:func:`pooled_priors`): other provinces' packs are fitted with the same
   priors; for the parameters marked ``pooled`` the population mean and spread of their
   posteriors (on the unconstrained scale) become the prior of the province being fitted — an
   empirical-Bayes approximation of the hierarchical model that lets a province with few data
   borrow strength.
5. **Posterior predictive** (:func:`predictive`): Monte Carlo draws take their parameters from
   the posterior, carry year-to-year shocks (inflow random walk, submission shocks) and, when
   compared with reports, the observation noise.
6. **Backtest** (:func:`backtest`): fit on what was known by ``until``, forecast every later
   report, score coverage (repeats collapsed), CRPS, interval score, bias and PIT
   (:mod:`ocop_sim.scoring`).

Longer than 400 lines because the chain of calibration (knowledge at a cut-off, priors, observation
model, likelihood, posterior predictive, backtests) is one line of reasoning whose steps share their
data classes.
"""
from __future__ import annotations

import datetime as _dt
import json
import math
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np

from . import bayes, engine, scoring
from .calibrate import ObservationOperator, model_value
from .config import ASSUMPTION_NAMES, Scenario, assumption_meta
from .errors import OcopError
from .io import atomic_write_text
from .packs import collapsed_run, decimal_date, load_pack
from .posterior import OBS_PARAMS, SHOCK_PREFIX, inflow_path  # noqa: F401 - also known here
from .results import Result
from .scenarios import derive
from .simulate import BLOCK, Streams, block_rng, concat_runs, run_block, scenario_events
from .targets import COMPARISONS, _evaluate, reported, scenario_registries, target_values

#: Repeated reports of one quantity within this many years count once.
REPEAT_WINDOW = 0.25
#: Stocks compared with reports: metrics that are shares get a normal error of this s.d.
SHARE_SD = 0.05


class CalibrationError(OcopError, ValueError):
    """Calibration cannot proceed (no observations, no convergence); one line."""


# ----------------------------------------------------------------------------- priors


@lru_cache(maxsize=1)
def _prior_table() -> dict:
    import yaml

    text = resources.files("ocop_sim").joinpath("data", "priors.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)["priors"]


def prior_names() -> tuple[str, ...]:
    return tuple(_prior_table())


def _year_end(date: str) -> float:
    return decimal_date(date) if date else -math.inf


def prior(name: str, until: int | None = None) -> bayes.Prior:
    """The documented prior of ``name``; at a cut-off ``until`` its fallback when its
    information was published after the end of that year."""
    spec = dict(_prior_table()[name])
    known = str(spec.get("known_from", ""))
    fb = spec.pop("fallback", None)
    spec.pop("pooled", None)  # read by pooled_names(), not a parameter of the distribution
    if until is not None and _year_end(known) > until + 1.0 + 1e-9:
        if fb is None:
            raise CalibrationError(f"prior {name}: known from {known}, after the cut-off {until}, and no fallback")
        spec.update(fb)
        spec["source"] = f"fallback before {known}: " + str(spec.get("source", ""))
        spec["known_from"] = "2019-06-05"
    return bayes.Prior(name=name, kind=spec["kind"], a=float(spec["a"]), b=float(spec.get("b", float("nan"))),
                       low=float(spec.get("low", -math.inf)), high=float(spec.get("high", math.inf)),
                       source=str(spec.get("source", "")), known_from=str(spec.get("known_from", "")))


def thinned(post: bayes.Posterior, max_draws: int = 8000) -> bayes.Posterior:
    """The posterior with its chains thinned to at most ``max_draws`` draws (what a file keeps:
    the diagnostics were computed on the full chains and are kept as they were)."""
    import dataclasses

    W, S, _ = post.chains.shape
    step = max(1, int(np.ceil(W * S / max_draws)))
    if step == 1:
        return post
    chains = post.chains[:, ::step]
    keep = np.arange(S)[::step]
    loglik = post.loglik.reshape(W, S)[:, keep].reshape(-1) if post.loglik.size == W * S else post.loglik
    meta = dict(post.meta, thinned_every=step, draws_before_thinning=int(W * S))
    return dataclasses.replace(post, chains=chains, samples=chains.reshape(-1, chains.shape[-1]), loglik=loglik,
                               meta=meta)


def pooled_names() -> tuple[str, ...]:
    return tuple(n for n, s in _prior_table().items() if s.get("pooled"))


def priors_for(names, until: int | None = None, pooled: dict | None = None) -> bayes.PriorSet:
    """Priors of ``names``; ``pooled`` ({name: (mean, sd)} on the unconstrained scale) replaces
    the documented prior of a pooled parameter by the population distribution."""
    out = []
    for n in names:
        if n.startswith(SHOCK_PREFIX):
            out.append(bayes.Prior(n, "normal", 0.0, 1.0, -6.0, 6.0, "standard normal innovation of the random "
                                   "walk on log inflow (its scale is inflow_sd)", "2019-06-05"))
            continue
        p = prior(n, until)
        if pooled and n in pooled:
            m, s = pooled[n]
            p = _unbounded_normal(p, m, s)
        out.append(p)
    return bayes.PriorSet(out)


class UnconstrainedNormalPrior(bayes.Prior):
    """A prior that is normal (``a`` mean, ``b`` s.d.) on the sampler's unconstrained scale of a
    parameter with bounds ``[low, high]`` (the pooled population distribution)."""

    def logpdf(self, x) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        lo, hi = self.bounds
        ok = np.isfinite(x) & (x > lo) & (x < hi)
        xs = np.where(ok, x, self._safe_point())
        u = self.to_unbounded(xs)
        z = (u - self.a) / self.b
        lp = -0.5 * z * z - math.log(self.b) - 0.5 * math.log(2 * math.pi) - self.log_jacobian(u)
        return np.where(ok, lp, -np.inf)

    def sample(self, rng, n: int) -> np.ndarray:
        rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
        return self.from_unbounded(rng.normal(self.a, self.b, int(n)))

    def describe(self) -> dict:
        d = super().describe()
        d["kind"] = "normal on the unconstrained scale (pooled)"
        return d


def _unbounded_normal(p: bayes.Prior, mean_u: float, sd_u: float) -> bayes.Prior:
    """The pooled prior: normal on ``p``'s unconstrained scale, ``p``'s bounds kept."""
    lo, hi = p.bounds
    src = f"pooled across provinces (mean {mean_u:.3g}, s.d. {sd_u:.3g} on the unconstrained scale)"
    return UnconstrainedNormalPrior(p.name, "normal", float(mean_u), float(sd_u), lo, hi, src, p.known_from)


# ----------------------------------------------------------------------------- knowledge


@dataclass(frozen=True)
class Knowledge:
    """What was known at a cut-off: the observations, the events, the scenario to fit."""

    scenario: Scenario  # the history replay to ``until`` (defaults known by then)
    observations: tuple[dict, ...]
    events: tuple
    until: int | None
    dropped_events: tuple[str, ...] = ()
    replaced_defaults: tuple[str, ...] = ()


def _event_known(ev, until: int | None) -> bool:
    if until is None or ev.exogenous:
        return True
    when = decimal_date(ev.known_from) if ev.known_from else float(ev.year)
    return when <= until + 1.0 + 1e-9


def knowledge(scenario: Scenario, until: int | None = None, actuals: list[dict] | None = None) -> Knowledge:
    """The observations, events and defaults a forecaster had at the end of year ``until``."""
    pack = load_pack(scenario.pack)
    rows = list(pack.actuals) if actuals is None else list(actuals)
    first, last = scenario.horizon.start, scenario.horizon.end
    end = last if until is None else min(last, until)
    obs = [o for o in rows if o.get("fit", True) and first <= o["year"] <= end and o["at"] <= end + 1.0 + 1e-9
           and (until is None or o["known_at"] <= until + 1.0 + 1e-9)]
    events = [ev for ev in scenario_events(scenario) if _event_known(ev, until)]
    dropped = tuple(getattr(ev, "label", "") or ev.type for ev in scenario_events(scenario)
                    if not _event_known(ev, until))
    values, replaced = {}, []
    if until is not None:
        for name in ASSUMPTION_NAMES:
            meta = assumption_meta(name)
            if _year_end(meta.get("known_from", "")) > until + 1.0 + 1e-9 and "plan_default" in meta \
                    and getattr(scenario.assumptions, name) == meta["default"]:
                values[name] = meta["plan_default"]
                replaced.append(name)
        for name, pa in pack.info.assumptions.items():
            if pa.known_from and decimal_date(pa.known_from) > until + 1.0 + 1e-9 and pa.fallback is not None \
                    and getattr(scenario.assumptions, name) == pa.value:
                values[name] = pa.fallback
                replaced.append(name)
    # the replay ends at the cut-off (derive drops the lever steps after it)
    sc = derive(scenario, {"assumptions": values, "horizon": {"start": first, "end": max(end, first + 1)},
                           "posterior": None})
    return Knowledge(scenario=sc, observations=tuple(obs), events=tuple(events), until=until,
                     dropped_events=dropped, replaced_defaults=tuple(replaced))


def repeat_weights(obs) -> np.ndarray:
    """Weight of each observation: 1/m for each of m reports of one quantity (same scope,
    metric and counting within :data:`REPEAT_WINDOW` years)."""
    keys = [(o["scope"], o["metric"], o.get("counting", ""), o["kind"]) for o in obs]
    groups = scoring.collapse_repeats(keys, REPEAT_WINDOW, [o["at"] for o in obs])
    w = np.ones(len(obs))
    for g in groups:
        w[list(g)] = 1.0 / len(g)
    return w


# ----------------------------------------------------------------------------- the inflow path

#: The fitted inflow path's parameters and its reader (SHOCK_PREFIX, inflow_path) are in
#: ocop_sim.posterior, with the posterior files whose draws they read.


def shock_names(start: int, end: int) -> tuple[str, ...]:
    """The innovations of the years after the first (its level is the base rates')."""
    return tuple(f"{SHOCK_PREFIX}{y}" for y in range(start + 1, end + 1))


# ----------------------------------------------------------------------------- likelihood


def _is_share(metric: str) -> bool:
    return metric in ("evaluation_pass_rate",)


def nb_logpmf(y: np.ndarray, mu: np.ndarray, cv2: np.ndarray) -> np.ndarray:
    """Log density of a negative binomial with mean ``mu`` and variance ``mu + cv2·mu²``
    (continuous in ``y``: reported figures may be midpoints such as 45.5)."""
    from scipy.special import gammaln

    mu = np.maximum(mu, 1e-6)
    r = 1.0 / np.maximum(cv2, 1e-8)
    return (gammaln(y + r) - gammaln(r) - gammaln(y + 1.0) + r * np.log(r / (r + mu))
            + y * np.log(mu / (r + mu)))


class ObservationModel:
    """The observation model of the reports ``obs``: what does not depend on the model values
    (the reported figures, their kinds, horizons and repeat weights) is built once."""

    def __init__(self, obs, start: int, weights: np.ndarray | None = None):
        self.w = (repeat_weights(obs) if weights is None else np.asarray(weights, float))[:, None]
        self.y = np.array([float(o["value"]) for o in obs])[:, None]
        self.share = np.array([_is_share(o["metric"]) for o in obs])
        self.count = ~self.share
        self.h = np.array([max(o["at"] - start, 0.5) for o in obs])[:, None]
        self._share_const = math.log(SHARE_SD * math.sqrt(2 * math.pi))
        self._lgy1 = np.array([math.lgamma(v + 1.0) for v in self.y[:, 0]])

    def __call__(self, mu: np.ndarray, obs_cv: np.ndarray, inflow_sd: np.ndarray) -> np.ndarray:
        """Log-likelihood (V,) of the reports given model values ``mu`` (n_obs × V)."""
        if _obs_kernel is not None:  # compiled: one pass over reports × variants, no temporaries
            out = np.empty(mu.shape[1])
            _obs_kernel(self.y[:, 0], self._lgy1, self.w[:, 0], self.share, self.h[:, 0], np.ascontiguousarray(mu, dtype=float),
                        np.ascontiguousarray(obs_cv, dtype=float), np.ascontiguousarray(inflow_sd, dtype=float),
                        SHARE_SD, self._share_const, out)
            return out
        return self.reference(mu, obs_cv, inflow_sd)

    def reference(self, mu: np.ndarray, obs_cv: np.ndarray, inflow_sd: np.ndarray) -> np.ndarray:
        """The same in numpy (what the compiled pass is tested against)."""
        ll = np.empty(mu.shape)
        sh, c = self.share, self.count
        if sh.any():
            ll[sh] = -0.5 * ((self.y[sh] - mu[sh]) / SHARE_SD) ** 2 - self._share_const
        if c.any():
            cv2 = obs_cv[None, :] ** 2 + inflow_sd[None, :] ** 2 * self.h[c] / 3.0
            ll[c] = nb_logpmf(self.y[c], mu[c], cv2)
        ll = np.where(np.isfinite(ll), ll, -np.inf)
        return (self.w * ll).sum(axis=0)


def _obs_loglik(y, lgy1, w, share, h, mu, obs_cv, inflow_sd, share_sd, share_const, out):
    """:meth:`ObservationModel.reference` as one loop (compiled by numba)."""
    n_obs, V = mu.shape
    for v in range(V):
        acc = 0.0
        c2 = obs_cv[v] * obs_cv[v]
        s2 = inflow_sd[v] * inflow_sd[v]
        for j in range(n_obs):
            m = mu[j, v]
            if m != m:
                ll = -np.inf
            elif share[j]:
                z = (y[j] - m) / share_sd
                ll = -0.5 * z * z - share_const
            else:
                m = m if m > 1e-6 else 1e-6
                cv2 = c2 + s2 * h[j] / 3.0
                r = 1.0 / (cv2 if cv2 > 1e-8 else 1e-8)
                yj = y[j]
                ll = (math.lgamma(yj + r) - math.lgamma(r) - lgy1[j] + r * math.log(r / (r + m))
                      + yj * math.log(m / (r + m)))
            if not math.isfinite(ll):
                ll = -np.inf
            acc += w[j] * ll
        out[v] = acc


_obs_kernel = engine._jit(_obs_loglik) if engine.AVAILABLE else None


def log_likelihood(mu: np.ndarray, obs, obs_cv: np.ndarray, inflow_sd: np.ndarray, start: int,
                   weights: np.ndarray | None = None) -> np.ndarray:
    """Log-likelihood (V,) of the reports ``obs`` given model values ``mu`` (n_obs × V)."""
    return ObservationModel(obs, start, weights)(mu, obs_cv, inflow_sd)


def model_values(scenario: Scenario, obs, overrides: dict[str, np.ndarray], events,
                 inflow_path: dict[int, np.ndarray] | None = None, operator=None, runner=None) -> np.ndarray:
    """Expected-mode model values (n_obs × V) of ``obs`` for V variants of assumptions, computed
    by the compiled engine (:mod:`ocop_sim.engine`; the numpy model where numba is missing);
    ``operator``: an :class:`ocop_sim.calibrate.ObservationOperator` of ``obs`` kept across calls;
    ``runner``: an :class:`ocop_sim.engine.ExpectedRunner` of ``scenario`` and ``events`` kept
    across calls."""
    from . import engine  # imports numba (heavy, optional): loaded when a fit runs

    V = len(next(iter(overrides.values())))
    if runner is not None:
        arrays = runner(V, overrides, inflow_path)
    elif engine.AVAILABLE:
        arrays = engine.run_expected(scenario, V, overrides=overrides, event_list=list(events), inflow_path=inflow_path)
    else:  # pragma: no cover - numba is a dependency
        arrays = run_block(scenario, V, None, overrides=overrides, event_list=list(events), inflow_path=inflow_path)
    r = Result(scenario=scenario, arrays=arrays, mode="expected", seed=scenario.seed, draws=V)
    if operator is not None:
        return operator(r)
    return np.array([model_value(r, o) for o in obs], dtype=float).reshape(len(obs), V)


def make_loglik(kn: Knowledge, names: tuple[str, ...]):
    """The vectorised log-likelihood ``X (V × k) -> (V,)`` of a knowledge set."""
    fast, events = collapsed_run(kn.scenario, list(kn.events))
    obs = list(kn.observations)
    w = repeat_weights(obs)
    model_names = [n for n in names if n in ASSUMPTION_NAMES]
    default_sd = float(getattr(kn.scenario.assumptions, "inflow_sd"))
    start = kn.scenario.horizon.start

    with_path = any(n.startswith(SHOCK_PREFIX) for n in names)
    operator = ObservationOperator(obs)
    obs_model = ObservationModel(obs, start, w)
    from . import engine  # imports numba (heavy, optional): loaded when a fit runs

    runner = engine.ExpectedRunner(fast, events) if engine.AVAILABLE else None
    i_model = [names.index(n) for n in model_names]
    i_cv = names.index("obs_cv") if "obs_cv" in names else None
    i_sd = names.index("inflow_sd") if "inflow_sd" in names else None

    def loglik(X: np.ndarray) -> np.ndarray:
        X = np.atleast_2d(X)
        ov = {n: X[:, j] for n, j in zip(model_names, i_model)}
        path_ = inflow_path(names, X) or None
        if runner is not None and operator.reusable:  # the matrix is built and checked: no Result
            mu = operator.values(runner(len(X), ov, path_))
        else:
            mu = model_values(fast, obs, ov, events, path_, operator, runner)
        cv = X[:, i_cv] if i_cv is not None else np.full(len(X), 0.1)
        # a fitted path carries the inflow's year-to-year variation itself; without one, its
        # variance enters the observation model (growing with the years since the start)
        isd = np.zeros(len(X)) if with_path else (X[:, i_sd] if i_sd is not None else np.full(len(X), default_sd))
        return obs_model(mu, cv, isd)

    return loglik


# ----------------------------------------------------------------------------- calibration


#: Parameters inferred by default: the model's and the observation model's.
DEFAULT_PARAMS = ("score_base", "submission_rate", "base_new_entities", "entity_imitation", "base_new_ideas",
                  "renewal_base_prob",
                  "renewal_factor_4star", "downgrade_prob_4star", "upgrade_attempt_rate", "pool_factor",
                  "criteria_score_shift", "central_pass_rate", "inflow_sd", "obs_cv")


@dataclass(frozen=True)
class Calibration:
    posterior: bayes.Posterior
    knowledge: Knowledge
    priors: bayes.PriorSet
    pooled: dict = field(default_factory=dict)


def calibrate(scenario: Scenario, until: int | None = None, names=DEFAULT_PARAMS, actuals=None,
              pooled: dict | None = None, seed: int = 0, n_steps: int = 1500, max_steps: int = 32000,
              min_ess: float = 400, max_rhat: float = 1.01, require: bool = True, progress=None,
              path: bool = False, n_walkers: int | None = None, moves: str = bayes.DEFAULT_MOVES) -> Calibration:
    """Posterior of ``names`` given the reports known by ``until`` (all when None).

    With ``inflow_sd`` among ``names`` and ``path``, the yearly innovations of the inflow random
    walk over the years with reports are inferred too (``inflow_shock_YYYY``): the fit follows
    the inflow as it moved, and a forecast starts from its latest level.  Off by default: on the
    Đồng Nai history this 16-parameter posterior (a funnel between ``inflow_sd`` and the shocks)
    did not reach R-hat ≤ 1.01 within 12,000 steps, and an unconverged posterior is refused.
    """
    names = tuple(n for n in names if not n.startswith(SHOCK_PREFIX))
    unknown = [n for n in names if n not in ASSUMPTION_NAMES and n not in OBS_PARAMS]
    if unknown:
        raise CalibrationError(f"--fit: expected assumptions or {', '.join(OBS_PARAMS)}, got {unknown[0]!r}")
    missing = [n for n in names if n not in _prior_table()]
    if missing:
        raise CalibrationError(f"--fit: no documented prior for {missing[0]!r} (ocop_sim/data/priors.yaml)")
    kn = knowledge(scenario, until, actuals)
    if not kn.observations:
        raise CalibrationError(f"expected reported figures known by {until} to fit, got none")
    if "inflow_sd" in names and path:  # the inflow path of the years with reports, fitted with the rest
        last = int(max(o["year"] for o in kn.observations))
        names = names + shock_names(kn.scenario.horizon.start, min(last, kn.scenario.horizon.end))
    pri = priors_for(names, until, pooled)
    # the ensemble's cost per step hardly grows up to ~100 walkers (the model runs them as one
    # batch), while its effective draws per step grow with them: use many
    walkers = n_walkers or max(4 * len(names), 96) + (max(4 * len(names), 96) % 2)
    post = bayes.sample_posterior(make_loglik(kn, names), pri, n_walkers=walkers, n_steps=n_steps,
                                  max_steps=max_steps, seed=seed, min_ess=min_ess, max_rhat=max_rhat,
                                  progress=progress, moves=moves)
    post.meta.update({"scenario": scenario.name, "pack": load_pack(scenario.pack).name, "until": until,
                      "observations": len(kn.observations), "pooled": sorted(pooled or {}),
                      "priors": pri.describe(), "dropped_events": list(kn.dropped_events),
                      "replaced_defaults": list(kn.replaced_defaults),
                      "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")})
    if require and not post.converged:
        raise CalibrationError("the posterior did not converge, so it is not reported: "
                               + "; ".join(post.failures()) + " (raise --max-steps)")
    return Calibration(posterior=post, knowledge=kn, priors=pri, pooled=dict(pooled or {}))


def _pool_fit(sc: Scenario, until, seed: int, kw: dict):
    fit_names = tuple(n for n in DEFAULT_PARAMS if n != "central_pass_rate" or _has_national(sc))
    cal = calibrate(sc, until, fit_names, seed=seed, **kw)
    return fit_names, cal.priors.to_unbounded(cal.posterior.samples)


def pooled_priors(scenarios: list[Scenario], until: int | None = None, seed: int = 0, jobs: int = 1, **kw) -> dict:
    """Population priors of the pooled parameters from other provinces' posteriors.

    Each province is fitted with the documented priors; on the unconstrained scale each pooled
    parameter has province means ``m_j`` and posterior variances ``v_j``.  The between-province
    spread ``τ² = max(var(m_j) − mean(v_j), (s₀/2)²)`` (floored at half the documented prior's
    s.d. ``s₀``, since two or three provinces pin it down poorly) and the predictive distribution
    of a new province ``N(mean(m_j), τ² + (τ² + mean(v_j))/J)`` is the pooled prior.
    """
    names = tuple(n for n in DEFAULT_PARAMS if n in pooled_names())
    means, varis = [], []
    if jobs > 1 and len(scenarios) > 1:  # the provinces' fits are independent: side by side
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(max_workers=min(jobs, len(scenarios)), mp_context=mp.get_context("fork")) as ex:
            fits = list(ex.map(_pool_fit, scenarios, [until] * len(scenarios),
                               [seed + i for i in range(len(scenarios))], [kw] * len(scenarios)))
    else:
        fits = [_pool_fit(sc, until, seed + i, kw) for i, sc in enumerate(scenarios)]
    for fit_names, U in fits:
        cols = [fit_names.index(n) if n in fit_names else None for n in names]
        means.append([U[:, c].mean() if c is not None else np.nan for c in cols])
        varis.append([U[:, c].var() if c is not None else np.nan for c in cols])
    m, v = np.array(means), np.array(varis)
    out = {}
    base = priors_for(names, until)
    for j, n in enumerate(names):
        mj, vj = m[:, j][np.isfinite(m[:, j])], v[:, j][np.isfinite(v[:, j])]
        if len(mj) == 0:
            continue
        s0 = float(np.std(base[n].to_unbounded(base[n].sample(np.random.default_rng(0), 4000))))
        between = float(np.var(mj, ddof=1)) if len(mj) > 1 else 0.0
        tau2 = max(between - float(vj.mean()), (0.5 * s0) ** 2)
        sd = math.sqrt(tau2 + (tau2 + float(vj.mean())) / len(mj))
        out[n] = (float(mj.mean()), sd)
    return out


def _has_national(sc: Scenario) -> bool:
    return any(o["metric"] == "products_national_5star" for o in load_pack(sc.pack).actuals)


# ----------------------------------------------------------------------------- predictive


def predictive(scenario: Scenario, posterior: bayes.Posterior, obs, draws: int = 1000, seed: int = 0,
               events=None, observation_noise: bool = True) -> tuple[np.ndarray, object]:
    """Posterior predictive samples (n_obs × draws) of reports ``obs``, and the Monte Carlo Result.

    Each draw takes a joint parameter vector from the posterior (its own stream), runs the Monte
    Carlo model (flows, year-to-year shocks, the split of reported stocks) and, with
    ``observation_noise``, draws the report from the observation model around the model value.
    """
    names = posterior.names
    model_names = [n for n in names if n in ASSUMPTION_NAMES]
    parts, noise_cv = [], []
    for b0 in range(0, draws, BLOCK):
        n = min(BLOCK, draws - b0)
        st = Streams(int(seed), b0 // BLOCK)
        rows = posterior.draws(n, st.get("posterior"))
        ov = {nm: rows[:, names.index(nm)] for nm in model_names}
        parts.append(run_block(scenario, n, block_rng(seed, b0 // BLOCK), True, overrides=ov, streams=st,
                               event_list=None if events is None else list(events),
                               inflow_path=inflow_path(names, rows) or None))
        noise_cv.append(rows[:, names.index("obs_cv")] if "obs_cv" in names else np.full(n, 0.1))
    arrays = concat_runs(parts)
    res = Result(scenario=scenario, arrays=arrays, mode="monte_carlo", seed=seed, draws=draws)
    vals = np.array([model_value(res, o) for o in obs], dtype=float).reshape(len(obs), draws)
    if observation_noise and len(obs):
        rng = Streams(int(seed), 10_000).get("observation_noise")
        cv = np.concatenate(noise_cv)
        for i, o in enumerate(obs):
            if _is_share(o["metric"]):
                vals[i] = vals[i] + SHARE_SD * rng.standard_normal(draws)
            else:
                mu = np.maximum(vals[i], 1e-9)
                shape = 1.0 / np.maximum(cv ** 2, 1e-8)
                lam = rng.gamma(shape, mu / shape)
                vals[i] = rng.poisson(lam).astype(float)
    return vals, res


# ----------------------------------------------------------------------------- backtest


@dataclass(frozen=True)
class Backtest:
    until: int
    calibration: Calibration
    held: tuple[dict, ...]
    samples: np.ndarray  # n_held × draws
    scores: dict
    table: object  # DataFrame: one row per held-back report


def backtest(scenario: Scenario, until: int, draws: int = 1000, seed: int = 0, names=DEFAULT_PARAMS,
             actuals=None, pool_with: list[Scenario] | None = None, **kw) -> Backtest:
    """Fit on what was known by ``until``; forecast and score every report observed later."""
    pooled = pooled_priors(pool_with, until, seed=seed, **kw) if pool_with else None
    cal = calibrate(scenario, until, names, actuals, pooled=pooled, seed=seed, **kw)
    full = knowledge(scenario, None, actuals)
    held = tuple(o for o in full.observations if o["at"] > until + 1.0 + 1e-9)
    sc = derive(scenario, {"assumptions": cal.knowledge.scenario.assumptions.model_dump(), "posterior": None})
    samples, res = predictive(sc, cal.posterior, held, draws, seed, events=cal.knowledge.events)
    scores, table = score(held, samples)
    scores.update({"until": until, "pooled": sorted(cal.pooled), "posterior_seconds": cal.posterior.seconds,
                   "targets": target_forecasts(res, until),
                   # each held-back report with its forecast (median, 80 % band), for the record
                   "forecasts": [{k: (round(v, 4) if isinstance(v, float) else v) for k, v in row.items()
                                  if k != "source_url"} for row in table.to_dict(orient="records")]})
    return Backtest(until=until, calibration=cal, held=held, samples=samples, scores=scores, table=table)


def target_forecasts(res, until: int) -> list[dict]:
    """Probability forecast at the cut-off of every target decided after it whose outcome was
    later reported (for the reliability diagram): id, probability, outcome (1 met, 0 missed)."""
    out = []
    for reg in scenario_registries(res):
        for t in reg.targets:
            if t.end_year <= until or t.end_year > int(res.years[-1]):
                continue
            status = _evaluate(t, reported(res, t))
            if status not in ("met_reported", "missed_reported"):
                continue
            v = target_values(res, t)
            p = float((COMPARISONS[t.comparison](v, t.value) & np.isfinite(v)).mean())
            out.append({"id": t.id, "probability": p, "outcome": int(status == "met_reported")})
    return out


def backtest_summary(runs: list) -> dict:
    """Scores across cut-offs for a posterior's record (``runs``: :class:`Backtest` or their
    ``scores``): each cut-off's scores and the share of held-back quantities inside the 50/80/95 %
    bands over all cut-offs together (repeats collapsed), with the reliability of target forecasts."""
    cuts = [dict(b.scores) if isinstance(b, Backtest) else dict(b) for b in runs]
    n = sum(c.get("n_quantities", 0) for c in cuts)
    hits = {lv: sum(c["coverage"].get(lv, 0.0) * c.get("n_quantities", 0) for c in cuts if c.get("coverage"))
            for lv in ("50", "80", "95")}
    fc = [f for c in cuts for f in c.get("targets", [])]
    rel = None
    if fc:
        tab = scoring.reliability(np.array([f["probability"] for f in fc]), np.array([f["outcome"] for f in fc]),
                                  bins=5)
        rel = {"table": tab.to_dict(orient="records"),
               "brier": float(scoring.brier_score(np.array([f["probability"] for f in fc]),
                                                  np.array([f["outcome"] for f in fc])))}
    return {"cutoffs": cuts, "coverage_80": hits["80"] / n if n else float("nan"),
            "coverage": {k: v / n if n else float("nan") for k, v in hits.items()}, "n_quantities": n,
            "reliability": rel,
            "method": "leak-free backtests: fitted on reports published by each cut-off, later reports scored"}


def score(held, samples: np.ndarray) -> tuple[dict, object]:
    """Coverage of the 50/80/95 % bands (repeats collapsed), CRPS, interval score, bias per
    series and a PIT histogram of held-back reports against predictive samples."""
    import pandas as pd

    if not len(held):
        return {"n": 0, "n_quantities": 0, "coverage": {}, "coverage_raw": {}}, pd.DataFrame()
    y = np.array([o["value"] for o in held], float)
    keys = [(o["scope"], o["metric"], o.get("counting", ""), o["kind"]) for o in held]
    groups = scoring.collapse_repeats(keys, REPEAT_WINDOW, [o["at"] for o in held])
    cov, raw = {}, {}
    for lvl in (0.5, 0.8, 0.95):
        inside = scoring.interval_coverage(samples, y, lvl)
        cov[str(int(lvl * 100))] = scoring.collapsed_coverage(inside, groups)
        raw[str(int(lvl * 100))] = float(inside.mean())
    crps = scoring.crps_samples(samples, y)
    lo, hi = np.quantile(samples, [0.1, 0.9], axis=1)
    med = np.median(samples, axis=1)
    iscore = scoring.interval_score(lo, hi, y, 0.2)
    pit = scoring.pit(samples, y, np.random.default_rng(0))
    counts, _ = scoring.pit_histogram(pit, bins=5)
    table = pd.DataFrame([{"scope": o["scope"], "metric": o["metric"], "counting": o.get("counting", ""),
                           "at": o["at"], "date": o.get("date", ""), "actual": o["value"], "median": float(m),
                           "p10": float(a), "p90": float(b), "inside_80": bool(a <= o["value"] <= b),
                           "crps": float(c), "source_url": o.get("source_url", "")}
                          for o, m, a, b, c in zip(held, med, lo, hi, crps)])
    bias = {}
    for (sc, met), d in table.groupby(["scope", "metric"], sort=False):
        bias[f"{sc}/{met}"] = float(np.median((d["median"] - d["actual"]) / np.maximum(d["actual"].abs(), 1e-9)))
    rel = (table["median"] - table["actual"]) / np.maximum(table["actual"].abs(), 1e-9)
    # per metric over every scope (e.g. all held-back 4★ reports: old province and merged)
    bias_metric = {met: float(np.median(rel[table["metric"] == met])) for met in dict.fromkeys(table["metric"])}
    rel_crps = float(np.mean(crps / np.maximum(np.abs(y), 1.0)))
    return ({"n": int(len(held)), "n_quantities": len(groups), "coverage": cov, "coverage_raw": raw,
             "crps_mean": float(np.mean(crps)), "crps_relative": rel_crps,
             "interval_score_80": float(np.mean(iscore)), "bias_median": bias, "bias_by_metric": bias_metric,
             "pit_histogram": [int(c) for c in counts]}, table)


def write_json(path: str | Path, payload: dict) -> Path:
    return atomic_write_text(Path(path), json.dumps(payload, ensure_ascii=False, indent=2, default=_json_default))


def _json_default(x):
    if isinstance(x, (np.floating, np.integer)):
        return x.item()
    if isinstance(x, np.ndarray):
        return x.tolist()
    return str(x)
