"""The installable product: a wheel built from the checkout, installed into a fresh environment
outside it, renders a report with its own notebooks (shipped in the package) from a folder that
is not the checkout.

How the environment is made, and why:

- The sources are copied to a temporary folder first, so the build's ``build/`` and ``*.egg-info``
  never land in the checkout (nor collide between two test runs).
- The wheel is built with the test's own interpreter and ``--no-build-isolation`` when it can build
  wheels (setuptools >= 70.1, or the ``wheel`` package); otherwise pip's build isolation fetches
  the build backend (setuptools) from the package registry.  The project's dependencies are never
  downloaded: the wheel is built and installed with ``--no-deps``.
- The fresh environment is ``python -m venv --without-pip`` outside the checkout.  The wheel is
  installed into it by the test interpreter's pip run *in* it (``pip --python``), which sees only
  the fresh environment, so it neither finds nor touches the development install.  Only then does
  a ``.pth`` file add the test interpreter's site-packages to the fresh environment's path, after
  its own: numpy, pandas, papermill ... come from there (and nbconvert's templates, which live in
  ``{prefix}/share/jupyter``, by a link).  A directory named in a ``.pth`` file is
  appended to ``sys.path`` but its own ``.pth`` files are not run, so the editable install's import
  hook (``__editable__.ocop_sim-*.pth``) is not loaded: ``import ocop_sim`` finds the wheel's copy.
- The installed ``ocop-sim`` runs with the temporary folder as its current directory and without
  ``PYTHONPATH``; its report kernels are started from the fresh environment's interpreter.
"""
from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: What a wheel is built from (everything setup.py and pyproject.toml read).
SOURCES = ("pyproject.toml", "setup.py", "README.md", "ocop_sim", "notebooks", "docs")

pytestmark = [pytest.mark.slow, pytest.mark.notebook]


def _can_build_wheels_here() -> bool:
    """Whether this interpreter's setuptools builds wheels without fetching anything."""
    if importlib.util.find_spec("wheel") is not None:
        return True
    try:
        major, minor = (int(x) for x in importlib.metadata.version("setuptools").split(".")[:2])
    except (importlib.metadata.PackageNotFoundError, ValueError):
        return False
    return (major, minor) >= (70, 1)  # bdist_wheel is part of setuptools from 70.1


def _run(cmd: list[str], cwd: Path, env: dict[str, str] | None = None, timeout: float = 900) -> str:
    proc = subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, f"{' '.join(map(str, cmd))} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


def _clean_env(**extra: str) -> dict[str, str]:
    """The environment of a process that must not see the checkout: no PYTHONPATH, no active venv."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP")}
    env.update(MPLBACKEND="Agg", OCOP_REQUIRE_BROWSER="0", PYTHONNOUSERSITE="1", **extra)
    return env


def build_wheel(work: Path) -> Path:
    """Build the checkout's wheel in ``work`` (from a copy of its sources); the wheel's path."""
    src = work / "src"
    src.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints")
    for name in SOURCES:
        p = ROOT / name
        if p.is_dir():
            shutil.copytree(p, src / name, ignore=ignore)
        else:
            shutil.copy2(p, src / name)
    cmd = [sys.executable, "-m", "pip", "wheel", src, "--no-deps", "-w", work / "dist", "-q",
           "--disable-pip-version-check"]
    if _can_build_wheels_here():
        cmd.append("--no-build-isolation")
    _run(cmd, cwd=work)
    (wheel,) = (work / "dist").glob("ocop_sim-*.whl")
    return wheel


def make_env(work: Path, wheel: Path) -> Path:
    """A fresh environment in ``work/env`` with ``wheel`` installed and this interpreter's
    site-packages visible after its own; its ``bin`` folder."""
    env_dir = work / "env"
    _run([sys.executable, "-m", "venv", "--without-pip", env_dir], cwd=work)
    python = env_dir / "bin" / "python"
    # pip of this interpreter, run in the fresh environment: it sees only that environment
    _run([sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index", "-q",
          "--disable-pip-version-check", wheel], cwd=work, env=_clean_env())
    site = _run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], cwd=work,
                env=_clean_env()).strip()
    ours = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (Path(site) / "_ocop_test_parent_env.pth").write_text("\n".join(sorted(ours)) + "\n", encoding="utf-8")
    # nbconvert's templates are data files of its environment ({prefix}/share/jupyter), not of its
    # package: the borrowed nbconvert brings them along (no kernel specs: the report kernels are
    # ipykernel's own, on the fresh environment's interpreter)
    templates = Path(sys.prefix) / "share" / "jupyter" / "nbconvert"
    if templates.is_dir():
        (env_dir / "share" / "jupyter").mkdir(parents=True, exist_ok=True)
        (env_dir / "share" / "jupyter" / "nbconvert").symlink_to(templates, target_is_directory=True)
    return env_dir / "bin"


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    work = tmp_path_factory.mktemp("wheel")
    assert not work.resolve().is_relative_to(ROOT)
    wheel = build_wheel(work)
    return work, wheel, make_env(work, wheel)


def test_the_wheel_ships_the_notebooks_and_guides(installed):
    _, wheel, _ = installed
    names = set(zipfile.ZipFile(wheel).namelist())
    for nb in sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb")):
        assert f"ocop_sim/notebooks/{nb}" in names
    assert {"ocop_sim/docs/guide.en.md", "ocop_sim/docs/guide.vi.md", "ocop_sim/cli/main.py",
            "ocop_sim/packs/dong_nai_2025/pack.yaml"} <= names


def test_installed_package_is_not_the_checkout(installed):
    work, _, bin_dir = installed
    code = ("import json, ocop_sim, ocop_sim.assets as a; print(json.dumps([ocop_sim.__file__, "
            "str(a.notebook('scenario_report.ipynb')), str(a.doc('guide.vi.md'))]))")
    pkg, nb, guide = json.loads(_run([bin_dir / "python", "-c", code], cwd=work, env=_clean_env()))
    site = Path(pkg).resolve().parents[1]
    for p in (pkg, nb, guide):
        assert not Path(p).resolve().is_relative_to(ROOT), p
        assert Path(p).resolve().is_relative_to(site) and Path(p).is_file(), p


def test_installed_command_renders_a_report_outside_the_checkout(installed):
    work, _, bin_dir = installed
    run = work / "run"
    run.mkdir()
    # smoke.yaml extends baseline.yaml, which names target registries and a posterior: the params folder
    shutil.copytree(ROOT / "params", run / "params", ignore=shutil.ignore_patterns("__pycache__"))
    env = _clean_env(PATH=f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}", OCOP_SIM_CACHE=str(run / "cache"))
    out = _run([bin_dir / "ocop-sim", "report", "params/smoke.yaml", "--out", "reports", "--lang", "en",
                "--draws", "20", "--jobs", "1", "--quiet", "--no-cache", "--no-compare", "--format", "html"],
               cwd=run, env=env)
    assert "1 notebooks rendered" in out, out
    html = (run / "reports" / "smoke" / "smoke_en.html").read_text(encoding="utf-8")
    assert "Small test scenario" in html  # the scenario, by its title (reports never show file names)
    numbers = re.findall(r'<td class="num"[^>]*>([^<]*[0-9][^<]*)</td>', html)
    assert len(numbers) >= 3, "expected a table of numbers in the report"
    # the notebook it ran is the installed package's, not the checkout's
    nb = json.loads((run / "reports" / "smoke" / "smoke_en.ipynb").read_text(encoding="utf-8"))
    used = Path(nb["metadata"]["papermill"]["input_path"]).resolve()
    assert used.is_relative_to((work / "env").resolve()) and used.name == "scenario_report.ipynb", used
