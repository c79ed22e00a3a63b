"""The workbook as a planner uses it: JupyterLab in headless Chromium.

A real ``jupyter lab`` (token auth, random port on 127.0.0.1) serves a copy of ``notebooks/`` and
``params/``.  The tests open the notebooks in the Lab UI, run them from the *Run* menu, move a
lever slider with the keyboard, press *Save as scenario*, and edit a parameters cell the way a
user does, then check what the page shows against what the package computes.
"""
from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from browser_support import VIEWPORT, NetworkGuard, keep_screenshot

pytestmark = [pytest.mark.browser, pytest.mark.slow]

#: Seconds a notebook may take to run all its cells in the browser (smoke scenario, few draws).
RUN_TIMEOUT_MS = 120_000
LEVER = "product_development_bn_vnd"
#: ``PageUp`` presses on the slider handle (each moves 5 steps of max_ui/200 = 0.3 bn VND).
PAGE_UPS = 4


def _kernel_idle_js() -> str:
    return "() => (document.querySelector('#jp-main-statusbar')?.innerText || '').includes('Idle')"


def open_notebook(context, lab, path: str):
    """Open ``path`` (relative to the server root) in the Lab UI and wait for its kernel to be idle."""
    page = context.new_page()
    page.goto(lab.url(f"lab/tree/{path}") + "&reset")  # a fresh workspace: only this notebook open
    page.wait_for_selector(".jp-NotebookPanel .jp-Notebook .jp-Cell", timeout=60_000)
    page.wait_for_function(_kernel_idle_js(), timeout=60_000)
    return page


def run_all_from_menu(page) -> None:
    """Run ▸ Run All Cells, as a user does; returns when every code cell has an execution count
    (or a cell failed, which stops the run) and the kernel is idle again."""
    page.click(".lm-MenuBar-itemLabel:text-is('Run')")
    page.click(".lm-Menu-itemLabel:text-is('Run All Cells')")
    page.wait_for_function(
        """() => {
            const prompts = [...document.querySelectorAll('.jp-NotebookPanel .jp-CodeCell .jp-InputArea-prompt')];
            const sb = document.querySelector('#jp-main-statusbar')?.innerText || '';
            // JupyterLab renders an error output as stderr text holding the traceback
            const failed = [...document.querySelectorAll('.jp-OutputArea [data-mime-type*="error"], '
                                                         + '.jp-OutputArea [data-mime-type*="stderr"]')]
                .some(e => /Traceback/.test(e.innerText));
            return prompts.length > 0 && sb.includes('Idle')
                   && (failed || prompts.every(p => /\\[\\d+\\]/.test(p.innerText)));
        }""", timeout=RUN_TIMEOUT_MS)


def error_outputs(page) -> list[str]:
    """Texts of error outputs and of stderr outputs that carry a Traceback."""
    return page.evaluate(
        """() => {
            const errs = [...document.querySelectorAll(
                '.jp-OutputArea-output[data-mime-type*="error"], .jp-RenderedText[data-mime-type*="error"]')];
            const tb = [...document.querySelectorAll(
                '.jp-RenderedText[data-mime-type="application/vnd.jupyter.stderr"]')]
                .filter(e => /Traceback|Error/.test(e.innerText));
            return [...errs, ...tb].map(e => e.innerText.slice(0, 2000));
        }""")


def targets_in_page(page) -> dict[str, float]:
    """target id -> median shown in the explorer's live table (the unrounded ``data-value``)."""
    return page.evaluate(
        """() => Object.fromEntries([...document.querySelectorAll('.widget-output tr')]
              .filter(tr => tr.querySelector('td[data-id]') && tr.querySelector('td[data-col="median"]'))
              .map(tr => [tr.querySelector('td[data-id]').dataset.id,
                          parseFloat(tr.querySelector('td[data-col="median"]').dataset.value)]))""")


def live_state(page) -> tuple[str, str]:
    """(the live table's text, the live chart's image src)."""
    # the outlook's table (the evaluation of past targets above it never moves with a lever)
    table = page.locator(".widget-output table.targets:not(.evaluation)").first.inner_text()
    img = page.locator(".widget-output img").first.get_attribute("src") or ""
    return table, img


def edited_parameters(notebook: Path, values: dict[str, str]) -> str:
    """The notebook's parameters cell with the lines ``name = ...`` of ``values`` rewritten (what a
    user types; every other line is kept as committed)."""
    import nbformat

    nb = nbformat.read(notebook, as_version=4)
    cell = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    lines = cell.source.splitlines()
    for name, value in values.items():
        hits = [i for i, line in enumerate(lines) if re.match(rf"{name}\s*=", line)]
        assert len(hits) == 1, f"parameter {name!r} not found once in {notebook.name}: {cell.source!r}"
        lines[hits[0]] = f"{name} = {value}"
    return "\n".join(lines)


def settled_live_state(page, quiet_s: float = 1.0, timeout_s: float = 60.0) -> tuple[str, str]:
    """The live (table text, chart src) once unchanged for ``quiet_s`` seconds (debounced re-runs done)."""
    deadline = time.monotonic() + timeout_s
    last = live_state(page)
    while time.monotonic() < deadline:
        time.sleep(quiet_s)
        now = live_state(page)
        if now == last:
            return now
        last = now
    raise AssertionError(f"the explorer output kept changing for {timeout_s} s")


@pytest.fixture()
def context(browser, lab):
    """A browser context that may reach only the Lab server on loopback."""
    ctx = browser.new_context(viewport=VIEWPORT, locale="en-US")
    ctx.guard = NetworkGuard(ctx, allow=(lab.base + "/", lab.base.replace("http:", "ws:") + "/"))
    yield ctx
    ctx.close()


def test_explore_slider_updates_table_and_chart_and_saves(context, lab, artifacts):
    from ocop_sim import simulate
    from ocop_sim.scenarios import changed_keys, load

    page = context.guard.watch(open_notebook(context, lab, "notebooks/explore.ipynb"))
    run_all_from_menu(page)
    page.wait_for_selector(".widget-output td[data-status]", timeout=60_000)
    page.wait_for_selector(".widget-output img", timeout=60_000)
    assert error_outputs(page) == []
    before_table, before_img = live_state(page)
    before = targets_in_page(page)
    assert before and before_img.startswith("data:image/png")

    # open the levers and move one slider with the keyboard on its handle
    from ocop_sim.i18n import t

    page.click(f".jupyter-widget-Collapse-header:has-text('{t('levers', 'en')}')")
    # the slider is labelled from the schema (label and unit), not by its code name
    slider = page.locator(".widget-slider", has_text=f"{t(LEVER, 'en')} (").first
    assert LEVER not in slider.inner_text()
    readout = slider.locator(".widget-readout")
    start_value = float(readout.inner_text())
    slider.locator(".noUi-handle").focus()
    for _ in range(PAGE_UPS):
        page.keyboard.press("PageUp")
    page.wait_for_function(
        "([el, v]) => Math.abs(parseFloat(el.innerText) - v) > 1", arg=[readout.element_handle(), start_value],
        timeout=10_000)
    moved_value = float(readout.inner_text())
    assert moved_value > start_value + 1
    # the model re-runs after the debounce; the table and the chart are redrawn
    page.wait_for_function(
        "(old) => { const t = document.querySelector('.widget-output table.targets:not(.evaluation)');"
        " return t && t.innerText !== old; }", arg=before_table, timeout=60_000)
    after_table, after_img = settled_live_state(page)
    after = targets_in_page(page)
    assert after_table != before_table
    assert after_img.startswith("data:image/png") and after_img != before_img
    assert set(after) == set(before)
    assert any(after[k] > before[k] for k in after), "more product budget raised no target's median"

    # the README view: no file browser, the moved lever at the top, the chart below
    page.click(".lm-MenuBar-itemLabel:text-is('View')")
    page.hover(".lm-Menu-itemLabel:text-is('Appearance')")
    page.click(".lm-Menu-itemLabel:text-is('Show Left Sidebar')")
    page.locator(".jp-FileBrowser").wait_for(state="hidden")
    slider.evaluate("el => el.scrollIntoView({block: 'start'})")
    keep_screenshot(page, "explore.png", "explore.png")

    # save as scenario: the file appears beside the starting scenario and validates
    name_box = page.locator(".widget-text input").first
    assert name_box.input_value() == "baseline_explore.yaml"
    page.click(".widget-button:has-text('Save as scenario')")
    msg = page.locator(".widget-html-content", has_text="Saved to").first
    msg.wait_for(timeout=30_000)
    saved_path = lab.root / "params" / "baseline_explore.yaml"
    assert saved_path.is_file(), msg.inner_text()
    assert not list((lab.root / "notebooks").glob("*.yaml"))
    saved = load(saved_path)
    diffs = {k: (a, b) for k, a, b in changed_keys(saved.parent_raw, saved.raw)}
    assert set(diffs) == {f"levers.{LEVER}"}, diffs  # nothing else differs from baseline.yaml
    assert saved.scenario.name == "baseline_explore"
    old_sched, new_sched = diffs[f"levers.{LEVER}"]
    assert {y: v for y, v in new_sched.items() if int(y) < 2026} == \
        {y: v for y, v in old_sched.items() if int(y) < 2026}
    assert float(new_sched[2026]) == pytest.approx(moved_value, abs=0.01)
    # the table the browser shows is what the package computes for the saved file
    expected = simulate(saved.scenario, mode="expected").attainment()
    for _, row in expected.iterrows():
        if row["id"] in after:
            assert after[row["id"]] == pytest.approx(float(row["median"]), rel=1e-9, abs=1e-9), row["id"]

    keep_screenshot(page, "explore_saved.png")
    assert context.guard.blocked == []
    assert context.guard.page_errors == [] and context.guard.console_errors == [], context.guard.console_errors
    page.close()


def test_scenario_report_runs_in_lab_with_edited_parameters(context, lab, artifacts):
    from ocop_sim.i18n import t

    page = context.guard.watch(open_notebook(context, lab, "notebooks/scenario_report.ipynb"))
    # a planner edits the parameters cell: the smoke scenario, in Vietnamese, with 20 draws
    params_cell = page.locator(".jp-CodeCell", has_text="# Parameters").first
    params_cell.locator(".cm-content").click()
    page.keyboard.press("Control+A")
    page.keyboard.insert_text(edited_parameters(lab.root / "notebooks" / "scenario_report.ipynb",
                                                {"scenario": '"../params/smoke.yaml"', "draws": "20", "lang": '"vi"'}))
    page.keyboard.press("Escape")
    source = params_cell.locator(".cm-content").inner_text()
    assert re.search(r'^draws = 20$', source, re.M) and re.search(r'^lang = "vi"$', source, re.M), source
    run_all_from_menu(page)
    assert error_outputs(page) == []
    text = page.locator(".jp-NotebookPanel .jp-Notebook").inner_text()
    (artifacts / "scenario_report_lab.txt").write_text(text, encoding="utf-8")
    import ocop_sim.document  # noqa: F401  (registers the planning document's texts)

    for key in ("col_reported", "fan_chart", "assumptions", "manifest"):  # the evaluation table's header
        assert t(key, "vi") in text, key
    assert t("evaluation_title", "vi").split("{")[0].strip() in text
    assert "Kịch bản kiểm thử nhỏ" in text  # the smoke scenario's Vietnamese title
    # the run used the edited draws (the smoke file says 50), as the manifest table reports
    # (appendix 3, the method: "… là 20 lượt mô phỏng …")
    assert re.search(r"\b20 lượt mô phỏng\b", text), "the edited draws = 20 did not reach the run"
    widths = page.evaluate("() => [...document.querySelectorAll('.jp-OutputArea-output img')]"
                           ".map(i => i.naturalWidth)")
    assert len(widths) >= 6 and min(widths) > 0, widths
    page.locator(".jp-OutputArea-output img").first.scroll_into_view_if_needed()
    keep_screenshot(page, "scenario_report_lab.png")
    assert context.guard.blocked == []
    assert context.guard.page_errors == [] and context.guard.console_errors == [], context.guard.console_errors
    page.close()
