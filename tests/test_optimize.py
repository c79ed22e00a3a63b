"""Budget optimisation: beats the equal split on its own objective; constraints hold."""
from __future__ import annotations

import numpy as np
import pytest

from ocop_sim.config import BUDGET_LINES
from ocop_sim.optimize import _mc_probs, optimize, relevant_targets, set_split
from ocop_sim.scenarios import ScenarioError


@pytest.fixture(scope="module")
def best(smoke):
    return optimize(smoke.scenario, 10.0, draws=40, seed=2, starts=8, frontier=(0.5, 2.0))


def test_split_beats_equal_split_on_its_own_objective(smoke, best):
    assert best.objective > best.objective_equal
    # the reported objective is the Monte Carlo (CRN) count of targets met: re-simulate it
    targets = relevant_targets(smoke.scenario)
    p = _mc_probs(best.scenario, targets, 40, 2)
    assert p.sum() == pytest.approx(best.objective)
    eq = _mc_probs(set_split(smoke.scenario, np.full(6, 10.0 / 6)), targets, 40, 2)
    assert eq.sum() == pytest.approx(best.objective_equal)


def test_allocation_sums_to_budget_and_is_written_into_schedules(smoke, best):
    assert sum(best.allocation.values()) == pytest.approx(10.0)
    assert all(v >= 0 for v in best.allocation.values())
    for line in BUDGET_LINES:
        assert best.scenario.levers.model_dump()[line] == {2019: pytest.approx(best.allocation[line])}
    assert list(best.table.columns[:2]) == ["id", "when"] and len(best.table) == len(relevant_targets(smoke.scenario))


def test_frontier_headline(best):
    assert best.headline == "t2025_products_3star_plus"
    assert list(best.frontier["budget"]) == [5.0, 20.0]
    assert best.frontier["probability"].between(0, 1).all()


def test_min_lines_and_from_year(smoke):
    r = optimize(smoke.scenario, 6.0, min_line={"training_bn_vnd": 3.0}, from_year=2024, draws=20, seed=1,
                 starts=2, frontier=None)
    assert r.allocation["training_bn_vnd"] >= 3.0 - 1e-9
    assert sum(r.allocation.values()) == pytest.approx(6.0)
    sched = r.scenario.levers.training_bn_vnd
    assert {k: v for k, v in sched.items() if k < 2024} == {k: v for k, v in smoke.scenario.levers.training_bn_vnd.items()
                                                              if k < 2024}
    assert all(t.end_year >= 2024 for t in relevant_targets(smoke.scenario, 2024))


@pytest.mark.parametrize("kw, match", [({"budget": -1.0}, "budget"),
                                       ({"budget": 5.0, "min_line": {"training_bn_vnd": 6.0}}, "at most the budget"),
                                       ({"budget": 5.0, "min_line": {"trainng_bn_vnd": 1.0}}, "did you mean"),
                                       ({"budget": 5.0, "objective": "weighted", "weights": {"nope": 1}}, "nope")])
def test_bad_inputs(smoke, kw, match):
    with pytest.raises(ScenarioError, match=match):
        optimize(smoke.scenario, draws=5, **kw)
