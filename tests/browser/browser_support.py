"""Helpers of the browser tests (imported by conftest.py and the tests): Chromium flags, the
network guard, screenshots, and a real JupyterLab server on loopback."""
from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "browser"
DOC_SHOTS = ROOT / "docs" / "screenshots"
CHROMIUM = Path(os.environ.get("OCOP_CHROMIUM", "/usr/bin/chromium"))
#: Flags of a headless Chromium on a machine with a closed network, run as root.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", "--lang=en-US"]
#: Viewport of every page (px): what a laptop shows; the README screenshots have this size.
VIEWPORT = {"width": 1280, "height": 800}
#: Seconds JupyterLab may take to answer /api/status after start.
SERVER_START_S = 90


def missing() -> str | None:
    """Why the browser tests cannot run here, or None."""
    why = []
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        why.append(f"Debian's chromium is not at {CHROMIUM} (install: apt-get install chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        why.append(f"the Python package playwright is not installed in {sys.prefix} "
                   f"(install: {sys.executable} -m pip install playwright; never 'playwright install')")
    if not why:
        return None
    return ("BROWSER TESTS SKIPPED: " + "; ".join(why)
            + ". Run tools/setup_browser.sh (as root, with network) to install both.")


def keep_screenshot(page, name: str, readme_name: str | None = None, **kw) -> Path:
    """Screenshot ``page`` to ``test-artifacts/browser/name``; also to ``docs/screenshots/readme_name``
    when ``OCOP_UPDATE_SCREENSHOTS=1``.  Returns the artefact path (a PNG that is checked non-empty)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path), **kw)
    assert path.stat().st_size > 5000, f"{path} is suspiciously small"
    if readme_name and os.environ.get("OCOP_UPDATE_SCREENSHOTS") == "1":
        DOC_SHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, DOC_SHOTS / readme_name)
    return path


class NetworkGuard:
    """Aborts and records every http(s)/ws request of a browser context except to ``allow`` prefixes
    (the pages must work offline), and collects console errors, page errors and failed requests."""

    def __init__(self, context, allow: tuple[str, ...] = ()):
        self.blocked: list[str] = []
        self.failed: list[str] = []
        self.console_errors: list[str] = []
        self.page_errors: list[str] = []
        self.allow = tuple(allow)

        def route(r) -> None:
            url = r.request.url
            if url.startswith(("http:", "https:", "ws:", "wss:")) and not url.startswith(self.allow):
                self.blocked.append(url)
                r.abort()
            else:
                r.continue_()

        context.route("**/*", route)
        context.on("requestfailed", lambda req: self.failed.append(f"{req.url} ({req.failure})"))

    def watch(self, page):
        """Record ``page``'s console errors and uncaught exceptions; returns the page."""
        page.on("console", lambda m: self.console_errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.page_errors.append(str(e)))
        return page


# ---------------------------------------------------------------------------- JupyterLab server
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _write_json(path: Path, doc: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=1), encoding="utf-8")


class LabServer:
    """A running ``jupyter lab`` on 127.0.0.1 with token auth; ``root`` holds notebooks/ and params/."""

    def __init__(self, root: Path, home: Path):
        self.root = root
        self.home = home
        self.port = _free_port()
        self.token = secrets.token_hex(24)
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = home / "lab.log"
        env = dict(os.environ)
        jpath = home / "jupyter_path"
        # the kernel is this venv's Python, whatever kernels the user has elsewhere
        _write_json(jpath / "kernels" / "python3" / "kernel.json",
                    {"argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                     "display_name": "Python 3 (ipykernel)", "language": "python",
                     "metadata": {"debugger": False}})
        settings = home / "lab_settings"
        # no news/update fetches (closed network) and every cell in the DOM (no windowing)
        _write_json(settings / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings",
                    {"fetchNews": "false", "checkForUpdates": False})
        _write_json(settings / "@jupyterlab" / "notebook-extension" / "tracker.jupyterlab-settings",
                    {"windowingMode": "none"})
        env.update({"JUPYTER_PATH": str(jpath), "JUPYTER_CONFIG_DIR": str(home / "config"),
                    "JUPYTER_DATA_DIR": str(home / "data"), "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
                    "JUPYTERLAB_SETTINGS_DIR": str(settings),
                    "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"),
                    "JUPYTER_PLATFORM_DIRS": "1", "MPLBACKEND": "Agg", "PYTHONUNBUFFERED": "1"})
        cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={self.port}",
               "--port-retries=0", f"--IdentityProvider.token={self.token}", f"--ServerApp.root_dir={root}",
               "--ServerApp.open_browser=False", "--LabApp.news_url=",
               "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
               "--LabApp.extension_manager=readonly", "--ServerApp.terminals_enabled=False"]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            cmd.append("--allow-root")  # CI and these machines run as root
        self._logf = open(self.log, "wb")
        self.proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=self._logf, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True)

    def url(self, path: str) -> str:
        return f"{self.base}/{path.lstrip('/')}?token={self.token}"

    def api(self, path: str, method: str = "GET", timeout: float = 5):
        req = urllib.request.Request(f"{self.base}/api/{path}", method=method,
                                     headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(req, timeout=timeout) as r:  # loopback only
            body = r.read()
            return json.loads(body) if body else None

    def wait_ready(self) -> None:
        deadline = time.monotonic() + SERVER_START_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"jupyter lab exited with {self.proc.returncode}:\n{self.tail()}")
            try:
                self.api("status", timeout=2)
                return
            except (urllib.error.URLError, ConnectionError, OSError):
                time.sleep(0.25)
        raise RuntimeError(f"jupyter lab did not answer within {SERVER_START_S} s:\n{self.tail()}")

    def tail(self, n: int = 4000) -> str:
        if not self._logf.closed:
            self._logf.flush()
        return self.log.read_bytes()[-n:].decode("utf-8", "replace")

    def stop(self) -> None:
        """Shut the kernels and the server down (API first, then the process group)."""
        if self.proc.poll() is None:
            try:
                self.api("shutdown", method="POST")
            except (urllib.error.URLError, OSError):
                pass
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                pass
        for sig in (signal.SIGTERM, signal.SIGKILL):
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
        self._logf.close()
