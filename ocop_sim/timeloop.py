"""The numpy model's time loop (:func:`run_block`) and what the compiled kernels share with it:
the per-draw parameters and their random streams, the starting state, the scenario's dated
events and the outputs kept per year.  Both compiled engines (:mod:`ocop_sim.engine`,
:mod:`ocop_sim.engine_mc`) follow this numerical contract; :mod:`ocop_sim.simulate` stands above
them all and chooses the engine that runs a scenario's draws.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

from . import data as _data
from . import model
from .config import (ALL_SCHEDULES, ASSUMPTION_NAMES, BUDGET_LINES, GROUPS, LEVELS, Scenario, assumption_meta,
                     schedule_value)
from .packs import load_pack
from .posterior import load_cached
from .results import RunArrays
from .scenarios import derive, params_file

#: Key of the per-draw starting log inflow in the parameter arrays: an outlook that names a posterior
#: starts from the inflow level fitted at the end of its history (see :func:`parameter_arrays`).
LOG_INFLOW0 = "_log_inflow0"

#: Per-year outputs kept from the model's flows, with the axes they keep (besides year, draw).
#: Only what the metrics read keeps its group/level axes: a flow kept at A×G×L costs 24× one
#: kept by area, and these arrays are most of a Monte Carlo run's memory.
_KEEP_FLOWS = {
    "new_certified": "AGL", "upgrades": "AGL", "renewed": "A", "downgraded": "A",
    "lapsed_expiry": "A", "lapsed_exit": "A", "new_entities": "A", "entity_exits": "A",
    "submitted": "AG", "failed": "A", "new_ideas": "AG", "quality": "A", "score_mean": "A",
    "trainees_officials": "", "trainees_leaders": "", "coverage_officials": "", "renewal_prob": "",
    "new_projects": "P", "central_submitted": "A",
}


def _sample_param(rng: np.random.Generator, name: str, dist, n: int) -> np.ndarray:
    meta = assumption_meta(name)
    lo, hi = float(meta["low"]), float(meta["high"])
    t = dist.type
    if t == "uniform":
        x = rng.uniform(dist.low, dist.high, n)
    elif t == "triangular":
        x = rng.triangular(dist.low, dist.mode, dist.high, n) if dist.low < dist.high else np.full(n, dist.mode)
    elif t == "beta":
        x = dist.low + (dist.high - dist.low) * rng.beta(dist.a, dist.b, n)
    elif t == "normal":  # truncated to the assumption's bounds by rejection
        x = rng.normal(dist.mean, dist.sd, n)
        for _ in range(100):
            bad = (x < lo) | (x > hi)
            if not bad.any():
                break
            x[bad] = rng.normal(dist.mean, dist.sd, int(bad.sum()))
    else:  # pragma: no cover - the config's discriminated union admits no other type
        raise ValueError(t)
    return np.clip(x, lo, hi)


def stream_key(name: str) -> int:
    """A stable 32-bit key of a stream's name (the same on every machine and Python)."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:4], "little")


@dataclass(frozen=True)
class Streams:
    """Named random streams of one block of draws: ``SeedSequence(seed, spawn_key=(block, key))``.

    Every uncertain assumption, the year-to-year shocks, the split of the reported stocks and the
    posterior resampling draw from streams of their own: giving a new assumption a distribution,
    or adding a shock, never shifts any other draw.  So do the flows: each named flow of
    :func:`ocop_sim.model.step` draws from ``"flow:<name>"``.
    """

    seed: int
    block: int

    def get(self, name: str) -> np.random.Generator:
        return np.random.Generator(np.random.PCG64(np.random.SeedSequence(self.seed, spawn_key=(self.block, stream_key(name)))))


def _posterior(scenario: Scenario):
    if scenario.posterior is None:
        return None

    return load_cached(str(params_file(scenario.posterior)))


def parameter_arrays(scenario: Scenario, n: int, streams: "Streams | None") -> dict[str, np.ndarray]:
    """Per-draw assumption values: the scenario's values, or sampled (``streams`` given).

    With a posterior file (``scenario.posterior``), its parameters take their posterior median
    in expected mode and, in Monte Carlo, a joint draw from the posterior per draw (resampled
    from its own stream); other uncertain assumptions keep their distributions.
    """
    base = scenario.assumptions.model_dump()
    post = _posterior(scenario)
    # an assumption the scenario fixes (``uncertainty: {name: null}``, e.g. a check's test input)
    # is neither sampled nor taken from the posterior
    fixed = {k for k, v in scenario.uncertainty.items() if v is None}
    if post is not None:
        # a fitted assumption the scenario sets itself (away from its default, or the pack's) keeps
        # the scenario's value: a planner's "what if renewal were 0.8" is not overruled by the fit
        pack_defaults = {k: a.value for k, a in load_pack(scenario.pack).info.assumptions.items()}
        for name in post.names:
            if name in base and base[name] != pack_defaults.get(name, assumption_meta(name)["default"]):
                fixed.add(name)
        for name, v in post.medians().items():
            if name in base and name not in fixed:
                base[name] = v
    P = {k: np.full(n, float(v)) for k, v in base.items()}
    if post is not None and post.has_path and scenario.kind == "outlook":
        P[LOG_INFLOW0] = np.full(n, float(np.median(post.last_log_inflow())))
    if streams is not None:
        dists = scenario.distributions()
        fitted = set(post.names) if post is not None else set()
        for name in ASSUMPTION_NAMES:
            if name in dists and name not in fitted:
                dist = dists[name]
                # centre the distribution on the scenario's value where the scenario moved it
                shift = base[name] - assumption_meta(name)["default"]
                P[name] = np.clip(_sample_param(streams.get("assumption:" + name), name, dist, n) + shift,
                                  assumption_meta(name)["low"], assumption_meta(name)["high"])
        if post is not None:
            idx = post.draw_index(n, streams.get("posterior"))
            rows = post.samples[idx]
            for j, name in enumerate(post.names):
                if name in P and name not in fixed:
                    meta = assumption_meta(name)
                    P[name] = np.clip(rows[:, j], meta["low"], meta["high"])
            if post.has_path and scenario.kind == "outlook":
                P[LOG_INFLOW0] = post.last_log_inflow()[idx]
    return P


def effective_scenario(scenario: Scenario) -> Scenario:
    """The scenario with the assumption values its expected run uses (a posterior's medians
    written in): variants built from it by overriding some assumptions keep the others as run."""
    if scenario.posterior is None:
        return scenario
    P = parameter_arrays(scenario, 1, None)
    vals = {k: float(P[k][0]) for k in ASSUMPTION_NAMES}
    return derive(scenario, {"assumptions": vals})


def _lever_values(scenario: Scenario, year: int) -> model.YearLevers:
    lv = scenario.levers
    return model.YearLevers(**{name: schedule_value(getattr(lv, name), year) for name in ALL_SCHEDULES})


def _split(total: float, probs: np.ndarray, n: int, expected: bool, rng: np.random.Generator | None) -> np.ndarray:
    """``total`` spread over cells (n × cells): expected shares, or a multinomial draw per draw."""
    if expected or rng is None:
        return np.broadcast_to(total * probs, (n,) + probs.shape[1:]).copy() if probs.ndim > 1 and probs.shape[0] == 1 \
            else total * probs
    flat = probs.reshape(probs.shape[0], -1)
    flat = flat / flat.sum(axis=1, keepdims=True)
    out = rng.multinomial(int(round(total)), flat)
    return out.reshape(probs.shape).astype(float)


def initial_state(scenario: Scenario, n: int, expected: bool, P: dict[str, np.ndarray] | None = None,
                  streams: "Streams | None" = None) -> model.State:
    """The state at the start of the horizon: the pack's reported stocks, spread by its rule.

    Reports give province totals by level; areas take them by the areas' weights (or the
    reported ``by_area`` shares), groups by ``group_shares`` (default: the groups' shares of new
    ideas), certificate ages by ``age_shares``.  Monte Carlo draws the three sets of shares from
    Dirichlet distributions around them (concentration ``split_concentration``) and the counts
    from a multinomial, from a stream of its own: the rule's uncertainty is sampled.
    """
    pack = load_pack(scenario.pack)
    st = pack.info.stocks
    geo = pack.areas
    grp = pack.info.groups
    A, G, K, L = len(geo.ids), len(GROUPS), model.N_AGES, model.N_LEVELS
    P = P if P is not None else parameter_arrays(scenario, n, None)
    active = np.array([af is None or af <= scenario.horizon.start for af in geo.active_from])
    w_act = geo.weight * active
    area_sh = (np.array([st.by_area.get(a, 0.0) for a in geo.ids]) if st.by_area else w_act) * active
    area_sh = area_sh / area_sh.sum()
    idea_sh = np.array([g.idea_share for g in grp])
    group_sh = np.array([(st.group_shares or {}).get(g.id, 0.0) for g in grp]) if st.group_shares else idea_sh
    group_sh = group_sh / group_sh.sum()
    age_sh = np.array(st.age_shares, float)
    rng = None if expected or streams is None else streams.get("initial_split")
    if rng is not None:
        c = st.split_concentration

        def dirichlet(p: np.ndarray) -> np.ndarray:
            live = p > 0
            out = np.zeros((n, len(p)))
            if live.sum() > 1:
                out[:, live] = rng.dirichlet(c * p[live] / p[live].sum(), n)
            else:
                out[:, live] = 1.0
            return out

        a_d, g_d, k_d = dirichlet(area_sh), dirichlet(group_sh), dirichlet(age_sh)
    else:
        a_d, g_d, k_d = area_sh[None], group_sh[None], age_sh[None]
    cells = a_d[:, :, None, None] * g_d[:, None, :, None] * k_d[:, None, None, :]  # (n|1)×A×G×K
    counts = st.products.as_array()
    cert = np.zeros((n, A, G, L, K))
    for li in range(L):
        if counts[li] > 0:
            cert[:, :, :, li, :] = _split(counts[li], cells, n, rng is None, rng)
    ent = _split(st.entities, a_d, n, rng is None, rng) if st.entities > 0 else np.zeros((n, A))
    ent = np.broadcast_to(ent, (n, A)).copy()
    cand_cells = a_d[:, :, None] * (idea_sh / idea_sh.sum())[None, None, :]
    cand = _split(st.candidates, cand_cells, n, rng is None, rng) if st.candidates > 0 else np.zeros((n, A, G))
    cand = np.broadcast_to(cand, (n, A, G)).copy()
    lapsed = np.zeros((n, A, L))
    lapsed[:, :, 0] = st.lapsed_cumulative * area_sh[None, :]
    pool_g = np.array([g.pool for g in grp])
    w_start = max(float(w_act.sum()), 1e-12)
    pool0 = (P["pool_factor"][:, None, None] * (geo.weight / w_start)[None, :, None] * pool_g[None, None, :])
    pool0 = np.broadcast_to(pool0, (n, A, G)).copy()
    officials = (np.full(n, float(st.officials_pool)) if st.officials_pool is not None
                 else np.array(P["officials_pool"], dtype=float, copy=True))
    return model.State(
        cand=cand, cert=cert, ent=ent,
        trained_lead=ent * st.leader_coverage,
        trained_off=officials * st.official_coverage,
        officials_pool=officials,
        projects=np.zeros((n, len(model.PROJECTS))),
        active=active, pool=pool0.copy(), pool0=pool0, lapsed_cum=lapsed,
        log_inflow=np.array(P.get(LOG_INFLOW0, np.zeros(n)), dtype=float, copy=True),
        score_shift=np.zeros(n),
    )


def scenario_events(scenario: Scenario) -> list:
    """The events a run applies: the pack's dated events, then the scenario's own."""
    return [*load_pack(scenario.pack).info.events, *scenario.events]


def _apply_events(state: model.State, scenario: Scenario, year: int, P: dict[str, np.ndarray],
                  expected: bool, group_share: np.ndarray, events: list, geo) -> tuple[model.State, np.ndarray | None]:
    new_weight = None
    state = model.replace(state, submission_scale=1.0)
    for ev in events:
        if ev.year != year:
            continue
        if ev.type == "policy_change":
            P[ev.assumption] = (np.full_like(P[ev.assumption], ev.value) if ev.value is not None
                                else P[ev.assumption] * ev.multiply)
            meta = assumption_meta(ev.assumption)
            P[ev.assumption] = np.clip(P[ev.assumption], meta["low"], meta["high"])
        elif ev.type == "criteria_change":
            for lv in ("threshold_3star", "threshold_4star", "threshold_5star"):
                v = getattr(ev, lv)
                if v is not None:
                    P[lv] = np.full_like(P[lv], v)
            shift = P["criteria_score_shift"] if ev.score_shift is None else ev.score_shift
            scale = (1.0 - P["criteria_backlog_share"]) if ev.backlog else 1.0
            state = model.replace(state, score_shift=state.score_shift + shift, submission_scale=scale)
        elif ev.type == "merger":
            a = geo.index(ev.area)
            active = state.active.copy()
            active[a] = True
            cert = state.cert.copy()
            age_share = np.full(model.N_AGES, 1.0 / model.N_AGES)
            for li, lv in enumerate(LEVELS):
                total = getattr(ev, f"products_{lv}") or 0.0
                cells = group_share[:, None] * age_share[None, :]
                add = cells / cells.sum() * total if expected else model.allocate_integers(total, cells)
                cert[:, a, :, li, :] += add
            n_ent = ev.entities or 0.0
            ent = state.ent.copy()
            ent[:, a] += n_ent
            trained = state.trained_lead.copy()
            trained[:, a] += P["merger_leader_coverage"] * n_ent
            cand = state.cand.copy()
            mc = P["merger_candidates"][:, None] * group_share[None, :]
            if not expected:
                mc = np.stack([model.allocate_integers(float(P["merger_candidates"][i]), group_share)
                               for i in range(mc.shape[0])])
            cand[:, a, :] += mc
            pool = state.officials_pool + P["officials_pool_added_at_merger"]
            state = model.replace(state, active=active, cert=cert, ent=ent, trained_lead=trained, cand=cand,
                                  officials_pool=pool)
            if ev.weight is not None:
                new_weight = (a, ev.weight)
    return state, new_weight


_DROP_CACHE: dict[tuple[int, str], tuple[int, ...]] = {}


def _reduce(x: np.ndarray, axes: str) -> np.ndarray:
    """Reduce a flow array D×A×G×L(×K) to the axes named in ``axes``."""
    if axes == "P":
        return x
    key = (x.ndim, axes)
    drop = _DROP_CACHE.get(key)
    if drop is None:
        names = "AGLK"[: x.ndim - 1]
        drop = _DROP_CACHE[key] = tuple(i + 1 for i, c in enumerate(names) if c not in axes)
    return x.sum(axis=drop) if drop else x


def run_block(scenario: Scenario, n: int, rng: np.random.Generator | None,
              sample_assumptions: bool = True, overrides: dict[str, np.ndarray] | None = None,
              streams: Streams | None = None, event_list: list | None = None,
              inflow_path: dict[int, np.ndarray] | None = None) -> RunArrays:
    """Run ``n`` draws with one generator (``None``: expected mode).

    ``overrides``: per-draw assumption values (name -> (n,) array) replacing the scenario's: in
    expected mode, n variants of a scenario that differ only in assumptions run as one batch.
    ``inflow_path``: ``{year: log inflow (n,)}`` for the years whose inflow level was fitted to the
    reports (:mod:`ocop_sim.inference`); later years continue it (a random walk in Monte Carlo).
    """
    expected = rng is None
    geo = _data.areas(scenario.pack)
    grp = _data.groups(scenario.pack)
    group_share = np.array([grp[g]["idea_share"] for g in GROUPS])
    group_share = group_share / group_share.sum()
    weight = geo.weight.astype(float).copy()
    P = parameter_arrays(scenario, n, streams if sample_assumptions else None)
    for k, v in (overrides or {}).items():
        P[k] = np.broadcast_to(np.asarray(v, dtype=float), (n,)).copy()
    params_out = {k: v.copy() for k, v in P.items()}
    # each flow draws from a named stream of its own ("flow:<name>"), the shocks from theirs
    sampler = model.Sampler(rng, None if expected or streams is None else streams.get("shocks"),
                            None if expected or streams is None else (lambda flow: streams.get("flow:" + flow)))
    state = initial_state(scenario, n, expected, P, streams)
    events = scenario_events(scenario) if event_list is None else event_list
    initial = initial_outputs(state, n, np.float64 if expected else np.float32)
    years = np.arange(scenario.horizon.start, scenario.horizon.end + 1)
    T = len(years)
    dtype = np.float64 if expected else np.float32
    stocks: dict[str, np.ndarray] = {}
    flows: dict[str, np.ndarray] = {}

    def put(store: dict, key: str, i: int, x: np.ndarray) -> None:
        if key not in store:  # preallocate on first use: no per-year lists to stack
            store[key] = np.empty((T,) + x.shape, dtype)
        store[key][i] = x

    tourism = GROUPS.index("tourism")
    for i, year in enumerate(years):
        state, nw = _apply_events(state, scenario, int(year), P, expected, group_share, events, geo)
        if inflow_path is not None:
            fixed = int(year) in inflow_path
            state = model.replace(state, inflow_fixed=fixed, **(
                {"log_inflow": np.broadcast_to(np.asarray(inflow_path[int(year)], float), (n,)).copy()} if fixed else {}))
        if nw is not None:
            weight[nw[0]] = nw[1]
        lev = _lever_values(scenario, int(year))
        state, f = model.step(state, int(year), lev, P, weight, group_share, tourism, sampler)
        put(stocks, "certified", i, state.cert.sum(axis=-1))
        put(stocks, "candidates", i, state.cand)
        put(stocks, "entities", i, state.ent)
        put(stocks, "trained_leaders", i, state.trained_lead)
        put(stocks, "coverage_officials", i, f["coverage_officials"])
        put(stocks, "projects", i, state.projects)
        put(stocks, "active", i, np.broadcast_to(state.active, (n,) + state.active.shape))
        put(stocks, "lapsed_cum", i, state.lapsed_cum)
        for k, axes in _KEEP_FLOWS.items():
            put(flows, k, i, _reduce(np.asarray(f[k]), axes))
    spending = {line: np.array([schedule_value(getattr(scenario.levers, line), int(y)) for y in years])
                for line in BUDGET_LINES}
    return RunArrays(years=years, stocks=stocks, flows=flows, params=params_out, spending=spending, initial=initial)


def block_rng(seed: int, block: int) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(block,))))


def initial_outputs(state: model.State, n: int, dtype) -> dict[str, np.ndarray]:
    """The starting state of ``n`` draws as ``RunArrays.initial`` holds it (one leading year axis,
    ``dtype``): what the numpy model and both compiled kernels report of the year before the run."""
    return {k: np.asarray(v, dtype)[None] for k, v in (
        ("certified", state.cert.sum(axis=-1)), ("candidates", state.cand), ("entities", state.ent),
        ("trained_leaders", state.trained_lead),
        ("coverage_officials", state.trained_off / np.maximum(state.officials_pool, 1e-12)),
        ("projects", state.projects), ("active", np.broadcast_to(state.active, (n,) + state.active.shape)),
        ("lapsed_cum", state.lapsed_cum))}
