"""The observation operator (ocop_sim.calibrate): what a run says about one reported figure."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ocop_sim import load, simulate
from ocop_sim.calibrate import model_value, select, with_assumptions
from ocop_sim.scenarios import ScenarioError

PARAMS = Path(__file__).resolve().parents[1] / "params"


@pytest.fixture(scope="module")
def replay():
    return simulate(load(PARAMS / "history.yaml").scenario.model_copy(update={"posterior": None}), mode="expected")


def test_a_flow_is_the_sum_within_its_calendar_year(replay):
    o = {"kind": "flow", "metric": "new_products_3star_plus", "scope": "old_dong_nai", "year": 2022}
    i = list(replay.years).index(2022)
    assert float(model_value(replay, o)[0]) == pytest.approx(
        float(replay.series("new_products_3star_plus", "old_dong_nai")[i, 0]))


def test_a_report_sees_the_rounds_held_by_its_date(replay):
    n5 = replay.series("products_national_5star", "old_dong_nai")[:, 0]
    end24, end25 = n5[list(replay.years).index(2024)], n5[list(replay.years).index(2025)]
    assert end25 > end24  # the first national 5★ are recognised in 2025
    at = lambda t: float(model_value(replay, {"kind": "stock", "metric": "products_national_5star",  # noqa: E731
                                              "scope": "old_dong_nai", "at": t})[0])
    # the central council met in June 2025 (pack dong_nai_2019 central_rounds): a report dated
    # 26/06/2025 sees all of 2025's recognitions, one in March none of them (no linear blend)
    assert at(2025.48) == pytest.approx(end25)
    assert at(2025.2) == pytest.approx(end24)
    # provincial rounds: two in 2022 (June, December): a report in July sees half of the year's flow
    s = replay.series("products_3star_plus", "old_dong_nai")[:, 0]
    e21, e22 = s[list(replay.years).index(2021)], s[list(replay.years).index(2022)]
    v = float(model_value(replay, {"kind": "stock", "metric": "products_3star_plus", "scope": "old_dong_nai",
                                   "at": 2022.55})[0])
    assert v == pytest.approx(e21 + 0.5 * (e22 - e21))
    # in 2021 the first round came after the report of 28/06/2021 (46 products, as at the end of
    # 2020): that report sees none of 2021's products
    v = float(model_value(replay, {"kind": "stock", "metric": "products_3star_plus", "scope": "old_dong_nai",
                                   "at": 2021.49})[0])
    assert v == pytest.approx(s[list(replay.years).index(2020)])


def test_the_start_of_an_outlook_is_its_reported_state():
    r = simulate(load(PARAMS / "baseline.yaml").scenario, mode="expected")
    o = {"kind": "stock", "metric": "products_3star_plus", "scope": "province", "at": 2026.0, "counting": "valid"}
    assert float(model_value(r, o)[0]) == pytest.approx(460.0)


def test_select_keeps_the_runs_years_and_the_cut_off():
    obs = [{"year": y} for y in (2018, 2020, 2023, 2026)]
    assert select(obs, None, np.arange(2019, 2026)) == [{"year": 2020}, {"year": 2023}]
    assert select(obs, 2021, np.arange(2019, 2026)) == [{"year": 2020}]


def test_with_assumptions_validates():
    sc = load(PARAMS / "history.yaml").scenario
    assert with_assumptions(sc, {"submission_rate": 0.3}).assumptions.submission_rate == 0.3
    with pytest.raises(ScenarioError, match=r"assumptions: expected threshold_3star < threshold_4star"):
        with_assumptions(sc, {"threshold_3star": 95.0})  # thresholds must stay ordered


def _at(r, metric, scope, t, counting="valid"):
    return float(model_value(r, {"kind": "stock", "metric": metric, "scope": scope, "at": t, "counting": counting})[0])


def test_recognised_provincial_5star_leave_4star_at_the_councils_date(replay):
    """4★ (which holds provincial 5★) loses the products recognised national 5★ at the central
    council's date (06/2025), while its provincial round (10/2025) has not moved it yet."""
    y = list(replay.years).index(2025)
    s4 = replay.series("products_4star", "old_dong_nai")[:, 0]
    rec = replay.series("national_5star_recognitions", "old_dong_nai")[y, 0]
    assert rec > 1.0
    assert _at(replay, "products_4star", "old_dong_nai", 2025.2) == pytest.approx(s4[y - 1])  # before June
    assert _at(replay, "products_4star", "old_dong_nai", 2025.55) == pytest.approx(s4[y - 1] - rec)  # July
    assert _at(replay, "products_4star", "old_dong_nai", 2026.0) == pytest.approx(s4[y])  # year end
    # products at 3★+ do not move at a recognition (a provincial 5★ becomes a national one)
    s = replay.series("products_3star_plus", "old_dong_nai")[:, 0]
    assert _at(replay, "products_3star_plus", "old_dong_nai", 2025.55) == pytest.approx(s[y - 1])


def test_in_the_merger_year_the_old_areas_move_by_their_rounds(replay):
    """Mid-2025 (after the merger of 01/07/2025, before the October round) the province is old
    Đồng Nai as of its last round plus old Bình Phước at the year end, not the year-end total."""
    y = list(replay.years).index(2025)
    old = replay.series("products_3star_plus", "old_dong_nai")[:, 0]
    bp = replay.series("products_3star_plus", "old_binh_phuoc")[:, 0]
    assert _at(replay, "products_3star_plus", "province", 2025.6) == pytest.approx(old[y - 1] + bp[y])
    assert _at(replay, "products_3star_plus", "province", 2026.0) == pytest.approx(old[y] + bp[y])
    assert old[y] > old[y - 1] + 10  # the October round adds products: the two readings differ


@pytest.mark.parametrize("until", [None, 2022])
def test_the_operator_matrix_equals_reading_every_report_one_by_one(until):
    """Calibration reads every report of every variant as one sparse product W @ (the elements
    some report reads).  It must give what model_value gives report by report, for variants far
    apart (the matrix is built on one batch and reused on others of another size)."""
    from ocop_sim import inference as inf
    from ocop_sim.calibrate import ObservationOperator
    from ocop_sim.packs import collapsed_run

    kn = inf.knowledge(load(PARAMS / "history.yaml").scenario, until)
    fast, events = collapsed_run(kn.scenario, list(kn.events))
    obs = list(kn.observations)
    op = ObservationOperator(obs)
    names = [n for n in inf.DEFAULT_PARAMS if n in inf.ASSUMPTION_NAMES]
    pri = inf.priors_for(tuple(names), until)
    rng = np.random.default_rng(11)
    for V in (24, 7):
        ov = {n: pri[n].sample(rng, V) for n in names}
        a = inf.model_values(fast, obs, ov, events, None, op)
        b = inf.model_values(fast, obs, ov, events)
        assert a.shape == (len(obs), V)
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-9, equal_nan=True)
    assert len(op.linear) >= 0.9 * len(obs)  # the matrix, not the slow path, reads nearly all reports
    # a calibration's fast path: run arrays straight from the runner, no Result and no layout check
    from ocop_sim import engine

    runner = engine.ExpectedRunner(fast, events)
    ov = {n: pri[n].sample(rng, 5) for n in names}
    if op.reusable:
        np.testing.assert_allclose(op.values(runner(5, ov)), inf.model_values(fast, obs, ov, events),
                                   rtol=1e-9, atol=1e-9, equal_nan=True)
    with pytest.raises(ValueError, match="call the operator on a Result first"):
        ObservationOperator(obs).values(runner(5, ov))
