"""Issue 12, item 4: a scenario's target registries are resolved like ``extends`` (relative to the
scenario's folder, confined to it); validate and run read the same file; their contents enter
the result cache's key and the report's resume markers."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ocop_sim import cache, load
from ocop_sim.cli import main
from ocop_sim.targets import registries_digest, registry_paths

PARAMS = Path(__file__).resolve().parents[1] / "params"

LOCAL = """\
registry:
  id: local_plan
  kind: plan
  title_vi: "Kế hoạch riêng"
  title_en: "Own plan"
  source: "test"
targets:
  - id: own_target
    metric: products_3star_plus
    year: 2028
    comparison: ">="
    value: {value}
    scope: province
    label_vi: "Mục tiêu riêng"
    label_en: "Own target"
    source: "test"
"""


@pytest.fixture()
def project(tmp_path):
    """params copied; a scenario in its own folder ``params/own/`` with its own
    ``targets/decision_1698.yaml`` (same name as the bundled one, other contents)."""
    d = tmp_path / "params"
    shutil.copytree(PARAMS, d)
    own = d / "own"
    (own / "targets").mkdir(parents=True)
    (own / "targets" / "decision_1698.yaml").write_text(LOCAL.format(value=10), encoding="utf-8")
    (own / "mine.yaml").write_text("extends: ../smoke.yaml\nname: mine\ntargets:\n  - targets/decision_1698.yaml\n",
                                   encoding="utf-8")
    return own


def test_run_reads_the_registry_validate_checked(project, capsys, tmp_path, monkeypatch):
    monkeypatch.setenv(cache.ENV_VAR, str(tmp_path / "c"))
    ld = load(project / "mine.yaml", allow_outside=True)
    (p,) = registry_paths(ld.scenario)
    assert p.resolve() == (project / "targets" / "decision_1698.yaml").resolve()
    assert main(["validate", str(project / "mine.yaml"), "--allow-outside"]) == 0
    assert main(["run", str(project / "mine.yaml"), "--allow-outside", "--draws", "20"]) == 0
    out = capsys.readouterr().out
    assert "Own target" in out and "Decision 1698" not in out  # v0.1: the bundled registry


def test_editing_the_local_registry_misses_the_cache(project, tmp_path):
    ld = load(project / "mine.yaml", allow_outside=True)
    k1, d1 = cache.cache_key(ld.scenario, draws=20, seed=1), registries_digest(ld.scenario)
    r1 = cache.cached_simulate(ld.scenario, draws=20, seed=1, cache_dir=tmp_path)
    assert r1.attainment()["target"].tolist() == [10.0]
    (project / "targets" / "decision_1698.yaml").write_text(LOCAL.format(value=99), encoding="utf-8")
    ld2 = load(project / "mine.yaml", allow_outside=True)
    assert load(project / "mine.yaml", allow_outside=True).hash == ld.hash  # same YAML of the scenario...
    assert registries_digest(ld2.scenario) != d1  # ...other registry contents
    assert cache.cache_key(ld2.scenario, draws=20, seed=1) != k1
    r2 = cache.cached_simulate(ld2.scenario, draws=20, seed=1, cache_dir=tmp_path)
    assert r2.attainment()["target"].tolist() == [99.0]


def test_report_markers_record_registry_contents(project, tmp_path):
    """A finished report is re-rendered after its registry changed: its marker no longer matches."""
    from ocop_sim import report
    from ocop_sim.report import markers

    ld = load(project / "mine.yaml", allow_outside=True)
    k1 = report.resume_key(ld, 20, 1)
    folder = tmp_path / "mine"
    folder.mkdir()
    html = folder / "mine_en.html"
    html.write_text("<html>finished</html>")
    markers._write_record(folder, "mine_en", k1, {"files": {"html": str(html)}})
    assert markers._finished(folder, "mine_en", k1) == {"html": str(html)}
    (project / "targets" / "decision_1698.yaml").write_text(LOCAL.format(value=99), encoding="utf-8")
    k2 = report.resume_key(load(project / "mine.yaml", allow_outside=True), 20, 1)
    assert k2["scenario_hash"] == k1["scenario_hash"] and k2["registries"] != k1["registries"]
    assert markers._finished(folder, "mine_en", k2) is None  # v0.1: skipped as finished


@pytest.mark.parametrize("bad", ["../../escaped.yaml", "/etc/passwd", "../../../../etc/hostname"])
def test_a_registry_outside_the_scenarios_folder_is_refused(project, bad, capsys):
    (project / "esc.yaml").write_text(f"extends: ../smoke.yaml\nname: esc\ntargets:\n  - {bad}\n", encoding="utf-8")
    code = main(["validate", str(project / "esc.yaml"), "--allow-outside"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and "targets.0" in err and "esc.yaml" in err and len(err.splitlines()) == 1, err


def test_validate_and_run_agree_on_an_inherited_registry(project, capsys, tmp_path, monkeypatch):
    """A parent in another folder names ``targets/…`` relative to itself: validate checks, and run
    reads, that file (v0.1: validate looked beside the child, run beside the parent)."""
    monkeypatch.setenv(cache.ENV_VAR, str(tmp_path / "c"))
    other = project.parent / "other"
    other.mkdir()
    (project / "targets" / "own_only.yaml").write_text(LOCAL.format(value=7), encoding="utf-8")
    (project / "parent.yaml").write_text("extends: ../smoke.yaml\nname: parent\ntargets:\n  - targets/own_only.yaml\n",
                                         encoding="utf-8")
    (other / "child.yaml").write_text("extends: ../own/parent.yaml\nname: child\n", encoding="utf-8")
    assert main(["validate", str(other / "child.yaml"), "--allow-outside"]) == 0, capsys.readouterr().err
    ld = load(other / "child.yaml", allow_outside=True)
    assert [p.resolve() for p in registry_paths(ld.scenario)] == [(project / "targets" / "own_only.yaml").resolve()]
    assert main(["run", str(other / "child.yaml"), "--allow-outside", "--draws", "20"]) == 0
    assert "Own target" in capsys.readouterr().out
