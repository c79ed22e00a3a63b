"""``simulate(scenario, draws, seed) -> Result``: the time loop, vectorised over draws.

Randomness: draws are grouped in fixed blocks of :data:`BLOCK` draws; block ``b`` gets its own
``numpy.random.Generator`` from ``SeedSequence(seed, spawn_key=(b,))``.  A draw's numbers
therefore depend only on the seed and its block, never on how draws are chunked across
processes (chunks are cut at block boundaries: :func:`draw_chunks`).

The numpy time loop, the random streams, the starting state and the events are in
:mod:`ocop_sim.timeloop`, below the compiled engines that follow them; this module chooses the
engine that runs each block of draws and joins the blocks into a Result.
"""
from __future__ import annotations

import math

import numpy as np

from .config import ASSUMPTION_NAMES, Scenario
from .executors import map_planned
from .results import Result, RunArrays  # noqa: F401 - RunArrays also known as simulate.RunArrays
# the time loop and what the kernels share with it, known here too (simulate.run_block, ...)
from .timeloop import (_KEEP_FLOWS, LOG_INFLOW0, Streams, _apply_events, _lever_values,  # noqa: F401
                       _posterior, _reduce, _sample_param, _split, block_rng, effective_scenario, initial_outputs,
                       initial_state, parameter_arrays, run_block, scenario_events, stream_key)

BLOCK = 500


def draw_chunks(draws: int, n_chunks: int) -> list[tuple[int, int]]:
    """Split ``range(draws)`` into at most ``n_chunks`` contiguous chunks cut at block boundaries."""
    n_blocks = math.ceil(draws / BLOCK)
    n_chunks = max(1, min(n_chunks, n_blocks))
    bounds = np.linspace(0, n_blocks, n_chunks + 1).round().astype(int)
    return [(int(a) * BLOCK, min(int(b) * BLOCK, draws)) for a, b in zip(bounds[:-1], bounds[1:]) if b > a]

def _block_numpy(scenario: Scenario, n: int, seed: int, block: int, sample_assumptions: bool) -> RunArrays:
    return run_block(scenario, n, block_rng(seed, block), sample_assumptions, streams=Streams(int(seed), block))


def _block_compiled(scenario: Scenario, n: int, seed: int, block: int, sample_assumptions: bool) -> RunArrays:
    from .engine_mc import run_monte_carlo  # numba (heavy, optional): loaded when a compiled run asks

    return run_monte_carlo(scenario, n, seed, block, sample_assumptions)


def _block_auto(scenario: Scenario, n: int, seed: int, block: int, sample_assumptions: bool) -> RunArrays:
    from .engine import AVAILABLE  # imports numba (heavy, optional): only when the engine is chosen

    return (_block_compiled if AVAILABLE else _block_numpy)(scenario, n, seed, block, sample_assumptions)


#: Monte Carlo engines by name: ``"numpy"`` (the reference: :func:`run_block`, draw for draw what the
#: golden files hold), ``"compiled"`` (numba, :func:`ocop_sim.engine_mc.run_monte_carlo`: equal in
#: distribution, not draw for draw), ``"auto"`` (compiled where numba is installed, else numpy).
ENGINES = {"numpy": _block_numpy, "compiled": _block_compiled, "auto": _block_auto}


def resolve_engine(engine: str) -> str:
    """The engine that runs: ``"numpy"`` or ``"compiled"`` (``"auto"`` resolved).  A Result, its
    manifest and the result cache record this name: the two engines agree in distribution, not
    draw for draw, so a run is reproduced with the engine that made it."""
    if engine not in ENGINES:
        raise ValueError(f"engine: expected one of {', '.join(ENGINES)}, got {engine!r}")
    if engine == "auto":
        from .engine import AVAILABLE  # imports numba (heavy, optional): only when the engine is chosen

        return "compiled" if AVAILABLE else "numpy"
    return engine


def run_draws(scenario: Scenario, start: int, stop: int, seed: int, sample_assumptions: bool = True,
              engine: str = "numpy") -> RunArrays:
    """Monte Carlo draws ``start..stop`` (must start on a block boundary) with the engine named
    ``engine`` (:data:`ENGINES`)."""
    if start % BLOCK:
        raise ValueError(f"chunks must start on a multiple of {BLOCK}, got {start}")
    if engine not in ENGINES:
        raise ValueError(f"engine: expected one of {', '.join(ENGINES)}, got {engine!r}")
    run = ENGINES[engine]
    total = stop - start
    out: RunArrays | None = None
    for b0 in range(start, stop, BLOCK):
        n = min(BLOCK, stop - b0)
        part = run(scenario, n, int(seed), b0 // BLOCK, sample_assumptions)
        if out is None:
            if n == total:
                return part
            # preallocate once: peak memory = the whole run + one block, not twice the run
            out = RunArrays(
                years=part.years,
                stocks={k: np.empty((v.shape[0], total) + v.shape[2:], v.dtype) for k, v in part.stocks.items()},
                flows={k: np.empty((v.shape[0], total) + v.shape[2:], v.dtype) for k, v in part.flows.items()},
                params={k: np.empty(total, v.dtype) for k, v in part.params.items()},
                spending=part.spending,
                initial={k: np.empty((1, total) + v.shape[2:], v.dtype) for k, v in part.initial.items()})
        i = b0 - start
        for k, v in part.stocks.items():
            out.stocks[k][:, i:i + n] = v
        for k, v in part.flows.items():
            out.flows[k][:, i:i + n] = v
        for k, v in part.params.items():
            out.params[k][i:i + n] = v
        for k, v in part.initial.items():
            out.initial[k][:, i:i + n] = v
    return out


def concat_runs(parts: list[RunArrays]) -> RunArrays:
    if len(parts) == 1:
        return parts[0]
    first = parts[0]
    return RunArrays(
        years=first.years,
        stocks={k: np.concatenate([p.stocks[k] for p in parts], axis=1) for k in first.stocks},
        flows={k: np.concatenate([p.flows[k] for p in parts], axis=1) for k in first.flows},
        params={k: np.concatenate([p.params[k] for p in parts]) for k in first.params},
        spending=first.spending,
        initial=None if first.initial is None else
        {k: np.concatenate([p.initial[k] for p in parts], axis=1) for k in first.initial},
    )


def simulate(scenario: Scenario, draws: int | None = None, seed: int | None = None, mode: str = "monte_carlo",
             sample_assumptions: bool = True, executor=None, engine: str = "numpy"):
    """Simulate a scenario.

    Parameters
    ----------
    scenario : Scenario
        A validated scenario (see :func:`ocop_sim.scenarios.load`).
    draws : int, optional
        Monte Carlo draws [-]; default: the scenario's ``draws``.  Ignored in expected mode.
    seed : int, optional
        Seed; default: the scenario's ``seed``.
    mode : {"monte_carlo", "expected"}
        Expected values (one draw, fractional counts) or sampled flows and assumptions.
        Expected mode is a mean-field run: each year's flows are the means of the sampled flows
        given the state, so it equals the Monte Carlo mean one year on; later the concave terms
        (imitation × pool left, ideas capped by the pool) put the Monte Carlo mean below it, by
        at most ~2–3 % over the horizon (tests/test_model.py measures the bound).  The explorer
        and the calibration use it; reports quote Monte Carlo.
    sample_assumptions : bool
        In Monte Carlo mode, draw uncertain assumptions from their distributions (True) or keep
        them at their values (False: flow noise only).
    executor : optional
        An executor from :mod:`ocop_sim.executors` to run chunks of draws in parallel where they
        are long enough to pay for it: the first block runs here, timed, and the rest serially or
        in chunks of whole blocks (:func:`ocop_sim.executors.map_planned`).  The numbers do not
        depend on the plan.
    engine : {"numpy", "compiled", "auto"}
        Monte Carlo engine (:data:`ENGINES`): the numpy reference (default), the numba kernel
        (equal in distribution, reproducible for a seed, faster: benchmarks/bench_engine.py), or
        the kernel where numba is installed.  Ignored in expected mode.  The result records
        the engine that ran (:func:`resolve_engine`).
    """
    if mode not in _MODES:
        raise ValueError(f"mode: expected one of {', '.join(_MODES)}, got {mode!r}")
    engine = resolve_engine(engine)
    seed = scenario.seed if seed is None else int(seed)
    if mode == "expected":
        arrays = run_block(scenario, 1, None)
        return Result(scenario=scenario, arrays=arrays, mode=mode, seed=seed, draws=1)
    draws = scenario.draws if draws is None else int(draws)
    if executor is None or getattr(executor, "workers", 1) <= 1:
        arrays = run_draws(scenario, 0, draws, seed, sample_assumptions, engine)
    else:
        # the tasks are blocks: the pilot is the first block, every chunk starts on a block boundary,
        # so the draws are the same whatever the plan; one chunk a worker (each sends back its arrays)
        parts = map_planned(executor, run_draws, math.ceil(draws / BLOCK),
                            lambda a, b: (scenario, a * BLOCK, min(b * BLOCK, draws), seed, sample_assumptions, engine),
                            what=f"blocks of {BLOCK} draws", pilot_rounds=1, chunks_per_worker=1)
        arrays = concat_runs(parts)
    return Result(scenario=scenario, arrays=arrays, mode=mode, seed=seed, draws=draws, engine=engine)


_MODES = ("monte_carlo", "expected")


def simulate_variants(scenario: Scenario, overrides: dict[str, np.ndarray]):
    """Expected-mode runs of variants that differ only in assumptions, as one vectorised batch.

    ``overrides`` maps assumption names to arrays of one value per variant (all the same length
    V; names not given keep the scenario's value).  Returns a :class:`~ocop_sim.results.Result`
    whose V "draws" are the variants: ``result.value(...)[i]`` equals the expected run of the
    scenario with the i-th values (tests/test_model.py checks this for every assumption).
    """
    n = len(next(iter(overrides.values()))) if overrides else 1
    for k, v in overrides.items():
        if k not in ASSUMPTION_NAMES:
            raise KeyError(f"unknown assumption {k!r}")
        if len(v) != n:
            raise ValueError(f"overrides: expected {n} values for {k}, got {len(v)}")
    arrays = run_block(scenario, n, None, overrides=overrides)
    return Result(scenario=scenario, arrays=arrays, mode="expected", seed=scenario.seed, draws=n)
