"""Shared fixtures: repository paths, the baseline/smoke outlooks, the history replay, small cached runs."""
from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")
# the result cache of this test session: fresh, private, removed at exit (never ./.ocop_cache)
_CACHE = tempfile.mkdtemp(prefix="ocop_cache_tests_")
os.environ["OCOP_SIM_CACHE"] = _CACHE
atexit.register(shutil.rmtree, _CACHE, True)

ROOT = Path(__file__).resolve().parents[1]
PARAMS = ROOT / "params"
SCENARIO_FILES = sorted(PARAMS.glob("*.yaml"))


#: Module-scoped fixtures that render a batch of reports (notebooks executed through papermill):
#: every test using one waits tens of seconds for it.
NOTEBOOK_BATCH_FIXTURES = {"batch", "failing_batch"}


#: Test files by their measured time [s] (``pytest -n 2 --dist loadfile --durations=60``,
#: 2026-11-30): the longest run first, so that the two test processes of ``make test`` (one file
#: each at a time) end together instead of one waiting while the other runs a long file last.
HEAVY_FILES = {
    "test_inference.py": 140, "test_report.py": 120, "test_failures.py": 110, "test_guide.py": 106,
    "test_app_browser.py": 85, "test_reports_browser.py": 80, "test_reader_texts.py": 75,
    "test_signals.py": 72, "test_jupyterlab.py": 55, "test_extending.py": 46, "test_report_bundle.py": 45,
    "test_fuzz.py": 45, "test_bayes.py": 45, "test_wheel.py": 40, "test_pdf_report.py": 40,
    "test_engine_mc.py": 40, "test_executors.py": 25,
}


def pytest_collection_modifyitems(config, items):
    """Mark the tests of a notebook batch ``slow`` and ``notebook`` (markers: pyproject.toml), and
    run the longest files first (:data:`HEAVY_FILES`; the order within a file is kept)."""
    for item in items:
        if NOTEBOOK_BATCH_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)
            item.add_marker(pytest.mark.notebook)
    order = {id(item): i for i, item in enumerate(items)}
    items.sort(key=lambda item: (-HEAVY_FILES.get(Path(str(item.fspath)).name, 0), order[id(item)]))


def copy_params(dst: Path) -> Path:
    """A copy of params/ in ``dst``: the scenarios with every file they name (registries, posteriors)."""
    shutil.copytree(PARAMS, dst, dirs_exist_ok=True)
    return dst


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def baseline():
    from ocop_sim import load

    return load(PARAMS / "baseline.yaml")


@pytest.fixture(scope="session")
def history():
    """The history scenario (2019–2025 on pack dong_nai_2019, the 2025 merger included)."""
    from ocop_sim import load

    return load(PARAMS / "history.yaml")


@pytest.fixture(scope="session")
def smoke():
    from ocop_sim import load

    return load(PARAMS / "smoke.yaml")


#: Targets inside the smoke outlook (2026–2028), for goal seek and optimisation (the bundled
#: registries have none there: 1698's targets are past, the planners' are for 2035).  The goals of
#: the first two are set by :func:`plan_folder` between what today's spending and twice the
#: product-development money give in expected mode (so they are reachable, at a factor > 1); no
#: spending reaches 1000 new products in three years (the pool of potential products limits them).
PLAN_REGISTRY = """registry: {{id: local, title_vi: "Mục tiêu thử", title_en: "Test targets", source: "test"}}
targets:
  - id: l2028_products_3star_plus
    metric: products_3star_plus
    year: 2028
    comparison: ">="
    value: {products}
    headline: true
    label_vi: "Sản phẩm 3 sao trở lên năm 2028"
    label_en: "Products at 3★+ in 2028"
    source: "test"
  - id: l2028_new_products
    metric: new_products_3star_plus
    period: [2026, 2028]
    comparison: ">="
    value: {new}
    label_vi: "Sản phẩm mới 2026–2028"
    label_en: "New products 2026–2028"
    source: "test"
  - id: l2028_new_products_too_many
    metric: new_products_3star_plus
    period: [2026, 2028]
    comparison: ">="
    value: 1000
    label_vi: "Sản phẩm mới 2026–2028 (quá cao)"
    label_en: "New products 2026–2028 (too many)"
    source: "test"
"""


def plan_goals(smoke_path: Path) -> dict[str, float]:
    """Goals halfway between today's spending and twice the product-development money."""
    from ocop_sim import load, simulate
    from ocop_sim.sensitivity import scale_lever

    sc = load(smoke_path).scenario
    runs = [simulate(scale_lever(sc, "product_development_bn_vnd", k), mode="expected") for k in (1.0, 2.0)]
    prod = [float(r.value("products_3star_plus", "province", year=2028)[0]) for r in runs]
    new = [float(r.value("new_products_3star_plus", "province", period=(2026, 2028))[0]) for r in runs]
    assert prod[1] > prod[0] + 1 and new[1] > new[0] + 1, (prod, new)  # money buys products here
    return {"products": round(sum(prod) / 2, 1), "new": round(sum(new) / 2, 1)}


@pytest.fixture(scope="session")
def plan_folder(tmp_path_factory) -> Path:
    """A params folder of its own: a copy of params/, targets/local.yaml (PLAN_REGISTRY) and
    plan.yaml (smoke with 1698's targets and the local ones).  Outputs may be written beside them."""
    d = tmp_path_factory.mktemp("plan")
    copy_params(d)
    (d / "targets").mkdir(exist_ok=True)
    (d / "targets" / "local.yaml").write_text(PLAN_REGISTRY.format(**plan_goals(d / "smoke.yaml")), encoding="utf-8")
    (d / "plan.yaml").write_text("extends: smoke.yaml\nname: plan\n"
                                 "targets: [targets/decision_1698.yaml, targets/local.yaml]\n", encoding="utf-8")
    return d


@pytest.fixture(scope="session")
def plan(plan_folder):
    """The smoke outlook with targets inside its horizon (see PLAN_REGISTRY)."""
    from ocop_sim import load

    return load(plan_folder / "plan.yaml")


@pytest.fixture(scope="session")
def baseline_expected(baseline):
    from ocop_sim import simulate

    return simulate(baseline.scenario, mode="expected")


@pytest.fixture(scope="session")
def history_expected(history):
    from ocop_sim import simulate

    return simulate(history.scenario, mode="expected")
