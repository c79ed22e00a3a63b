"""Failure behaviour of the report batch (issue 6): a cell error, a dying kernel and a hanging
cell are each reported for their scenario with the failing cell while the other reports
complete; a batch killed with SIGKILL leaves only whole files, and a re-run completes only what
is missing."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import nbformat
import pytest

from ocop_sim import report
from ocop_sim.cli import main

ROOT = Path(__file__).resolve().parents[1]
PARAMS = ROOT / "params"
OCOP_SIM = Path(sys.executable).with_name("ocop-sim")

PARAMETERS = ("scenario = None\ndraws = None\nseed = None\nlang = 'en'\noutput_dir = '.'\n"
              "result_cache = None\n")
BODY = """\
import os, time
from pathlib import Path
from ocop_sim.report import load_result
name = Path(scenario).stem
res = load_result(result_cache)
print('products', float(res.series('products_3star_plus')[-1].mean()))
"""
FAIL = """\
if name == 'cell_error':
    raise RuntimeError('boom in ' + name)
if name == 'kernel_dies':
    os._exit(1)
if name == 'hangs':
    time.sleep(120)
print('survived', name)
"""


def _notebook(path: Path) -> Path:
    nb = nbformat.v4.new_notebook()
    p = nbformat.v4.new_code_cell(PARAMETERS)
    p.metadata["tags"] = ["parameters"]
    nb.cells = [nbformat.v4.new_markdown_cell("# test report"), p, nbformat.v4.new_code_cell(BODY),
                nbformat.v4.new_code_cell(FAIL), nbformat.v4.new_code_cell("print('the end')")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, str(path))
    return path


def _params_copy(tmp: Path, names: list[str], draws: int = 5) -> list[str]:
    """Copies of the smoke scenario named ``names`` in a copy of the params folder."""
    d = tmp / "params"
    shutil.copytree(PARAMS, d, ignore=shutil.ignore_patterns("national"))
    out = []
    for n in names:
        (d / f"{n}.yaml").write_text(f"extends: smoke.yaml\nname: {n}\ndraws: {draws}\n"
                                     f"description: {{vi: 'Bản sao {n}', en: 'Copy {n}'}}\n", encoding="utf-8")
        out.append(str(d / f"{n}.yaml"))
    return out


def _whole(path: Path) -> None:
    """A file under a final name is complete: parses as what its suffix says."""
    s = path.suffix
    if s == ".html":
        text = path.read_text(encoding="utf-8")
        assert text.rstrip().endswith("</html>"), path
    elif s == ".ipynb":
        nbformat.validate(nbformat.read(str(path), as_version=4))
    elif s == ".xlsx":
        from openpyxl import load_workbook

        with zipfile.ZipFile(path) as zf:
            assert zf.testzip() is None
        load_workbook(path, read_only=True).close()
    elif s == ".csv":
        import pandas as pd

        pd.read_csv(path)
    elif s == ".json":
        json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def failing_batch(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("fail")
    tpl = _notebook(tmp / "template.ipynb")
    paths = _params_copy(tmp, ["fine", "cell_error", "kernel_dies", "hangs"])
    batch = report.run_batch(paths, tmp / "out", jobs=2, langs=("en",), draws=5, timeout=8, compare=False,
                             progress=False, template=tpl)
    return tmp / "out", batch


def _failure(batch, name):
    found = [f for f in batch.failures if f[0] == name]
    assert len(found) == 1, batch.failures
    return found[0]


def test_batch_not_ok_and_fine_report_complete(failing_batch):
    out, batch = failing_batch
    assert not batch.ok
    assert {f[0] for f in batch.failures} == {"cell_error", "kernel_dies", "hangs"}
    html = out / "fine" / "fine_en.html"
    text = html.read_text(encoding="utf-8")
    assert text.rstrip().endswith("</html>") and "survived fine" in text and "the end" in text
    assert (out / "fine" / ".done_fine_en.json").is_file()
    assert batch.index is not None and batch.index.is_file()


# template cells: 0 markdown, 1 parameters, [2 injected parameters], 3 body, 4 the failing cell
FAILING_CELL = 4


def test_cell_error_reported_with_cell(failing_batch):
    out, batch = failing_batch
    _, lang, err, cell = _failure(batch, "cell_error")
    assert lang == "en" and "RuntimeError" in err and "boom in cell_error" in err
    assert cell == FAILING_CELL
    assert not (out / "cell_error" / "cell_error_en.html").exists()
    assert not (out / "cell_error" / ".done_cell_error_en.json").exists()


def test_dead_kernel_reported(failing_batch):
    out, batch = failing_batch
    _, lang, err, cell = _failure(batch, "kernel_dies")
    assert lang == "en" and ("DeadKernel" in err or "died" in err.lower()), err
    assert cell in (None, FAILING_CELL)
    assert not (out / "kernel_dies" / "kernel_dies_en.html").exists()


def test_hanging_cell_times_out(failing_batch):
    out, batch = failing_batch
    _, lang, err, cell = _failure(batch, "hangs")
    assert lang == "en" and ("timed out" in err.lower() or "Timeout" in err), err
    assert cell in (None, FAILING_CELL)
    assert not (out / "hangs" / "hangs_en.html").exists()


def test_failures_listed_in_index(failing_batch):
    _, batch = failing_batch
    index = batch.index.read_text(encoding="utf-8")
    for n in ("cell_error", "kernel_dies", "hangs"):
        assert n in index
    assert "boom in cell_error" in index


def test_every_file_whole_after_failures(failing_batch):
    out, _ = failing_batch
    for p in out.rglob("*"):
        if p.is_file() and not p.name.startswith("."):
            _whole(p)


def test_report_manifest_reproduces(failing_batch, capsys):
    out, _ = failing_batch
    manifest = out / "fine" / "csv" / "fine_manifest.json"
    assert main(["reproduce", str(manifest)]) == 0
    assert capsys.readouterr().out.startswith("reproduced fine (monte_carlo, draws=5")


@pytest.mark.notebook
def test_cli_exit_code_1_on_a_failed_report(tmp_path, monkeypatch, capsys):
    """Workers are forked: a patched REPORT_NOTEBOOK reaches them."""
    import multiprocessing as mp

    assert "fork" in mp.get_all_start_methods()
    tpl = _notebook(tmp_path / "template.ipynb")
    paths = _params_copy(tmp_path, ["fine", "cell_error"])
    monkeypatch.setattr(report.workers, "REPORT_NOTEBOOK", tpl)  # where _render_task looks it up
    code = main(["report", *paths, "--out", str(tmp_path / "out"), "--jobs", "2", "--lang", "en", "--draws", "5",
                 "--no-compare", "--quiet", "--timeout", "60"])
    cap = capsys.readouterr()
    assert code == 1
    assert f"FAILED cell_error [en] (cell {FAILING_CELL}): RuntimeError: boom in cell_error" in cap.err
    assert (tmp_path / "out" / "fine" / "fine_en.html").is_file()


# ----------------------------------------------------------------------------- SIGKILL mid-batch


def _final_files(out: Path) -> list[Path]:
    return [p for p in out.rglob("*") if p.is_file() and p.suffix in (".html", ".ipynb", ".xlsx", ".csv", ".json")
            and not p.name.endswith(".part") and "_cache" not in p.parts]


@pytest.mark.slow
@pytest.mark.notebook
def test_sigkill_mid_batch_then_resume(tmp_path):
    assert OCOP_SIM.exists(), OCOP_SIM
    names = ["ka", "kb", "kc", "kd"]
    paths = _params_copy(tmp_path, names, draws=20)
    out = tmp_path / "out"
    cmd = [str(OCOP_SIM), "report", *paths, "--out", str(out), "--jobs", "2", "--lang", "en", "--draws", "20",
           "--no-compare", "--quiet"]
    env = {**os.environ, "MPLBACKEND": "Agg"}
    proc = subprocess.Popen(cmd, cwd=tmp_path, env=env, start_new_session=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 240
    marker = None
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            htmls = [p for p in out.glob("*/*_en.html")]
            if htmls:
                # the report's done-marker follows its files: wait for it so that one is finished
                marker = htmls[0].parent / f".done_{htmls[0].stem}.json"
                t1 = time.monotonic() + 30
                while not marker.exists() and time.monotonic() < t1:
                    time.sleep(0.02)
                break
            time.sleep(0.05)
    finally:
        killed = proc.poll() is None
        if killed:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    assert killed, "the batch finished before the first report appeared: nothing was killed"
    assert marker is not None and marker.exists()
    time.sleep(1.5)  # orphaned kernels notice their parent is gone and exit
    assert not (out / "index.html").exists(), "killed before the end: no index yet"

    # every file under a final name is whole; temporary files carry a hidden .part name only
    finals = _final_files(out)
    for p in finals:
        _whole(p)
    for p in out.rglob("*"):
        if p.is_file() and p.suffix not in (".html", ".ipynb", ".xlsx", ".csv", ".json", ".log", ".npz"):
            # besides hidden .part files: the output lock and the batch's hand-over folder's key
            assert (p.name.startswith(".") and p.name.endswith(".part")) or p.name in (".ocop-sim.lock",
                                                                                      ".ocop_cache_key"), p
    finished = sorted(m.name for m in out.glob("*/.done_*_en.json"))
    assert finished
    for m in out.glob("*/.done_*_en.json"):
        rec = json.loads(m.read_text(encoding="utf-8"))
        for f in rec["files"].values():
            _whole(Path(f))

    # re-run: completes, skips the finished reports, renders the rest
    again = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
                           check=False)
    assert again.returncode == 0, again.stderr[-2000:]
    assert f"skipped {len(finished)} already finished" in again.stdout, again.stdout
    assert f"{len(names) - len(finished)} notebooks rendered" in again.stdout, again.stdout
    for n in names:
        _whole(out / n / f"{n}_en.html")
        assert (out / n / f".done_{n}_en.json").is_file()
    for p in _final_files(out):
        _whole(p)
    assert (out / "index.html").read_text(encoding="utf-8").rstrip().endswith("</html>")
    print(f"\nkill-mid-batch: {len(finished)} of {len(names)} reports finished at SIGKILL, "
          f"{len(finals)} files under final names all whole; re-run skipped {len(finished)}, "
          f"rendered {len(names) - len(finished)}, exit 0")
