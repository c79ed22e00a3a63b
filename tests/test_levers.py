"""The lever registry and the declared responses (issue 19): one declaration per lever, the
rest generated from it; a response of a lever at 0 leaves every number bit-identical."""
from __future__ import annotations

import dataclasses
import hashlib

import numpy as np
import pytest

from ocop_sim import app, config, engine, i18n, levers, model, sensitivity
from ocop_sim.checks import results_checksum
from ocop_sim.simulate import simulate


def test_registry_is_consistent():
    levers.check_registry(assumptions=config.ASSUMPTION_NAMES)


def test_everything_is_generated_from_the_registry():
    names = levers.lever_names()
    assert tuple(config.Levers.model_fields) == names
    assert tuple(f.name for f in dataclasses.fields(model.YearLevers)) == names
    assert set(engine.LEVER_COLUMNS) == set(names) and len(engine.LEVER_COLUMNS) == len(names)
    assert engine.LEVER_COLUMNS[:len(engine.KERNEL_LEVERS)] == engine.KERNEL_LEVERS  # fixed kernel columns
    assert config.BUDGET_LINES == levers.lever_names("budget")
    assert config.COUNT_LEVERS == levers.lever_names("count")
    assert set(config.ALL_SCHEDULES) == set(names) == set(sensitivity.LEVER_NAMES)
    for s in levers.LEVERS:
        meta = config.lever_meta(s.name)
        assert meta["default"] == {config.MIN_YEAR: s.default} and meta["unit"] == s.unit
        assert meta["vi"] == s.label_vi and meta["description"].startswith(s.description)
        assert i18n.lever_label(s.name, "vi") and i18n.lever_label(s.name, "en")
        assert app.LEVER_HELP_VI[s.name] == s.help_vi
        if s.kind == "budget":
            assert i18n.t(f"spending_{s.name}", "vi") == s.spending_vi
            assert i18n.t(f"spending_{s.name}", "en") == s.spending_en


def test_assumption_texts_live_with_the_assumptions():
    for name in config.ASSUMPTION_NAMES:
        assert config.assumption_meta(name)["vi"] == i18n.ASSUMPTION_VI[name] == i18n.assumption_text(name, "vi")


def test_validation_follows_the_kind():
    budget, count = config.BUDGET_LINES[0], config.COUNT_LEVERS[0]
    share = levers.lever_names("share")[0]
    config.Levers.model_validate({budget: 2.5, count: {2026: 2}, share: 0.4})
    for bad in ({count: {2026: 1.5}}, {share: 1.2}, {budget: -1}):
        with pytest.raises(Exception):
            config.Levers.model_validate(bad)


def test_registry_refuses_inconsistent_declarations():
    ok = levers.LEVERS[0]
    with pytest.raises(ValueError, match="unique"):
        levers.check_registry([ok, ok], [])
    with pytest.raises(ValueError, match="unknown lever"):
        levers.check_registry([ok], [levers.Response("r", ("nope",), "per_area_weight", "entity_inflow", "a", "b")])
    with pytest.raises(ValueError, match="renewal_prob"):
        levers.check_registry([ok], [levers.Response("r", (ok.name,), "per_certified_mn", "idea_inflow", "a", "b")])
    with pytest.raises(ValueError, match="unknown assumption"):
        levers.check_registry([ok], [levers.Response("r", (ok.name,), "per_area_weight", "idea_inflow", "a", "b")],
                              assumptions=config.ASSUMPTION_NAMES)


def _digest(arrays) -> str:
    h = hashlib.sha256()
    for part in ("stocks", "flows"):
        group = getattr(arrays, part)
        for k in sorted(group):
            h.update(k.encode() + np.ascontiguousarray(group[k], dtype=np.float64).tobytes())
    return h.hexdigest()


def _runs(sc):
    return (results_checksum(simulate(sc, mode="expected")),
            results_checksum(simulate(sc, draws=12, seed=5, mode="monte_carlo")),
            _digest(engine.run_expected(sc, 2)) if engine.AVAILABLE else "")


@pytest.mark.parametrize("rate", levers.RATES)
def test_a_response_of_a_lever_at_zero_changes_nothing(smoke, monkeypatch, rate):
    """A response declared on every rate, of a lever that is 0 in every year: every array of the
    numpy model (expected and Monte Carlo) and of the compiled kernel is bit-identical; the same
    response of the lever at 2 does change the numbers (the test can fail)."""
    lever = config.COUNT_LEVERS[0]
    sc = smoke.scenario
    assert all(v == 0 for v in getattr(sc.levers, lever).values())
    before = _runs(sc)
    norm = "per_certified_mn" if rate == "renewal_prob" else "per_area_weight"
    extra = levers.Response("test_extra", (lever,), norm, rate, "renewal_gain_max", "renewal_half_saturation_mn_vnd",
                            form="gain")
    monkeypatch.setattr(model, "RESPONSES", model.RESPONSES + (extra,))
    assert _runs(sc) == before
    on = sc.model_copy(update={"levers": sc.levers.model_copy(update={lever: {sc.horizon.start: 2.0}})})
    monkeypatch.setattr(model, "RESPONSES", model.RESPONSES[:-1])
    without = _runs(on)
    monkeypatch.setattr(model, "RESPONSES", model.RESPONSES + (extra,))
    with_ = _runs(on)
    assert with_[0] != without[0] and with_[1] != without[1]
    if engine.AVAILABLE:
        assert with_[2] != without[2]


def test_engine_applies_the_declared_responses(smoke, monkeypatch):
    """The kernel reads the table, not hard-coded effects: with a response removed, the kernel and
    the numpy model agree again (within 1e-9), and differ from the full model."""
    if not engine.AVAILABLE:
        pytest.skip("numba not installed")
    import importlib

    sim = importlib.import_module("ocop_sim.simulate")
    sc = smoke.scenario
    full = engine.run_expected(sc, 1)
    monkeypatch.setattr(model, "RESPONSES", tuple(r for r in model.RESPONSES if r.acts_on != "renewal_prob"))
    fast, ref = engine.run_expected(sc, 1), sim.run_block(sc, 1, None)
    np.testing.assert_allclose(fast.flows["renewal_prob"], ref.flows["renewal_prob"], rtol=1e-9, atol=1e-12)
    assert not np.allclose(fast.flows["renewal_prob"], full.flows["renewal_prob"])


def test_each_flow_draws_from_its_own_stream(smoke, monkeypatch):
    """Issue 19, item 3: a flow drawn once more per year (from a stream of its own) leaves every
    Monte Carlo number bit-identical; two named streams of a sampler are independent of the
    order they are drawn in."""
    from ocop_sim.simulate import Streams

    st = Streams(11, 0)
    a = model.Sampler(np.random.default_rng(0), streams=lambda f: st.get("flow:" + f))
    b = model.Sampler(np.random.default_rng(0), streams=lambda f: st.get("flow:" + f))
    n = np.full(50, 20.0)
    x1 = a.binomial(n, 0.3, "x")
    b.poisson(np.full(50, 4.0), "y")  # another flow first: x's draws do not move
    assert np.array_equal(b.binomial(n, 0.3, "x"), x1)

    sc = smoke.scenario
    before = results_checksum(simulate(sc, draws=12, seed=5, mode="monte_carlo"))
    poisson = model.Sampler.poisson

    def with_an_extra_flow(self, lam, flow=None):
        if not self.expected and flow == "new_entities":
            self._gen("an_extra_flow").poisson(3.0, 100)
        return poisson(self, lam, flow)

    monkeypatch.setattr(model.Sampler, "poisson", with_an_extra_flow)
    assert results_checksum(simulate(sc, draws=12, seed=5, mode="monte_carlo")) == before
