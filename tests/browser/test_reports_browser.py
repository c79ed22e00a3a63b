"""The rendered HTML reports as an official opens them: file:// in headless Chromium, no network.

A small batch (the smoke scenario and a variant that extends it, both languages, 20 draws) is
rendered once; every page reached from ``index.html`` must load with no console error, no
request leaving the machine, every image decoded, and readable Vietnamese (no mojibake).
"""
from __future__ import annotations

import re
import shutil
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

from browser_support import VIEWPORT, NetworkGuard, keep_screenshot

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
#: Byte sequences of UTF-8 Vietnamese decoded as Latin-1/cp1252 ("Ä‘" is "đ", "áº" starts "ạ…ẹ"),
#: and the replacement character of undecodable bytes.
#: (A bare "Ã" or "Ä" is not one: "XÃ" is Vietnamese, as in the document header "CỘNG HÒA XÃ HỘI …".)
MOJIBAKE = ("Ã¡", "Ã©", "Ã³", "Ãº", "Ã¢", "áº", "á»", "Ä‘", "Æ°", "Ä\x90", "â€", "\ufffd")
VARIANT = """\
extends: smoke.yaml
name: smoke_more
title: {vi: "Tăng ngân sách phát triển sản phẩm", en: "More product development budget"}
levers:
  product_development_bn_vnd: {2026: 2.0, 2027: 8.0}
"""


def _smoke_to_2035(params: Path) -> None:
    """The copied smoke outlook runs to 2035 with the bundled registries: its report has the
    evaluation of 1698's targets against the reports and the outlook of the planners' goals."""
    p = params / "smoke.yaml"
    text = p.read_text(encoding="utf-8")
    edits = {"horizon: {start: 2026, end: 2028}\n": "horizon: {start: 2026, end: 2035}\n",
             "targets:\n  - targets/decision_1698.yaml\n": "targets:\n  - targets/decision_1698.yaml\n"
                                                          "  - targets/planners_2035.yaml\n"}
    for old, new in edits.items():
        assert old in text, old
        text = text.replace(old, new)
    p.write_text(text, encoding="utf-8")


@pytest.fixture(scope="module")
def batch(browser, tmp_path_factory):
    """Render the reports of smoke + a variant into a temporary folder (after the browser is known
    to be there, so a skip costs nothing)."""
    from ocop_sim.report import run_batch

    base = tmp_path_factory.mktemp("reports_browser")
    params = base / "params"
    shutil.copytree(ROOT / "params", params)
    _smoke_to_2035(params)
    (params / "smoke_more.yaml").write_text(VARIANT, encoding="utf-8")
    out = base / "reports"
    result = run_batch([str(params / "smoke.yaml"), str(params / "smoke_more.yaml")], out, jobs=2,
                       langs=("vi", "en"), draws=20, progress=False)
    assert not result.failures, result.failures
    return out


@pytest.fixture()
def offline(browser):
    """A browser context with every http(s)/ws request aborted and recorded."""
    ctx = browser.new_context(viewport=VIEWPORT)
    guard = NetworkGuard(ctx)
    page = guard.watch(ctx.new_page())
    yield page, guard
    ctx.close()


def page_problems(page) -> list[str]:
    """What a reader would notice: undecoded images, mojibake, a non-UTF-8 document."""
    problems = []
    images = page.evaluate("() => [...document.images].map(i => [i.currentSrc.slice(0, 60), i.complete,"
                           " i.naturalWidth])")
    problems += [f"image not decoded: {src}" for src, done, width in images if not done or width <= 0]
    charset = page.evaluate("() => document.characterSet")
    if charset.upper() != "UTF-8":
        problems.append(f"document charset {charset}")
    text = page.inner_text("body")
    problems += [f"mojibake {bad!r} near {text[max(0, i - 30):i + 30]!r}"
                 for bad in MOJIBAKE if (i := text.find(bad)) >= 0]
    return problems


def local_links(page) -> list[str]:
    return page.evaluate("() => [...document.querySelectorAll('a[href]')].map(a => a.getAttribute('href'))"
                         ".filter(h => !/^(https?:|mailto:|#)/.test(h))")


@pytest.mark.parametrize("index_name", ["index.html", "index_vi.html"])
def test_index_links_open_offline(offline, batch, index_name):
    from ocop_sim.i18n import t

    page, guard = offline
    index = batch / index_name
    page.goto(index.as_uri())
    page.wait_for_load_state("load")
    assert page_problems(page) == []
    links = local_links(page)
    reports = [h for h in links if h.endswith(".html") and not h.startswith("guide_")]
    assert f"guide_{'vi' if index_name.endswith('_vi.html') else 'en'}.html" in links  # the planners' guide
    # 2 scenarios × 2 languages + the comparison in 2 languages
    assert len(set(reports)) == 6, reports
    for href in links:  # every file the index names exists and is not empty
        target = (batch / unquote(href)).resolve()
        assert target.is_file() and target.stat().st_size > 0, href
    if index_name == "index.html":
        keep_screenshot(page, "index.png", "index.png")
    for href in sorted(set(reports)):  # click through to every report and back
        page.click(f"a[href='{href}']")
        page.wait_for_load_state("load")
        assert Path(unquote(urlparse(page.url).path)) == (batch / href).resolve(), page.url
        lang = "vi" if href.endswith("_vi.html") else "en"
        assert page.title().strip(), href
        assert page_problems(page) == [], href
        text = page.inner_text("body")
        if not href.startswith("compare/"):
            # past targets against reports, the outlook with probabilities (where the scenario has any)
            assert t("evaluation_title", lang).split("{")[0].strip() in text and t("fan_chart", lang) in text, href
            assert len(page.evaluate("() => [...document.images]")) >= 6, href
        page.go_back()
        page.wait_for_load_state("load")
        assert page.url == index.as_uri()
    assert guard.blocked == [], guard.blocked
    assert guard.failed == [], guard.failed
    assert guard.console_errors == [] and guard.page_errors == [], (guard.console_errors, guard.page_errors)


def test_vietnamese_report_renders(offline, batch):
    from ocop_sim.i18n import t

    page, guard = offline
    page.goto((batch / "smoke" / "smoke_vi.html").as_uri())
    page.wait_for_load_state("load")
    assert page.title() == "Kịch bản kiểm thử nhỏ"
    text = page.inner_text("body")
    for key in ("fan_chart", "star_mix", "by_area", "assumptions", "manifest", "met", "met_reported"):
        assert t(key, "vi") in text, key
    assert t("outlook_title", "vi").format(first=2026, last=2035) in text
    # Vietnamese number format in the targets table: a decimal comma, no decimal point
    medians = page.evaluate("() => [...document.querySelectorAll('td[data-col=\"median\"]')].map(td => td.innerText)")
    # counts as whole numbers with a thousands point, shares in percent with a decimal comma (issue 17)
    assert medians and all(re.fullmatch(r"\d{1,3}(\.\d{3})*|\d+(,\d)? %|—", m.strip()) for m in medians), medians
    assert page_problems(page) == []
    keep_screenshot(page, "report_vi.png", "report.png")
    assert guard.blocked == [] and guard.failed == []
    assert guard.console_errors == [] and guard.page_errors == [], (guard.console_errors, guard.page_errors)
