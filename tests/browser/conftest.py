"""Browser test fixtures: headless Debian Chromium driven by Playwright, and a real JupyterLab server.

The browser is Debian's ``chromium`` (``/usr/bin/chromium``, override with ``OCOP_CHROMIUM``)
launched through Playwright's ``executable_path`` (Playwright's own browser downloads are never
used).  ``tools/setup_browser.sh`` installs both; where it could not, every test here skips with a
loud reason naming what is missing and how to install it (``OCOP_REQUIRE_BROWSER=1`` turns that
skip into a failure, for CI that must run them).

Screenshots go to ``test-artifacts/browser/``; with ``OCOP_UPDATE_SCREENSHOTS=1`` the README's
copies in ``docs/screenshots/`` are refreshed too.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from browser_support import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, ROOT, LabServer, missing


@pytest.fixture(scope="module")
def browser():
    """A headless Debian Chromium (Playwright ``Browser``), closed at the end of the module (so
    Playwright's event loop is gone before the rest of the suite runs its notebooks)."""
    why = missing()
    if why:
        if os.environ.get("OCOP_REQUIRE_BROWSER") == "1":
            pytest.fail(why)
        pytest.skip(why)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="module")
def lab_root(tmp_path_factory) -> Path:
    """A planner's folder as the notebooks expect it: ``notebooks/`` beside ``params/``."""
    root = tmp_path_factory.mktemp("lab_root")
    shutil.copytree(ROOT / "notebooks", root / "notebooks",
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    shutil.copytree(ROOT / "params", root / "params")
    return root


@pytest.fixture(scope="module")
def lab(browser, lab_root, tmp_path_factory):
    """A JupyterLab server serving ``lab_root`` (started after the browser, so a skip starts nothing)."""
    server = LabServer(lab_root, tmp_path_factory.mktemp("lab_home"))
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()
        if os.environ.get("OCOP_KEEP_LAB_LOG") == "1":
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(server.log, ARTIFACTS / "jupyterlab.log")
