"""Batch runner: one executed batch (smoke + a variant + a broken scenario) reused by every test."""
from __future__ import annotations

import contextlib
import io
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DRAWS = 30


class _Tables(HTMLParser):
    """Rows of <table class="... targets"> (without class ``exclude``) as lists of (attrs, text)."""

    def __init__(self, cls: str = "targets", exclude: str | None = None):
        super().__init__()
        self.cls, self.exclude, self.depth, self.rows, self.cell, self.row = cls, exclude, 0, [], None, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        classes = (a.get("class") or "").split()
        if tag == "table" and self.cls in classes and self.exclude not in classes:
            self.depth += 1
        elif self.depth and tag == "tr":
            self.row = []
        elif self.depth and tag == "td":
            self.cell = [a, ""]

    def handle_endtag(self, tag):
        if tag == "table" and self.depth:
            self.depth -= 1
        elif self.depth and tag == "td" and self.cell is not None:
            self.row.append((self.cell[0], self.cell[1].strip()))
            self.cell = None
        elif self.depth and tag == "tr" and self.row:
            self.rows.append(self.row)
            self.row = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell[1] += data


def parse_rows(text: str, cls: str = "targets", exclude: str | None = None):
    p = _Tables(cls, exclude)
    p.feed(text)
    return p.rows


def report_text(s: str) -> str:
    """``s`` as the HTML export writes it (escaped, whitespace collapsed)."""
    import html as _html

    return re.sub(r"\s+", " ", _html.escape(s, quote=False))


def parse_number(s: str, lang: str) -> float:
    s = s.replace("%", "").strip()
    if lang == "vi":
        s = s.replace(".", "").replace(",", ".")
    else:
        s = s.replace(",", "")
    return float(s)


@pytest.fixture(scope="module")
def params(tmp_path_factory):
    """A copy of params/ whose smoke outlook runs to 2035 with the bundled registries, so its report
    has both sections: the evaluation of 1698's targets (2020, 2025) against the reports and the
    outlook of the planners' 2035 goals with probabilities."""
    d = tmp_path_factory.mktemp("params")
    shutil.copytree(ROOT / "params", d, dirs_exist_ok=True)
    smoke = (d / "smoke.yaml").read_text(encoding="utf-8")
    edits = {"horizon: {start: 2026, end: 2028}\n": "horizon: {start: 2026, end: 2035}\n",
             "targets:\n  - targets/decision_1698.yaml\n": "targets:\n  - targets/decision_1698.yaml\n"
                                                          "  - targets/planners_2035.yaml\n"}
    for old, new in edits.items():
        assert old in smoke, old
        smoke = smoke.replace(old, new)
    (d / "smoke.yaml").write_text(smoke, encoding="utf-8")
    (d / "more.yaml").write_text("extends: smoke.yaml\nname: smoke_more\n"
                                 "levers:\n  product_development_bn_vnd: {2026: 2.0, 2027: 12.0}\n", encoding="utf-8")
    (d / "broken.yaml").write_text("extends: smoke.yaml\nname: broken\n", encoding="utf-8")
    (d / "invalid.yaml").write_text("extends: smoke.yaml\nname: invalid\nlevers:\n  traning_bn_vnd: 3\n",
                                    encoding="utf-8")
    return d


@pytest.fixture(scope="module")
def batch(params, tmp_path_factory):
    """Run `ocop-sim report` once; the 'broken' scenario gets a corrupt result cache, so its
    notebooks fail at run time inside the kernel (first code cell)."""
    from ocop_sim import cli, report
    from ocop_sim.io import atomic_write_bytes

    out = tmp_path_factory.mktemp("reports") / "out"
    real = report.workers._handoff

    def corrupt_for_broken(ld, res, hand, *args):
        if ld.scenario.name == "broken":  # the kernels read this instead of the result cache's entry
            return atomic_write_bytes(Path(hand) / "broken.npz", b"not a pickle")
        return real(ld, res, hand, *args)

    err = io.StringIO()
    with pytest.MonkeyPatch.context() as mp, contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        mp.setattr(report.workers, "_handoff", corrupt_for_broken)  # inherited by the forked workers
        code = cli.main(["report", str(params / "smoke.yaml"), str(params / "more.yaml"), str(params / "broken.yaml"),
                         str(params / "history.yaml"), "--out", str(out), "--draws", str(DRAWS), "--lang", "both",
                         "--jobs", "2", "--quiet", "--calibration", "history"])
    return {"code": code, "out": out, "stderr": err.getvalue(), "params": params}


@pytest.fixture(scope="module")
def smoke_result(params):
    from ocop_sim import load, simulate

    return simulate(load(params / "smoke.yaml").scenario, draws=DRAWS)


def test_batch_exit_code_and_failure_listed(batch):
    assert batch["code"] == 1
    failed = [l for l in batch["stderr"].splitlines() if l.startswith("FAILED")]
    assert len(failed) == 2 and all("broken" in l for l in failed)
    assert all("(cell " in l and "CacheError" in l for l in failed), failed


@pytest.mark.parametrize("name", ["smoke", "smoke_more"])
@pytest.mark.parametrize("lang", ["vi", "en"])
def test_files_written_per_scenario(batch, name, lang):
    folder = batch["out"] / name
    for suffix in (".ipynb", ".html"):
        assert (folder / f"{name}_{lang}{suffix}").stat().st_size > 10_000
    csvs = sorted(p.name for p in (folder / "csv").iterdir())
    assert f"{name}_targets.csv" in csvs and f"{name}_summary.csv" in csvs
    html = (folder / f"{name}_{lang}.html").read_text(encoding="utf-8")
    assert html.count("data:image/png;base64") >= 6  # figures embedded
    assert not re.search(r'<(script|link)[^>]*(src|href)="https?://', html)  # opens offline
    assert "ld, res = report.load_run" not in html  # no code


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_calibration_report_rendered_and_linked(batch, lang):
    """The calibration notebook runs in the batch for the history scenario (``--calibration``) and
    is linked from the index: with the posterior the scenario names, the fit chart and the technical
    detail; without one, 'not calibrated' (the kernel never samples)."""
    from ocop_sim import load
    from ocop_sim.i18n import t

    out = batch["out"]
    html = (out / "calibration" / f"calibration_{lang}.html").read_text(encoding="utf-8")
    text = re.sub(r"\s+", " ", html)
    for key in ("cal_fit_title", "cal_intro", "cal_backtest_heading"):
        assert report_text(t(key, lang)) in text, key
    if load(batch["params"] / "history.yaml").scenario.posterior:
        for key in ("cal_fit_heading", "cal_technical"):
            assert report_text(t(key, lang)) in text, key
        assert html.count("data:image/png;base64") >= 1
    else:
        assert report_text(t("cal_no_posterior", lang)) in text and report_text(t("trust_none", lang)) in text
    assert "Traceback" not in html
    assert f"calibration/calibration_{lang}.html" in (out / "index.html").read_text(encoding="utf-8")


def test_broken_scenario_has_no_report(batch):
    assert not (batch["out"] / "_cache").exists()  # the pickled results are removed after the batch
    assert not list((batch["out"] / "broken").glob("*.html"))
    assert not list(batch["out"].rglob("*.part"))


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_html_targets_equal_attainment(batch, smoke_result, lang):
    from ocop_sim.results import GLOSSARY

    html = (batch["out"] / "smoke" / f"smoke_{lang}.html").read_text(encoding="utf-8")
    table = smoke_result.attainment()
    past, future = table[table["phase"] == "evaluation"], table[table["phase"] == "outlook"]
    assert len(past) and len(future) and len(past) + len(future) == len(table)
    # evaluation: the reported figure (or a dash), never a probability
    rows = parse_rows(html, "evaluation")
    assert len(rows) == len(past)
    for row, (_, r) in zip(rows, past.iterrows()):
        assert row[0][0]["data-id"] == r["id"] and row[6][0]["data-status"] == r["status"]
        if r["reported"] != r["reported"]:
            assert row[3][1] == "—" and r["status"] in ("no_report", "planned")
        else:
            frac = GLOSSARY[r["metric"]]["unit"] == "fraction"
            got = parse_number(row[3][1], lang) / (100 if frac else 1)
            assert got == pytest.approx(r["reported"], abs=0.006 if frac else 0.51)  # counts are whole numbers
    # outlook: median, band and probability of the draws
    rows = parse_rows(html, "targets", exclude="evaluation")
    assert len(rows) == len(future)
    for row, (_, r) in zip(rows, future.iterrows()):
        assert row[0][0]["data-id"] == r["id"]
        if r["status"] in ("outside_horizon", "planned"):
            continue
        frac = GLOSSARY[r["metric"]]["unit"] == "fraction"
        median = parse_number(row[3][1], lang) / (100 if frac else 1)
        assert median == pytest.approx(r["median"], abs=0.006 if frac else 0.51)  # counts are whole numbers
        assert parse_number(row[5][1], lang) / 100 == pytest.approx(r["probability"], abs=0.006)
        assert row[6][0]["data-status"] == r["status"]


def test_vi_report_has_no_english_status_words(batch, smoke_result):
    from ocop_sim.i18n import t

    html = (batch["out"] / "smoke" / "smoke_vi.html").read_text(encoding="utf-8")
    statuses = [row[6][1] for row in parse_rows(html)]
    assert set(statuses) == {t(s, "vi") for s in smoke_result.attainment()["status"]}
    assert len(set(statuses)) >= 3
    body = re.sub(r"<style.*?</style>", " ", html.split("<body", 1)[1], flags=re.S)  # style sheets are not text
    text = re.sub(r"<[^>]+>", " ", body)
    for word in ("Targets", "Projected", "Status", "Star mix", "Run manifest", "at risk", "Prob.", "in every draw",
                 "judgement", "bn VND", "Evaluation", "Outlook", "reported", "no reported figure"):
        assert word not in text


def test_index_links_and_cross_table(batch):
    out = batch["out"]
    index = (out / "index.html").read_text(encoding="utf-8")
    links = re.findall(r'href="([^"]+)"', index)
    assert all((out / l).is_file() for l in links)
    assert "smoke/smoke_vi.html" in links and "smoke_more/smoke_more_en.html" in links
    assert "compare/compare_en.html" in links and "compare/compare_vi.html" in links
    assert "broken" in index and "CacheError" in index  # failure listed
    assert (out / "index_vi.html").is_file()
    rows = parse_rows(index, "ocop")
    assert any("National 5★ products in 2035" in r[0][1] for r in rows)  # a planners' 2035 goal


def test_compare_matrix_matches_attainment(batch, smoke_result):
    html = (batch["out"] / "compare" / "compare_en.html").read_text(encoding="utf-8")
    rows = parse_rows(html, "ocop")
    table = smoke_result.attainment()
    forecast = table[table["status"].isin(["met", "at_risk", "missed"])]
    assert len(forecast) and (forecast["phase"] == "outlook").all()
    for _, r in forecast.iterrows():
        row = next(x for x in rows if x[0][1] == r["label_en"])
        # "3 % (unlikely)": the probability and its word
        assert parse_number(row[1][1].split("(")[0], "en") / 100 == pytest.approx(r["probability"], abs=0.006)
    past = set(table.loc[table["phase"] == "evaluation", "label_en"])
    assert not any(x[0][1] in past for x in rows)  # targets read from the reports carry no probability
    assert html.count("data:image/png;base64") >= 3


def test_html_escapes_user_text():
    import pandas as pd

    from ocop_sim import report

    table = pd.DataFrame([{"id": "x", "label_en": "<script>alert(1)</script>", "label_vi": "a", "when": "2025",
                           "comparison": ">=", "target": 1.0, "metric": "entities", "median": 2.0, "p10": 1.0,
                           "p90": 3.0, "probability": 0.9, "status": "met"}])
    out = report.targets_html(table, "en")
    assert "<script>alert" not in out and "&lt;script&gt;" in out


def test_invalid_scenario_exits_2_and_writes_nothing(params, tmp_path, capsys):
    from ocop_sim import cli

    out = tmp_path / "out"
    code = cli.main(["report", str(params / "smoke.yaml"), str(params / "invalid.yaml"), "--out", str(out),
                     "--quiet"])
    assert code == 2
    assert not out.exists()
    err = capsys.readouterr().err
    assert "invalid.yaml" in err and "training_bn_vnd" in err


@pytest.mark.notebook
def test_compare_command(params, tmp_path, capsys):
    from ocop_sim import cli

    code = cli.main(["compare", str(params / "smoke.yaml"), str(params / "more.yaml"), "--out", str(tmp_path),
                     "--draws", "20", "--lang", "vi"])
    assert code == 0
    html = (tmp_path / "compare" / "compare_vi.html").read_text(encoding="utf-8")
    # the scenarios by their titles (the same title twice: numbered), never by their file names
    assert "smoke_more" not in html and "Xác suất đạt mục tiêu" in html
    assert "Kịch bản kiểm thử nhỏ (1)" in html and "Kịch bản kiểm thử nhỏ (2)" in html
    assert not (tmp_path / "_cache").exists()


def test_header_lists_changed_keys_old_to_new(batch):
    from ocop_sim import document, load

    html = (batch["out"] / "smoke_more" / "smoke_more_vi.html").read_text(encoding="utf-8")
    rows = parse_rows(html, "ocop")
    # appendix 1: the measure by its name, old and new funding in words (no key, no JSON)
    row = next(r for r in rows if r[0][1] == "Hỗ trợ phát triển sản phẩm" and len(r) == 3)
    old = load(batch["params"] / "smoke.yaml").scenario.levers.product_development_bn_vnd  # from baseline
    assert row[1][1] == document.value_text("levers.product_development_bn_vnd", old, "vi") == "7 tỷ đồng/năm"
    assert row[2][1] == "từ năm 2026: 2 tỷ đồng/năm; từ năm 2027: 12 tỷ đồng/năm"  # vi numbers
    assert not any("." in r[0][1] and "_" in r[0][1] for r in rows)


@pytest.mark.slow
@pytest.mark.notebook
def test_rerun_skips_finished_reports_and_redoes_changed_ones(params, tmp_path, capsys):
    """Resume: a second run renders nothing; a changed seed or --force renders again."""
    from ocop_sim import cli

    out = tmp_path / "out"
    base = ["report", str(params / "smoke.yaml"), "--out", str(out), "--draws", "20", "--lang", "en", "--quiet",
            "--jobs", "1"]
    assert cli.main(base) == 0
    assert "1 notebooks rendered, skipped 0" in capsys.readouterr().out
    html = out / "smoke" / "smoke_en.html"
    first = html.stat().st_mtime_ns
    assert cli.main(base) == 0
    assert "0 notebooks rendered, skipped 1" in capsys.readouterr().out
    assert html.stat().st_mtime_ns == first
    assert "smoke/smoke_en.html" in (out / "index.html").read_text(encoding="utf-8")
    assert cli.main(base + ["--seed", "9"]) == 0  # other settings: the marker does not match
    assert "1 notebooks rendered, skipped 0" in capsys.readouterr().out
    assert cli.main(base + ["--seed", "9", "--force"]) == 0
    assert "1 notebooks rendered, skipped 0" in capsys.readouterr().out
    html.unlink()  # a missing file is re-rendered even though its marker exists
    assert cli.main(base + ["--seed", "9"]) == 0
    assert "1 notebooks rendered, skipped 0" in capsys.readouterr().out and html.is_file()
    assert oct(html.stat().st_mode & 0o777) == "0o644"


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_report_shows_reality_checks_as_the_package_evaluates_them(batch, smoke_result, lang):
    from ocop_sim.checks import run_checks
    from ocop_sim.i18n import t

    df = run_checks(smoke_result.scenario, smoke_result, max_under_draws=200)
    assert len(df) >= 5  # the baseline's checks, inherited by smoke
    html = (batch["out"] / "smoke" / f"smoke_{lang}.html").read_text(encoding="utf-8")
    assert t("reality_checks", lang) in html
    assert t("checks_passed_of", lang).format(ok=int(df["passed"].sum()), n=len(df)) in html
    label = "label_vi" if lang == "vi" else "label_en"
    assert all(str(x) in html for x in df[label])


def test_index_page_escapes_a_script_in_names_and_labels(tmp_path):
    """The index page (a Jinja2 template with autoescaping): a scenario name, a target label and an
    error message that carry markup are written as text, in the reports' entities."""
    from ocop_sim import report
    from ocop_sim.scenarios import load

    ld = load(Path(__file__).resolve().parents[1] / "params" / "smoke.yaml")
    evil = "<script>alert('x')</script>"
    row = {"registry": "r", "id": "t1", "label_en": evil, "label_vi": evil, "when": "2030", "metric": "entities",
           "comparison": ">=", "target": 10.0, "status": "met", "probability": 0.9, "phase": "outlook"}
    sims = {"smoke": {"files": {}, "attainment": [row]}}
    batch = report.BatchResult(out=tmp_path, failures=[(evil, "en", f"RuntimeError: {evil}", None)])
    h = report.index_html(tmp_path, [ld], sims, batch, ("en",), "en")
    assert "<script>" not in h
    assert h.count("&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;") == 3  # label, name, error
    assert h.startswith("<!DOCTYPE html><html lang='en'>") and h.endswith("</body></html>")


def test_the_report_template_reads_offline_and_keeps_the_outputs():
    """The reports' nbconvert template (templates/nbconvert/ocop_report) is JupyterLab's without
    the scripts it would load from the network (require.js, MathJax and its configuration): an
    official opens the report offline.  Outputs and the page's language stay."""
    import nbformat

    from ocop_sim.report.render import to_html

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# Tiêu đề <b>x</b>"),
                nbformat.v4.new_code_cell("1", outputs=[nbformat.v4.new_output(
                    "display_data", data={"text/html": "<table class='ocop'><td class='num'>42</td></table>"})])]
    page = to_html(nb, "t", "vi")
    assert '<html lang="vi"' in page and '<td class="num">42</td>' in page and "Tiêu đề" in page
    assert not re.search(r'<(script|link)[^>]*(src|href)="https?://', page)
    assert "MathJax" not in page and "require.min.js" not in page
    assert ">1</" not in page  # code is not shown (exclude_input)


def test_kernels_read_the_result_cache_entry_not_a_second_copy(tmp_path, monkeypatch):
    """A batch hands its kernels the Result's entry in the result cache; only without a cache
    (``--no-cache``) does it write a copy into its own folder."""
    from ocop_sim import report
    from ocop_sim.cache import cached_simulate
    from ocop_sim.scenarios import load

    monkeypatch.setenv("OCOP_SIM_CACHE", str(tmp_path / "cache"))
    ld = load(Path(__file__).resolve().parents[1] / "params" / "smoke.yaml")
    hand = tmp_path / "hand"
    hand.mkdir()
    res = cached_simulate(ld.scenario, draws=5, seed=1)
    p = report.workers._handoff(ld, res, hand, 5, 1, True)
    assert p.parent == (tmp_path / "cache").resolve() and not list(hand.iterdir())
    _, again = report.load_run(ld.path, p, 5)
    assert again.draws == 5 and again.created == res.created
    assert (again.series("products_3star_plus", "province") == res.series("products_3star_plus", "province")).all()
    q = report.workers._handoff(ld, res, hand, 5, 1, False)
    assert q.parent == hand.resolve() and q.name == "smoke.npz"
