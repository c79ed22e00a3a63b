"""Budget optimisation: beats the equal split on its own objective; constraints hold."""
from __future__ import annotations

import numpy as np
import pytest

from ocop_sim.config import BUDGET_LINES
from ocop_sim.optimize import _mc_probs, optimize, relevant_targets, set_split
from ocop_sim.scenarios import ScenarioError


# plan: the plan outlook (2026–2028) with targets inside its horizon (tests/conftest.py PLAN_REGISTRY)


@pytest.fixture(scope="module")
def best(plan):
    return optimize(plan.scenario, 10.0, draws=40, seed=2, starts=8, frontier=(0.5, 2.0), folder=plan.path.parent)


def test_split_beats_equal_split_on_its_own_objective(plan, best):
    assert best.objective > best.objective_equal
    # the reported objective is the Monte Carlo (CRN) count of targets met: re-simulate it
    targets = relevant_targets(plan.scenario, folder=plan.path.parent)
    p = _mc_probs(best.scenario, targets, 40, 2)
    assert p.sum() == pytest.approx(best.objective)
    eq = _mc_probs(set_split(plan.scenario, np.full(6, 10.0 / 6)), targets, 40, 2)
    assert eq.sum() == pytest.approx(best.objective_equal)


def test_allocation_sums_to_budget_and_is_written_into_schedules(plan, best):
    assert sum(best.allocation.values()) == pytest.approx(10.0)
    assert all(v >= 0 for v in best.allocation.values())
    for line in BUDGET_LINES:
        start = plan.scenario.horizon.start
        assert best.scenario.levers.model_dump()[line] == {start: pytest.approx(best.allocation[line])}
    assert list(best.table.columns[:2]) == ["id", "when"] and len(best.table) == len(relevant_targets(plan.scenario, folder=plan.path.parent))


def test_frontier_headline(best):
    assert best.headline == "l2028_products_3star_plus"  # the products-at-3★+ headline target
    assert list(best.frontier["budget"]) == [5.0, 20.0]
    assert best.frontier["probability"].between(0, 1).all()


def test_min_lines_and_from_year(plan):
    r = optimize(plan.scenario, 6.0, min_line={"training_bn_vnd": 3.0}, from_year=2027, draws=20, seed=1,
                 starts=2, frontier=None, folder=plan.path.parent)
    assert r.allocation["training_bn_vnd"] >= 3.0 - 1e-9
    assert sum(r.allocation.values()) == pytest.approx(6.0)
    sched = r.scenario.levers.training_bn_vnd
    before = {k: v for k, v in plan.scenario.levers.training_bn_vnd.items() if k < 2027}
    assert before and {k: v for k, v in sched.items() if k < 2027} == before
    rel = relevant_targets(plan.scenario, 2027, plan.path.parent)
    assert rel and all(t.end_year >= 2027 for t in rel)
    # 1698's targets (2020, 2025) are before the outlook: never optimised for
    assert {t.id for t in relevant_targets(plan.scenario, folder=plan.path.parent)} == {"l2028_products_3star_plus", "l2028_new_products",
                                                                "l2028_new_products_too_many"}


@pytest.mark.parametrize("kw, match", [({"budget": -1.0}, "budget"),
                                       ({"budget": 5.0, "min_line": {"training_bn_vnd": 6.0}}, "at most the budget"),
                                       ({"budget": 5.0, "min_line": {"trainng_bn_vnd": 1.0}}, "did you mean"),
                                       ({"budget": 5.0, "objective": "weighted", "weights": {"nope": 1}}, "nope")])
def test_bad_inputs(plan, kw, match):
    with pytest.raises(ScenarioError, match=match):
        optimize(plan.scenario, draws=5, folder=plan.path.parent, **kw)
