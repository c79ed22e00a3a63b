"""A compiled (numba) kernel of the model's *expected* mode: batches of variants without numpy overhead.

:func:`run_expected` has the contract of ``simulate.run_block(scenario, n, None, overrides=...,
event_list=...)`` (the same keys, shapes and float64 dtypes) and equals it within 1e-9 relative
(tests/test_engine.py checks every array of every scenario).  The equations are those of
:func:`ocop_sim.model.step` with the :class:`~ocop_sim.model.Sampler` in expected mode
(``binomial(n, p) = n·clip(p, 0, 1)``, ``poisson(λ) = max(λ, 0)``, ``split``: ``n·p`` for all but
the last outcome, the rest for the last) and no year-to-year shocks, written as explicit loops
over draws D, areas A, groups G, levels L and ages K.  model.py stays the reference: a change
there must be made here too (the tests fail until it is).

The Monte Carlo kernel (:mod:`ocop_sim.engine_mc`) runs the same equations: one year of the model
is written once, :func:`_year_of_draws_of`, and compiled once per mode (draws in Monte Carlo
mode where this mode takes means).  Longer than 400 lines because every compiled kernel, the Monte
Carlo one's entry points included, lives in the file of the equations it calls: numba invalidates
a function's disk cache only when the file that defines it changes, not when a function it calls
in another file does.

The Python pieces that are not per-year hot are reused as they are: the assumption arrays, the
initial state, the events (``timeloop._apply_events`` runs in Python before the kernel in every
year that has an event; in the other years it only resets ``submission_scale`` to 1) and the
lever schedules.  The per-draw assumptions are packed into a D × n_assumptions float64 matrix
with a fixed name → column map (:data:`COLUMNS`).

Without numba, :data:`AVAILABLE` is False and :func:`run_expected` raises
:class:`EngineUnavailable`: callers fall back to ``run_block``.  Compiled kernels are cached on
disk (numba's cache next to this file, or a user/temporary cache directory when the package is
installed read-only); :func:`warm_up` compiles (or loads) them on a tiny case.
"""
from __future__ import annotations

import os
import tempfile

import numpy as np

from . import data as _data
from . import levers as _levers
from . import model
from . import timeloop as _loop
from .config import ASSUMPTION_NAMES, BUDGET_LINES, GROUPS, SCHEDULE_LEVERS, Scenario
from .errors import OcopError


class EngineUnavailable(OcopError, RuntimeError):
    """numba is not installed (or cannot compile here): use ``simulate.run_block``."""


try:  # pragma: no cover - depends on the environment
    import numba as _numba

    AVAILABLE = True
except Exception:  # noqa: BLE001 - any import failure means: no compiled engine
    _numba = None
    AVAILABLE = False

#: Column of each assumption in the packed D × n_assumptions matrix.
COLUMNS: dict[str, int] = {name: j for j, name in enumerate(ASSUMPTION_NAMES)}
#: Levers the kernel's equations use by name (projects bought, training, development support in
#: the quality index): always the first columns of the lever matrix, in this order, so that the
#: compiled (and disk-cached) kernel's column constants never depend on the registry's order.
KERNEL_LEVERS: tuple[str, ...] = ("product_development_bn_vnd", "training_bn_vnd", "startup_support_bn_vnd",
                                  "infrastructure_bn_vnd", "value_chain_bn_vnd", "display_centres",
                                  "agritourism_projects", "training_share_officials")
#: Columns of the lever matrix (T × n_levers): :data:`KERNEL_LEVERS`, then every other lever of the
#: registry (:data:`ocop_sim.levers.LEVERS`) in its order; the responses find theirs by name.
LEVER_COLUMNS: tuple[str, ...] = KERNEL_LEVERS + tuple(n for n in _levers.lever_names() if n not in KERNEL_LEVERS)
_LV_PD, _LV_TR, _LV_SS, _LV_INF, _LV_VC, _LV_DC, _LV_AGT, _LV_TSO = range(len(KERNEL_LEVERS))


def response_table(responses=None) -> np.ndarray:
    """The declared responses (:data:`ocop_sim.model.RESPONSES`) as an int64 matrix for the kernel.

    One row per response: the rate (index in :data:`ocop_sim.levers.RATES`), the form (0 inflow,
    1 gain), the normalisation (0 per area weight, 1 per certified product in mn VND), the
    assumption columns of the maximum uplift and of the half-saturation, then the lever columns
    summed (-1 pads).  At least one column of levers, so that an empty table still has a shape.
    """
    responses = model.RESPONSES if responses is None else responses
    width = max([len(r.levers) for r in responses] + [1])
    out = np.full((len(responses), 5 + width), -1, dtype=np.int64)
    for j, r in enumerate(responses):
        out[j, :5] = (_levers.RATES.index(r.acts_on), _levers.FORMS.index(r.form),
                      _levers.NORMALISATIONS.index(r.normalise), COLUMNS[r.uplift_max], COLUMNS[r.half_saturation])
        out[j, 5:5 + len(r.levers)] = [LEVER_COLUMNS.index(n) for n in r.levers]
    return out

# assumption columns as module constants: numba freezes them into the kernel
_C_EXIT = COLUMNS["entity_exit_rate"]
_C_DPC = COLUMNS["display_point_cost_bn_vnd"]
_C_SPC = COLUMNS["startup_project_cost_bn_vnd"]
_C_VCC = COLUMNS["value_chain_project_cost_bn_vnd"]
_C_AUTO = COLUMNS["autonomous_share"]
_C_BNE = COLUMNS["base_new_entities"]
_C_EPS = COLUMNS["entities_per_startup"]
_C_EIM = COLUMNS["entity_imitation"]
_C_CPT = COLUMNS["cost_per_trainee_mn_vnd"]
_C_LTR = COLUMNS["leader_training_reach"]
_C_TURN = COLUMNS["staff_turnover"]
_C_DEVH = COLUMNS["dev_half_saturation_mn_vnd"]
_C_VCH = COLUMNS["value_chain_half_saturation"]
_C_QWT = COLUMNS["quality_weight_training"]
_C_QWD = COLUMNS["quality_weight_development"]
_C_QWV = COLUMNS["quality_weight_value_chain"]
_C_SB = COLUMNS["score_base"]
_C_SQG = COLUMNS["score_quality_gain"]
_C_SDEP = COLUMNS["score_depletion"]
_C_FEY = COLUMNS["first_evaluation_year"]
_C_SUBR = COLUMNS["submission_rate"]
_C_SCALE = COLUMNS["score_scale"]
_C_PREM = COLUMNS["premium_share"]
_C_PBON = COLUMNS["premium_score_bonus"]
_C_T3 = COLUMNS["threshold_3star"]
_C_T4 = COLUMNS["threshold_4star"]
_C_T5 = COLUMNS["threshold_5star"]
_C_RETRY = COLUMNS["retry_prob"]
_C_DROP = COLUMNS["candidate_dropout"]
_C_BNI = COLUMNS["base_new_ideas"]
_C_IPNE = COLUMNS["ideas_per_new_entity"]
_C_IPAT = COLUMNS["ideas_per_agritourism_project"]
_C_PG = COLUMNS["pool_growth"]
_C_UBON = COLUMNS["upgrade_score_bonus"]
_C_UAR = COLUMNS["upgrade_attempt_rate"]
_C_CFY = COLUMNS["central_first_year"]
_C_CSR = COLUMNS["central_submission_rate"]
_C_CPR = COLUMNS["central_pass_rate"]
_C_CCAP = COLUMNS["central_capacity"]
_C_RBP = COLUMNS["renewal_base_prob"]
_C_RGDP = COLUMNS["renewal_gain_per_display_point"]
_C_F4 = COLUMNS["renewal_factor_4star"]
_C_DP = COLUMNS["downgrade_prob"]
_C_DP4 = COLUMNS["downgrade_prob_4star"]
_C_ISD = COLUMNS["inflow_sd"]
_C_SSD = COLUMNS["submission_sd"]

_L3, _L4, _LP5, _LN5 = model.L3, model.L4, model.LP5, model.LN5
_NL, _NK = model.N_LEVELS, model.N_AGES
assert (_NL, _NK) == (4, 3) and tuple(model.PROJECTS).index("value_chain_projects") == 4
assert set(model.YearLevers.__dataclass_fields__) == set(LEVER_COLUMNS) and len(LEVER_COLUMNS) == len(set(LEVER_COLUMNS))
assert set(BUDGET_LINES) <= set(SCHEDULE_LEVERS) <= set(LEVER_COLUMNS)


# ----------------------------------------------------------------------------- numba set-up


def _writable(path: str) -> bool:
    try:
        os.makedirs(path, exist_ok=True)
        probe = tempfile.NamedTemporaryFile(dir=path, prefix=".probe_", delete=True)
        probe.close()
        return True
    except OSError:
        return False


def _jit(fn):
    """``numba.njit(cache=True)``; a cache directory of our own when numba finds none; no cache at worst."""
    opts = dict(fastmath=False, error_model="numpy", nogil=True)
    try:
        return _numba.njit(cache=True, **opts)(fn)
    except Exception:  # noqa: BLE001 - numba found no writable cache location (read-only install)
        pass
    try:
        from numba.core import config as _ncfg

        if not getattr(_ncfg, "CACHE_DIR", ""):
            d = os.environ.get("NUMBA_CACHE_DIR") or os.path.join(
                os.path.expanduser("~"), ".cache", "ocop_sim_numba")
            if not _writable(d):
                d = os.path.join(tempfile.gettempdir(), f"ocop_sim_numba_{os.getuid() if hasattr(os, 'getuid') else 0}")
            if _writable(d):
                _ncfg.CACHE_DIR = d
        return _numba.njit(cache=True, **opts)(fn)
    except Exception:  # noqa: BLE001
        return _numba.njit(cache=False, **opts)(fn)


if AVAILABLE:
    _helpers_jit = _numba.njit(fastmath=False, error_model="numpy")
else:  # pragma: no cover
    def _helpers_jit(fn):
        return fn


# ----------------------------------------------------------------------------- scalar helpers
# NaN-propagating like np.maximum / np.minimum (``lo if x < lo else x`` keeps a NaN x)


@_helpers_jit
def _clip01(p):
    if p != p:
        return p
    if p < 0.0:
        return 0.0
    if p > 1.0:
        return 1.0
    return p


@_helpers_jit
def _fmax(x, y):
    if x != x or y != y:
        return x + y
    return x if x >= y else y


@_helpers_jit
def _fmin(x, y):
    if x != x or y != y:
        return x + y
    return x if x <= y else y


@_helpers_jit
def _sat(x, half):
    x = _fmax(x, 0.0)
    return x / (x + half)


@_helpers_jit
def _cdf(x, mean, scale):
    return 0.5 + 0.5 * np.tanh((x - mean) / (2.0 * scale))


@_helpers_jit
def _mix(t, mean, scale, ps, bonus):
    return (1.0 - ps) * _cdf(t, mean, scale) + ps * _cdf(t, mean + bonus, scale)


@_helpers_jit
def _age(cert, d, a, g, li, age0, S_cert, i):
    """Certificates of level ``li`` age one year (age 2 left: expired), ``age0`` enter at age 0."""
    c1 = cert[d, a, g, li, 1]
    c0 = cert[d, a, g, li, 0]
    cert[d, a, g, li, 2] = c1
    cert[d, a, g, li, 1] = c0
    cert[d, a, g, li, 0] = age0
    S_cert[i, d, a, g, li] = age0 + c0 + c1


@_helpers_jit
def _add_responses(base, rate, RT, lev, p, w_sum, n_cert, auto):
    """``base`` plus the terms of the declared responses on ``rate`` (rows of ``RT``, in order):
    the arithmetic of :func:`ocop_sim.model.response_terms` term by term."""
    for j in range(RT.shape[0]):
        if RT[j, 0] != rate:
            continue
        x = lev[RT[j, 5]]
        for c in range(6, RT.shape[1]):
            if RT[j, c] >= 0:
                x = x + lev[RT[j, c]]
        if RT[j, 2] == 0:
            x = x / w_sum
        else:
            x = x * 1000.0 / n_cert
        u = p[RT[j, 3]]
        if RT[j, 1] == 0:
            base = base + (1.0 - auto) * (1.0 + u) * _sat(x, p[RT[j, 4]])
        else:
            base = base + u * _sat(x, p[RT[j, 4]])
    return base


# ----------------------------------------------------------------------------- samplers of one cell
# Monte Carlo mode (``Sampler`` with a generator); ``_take`` and the helpers below choose by ``mc``
# between a draw and the expected mode's mean, so that both kernels share one set of equations.


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


@_helpers_jit
def _take(n, p, mc):
    """``Sampler.binomial(n, p)`` of one cell, ``p`` already in [0, 1]: a draw (``mc``) or the mean ``n·p``."""
    if mc:
        return _binom(n, p)
    return n * p


@_helpers_jit
def _exit_lapse(c, hc, mc):
    """The ``c`` certificates of one cell whose entity exits (share ``hc``) and those left: (lapsed, left)."""
    x = _take(c, hc, mc)
    return x, c - x


@_helpers_jit
def _lapse_and_upgrade(c, hc, rate, success, mc):
    """The ``c`` certificates of one cell of an upgradable level: the exit lapse, then upgrades of
    what is left (attempts, share ``rate``, that succeed, ``success``; Monte Carlo:
    ``binomial(binomial(v, rate), success)`` as one draw, exact in distribution): (lapsed,
    upgraded, left).  Scalars only: a call with an array argument costs in the innermost loop."""
    x, v = _exit_lapse(c, hc, mc)
    if mc:
        up = _binom(v, rate * success)
    else:
        up = v * rate * success
    return x, up, v - up


# ----------------------------------------------------------------------------- the kernel


@_helpers_jit
def _training(i, d, A, tr_, tso, h, p, opool, toff, tl, ent, kept, untr, cov, F_toff, F_tlead, F_cov, S_cov):
    """1. Training and coverage of draw/variant ``d`` in year ``i``, in place: officials trained
    (``toff``), entity leaders trained (``tl``) and the leaders' coverage of each area (``cov``);
    ``kept``/``untr`` are scratch (A,).  Shared by the expected and the Monte Carlo kernels (the
    same equations: numpy's ``model.step`` is the reference for both)."""
    trainees = tr_ * 1000.0 / p[_C_CPT]
    t_off = trainees * tso
    t_lead = (trainees - t_off) * p[_C_LTR]
    turnover = p[_C_TURN]
    toff_new = _fmin(opool[d], toff[d] * (1 - turnover) + t_off)
    fac = (1 - turnover) * (1 - h)
    unt_sum = 0.0
    for a in range(A):
        kept[a] = _fmin(tl[d, a] * fac, ent[d, a])
        untr[a] = _fmax(ent[d, a] - kept[a], 0.0)
        unt_sum += untr[a]
    lead_sum = 0.0
    for a in range(A):
        if unt_sum > 0:
            alloc = t_lead * untr[a] / _fmax(unt_sum, 1e-12)
        else:
            alloc = 0.0
        if alloc >= untr[a]:
            tl_new = ent[d, a]
        else:
            tl_new = kept[a] + alloc
        tl[d, a] = tl_new
        lead_sum += _fmin(alloc, untr[a])
        if ent[d, a] > 0:
            cov[a] = tl_new / _fmax(ent[d, a], 1e-12)
        else:
            cov[a] = 0.0
    F_toff[i, d] = _fmin(t_off, opool[d])
    F_tlead[i, d] = lead_sum
    toff[d] = toff_new
    cov_off = toff_new / _fmax(opool[d], 1e-12)
    F_cov[i, d] = cov_off
    S_cov[i, d] = cov_off


@_helpers_jit
def _quality(i, d, A, G, p, pd_, share, cov, projects, cand, pool, pool0, score_shift, score, F_quality, F_score):
    """2. Quality index and mean evaluation score of each area of draw/variant ``d`` in year ``i``
    (from the candidates and the pool at the start of the year, before they are updated) into
    ``score`` (A,) and the flows.  Shared by the expected and the Monte Carlo kernels."""
    s_vc = _sat(projects[d, 4], p[_C_VCH])
    for a in range(A):
        cand_area = 0.0
        pool_a = 0.0
        pool0_a = 0.0
        for g in range(G):
            cand_area += cand[d, a, g]
            pool_a += pool[d, a, g]
            pool0_a += pool0[d, a, g]
        dev_per_cand = pd_ * 1000.0 * share[a] / _fmax(cand_area, 1.0)
        s_dev = _sat(dev_per_cand, p[_C_DEVH])
        q = _clip01(p[_C_QWT] * cov[a] + p[_C_QWD] * s_dev + p[_C_QWV] * s_vc)
        used = _clip01(1.0 - pool_a / _fmax(pool0_a, 1e-12))
        sm = (p[_C_SB] + score_shift[d]) + p[_C_SQG] * q - p[_C_SDEP] * used
        score[a] = sm
        F_quality[i, d, a] = q
        F_score[i, d, a] = sm


@_helpers_jit
def _scratch(A, G):
    """The per-draw scratch arrays of :func:`_year_of_draws_of` (overwritten by every draw and year):
    area weights ``w`` and shares, new entities, kept and untrained leaders, coverage, mean score
    (A,) and the central passes (A, G, ages)."""
    return (np.empty(A), np.empty(A), np.empty(A), np.empty(A), np.empty(A), np.empty(A), np.empty(A),
            np.empty((A, G, _NK)))


def _year_of_draws_of(mc: bool):
    """The kernel of one year, compiled for one mode: ``year_of_draws(i, d0, d1, ...)`` advances
    draws/variants ``d0 .. d1 - 1`` one year (index ``i`` of the outputs), in place, by the equations
    of :func:`ocop_sim.model.step`.  Shared by the expected kernel (``mc`` False: every flow its mean,
    ``binomial(n, p) = n·clip(p, 0, 1)``) and the Monte Carlo kernel (``mc`` True: draws from
    numba's ``np.random`` state, seeded by the caller; ``split`` as sequential conditional binomials).

    ``sub_scale`` (D,) is this year's submission scale of each draw, ``scratch`` the arrays of
    :func:`_scratch`.  Expected mode: the inflow multiplier is ``LI[i, d]``.  Monte Carlo: the
    year-to-year shocks, a random walk of ``log_inflow[d]`` (or the given level ``path[i, d]``
    where ``fixed[i]``) and a shock to the submission rate.  The state and outputs are those of
    :func:`step_expected`.

    ``mc`` is a constant of the compiled code (one function a mode, :data:`_year_expected` and
    :data:`_year_mc`), so that the branches of the other mode are compiled away: with a run-time
    flag the expected kernel was ~10 % slower.
    """

    @_helpers_jit
    def year_of_draws(i, d0, d1, year, lev, RT, Pm, weight, act, gs, tourism, sub_scale, score_shift, LI, fixed, path,
                      log_inflow, cand, cert, ent, tl, toff, opool, projects, pool, pool0, lcum, scratch,
                      S_cert, S_cand, S_ent, S_tl, S_cov, S_proj, S_act, S_lcum,
                      F_newcert, F_upg, F_renewed, F_down, F_lapexp, F_lapexit, F_newent, F_exits,
                      F_sub, F_failed, F_ideas, F_quality, F_score, F_toff, F_tlead, F_cov, F_rprob,
                      F_newproj, F_csub):
        w, share, new_ent, kept, untr, cov, score, pass_c = scratch
        A = cand.shape[1]
        G = cand.shape[2]
        w_sum = 0.0
        for a in range(A):
            w[a] = weight[a] * act[a]
            w_sum += w[a]
        w_sum = _fmax(w_sum, 1e-12)
        for a in range(A):
            share[a] = w[a] / w_sum
        for d in range(d0, d1):
            p = Pm[d]
            ss = sub_scale[d]
            h = p[_C_EXIT]
            hc = _clip01(h)

            # 7. exit: entities dissolve (their products lapse in the first pass over cert below: no
            # flow before the upgrades reads cert)
            for a in range(A):
                ex = _take(ent[d, a], hc, mc)
                F_exits[i, d, a] = ex
                ent[d, a] = ent[d, a] - ex

            if mc:
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
            else:
                mult = LI[i, d]
                sub_shock = 1.0

            # 8. projects
            np0 = lev[_LV_INF] / p[_C_DPC]
            np1 = lev[_LV_DC]
            np2 = lev[_LV_SS] / p[_C_SPC]
            np3 = lev[_LV_AGT]
            np4 = lev[_LV_VC] / p[_C_VCC]
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
                # imitation (Bass diffusion), damped by the share of the area's pool still left
                pool_a = 0.0
                pool0_a = 0.0
                for g in range(G):
                    pool_a += pool[d, a, g]
                    pool0_a += pool0[d, a, g]
                if mc:
                    ne = _pois(c_ent * w[a] + c_st * share[a] + c_im * ent[d, a] * _clip01(pool_a / _fmax(pool0_a, 1e-12)))
                else:  # 1 − used, as model.py writes it (not bit for bit the clipped share left)
                    left_a = 1.0 - _clip01(1.0 - pool_a / _fmax(pool0_a, 1e-12))
                    ne = _fmax(c_ent * w[a] + c_st * share[a] + c_im * ent[d, a] * left_a, 0.0)
                new_ent[a] = ne
                ent[d, a] = ent[d, a] + ne
                F_newent[i, d, a] = ne

            # 1. training and coverage
            _training(i, d, A, lev[_LV_TR], lev[_LV_TSO], h, p, opool, toff, tl, ent, kept, untr, cov,
                      F_toff, F_tlead, F_cov, S_cov)

            # 2. quality and the mean score (state.cand, state.pool: not updated yet)
            _quality(i, d, A, G, p, lev[_LV_PD], share, cov, projects, cand, pool, pool0, score_shift, score,
                     F_quality, F_score)

            # 4. evaluation of submitted candidates (split fail/3★/4★/5★ band), 3b. new ideas (per area and group)
            evaluating = 1.0 if year >= p[_C_FEY] else 0.0
            src = _clip01(p[_C_SUBR] * evaluating * ss * sub_shock)
            scale = p[_C_SCALE]
            prem = p[_C_PREM]
            pbon = p[_C_PBON]
            t3 = p[_C_T3]
            t4 = p[_C_T4]
            t5 = p[_C_T5]
            retry_p = _clip01(p[_C_RETRY])
            drop_p = _clip01(p[_C_DROP])
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
                pf = _clip01(f3)
                if mc:  # conditional on not failed, then on not 3★
                    p3 = _cond(f4 - f3, 1.0 - f3)
                    p4 = _cond(f5 - f4, (1.0 - f3) - (f4 - f3))
                else:
                    p3 = _clip01(f4 - f3)
                    p4 = _clip01(f5 - f4)
                failed_a = 0.0
                base_a = c_idea * w[a] + ipne * new_ent[a]
                for g in range(G):
                    c0 = cand[d, a, g]
                    sub = _take(c0, src, mc)
                    fl = _take(sub, pf, mc)
                    if mc:
                        rem = sub - fl
                        n3 = _binom(rem, p3)
                        rem = rem - n3
                        n4 = _binom(rem, p4)
                        n5 = rem - n4
                    else:
                        n3 = sub * p3
                        n4 = sub * p4
                        n5 = sub - fl - n3 - n4
                    c1 = c0 - sub + _take(fl, retry_p, mc)
                    drop = _take(c1, drop_p, mc)
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
                    if mc:  # never more ideas than the pool holds (whole products)
                        ni = _fmin(_pois(lam), np.floor(pl + 1e-9))
                    else:
                        ni = _fmin(_fmax(lam, 0.0), pl)
                    pool[d, a, g] = pl - ni + pgrow * p0 * act[a]
                    cand[d, a, g] = c1 - drop + ni
                    F_ideas[i, d, a, g] = ni
                F_failed[i, d, a] = failed_a

            # 7. (cert part) exit lapse, then 5. upgrades 3★→4★, 4★→provincial 5★, provincial 5★→national
            # 5★: one pass over cert (every flow is per cell); the central passes wait for the capacity
            bonus = p[_C_UBON]
            rate = _clip01(p[_C_UAR])
            central_on = 1.0 if year >= p[_C_CFY] else 0.0
            csr = _clip01(p[_C_CSR] * central_on)
            cpr = _clip01(p[_C_CPR])
            tot = 0.0
            n_cert = 0.0  # certificates left, summed per area (expected) or cell by cell (Monte Carlo)
            n_cells = 0.0
            for a in range(A):
                su = score[a] + bonus
                f4u = _mix(t4, su, scale, prem, pbon)
                f5u = _mix(t5, su, scale, prem, pbon)
                pu4 = _clip01((f5u - f4u) + (1.0 - f5u))
                pu5 = _clip01(1.0 - f5u)
                csub_a = 0.0
                # scalar accumulators (not arrays: stores to cert could alias them) per level
                e0 = 0.0
                e1 = 0.0
                e2 = 0.0
                e3 = 0.0
                m0 = 0.0
                m1 = 0.0
                m2 = 0.0
                m3 = 0.0
                for g in range(G):
                    s34 = 0.0
                    s45 = 0.0
                    for k in range(_NK):
                        x0, up, v0 = _lapse_and_upgrade(cert[d, a, g, _L3, k], hc, rate, pu4, mc)
                        cert[d, a, g, _L3, k] = v0
                        e0 += x0
                        s34 += up
                        x1, up, v1 = _lapse_and_upgrade(cert[d, a, g, _L4, k], hc, rate, pu5, mc)
                        cert[d, a, g, _L4, k] = v1
                        e1 += x1
                        s45 += up
                        x2, v2 = _exit_lapse(cert[d, a, g, _LP5, k], hc, mc)
                        e2 += x2
                        sc_ = _take(v2, csr, mc)
                        pc = _take(sc_, cpr, mc)
                        pass_c[a, g, k] = pc
                        tot += pc
                        csub_a += sc_
                        cert[d, a, g, _LP5, k] = v2
                        x3, v3 = _exit_lapse(cert[d, a, g, _LN5, k], hc, mc)
                        e3 += x3
                        cert[d, a, g, _LN5, k] = v3
                        m0 += v0
                        m1 += v1
                        m2 += v2
                        m3 += v3
                        n_cells = n_cells + v0 + v1 + v2 + v3
                    F_upg[i, d, a, g, 0] = 0.0
                    F_upg[i, d, a, g, 1] = s34
                    F_upg[i, d, a, g, 2] = s45
                F_csub[i, d, a] = csub_a
                n_cert += (m0 + m1) + (m2 + m3)
                lcum[d, a, _L3] = lcum[d, a, _L3] + e0
                lcum[d, a, _L4] = lcum[d, a, _L4] + e1
                lcum[d, a, _LP5] = lcum[d, a, _LP5] + e2
                lcum[d, a, _LN5] = lcum[d, a, _LN5] + e3
                F_lapexit[i, d, a] = e0 + e1 + e2 + e3
            if mc:
                n_cert = n_cells
            cap = p[_C_CCAP]
            if tot > cap:
                keep = _clip01(cap / _fmax(tot, 1e-12))
                tot = 0.0
                for a in range(A):
                    for g in range(G):
                        for k in range(_NK):
                            pc = _take(pass_c[a, g, k], keep, mc)
                            pass_c[a, g, k] = pc
                            tot += pc
            # n_cert: every certificate after the upgrades (the central passes leave provincial 5★)
            n_cert = _fmax(n_cert - tot, 1.0)

            # 6. ageing and renewal (split renewed / downgraded / lapsed per level; the central passes
            # taken out of provincial 5★)
            points = projects[d, 0] + projects[d, 1]
            r = _clip01(_add_responses(p[_C_RBP], 2, RT, lev, p, w_sum, n_cert, auto) + p[_C_RGDP] * points)
            F_rprob[i, d] = r
            r4 = r * p[_C_F4]
            dp3 = p[_C_DP]
            dp4 = p[_C_DP4]
            pr3 = _clip01(r)
            pr4 = _clip01(r4)
            if mc:  # downgraded: conditional on not renewed
                pd3 = _cond((1 - r) * dp3, 1.0 - r)
                pd4 = _cond((1 - r4) * dp4, 1.0 - r4)
                pdn5 = _cond((1 - r) * dp4, 1.0 - r)
            else:
                pd3 = _clip01((1 - r) * dp3)
                pd4 = _clip01((1 - r4) * dp4)
                pdn5 = _clip01((1 - r) * dp4)
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
                    # expiring certificates (age 2) of each level: renewed, downgraded (3★: lapse), lapsed
                    x0 = cert[d, a, g, _L3, _NK - 1]
                    x1 = cert[d, a, g, _L4, _NK - 1]
                    x2 = cert[d, a, g, _LP5, _NK - 1]
                    x3 = cert[d, a, g, _LN5, _NK - 1]
                    rn0 = _take(x0, pr3, mc)
                    rn1 = _take(x1, pr4, mc)
                    rn2 = _take(x2, pr3, mc)
                    rn3 = _take(x3, pr3, mc)
                    if mc:
                        dw0 = _binom(x0 - rn0, pd3)
                        dw1 = _binom(x1 - rn1, pd4)
                        dw2 = _binom(x2 - rn2, pdn5)
                        dw3 = _binom(x3 - rn3, pdn5)
                    else:
                        dw0 = x0 * pd3
                        dw1 = x1 * pd4
                        dw2 = x2 * pdn5
                        dw3 = x3 * pdn5
                    lt0 = (x0 - rn0 - dw0) + dw0
                    lt1 = (x1 - rn1 - dw1) + 0.0
                    lt2 = (x2 - rn2 - dw2) + 0.0
                    lt3 = (x3 - rn3 - dw3) + 0.0
                    q0 += lt0
                    q1 += lt1
                    q2 += lt2
                    q3 += lt3
                    ren_a += ((rn0 + rn1) + rn2) + rn3
                    dn_a += (dw1 + dw2) + dw3  # a downgraded 3★ lapses (counted in lt0)
                    lap_a += ((lt0 + lt1) + lt2) + lt3
                    # age 0: new, upgraded, renewed and re-rated one level lower
                    y0 = F_newcert[i, d, a, g, _L3] + 0.0 + rn0 + dw1
                    y1 = F_newcert[i, d, a, g, _L4] + F_upg[i, d, a, g, 1] + rn1 + dw2
                    y2 = F_newcert[i, d, a, g, _LP5] + F_upg[i, d, a, g, 2] + rn2 + dw3
                    y3 = F_newcert[i, d, a, g, _LN5] + s5 + rn3 + 0.0
                    _age(cert, d, a, g, _L3, y0, S_cert, i)
                    _age(cert, d, a, g, _L4, y1, S_cert, i)
                    _age(cert, d, a, g, _LP5, y2, S_cert, i)
                    _age(cert, d, a, g, _LN5, y3, S_cert, i)
                lcum[d, a, _L3] = lcum[d, a, _L3] + q0
                lcum[d, a, _L4] = lcum[d, a, _L4] + q1
                lcum[d, a, _LP5] = lcum[d, a, _LP5] + q2
                lcum[d, a, _LN5] = lcum[d, a, _LN5] + q3
                for li in range(_NL):
                    S_lcum[i, d, a, li] = lcum[d, a, li]
                F_renewed[i, d, a] = ren_a
                F_down[i, d, a] = dn_a
                F_lapexp[i, d, a] = lap_a

            # the remaining stocks of the year
            for a in range(A):
                for g in range(G):
                    S_cand[i, d, a, g] = cand[d, a, g]
                S_ent[i, d, a] = ent[d, a]
                S_tl[i, d, a] = tl[d, a]
                S_act[i, d, a] = act[a]
            for j in range(5):
                S_proj[i, d, j] = projects[d, j]

    return year_of_draws


#: the year of draws ``d0 .. d1 - 1`` in expected mode and in Monte Carlo mode (:func:`_year_of_draws_of`)
_year_expected = _year_of_draws_of(False)
_year_mc = _year_of_draws_of(True)


def _step_expected(i, year, lev, RT, Pm, weight, act, gs, tourism, sub_scale, score_shift, LI,
                   cand, cert, ent, tl, toff, opool, projects, pool, pool0, lcum,
                   S_cert, S_cand, S_ent, S_tl, S_cov, S_proj, S_act, S_lcum,
                   F_newcert, F_upg, F_renewed, F_down, F_lapexp, F_lapexit, F_newent, F_exits,
                   F_sub, F_failed, F_ideas, F_quality, F_score, F_toff, F_tlead, F_cov, F_rprob,
                   F_newproj, F_csub):
    """Advance the state one year (index ``i`` of the outputs) in expected mode, in place.

    State (updated): cand D×A×G, cert D×A×G×L×K, ent/tl D×A, toff/opool D, projects D×5,
    pool/pool0 D×A×G, lcum D×A×L.  ``Pm`` D×n_assumptions, ``lev`` (n_levers,) this year's levers, ``RT`` the
    declared responses (:func:`response_table`),
    ``weight``/``act`` (A,), ``gs`` (G,) group shares of new ideas, ``sub_scale``/``score_shift``
    (D,), ``LI`` (T, D) the inflow multiplier of each year.  Writes row ``i`` of the stocks ``S_*``
    and of the kept flows ``F_*`` (reduced as ``simulate._KEEP_FLOWS`` keeps them).
    """
    no_steps = np.zeros(1, dtype=np.bool_)  # the Monte Carlo inputs of _year_expected: not read
    no_level = np.zeros(1)
    _year_expected(i, 0, cand.shape[0], year, lev, RT, Pm, weight, act, gs, tourism, sub_scale, score_shift, LI,
                   no_steps, LI, no_level, cand, cert, ent, tl, toff, opool, projects, pool, pool0, lcum,
                   _scratch(cand.shape[1], cand.shape[2]), S_cert, S_cand, S_ent, S_tl, S_cov, S_proj, S_act, S_lcum,
                   F_newcert, F_upg, F_renewed, F_down, F_lapexp, F_lapexit, F_newent, F_exits,
                   F_sub, F_failed, F_ideas, F_quality, F_score, F_toff, F_tlead, F_cov, F_rprob,
                   F_newproj, F_csub)


def _run_years(i0, i1, years, levm, RT, Pm, weight, act, gs, tourism, sub_scale0, score_shift, LI,
               cand, cert, ent, tl, toff, opool, projects, pool, pool0, lcum,
               S_cert, S_cand, S_ent, S_tl, S_cov, S_proj, S_act, S_lcum,
               F_newcert, F_upg, F_renewed, F_down, F_lapexp, F_lapexit, F_newent, F_exits,
               F_sub, F_failed, F_ideas, F_quality, F_score, F_toff, F_tlead, F_cov, F_rprob,
               F_newproj, F_csub):
    """Years ``i0 .. i1 - 1`` without events between them: ``sub_scale0`` in year ``i0``, 1 after."""
    ones = np.ones(sub_scale0.shape[0])
    for i in range(i0, i1):
        sub_scale = ones
        if i == i0:
            sub_scale = sub_scale0
        step_expected(i, years[i], levm[i], RT, Pm, weight, act, gs, tourism, sub_scale,
                      score_shift, LI, cand, cert, ent, tl, toff, opool, projects, pool, pool0, lcum,
                      S_cert, S_cand, S_ent, S_tl, S_cov, S_proj, S_act, S_lcum,
                      F_newcert, F_upg, F_renewed, F_down, F_lapexp, F_lapexit, F_newent, F_exits,
                      F_sub, F_failed, F_ideas, F_quality, F_score, F_toff, F_tlead, F_cov, F_rprob,
                      F_newproj, F_csub)


# the Monte Carlo kernel's entry points are compiled here too, not in engine_mc.py: numba's disk
# cache of a function is invalidated only by changes to the file that defines it, not to the
# functions it calls, so every cached kernel lives in the file of the equations it runs


def _step_mc(i, d, year, lev, RT, Pm, weight, act, gs, tourism, ss, score_shift, fixed, path, log_inflow,
             cand, cert, ent, tl, toff, opool, projects, pool, pool0, lcum,
             w, share, new_ent, kept, untr, cov, score, pass_c,
             S_cert, S_cand, S_ent, S_tl, S_cov, S_proj, S_act, S_lcum,
             F_newcert, F_upg, F_renewed, F_down, F_lapexp, F_lapexit, F_newent, F_exits,
             F_sub, F_failed, F_ideas, F_quality, F_score, F_toff, F_tlead, F_cov, F_rprob,
             F_newproj, F_csub):
    """Advance draw ``d`` one year (index ``i`` of the outputs) in Monte Carlo mode, in place.

    The state and outputs are those of :func:`step_expected`, the equations
    :func:`_year_of_draws_of`'s; ``ss`` is this year's submission scale of the draw,
    ``fixed[i]`` says the log inflow of year ``i`` is given (``path[i, d]``), else it takes a random
    step from ``log_inflow[d]``; ``w`` .. ``pass_c`` are scratch (:func:`_scratch`).
    Draws from numba's ``np.random`` state (seeded by the caller).
    """
    _year_mc(i, d, d + 1, year, lev, RT, Pm, weight, act, gs, tourism, np.full(cand.shape[0], ss), score_shift,
                   path, fixed, path, log_inflow, cand, cert, ent, tl, toff, opool, projects, pool, pool0, lcum,
                   (w, share, new_ent, kept, untr, cov, score, pass_c), S_cert, S_cand, S_ent, S_tl, S_cov, S_proj,
                   S_act, S_lcum, F_newcert, F_upg, F_renewed, F_down, F_lapexp, F_lapexit, F_newent, F_exits,
                   F_sub, F_failed, F_ideas, F_quality, F_score, F_toff, F_tlead, F_cov, F_rprob, F_newproj, F_csub)


def _run_years_mc(i0, i1, seeds, years, levm, RT, Pm, weight, act, gs, tourism, sub_scale0, score_shift, fixed,
                  path, log_inflow, cand, cert, ent, tl, toff, opool, projects, pool, pool0, lcum,
                  S_cert, S_cand, S_ent, S_tl, S_cov, S_proj, S_act, S_lcum,
                  F_newcert, F_upg, F_renewed, F_down, F_lapexp, F_lapexit, F_newent, F_exits,
                  F_sub, F_failed, F_ideas, F_quality, F_score, F_toff, F_tlead, F_cov, F_rprob,
                  F_newproj, F_csub):
    """Years ``i0 .. i1 - 1`` (no events between them) of every draw: draw ``d`` re-seeds the random
    state with ``seeds[d]`` and runs its years; ``sub_scale0`` in year ``i0``, 1 after."""
    scratch = _scratch(cand.shape[1], cand.shape[2])
    ones = np.ones(cand.shape[0])
    for d in range(cand.shape[0]):
        np.random.seed(seeds[d])
        for i in range(i0, i1):
            sub_scale = sub_scale0 if i == i0 else ones  # not inside the call: numba's bytecode reader
            _year_mc(i, d, d + 1, years[i], levm[i], RT, Pm, weight, act, gs, tourism,
                           sub_scale, score_shift, path, fixed, path,  # path as LI: not read
                           log_inflow, cand, cert, ent, tl, toff, opool, projects, pool, pool0, lcum, scratch,
                           S_cert, S_cand, S_ent, S_tl, S_cov, S_proj, S_act, S_lcum,
                           F_newcert, F_upg, F_renewed, F_down, F_lapexp, F_lapexit, F_newent, F_exits,
                           F_sub, F_failed, F_ideas, F_quality, F_score, F_toff, F_tlead, F_cov, F_rprob,
                           F_newproj, F_csub)


if AVAILABLE:
    step_expected = _jit(_step_expected)
    _run_years_jit = _jit(_run_years)
    step_mc = _jit(_step_mc)
    _run_years_mc_jit = _jit(_run_years_mc)
else:  # pragma: no cover
    step_expected = _step_expected
    _run_years_jit = None
    step_mc = _step_mc
    _run_years_mc_jit = None


# ----------------------------------------------------------------------------- Python driver

_STOCKS = ("certified", "candidates", "entities", "trained_leaders", "coverage_officials", "projects", "active",
           "lapsed_cum")
#: the kernel's flow outputs, in the order of its arguments (the keys of ``simulate._KEEP_FLOWS``)
_FLOWS = ("new_certified", "upgrades", "renewed", "downgraded", "lapsed_expiry", "lapsed_exit", "new_entities",
          "entity_exits", "submitted", "failed", "new_ideas", "quality", "score_mean", "trainees_officials",
          "trainees_leaders", "coverage_officials", "renewal_prob", "new_projects", "central_submitted")
assert set(_FLOWS) == set(_loop._KEEP_FLOWS), "timeloop._KEEP_FLOWS changed: update engine.py"


def pack_assumptions(P: dict[str, np.ndarray], n: int) -> np.ndarray:
    """The per-draw assumptions as a C-contiguous n × len(COLUMNS) float64 matrix."""
    cols = [P[name] for name in COLUMNS]
    if any(c.shape != (n,) for c in cols):
        cols = [np.broadcast_to(c, (n,)) for c in cols]
    return np.ascontiguousarray(np.stack(cols, axis=1), dtype=np.float64)


def _f64(x, shape=None) -> np.ndarray:
    out = np.array(x, dtype=np.float64, order="C", copy=True)
    return out if shape is None else np.array(np.broadcast_to(out, shape), dtype=np.float64, order="C", copy=True)


def _own(x, prev: np.ndarray, shape=None) -> np.ndarray:
    """``prev`` if ``x`` is it, else a contiguous float64 copy of ``x`` (broadcast to ``shape``)."""
    if x is prev:
        return prev
    return _f64(x, shape)


#: the state arrays the kernels update in place, in the order of their arguments (``score_shift`` apart)
_KERNEL_STATE = ("cand", "cert", "ent", "trained_lead", "trained_off", "officials_pool", "projects", "pool", "pool0",
                 "lapsed_cum", "score_shift")
_PER_DRAW = ("trained_off", "officials_pool", "score_shift")  # (n,) in the kernels, maybe scalars in a State


def _kernel_state(state: model.State, n: int) -> dict[str, np.ndarray]:
    """The arrays of :data:`_KERNEL_STATE` as contiguous float64 copies (the per-draw ones of shape (n,))."""
    if state.thresholds is not None:  # pragma: no cover - nothing sets them today
        raise NotImplementedError("compiled engine: State.thresholds is not supported (thresholds come from P)")
    return {k: _f64(getattr(state, k), (n,) if k in _PER_DRAW else None) for k in _KERNEL_STATE}


def _output_arrays(T: int, n: int, A: int, dtype) -> tuple[dict, dict, tuple]:
    """The stocks and kept flows of a run (``simulate.run_block``'s keys and shapes, empty, of
    ``dtype``) and the tuple of them in the order of the kernels' output arguments."""
    G, L, NP = len(GROUPS), model.N_LEVELS, len(model.PROJECTS)
    e = np.empty
    stocks = {"certified": e((T, n, A, G, L), dtype), "candidates": e((T, n, A, G), dtype),
              "entities": e((T, n, A), dtype), "trained_leaders": e((T, n, A), dtype),
              "coverage_officials": e((T, n), dtype), "projects": e((T, n, NP), dtype),
              "active": e((T, n, A), dtype), "lapsed_cum": e((T, n, A, L), dtype)}
    shapes = {"AGL": (A, G, L), "AG": (A, G), "A": (A,), "": (), "P": (NP,)}
    flows = {k: e((T, n) + shapes[ax], dtype) for k, ax in _loop._KEEP_FLOWS.items()}
    return stocks, flows, tuple(stocks[k] for k in _STOCKS) + tuple(flows[k] for k in _FLOWS)


def _lever_matrix(scenario: Scenario, years: np.ndarray) -> np.ndarray:
    """The levers of each year as a T × len(:data:`LEVER_COLUMNS`) float64 matrix."""
    rows = [_loop._lever_values(scenario, int(y)) for y in years]
    return np.array([[getattr(lv, c) for c in LEVER_COLUMNS] for lv in rows],
                    dtype=np.float64).reshape(len(years), len(LEVER_COLUMNS))


def _run_stretches(kernel, scenario: Scenario, years: np.ndarray, event_years, expected: bool, P: dict, Pm: np.ndarray,
                   ks: dict[str, np.ndarray], active: np.ndarray, log_inflow, weight: np.ndarray,
                   group_share: np.ndarray, events: list, geo) -> None:
    """Run every year: ``kernel(i, j, sub_scale, act)`` computes the years ``i .. j - 1`` (a stretch
    without events) on the arrays of ``ks`` in place.  Before a year with events,
    ``simulate._apply_events`` runs in Python on those arrays: what the events replace becomes the
    kernel's own copy in ``ks`` (they never modify arrays in place), the assumptions they change
    are written into ``Pm``, an area they re-weight into ``weight``; their submission scale holds
    in the event year, 1 after."""
    n, T = Pm.shape[0], len(years)
    P_seen = dict(P)
    act = active.astype(np.float64)
    ones = np.ones(n)
    i = 0
    while i < T:
        year = int(years[i])
        sub_scale = ones
        if year in event_years:
            st = model.State(cand=ks["cand"], cert=ks["cert"], ent=ks["ent"], trained_lead=ks["trained_lead"],
                             trained_off=ks["trained_off"], officials_pool=ks["officials_pool"],
                             projects=ks["projects"], active=active, pool=ks["pool"], pool0=ks["pool0"],
                             lapsed_cum=ks["lapsed_cum"], log_inflow=log_inflow, score_shift=ks["score_shift"],
                             thresholds=None, submission_scale=1.0)
            st, nw = _loop._apply_events(st, scenario, year, P, expected, group_share, events, geo)
            if nw is not None:
                weight[nw[0]] = nw[1]
            if st.thresholds is not None:  # pragma: no cover
                raise NotImplementedError("compiled engine: State.thresholds is not supported (thresholds come from P)")
            for k in _KERNEL_STATE:
                ks[k] = _own(getattr(st, k), ks[k], (n,) if k in _PER_DRAW else None)
            if st.active is not active:
                active = np.array(st.active, dtype=bool)
                act = active.astype(np.float64)
            sub_scale = _f64(st.submission_scale, (n,))
            for name, j in COLUMNS.items():  # assumptions the events changed
                if P[name] is not P_seen[name]:
                    Pm[:, j] = P[name]
                    P_seen[name] = P[name]
        j = i + 1
        while j < T and int(years[j]) not in event_years:
            j += 1
        kernel(i, j, sub_scale, act)
        i = j


def run_expected(scenario: Scenario, n: int, overrides: dict[str, np.ndarray] | None = None,
                 event_list: list | None = None, inflow_path: dict[int, np.ndarray] | None = None) -> "_loop.RunArrays":
    """Expected-mode run of ``n`` variants: ``simulate.run_block(scenario, n, None, overrides=...,
    event_list=..., inflow_path=...)`` computed by the compiled kernel."""
    return ExpectedRunner(scenario, event_list)(n, overrides, inflow_path)


class ExpectedRunner:
    """:func:`run_expected` of one scenario called many times (calibration, goal seek): what does
    not depend on the variants (areas, groups, lever schedules, the scenario's assumption values,
    the event years) is built once; a call costs the kernel and the arrays it fills.

    Parameters
    ----------
    scenario : Scenario
        The scenario the variants are of.
    event_list : list, optional
        The events to apply (default: the pack's and the scenario's, ``simulate.scenario_events``).
    """

    def __init__(self, scenario: Scenario, event_list: list | None = None):
        if not AVAILABLE:
            raise EngineUnavailable("numba is not installed: use ocop_sim.simulate.run_block")
        self.scenario = scenario
        self.geo = _data.areas(scenario.pack)
        grp = _data.groups(scenario.pack)
        gs = np.array([grp[g]["idea_share"] for g in GROUPS])
        self.group_share = gs / gs.sum()
        base = {k: float(v[0]) for k, v in _loop.parameter_arrays(scenario, 1, None).items()}
        self.base_row = np.array([base[k] for k in COLUMNS], dtype=np.float64)
        self.base_other = {k: v for k, v in base.items() if k not in COLUMNS}
        # the initial state of one variant: in expected mode it depends on the assumptions only
        # through the pool (∝ pool_factor), the officials (the pack's count, else officials_pool)
        # and the starting log inflow; __call__ scales those per variant (test_engine checks this
        # against simulate.initial_state for every assumption)
        P1 = {k: np.array([v]) for k, v in base.items()}
        self.s1 = _loop.initial_state(scenario, 1, True, P1, None)
        self._reps: dict[int, dict[str, np.ndarray]] = {}
        self.pool_unit = self.s1.pool0 / max(base["pool_factor"], 1e-300)
        from .packs import load_pack

        stocks = load_pack(scenario.pack).info.stocks
        self.pack_officials, self.official_coverage = stocks.officials_pool, float(stocks.official_coverage)
        self.events = _loop.scenario_events(scenario) if event_list is None else list(event_list)
        self.years = np.arange(scenario.horizon.start, scenario.horizon.end + 1)
        self.yearsf = self.years.astype(np.float64)
        self.levm = _lever_matrix(scenario, self.years)
        self.RT = response_table()
        self.event_years = sorted({int(ev.year) for ev in self.events
                                   if self.years[0] <= int(ev.year) <= self.years[-1]})

    def _initial(self, n: int, P: dict[str, np.ndarray]) -> model.State:
        """``simulate.initial_state(scenario, n, True, P)`` from the one-variant state."""
        s1 = self.s1
        reps = self._reps.get(n)
        if reps is None:  # the repeated one-variant state, built once per batch size and read-only:
            # the kernel works on copies (_kernel_state) and RunArrays.initial holds views of them
            reps = {k: np.repeat(getattr(s1, k), n, axis=0) for k in ("cand", "cert", "ent", "trained_lead",
                                                                      "projects", "lapsed_cum")}
            for a in reps.values():
                a.setflags(write=False)
            self._reps = {n: reps}  # calibration asks for one or two sizes in turn: keep the last
        officials = (np.full(n, float(self.pack_officials)) if self.pack_officials is not None
                     else np.array(P["officials_pool"], dtype=float, copy=True))
        pool0 = P["pool_factor"][:, None, None] * self.pool_unit
        return model.State(
            cand=reps["cand"], cert=reps["cert"], ent=reps["ent"], trained_lead=reps["trained_lead"],
            trained_off=officials * self.official_coverage, officials_pool=officials, projects=reps["projects"],
            active=s1.active, pool=pool0.copy(), pool0=pool0, lapsed_cum=reps["lapsed_cum"],
            log_inflow=np.array(P.get(_loop.LOG_INFLOW0, np.zeros(n)), dtype=float, copy=True),
            score_shift=np.zeros(n))

    def __call__(self, n: int, overrides: dict[str, np.ndarray] | None = None,
                 inflow_path: dict[int, np.ndarray] | None = None) -> "_loop.RunArrays":
        scenario, years, levm, events = self.scenario, self.years, self.levm, self.events
        geo, group_share, event_years = self.geo, self.group_share, self.event_years
        weight = geo.weight.astype(float).copy()
        # the assumptions as one n × columns matrix built from the scenario's row; P holds views of
        # its columns (events replace an assumption's array, they never write into it)
        Pm = np.repeat(self.base_row[None, :], n, axis=0)
        P = {k: np.full(n, v) for k, v in self.base_other.items()}
        for k, v in (overrides or {}).items():
            if k in COLUMNS:
                Pm[:, COLUMNS[k]] = v
            else:
                P[k] = np.broadcast_to(np.asarray(v, dtype=float), (n,)).copy()
        P.update(zip(COLUMNS, Pm.T))  # views of the matrix's columns (COLUMNS: in column order)
        params_out = {**P, **dict(zip(COLUMNS, Pm.copy().T))}
        state = self._initial(n, P)
        initial = _loop.initial_outputs(state, n, np.float64)
        T = len(years)
        A = len(weight)
        tourism = GROUPS.index("tourism")
        # the inflow multiplier of each year: exp(log inflow), the fitted path where it is given, else
        # the level it starts from (expected mode has no random steps)
        li = np.empty((T, n))
        level = np.broadcast_to(np.asarray(state.log_inflow, float), (n,)).copy()
        for t_, y in enumerate(years):
            if inflow_path is not None and int(y) in inflow_path:
                level = np.broadcast_to(np.asarray(inflow_path[int(y)], float), (n,)).copy()
            li[t_] = np.exp(level)

        stocks, flows, out = _output_arrays(T, n, A, np.float64)
        ks = _kernel_state(state, n)

        def kernel(i, j, sub_scale, act):
            _run_years_jit(i, j, self.yearsf, levm, self.RT, Pm, weight, act, group_share, tourism, sub_scale,
                           ks["score_shift"], li, *(ks[k] for k in _KERNEL_STATE[:-1]), *out)

        _run_stretches(kernel, scenario, years, event_years, True, P, Pm, ks, np.array(state.active, dtype=bool),
                       state.log_inflow, weight, group_share, events, geo)
        spending = {line: levm[:, LEVER_COLUMNS.index(line)].copy() for line in BUDGET_LINES}
        return _loop.RunArrays(years=years, stocks=stocks, flows=flows, params=params_out, spending=spending,
                              initial=initial)


def warm_up() -> bool:
    """Compile (or load from the disk cache) the kernels on a tiny case; False without numba."""
    if not AVAILABLE:
        return False
    D, A, G, L, K, T = 1, 1, len(GROUPS), model.N_LEVELS, model.N_AGES, 1
    z = np.zeros
    Pm = z((D, len(COLUMNS))) + 1.0
    F = [z((T, D, A, G, L)), z((T, D, A, G, L)), z((T, D, A)), z((T, D, A)), z((T, D, A)), z((T, D, A)),
         z((T, D, A)), z((T, D, A)), z((T, D, A, G)), z((T, D, A)), z((T, D, A, G)), z((T, D, A)), z((T, D, A)),
         z((T, D)), z((T, D)), z((T, D)), z((T, D)), z((T, D, 5)), z((T, D, A))]
    _run_years_jit(0, 1, z(T), z((T, len(LEVER_COLUMNS))), response_table(), Pm, np.ones(A), np.ones(A), np.ones(G) / G, 0, np.ones(D), z(D),
                   np.ones((T, D)), z((D, A, G)), z((D, A, G, L, K)), z((D, A)), z((D, A)), z(D), np.ones(D), z((D, 5)),
                   z((D, A, G)), z((D, A, G)), z((D, A, L)),
                   z((T, D, A, G, L)), z((T, D, A, G)), z((T, D, A)), z((T, D, A)), z((T, D)), z((T, D, 5)),
                   z((T, D, A)), z((T, D, A, L)), *F)
    return True
