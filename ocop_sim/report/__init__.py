"""Scenario reports: table builders for the notebooks, the report bundle, papermill execution and
HTML export, the batch runner and the index page.

The notebooks in ``notebooks/`` are thin: they call :func:`load_run` and the ``*_html`` /
``*_frame`` builders (:mod:`.tables`) and :mod:`ocop_sim.plots`.  The batch runner
(:func:`run_batch`, :mod:`.batch`) loads every scenario once, simulates each once in worker
processes (:mod:`.workers`) (through the result cache: verified arrays, no pickle, :mod:`ocop_sim.cache`), computes
its :class:`ReportBundle` (:mod:`.bundle`) and then executes the report notebook per scenario ×
language with papermill *inside* long-lived worker processes (:mod:`.render`), so kernels only
render; done markers (:mod:`.markers`) let a later batch skip what is finished; :mod:`.index`
writes the index page.  Every file is written atomically (:mod:`ocop_sim.io`).

Submodules: ``tables``, ``bundle``, ``render``, ``markers``, ``workers``, ``batch``, ``index``.  The names
below are what notebooks, the CLI and tests use as ``report.<name>``; ``report.render`` is the
submodule (its function is ``report.render.render``).
"""
from __future__ import annotations

from ..i18n import t
from ..plots import cost_attainment, setup_figures
from .batch import BatchResult, run_batch, run_compare, validate_all
from .bundle import (BUNDLE_FORMAT, CHECK_DRAWS, ReportBundle, bundle_key, cached_bundle, compute_bundle,
                     load_bundle, report_bundle, save_bundle, summary_numbers)
from .index import index_html, write_index
from .markers import resume_key
from .render import (CALIBRATION_NOTEBOOK, COMPARE_NOTEBOOK, NOTEBOOKS, REPORT_NOTEBOOK, RenderOutcome, execute,
                     to_html)
from .tables import (AREA_YEARS, LANG_CHOICES, SENSITIVITY_METRIC, area_years, assumptions_table,
                     cost_per_product_frame, esc, evaluation_html, header_html, heading, key_sensitivities,
                     key_sensitivity_tables, load_result, load_run, load_runs, manifest_html, matrix_html,
                     outlook_html, probability_matrix, report_summary, save_result, sensitivity_years,
                     targets_html, targets_sections_html, trajectories)
from .workers import CACHE_DIR, CALIBRATION_DRAWS

__all__ = [
    "AREA_YEARS", "BUNDLE_FORMAT", "BatchResult", "CACHE_DIR", "CALIBRATION_DRAWS", "CALIBRATION_NOTEBOOK",
    "CHECK_DRAWS", "COMPARE_NOTEBOOK", "LANG_CHOICES", "NOTEBOOKS", "REPORT_NOTEBOOK", "RenderOutcome",
    "ReportBundle", "SENSITIVITY_METRIC", "area_years", "assumptions_table", "bundle_key", "cached_bundle",
    "compute_bundle", "cost_attainment", "cost_per_product_frame", "esc", "evaluation_html", "execute",
    "header_html", "heading", "index_html", "key_sensitivities", "key_sensitivity_tables", "load_bundle",
    "load_result", "load_run", "load_runs", "manifest_html", "matrix_html", "outlook_html", "probability_matrix",
    "report_bundle", "report_summary", "resume_key", "run_batch", "run_compare", "save_bundle", "save_result",
    "sensitivity_years", "setup_figures", "summary_numbers", "t", "targets_html", "targets_sections_html",
    "to_html", "trajectories", "validate_all", "write_index",
]
