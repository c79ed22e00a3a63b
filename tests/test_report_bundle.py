"""Reports computed once: the report bundle (tornados, reality checks and their reruns) the batch
computes per scenario for both languages equals what a notebook run on its own computes, and a
report rendered from it equals today's report, table for table and figure for figure."""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
DRAWS = 30


@pytest.fixture(scope="module")
def params(tmp_path_factory):
    """params/ with the smoke outlook run to 2035 under the planners' 2035 goals: targets at risk
    (their levers in the summary), both sensitivity years and conditional reality checks."""
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
    return d


@pytest.fixture(scope="module")
def run(params):
    from ocop_sim import report

    ld, res = report.load_run(params / "smoke.yaml", None, DRAWS)
    return ld, res, res.attainment()


@pytest.fixture(scope="module")
def standalone(run):
    """What the report computed in its kernel before bundles (each call on its own)."""
    from ocop_sim import document as doc, report
    from ocop_sim.checks import run_checks

    ld, res, table = run
    return {"numbers": doc.compute_summary(ld, res, table),
            "checks": run_checks(ld.scenario, res, max_under_draws=200),
            "tornados": report.key_sensitivity_tables(ld, res)}


def test_bundle_equals_standalone_computation(run, standalone, tmp_path):
    from ocop_sim import report

    ld, res, table = run
    b = report.compute_bundle(ld, res, table)
    assert len(b.levers) == len(standalone["numbers"].at_risk) > 0
    assert any(e is not None for *_, e in b.levers)
    assert b.checks["under"].astype(bool).any()  # conditional checks: their reruns are in the bundle
    loaded = report.load_bundle(report.save_bundle(tmp_path, "smoke.report", b), ld.hash, res)
    for got in (b, loaded):
        pd.testing.assert_frame_equal(got.checks, standalone["checks"])
        assert sorted(got.tornados) == sorted(standalone["tornados"]) == report.sensitivity_years(res)
        for y, df in standalone["tornados"].items():
            pd.testing.assert_frame_equal(got.tornados[y], df)
        s = report.summary_numbers(ld, res, table, got)
        ref = standalone["numbers"]
        assert [it["lever"] for it in s.at_risk] == [it["lever"] for it in ref.at_risk]
        for it, r in zip(s.at_risk, ref.at_risk):
            pd.testing.assert_series_equal(it["row"], r["row"])
        assert (s.headline, s.counts, s.changes, s.parent, s.trust, s.backtested) == \
            (ref.headline, ref.counts, ref.changes, ref.parent, ref.trust, ref.backtested)


def test_bundle_refused_when_edited_foreign_or_of_another_run(run, tmp_path):
    from ocop_sim import report
    from ocop_sim.cache import CacheError

    ld, res, table = run
    b = report.compute_bundle(ld, res, table)
    p = report.save_bundle(tmp_path / "a", "smoke.report", b)
    other = res.__class__(scenario=res.scenario, arrays=res.arrays, mode=res.mode, seed=res.seed + 1, draws=res.draws)
    with pytest.raises(CacheError, match="seed"):
        report.load_bundle(p, ld.hash, other)
    with pytest.raises(CacheError, match="scenario_hash"):
        report.load_bundle(p, "0" * 64, res)
    meta = json.loads(p.read_text(encoding="utf-8"))
    meta["bundle"]["checks"]["rows"][0][7] = not meta["bundle"]["checks"]["rows"][0][7]  # a check's passed flipped
    p.write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(CacheError, match="mac"):
        report.load_bundle(p, ld.hash, res)
    foreign = tmp_path / "b"
    foreign.mkdir()
    shutil.copy(report.save_bundle(tmp_path / "a", "smoke.report", b), foreign / "smoke.report.json")
    with pytest.raises(CacheError, match="cache key"):
        report.load_bundle(foreign / "smoke.report.json", ld.hash, res)


def test_bundle_cached_across_batches(run, tmp_path, monkeypatch):
    """A second batch (or ``--force``) of an unchanged scenario reads the bundle from the result cache."""
    from ocop_sim import report

    ld, res, table = run
    monkeypatch.setenv("OCOP_SIM_CACHE", str(tmp_path / "cache"))
    first = report.cached_bundle(ld, res, table)
    monkeypatch.setattr(report.bundle, "compute_bundle", lambda *a, **k: pytest.fail("computed again"))
    again = report.cached_bundle(ld, res, table)
    pd.testing.assert_frame_equal(again.checks, first.checks)
    assert again.levers == first.levers


def _outputs(path: Path) -> list:
    """Every output of an executed notebook (text, HTML, images), without timings and ids."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    outs = []
    for c in nb.cells:
        if c.cell_type == "code" and "injected-parameters" not in c.metadata.get("tags", []):
            for o in c.get("outputs", []):
                outs.append({k: v for k, v in o.items() if k not in ("execution_count", "metadata", "transient")})
    return outs


def _first_difference(x: str, y: str) -> str:
    """Where two texts first differ, with some context of each (an embedded PNG is named as such)."""
    i = next((k for k, (p, q) in enumerate(zip(x, y)) if p != q), min(len(x), len(y)))
    what = "inside an embedded PNG" if x.rfind("data:image/png", 0, i) > x.rfind('"', 0, i) else "in the text"
    return f"at character {i} ({what}) of {len(x)} / {len(y)}: {x[max(0, i - 120):i + 80]!r} vs {y[max(0, i - 120):i + 80]!r}"


@pytest.mark.notebook
@pytest.mark.slow
def test_report_rendered_from_bundle_equals_todays(params, run, tmp_path):
    """The notebook with the batch's bundle (kernel only formats and draws) and the notebook on its
    own (kernel computes, as before bundles) give the same report: every table, text and figure."""
    from ocop_sim import report
    from ocop_sim.report import render

    ld, res, table = run
    cache = report.save_result(res, tmp_path / "hand" / "smoke.npz")
    bundle = report.save_bundle(tmp_path / "hand", "smoke.report", report.compute_bundle(ld, res, table))
    base = {"scenario": str(params / "smoke.yaml"), "draws": DRAWS, "seed": None, "lang": "vi",
            "result_cache": str(cache)}
    done = {}
    # as in a batch worker: the kernel forked from the worker's kernel template, given the bundle;
    # as before: a kernel of its own (python -m ipykernel_launcher) that computes everything
    template = render._TEMPLATE = render._KernelTemplate()
    try:
        for kind, extra in (("bundle", {"report_bundle": str(bundle)}), ("standalone", {})):
            out = tmp_path / kind
            o = render.render(report.REPORT_NOTEBOOK, {**base, **extra, "output_dir": str(out)}, out, "smoke_vi",
                              "smoke", "smoke", "vi", timeout=600, warm=kind == "bundle")
            assert o.ok, o.error
            done[kind] = Path(o.files["notebook"])
            if kind == "bundle":
                # the next report's kernel, started ahead, was forked from the template too
                assert isinstance(render._WARM._km.provisioner.process, render._ForkedProcess)
                render._WARM.close()
                render._TEMPLATE = None
    finally:
        render._TEMPLATE = None
        template.close()
    a, b = _outputs(done["bundle"]), _outputs(done["standalone"])
    assert len(a) == len(b) > 15
    html_a = [o["data"]["text/html"] for o in a if "text/html" in o.get("data", {})]
    html_b = [o["data"]["text/html"] for o in b if "text/html" in o.get("data", {})]
    assert len(html_a) == len(html_b)
    for i, (x, y) in enumerate(zip(html_a, html_b)):  # tables, text, and the figures (PNG embedded in <img>)
        assert x == y, f"HTML output {i} differs: {_first_difference(x, y)}"
    assert sum("<table" in h for h in html_a) >= 5 and sum("data:image/png" in h for h in html_a) >= 7
    assert a == b
    # the HTML export is the same document (but for the random id of papermill's injected cell)
    strip = lambda p: re.sub(r"cell-id=[0-9a-f-]+", "", re.sub(r"\s+", " ", p.with_suffix(".html").read_text("utf-8")))
    assert strip(done["bundle"]) == strip(done["standalone"])
