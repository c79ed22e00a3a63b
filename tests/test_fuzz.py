"""Property-based fuzzing of the scenario loader and the actuals loader (hypothesis).

Property: any input either loads (into a valid Scenario / a list of finite observations) or
raises the project's own error type (ScenarioError / FactsError), with a one-line message
naming the file; never any other exception.

Two profiles.  CI: derandomised (``derandomize=True``), the same examples every run.
``OCOP_FUZZ_EXAMPLES=N``: N examples per test from a random seed, printed at the start and the end
(``fuzz seed: ...``), so that a failure can be replayed with ``OCOP_FUZZ_SEED=<seed>``; the
examples tried, their outcomes and the share of scenarios that loaded are printed at the end.
"""
from __future__ import annotations

import functools
import math
import os
import random
import shutil
import string
import tempfile
from collections import Counter
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from ocop_sim.config import ASSUMPTION_NAMES, RESERVED_NAMES, SCHEDULE_LEVERS, Scenario, assumption_meta
from ocop_sim.data import ACTUAL_METRICS, ACTUALS_COLUMNS, FactsError, load_actuals_csv
from ocop_sim.scenarios import ScenarioError, load

ROOT = Path(__file__).resolve().parents[1]
PARAMS = ROOT / "params"
EXAMPLES = int(os.environ.get("OCOP_FUZZ_EXAMPLES", "0") or 0)

settings.register_profile("ocop_ci", derandomize=True, deadline=None, max_examples=200, database=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                                 HealthCheck.data_too_large])
settings.register_profile("ocop_heavy", derandomize=False, deadline=None, max_examples=max(EXAMPLES, 1),
                          database=None, suppress_health_check=list(HealthCheck))
_SETTINGS = settings.get_profile("ocop_heavy" if EXAMPLES else "ocop_ci")
#: the randomised profile's seed (None in CI: derandomised)
SEED = (int(os.environ.get("OCOP_FUZZ_SEED") or random.SystemRandom().randrange(2**32))) if EXAMPLES else None
if SEED is not None:
    print(f"fuzz seed: {SEED} (replay: OCOP_FUZZ_EXAMPLES={EXAMPLES} OCOP_FUZZ_SEED={SEED})")


def PROFILE(test, max_examples: int | None = None):
    """The session's profile (and, when randomised, its seed) applied to a @given test;
    ``max_examples`` lowers the CI profile's count for a test whose examples are slow."""
    if SEED is None and max_examples is not None:
        return settings(_SETTINGS, max_examples=max_examples)(test)
    test = _SETTINGS(test)
    return seed(SEED)(test) if SEED is not None else test

TRIED: Counter = Counter()
OUTCOMES: Counter = Counter()


@pytest.fixture(scope="module")
def work():
    """A private copy of the params folder (scenarios may ``extends: baseline.yaml``)."""
    d = Path(tempfile.mkdtemp(prefix="ocop_fuzz_"))
    shutil.copytree(PARAMS, d / "params")
    yield d / "params"
    shutil.rmtree(d, ignore_errors=True)


def _check_scenario_file(path: Path, label: str) -> str | None:
    """The property; returns the error message if the file was refused, None if it loaded."""
    TRIED[label] += 1
    try:
        ld = load(path)
    except ScenarioError as exc:
        msg = str(exc)
        assert "\n" not in msg and msg.startswith(str(path)), msg
        OUTCOMES[f"{label}:error"] += 1
        return msg
    assert isinstance(ld.scenario, Scenario)
    # a loaded scenario is valid: it survives a JSON round trip through its own model
    assert Scenario.model_validate(ld.scenario.model_dump(mode="json")) == ld.scenario
    OUTCOMES[f"{label}:loaded"] += 1
    return None


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


# ----------------------------------------------------------------------------- scenario: raw text

TOKENS = st.sampled_from(list(":-[]{}&*!|>'\"#%@`,?\n\t ") + list("abcnoe019._")
                         + ["name: ", "draws: ", "levers:", "extends: ", "horizon:", "yes", "~", "  ",
                            "!!python/object:os.system", "<<: ", "&a ", "*a", "\x00", "\ufeff", "é", "\n- "])
YAMLISH = st.lists(TOKENS, max_size=60).map("".join)


@PROFILE
@given(text=st.one_of(YAMLISH, st.text(max_size=300), st.binary(max_size=300).map(lambda b: b.decode("latin-1"))))
def test_random_text(work, text):
    _check_scenario_file(_write(work / "fuzz_text.yaml", text.encode("utf-8", errors="surrogatepass")), "text")


@PROFILE
@given(data=st.binary(max_size=400))
def test_random_bytes(work, data):
    _check_scenario_file(_write(work / "fuzz_bytes.yaml", data), "bytes")


# ----------------------------------------------------------------------------- scenario: structured

KEYS = st.sampled_from(["name", "title", "description", "horizon", "start", "end", "seed", "draws", "targets",
                        "levers", "assumptions", "uncertainty", "events", "checks", "extends", "type", "year",
                        "area", "value", "multiply", "low", "high", "mode", "vi", "en", "geography", "id",
                        "kind", "metric", "other", "under", "budget", "from_year", "to_year"]
                       + list(SCHEDULE_LEVERS) + list(ASSUMPTION_NAMES[:15]))
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-10**12, 10**12),
                    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=20),
                    st.sampled_from([2019, 2025, 2035, 2040, 0, 1, -1, 0.5, "baseline.yaml", "smoke.yaml",
                                     "../x.yaml", "targets/decision_1698.yaml", "binh_phuoc", "merger",
                                     "policy_change", "criteria_change", "uniform", "beta", "at_most",
                                     "products_3star_plus"]))
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.one_of(KEYS, st.integers(1990, 2110)), inner, max_size=5)),
    max_leaves=25)


@pytest.mark.slow
@PROFILE
@given(doc=st.dictionaries(KEYS, VALUES, max_size=8))
def test_random_structured_scenarios(work, doc):
    if "name" not in doc and doc:
        doc["name"] = "fuzz"
    text = yaml.safe_dump(doc, allow_unicode=True)
    _check_scenario_file(_write(work / "fuzz_doc.yaml", text.encode("utf-8", errors="surrogatepass")), "structured")


# ----------------------------------------------------------------------------- scenario: mutations of real files

REAL = {p.name: yaml.safe_load(p.read_text(encoding="utf-8")) for p in sorted(PARAMS.glob("*.yaml"))}


def _paths(x, prefix=()):
    yield prefix
    if isinstance(x, dict):
        for k, v in x.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(x, list):
        for i, v in enumerate(x):
            yield from _paths(v, prefix + (i,))


def _mutate(doc, path, op, value):
    import copy

    doc = copy.deepcopy(doc)
    if not path:
        return value if op == "set" else doc
    parent = doc
    for k in path[:-1]:
        parent = parent[k]
    last = path[-1]
    if op == "delete":
        del parent[last]
    elif op == "set":
        parent[last] = value
    elif op == "scale" and isinstance(parent[last], (int, float)) and not isinstance(parent[last], bool):
        parent[last] = parent[last] * (value if isinstance(value, (int, float)) and not isinstance(value, bool) else -1)
    elif op == "duplicate" and isinstance(parent, list):
        parent.append(copy.deepcopy(parent[last]))
    elif op == "rename" and isinstance(parent, dict):
        parent[str(last) + "x"] = parent.pop(last)
    return doc


@pytest.mark.slow
@PROFILE
@given(data=st.data())
def test_mutated_params_files(work, data):
    name = data.draw(st.sampled_from(sorted(REAL)), label="file")
    doc = REAL[name]
    for _ in range(data.draw(st.integers(1, 3), label="n_mutations")):
        paths = list(_paths(doc))
        path = data.draw(st.sampled_from(paths), label="path")
        op = data.draw(st.sampled_from(["set", "delete", "scale", "duplicate", "rename"]), label="op")
        value = data.draw(VALUES, label="value")
        try:
            doc = _mutate(doc, path, op, value)
        except (KeyError, IndexError, TypeError):
            pass
    text = yaml.safe_dump(doc, allow_unicode=True) if not isinstance(doc, str) else doc
    _check_scenario_file(_write(work / f"mut_{name}", text.encode("utf-8", errors="surrogatepass")), "mutation")


@pytest.mark.slow
@PROFILE
@given(data=st.data())
def test_text_edits_of_params_files(work, data):
    """Typos in the real files: characters deleted, inserted or replaced at random places."""
    name = data.draw(st.sampled_from(sorted(REAL)), label="file")
    text = (PARAMS / name).read_text(encoding="utf-8")
    for _ in range(data.draw(st.integers(1, 4), label="n_edits")):
        i = data.draw(st.integers(0, len(text)), label="at")
        op = data.draw(st.sampled_from(["delete", "insert", "replace"]), label="op")
        ch = data.draw(st.sampled_from(list(":-[]{}#&*!'\" \t\n0123456789.ex")), label="char")
        if op == "delete":
            text = text[:i] + text[i + 1:]
        elif op == "insert":
            text = text[:i] + ch + text[i:]
        else:
            text = text[:i] + ch + text[i + 1:]
    _check_scenario_file(_write(work / f"edit_{name}", text.encode("utf-8")), "text_edit")


# ----------------------------------------------------------------------------- scenario: valid by construction, then mutated
# (issue 18: the fuzzers above mostly produce files that cannot load; these generate scenarios that
# must load, so that most examples reach the round-trip check, and one-step mutations of them)

_FREE_ASSUMPTIONS = [n for n in ASSUMPTION_NAMES if not n.startswith("threshold_")]  # those three are ordered


@st.composite
def valid_scenario(draw) -> dict:
    """A scenario document valid by the schema: extends a bundled outlook, overrides drawn inside
    each field's bounds (levers, assumptions with their low/high, seed, draws, horizon end)."""
    base = draw(st.sampled_from(["smoke.yaml", "baseline.yaml"]), label="extends")
    doc = {"extends": base, "name": draw(st.from_regex(r"[a-z][a-z0-9_]{0,11}", fullmatch=True), label="name")}
    if doc["name"] in RESERVED_NAMES:
        doc["name"] += "_x"
    end = {"smoke.yaml": 2028, "baseline.yaml": 2035}[base]
    if draw(st.booleans()):
        end = draw(st.integers(2027, 2040), label="end")
        doc["horizon"] = {"start": 2026, "end": end}
    if draw(st.booleans()):
        doc["seed"] = draw(st.integers(0, 2**63 - 1), label="seed")
    if draw(st.booleans()):
        doc["draws"] = draw(st.integers(1, 5000), label="draws")
    levers = {}
    for line in draw(st.lists(st.sampled_from(SCHEDULE_LEVERS), unique=True, max_size=4), label="levers"):
        # the two counts are whole numbers (display centres, agritourism projects a year)
        amount = (st.integers(0, 10) if line in ("display_centres", "agritourism_projects")
                  else st.floats(0.0, 100.0, allow_nan=False))
        levers[line] = draw(st.one_of(amount, st.dictionaries(st.integers(2026, end), amount, min_size=1, max_size=3)),
                            label=line)
    if draw(st.booleans()):
        levers["training_share_officials"] = draw(st.floats(0.0, 1.0), label="share")
    if levers:
        doc["levers"] = levers
    assumptions = {}
    for name in draw(st.lists(st.sampled_from(_FREE_ASSUMPTIONS), unique=True, max_size=5), label="assumptions"):
        meta = assumption_meta(name)
        assumptions[name] = draw(st.floats(meta["low"], meta["high"], allow_nan=False), label=name)
    if assumptions:
        doc["assumptions"] = assumptions
    return doc


#: one-step mutations of a valid document: (label, function(doc, value) -> doc)
MUTATIONS = {
    "lever_negative": lambda d, v: {**d, "levers": {**d.get("levers", {}), "training_bn_vnd": -abs(v) - 1e-9}},
    "lever_huge": lambda d, v: {**d, "levers": {**d.get("levers", {}), "value_chain_bn_vnd": 1e6 + abs(v)}},
    "lever_bad_year": lambda d, v: {**d, "levers": {"training_bn_vnd": {int(v) % 100: 1.0}}},
    "assumption_out_of_bounds": lambda d, v: {**d, "assumptions": {"staff_turnover": 0.6 + abs(v) + 1e-6}},
    "assumption_typo": lambda d, v: {**d, "assumptions": {"staff_turnovr": 0.1}},
    "key_typo": lambda d, v: {**{k: x for k, x in d.items() if k != "draws"}, "draw": 10},
    "draws_zero": lambda d, v: {**d, "draws": 0},
    "draws_text": lambda d, v: {**d, "draws": str(v)},
    "horizon_reversed": lambda d, v: {**d, "horizon": {"start": 2030, "end": 2029}},
    "name_bad": lambda d, v: {**d, "name": "../" + d["name"]},
    "no_name": lambda d, v: {k: x for k, x in d.items() if k != "name"},
    "extends_missing": lambda d, v: {**d, "extends": "nope.yaml"},
    "value_nan": lambda d, v: {**d, "assumptions": {"score_base": float("nan")}},
    "share_above_one": lambda d, v: {**d, "levers": {"training_share_officials": 1.0 + abs(v) + 1e-9}},
    "unchanged": lambda d, v: d,  # a mutation that keeps it valid: must still load
    # boundaries that are valid: must load too
    "assumption_at_low": lambda d, v: {**d, "assumptions": {**d.get("assumptions", {}), "staff_turnover": 0.0}},
    "assumption_at_high": lambda d, v: {**d, "assumptions": {**d.get("assumptions", {}), "staff_turnover": 0.6}},
    "lever_zero": lambda d, v: {**d, "levers": {**d.get("levers", {}), "training_bn_vnd": 0.0}},
    "draws_one": lambda d, v: {**d, "draws": 1},
    "seed_largest": lambda d, v: {**d, "seed": 2**63 - 1},
}
MUST_LOAD = {"unchanged", "assumption_at_low", "assumption_at_high", "lever_zero", "draws_one", "seed_largest"}


@functools.partial(PROFILE, max_examples=80)  # ~75 ms a load: ~7 s
@given(doc=valid_scenario())
def test_valid_scenarios_load_and_round_trip(work, doc):
    """Every generated valid scenario loads (no false rejection) and survives the round trip."""
    path = _write(work / "valid.yaml", yaml.safe_dump(doc, allow_unicode=True).encode("utf-8"))
    error = _check_scenario_file(path, "valid")
    assert error is None, f"a valid scenario was refused: {doc}: {error}"


@pytest.mark.slow
@pytest.mark.parametrize("mutation", sorted(MUTATIONS))  # each mutation tried, not left to the draw
@functools.partial(PROFILE, max_examples=6)
@given(doc=valid_scenario(), value=st.floats(0, 1e3))
def test_mutated_valid_scenarios(work, mutation, doc, value):
    """One mutation of a valid scenario: it loads (the unchanged control must) or fails naming the file."""
    path = _write(work / "mutated.yaml", yaml.safe_dump(MUTATIONS[mutation](doc, value), allow_unicode=True).encode("utf-8"))
    error = _check_scenario_file(path, "mutated")
    assert error is None or mutation not in MUST_LOAD, f"a valid scenario ({mutation}) was refused: {doc}: {error}"
    OUTCOMES[f"mutated:{mutation}:{'loaded' if error is None else 'error'}"] += 1


# ----------------------------------------------------------------------------- actuals CSV

CELL = st.one_of(st.sampled_from(["province", "old_dong_nai", "binh_phuoc", "mars", "", "stock", "flow",
                                  "2021", "2021.5", "1800", "nan", "inf", "-inf", "1e400", "45-46", "~60",
                                  ">240", "11/14", "50-40", "3", "-3", "0", " ", '"a,b"', '"', "\x00", "é"]
                                 + list(ACTUAL_METRICS)),
                 st.text(alphabet=string.printable, max_size=8))


@st.composite
def csv_text(draw):
    cols = list(ACTUALS_COLUMNS)
    if draw(st.booleans()):
        cols = draw(st.permutations(cols))
    if draw(st.integers(0, 5)) == 0:
        cols = cols[:-1] + [draw(st.text(alphabet=string.ascii_letters, max_size=6))]
    rows = [",".join(cols)]
    for _ in range(draw(st.integers(0, 6))):
        n = len(cols) + draw(st.sampled_from([0, 0, 0, -1, 1]))
        rows.append(",".join(draw(CELL) for _ in range(max(n, 0))))
    sep = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    return sep.join(rows) + draw(st.sampled_from(["", sep]))


def _check_actuals(path: Path, label: str) -> None:
    TRIED[label] += 1
    try:
        obs = load_actuals_csv(path)
    except FactsError as exc:
        msg = str(exc)
        assert "\n" not in msg and msg.startswith(str(path)), msg
        OUTCOMES[f"{label}:error"] += 1
        return
    assert isinstance(obs, list)
    for o in obs:
        assert math.isfinite(o["value"]) and math.isfinite(o["at"]) and 1990 <= o["at"] <= 2110
        assert o["metric"] in ACTUAL_METRICS and o["kind"] in ("stock", "flow")
    OUTCOMES[f"{label}:loaded"] += 1


@PROFILE
@given(text=csv_text())
def test_random_actuals_csv(work, text):
    _check_actuals(_write(work / "fuzz_actuals.csv", text.encode("utf-8", errors="surrogatepass")), "actuals_csv")


@PROFILE
@given(data=st.one_of(st.binary(max_size=300), st.text(max_size=300).map(lambda s: s.encode("utf-8", "surrogatepass"))))
def test_random_actuals_bytes(work, data):
    _check_actuals(_write(work / "fuzz_actuals_b.csv", data), "actuals_bytes")


@PROFILE
@given(data=st.data())
def test_edited_packaged_actuals(work, data):
    src = (ROOT / "ocop_sim" / "packs" / "dong_nai_2019" / "actuals.csv").read_text(encoding="utf-8")
    lines = src.splitlines()
    for _ in range(data.draw(st.integers(1, 3), label="n_edits")):
        i = data.draw(st.integers(0, len(lines) - 1), label="line")
        cells = lines[i].split(",")
        j = data.draw(st.integers(0, len(cells) - 1), label="cell")
        cells[j] = data.draw(CELL, label="value")
        lines[i] = ",".join(cells)
    _check_actuals(_write(work / "edited_actuals.csv", "\n".join(lines).encode("utf-8")), "actuals_edit")


# ----------------------------------------------------------------------------- issue 12: cache files, manifests, markers, registries


@pytest.fixture(scope="module")
def cache_entry(work):
    """One real cache entry (smoke, 5 draws): its folder, key, inputs, scenario and files' bytes."""
    import warnings

    from ocop_sim import cache

    sc = load(work / "smoke.yaml").scenario
    folder = work.parent / "fuzz_cache"
    inputs = cache.run_inputs(sc, 5, 1)
    key = cache.cache_key(sc, 5, 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = cache.cached_simulate(sc, draws=5, seed=1, cache_dir=folder)
    npz, js = folder / f"{key}.npz", folder / f"{key}.json"
    return {"folder": folder, "key": key, "inputs": inputs, "scenario": sc, "npz": npz.read_bytes(),
            "json": js.read_bytes(), "series": res.series("products_3star_plus")}


def _mutated(draw_data, blob: bytes, label: str) -> bytes:
    op = draw_data.draw(st.sampled_from(["flip", "truncate", "insert", "replace_all"]), label=f"{label}_op")
    if op == "replace_all":
        return draw_data.draw(st.binary(max_size=200), label=f"{label}_bytes")
    i = draw_data.draw(st.integers(0, max(len(blob) - 1, 0)), label=f"{label}_at")
    if op == "flip":
        b = bytearray(blob)
        b[i] ^= 1 << draw_data.draw(st.integers(0, 7), label=f"{label}_bit")
        return bytes(b)
    if op == "truncate":
        return blob[:i]
    return blob[:i] + draw_data.draw(st.binary(min_size=1, max_size=8), label=f"{label}_ins") + blob[i:]


@PROFILE
@given(data=st.data())
def test_mutated_cache_entries(cache_entry, data):
    """A damaged cache entry is discarded (None, a CacheWarning), never served with other numbers,
    never raises, never runs code."""
    import warnings

    import numpy as np

    from ocop_sim import cache

    TRIED["cache_entry"] += 1
    e = cache_entry
    which = data.draw(st.sampled_from(["npz", "json", "both", "none"]), label="which")
    npz = _mutated(data, e["npz"], "npz") if which in ("npz", "both") else e["npz"]
    js = _mutated(data, e["json"], "json") if which in ("json", "both") else e["json"]
    (e["folder"] / f"{e['key']}.npz").write_bytes(npz)
    (e["folder"] / f"{e['key']}.json").write_bytes(js)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", cache.CacheWarning)
        got = cache.lookup(e["key"], e["folder"], e["scenario"], e["inputs"])
    if got is None:
        OUTCOMES["cache_entry:discarded"] += 1
    else:
        assert np.array_equal(got.series("products_3star_plus"), e["series"])
        OUTCOMES["cache_entry:served"] += 1


@PROFILE
@given(text=st.one_of(st.text(max_size=300), st.binary(max_size=300).map(lambda b: b.decode("latin-1")),
                      st.dictionaries(st.sampled_from(["resolved_scenario", "scenario_hash", "data_hash", "mode", "seed", "draws",
                                                       "results_checksum", "x"]),
                                      st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=8),
                                                st.just({}), st.lists(st.integers(), max_size=3)), max_size=6)
                      .map(__import__("json").dumps)))
def test_random_manifests(work, text):
    """``reproduce``'s manifest reader: a manifest or a ScenarioError naming the file, nothing else."""
    from ocop_sim.cli.ops import read_run_manifest

    TRIED["manifest"] += 1
    p = _write(work.parent / "m.json", text.encode("utf-8", "surrogatepass"))
    try:
        m = read_run_manifest(p)
    except ScenarioError as exc:
        assert "\n" not in str(exc) and str(exc).startswith(str(p)), str(exc)
        OUTCOMES["manifest:error"] += 1
        return
    assert isinstance(m["seed"], int) and isinstance(m["draws"], int)
    OUTCOMES["manifest:read"] += 1


@PROFILE
@given(blob=st.one_of(st.binary(max_size=300), st.text(max_size=200).map(lambda s: s.encode("utf-8", "surrogatepass")),
                      st.dictionaries(st.sampled_from(["scenario_hash", "draws", "seed", "version", "model_version",
                                                       "files", "registries", "template"]),
                                      st.one_of(st.none(), st.integers(), st.text(max_size=5), st.just({"html": "x"})),
                                      max_size=8).map(lambda d: __import__("json").dumps(d).encode())))
def test_random_resume_markers(work, blob):
    """A damaged or foreign done-marker never counts a report as finished and never raises."""
    from ocop_sim.report import markers

    TRIED["marker"] += 1
    folder = work.parent / "markers"
    folder.mkdir(exist_ok=True)
    markers._marker_path(folder, "s_en").write_bytes(blob)
    key = {"scenario_hash": "h", "draws": 5, "seed": 1, "registries": "r", "template": "report", "posterior": ""}
    assert markers._finished(folder, "s_en", key) is None
    assert markers._finished_sim(folder, key, ("en",)) is None
    OUTCOMES["marker:ignored"] += 1


REG_KEYS = st.sampled_from(["registry", "targets", "id", "metric", "year", "period", "comparison", "value", "scope",
                            "label_vi", "label_en", "source", "kind", "title_vi", "title_en", "x"])
REG_VALUES = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(-10, 3000), st.floats(allow_nan=True),
                                    st.sampled_from(["1_0", "٣", "42", ">=", "products_3star_plus", "province", "t1"]),
                                    st.text(max_size=6)),
                          lambda c: st.one_of(st.lists(c, max_size=3), st.dictionaries(REG_KEYS, c, max_size=5)),
                          max_leaves=15)


_VALID_REGISTRY = {"registry": {"id": "r", "title_vi": "Mục tiêu", "title_en": "Targets", "source": "test"},
                   "targets": [{"id": "t1", "metric": "products_3star_plus", "year": 2025, "comparison": ">=",
                                "value": 10, "label_vi": "Sản phẩm", "label_en": "Products", "source": "test"}]}


@st.composite
def _edited_registry(draw):
    """The valid registry with one field of its target replaced (or removed)."""
    import copy

    doc = copy.deepcopy(_VALID_REGISTRY)
    key = draw(REG_KEYS, label="reg_field")
    if draw(st.booleans(), label="reg_remove"):
        doc["targets"][0].pop(key, None)
    else:
        doc["targets"][0][key] = draw(REG_VALUES, label="reg_value")
    return doc


@PROFILE
@given(doc=st.one_of(st.dictionaries(REG_KEYS, REG_VALUES, max_size=4), st.text(max_size=200), _edited_registry()))
def test_random_registries(work, doc):
    """A target registry loads (valid) or raises ScenarioError naming its file, nothing else."""
    from ocop_sim.targets import Registry, load_registry

    TRIED["registry"] += 1
    text = doc if isinstance(doc, str) else yaml.safe_dump(doc, allow_unicode=True)
    p = _write(work.parent / "reg.yaml", text.encode("utf-8", "surrogatepass"))
    try:
        reg = load_registry(p)
    except ScenarioError as exc:
        assert "\n" not in str(exc) and str(exc).startswith(str(p)), str(exc)
        OUTCOMES["registry:error"] += 1
        return
    assert isinstance(reg, Registry)
    OUTCOMES["registry:loaded"] += 1


def test_zz_examples_tried(capsys, request):
    """Print the fuzzing budget actually spent (run with -s to see it)."""
    total = sum(TRIED.values())
    scen = [k for k in ("text", "bytes", "structured", "mutation", "text_edit", "valid", "mutated") if k in TRIED]
    loaded = sum(OUTCOMES[f"{k}:loaded"] for k in scen)
    tried = sum(TRIED[k] for k in scen)
    with capsys.disabled():
        print(f"\nfuzz examples tried: {total} ({dict(TRIED)}); outcomes {dict(OUTCOMES)}"
              + (f"; seed {SEED}" if SEED is not None else "; derandomised"))
        if tried:
            print("scenarios loaded (reached the round trip): " + ", ".join(
                f"{k} {OUTCOMES[f'{k}:loaded']}/{TRIED[k]}" for k in scen) + f"; all {loaded}/{tried}")
    # the properties of this file selected in this session (``-m "not slow"`` leaves some out)
    selected = {it.originalname for it in request.session.items
                if it.module is request.module and it.name.startswith("test_") and it.name != request.node.name}
    if TRIED:  # every selected property ran, and where they ran both outcomes occurred
        assert len(TRIED) == len(selected)
        if "valid" in TRIED:  # every valid-by-construction scenario loaded and round-tripped
            assert OUTCOMES["valid:loaded"] == TRIED["valid"] > 0
        for label in ("mutation", "actuals_edit", "mutated"):
            if label in TRIED:
                assert OUTCOMES[f"{label}:loaded"] > 0 and OUTCOMES[f"{label}:error"] > 0, label
