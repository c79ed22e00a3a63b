"""The equations of the OCOP cohort model: pure numpy, no pandas, no I/O.

Arrays are vectorised over draws ``D``, areas ``A``, product groups ``G``, star levels ``L``
(3★, 4★, provincial 5★, national 5★) and certificate ages ``K`` (0, 1, 2 full years: the 36-month
validity).  :func:`step` advances one year; :mod:`ocop_sim.simulate` loops over the years.

Both modes share this code: a :class:`Sampler` in *expected* mode returns expected values of
each flow (fractional counts), in *Monte Carlo* mode it samples them (binomial, Poisson and
sequential-binomial multinomial draws) from a ``numpy.random.Generator``.

Glossary (units in brackets):

=====================  =========================================================
``cand``               product ideas in development (candidates) [products] D×A×G
``cert``               certified products [products] D×A×G×L×K
``ent``                OCOP economic entities [entities] D×A
``trained_lead``       entity leaders trained and still in post [persons] D×A
``trained_off``        state OCOP officials trained and still in post [persons] D
``officials_pool``     state OCOP officials [persons] D
``quality``            quality index of an area's candidates [0–1] D×A
``pool``               potential products not yet turned into ideas [products] D×A×G
``lapsed_cum``         certificates ever lapsed, by level [products] D×A×L
``score_mean``         mean evaluation score of submitted candidates [points] D×A
=====================  =========================================================

Longer than 400 lines because it holds every equation of the cohort model with the sampler that
draws its flows, in one pure numpy step.
"""
from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from . import levers as _levers  # plain data: the lever registry and the declared responses
from .axes import PROJECTS  # noqa: F401 - names of the project counters
from .config import N_AGES  # noqa: F401 - the certificate ages, defined once with the schema

L3, L4, LP5, LN5 = 0, 1, 2, 3
N_LEVELS = 4



class Sampler:
    """Draws flows: expected values (``rng is None``) or samples.

    ``streams``, when given, maps a flow's name to a ``numpy.random.Generator`` of its own
    (:class:`ocop_sim.simulate.Streams`: ``SeedSequence(seed, spawn_key=(block, key))``); each
    named flow then draws from its own stream, kept across years, so that adding a flow, or
    drawing one more or less often, never shifts the draws of the others.  Unnamed draws, and all
    draws without ``streams``, come from ``rng``.
    """

    def __init__(self, rng: np.random.Generator | None, shocks: np.random.Generator | None = None,
                 streams=None):
        self.rng = rng
        #: a stream of its own for year-to-year shocks: adding or removing a shock never shifts
        #: the flows' draws (and the reverse)
        self.shocks = shocks
        self._streams = streams
        self._gens: dict[str, np.random.Generator] = {}

    @property
    def expected(self) -> bool:
        return self.rng is None

    def _gen(self, flow: str | None) -> np.random.Generator:
        """The generator of ``flow`` (created on first use), or ``rng``."""
        if self._streams is None or flow is None:
            return self.rng
        g = self._gens.get(flow)
        if g is None:
            g = self._gens[flow] = self._streams(flow)
        return g

    def binomial(self, n: np.ndarray, p: np.ndarray | float, flow: str | None = None) -> np.ndarray:
        p = np.minimum(np.maximum(p, 0.0), 1.0)  # np.clip's Python wrapper costs more than this
        if self.rng is None:
            return n * p
        n_b, p_b = np.broadcast_arrays(n, p)
        # most cells are empty (inactive areas, rare groups and levels): sample only where it matters
        live = (n_b > 0) & (p_b > 0)
        out = np.zeros(n_b.shape)
        if live.any():
            out[live] = self._gen(flow).binomial(np.rint(n_b[live]).astype(np.int64), p_b[live])
        return out

    def poisson(self, lam: np.ndarray, flow: str | None = None) -> np.ndarray:
        lam = np.maximum(lam, 0.0)
        if self.rng is None:
            return lam
        live = lam > 0
        out = np.zeros(lam.shape)
        if live.any():
            out[live] = self._gen(flow).poisson(lam[live])
        return out

    def split(self, n: np.ndarray, probs: list[np.ndarray], flow: str | None = None) -> list[np.ndarray]:
        """Multinomial split of ``n`` over outcomes with probabilities ``probs`` (summing to 1).

        Sampled as sequential conditional binomials, which is exact and vectorises.  Expected
        mode: ``n × p`` per outcome (the last takes the rest, so the parts sum to ``n`` exactly).
        """
        if self.rng is None:
            parts = [n * np.minimum(np.maximum(p, 0.0), 1.0) for p in probs[:-1]]
            rest = n
            for k in parts:
                rest = rest - k
            return parts + [rest]
        out = []
        remaining = n
        left = np.ones_like(np.asarray(probs[0], dtype=float))
        for p in probs[:-1]:
            cond = np.where(left > 1e-12, np.asarray(p) / np.maximum(left, 1e-12), 0.0)
            k = self.binomial(remaining, cond, flow)
            out.append(k)
            remaining = remaining - k
            left = left - p
        out.append(remaining)
        return out


def saturating(x: np.ndarray, half: np.ndarray) -> np.ndarray:
    """Saturating response ``x / (x + half)`` in [0, 1); 0 for x <= 0."""
    x = np.maximum(x, 0.0)
    return x / (x + half)


def logistic_cdf(x: np.ndarray, mean: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """CDF of the logistic score distribution (a close, closed-form stand-in for the normal)."""
    # 1 / (1 + exp(-z)) written with tanh: no overflow for any z
    return 0.5 + 0.5 * np.tanh((x - mean) / (2.0 * scale))


def star_probabilities(mean, scale, t3, t4, t5, premium_share=0.0, premium_bonus=0.0):
    """Probabilities of (fail, 3★, 4★, 5★ band) for a score drawn from a two-part mixture.

    Most products score ~ Logistic(mean, scale); a share ``premium_share`` comes from strong
    enterprises and scores ``premium_bonus`` points higher (Đồng Nai's first 8 national 5★ came
    from 3 firms).  With ``premium_share = 0`` this is the plain logistic.  The three thresholds
    are evaluated in one vectorised call (a last axis of 3): the same arithmetic, a third of
    the numpy calls.
    """
    t = np.stack(np.broadcast_arrays(t3, t4, t5), axis=-1)
    mean = np.asarray(mean)[..., None]
    scale = np.asarray(scale)[..., None]
    ps = np.asarray(premium_share)[..., None]
    f = ((1.0 - ps) * logistic_cdf(t, mean, scale)
         + ps * logistic_cdf(t, mean + np.asarray(premium_bonus)[..., None], scale))
    f3, f4, f5 = f[..., 0], f[..., 1], f[..., 2]
    return [f3, f4 - f3, f5 - f4, 1.0 - f5]


@dataclass(frozen=True)
class State:
    cand: np.ndarray
    cert: np.ndarray
    ent: np.ndarray
    trained_lead: np.ndarray
    trained_off: np.ndarray
    officials_pool: np.ndarray
    projects: np.ndarray  # D × len(PROJECTS), cumulative counts
    active: np.ndarray  # A, bool
    pool: np.ndarray  # D × A × G, potential products not yet turned into ideas
    pool0: np.ndarray  # A × G, the pool at the start (growth and depletion are relative to it)
    lapsed_cum: np.ndarray  # D × A × L, certificates ever lapsed (cumulative minus valid counts)
    log_inflow: np.ndarray  # D, random walk of log inflow (0 in expected mode)
    score_shift: np.ndarray | float = 0.0  # D or scalar [points]
    thresholds: tuple[float, float, float] | None = None
    submission_scale: np.ndarray | float = 1.0  # this year's share of capacity for new products
    inflow_fixed: bool = False  # this year's log inflow is given (a fitted path), not a random step

    def total_certified(self) -> np.ndarray:
        return self.cert.sum(axis=(-1, -2, -3))


_STATE_FIELDS = frozenset(f.name for f in fields(State))


def replace(state: State, **changes) -> State:
    """``dataclasses.replace`` of a :class:`State` without running ``__init__`` again (a frozen
    dataclass with no ``__post_init__``: the same object at a fifth of the cost; a calibration
    replaces states ~10⁵ times).  TypeError for a name that is not a field, as ``replace``."""
    unknown = changes.keys() - _STATE_FIELDS
    if unknown:
        raise TypeError(f"State has no field {sorted(unknown)[0]!r}")
    new = object.__new__(State)
    d = new.__dict__
    d.update(state.__dict__)
    d.update(changes)
    return new


#: Lever values of one year (province-wide): a frozen dataclass with one float per lever of the
#: registry (:data:`ocop_sim.levers.LEVERS`, in its order); a lever not given is 0.
YearLevers = _levers.make_year_levers()
YearLevers.__module__ = __name__

#: The declared responses of the model to levers (:data:`ocop_sim.levers.RESPONSES`).
RESPONSES = tuple(_levers.RESPONSES)


def response_terms(rate: str, lev, P: dict[str, np.ndarray], w_sum: float, n_cert=None) -> list[np.ndarray]:
    """The terms the declared responses add to ``rate`` (one of :data:`ocop_sim.levers.RATES`).

    Each term is ``gain · x/(x + h)`` with ``x`` the response's levers summed (in their order) and
    normalised (``per_area_weight``: / ``w_sum`` [bn VND/year per unit of weight];
    ``per_certified_mn``: × 1000 / ``n_cert`` [mn VND/product/year]), ``h`` its half-saturation
    and ``gain`` ``(1 − a)(1 + u)`` (form ``inflow``, ``a`` the autonomous share) or ``u``
    (form ``gain``).  A lever at 0 gives a term of exactly 0.0: adding it changes nothing.
    The caller adds the terms, in order, to the rate's base value.
    """
    out = []
    for r in RESPONSES:
        if r.acts_on != rate:
            continue
        x = getattr(lev, r.levers[0])
        for name in r.levers[1:]:
            x = x + getattr(lev, name)
        x = x / w_sum if r.normalise == "per_area_weight" else x * 1000.0 / n_cert
        u = P[r.uplift_max]
        if r.form == "inflow":
            auto = P["autonomous_share"]
            out.append((1.0 - auto) * (1.0 + u) * saturating(x, P[r.half_saturation]))
        else:
            out.append(u * saturating(x, P[r.half_saturation]))
    return out


def _add(base, terms):
    """``base`` plus the terms, left to right (the order the kernel adds them in)."""
    for t in terms:
        base = base + t
    return base


def allocate_integers(total: float, shares: np.ndarray) -> np.ndarray:
    """Split ``total`` (rounded) over cells by ``shares`` with the largest-remainder rule."""
    shares = np.asarray(shares, dtype=float)
    s = shares.sum()
    n = int(round(total))
    if s <= 0 or n <= 0:
        return np.zeros_like(shares)
    raw = shares / s * n
    base = np.floor(raw)
    rem = n - int(base.sum())
    if rem > 0:
        order = np.argsort(-(raw - base).ravel(), kind="stable")[:rem]
        flat = base.ravel()
        flat[order] += 1
        base = flat.reshape(shares.shape)
    return base


_COL_SHAPES = {n: (-1,) + (1,) * (n - 1) for n in range(1, 8)}


def _col(x: np.ndarray, ndim: int) -> np.ndarray:
    """Reshape a per-draw vector (D,) to broadcast against a D×… array of ``ndim`` dims."""
    return x.reshape(_COL_SHAPES[ndim]) if type(x) is np.ndarray else np.asarray(x).reshape(_COL_SHAPES[ndim])


def step(state: State, year: int, lev: YearLevers, P: dict[str, np.ndarray], weight: np.ndarray,
         group_share: np.ndarray, tourism_index: int, sampler: Sampler) -> tuple[State, dict[str, np.ndarray]]:
    """Advance the state by one year; returns the new state and the year's flows.

    ``P`` maps assumption names to per-draw arrays (D,).  ``weight`` (A,) are the areas' activity
    weights (base rates scale with them; province-wide budgets are split by their shares among
    active areas).  ``group_share`` (G,) splits new ideas across product groups.
    """
    act = state.active.astype(float)
    w = weight * act  # (A,)
    w_sum = max(float(w.sum()), 1e-12)
    share = w / w_sum
    t3, t4, t5 = state.thresholds if state.thresholds is not None else (
        P["threshold_3star"], P["threshold_4star"], P["threshold_5star"])
    t3, t4, t5 = (_col(np.asarray(t, dtype=float), 2) for t in (t3, t4, t5))  # (D,1) or (1,1)
    f: dict[str, np.ndarray] = {}

    # 7. exit: entities dissolve; their products lapse -------------------------------------
    h = P["entity_exit_rate"]
    exits = sampler.binomial(state.ent, _col(h, 2), "entity_exits")
    ent = state.ent - exits
    exit_lapse = sampler.binomial(state.cert, _col(h, 5), "lapsed_exit")
    cert = state.cert - exit_lapse
    f["entity_exits"] = exits
    f["lapsed_exit"] = exit_lapse.sum(axis=-1)
    lapsed_cum = state.lapsed_cum + exit_lapse.sum(axis=(2, 4))

    # year-to-year shocks (Monte Carlo only, from their own stream): a random walk on log inflow
    # and an independent shock to the submission rate
    # (a year whose log inflow is given — the path fitted to the reports — takes it as it is)
    if sampler.shocks is not None:
        # each step adds σε − σ²/2, so that the multiplier exp(log_inflow) has mean 1 in every year
        s_in = P["inflow_sd"]
        eps = sampler.shocks.standard_normal(state.log_inflow.shape)
        log_inflow = state.log_inflow if state.inflow_fixed else state.log_inflow + s_in * eps - 0.5 * s_in ** 2
        sd = P["submission_sd"]
        sub_shock = np.exp(sd * sampler.shocks.standard_normal(state.log_inflow.shape) - 0.5 * sd * sd)
    else:
        log_inflow = state.log_inflow
        sub_shock = 1.0
    inflow_mult = np.exp(log_inflow)

    # 8. projects (planned counts, or budget / unit cost) -----------------------------------
    new_proj = np.stack([
        lev.infrastructure_bn_vnd / P["display_point_cost_bn_vnd"],
        np.full_like(P["score_base"], lev.display_centres),
        lev.startup_support_bn_vnd / P["startup_project_cost_bn_vnd"],
        np.full_like(P["score_base"], lev.agritourism_projects),
        lev.value_chain_bn_vnd / P["value_chain_project_cost_bn_vnd"],
    ], axis=-1)
    projects = state.projects + new_proj
    f["new_projects"] = new_proj

    # 3a. new entities ---------------------------------------------------------------------
    # the inflow factor: the autonomous share plus the declared responses (ocop_sim.levers.RESPONSES)
    ent_uplift = _add(P["autonomous_share"], response_terms("entity_inflow", lev, P, w_sum))
    # imitation (Bass diffusion): entities already in an area bring others, less so as its pool
    # of potential products is used up; programme money (promotion, start-up support) moves it as
    # it moves the base rate (with no budget both fall to the autonomous share)
    left_area = np.clip(state.pool.sum(axis=-1) / np.maximum(state.pool0.sum(axis=-1), 1e-12), 0.0, 1.0)  # D×A
    lam_ent = (_col(P["base_new_entities"] * ent_uplift * inflow_mult, 2) * w[None, :]
               + _col(P["entities_per_startup"] * new_proj[:, 2], 2) * share[None, :]
               + _col(P["entity_imitation"] * ent_uplift * inflow_mult, 2) * ent * left_area)
    new_ent = sampler.poisson(lam_ent, "new_entities")
    ent = ent + new_ent
    f["new_entities"] = new_ent

    # 1. training and coverage -------------------------------------------------------------
    trainees = lev.training_bn_vnd * 1000.0 / P["cost_per_trainee_mn_vnd"]  # persons (D,)
    t_off = trainees * lev.training_share_officials
    t_lead = (trainees - t_off) * P["leader_training_reach"]
    turnover = P["staff_turnover"]
    trained_off = np.minimum(state.officials_pool, state.trained_off * (1 - turnover) + t_off)
    kept = np.minimum(state.trained_lead * _col((1 - turnover) * (1 - h), 2), ent)
    untrained = np.maximum(ent - kept, 0.0)
    unt_sum = untrained.sum(axis=1, keepdims=True)
    alloc = np.where(unt_sum > 0, _col(t_lead, 2) * untrained / np.maximum(unt_sum, 1e-12), 0.0)
    trained_lead = np.where(alloc >= untrained, ent, kept + alloc)
    f["trainees_officials"] = np.minimum(t_off, state.officials_pool)
    f["trainees_leaders"] = np.minimum(alloc, untrained).sum(axis=1)
    cov_lead = np.where(ent > 0, trained_lead / np.maximum(ent, 1e-12), 0.0)

    # 2. quality ---------------------------------------------------------------------------
    cand_area = state.cand.sum(axis=-1)
    dev_mn = lev.product_development_bn_vnd * 1000.0 * share[None, :]  # mn VND per area
    dev_per_cand = dev_mn / np.maximum(cand_area, 1.0)
    s_dev = saturating(dev_per_cand, _col(P["dev_half_saturation_mn_vnd"], 2))
    s_vc = saturating(projects[:, 4], P["value_chain_half_saturation"])
    quality = np.clip(_col(P["quality_weight_training"], 2) * cov_lead
                      + _col(P["quality_weight_development"], 2) * s_dev
                      + _col(P["quality_weight_value_chain"] * s_vc, 2), 0.0, 1.0)
    # the strongest potential products come first: the mean score falls as the pool is used up
    pool_tot0 = np.maximum(state.pool0.sum(axis=-1), 1e-12)  # D×A
    used = np.clip(1.0 - state.pool.sum(axis=-1) / pool_tot0, 0.0, 1.0)  # D×A
    score_mean = (_col(P["score_base"] + state.score_shift, 2) + _col(P["score_quality_gain"], 2) * quality
                  - _col(P["score_depletion"], 2) * used)
    f["quality"] = quality
    f["score_mean"] = score_mean

    # 4. evaluation of submitted candidates -------------------------------------------------
    evaluating = (year >= P["first_evaluation_year"]).astype(float)
    sub_rate = P["submission_rate"] * evaluating * state.submission_scale * sub_shock
    submitted = sampler.binomial(state.cand, _col(sub_rate, 3), "submitted")
    scale = _col(P["score_scale"], 2)
    prem = _col(P["premium_share"], 2)
    prem_bonus = _col(P["premium_score_bonus"], 2)
    probs = [p[..., None] for p in star_probabilities(score_mean, scale, t3, t4, t5, prem, prem_bonus)]
    failed, n3, n4, n5 = sampler.split(submitted, probs, "evaluated")
    retry = sampler.binomial(failed, _col(P["retry_prob"], 3), "retry")
    cand = state.cand - submitted + retry
    dropout = sampler.binomial(cand, _col(P["candidate_dropout"], 3), "dropout")
    f["submitted"] = submitted
    f["failed"] = failed
    new_cert = np.stack([n3, n4, n5, np.zeros_like(n3)], axis=-1)  # D×A×G×L
    f["new_certified"] = new_cert

    # 3b. new ideas --------------------------------------------------------------------------
    # ideas come from a finite pool of potential products per area and group: the inflow is
    # proportional to what is left of it, never more than is left; the pool grows slowly
    idea_uplift = _add(P["autonomous_share"], response_terms("idea_inflow", lev, P, w_sum))
    left = np.where(state.pool0 > 0, state.pool / np.maximum(state.pool0, 1e-12), 0.0)  # D×A×G
    lam_ideas = ((_col(P["base_new_ideas"] * idea_uplift * inflow_mult, 2) * w[None, :]
                  + _col(P["ideas_per_new_entity"], 2) * new_ent)[..., None] * group_share[None, None, :]) * left
    tour = np.zeros_like(lam_ideas)
    tour[..., tourism_index] = _col(new_proj[:, 3] * P["ideas_per_agritourism_project"], 2) * share[None, :]
    # never more ideas than the pool holds (whole products when sampling)
    new_ideas = np.minimum(sampler.poisson(lam_ideas + tour, "new_ideas"), state.pool if sampler.expected
                           else np.floor(state.pool + 1e-9))
    pool = state.pool - new_ideas + _col(P["pool_growth"], 3) * state.pool0 * act[None, :, None]
    cand = cand - dropout + new_ideas
    f["new_ideas"] = new_ideas
    f["dropout"] = dropout

    # 5. upgrades: 3★→4★, 4★→provincial 5★, provincial 5★→national 5★ ---------------------------
    bonus = _col(P["upgrade_score_bonus"], 2)
    up_probs = star_probabilities(score_mean + bonus, scale, t3, t4, t5, prem, prem_bonus)
    p_up4 = (up_probs[2] + up_probs[3])[..., None, None]  # P(score >= 4★ threshold)
    p_up5 = up_probs[3][..., None, None]  # P(score >= 5★ threshold)
    rate = _col(P["upgrade_attempt_rate"], 4)
    att3 = sampler.binomial(cert[..., L3, :], rate, "upgrade_attempts_3star")
    up34 = sampler.binomial(att3, p_up4, "upgrades_3star_4star")
    att4 = sampler.binomial(cert[..., L4, :], rate, "upgrade_attempts_4star")
    up45 = sampler.binomial(att4, p_up5, "upgrades_4star_p5")
    central_on = (year >= P["central_first_year"]).astype(float)
    sub_c = sampler.binomial(cert[..., LP5, :], _col(P["central_submission_rate"] * central_on, 4),
                             "central_submitted")
    pass_c = sampler.binomial(sub_c, _col(P["central_pass_rate"], 4), "central_passed")
    tot = pass_c.sum(axis=(1, 2, 3))
    cap = P["central_capacity"]
    over = tot > cap
    if np.any(over):
        keep = np.where(over, cap / np.maximum(tot, 1e-12), 1.0)
        pass_c = np.where(_col(over, 4), sampler.binomial(pass_c, _col(keep, 4), "central_capacity"), pass_c)
    cert = cert.copy()
    cert[..., L3, :] -= up34
    cert[..., L4, :] -= up45
    cert[..., LP5, :] -= pass_c
    upgraded = np.stack([np.zeros_like(up34), up34, up45, pass_c], axis=-2).sum(axis=-1)  # D×A×G×L
    f["upgrades"] = upgraded
    f["central_submitted"] = sub_c.sum(axis=-1)

    # 6. ageing and renewal ----------------------------------------------------------------
    expiring = cert[..., N_AGES - 1]  # D×A×G×L, certified 3 years ago
    n_cert = np.maximum(cert.sum(axis=(1, 2, 3, 4)), 1.0)
    points = projects[:, 0] + projects[:, 1]
    r = np.clip(_add(P["renewal_base_prob"], response_terms("renewal_prob", lev, P, w_sum, n_cert))
                + P["renewal_gain_per_display_point"] * points, 0.0, 1.0)
    # levels renew differently: 4★ renew at their level at a fraction of the 3★ probability and
    # are more often re-rated one level lower; provincial and national 5★ (products that scored
    # 90 or more) renew as 3★ do, and a provincial 5★ not renewed is re-rated 4★ as often as a 4★ 3★
    f4 = P["renewal_factor_4star"]
    r_lvl = np.stack([r, r * f4, r, r], axis=-1)[:, None, None, :]  # D×1×1×L
    d_lvl = np.stack([P["downgrade_prob"], P["downgrade_prob_4star"], P["downgrade_prob_4star"],
                      P["downgrade_prob_4star"]], axis=-1)[:, None, None, :]
    renewed, downgraded, lapsed = sampler.split(expiring, [r_lvl, (1 - r_lvl) * d_lvl, (1 - r_lvl) * (1 - d_lvl)],
                                                "reevaluated")
    down_to = np.zeros_like(downgraded)
    down_to[..., :-1] = downgraded[..., 1:]  # level l -> l-1; a downgraded 3★ lapses
    lapsed_total = lapsed + np.concatenate([downgraded[..., :1], np.zeros_like(downgraded[..., 1:])], axis=-1)
    lapsed_cum = lapsed_cum + lapsed_total.sum(axis=2)
    f["renewed"] = renewed
    # re-rated one level lower and still certified (a downgraded 3★ lapses: counted with the lapses)
    f["downgraded"] = np.concatenate([np.zeros_like(downgraded[..., :1]), downgraded[..., 1:]], axis=-1)
    f["lapsed_expiry"] = lapsed_total
    f["renewal_prob"] = r

    age0 = new_cert + upgraded + renewed + down_to
    cert_new = np.concatenate([age0[..., None], cert[..., : N_AGES - 1]], axis=-1)

    new_state = replace(state, cand=cand, cert=cert_new, ent=ent, trained_lead=trained_lead,
                        trained_off=trained_off, projects=projects, pool=pool, lapsed_cum=lapsed_cum,
                        log_inflow=log_inflow)
    f["coverage_officials"] = trained_off / np.maximum(state.officials_pool, 1e-12)
    f["coverage_leaders_num"] = trained_lead
    return new_state, f
