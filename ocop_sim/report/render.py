"""Execution and export of the report notebooks: papermill in warm kernels (forked from a kernel
template per worker), nbconvert's HTML exporter, and :func:`render` (notebook + HTML, atomically).

Longer than 400 lines because the kernel template, its forked-process handle, its provisioner and the warm
kernels are one mechanism (each refers to the others' process state), kept in one module.
Jupyter, papermill and nbconvert are imported where they are used: heavy, and needed only by
the processes that execute or export notebooks.
"""
from __future__ import annotations

import atexit
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from multiprocessing.util import Finalize
from pathlib import Path

from .. import assets
from ..io import atomic_write_text, safe_child, staged_output
from ..signals import install_worker_handler, stopping

NOTEBOOKS = assets.NOTEBOOKS_DIR  # inside the package in a wheel, beside it in a checkout
REPORT_NOTEBOOK = NOTEBOOKS / "scenario_report.ipynb"
COMPARE_NOTEBOOK = NOTEBOOKS / "compare_scenarios.ipynb"
CALIBRATION_NOTEBOOK = NOTEBOOKS / "calibration.ipynb"


@dataclass(frozen=True)
class RenderOutcome:
    """What happened to one notebook."""
    name: str
    lang: str
    ok: bool
    files: dict = field(default_factory=dict)  # kind -> path
    error: str = ""
    cell: int | None = None
    seconds: float = 0.0


def to_html(nb, title: str, lang: str | None = None) -> str:
    """Self-contained HTML of an executed notebook without code (images embedded as base64);
    ``lang`` (else the notebook's ``lang`` parameter) sets ``<html lang>``."""
    lang = lang or (nb.metadata.get("papermill", {}).get("parameters", {}).get("lang")) or "en"
    body, _ = _exporter(lang if lang in ("vi", "en") else "en").from_notebook_node(
        nb, resources={"metadata": {"name": title}})
    return body


_EXPORTERS: dict = {}


#: The reports' nbconvert template (``templates/nbconvert/ocop_report``): JupyterLab's without the
#: scripts it would load from the network (require.js, MathJax), so that a report reads offline.
REPORT_TEMPLATE = "ocop_report"


def _exporter(lang: str):
    """One HTML exporter per language and process: a new one compiles nbconvert's Jinja templates
    again (about half a second per report)."""
    if lang not in _EXPORTERS:
        from nbconvert import HTMLExporter

        _EXPORTERS[lang] = HTMLExporter(exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True,
                                        language_code=lang, template_name=REPORT_TEMPLATE,
                                        extra_template_basedirs=[str(assets.TEMPLATES_DIR / "nbconvert")])
    return _EXPORTERS[lang]


#: What a report kernel imports while it boots (before it accepts work): the package, pandas
#: and matplotlib, and what loading a scenario with a posterior imports (bayes: scipy.special).
#: The notebook still runs in a fresh kernel process of its own.
_PRELOAD = ("import ocop_sim.report, ocop_sim.plots, ocop_sim.results, ocop_sim.document, ocop_sim.data, "
            "ocop_sim.cache, ocop_sim.bayes, ocop_sim.checks, ocop_sim.targets, ocop_sim.posterior, "
            "matplotlib.pyplot, matplotlib_inline.backend_inline, IPython.display, pandas")
#: ``0`` starts every report kernel as a Python process of its own (``python -m ipykernel_launcher``)
#: instead of forking it from the worker's kernel template (:class:`_KernelTemplate`).
FORK_ENV = "OCOP_SIM_FORK_KERNELS"

# The kernel template: a process that imports ipykernel and what the reports import (_PRELOAD),
# then only forks.  Each child is one report's kernel: a new process (own session and process
# group), in the environment and folder jupyter_client asked for, that starts IPKernelApp as
# ``python -m ipykernel_launcher`` would.  The template never runs notebook code, so no report
# sees another's state; it only spares each kernel ~2 s of imports.  Children are reaped as they
# end; the template exits when its worker closes the pipe.
_TEMPLATE_CODE = r"""
import json, os, signal, sys, traceback
ctl_in, ctl_out = os.fdopen(os.dup(0), "rb"), os.fdopen(os.dup(1), "wb")
os.dup2(2, 1)  # whatever the imports print goes to the log, never into the answers
if sys.path and sys.path[0] == "":
    del sys.path[0]  # as ipykernel_launcher: the kernel puts it back
import ipykernel.kernelapp
exec(sys.argv[1])
def reap(*_):  # at once (no zombie), and into this process's CPU accounting (resource.RUSAGE_CHILDREN)
    while True:
        try:
            if os.waitpid(-1, os.WNOHANG)[0] == 0:
                return
        except ChildProcessError:
            return
signal.signal(signal.SIGINT, signal.SIG_IGN)
signal.signal(signal.SIGCHLD, reap)
for line in ctl_in:
    req = json.loads(line)
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            os.setsid()
            ctl_in.close()
            ctl_out.close()
            for sig in (signal.SIGINT, signal.SIGCHLD, signal.SIGTERM, signal.SIGPIPE):
                signal.signal(sig, signal.SIG_DFL)
            null = os.open(os.devnull, os.O_RDONLY)
            os.dup2(null, 0)
            os.dup2(2, 1)
            os.environ.clear()
            os.environ.update(req["env"])
            os.environ["JPY_PARENT_PID"] = str(os.getppid())
            if req.get("cwd"):
                os.chdir(req["cwd"])
            # the kernel ends with the template (the trait's default was read at import, without it)
            sys.argv = [sys.executable, *req["argv"], "--IPKernelApp.parent_handle=%d" % os.getppid()]
            ipykernel.kernelapp.launch_new_instance()
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 0
        except BaseException:
            traceback.print_exc()
        finally:
            os._exit(code)
    ctl_out.write(b"pid %d\n" % pid)
    ctl_out.flush()
"""


class _ForkedProcess:
    """A :class:`subprocess.Popen`-like handle of a kernel forked by the template (a child of the
    template, not of this process: it is watched by PID, and the template reaps it)."""
    stdin = stdout = stderr = None

    def __init__(self, pid: int) -> None:
        self.pid, self.returncode = pid, None

    def poll(self) -> int | None:
        if self.returncode is None:
            try:
                os.kill(self.pid, 0)
            except ProcessLookupError:
                self.returncode = 0  # gone (its exit status went to the template)
            except PermissionError:
                pass
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        t0 = time.monotonic()
        while self.poll() is None:
            if timeout is not None and time.monotonic() - t0 > timeout:
                raise subprocess.TimeoutExpired(str(self.pid), timeout)
            time.sleep(0.02)
        return self.returncode

    def send_signal(self, sig: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, sig)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)


class _KernelTemplate:
    """The worker's kernel template process (see ``_TEMPLATE_CODE``): :meth:`fork` returns the PID
    of a new kernel process, or None when the template cannot serve (the caller then launches
    the kernel the usual way)."""
    def __init__(self) -> None:
        from jupyter_client.kernelspec import KernelSpecManager

        self.python = os.path.realpath(sys.executable)
        argv = KernelSpecManager().get_kernel_spec("python3").argv
        # the kernel spec's interpreter options (e.g. -Xfrozen_modules=off): the template runs with them
        self.flags = argv[1:self._launcher(argv)] if self._launcher(argv) else []
        # the last argument names the run's runtime folder and this worker, as kernels' connection
        # files do: the template and every kernel forked from it carry it in their command line
        from jupyter_core.paths import jupyter_runtime_dir

        tag = str(Path(jupyter_runtime_dir()) / f"kernel-ocop-{os.getpid()}-template")
        self.proc = subprocess.Popen([sys.executable, *self.flags, "-c", _TEMPLATE_CODE, _PRELOAD, tag],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, close_fds=True)

    @staticmethod
    def _launcher(cmd: list[str]) -> int | None:
        """Index of ``-m ipykernel_launcher`` in a kernel command (None if it is not one)."""
        return next((i for i in range(1, len(cmd) - 1) if cmd[i:i + 2] == ["-m", "ipykernel_launcher"]), None)

    def fork(self, cmd: list[str], env: dict | None, cwd) -> int | None:
        i = self._launcher(cmd)
        if (i is None or cmd[1:i] != self.flags or os.path.realpath(cmd[0]) != self.python
                or self.proc.poll() is not None):
            return None
        try:
            req = {"argv": list(cmd[i + 2:]), "env": dict(os.environ if env is None else env),
                   "cwd": str(cwd) if cwd else None}
            self.proc.stdin.write(json.dumps(req).encode() + b"\n")
            self.proc.stdin.flush()
            line = self.proc.stdout.readline().strip()
        except (OSError, ValueError):
            return None
        return int(line[4:]) if line.startswith(b"pid ") and line[4:].isdigit() else None

    def close(self) -> None:
        try:
            self.proc.stdin.close()
            self.proc.wait(timeout=5)
        except Exception:  # noqa: BLE001 - stuck or gone: make sure it is gone
            self.kill()

    def kill(self) -> None:
        try:
            self.proc.kill()
        except OSError:
            pass


_TEMPLATE: _KernelTemplate | None = None


def _provisioner_class():
    """A jupyter_client provisioner that forks the kernel from this worker's template."""
    from jupyter_client.provisioning import LocalProvisioner

    class ForkProvisioner(LocalProvisioner):
        async def launch_kernel(self, cmd, **kwargs):
            pid = _TEMPLATE.fork(cmd, kwargs.get("env"), kwargs.get("cwd")) if _TEMPLATE is not None else None
            if pid is None:
                return await super().launch_kernel(cmd, **kwargs)
            self.process = _ForkedProcess(pid)
            self.pid = self.pgid = pid  # it leads its own session (the signal falls back to the PID before that)
            self.cwd = kwargs.get("cwd") or os.getcwd()
            return self.connection_info

    return ForkProvisioner


class _WarmKernels:
    """One kernel started ahead, per process: while a report renders or its HTML is written, the
    next report's kernel boots and imports the package, so kernels only render.

    Every notebook still gets a new kernel process (no state is shared between reports); each
    kernel is shut down right after its notebook.  A kernel that died while waiting is replaced.
    """
    def __init__(self) -> None:
        self._km = None

    @staticmethod
    def _start():
        # the async manager, as nbclient's own: nbclient then awaits it directly.  A blocking
        # manager would nest jupyter_core's run_sync, whose helper thread a forked worker lacks.
        from jupyter_client import AsyncKernelManager
        from jupyter_core.utils import run_sync

        if stopping():
            raise RuntimeError("the run is being stopped: no new kernel")
        km = AsyncKernelManager(kernel_name="python3", **_kernel_transport())
        if _TEMPLATE is not None:  # forked from the worker's template: the imports are done
            km.kernel_id = str(uuid.uuid4())
            km.provisioner = _provisioner_class()(kernel_id=km.kernel_id, kernel_spec=km.kernel_spec, parent=km)
        _STARTING.append(km)  # a signal while it boots must still find it (_kill_kernels)
        try:
            run_sync(km.start_kernel)(extra_arguments=[f"--IPKernelApp.exec_lines={_PRELOAD}"])
        finally:
            _STARTING.remove(km)
        return km

    @staticmethod
    def stop(km) -> None:
        from jupyter_core.utils import run_sync

        try:
            run_sync(km.shutdown_kernel)(now=True)
        except Exception:  # noqa: BLE001 - already dead: nothing to stop
            pass

    def take(self):
        from jupyter_core.utils import run_sync

        km, self._km = self._km, None
        if km is None or not run_sync(km.is_alive)():
            if km is not None:
                self.stop(km)
            km = self._start()
        return km

    def prepare(self) -> None:
        if self._km is None and not stopping():  # never boot a kernel while the run is being stopped
            try:
                self._km = self._start()
            except Exception:  # noqa: BLE001 - the next take() starts one (and reports its failure)
                self._km = None

    def close(self) -> None:
        if self._km is not None:
            self.stop(self._km)
            self._km = None


_WARM: _WarmKernels | None = None
#: the kernel executing a notebook in this process right now, and kernels booting (killed on SIGTERM)
_CURRENT_KM = None
_STARTING: list = []
#: Longest path of an IPC socket that fits in ``sockaddr_un`` (107 bytes on Linux) with its suffix.
_IPC_MAX_PATH = 100


def _kernel_transport() -> dict:
    """Kernel connection settings: IPC (Unix sockets, a private folder) rather than TCP on
    localhost where the platform and the socket path length allow, else TCP.  The connection
    file and the sockets live in Jupyter's runtime folder (``$JUPYTER_RUNTIME_DIR``), named per
    kernel, so that a stopped batch can remove exactly its own (:func:`_kill_kernels`)."""
    from jupyter_core.paths import jupyter_runtime_dir

    rt = Path(jupyter_runtime_dir())
    base = rt / f"kernel-ocop-{os.getpid()}-{uuid.uuid4().hex[:12]}"
    try:
        rt.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError:
        return {}
    settings = {"connection_file": str(base) + ".json"}
    if hasattr(os, "fork") and len(str(base)) + len("-ipc-5") <= _IPC_MAX_PATH:
        settings.update(transport="ipc", ip=str(base) + "-ipc")
    return settings


def _kill_kernels() -> None:
    """SIGTERM in a worker: kill this process's kernels (each leads its own process group) and
    remove their connection and IPC socket files.  Never waits for a graceful shutdown."""
    kms = [km for km in (_CURRENT_KM, getattr(_WARM, "_km", None), *_STARTING) if km is not None]
    for km in kms:
        proc = getattr(getattr(km, "provisioner", None), "process", None)
        pid = getattr(proc, "pid", None)
        if pid:
            try:
                os.killpg(pid, signal.SIGKILL)
            except OSError:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
        for clean in ("cleanup_connection_file", "cleanup_ipc_files"):
            try:
                getattr(km, clean)()
            except Exception:  # noqa: BLE001 - best effort while stopping
                pass
    if _TEMPLATE is not None:
        _TEMPLATE.kill()
    try:  # whatever is left of this process's kernels (their files carry its PID: ours alone)
        from jupyter_core.paths import jupyter_runtime_dir

        for f in Path(jupyter_runtime_dir()).glob(f"kernel-ocop-{os.getpid()}-*"):
            f.unlink(missing_ok=True)
    except OSError:
        pass


def execute(template: Path, parameters: dict, timeout: float | None = None, cwd: str | Path | None = None,
            warm: bool = False):
    """Execute a notebook in-process with papermill; returns the executed NotebookNode.

    ``warm``: take the kernel started ahead by this process (batch workers), and start the next one.
    """
    import papermill

    if not warm:
        return papermill.execute_notebook(str(template), None, parameters=parameters, kernel_name="python3",
                                          progress_bar=False, request_save_on_cell_execute=False,
                                          execution_timeout=timeout, cwd=str(cwd) if cwd else None,
                                          # the outputs are complete when the last cell ends; a graceful
                                          # shutdown costs ~0.5 s and occasionally stalls (DESIGN §6)
                                          shutdown_kernel="immediate")
    global _WARM
    if _WARM is None:
        _WARM = _WarmKernels()
        atexit.register(_WARM.close)
    global _CURRENT_KM
    km = _WARM.take()
    _CURRENT_KM = km
    try:
        return papermill.execute_notebook(str(template), None, parameters=parameters, kernel_name="python3",
                                          progress_bar=False, request_save_on_cell_execute=False,
                                          execution_timeout=timeout, km=km)
    finally:
        _WARM.stop(km)
        _CURRENT_KM = None
        _WARM.prepare()


def _public(path: Path) -> Path:
    """Reports are read by others (temporary files are created 0600)."""
    os.chmod(path, 0o644)
    return path


def render(template: Path, parameters: dict, out_dir: Path, stem: str, title: str, name: str, lang: str,
           timeout: float | None = None, warm: bool = False) -> RenderOutcome:
    """Execute ``template`` and write ``stem.ipynb`` and ``stem.html`` into ``out_dir`` atomically.

    A failure is returned (with the failing cell index), never raised; the executed notebook
    showing the error is kept as ``stem.failed.ipynb`` so it cannot pass for a finished report.
    """
    import nbformat

    t0 = time.perf_counter()
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    try:
        nb = execute(template, parameters, timeout, cwd=out_dir, warm=warm)
    except Exception as exc:  # noqa: BLE001 - isolate any failure of one report
        cell = getattr(exc, "cell_index", None)
        msg = (f"{getattr(exc, 'ename', type(exc).__name__)}: {getattr(exc, 'evalue', exc)}").strip()
        return RenderOutcome(name, lang, False, error=msg.splitlines()[0][:500] if msg else type(exc).__name__,
                             cell=cell, seconds=time.perf_counter() - t0)
    files = {}
    with staged_output(out_dir) as stage:  # notebook and HTML move into place together
        for kind, fname, text in (("notebook", f"{stem}.ipynb", nbformat.writes(nb)),
                                  ("html", f"{stem}.html", to_html(nb, title))):
            _public(atomic_write_text(safe_child(stage, fname), text))
            files[kind] = safe_child(out_dir, fname)
    return RenderOutcome(name, lang, True, files={k: str(v) for k, v in files.items()},
                         seconds=time.perf_counter() - t0)


def init_worker_kernels() -> None:
    """In a batch worker: the warm kernels and (unless ``OCOP_SIM_FORK_KERNELS=0``) the kernel
    template they fork from, both closed when the worker ends; SIGTERM/SIGINT kill the kernels."""
    import papermill  # noqa: F401  - warm the import once per worker
    import nbconvert  # noqa: F401

    global _WARM, _TEMPLATE
    _WARM = _WarmKernels()
    Finalize(_WARM, _WARM.close, exitpriority=10)  # workers end with os._exit: atexit would not run
    install_worker_handler(_kill_kernels)  # SIGTERM/SIGINT: kernels killed, their files removed
    if os.environ.get(FORK_ENV, "1") != "0" and hasattr(os, "fork"):
        try:  # imports while the worker's first task (a simulation) runs; kernels fork from it
            _TEMPLATE = _KernelTemplate()
            Finalize(_TEMPLATE, _TEMPLATE.close, exitpriority=5)  # after the kernels it forked
        except OSError:
            _TEMPLATE = None
    else:
        _WARM.prepare()  # boots while the worker's first task (a simulation) runs
