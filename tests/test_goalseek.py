"""Goal seek: the answer re-simulated meets the target; 5 % less does not."""
from __future__ import annotations

import numpy as np
import pytest

from ocop_sim import simulate
from ocop_sim.goalseek import find_target, goal_seek
from ocop_sim.scenarios import ScenarioError
from ocop_sim.sensitivity import scale_lever
from ocop_sim.targets import COMPARISONS, target_values

TARGET, LEVER = "t2025_provincial_5star", "product_development_bn_vnd"


def _met_expected(sc, target):
    v = target_values(simulate(sc, mode="expected"), target)
    return bool(COMPARISONS[target.comparison](v, target.value)[0])


def test_expected_mode_answer_and_five_percent_less(smoke):
    sc = smoke.scenario
    r = goal_seek(sc, TARGET, LEVER)
    t = find_target(sc, TARGET)
    assert r.reachable and r.monotone and r.factor > 1.0
    assert _met_expected(scale_lever(sc, LEVER, r.factor), t)
    assert not _met_expected(scale_lever(sc, LEVER, 0.95 * r.factor), t)
    assert r.schedule == {k: pytest.approx(v * r.factor) for k, v in sc.levers.product_development_bn_vnd.items()}


def test_probability_answer_with_common_random_numbers(smoke):
    sc = smoke.scenario
    r = goal_seek(sc, TARGET, LEVER, probability=0.5, draws=60, seed=5)
    t = find_target(sc, TARGET)

    def prob(k):
        v = target_values(simulate(scale_lever(sc, LEVER, k), draws=60, seed=5), t)
        return float(np.mean(COMPARISONS[t.comparison](v, t.value)))

    assert r.reachable
    assert prob(r.factor) >= 0.5 and r.achieved == pytest.approx(prob(r.factor))
    assert prob(0.95 * r.factor) < 0.5
    again = goal_seek(sc, TARGET, LEVER, probability=0.5, draws=60, seed=5)
    assert again.factor == r.factor  # reproducible


def test_unreachable_says_so(smoke):
    # agritourism projects 2019–2020 do not depend on the training budget
    r = goal_seek(smoke.scenario, "t2020_agritourism_projects", "training_bn_vnd")
    assert not r.reachable and r.factor is None and r.achieved == 0.0


def test_bad_arguments(smoke):
    with pytest.raises(ScenarioError, match="target"):
        goal_seek(smoke.scenario, "t2025_nope", LEVER)
    with pytest.raises(ScenarioError, match="lever"):
        goal_seek(smoke.scenario, TARGET, "product_developmen")
    from ocop_sim.config import Horizon

    short = smoke.scenario.model_copy(update={"horizon": Horizon(start=2019, end=2024)})
    with pytest.raises(ScenarioError, match="horizon"):
        goal_seek(short, TARGET, LEVER)
