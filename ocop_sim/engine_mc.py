"""A compiled (numba) kernel of the model's *Monte Carlo* mode.

:func:`run_monte_carlo` has the contract of ``simulate.run_block(scenario, n, block_rng(seed, block),
sample_assumptions, streams=Streams(seed, block), ...)`` (the same keys, shapes and dtypes: float32
stocks, flows and initial state, float64 assumptions) and is equal to it *in distribution*, not
draw for draw: tests/test_engine_mc.py compares means, variances and quantiles over thousands of
draws with tolerances from their standard errors.  The equations are those of
:func:`ocop_sim.model.step` with the :class:`~ocop_sim.model.Sampler` in Monte Carlo mode, written
per draw as loops over areas, groups, levels and ages: ``binomial(n, p)`` on ``rint(n)`` and
``clip(p, 0, 1)`` (0 where n ≤ 0 or p ≤ 0), ``poisson(max(λ, 0))``, ``split`` as sequential
conditional binomials, the year-to-year shocks (random walk of log inflow, submission shock).
One shortcut, exact in distribution: the upgrades, ``binomial(binomial(n, attempt), success)``
in model.py (the attempts are not kept), are one ``binomial(n, attempt · success)``.
model.py stays the reference: a change there must be made here too (the tests fail until it is).

What stays in Python, as in :class:`ocop_sim.engine.ExpectedRunner`: the assumption draws
(``simulate.parameter_arrays``: distributions, posterior draws), the initial split
(``simulate.initial_state``) and the events (``simulate._apply_events``, between kernel calls),
all from the block's named streams exactly as ``run_block`` draws them.  Only the flows of the
years are compiled.

Random numbers of the flows
---------------------------
Each draw has a random state of its own, numba's per-thread Mersenne Twister re-seeded inside
the kernel at the start of the draw and of every stretch of years between events, with a 32-bit
word of ``SeedSequence(seed, spawn_key=(block, stream_key("flows:compiled"))).generate_state``
taken at (draw within block, first year of the stretch).  A draw's numbers therefore depend only
on the seed, its global index (block, index in block) and the scenario, never on how draws are
split across blocks, processes or executors, nor on ``n``.  Re-seeding costs ~3 µs (measured:
0.03 s for 10,000 draws); pre-generated uniforms would need a bound on the uniforms each flow
consumes (the binomial and Poisson samplers reject) and ~1 GB for 10,000 draws.  The seeds are
32-bit (numba's ``np.random.seed`` takes no more): among 10,000 draws two share their flows' noise
with probability ~1 % (their assumptions and initial split still differ).

Without numba, :data:`ocop_sim.engine.AVAILABLE` is False and :func:`run_monte_carlo` raises
:class:`ocop_sim.engine.EngineUnavailable`.
"""
from __future__ import annotations

import numpy as np

from . import data as _data
from . import engine as _e
from . import model
from .config import BUDGET_LINES, GROUPS, Scenario
from .engine import (_C_AUTO, _C_BNE, _C_BNI, _C_CCAP, _C_CFY, _C_CPR, _C_CSR, _C_DP,
                     _C_DP4, _C_DPC, _C_DROP, _C_EIM, _C_EPS, _C_EXIT, _C_F4, _C_FEY, _C_IPAT, _C_IPNE,
                     _C_PBON, _C_PG, _C_PREM, _C_RBP, _C_RETRY, _C_RGDP,
                     _C_SCALE, _C_SPC, _C_SUBR, _C_T3, _C_T4, _C_T5,
                     _C_UAR, _C_UBON, _C_VCC, _L3, _L4, _LN5, _LP5, _LV_AGT, _LV_DC, _LV_INF,
                     _LV_PD, _LV_SS, _LV_TR, _LV_TSO, _LV_VC, _NK, COLUMNS, LEVER_COLUMNS,
                     _add_responses, _clip01, _fmax, _fmin, _helpers_jit, _jit, _mix, _quality, _training)

_sim = _e._sim
_C_ISD = COLUMNS["inflow_sd"]
_C_SSD = COLUMNS["submission_sd"]
#: the name of the flows' seed stream (``stream_key`` of it in the spawn key)
SEED_STREAM = "flows:compiled"


# ----------------------------------------------------------------------------- samplers


@_helpers_jit
def _binom(n, p):
    """``Sampler.binomial`` of one cell: Binomial(rint(n), clip(p, 0, 1)); 0 where n ≤ 0 or p ≤ 0 (or NaN)."""
    p = _clip01(p)
    if n > 0 and p > 0:
        return float(np.random.binomial(np.int64(np.rint(n)), p))
    return 0.0


@_helpers_jit
def _pois(lam):
    """``Sampler.poisson`` of one cell: Poisson(λ); 0 where λ ≤ 0 (or NaN)."""
    if lam > 0:
        return float(np.random.poisson(lam))
    return 0.0


@_helpers_jit
def _cond(p, left):
    """The conditional probability of one outcome of a sequential multinomial split (``Sampler.split``)."""
    if left > 1e-12:
        return p / _fmax(left, 1e-12)
    return 0.0


# ----------------------------------------------------------------------------- the kernel


def _step_mc(i, d, year, lev, RT, Pm, weight, act, gs, tourism, ss, score_shift, fixed, path, log_inflow,
             cand, cert, ent, tl, toff, opool, projects, pool, pool0, lcum,
             w, share, new_ent, kept, untr, cov, score, pass_c,
             S_cert, S_cand, S_ent, S_tl, S_cov, S_proj, S_act, S_lcum,
             F_newcert, F_upg, F_renewed, F_down, F_lapexp, F_lapexit, F_newent, F_exits,
             F_sub, F_failed, F_ideas, F_quality, F_score, F_toff, F_tlead, F_cov, F_rprob,
             F_newproj, F_csub):
    """Advance draw ``d`` one year (index ``i`` of the outputs) in Monte Carlo mode, in place.

    The state and outputs are those of :func:`ocop_sim.engine._step_expected`; ``ss`` is this
    year's submission scale of the draw, ``fixed[i]`` says the log inflow of year ``i`` is given
    (``path[i, d]``), else it takes a random step from ``log_inflow[d]``.  Draws from numba's
    ``np.random`` state (seeded by the caller).
    """
    A = cand.shape[1]
    G = cand.shape[2]
    w_sum = 0.0
    for a in range(A):
        w[a] = weight[a] * act[a]
        w_sum += w[a]
    w_sum = _fmax(w_sum, 1e-12)
    for a in range(A):
        share[a] = w[a] / w_sum
    pd_ = lev[_LV_PD]
    tr_ = lev[_LV_TR]
    ss_ = lev[_LV_SS]
    infra = lev[_LV_INF]
    vc_ = lev[_LV_VC]
    dc_ = lev[_LV_DC]
    agt = lev[_LV_AGT]
    tso = lev[_LV_TSO]

    p = Pm[d]
    h = p[_C_EXIT]
    hc = _clip01(h)

    # 7. exit: entities dissolve (their products lapse in the pass over cert below)
    for a in range(A):
        ex = _binom(ent[d, a], hc)
        F_exits[i, d, a] = ex
        ent[d, a] = ent[d, a] - ex

    # year-to-year shocks: a random walk of log inflow (σε − σ²/2: the multiplier has mean 1),
    # unless this year's level is given, and a shock to the submission rate
    e1 = np.random.standard_normal()
    e2 = np.random.standard_normal()
    s_in = p[_C_ISD]
    if fixed[i]:
        lin = path[i, d]
    else:
        lin = log_inflow[d] + s_in * e1 - 0.5 * s_in ** 2
    log_inflow[d] = lin
    mult = np.exp(lin)
    sd = p[_C_SSD]
    sub_shock = np.exp(sd * e2 - 0.5 * sd * sd)

    # 8. projects
    np0 = infra / p[_C_DPC]
    np1 = dc_
    np2 = ss_ / p[_C_SPC]
    np3 = agt
    np4 = vc_ / p[_C_VCC]
    projects[d, 0] += np0
    projects[d, 1] += np1
    projects[d, 2] += np2
    projects[d, 3] += np3
    projects[d, 4] += np4
    F_newproj[i, d, 0] = np0
    F_newproj[i, d, 1] = np1
    F_newproj[i, d, 2] = np2
    F_newproj[i, d, 3] = np3
    F_newproj[i, d, 4] = np4

    # 3a. new entities
    auto = p[_C_AUTO]
    ent_uplift = _add_responses(auto, 0, RT, lev, p, w_sum, 1.0, auto)
    c_ent = p[_C_BNE] * ent_uplift * mult
    c_st = p[_C_EPS] * np2
    c_im = p[_C_EIM] * ent_uplift * mult
    for a in range(A):
        pool_a = 0.0
        pool0_a = 0.0
        for g in range(G):
            pool_a += pool[d, a, g]
            pool0_a += pool0[d, a, g]
        left_a = _clip01(pool_a / _fmax(pool0_a, 1e-12))
        ne = _pois(c_ent * w[a] + c_st * share[a] + c_im * ent[d, a] * left_a)
        new_ent[a] = ne
        ent[d, a] = ent[d, a] + ne
        F_newent[i, d, a] = ne

    # 1. training and coverage
    _training(i, d, A, tr_, tso, h, p, opool, toff, tl, ent, kept, untr, cov, F_toff, F_tlead, F_cov, S_cov)

    # 2. quality and the mean score (the candidates and pool at the start of the year)
    _quality(i, d, A, G, p, pd_, share, cov, projects, cand, pool, pool0, score_shift, score, F_quality, F_score)

    # 4. evaluation of submitted candidates (split fail/3★/4★/5★ band), 3b. new ideas
    evaluating = 1.0 if year >= p[_C_FEY] else 0.0
    src = p[_C_SUBR] * evaluating * ss * sub_shock
    scale = p[_C_SCALE]
    prem = p[_C_PREM]
    pbon = p[_C_PBON]
    t3 = p[_C_T3]
    t4 = p[_C_T4]
    t5 = p[_C_T5]
    retry_p = p[_C_RETRY]
    drop_p = p[_C_DROP]
    idea_uplift = _add_responses(auto, 1, RT, lev, p, w_sum, 1.0, auto)
    c_idea = p[_C_BNI] * idea_uplift * mult
    ipne = p[_C_IPNE]
    tour_c = np3 * p[_C_IPAT]
    pgrow = p[_C_PG]
    for a in range(A):
        sm = score[a]
        f3 = _mix(t3, sm, scale, prem, pbon)
        f4 = _mix(t4, sm, scale, prem, pbon)
        f5 = _mix(t5, sm, scale, prem, pbon)
        left1 = 1.0 - f3
        c3 = _cond(f4 - f3, left1)
        c4 = _cond(f5 - f4, left1 - (f4 - f3))
        failed_a = 0.0
        base_a = c_idea * w[a] + ipne * new_ent[a]
        for g in range(G):
            c0 = cand[d, a, g]
            sub = _binom(c0, src)
            fl = _binom(sub, f3)
            rem = sub - fl
            n3 = _binom(rem, c3)
            rem = rem - n3
            n4 = _binom(rem, c4)
            n5 = rem - n4
            c1 = c0 - sub + _binom(fl, retry_p)
            drop = _binom(c1, drop_p)
            F_sub[i, d, a, g] = sub
            failed_a += fl
            F_newcert[i, d, a, g, 0] = n3
            F_newcert[i, d, a, g, 1] = n4
            F_newcert[i, d, a, g, 2] = n5
            F_newcert[i, d, a, g, 3] = 0.0
            pl = pool[d, a, g]
            p0 = pool0[d, a, g]
            left = pl / _fmax(p0, 1e-12) if p0 > 0 else 0.0
            lam = base_a * gs[g] * left
            if g == tourism:
                lam = lam + tour_c * share[a]
            # never more ideas than the pool holds (whole products)
            ni = _fmin(_pois(lam), np.floor(pl + 1e-9))
            pool[d, a, g] = pl - ni + pgrow * p0 * act[a]
            cand[d, a, g] = c1 - drop + ni
            F_ideas[i, d, a, g] = ni
        F_failed[i, d, a] = failed_a

    # 7. (cert part) exit lapse, then 5. upgrades: one pass over cert; the central passes wait
    # for the capacity
    bonus = p[_C_UBON]
    rate = p[_C_UAR]
    central_on = 1.0 if year >= p[_C_CFY] else 0.0
    csr = p[_C_CSR] * central_on
    cpr = p[_C_CPR]
    tot = 0.0
    n_cert = 0.0
    for a in range(A):
        su = score[a] + bonus
        f4u = _mix(t4, su, scale, prem, pbon)
        f5u = _mix(t5, su, scale, prem, pbon)
        pu4 = (f5u - f4u) + (1.0 - f5u)
        pu5 = 1.0 - f5u
        csub_a = 0.0
        e0 = 0.0
        e1 = 0.0
        e2 = 0.0
        e3 = 0.0
        for g in range(G):
            s34 = 0.0
            s45 = 0.0
            for k in range(_NK):
                c = cert[d, a, g, _L3, k]
                x = _binom(c, hc)
                v = c - x
                e0 += x
                up = _binom(v, _clip01(rate) * _clip01(pu4))  # attempts thinned by success: one draw
                v = v - up
                s34 += up
                cert[d, a, g, _L3, k] = v
                n_cert += v
                c = cert[d, a, g, _L4, k]
                x = _binom(c, hc)
                v = c - x
                e1 += x
                up = _binom(v, _clip01(rate) * _clip01(pu5))  # attempts thinned by success: one draw
                v = v - up
                s45 += up
                cert[d, a, g, _L4, k] = v
                n_cert += v
                c = cert[d, a, g, _LP5, k]
                x = _binom(c, hc)
                v = c - x
                e2 += x
                sc_ = _binom(v, csr)
                pc = _binom(sc_, cpr)
                pass_c[a, g, k] = pc
                tot += pc
                csub_a += sc_
                cert[d, a, g, _LP5, k] = v
                n_cert += v
                c = cert[d, a, g, _LN5, k]
                x = _binom(c, hc)
                v = c - x
                e3 += x
                cert[d, a, g, _LN5, k] = v
                n_cert += v
            F_upg[i, d, a, g, 0] = 0.0
            F_upg[i, d, a, g, 1] = s34
            F_upg[i, d, a, g, 2] = s45
        F_csub[i, d, a] = csub_a
        lcum[d, a, _L3] = lcum[d, a, _L3] + e0
        lcum[d, a, _L4] = lcum[d, a, _L4] + e1
        lcum[d, a, _LP5] = lcum[d, a, _LP5] + e2
        lcum[d, a, _LN5] = lcum[d, a, _LN5] + e3
        F_lapexit[i, d, a] = e0 + e1 + e2 + e3
    cap = p[_C_CCAP]
    if tot > cap:
        keep = cap / _fmax(tot, 1e-12)
        tot = 0.0
        for a in range(A):
            for g in range(G):
                for k in range(_NK):
                    pc = _binom(pass_c[a, g, k], keep)
                    pass_c[a, g, k] = pc
                    tot += pc
    n_cert = _fmax(n_cert - tot, 1.0)

    # 6. ageing and renewal (split renewed / downgraded / lapsed per level)
    points = projects[d, 0] + projects[d, 1]
    r = _clip01(_add_responses(p[_C_RBP], 2, RT, lev, p, w_sum, n_cert, auto) + p[_C_RGDP] * points)
    F_rprob[i, d] = r
    r4 = r * p[_C_F4]
    dp3 = p[_C_DP]
    dp4 = p[_C_DP4]
    cd3 = _cond((1 - r) * dp3, 1.0 - r)
    cd4 = _cond((1 - r4) * dp4, 1.0 - r4)
    cd5 = _cond((1 - r) * dp4, 1.0 - r)
    for a in range(A):
        ren_a = 0.0
        dn_a = 0.0
        lap_a = 0.0
        q0 = 0.0
        q1 = 0.0
        q2 = 0.0
        q3 = 0.0
        for g in range(G):
            s5 = 0.0
            for k in range(_NK):
                pc = pass_c[a, g, k]
                cert[d, a, g, _LP5, k] = cert[d, a, g, _LP5, k] - pc
                s5 += pc
            F_upg[i, d, a, g, 3] = s5
            x0 = cert[d, a, g, _L3, _NK - 1]
            x1 = cert[d, a, g, _L4, _NK - 1]
            x2 = cert[d, a, g, _LP5, _NK - 1]
            x3 = cert[d, a, g, _LN5, _NK - 1]
            rn0 = _binom(x0, r)
            rn1 = _binom(x1, r4)
            rn2 = _binom(x2, r)
            rn3 = _binom(x3, r)
            dw0 = _binom(x0 - rn0, cd3)
            dw1 = _binom(x1 - rn1, cd4)
            dw2 = _binom(x2 - rn2, cd5)
            dw3 = _binom(x3 - rn3, cd5)
            lt0 = (x0 - rn0 - dw0) + dw0
            lt1 = x1 - rn1 - dw1
            lt2 = x2 - rn2 - dw2
            lt3 = x3 - rn3 - dw3
            q0 += lt0
            q1 += lt1
            q2 += lt2
            q3 += lt3
            ren_a += ((rn0 + rn1) + rn2) + rn3
            dn_a += (dw1 + dw2) + dw3  # a downgraded 3★ lapses (counted in lt0)
            lap_a += ((lt0 + lt1) + lt2) + lt3
            y0 = F_newcert[i, d, a, g, _L3] + rn0 + dw1
            y1 = F_newcert[i, d, a, g, _L4] + F_upg[i, d, a, g, 1] + rn1 + dw2
            y2 = F_newcert[i, d, a, g, _LP5] + F_upg[i, d, a, g, 2] + rn2 + dw3
            y3 = s5 + rn3
            _e._age(cert, d, a, g, _L3, y0, S_cert, i)
            _e._age(cert, d, a, g, _L4, y1, S_cert, i)
            _e._age(cert, d, a, g, _LP5, y2, S_cert, i)
            _e._age(cert, d, a, g, _LN5, y3, S_cert, i)
        lcum[d, a, _L3] = lcum[d, a, _L3] + q0
        lcum[d, a, _L4] = lcum[d, a, _L4] + q1
        lcum[d, a, _LP5] = lcum[d, a, _LP5] + q2
        lcum[d, a, _LN5] = lcum[d, a, _LN5] + q3
        for li in range(4):
            S_lcum[i, d, a, li] = lcum[d, a, li]
        F_renewed[i, d, a] = ren_a
        F_down[i, d, a] = dn_a
        F_lapexp[i, d, a] = lap_a

    for a in range(A):
        for g in range(G):
            S_cand[i, d, a, g] = cand[d, a, g]
        S_ent[i, d, a] = ent[d, a]
        S_tl[i, d, a] = tl[d, a]
        S_act[i, d, a] = act[a]
    for j in range(5):
        S_proj[i, d, j] = projects[d, j]


def _run_years_mc(i0, i1, seeds, years, levm, RT, Pm, weight, act, gs, tourism, sub_scale0, score_shift, fixed,
                  path, log_inflow, cand, cert, ent, tl, toff, opool, projects, pool, pool0, lcum,
                  S_cert, S_cand, S_ent, S_tl, S_cov, S_proj, S_act, S_lcum,
                  F_newcert, F_upg, F_renewed, F_down, F_lapexp, F_lapexit, F_newent, F_exits,
                  F_sub, F_failed, F_ideas, F_quality, F_score, F_toff, F_tlead, F_cov, F_rprob,
                  F_newproj, F_csub):
    """Years ``i0 .. i1 - 1`` (no events between them) of every draw: draw ``d`` re-seeds the random
    state with ``seeds[d]`` and runs its years; ``sub_scale0`` in year ``i0``, 1 after."""
    D = cand.shape[0]
    A = cand.shape[1]
    G = cand.shape[2]
    w = np.empty(A)
    share = np.empty(A)
    new_ent = np.empty(A)
    kept = np.empty(A)
    untr = np.empty(A)
    cov = np.empty(A)
    score = np.empty(A)
    pass_c = np.empty((A, G, _NK))
    for d in range(D):
        np.random.seed(seeds[d])
        for i in range(i0, i1):
            ss = sub_scale0[d] if i == i0 else 1.0
            step_mc(i, d, years[i], levm[i], RT, Pm, weight, act, gs, tourism, ss, score_shift, fixed, path,
                    log_inflow, cand, cert, ent, tl, toff, opool, projects, pool, pool0, lcum,
                    w, share, new_ent, kept, untr, cov, score, pass_c,
                    S_cert, S_cand, S_ent, S_tl, S_cov, S_proj, S_act, S_lcum,
                    F_newcert, F_upg, F_renewed, F_down, F_lapexp, F_lapexit, F_newent, F_exits,
                    F_sub, F_failed, F_ideas, F_quality, F_score, F_toff, F_tlead, F_cov, F_rprob,
                    F_newproj, F_csub)


if _e.AVAILABLE:
    step_mc = _jit(_step_mc)
    _run_years_mc_jit = _jit(_run_years_mc)
else:  # pragma: no cover
    step_mc = _step_mc
    _run_years_mc_jit = None


# ----------------------------------------------------------------------------- Python driver


def flow_seeds(seed: int, block: int, n: int, T: int) -> np.ndarray:
    """The flows' seeds of draws ``0 .. n-1`` of ``block``: an n × T uint32 matrix, row d the draw's,
    column i for a stretch of years that starts at year index i.  Row d depends only on (seed,
    block, d, T): a prefix of ``SeedSequence.generate_state``, whatever ``n``."""
    ss = np.random.SeedSequence(int(seed), spawn_key=(int(block), _sim.stream_key(SEED_STREAM)))
    return ss.generate_state(n * T, np.uint32).reshape(n, T)


def run_monte_carlo(scenario: Scenario, n: int, seed: int, block: int, sample_assumptions: bool = True,
                    overrides: dict[str, np.ndarray] | None = None, event_list: list | None = None,
                    inflow_path: dict[int, np.ndarray] | None = None) -> "_sim.RunArrays":
    """Monte Carlo run of ``n`` draws of block ``block``: ``simulate.run_block(scenario, n,
    block_rng(seed, block), sample_assumptions, overrides=..., streams=Streams(seed, block),
    event_list=..., inflow_path=...)`` with the years' flows computed by the compiled kernel.

    The assumptions, the initial split and the events are those of ``run_block`` draw for draw
    (the same streams); the flows are equal in distribution (module docstring).
    """
    if not _e.AVAILABLE:
        raise _e.EngineUnavailable("numba is not installed: use ocop_sim.simulate.run_block")
    streams = _sim.Streams(int(seed), int(block))
    geo = _data.areas(scenario.pack)
    grp = _data.groups(scenario.pack)
    gs = np.array([grp[g]["idea_share"] for g in GROUPS])
    group_share = gs / gs.sum()
    weight = geo.weight.astype(float).copy()
    P = _sim.parameter_arrays(scenario, n, streams if sample_assumptions else None)
    for k, v in (overrides or {}).items():
        P[k] = np.broadcast_to(np.asarray(v, dtype=float), (n,)).copy()
    params_out = {k: v.copy() for k, v in P.items()}
    state = _sim.initial_state(scenario, n, False, P, streams)
    events = _sim.scenario_events(scenario) if event_list is None else list(event_list)
    f32 = np.float32
    initial = _sim.initial_outputs(state, n, f32)
    years = np.arange(scenario.horizon.start, scenario.horizon.end + 1)
    T = len(years)
    A, G, L = len(weight), len(GROUPS), model.N_LEVELS
    tourism = GROUPS.index("tourism")
    lev_rows = [_sim._lever_values(scenario, int(y)) for y in years]
    levm = np.array([[getattr(lv, c) for c in LEVER_COLUMNS] for lv in lev_rows],
                    dtype=np.float64).reshape(T, len(LEVER_COLUMNS))
    RT = _e.response_table()
    fixed = np.zeros(T, dtype=np.bool_)
    path = np.zeros((T, n))
    for t_, y in enumerate(years):
        if inflow_path is not None and int(y) in inflow_path:
            fixed[t_] = True
            path[t_] = np.broadcast_to(np.asarray(inflow_path[int(y)], float), (n,))
    event_years = {int(ev.year) for ev in events if years[0] <= int(ev.year) <= years[-1]}

    e = np.empty
    stocks = {"certified": e((T, n, A, G, L), f32), "candidates": e((T, n, A, G), f32), "entities": e((T, n, A), f32),
              "trained_leaders": e((T, n, A), f32), "coverage_officials": e((T, n), f32),
              "projects": e((T, n, len(model.PROJECTS)), f32), "active": e((T, n, A), f32),
              "lapsed_cum": e((T, n, A, L), f32)}
    shapes = {"AGL": (A, G, L), "AG": (A, G), "A": (A,), "": (), "P": (len(model.PROJECTS),)}
    flows = {k: e((T, n) + shapes[ax], f32) for k, ax in _sim._KEEP_FLOWS.items()}
    S = tuple(stocks[k] for k in _e._STOCKS if k != "coverage_officials")
    S_cert, S_cand, S_ent, S_tl, S_proj, S_act, S_lcum = S
    F = tuple(flows[k] for k in _e._FLOWS)

    f64 = _e._f64
    cand, cert, ent = f64(state.cand), f64(state.cert), f64(state.ent)
    tl, toff, opool = f64(state.trained_lead), f64(state.trained_off, (n,)), f64(state.officials_pool, (n,))
    projects, pool, pool0, lcum = f64(state.projects), f64(state.pool), f64(state.pool0), f64(state.lapsed_cum)
    active = np.array(state.active, dtype=bool)
    score_shift = f64(state.score_shift, (n,))
    log_inflow = f64(state.log_inflow, (n,))
    Pm = _e.pack_assumptions(P, n)
    P_seen = dict(P)
    act = active.astype(np.float64)
    ones = np.ones(n)
    seeds = flow_seeds(seed, block, n, T)
    yearsf = years.astype(np.float64)

    i = 0
    while i < T:
        year = int(years[i])
        sub_scale = ones
        if year in event_years:
            st = model.State(cand=cand, cert=cert, ent=ent, trained_lead=tl, trained_off=toff,
                             officials_pool=opool, projects=projects, active=active, pool=pool, pool0=pool0,
                             lapsed_cum=lcum, log_inflow=log_inflow, score_shift=score_shift, thresholds=None,
                             submission_scale=1.0)
            st, nw = _sim._apply_events(st, scenario, year, P, False, group_share, events, geo)
            if nw is not None:
                weight[nw[0]] = nw[1]
            if st.thresholds is not None:  # pragma: no cover - nothing sets them today
                raise NotImplementedError("engine_mc: State.thresholds is not supported (thresholds come from P)")
            own = _e._own
            cand, cert, ent, tl = own(st.cand, cand), own(st.cert, cert), own(st.ent, ent), own(st.trained_lead, tl)
            toff, opool = own(st.trained_off, toff, (n,)), own(st.officials_pool, opool, (n,))
            projects, pool, pool0 = own(st.projects, projects), own(st.pool, pool), own(st.pool0, pool0)
            lcum = own(st.lapsed_cum, lcum)
            if st.active is not active:
                active = np.array(st.active, dtype=bool)
                act = active.astype(np.float64)
            score_shift = own(st.score_shift, score_shift, (n,))
            sub_scale = f64(st.submission_scale, (n,))
            for name, j in COLUMNS.items():  # assumptions the events changed
                if P[name] is not P_seen[name]:
                    Pm[:, j] = P[name]
                    P_seen[name] = P[name]
        j = i + 1
        while j < T and int(years[j]) not in event_years:
            j += 1
        _run_years_mc_jit(i, j, np.ascontiguousarray(seeds[:, i]), yearsf, levm, RT, Pm, weight, act, group_share,
                          tourism, sub_scale, score_shift, fixed, path, log_inflow, cand, cert, ent, tl, toff, opool,
                          projects, pool, pool0, lcum, S_cert, S_cand, S_ent, S_tl, stocks["coverage_officials"],
                          S_proj, S_act, S_lcum, *F)
        i = j
    spending = {line: levm[:, LEVER_COLUMNS.index(line)].copy() for line in BUDGET_LINES}
    return _sim.RunArrays(years=years, stocks=stocks, flows=flows, params=params_out, spending=spending,
                          initial=initial)


def warm_up() -> bool:
    """Compile (or load from the disk cache) the Monte Carlo kernel on a tiny case; False without numba."""
    if not _e.AVAILABLE:
        return False
    D, A, G, L, K, T = 1, 1, len(GROUPS), model.N_LEVELS, model.N_AGES, 1
    z = np.zeros

    def o(*shape):
        return z((T, D) + shape, np.float32)

    Pm = z((D, len(COLUMNS))) + 1.0
    F = [o(A, G, L), o(A, G, L), o(A), o(A), o(A), o(A), o(A), o(A), o(A, G), o(A), o(A, G), o(A), o(A),
         o(), o(), o(), o(), o(5), o(A)]
    _run_years_mc_jit(0, 1, z(D, np.uint32), z(T), z((T, len(LEVER_COLUMNS))), _e.response_table(), Pm, np.ones(A),
                      np.ones(A), np.ones(G) / G, 0, np.ones(D), z(D), z(T, np.bool_), z((T, D)), z(D),
                      z((D, A, G)), z((D, A, G, L, K)), z((D, A)), z((D, A)), z(D), np.ones(D), z((D, 5)),
                      z((D, A, G)), z((D, A, G)), z((D, A, L)),
                      o(A, G, L), o(A, G), o(A), o(A), o(), o(5), o(A), o(A, L), *F)
    return True
