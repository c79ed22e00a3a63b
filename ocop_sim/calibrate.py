"""The observation operator: what a model run says about one reported figure.

A report is a stock at a date (valid certificates, or a cumulative count of every product ever
certified) or a flow within a calendar year.  :func:`model_value` returns its model counterpart
per draw; the Bayesian calibration, the backtests and the credibility checks all ask it
(:mod:`ocop_sim.inference`).
"""
from __future__ import annotations

import numpy as np

from .config import Scenario


def model_value(result, obs: dict) -> np.ndarray:
    """Model counterpart (per draw) of one observation.

    Stocks are read at the observation's date after the evaluation rounds held by then
    (:meth:`ocop_sim.results.Result.value_at`), counted as the report counts them (``counting``:
    ``valid`` or ``cumulative``); flows are summed over the observation's calendar year.
    """
    if obs["kind"] == "flow":
        return result.value(obs["metric"], obs["scope"], period=(obs["year"], obs["year"]))
    return result.value_at(obs["metric"], obs["at"], obs["scope"], obs.get("counting", "valid"))


def select(actuals: list[dict], until: int | None, years: np.ndarray) -> list[dict]:
    """Observations inside the run's years (and observed by the end of ``until`` if given)."""
    first, last = int(years[0]), int(years[-1])
    return [o for o in actuals if first <= o["year"] <= last and (until is None or o["year"] <= until)]


def with_assumptions(scenario: Scenario, values: dict[str, float]) -> Scenario:
    """The scenario with assumption values replaced, validated (bounds, threshold order)."""
    a = type(scenario.assumptions).model_validate({**scenario.assumptions.model_dump(), **values})
    return scenario.model_copy(update={"assumptions": a})
