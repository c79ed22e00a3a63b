"""What a batch's worker processes run: the simulation of one scenario (its Result handed to the
kernels, its bundle, CSVs and workbooks) and the rendering of one report (scenario, comparison,
calibration) followed by its done marker."""
from __future__ import annotations

import os
import traceback
from pathlib import Path

from ..cache import cache_dir, cache_key, cached_simulate
from ..i18n import t
from ..io import safe_child, staged_output
from .bundle import cached_bundle, save_bundle
from .markers import _write_record
from .render import (CALIBRATION_NOTEBOOK, COMPARE_NOTEBOOK, REPORT_NOTEBOOK, RenderOutcome,
                     init_worker_kernels, render)
from .tables import load_result, save_result

#: Name reserved in OUT (prefix of the batch's own hand-over folder, ``_cache.XXXX``).
CACHE_DIR = "_cache"
#: Posterior predictive draws of the calibration report's fit chart.
CALIBRATION_DRAWS = 300


def _worker_init(log: str | None = None) -> None:
    if log:  # kernels inherit this stderr: their start-up/shutdown chatter goes to the log
        fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        os.dup2(fd, 2)
        os.close(fd)
    os.environ.setdefault("MPLBACKEND", "Agg")
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    init_worker_kernels()


def _handoff(ld, res, hand: Path, draws: int | None, seed: int | None, use_cache: bool) -> Path:
    """Where the report kernels read ``res``: its entry in the result cache (verified, signed) when
    it has one, else a verified copy in the batch's own ``hand`` folder.  Absolute: kernels run
    in the report's folder."""
    if use_cache:
        p = cache_dir() / f"{cache_key(ld.scenario, draws, seed)}.npz"
        if p.is_file():
            return p.resolve()
    return save_result(res, safe_child(hand, f"{ld.scenario.name}.npz")).resolve()


def _simulate_task(ld, out: str, draws: int | None, seed: int | None, langs: tuple[str, ...],
                   use_cache: bool = True, precomputed: str | None = None, excel: bool = True,
                   handoff: str | None = None) -> dict:
    """Worker: simulate one loaded scenario (through the result cache), say where the kernels read
    its Result (:func:`_handoff`), compute its report bundle, write CSVs and the Excel workbooks
    as one set (staged, then moved into place together)."""
    try:
        name = ld.scenario.name
        hand = Path(handoff) if handoff else Path(out) / CACHE_DIR
        if precomputed:
            res = load_result(precomputed, ld.scenario)
            cache = Path(precomputed)
        else:
            res = cached_simulate(ld.scenario, draws=draws, seed=seed, use_cache=use_cache)
            cache = _handoff(ld, res, hand, draws, seed, use_cache)
        tab = res.attainment()
        # what every language's report computes (tornados, reality checks and their reruns): once,
        # here, while the kernels only format and draw
        bundle = save_bundle(hand, f"{name}.report", cached_bundle(ld, res, tab, use_cache))
        folder = safe_child(out, name)
        notes = []
        try:  # looked up here: optional, and tests replace it
            from ..excel import write_workbook
        except ImportError:
            write_workbook = None
            notes.append("excel: ocop_sim.excel not available, workbook skipped")
        with staged_output(folder, last=f"csv/{name}_manifest.json") as stage:  # the old set or the new, never a mix
            csvs = res.to_csv(safe_child(stage, "csv"))
            files = {"csv": [str(folder / Path(p).relative_to(stage)) for p in csvs]}
            if write_workbook is not None and excel:
                for lang in langs:
                    p = write_workbook(res, ld, safe_child(stage, f"{name}_{lang}.xlsx"), lang)
                    files[f"excel_{lang}"] = str(folder / Path(p).relative_to(stage))
        return {"ok": True, "name": name, "path": str(ld.path), "cache": str(cache), "bundle": str(bundle),
                "files": files, "notes": notes,
                "attainment": tab.to_dict("records"), "total_cost_bn_vnd": float(res.spending().to_numpy().sum()),
                "title": {"vi": ld.scenario.title.vi, "en": ld.scenario.title.en}}
    except Exception as exc:  # noqa: BLE001
        return {"ok": False, "path": str(ld.path), "name": Path(ld.path).stem, "error": f"{type(exc).__name__}: {exc}",
                "trace": traceback.format_exc(limit=3)}


def _render_marked(template: Path, params: dict, folder: Path, stem: str, title: str, name: str, lang: str,
                   timeout, key: dict | None) -> RenderOutcome:
    """:func:`render` in a warm kernel, then the done marker (so a marker proves whole files)."""
    o = render(template, params, folder, stem, title, name, lang, timeout, warm=True)
    if o.ok and key is not None:
        _write_record(folder, stem, key, {"files": o.files})
    return o


def _render_task(path: str, cache: str, out: str, name: str, lang: str, draws, seed, timeout,
                 title: str, template: str | None = None, key: dict | None = None,
                 bundle: str | None = None) -> RenderOutcome:
    """Worker: one scenario's report in one language; the kernel reads the Result at ``cache``."""
    folder = safe_child(out, name)
    params = {"scenario": str(Path(path).resolve()), "draws": draws, "seed": seed, "lang": lang,
              "output_dir": str(folder), "result_cache": str(Path(cache).resolve()),
              "report_bundle": str(Path(bundle).resolve()) if bundle else None}
    return _render_marked(Path(template) if template else REPORT_NOTEBOOK, params, folder, f"{name}_{lang}", title,
                          name, lang, timeout, key)


def _compare_task(paths: list[str], caches: list[str], out: str, lang: str, draws, seed, timeout,
                  key: dict | None = None) -> RenderOutcome:
    folder = safe_child(out, "compare")
    params = {"scenarios": [str(Path(p).resolve()) for p in paths], "result_caches": [str(Path(c).resolve()) for c in caches],
              "draws": draws, "seed": seed, "lang": lang, "output_dir": str(folder)}
    return _render_marked(COMPARE_NOTEBOOK, params, folder, f"compare_{lang}", t("compare_title", lang), "compare",
                          lang, timeout, key)


def _calibration_task(path: str, out: str, name: str, lang: str, seed, timeout, key: dict | None = None) -> RenderOutcome:
    folder = safe_child(out, "calibration")
    params = {"scenario": str(Path(path).resolve()), "draws": CALIBRATION_DRAWS, "seed": seed or 0, "lang": lang,
              "output_dir": str(folder)}
    return _render_marked(CALIBRATION_NOTEBOOK, params, folder, f"calibration_{lang}", t("cal_fit_title", lang),
                          "calibration", lang, timeout, key)
