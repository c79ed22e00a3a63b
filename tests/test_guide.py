"""The planners' guide (``docs/guide.vi.md``, ``docs/guide.en.md``): every command in it runs.

Both guides hold the same commands (only the prose differs).  The fenced ``bash`` blocks are run
in order, each as one bash script, in a copy of the project (``params/``, ``notebooks/`` and the
package, imported from the copy through PYTHONPATH, so editing the bundled pack's ``actuals.csv``
touches only the copy), with small Monte Carlo runs (``--draws 20`` appended to ``run`` and
``report``).  ``ocop-sim app`` serves until stopped: it is started on a free port and must print
its tokened address and refuse a request without the token.
"""
from __future__ import annotations

import json
import os
import re
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

ROOT = Path(__file__).resolve().parents[1]
GUIDES = {"en": ROOT / "docs" / "guide.en.md", "vi": ROOT / "docs" / "guide.vi.md"}
DRAWS = 20


def blocks(path: Path) -> list[str]:
    return re.findall(r"```bash\n(.*?)```", path.read_text(encoding="utf-8"), re.S)


def test_both_guides_hold_the_same_commands_and_cover_the_tasks():
    en, vi = blocks(GUIDES["en"]), blocks(GUIDES["vi"])
    assert en and en == vi
    text = "\n".join(en)
    for cmd in ("validate", "run", "app", "report", "province init", "province show"):
        assert f"ocop-sim {cmd}" in text, cmd
    for lang, path in GUIDES.items():  # five tasks, five sections
        heads = re.findall(r"^## \d\. (.+)$", path.read_text(encoding="utf-8"), re.M)
        assert len(heads) == 5, (lang, heads)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _small(line: str) -> str:
    """Small Monte Carlo runs; PDFs only where a browser can print them."""
    if re.search(r"ocop-sim (run|report)\b", line) and "--mode expected" not in line and "--draws" not in line:
        line += f" --draws {DRAWS}"
    if "ocop-sim report" in line:
        from ocop_sim.pdf import missing

        if missing():
            line = line.replace("html,pdf,xlsx", "html,xlsx")
    return line


def _check_app(cmd: str, cwd: Path, env: dict) -> None:
    """Start the guide's ``ocop-sim app`` line on a free port; it prints a tokened loopback address
    and the page needs the token."""
    port = _free_port()
    argv = cmd.split()
    argv[argv.index("--port") + 1] = str(port)
    argv = [str(ROOT / a) if a.startswith(".venv/") else a for a in argv] + ["--no-browser"]
    log = cwd / "app.log"
    with open(log, "wb") as fh:
        proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=fh, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
        try:
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline:
                assert proc.poll() is None, log.read_text(errors="replace")
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    time.sleep(0.3)
            else:
                pytest.fail(f"ocop-sim app did not listen: {log.read_text(errors='replace')}")
            out = log.read_text(errors="replace")
            assert re.search(rf"http://127\.0\.0\.1:{port}/\?token=\S{{20,}}", out), out

            class NoRedirect(urllib.request.HTTPRedirectHandler):
                def redirect_request(self, *a, **k):
                    return None

            with pytest.raises(urllib.error.HTTPError) as err:
                urllib.request.build_opener(NoRedirect).open(f"http://127.0.0.1:{port}/", timeout=30)
            assert err.value.code in (302, 401, 403)
        finally:
            for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGKILL):
                if proc.poll() is not None:
                    break
                os.killpg(proc.pid, sig)
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    pass


@pytest.mark.slow
def test_every_guide_command_runs(tmp_path):
    work = tmp_path / "project"
    work.mkdir()
    for folder in ("params", "notebooks", "ocop_sim"):
        shutil.copytree(ROOT / folder, work / folder,
                        ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"))
    (work / ".venv").symlink_to(ROOT / ".venv")
    env = {**os.environ, "PYTHONPATH": str(work), "MPLBACKEND": "Agg", "OCOP_SIM_CACHE": str(tmp_path / "cache"),
           "PYDEVD_DISABLE_FILE_VALIDATION": "1"}
    actuals = work / "ocop_sim" / "packs" / "dong_nai_2025" / "actuals.csv"
    rows_before = len(actuals.read_text(encoding="utf-8").splitlines())
    outputs = []
    for block in blocks(GUIDES["en"]):
        apps = [ln for ln in block.splitlines() if re.match(r"\s*\.venv/bin/ocop-sim app\b", ln)]
        script = "\n".join(_small(ln) if not ln.startswith(" ") else ln
                           for ln in block.splitlines() if ln not in apps)
        for cmd in apps:
            _check_app(cmd, work, env)
        if not script.strip():
            continue
        p = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=work, env=env, capture_output=True,
                           text=True, timeout=1200)
        assert p.returncode == 0, f"{script}\n--- stdout\n{p.stdout[-3000:]}\n--- stderr\n{p.stderr[-3000:]}"
        outputs.append(p.stdout)
    out = "\n".join(outputs)
    # 1. the scenario exists, validates and runs
    assert (work / "params" / "my_scenario.yaml").is_file() and "ok  params/my_scenario.yaml" in out
    # 2. the batch: both scenarios, both languages, the index
    rep = work / "my_reports"
    for name in ("baseline", "my_scenario"):
        for lang in ("vi", "en"):
            assert (rep / name / f"{name}_{lang}.html").is_file(), (name, lang)
            assert (rep / name / f"{name}_{lang}.xlsx").is_file(), (name, lang)
    assert (rep / "index.html").is_file() and (rep / "index_vi.html").is_file()
    # 4. one reported figure more, in the copy only
    assert len(actuals.read_text(encoding="utf-8").splitlines()) == rows_before + 1
    shown = json.loads(out[out.index("{\n"):out.index("\n}", out.index("{\n")) + 2])
    assert shown["actuals"] == rows_before  # the header is not a figure; the new row is
    # 5. the new province's pack and its scenario
    assert (work / "params" / "packs" / "my_province" / "pack.yaml").is_file()
    assert "my_province_outlook" in out
    # nothing was written into the repository
    assert not (ROOT / "params" / "my_scenario.yaml").exists() and not (ROOT / "my_reports").exists()


def test_guide_pages_beside_the_index(tmp_path):
    from ocop_sim.report import BatchResult, write_index

    write_index(tmp_path, [], {}, BatchResult(out=tmp_path), ("vi", "en"))
    for lang, head in (("vi", "Tạo một kịch bản"), ("en", "Create a scenario")):
        page = (tmp_path / f"guide_{lang}.html").read_text(encoding="utf-8")
        assert head in page and "<script" not in page
        assert f'href="guide_{"en" if lang == "vi" else "vi"}.html"' in page  # the other language
    index = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert '<a href="guide_en.html">User guide</a>' in index
    assert '<a href="guide_vi.html">Hướng dẫn sử dụng</a>' in (tmp_path / "index_vi.html").read_text(encoding="utf-8")
