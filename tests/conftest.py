"""Shared fixtures: repository paths and small cached runs of the smoke scenario."""
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


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def baseline():
    from ocop_sim import load

    return load(PARAMS / "baseline.yaml")


@pytest.fixture(scope="session")
def smoke():
    from ocop_sim import load

    return load(PARAMS / "smoke.yaml")


@pytest.fixture(scope="session")
def baseline_expected(baseline):
    from ocop_sim import simulate

    return simulate(baseline.scenario, mode="expected")
