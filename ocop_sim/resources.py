"""Resource guards: refuse, before any work, a run that cannot fit in memory.

A Monte Carlo run keeps every year's arrays for every draw (year × draw × area × group × level,
float32; :mod:`ocop_sim.simulate`), and a pooled run holds the chunks and their concatenation
at once.  :func:`estimate_bytes` measures one draw's arrays on a one-draw block of the scenario
(~20 ms) and scales it; :func:`check_memory` refuses (a :class:`~ocop_sim.scenarios.ScenarioError`
on ``draws``: exit 2, one line with the estimate and the limit) when it exceeds the limit:
``$OCOP_SIM_MEMORY_LIMIT`` (bytes, or with a K/M/G/T suffix) if set, else
:data:`AVAILABLE_FRACTION` of ``MemAvailable`` in ``/proc/meminfo``.  For more draws than fit,
:func:`ocop_sim.streaming.simulate_summary` keeps only chosen series (bounded memory).
"""
from __future__ import annotations

import os
import re
from pathlib import Path

from .scenarios import ScenarioError
from .simulate import run_block

ENV_VAR = "OCOP_SIM_MEMORY_LIMIT"
#: Share of the available RAM one run may plan to use [-].
AVAILABLE_FRACTION = 0.5
#: Peak over the kept arrays [-]: a pooled run (``--jobs``) holds the chunks and their
#: concatenation at once.  Measured: 3,000 draws of the baseline keep 324 MB of arrays and raise
#: the peak RSS of a serial run by 302 MB (≈1×); 2× covers the pooled case.
PEAK_FACTOR = 2.0
_UNITS = {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4}


def fmt_bytes(n: float) -> str:
    for unit, f in (("TiB", 1024**4), ("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if n >= f:
            return f"{n / f:.1f} {unit}"
    return f"{int(n)} B"


def parse_bytes(text: str, label: str = ENV_VAR) -> int:
    """``'4G'``, ``'512M'``, ``'2GiB'``, ``'1000000'`` → bytes (ASCII digits only: the shared rule)."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMGT]?)(?:i?B)?\s*", str(text), re.ASCII | re.IGNORECASE)
    if not m or float(m.group(1)) <= 0:
        raise ScenarioError(label, "", f"expected a memory size like 4G, 512M or 1000000 (bytes), got {text!r}")
    return int(float(m.group(1)) * _UNITS[m.group(2).upper()])


def available_bytes(meminfo: str | Path = "/proc/meminfo") -> int | None:
    """``MemAvailable`` of ``/proc/meminfo`` [bytes]; None where there is no such file."""
    try:
        for line in Path(meminfo).read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def memory_limit(meminfo: str | Path = "/proc/meminfo") -> tuple[int | None, str]:
    """The limit [bytes] and where it comes from (None: unknown, no check)."""
    env = os.environ.get(ENV_VAR)
    if env:
        return parse_bytes(env), f"${ENV_VAR}"
    avail = available_bytes(meminfo)
    if avail is None:
        return None, "unknown"
    return int(avail * AVAILABLE_FRACTION), f"{AVAILABLE_FRACTION:.0%} of the {fmt_bytes(avail)} of RAM available"


def bytes_per_draw(scenario) -> int:
    """Bytes of one draw's arrays (stocks, flows, start state, sampled parameters) of ``scenario``."""
    a = run_block(scenario, 1, None)
    groups = (a.stocks, a.flows, a.initial or {}, a.params)
    return int(sum(v.nbytes for g in groups for v in g.values()))


def estimate_bytes(scenario, draws: int | None = None, mode: str = "monte_carlo") -> int:
    """Estimated peak memory [bytes] of a run of ``draws`` (default: the scenario's)."""
    n = 1 if mode == "expected" else int(scenario.draws if draws is None else draws)
    return int(bytes_per_draw(scenario) * n * PEAK_FACTOR)


def check_memory(scenario, draws: int | None = None, mode: str = "monte_carlo", label: str | None = None,
                 meminfo: str | Path = "/proc/meminfo") -> int:
    """The estimate [bytes]; raises ScenarioError (field ``draws``) if it exceeds :func:`memory_limit`."""
    limit, source = memory_limit(meminfo)
    if mode == "expected" or limit is None:
        return 0
    n = int(scenario.draws if draws is None else draws)
    est = estimate_bytes(scenario, n, mode)
    if est > limit:
        raise ScenarioError(label or scenario.name, "draws",
                            f"expected a run that fits in memory, got {n} draws needing an estimated "
                            f"{fmt_bytes(est)} over the limit of {fmt_bytes(limit)} ({source}); use fewer draws "
                            f"or set {ENV_VAR}")
    return est
