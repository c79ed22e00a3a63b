"""The batch runner: every scenario simulated once in worker processes, its report rendered per
language in warm kernels (:mod:`ocop_sim.report.render`), the comparison and calibration reports,
the index page.  :func:`run_batch` plans (what is finished already), simulates and renders, and
reports progress to a callback.

Longer than 400 lines because the batch's stages (plan, simulate and render, finish) share one
set of futures, markers and failures; its worker tasks live apart (:mod:`.workers`).
"""
from __future__ import annotations

import multiprocessing as mp
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import as_completed
from dataclasses import dataclass, field
from pathlib import Path

from ..cache import cached_simulate
from ..executors import make_executor
from ..io import check_out_dir, safe_child
from ..locks import OutputLock
from ..resources import check_memory
from ..scenarios import ScenarioError, load
from ..signals import KillablePool, stop_on_signals
from .index import write_index
from .markers import _finished, _finished_sim, _posterior_digest, _write_sim_marker, resume_key
from .render import RenderOutcome
from .workers import (CACHE_DIR, CALIBRATION_DRAWS, _calibration_task, _compare_task, _handoff, _render_task,
                      _simulate_task, _worker_init)

#: A progress callback: ``callback(done, total)`` [steps] after every step (a simulation, a report).
Progress = Callable[[int, int], None]


@dataclass
class BatchResult:
    out: Path
    index: Path | None = None
    outcomes: list = field(default_factory=list)  # RenderOutcome
    failures: list = field(default_factory=list)  # (name, lang or '', error, cell)
    notes: list = field(default_factory=list)
    skipped: list = field(default_factory=list)  # (name, lang): finished earlier, outputs kept
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.failures

    def skip(self, name: str, lang: str, files: dict) -> None:
        """Record a report finished by an earlier run (its files are kept)."""
        self.outcomes.append(RenderOutcome(name, lang, True, files=files))
        self.skipped.append((name, lang))


def validate_all(paths: list[str]) -> list:
    """Load every scenario (ScenarioError on the first invalid one) and check output names."""
    loaded = [load(p, allow_outside=True) for p in paths]
    seen: dict[str, str] = {}
    for ld in loaded:
        name = ld.scenario.name
        if name in seen:
            raise ScenarioError(ld.path, "name", f"expected a unique scenario name, got {name!r} also in {seen[name]}")
        if name in (CACHE_DIR, "compare"):
            raise ScenarioError(ld.path, "name", f"expected a name other than {name!r} (reserved)")
        seen[name] = str(ld.path)
    return loaded


class TqdmProgress:
    """A progress callback drawing a tqdm bar, created at the first step: the pool's workers are
    forked at the first submits, before the bar's monitor thread exists."""

    def __init__(self) -> None:
        self._bar = None

    def __call__(self, done: int, total: int) -> None:
        if self._bar is None:
            from tqdm import tqdm

            self._bar = tqdm(total=total, desc="ocop-sim report", unit="step")
        self._bar.update(done - self._bar.n)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


# ----------------------------------------------------------------------------- the batch runner


@dataclass(frozen=True)
class _Settings:
    """A batch's settings (see :func:`run_batch`)."""

    out: Path
    hand: Path
    jobs: int
    langs: tuple
    draws: int | None
    seed: int | None
    timeout: float | None
    compare: bool
    template: str | None
    force: bool
    use_cache: bool
    calibration: str | None
    formats: tuple


@dataclass
class _Plan:
    """What is finished already (resume) and what the batch must do."""

    keys: dict  # scenario name -> resume key
    done: dict  # (name, lang) -> files of a finished report
    compare_done: dict  # lang -> files of a finished comparison report (or None)
    finished_sims: dict  # name -> recorded simulation outcome (every report of it finished)
    want_compare: bool
    total: int  # steps: a simulation, a report


def _plan(loaded: list, s: _Settings) -> _Plan:
    """Stage 1: the done markers of an earlier run (unless ``force``) and the steps left."""
    keys = {ld.scenario.name: resume_key(ld, s.draws, s.seed, s.template) for ld in loaded}
    done: dict[tuple[str, str], dict] = {}
    if not s.force:
        for ld in loaded:
            n = ld.scenario.name
            for lang in s.langs:
                files = _finished(s.out / n, f"{n}_{lang}", keys[n])
                if files is not None:
                    done[(n, lang)] = files
    want_compare = s.compare and len(loaded) > 1
    all_key = {"scenarios": [[ld.scenario.name, keys[ld.scenario.name]] for ld in loaded]}
    compare_done = {lang: _finished(s.out / "compare", f"compare_{lang}", all_key)
                    for lang in s.langs} if want_compare and not s.force else {}
    finished_sims: dict[str, dict] = {}  # scenarios with every report done: no simulation needed
    for ld in loaded:
        n = ld.scenario.name
        if want_compare and not all(compare_done.values()):
            break  # the comparison report needs every scenario's result
        if all((n, lang) in done for lang in s.langs):
            rec = _finished_sim(s.out / n, keys[n], s.langs if "xlsx" in s.formats else ())
            if rec is not None:
                finished_sims[n] = rec
    total = len(loaded) * (1 + len(s.langs)) + (len(s.langs) if want_compare else 0)
    return _Plan(keys, done, compare_done, finished_sims, want_compare, total)


def _presimulate(loaded: list, s: _Settings, scheduler: str | None) -> dict[str, str]:
    """With a Dask ``scheduler``: every scenario simulated there first (through the result cache),
    in chunks of draws; returns where each worker reads its Result (:func:`_handoff`)."""
    if not scheduler:
        return {}
    out = {}
    with make_executor(scheduler=scheduler) as ex:
        for ld in loaded:
            res = cached_simulate(ld.scenario, draws=s.draws, seed=s.seed, use_cache=s.use_cache, executor=ex)
            out[ld.scenario.name] = str(_handoff(ld, res, s.hand, s.draws, s.seed, s.use_cache))
    return out


@dataclass
class _Run:
    """Stage 2 in progress: the pool, its pending tasks and what came back."""

    pool: object
    s: _Settings
    plan: _Plan
    batch: BatchResult
    progress: Progress | None
    futs: dict = field(default_factory=dict)  # future -> (kind, info)
    sims: dict = field(default_factory=dict)  # name -> simulation outcome
    steps: int = 0
    compare_sent: bool = False

    def step(self, n: int = 1) -> None:
        self.steps += n
        if self.progress is not None and n:
            self.progress(self.steps, self.plan.total)

    def submit(self, kind: str, info, fn, *args) -> None:
        self.futs[self.pool.submit(fn, *args)] = (kind, info)


def _submit_calibration(run: _Run, loaded: list) -> None:
    s = run.s
    cal = next((ld for ld in loaded if s.calibration and ld.scenario.name == s.calibration), None)
    if cal is None:
        return
    ckey = {"calibration": run.plan.keys[cal.scenario.name], "cal_draws": CALIBRATION_DRAWS,
            "posterior": _posterior_digest(cal.scenario)}
    for lang in s.langs:
        files = None if s.force else _finished(s.out / "calibration", f"calibration_{lang}", ckey)
        if files is not None:
            run.batch.skip("calibration", lang, files)
            continue
        run.plan.total += 1
        run.submit("calibration", "calibration", _calibration_task, str(cal.path), str(s.out), cal.scenario.name, lang,
                   s.seed, s.timeout, ckey)


def _on_simulated(run: _Run, r: dict) -> None:
    """A scenario simulated: its marker, then its reports (those not finished earlier)."""
    s = run.s
    if not r["ok"]:
        run.batch.failures.append((r["name"], "", r["error"], None))
        run.step(len(s.langs))
        return
    run.sims[r["name"]] = r
    _write_sim_marker(s.out / r["name"], run.plan.keys[r["name"]], r)
    run.batch.notes += [f"{r['name']}: {n}" for n in r["notes"]]
    for lang in s.langs:
        files = run.plan.done.get((r["name"], lang))
        if files is not None:
            run.batch.skip(r["name"], lang, files)
            run.step()
            continue
        title = r["title"][lang] or r["name"]
        run.submit("render", r["name"], _render_task, r["path"], r["cache"], str(s.out), r["name"], lang, s.draws,
                   s.seed, s.timeout, title, str(s.template) if s.template else None, run.plan.keys[r["name"]],
                   r.get("bundle"))


def _submit_compare(run: _Run, loaded: list) -> None:
    """After every report: compare only scenarios whose reports all rendered."""
    s = run.s
    run.compare_sent = True
    bad = {n for n, *_ in run.batch.failures}
    ok = [run.sims[ld.scenario.name] for ld in loaded if ld.scenario.name in run.sims and ld.scenario.name not in bad]
    if len(ok) <= 1:
        run.step(len(s.langs))
        return
    ckey = {"scenarios": [[r["name"], run.plan.keys[r["name"]]] for r in ok]}
    for lang in s.langs:
        files = None if s.force else _finished(s.out / "compare", f"compare_{lang}", ckey)
        if files is not None:
            run.batch.skip("compare", lang, files)
            run.step()
            continue
        run.submit("compare", "compare", _compare_task, [r["path"] for r in ok], [r["cache"] for r in ok], str(s.out),
                   lang, s.draws, s.seed, s.timeout, ckey)


def _simulate_and_render(loaded: list, s: _Settings, plan: _Plan, batch: BatchResult,
                         progress: Progress | None, precomputed: dict) -> dict:
    """Stage 2: simulations in worker processes, each scenario's reports as soon as its Result is
    ready, the comparison after every report; returns the simulation outcomes by name."""
    # fork: workers start fast and inherit the imported package (and the loaded scenarios)
    ctx = mp.get_context("fork") if hasattr(os, "fork") else None
    with KillablePool(max_workers=s.jobs, mp_context=ctx, initializer=_worker_init,
                      initargs=(str(safe_child(s.out, "kernels.log")),)) as pool:
        run = _Run(pool, s, plan, batch, progress)
        for ld in loaded:
            if ld.scenario.name not in plan.finished_sims:
                run.submit("sim", ld, _simulate_task, ld, str(s.out), s.draws, s.seed, tuple(s.langs), s.use_cache,
                           precomputed.get(ld.scenario.name), "xlsx" in s.formats, str(s.hand))
        _submit_calibration(run, loaded)
        for n, rec in plan.finished_sims.items():
            run.sims[n] = rec
            for lang in s.langs:
                batch.skip(n, lang, plan.done[(n, lang)])
        run.step(len(plan.finished_sims) * (1 + len(s.langs)))
        if not run.futs and plan.want_compare:  # everything finished earlier, the comparison included
            run.compare_sent = True
            for lang, files in plan.compare_done.items():
                batch.skip("compare", lang, files)
                run.step()
        while run.futs:
            fut = next(as_completed(run.futs))
            kind, info = run.futs.pop(fut)
            try:
                r = fut.result()
            except Exception as exc:  # noqa: BLE001 - a worker died
                r = None
                name = info.scenario.name if kind == "sim" else (info if isinstance(info, str) else "?")
                batch.failures.append((name, "", f"{type(exc).__name__}: {exc}", None))
            if kind == "sim" and r is not None:
                _on_simulated(run, r)
            elif r is not None:  # a report: scenario, comparison or calibration
                batch.outcomes.append(r)
                if not r.ok:
                    batch.failures.append((r.name, r.lang, r.error, r.cell))
            run.step()
            pending = any(k in ("sim", "render") for k, _ in run.futs.values())
            if plan.want_compare and not run.compare_sent and not pending:
                _submit_compare(run, loaded)
    return run.sims


def _finish(loaded: list, s: _Settings, sims: dict, batch: BatchResult, keep_cache: bool) -> None:
    """Stage 3: PDFs (one Chromium session prints every report rendered or kept), the index page."""
    if "pdf" in s.formats:
        from ..pdf import PdfError, add_pdfs  # Playwright: only when PDFs are asked for

        try:
            add_pdfs(batch.outcomes)
        except PdfError as exc:
            batch.failures.append(("pdf", "", str(exc), None))
    batch.index = write_index(s.out, loaded, sims, batch, s.langs)
    if keep_cache:
        batch.notes.append(f"results handed to the kernels kept in {s.hand}")


def _run_batch(loaded: list, out: Path, handoff: str, progress: Progress | None = None, keep_cache: bool = False,
               scheduler: str | None = None, **settings) -> BatchResult:
    """:func:`run_batch` once its checks are done and its lock is held: plan, simulate and render,
    finish (``settings``: the fields of :class:`_Settings`)."""
    t0 = time.perf_counter()
    s = _Settings(out=Path(out), hand=Path(handoff), **settings)
    s.out.mkdir(parents=True, exist_ok=True)
    batch = BatchResult(out=s.out)
    plan = _plan(loaded, s)
    precomputed = _presimulate(loaded, s, scheduler)
    sims = _simulate_and_render(loaded, s, plan, batch, progress, precomputed)
    _finish(loaded, s, sims, batch, keep_cache)
    batch.seconds = time.perf_counter() - t0
    return batch


def run_batch(paths: list[str], out: str | Path, jobs: int = 2, langs: tuple[str, ...] = ("vi", "en"),
              draws: int | None = None, seed: int | None = None, timeout: float | None = 600,
              compare: bool = True, progress: bool | Progress = True, keep_cache: bool = False,
              template: str | Path | None = None, force: bool = False, use_cache: bool = True,
              scheduler: str | None = None, calibration: str | None = "history",
              formats: tuple[str, ...] = ("html", "xlsx")) -> BatchResult:
    """Render every scenario in every language (+ the comparison report) into ``out``.

    Before any work: the scenarios are loaded and validated, once (a ScenarioError or
    OutputPathError propagates before anything is written); ``out`` must be (or become) a writable
    folder; the run must fit in memory (:func:`ocop_sim.resources.check_memory`); and this process
    takes the folder's lock (:class:`ocop_sim.locks.OutputLock`: a second batch on the same ``out``
    fails at once, exit 2).

    Then three stages: *plan* (what an earlier run finished), *simulate and render* (worker
    processes simulate each scenario once, through the result cache of :mod:`ocop_sim.cache`
    unless ``use_cache`` is False, and execute the report notebooks with papermill in-process as
    soon as a scenario's result is ready), *finish* (PDFs, index page).  With ``scheduler`` (a Dask
    address or ``local-dask``) the simulations run on that cluster first, in chunks of draws;
    kernels always run here, where the files are.

    The kernels read each Result from the result cache (its signed entry); without one (``--no-cache``,
    an unwritable cache) from a folder of the batch's own (``tempfile.mkdtemp`` in ``out``), which
    also holds the report bundles and is removed at the end unless ``keep_cache``; nothing else in
    ``out`` is ever removed (a user's ``out/_cache/`` survives).

    Resume: a report whose done-marker (``.done_<name>_<lang>.json``, written after its files)
    records the same scenario hash, draws, seed, template and versions, and whose files all exist,
    is skipped unless ``force``; a batch killed midway therefore completes only what is missing.

    ``progress``: True draws a progress bar (:class:`TqdmProgress`), or a callback
    ``progress(done, total)``.  ``calibration``: the name of the scenario (if in the batch) whose
    calibration and backtest report (``notebooks/calibration.ipynb``) is rendered into
    ``out/calibration/``.  ``formats``: besides the notebook and HTML (always written: the index
    links them and PDFs are printed from them), ``"xlsx"`` writes the Excel workbooks and ``"pdf"``
    prints every rendered HTML to a PDF beside it (:mod:`ocop_sim.pdf`, headless Chromium).
    """
    loaded = validate_all(paths)
    out = Path(out)
    for ld in loaded:  # refuse unsafe names before anything runs
        for lang in langs:
            safe_child(safe_child(out, ld.scenario.name), f"{ld.scenario.name}_{lang}.html")
    for ld in loaded:
        check_memory(ld.scenario, draws, label=str(ld.path))
    check_out_dir(out)
    callback = TqdmProgress() if progress is True else (progress or None)
    with stop_on_signals(), OutputLock(out):
        hand = Path(tempfile.mkdtemp(prefix=f"{CACHE_DIR}.", dir=out))
        try:
            return _run_batch(loaded=loaded, out=out, handoff=str(hand), progress=callback, keep_cache=keep_cache,
                              scheduler=scheduler, jobs=jobs, langs=tuple(langs), draws=draws, seed=seed,
                              timeout=timeout, compare=compare, template=template, force=force,
                              use_cache=use_cache, calibration=calibration, formats=tuple(formats))
        finally:
            if isinstance(callback, TqdmProgress):
                callback.close()
            if not keep_cache:  # the handed-over results and bundles: only this run's
                shutil.rmtree(hand, ignore_errors=True)


def run_compare(paths: list[str], out: str | Path, langs: tuple[str, ...] = ("en",), draws: int | None = None,
                seed: int | None = None, timeout: float | None = 600, use_cache: bool = True) -> BatchResult:
    """Render only the comparison report (simulating in this process, through the result cache)."""
    loaded = validate_all(paths)
    out = Path(out)
    for ld in loaded:
        check_memory(ld.scenario, draws, label=str(ld.path))
    check_out_dir(out)
    batch = BatchResult(out=out)
    with stop_on_signals(), OutputLock(out):
        hand = Path(tempfile.mkdtemp(prefix=f"{CACHE_DIR}.", dir=out))  # this run's own, removed below
        try:
            caches = []
            for ld in loaded:
                res = cached_simulate(ld.scenario, draws=draws, seed=seed, use_cache=use_cache)
                caches.append(str(_handoff(ld, res, hand, draws, seed, use_cache)))
            for lang in langs:
                r = _compare_task([str(ld.path) for ld in loaded], caches, str(out), lang, draws, seed, timeout)
                batch.outcomes.append(r)
                if not r.ok:
                    batch.failures.append((r.name, r.lang, r.error, r.cell))
        finally:
            shutil.rmtree(hand, ignore_errors=True)
    return batch
