from pathlib import Path

import pytest
import yaml

from ocop_sim import ScenarioError, load
from ocop_sim.config import ASSUMPTION_NAMES, Assumptions, Levers, assumption_meta, schedule_value
from ocop_sim.scenarios import changed_keys, deep_merge, scenario_hash


def write(tmp_path: Path, name: str, data) -> Path:
    p = tmp_path / name
    p.write_text(yaml.safe_dump(data, allow_unicode=True) if not isinstance(data, str) else data, encoding="utf-8")
    return p


def test_every_assumption_has_unit_bounds_source_and_default_within_bounds():
    for name in ASSUMPTION_NAMES:
        m = assumption_meta(name)
        assert m["unit"] and m["source"], name
        assert m["low"] <= m["default"] <= m["high"], name
        assert "[" in m["description"], name  # unit in brackets


def test_schedule_is_a_step_function():
    s = {2019: 4.0, 2022: 6.5}
    assert schedule_value(s, 2018) == 0.0
    assert schedule_value(s, 2019) == 4.0
    assert schedule_value(s, 2021) == 4.0
    assert schedule_value(s, 2022) == 6.5
    assert schedule_value(s, 2035) == 6.5


def test_levers_accept_string_years_and_reject_negative():
    lv = Levers(product_development_bn_vnd={"2019": 1, "2021": 2.5})
    assert lv.product_development_bn_vnd == {2019: 1.0, 2021: 2.5}
    with pytest.raises(ValueError):
        Levers(training_bn_vnd={2019: -1})


def test_models_are_frozen():
    a = Assumptions()
    with pytest.raises(Exception):
        a.score_base = 3


def test_extends_chain_deep_merges_and_replaces_schedules(tmp_path):
    write(tmp_path, "a.yaml", {"name": "a", "levers": {"training_bn_vnd": {2019: 1.0, 2025: 2.0},
                                                       "value_chain_bn_vnd": {2019: 3.0}},
                               "assumptions": {"score_base": 55.0, "staff_turnover": 0.1}})
    write(tmp_path, "b.yaml", {"extends": "a.yaml", "name": "b", "assumptions": {"score_base": 58.0}})
    write(tmp_path, "c.yaml", {"extends": "b.yaml", "name": "c", "levers": {"training_bn_vnd": {2030: 9.0}}})
    ld = load(tmp_path / "c.yaml")
    sc = ld.scenario
    assert sc.assumptions.score_base == 58.0 and sc.assumptions.staff_turnover == 0.1
    assert sc.levers.training_bn_vnd == {2030: 9.0}  # schedules are replaced whole
    assert sc.levers.value_chain_bn_vnd == {2019: 3.0}
    assert [p.name for p in ld.chain] == ["c.yaml", "b.yaml", "a.yaml"]
    changes = dict((k, (a, b)) for k, a, b in changed_keys(ld.parent_raw, ld.raw))
    assert changes == {"levers.training_bn_vnd": ({2019: 1.0, 2025: 2.0}, {2030: 9.0})}


def test_extends_cycle_is_reported(tmp_path):
    write(tmp_path, "a.yaml", {"extends": "b.yaml", "name": "a"})
    write(tmp_path, "b.yaml", {"extends": "a.yaml", "name": "b"})
    with pytest.raises(ScenarioError, match="cycle: a.yaml -> b.yaml -> a.yaml"):
        load(tmp_path / "a.yaml")


def test_typo_gets_a_suggestion(tmp_path):
    p = write(tmp_path, "s.yaml", {"name": "s", "assumptions": {"renewal_base_prb": 0.5}})
    with pytest.raises(ScenarioError) as e:
        load(p)
    msg = str(e.value)
    assert str(p) in msg and "assumptions.renewal_base_prb" in msg and "renewal_base_prob" in msg
    assert "\n" not in msg


def test_out_of_bounds_names_field_expected_and_got(tmp_path):
    p = write(tmp_path, "s.yaml", {"name": "s", "assumptions": {"central_pass_rate": 1.5}})
    with pytest.raises(ScenarioError, match=r"assumptions\.central_pass_rate: expected .*1.*got 1\.5"):
        load(p)


def test_lever_year_outside_horizon(tmp_path):
    p = write(tmp_path, "s.yaml", {"name": "s", "horizon": {"start": 2019, "end": 2030},
                                   "levers": {"training_bn_vnd": {2040: 1.0}}})
    with pytest.raises(ScenarioError, match="2019..2030, got 2040"):
        load(p)


def test_duplicate_keys_and_python_tags_rejected(tmp_path):
    p = write(tmp_path, "d.yaml", "name: a\nname: b\n")
    with pytest.raises(ScenarioError, match="duplicate key 'name'"):
        load(p)
    p = write(tmp_path, "e.yaml", "name: !!python/object/apply:os.system ['echo hi']\n")
    with pytest.raises(ScenarioError, match="not valid YAML"):
        load(p)


def test_merger_event_with_unknown_area(tmp_path):
    p = write(tmp_path, "s.yaml", {"name": "s", "events": [{"type": "merger", "year": 2025, "area": "binh_phuc"}]})
    with pytest.raises(ScenarioError, match=r"events\.0\.area: .*did you mean 'binh_phuoc'"):
        load(p)


def test_hash_changes_with_any_value(baseline):
    h = scenario_hash(baseline.scenario)
    other = baseline.scenario.model_copy(update={"seed": baseline.scenario.seed + 1})
    assert scenario_hash(other) != h and len(h) == 64


def test_deep_merge_does_not_mutate_inputs():
    a = {"x": {"y": 1}}
    b = {"x": {"z": 2}}
    assert deep_merge(a, b) == {"x": {"y": 1, "z": 2}}
    assert a == {"x": {"y": 1}}


def test_derive_is_the_one_validated_way_to_change_a_scenario():
    """Goal seek, optimisation, sensitivity, calibration and the explorer change scenarios through
    scenarios.derive: the changes merged like a child file (a schedule replaced whole), the result
    validated by the schema, the base untouched, a one-line error naming the field."""
    from ocop_sim.scenarios import derive

    base = load(Path(__file__).resolve().parents[1] / "params" / "baseline.yaml").scenario
    assert derive(base, {}) is base
    d = derive(base, {"assumptions": {"submission_rate": 0.4}, "levers": {"training_bn_vnd": {2027: 3.0}}})
    assert d.assumptions.submission_rate == 0.4 and base.assumptions.submission_rate != 0.4
    assert d.levers.training_bn_vnd == {2027: 3.0}  # replaced whole, as a child file's schedule
    assert d.assumptions.score_base == base.assumptions.score_base and d.pack == base.pack
    # the same scenario as the unvalidated copy it replaces, so hashes and results do not move
    same = base.model_copy(update={"assumptions": base.assumptions.model_copy(update={"submission_rate": 0.4})})
    assert derive(base, {"assumptions": {"submission_rate": 0.4}}) == same
    assert scenario_hash(derive(base, {"assumptions": {"submission_rate": 0.4}})) == scenario_hash(same)
    with pytest.raises(ScenarioError, match=r"^scenario 'baseline' \(derived\): assumptions\.submission_rate: "
                                            r"expected a value less than or equal to 1, got 7$"):
        derive(base, {"assumptions": {"submission_rate": 7}})
    with pytest.raises(ScenarioError, match="unknown key"):
        derive(base, {"assumptions": {"submision_rate": 0.4}}, label="goal seek")
