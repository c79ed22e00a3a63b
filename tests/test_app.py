"""The web app's logic without a browser (``ocop_sim.app``): names, saving, the page's query
string, the Monte Carlo band, the command line.  The page itself: tests/browser/test_app_browser.py."""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from ocop_sim import app as A
from ocop_sim.cli import main
from ocop_sim.scenarios import ScenarioError, load

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture()
def params(tmp_path):
    p = tmp_path / "params"
    shutil.copytree(ROOT / "params", p)
    return p


@pytest.mark.parametrize("typed, stem", [("Kịch bản đầu tư", "Kich_ban_dau_tu"), ("../../etc/passwd", "etc_passwd"),
                                         ("/abs/x.yaml", "abs_x_yaml"), ("Đồng Nai 2030", "Dong_Nai_2030"),
                                         ("...", ""), ("a" * 80, "a" * 60), ("<script>", "script")])
def test_safe_scenario_name(typed, stem):
    assert A.safe_scenario_name(typed) == stem


def test_save_writes_a_validated_child_into_the_folder_only(params):
    app = A.App(params / "smoke.yaml", lang="en")
    with pytest.raises(ScenarioError, match="Nothing changed"):
        app.save("unchanged")
    app.set_value("product_development_bn_vnd", 12.0)
    p = app.save("../../outside/Kịch bản")
    assert p == params / "outside_Kich_ban.yaml" and p.parent == params
    ld = load(p)
    assert ld.scenario.levers.product_development_bn_vnd[2026] == 12.0
    assert not (params.parent / "outside").exists()
    with pytest.raises(ScenarioError, match="existing scenario"):  # never over an existing file
        app.save("outside_Kich_ban")
    with pytest.raises(ScenarioError):  # nor over the starting scenario
        app.save("smoke")
    with pytest.raises(ScenarioError):
        app.save("///")


@pytest.mark.parametrize("query, expect, lang", [("scenario=more_development.yaml&lang=en", "more_development.yaml", "en"),
                                                 ("scenario=../../etc/passwd", "baseline.yaml", "vi"),
                                                 ("scenario=%2Fetc%2Fpasswd&lang=xx", "baseline.yaml", "vi"),
                                                 ("scenario=missing.yaml", "baseline.yaml", "vi"),
                                                 ("token=abc", "baseline.yaml", "vi")])
def test_from_env_reads_only_files_of_the_folder(params, monkeypatch, query, expect, lang):
    monkeypatch.setenv(A.ENV_SCENARIO, str(params / "baseline.yaml"))
    monkeypatch.setenv(A.ENV_FOLDER, str(params))
    monkeypatch.setenv(A.ENV_LANG, "vi")
    monkeypatch.setenv("QUERY_STRING", query)
    monkeypatch.delenv("VOILA_PREHEAT", raising=False)
    app = A.App.from_env()
    assert app.ex.path.name == expect and app.lang == lang and app.folder == params


def test_band_with_progress_equals_simulate():
    """Block by block with a progress callback gives the numbers of ``simulate`` (2 blocks)."""
    from ocop_sim.simulate import BLOCK, simulate

    sc = load(ROOT / "params" / "smoke.yaml").scenario
    seen = []
    draws = BLOCK + 30
    a = A.simulate_with_progress(sc, draws, progress=lambda d, n: seen.append((d, n)))
    b = simulate(sc, draws=draws)
    assert seen == [(BLOCK, draws), (draws, draws)]
    for k in b.arrays.stocks:
        np.testing.assert_array_equal(a.arrays.stocks[k], b.arrays.stocks[k])


def test_labels_units_help_from_the_schema():
    assert A.lever_label("product_development_bn_vnd", "vi") == "Hỗ trợ phát triển sản phẩm"
    assert A.lever_label("product_development_bn_vnd", "en") == "Product development"
    assert A.lever_unit("product_development_bn_vnd", "vi") == "tỷ đồng/năm"
    assert "packaging" in A.lever_help("product_development_bn_vnd", "en")
    from ocop_sim.config import Levers

    assert set(A.LEVER_HELP_VI) == set(Levers.model_fields)  # every measure has its Vietnamese help


def test_voila_on_loopback_with_a_token(tmp_path):
    nb, env = A.prepare(ROOT / "params" / "smoke.yaml", "vi", tmp_path)
    argv = A.voila_argv(nb, 8870, "secret-token")
    assert "--Voila.ip=127.0.0.1" in argv and "--token=secret-token" in argv and "--show_tracebacks=False" in argv
    text = nb.read_text(encoding="utf-8")
    assert "smoke" not in text  # the scenario reaches the kernel through the environment, not the code
    assert env[A.ENV_SCENARIO].endswith("smoke.yaml")
    tpl = (tmp_path / "jupyter" / "voila" / "templates" / A.TEMPLATE / "index.html.j2").read_text(encoding="utf-8")
    assert "cdn.jsdelivr" not in tpl and "fontawesome" not in tpl  # no CDN stylesheet


@pytest.mark.parametrize("argv, msg", [(["app", "params/nope.yaml", "--no-browser"], "nope.yaml"),
                                       (["app", "--port", "80"], "port"),
                                       (["app", "--ip", "localhost:1"], "IP address")])
def test_cli_mistakes_exit_2_in_one_line(capsys, monkeypatch, argv, msg):
    monkeypatch.chdir(ROOT)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and msg in err, err
