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
The compiled code is in :mod:`ocop_sim.engine`: one year of the model for both modes
(``engine._year_of_draws_of``, this mode's draws where the expected kernel takes means) and this
mode's entry points ``step_mc`` and ``_run_years_mc_jit`` (kept in the file of the equations they
run, for numba's disk cache); this module is the Python driver.  model.py stays the reference: a
change there must be made in engine.py too (the tests fail until it is).

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
from . import timeloop as _loop
from .config import BUDGET_LINES, GROUPS, Scenario
from .engine import COLUMNS, LEVER_COLUMNS, _run_years_mc_jit, step_mc  # noqa: F401 - step_mc: an entry point

#: the name of the flows' seed stream (``stream_key`` of it in the spawn key)
SEED_STREAM = "flows:compiled"


# ----------------------------------------------------------------------------- Python driver


def flow_seeds(seed: int, block: int, n: int, T: int) -> np.ndarray:
    """The flows' seeds of draws ``0 .. n-1`` of ``block``: an n × T uint32 matrix, row d the draw's,
    column i for a stretch of years that starts at year index i.  Row d depends only on (seed,
    block, d, T): a prefix of ``SeedSequence.generate_state``, whatever ``n``."""
    ss = np.random.SeedSequence(int(seed), spawn_key=(int(block), _loop.stream_key(SEED_STREAM)))
    return ss.generate_state(n * T, np.uint32).reshape(n, T)


def run_monte_carlo(scenario: Scenario, n: int, seed: int, block: int, sample_assumptions: bool = True,
                    overrides: dict[str, np.ndarray] | None = None, event_list: list | None = None,
                    inflow_path: dict[int, np.ndarray] | None = None) -> "_loop.RunArrays":
    """Monte Carlo run of ``n`` draws of block ``block``: ``simulate.run_block(scenario, n,
    block_rng(seed, block), sample_assumptions, overrides=..., streams=Streams(seed, block),
    event_list=..., inflow_path=...)`` with the years' flows computed by the compiled kernel.

    The assumptions, the initial split and the events are those of ``run_block`` draw for draw
    (the same streams); the flows are equal in distribution (module docstring).
    """
    if not _e.AVAILABLE:
        raise _e.EngineUnavailable("numba is not installed: use ocop_sim.simulate.run_block")
    streams = _loop.Streams(int(seed), int(block))
    geo = _data.areas(scenario.pack)
    grp = _data.groups(scenario.pack)
    gs = np.array([grp[g]["idea_share"] for g in GROUPS])
    group_share = gs / gs.sum()
    weight = geo.weight.astype(float).copy()
    P = _loop.parameter_arrays(scenario, n, streams if sample_assumptions else None)
    for k, v in (overrides or {}).items():
        P[k] = np.broadcast_to(np.asarray(v, dtype=float), (n,)).copy()
    params_out = {k: v.copy() for k, v in P.items()}
    state = _loop.initial_state(scenario, n, False, P, streams)
    events = _loop.scenario_events(scenario) if event_list is None else list(event_list)
    f32 = np.float32
    initial = _loop.initial_outputs(state, n, f32)
    years = np.arange(scenario.horizon.start, scenario.horizon.end + 1)
    T = len(years)
    tourism = GROUPS.index("tourism")
    levm = _e._lever_matrix(scenario, years)
    RT = _e.response_table()
    fixed = np.zeros(T, dtype=np.bool_)
    path = np.zeros((T, n))
    for t_, y in enumerate(years):
        if inflow_path is not None and int(y) in inflow_path:
            fixed[t_] = True
            path[t_] = np.broadcast_to(np.asarray(inflow_path[int(y)], float), (n,))
    event_years = {int(ev.year) for ev in events if years[0] <= int(ev.year) <= years[-1]}
    stocks, flows, out = _e._output_arrays(T, n, len(weight), f32)
    ks = _e._kernel_state(state, n)
    log_inflow = _e._f64(state.log_inflow, (n,))
    Pm = _e.pack_assumptions(P, n)
    seeds = flow_seeds(seed, block, n, T)
    yearsf = years.astype(np.float64)

    def kernel(i, j, sub_scale, act):
        _run_years_mc_jit(i, j, np.ascontiguousarray(seeds[:, i]), yearsf, levm, RT, Pm, weight, act, group_share,
                          tourism, sub_scale, ks["score_shift"], fixed, path, log_inflow,
                          *(ks[k] for k in _e._KERNEL_STATE[:-1]), *out)

    _e._run_stretches(kernel, scenario, years, event_years, False, P, Pm, ks, np.array(state.active, dtype=bool),
                      log_inflow, weight, group_share, events, geo)
    spending = {line: levm[:, LEVER_COLUMNS.index(line)].copy() for line in BUDGET_LINES}
    return _loop.RunArrays(years=years, stocks=stocks, flows=flows, params=params_out, spending=spending,
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
