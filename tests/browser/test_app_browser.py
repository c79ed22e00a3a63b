"""``ocop-sim app`` as an official uses it: the page in headless Chromium, no code, no JupyterLab.

The app runs as a user starts it (``ocop-sim app SCENARIO --port P --no-browser``, a subprocess
on a free loopback port with a token) on a copy of ``params/``.  The tests move a slider and see
the targets table change to what the package computes, compute the Monte Carlo band, ask goal
seek, save a scenario (an unsafe name is sanitised into the scenarios folder) and reload the page
on the saved scenario, whose sliders start from its values.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from browser_support import ARTIFACTS, ROOT, VIEWPORT, NetworkGuard, keep_screenshot

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LEVER = "product_development_bn_vnd"
#: PageUp presses on the slider handle (each moves 10 steps of max_ui/200 = 0.3 bn VND/year).
PAGE_UPS = 4
#: Milliseconds the first page may take (a kernel boots, imports the package, runs the model).
FIRST_PAGE_MS = 120_000
SCENARIO = """\
extends: baseline.yaml
name: app_smoke
title: {vi: "Kịch bản thử ứng dụng", en: "App test scenario"}
draws: 200
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class AppServer:
    def __init__(self, params: Path, log: Path):
        self.port = _free_port()
        self.token = "t" + os.urandom(12).hex()
        self.base = f"http://127.0.0.1:{self.port}"
        self.params = params
        self._log = open(log, "wb")
        self.log = log
        exe = Path(sys.executable).with_name("ocop-sim")
        env = {**os.environ, "OCOP_APP_TOKEN": self.token, "MPLBACKEND": "Agg", "PYTHONUNBUFFERED": "1"}
        self.t0 = time.perf_counter()
        self.proc = subprocess.Popen([str(exe), "app", str(params / "app_smoke.yaml"), "--port", str(self.port),
                                      "--no-browser", "--lang", "en"], env=env, stdout=self._log,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        self.listening_s = self._wait_listening()

    def _wait_listening(self, timeout: float = 90) -> float:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"ocop-sim app exited with {self.proc.returncode}:\n{self.tail()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return time.perf_counter() - self.t0
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"ocop-sim app did not listen within {timeout} s:\n{self.tail()}")

    def url(self, query: str = "") -> str:
        return f"{self.base}/?token={self.token}" + (f"&{query}" if query else "")

    def tail(self) -> str:
        self._log.flush()
        return self.log.read_bytes()[-4000:].decode("utf-8", "replace")

    def stop(self) -> None:
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGKILL):
            if self.proc.poll() is not None:
                break
            try:
                os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                break
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                continue
        self._log.close()


@pytest.fixture(scope="module")
def app(browser, tmp_path_factory):
    """The app on a copy of params/ (started after the browser is known to be there)."""
    base = tmp_path_factory.mktemp("app")
    params = base / "params"
    shutil.copytree(ROOT / "params", params)
    (params / "app_smoke.yaml").write_text(SCENARIO, encoding="utf-8")
    server = AppServer(params, base / "app.log")
    try:
        yield server
    finally:
        server.stop()
        if os.environ.get("OCOP_KEEP_APP_LOG") == "1":
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(server.log, ARTIFACTS / "app.log")


@pytest.fixture()
def context(browser, app):
    ctx = browser.new_context(viewport=VIEWPORT)
    guard = NetworkGuard(ctx, allow=(app.base,))
    yield ctx, guard
    ctx.close()


def open_app(ctx, guard, app, query: str = ""):
    page = guard.watch(ctx.new_page())
    t0 = time.perf_counter()
    page.goto(app.url(query), timeout=FIRST_PAGE_MS)  # the first page waits for the pre-heated kernel
    page.wait_for_selector(".ocop-outlook table", timeout=FIRST_PAGE_MS)
    return page, time.perf_counter() - t0


def medians(page) -> list[str]:
    return page.eval_on_selector_all('.ocop-outlook td[data-col="median"]', "els => els.map(e => e.innerText)")


def median_values(page, table: str = ".ocop-outlook") -> dict[str, float]:
    """Target id -> unrounded median of a targets table (its ``data-id`` / ``data-value`` cells)."""
    rows = page.eval_on_selector_all(
        f"{table} tr", "trs => trs.map(tr => [tr.querySelector('td[data-id]')?.dataset.id,"
                       " tr.querySelector('td[data-col=\"median\"]')?.dataset.value]).filter(r => r[0] && r[1])")
    return {i: float(v) for i, v in rows}


def readout(page, name: str) -> str:
    """The value shown beside a slider (the reader's number format), as the number it stands for."""
    return page.get_attribute(f".ocop-value-{name} .ocop-value", "data-value")


def shown(page, name: str) -> str:
    return page.inner_text(f".ocop-value-{name} .ocop-value").strip()


def test_token_required(app):
    """Without the token the page is not served (a redirect to the login page, or refused)."""
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *a, **k):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    with pytest.raises(urllib.error.HTTPError) as err:
        opener.open(f"{app.base}/", timeout=30)
    assert err.value.code in (302, 401, 403), err.value.code
    assert app.listening_s < 60, app.listening_s  # the server itself starts in seconds


def test_slider_band_goal_save_reload(context, app):
    from ocop_sim.scenarios import load
    from ocop_sim.simulate import simulate

    ctx, guard = context
    page, first_s = open_app(ctx, guard, app)
    print(f"app: listening after {app.listening_s:.1f} s; first page ready after {first_s:.1f} s")
    # labels, units and help from the schema, in English; no code on the page
    body = page.inner_text("body")
    assert "Product development" in body and "[bn VND/year]" in body and "packaging" in body
    assert "import" not in body and "App.from_env" not in body
    before = medians(page)
    assert before, "no targets table"
    start = float(readout(page, LEVER))

    # move the slider with the keyboard: the table changes, to what the package computes
    handle = page.locator(f".ocop-slider-{LEVER} .noUi-handle")
    handle.focus()
    for _ in range(PAGE_UPS):
        handle.press("PageUp")
    page.wait_for_function("(b) => JSON.stringify([...document.querySelectorAll("
                           "'.ocop-outlook td[data-col=\"median\"]')].map(e => e.innerText)) !== b",
                           arg=json.dumps(before), timeout=60_000)
    moved = float(handle.get_attribute("aria-valuenow"))  # where the handle is now
    assert moved > start
    # the kernel has taken the last key press when the value beside the slider shows it
    page.wait_for_function(f"(v) => Math.abs(parseFloat(document.querySelector('.ocop-value-{LEVER} "
                           f".ocop-value').dataset.value) - v) < 1e-9", arg=moved, timeout=60_000)
    page.wait_for_timeout(1500)  # and has redrawn the table
    sc = load(app.params / "app_smoke.yaml").scenario
    lev = dict(sc.levers.product_development_bn_vnd)
    lev = {y: v for y, v in lev.items() if y < 2026} | {2026: float(readout(page, LEVER))}
    want = simulate(sc.model_copy(update={"levers": sc.levers.model_copy(update={LEVER: lev})}), mode="expected")
    tab = want.attainment()
    fut = tab[tab["phase"] != "evaluation"]
    got = median_values(page)
    assert set(got) == set(fut["id"]), (got, list(fut["id"]))
    assert got == pytest.approx(dict(zip(fut["id"], fut["median"].astype(float))), rel=1e-9)
    assert medians(page) != before

    # the Monte Carlo band with a progress bar
    page.click(".ocop-band-button")
    page.wait_for_selector(".ocop-band-msg .ocop-done", timeout=180_000)
    width = page.eval_on_selector(".ocop-progress .progress-bar", "e => e.style.width")
    assert width == "100%", width
    probs = page.eval_on_selector_all('.ocop-band-table td[data-col="probability"]', "els => els.map(e => e.innerText)")
    assert probs and len(probs) == len(before)
    assert page.eval_on_selector(".ocop-band-msg", "e => e.innerText").strip().startswith("Done: 200 draws")
    page.evaluate("() => document.querySelector('.ocop-app').scrollIntoView()")
    keep_screenshot(page, "app.png", "app.png")

    # what does it take? (expected mode, the first target and lever offered)
    page.click(".jupyter-widget-Collapse-header:has-text('What does it take?')")
    page.click(".ocop-goal-button")
    page.wait_for_selector(".ocop-goal-out pre, .ocop-goal-out .ocop-error", timeout=120_000)
    answer = page.inner_text(".ocop-goal-out")
    assert "Goal seek" in answer and "Product development" in answer, answer

    # save as scenario: an unsafe name is sanitised into the scenarios folder
    page.click(".jupyter-widget-Collapse-header:has-text('Save as scenario')")
    page.fill(".ocop-save-name input", "../../Kịch bản/thử")
    page.click(".ocop-save-button")
    page.wait_for_selector(".ocop-save-msg .ocop-saved, .ocop-save-msg .ocop-error", timeout=60_000)
    saved = page.get_attribute(".ocop-save-msg .ocop-saved", "data-file")
    assert saved == "Kich_ban_thu.yaml", page.inner_text(".ocop-save-msg")
    path = app.params / saved
    ld = load(path)  # a valid child of the starting scenario, holding the moved lever
    import yaml

    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert doc["extends"] == "app_smoke.yaml" and doc["name"] == "Kich_ban_thu", doc
    assert ld.scenario.levers.product_development_bn_vnd[2026] == pytest.approx(moved, abs=1e-9)
    assert not list(app.params.parent.glob("*.yaml")), "a file outside the scenarios folder"
    # saving the same name again is refused (never over an existing scenario)
    page.click(".ocop-save-button")
    page.wait_for_selector(".ocop-save-msg .ocop-error", timeout=60_000)

    # reload on the saved scenario, in Vietnamese: the sliders start from its values
    page2, _ = open_app(ctx, guard, app, f"scenario={saved}&lang=vi")
    assert float(readout(page2, LEVER)) == pytest.approx(moved, abs=1e-9)
    from ocop_sim.i18n import fmt_number

    assert shown(page2, LEVER) == fmt_number(moved, "vi", 1)  # the Vietnamese number format
    body = page2.inner_text("body")
    assert "Hỗ trợ phát triển sản phẩm" in body and "tỷ đồng/năm" in body
    assert page2.eval_on_selector(".ocop-scenario select", "e => e.value") == saved
    assert guard.blocked == [], guard.blocked
    assert guard.page_errors == [], guard.page_errors


def test_language_switch(context, app):
    ctx, guard = context
    page, _ = open_app(ctx, guard, app)
    assert "Measures and funding" in page.inner_text("body")
    # the planners' guide is readable in the app
    page.click(".jupyter-widget-Collapse-header:has-text('User guide')")
    page.wait_for_selector(".ocop-guide h2", timeout=30_000)
    assert "Create a scenario" in page.inner_text(".ocop-guide")
    page.get_by_role("button", name="Tiếng Việt").click()
    page.wait_for_function("() => document.body.innerText.includes('Các giải pháp và mức kinh phí')", timeout=60_000)
    page.wait_for_selector(".ocop-outlook table", timeout=60_000)
    body = page.inner_text("body")
    assert "Hỗ trợ phát triển sản phẩm" in body and "Mục tiêu" in body and "Hướng dẫn sử dụng" in body
    assert guard.blocked == [], guard.blocked
