"""Catalogue of bad inputs (issue 6): each is run through the CLI in-process and must give
exit code 2, exactly one line on stderr starting with ``error:`` that names the file (or the
argument) and the field, and write nothing (neither into --out nor next to the input).

Also: HTML/script and formula text in scenario texts come out escaped in the HTML report and
as plain strings (never formulas) in the Excel workbook; bad actuals CSVs; bad Excel imports.
"""
from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from ocop_sim.cli import main

ROOT = Path(__file__).resolve().parents[1]
PARAMS = ROOT / "params"
OK = "name: s\ntargets: []\n"  # the smallest valid scenario (default horizon 2019–2035)

REGISTRY_HEAD = """registry: {id: r, title_vi: "Mục tiêu", title_en: "Targets", source: "test"}
targets:
  - id: t1
    metric: products_3star_plus
    year: 2025
    comparison: ">="
    value: 10
    label_vi: "Sản phẩm"
    label_en: "Products"
    source: "test"
"""


@dataclass
class Case:
    """A bad input: files to create under ``in/``, the argv, and the words the error must hold."""

    id: str
    files: dict[str, str | bytes]
    needles: tuple[str, ...]  # besides "error:"; "{in}" is replaced by the input folder
    argv: tuple[str, ...] = ("run", "{in}/s.yaml", "--mode", "expected", "--out", "{out}")
    extra_setup: Callable[[Path], None] | None = field(default=None)


def sc(text: str) -> dict[str, str]:
    return {"s.yaml": text}


BILLION_LAUGHS = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{c}: &{c} [{', '.join(['*' + p] * 9)}]\n" for p, c in zip("abcdefgh", "bcdefghi")) + "name: s\n"

CASES: list[Case] = [
    # --- the file itself
    Case("empty_file", sc(""), ("{in}/s.yaml", "empty file")),
    Case("only_comments", sc("# nothing here\n"), ("{in}/s.yaml", "empty file")),
    Case("not_yaml", sc("name: [unclosed\n"), ("{in}/s.yaml", "not valid YAML")),
    Case("yaml_with_tabs", sc("name: s\nhorizon:\n\tstart: 2019\n"), ("{in}/s.yaml", "not valid YAML", "\\t")),
    Case("duplicate_keys", sc("name: a\ntargets: []\nname: b\n"), ("{in}/s.yaml", "duplicate key 'name'")),
    Case("list_at_top", sc("- name: s\n- draws: 5\n"), ("{in}/s.yaml", "expected a mapping", "got list")),
    Case("scalar_at_top", sc("42\n"), ("{in}/s.yaml", "expected a mapping", "got int")),
    Case("non_text_key", sc(OK + "2020: 5\n"), ("{in}/s.yaml", "2020", "expected a text key")),
    Case("levers_is_list", sc(OK + "levers: [1, 2]\n"), ("{in}/s.yaml", "levers", "got list")),
    Case("horizon_is_text", sc(OK + "horizon: soon\n"), ("{in}/s.yaml", "horizon", "'soon'")),
    Case("huge_file", sc(OK + "#" + "x" * 1_100_000 + "\n"), ("{in}/s.yaml", "at most 1000000 bytes")),
    Case("non_utf8", {"s.yaml": "name: s\ntitle: {vi: 'Đồng Nai'}\n".encode("cp1258", errors="replace")
                      + b"\xff\xfe\n"}, ("{in}/s.yaml", "UTF-8")),
    Case("latin1_text", {"s.yaml": "name: s\ntitle: {en: 'caf\u00e9'}\n".encode("latin-1")}, ("{in}/s.yaml", "UTF-8")),
    Case("nul_byte", {"s.yaml": b"name: s\x00\ntargets: []\n"}, ("{in}/s.yaml", "NUL")),
    Case("missing_file", {}, ("{in}/s.yaml", "file not found")),
    Case("directory_not_file", {"s.yaml/keep": "x"}, ("{in}/s.yaml", "expected a file")),
    Case("billion_laughs", sc(BILLION_LAUGHS), ("{in}/s.yaml", "aliases are expanded", "alias bomb")),
    Case("many_aliases", sc(OK + "x: &x 1\ny: [" + ", ".join(["*x"] * 150) + "]\n"),
         ("{in}/s.yaml", "more than 100 alias uses")),
    Case("python_object_tag", sc("name: !!python/object:os.system {}\n"), ("{in}/s.yaml", "not valid YAML",
                                                                           "python/object")),
    Case("python_apply_tag", sc("name: s\ntargets: !!python/object/apply:os.system ['touch pwned']\n"),
         ("{in}/s.yaml", "not valid YAML", "python/object/apply")),
    Case("python_name_tag", sc("name: !!python/name:os.system\n"), ("{in}/s.yaml", "python/name")),
    Case("deeply_nested", sc("name: s\nx: " + "[" * 5000 + "]" * 5000 + "\n"), ("{in}/s.yaml", "YAML")),
    # --- keys and types
    Case("unknown_top_key", sc(OK + "draw: 5\n"), ("{in}/s.yaml", "draw:", "did you mean 'draws'")),
    Case("unknown_lever", sc(OK + "levers: {training_bn_vn: {2020: 1}}\n"),
         ("{in}/s.yaml", "levers.training_bn_vn", "did you mean 'training_bn_vnd'")),
    Case("unknown_assumption", sc(OK + "assumptions: {submision_rate: 0.2}\n"),
         ("{in}/s.yaml", "assumptions.submision_rate", "did you mean 'submission_rate'")),
    Case("unknown_horizon_key", sc(OK + "horizon: {begin: 2019}\n"), ("{in}/s.yaml", "horizon.begin", "unknown key")),
    Case("draws_text", sc(OK + "draws: many\n"), ("{in}/s.yaml", "draws", "'many'")),
    Case("seed_float", sc(OK + "seed: 1.5\n"), ("{in}/s.yaml", "seed", "fractional part")),
    Case("seed_negative", sc(OK + "seed: -3\n"), ("{in}/s.yaml", "seed", "-3")),
    Case("title_is_list", sc(OK + "title: [a, b]\n"), ("{in}/s.yaml", "title", "got list")),
    Case("assumption_is_text", sc(OK + "assumptions: {score_base: high}\n"),
         ("{in}/s.yaml", "assumptions.score_base", "'high'")),
    Case("assumption_is_bool", sc(OK + "assumptions: {score_scale: yes}\n"),
         ("{in}/s.yaml", "assumptions.score_scale", "yes/no value True")),
    Case("draws_is_bool", sc(OK + "draws: on\n"), ("{in}/s.yaml", "draws", "yes/no value True")),
    Case("budget_is_bool", sc(OK + "levers: {training_bn_vnd: {2020: no}}\n"),
         ("{in}/s.yaml", "levers.training_bn_vnd.2020", "yes/no value False")),
    # --- budgets
    Case("negative_budget", sc(OK + "levers: {training_bn_vnd: {2020: -1}}\n"),
         ("{in}/s.yaml", "levers.training_bn_vnd", ">= 0")),
    Case("nan_budget", sc(OK + "levers: {training_bn_vnd: {2020: .nan}}\n"),
         ("{in}/s.yaml", "levers.training_bn_vnd", "finite")),
    Case("inf_budget", sc(OK + "levers: {value_chain_bn_vnd: {2020: .inf}}\n"),
         ("{in}/s.yaml", "levers.value_chain_bn_vnd", "finite")),
    Case("absurd_budget", sc(OK + "levers: {training_bn_vnd: {2020: 1.0e+12}}\n"),
         ("{in}/s.yaml", "levers.training_bn_vnd", "<= 100000")),
    Case("budget_text", sc(OK + "levers: {training_bn_vnd: {2020: lots}}\n"),
         ("{in}/s.yaml", "levers.training_bn_vnd", "'lots'")),
    Case("empty_schedule", sc(OK + "levers: {training_bn_vnd: {}}\n"),
         ("{in}/s.yaml", "levers.training_bn_vnd", "empty mapping")),
    Case("fractional_count", sc(OK + "levers: {display_centres: {2020: 1.5}}\n"),
         ("{in}/s.yaml", "levers.display_centres", "whole count")),
    # --- probabilities
    Case("probability_above_one", sc(OK + "assumptions: {submission_rate: 1.5}\n"),
         ("{in}/s.yaml", "assumptions.submission_rate", "less than or equal to 1")),
    Case("probability_negative", sc(OK + "assumptions: {retry_prob: -0.1}\n"),
         ("{in}/s.yaml", "assumptions.retry_prob", "greater than or equal to 0")),
    Case("probability_nan", sc(OK + "assumptions: {central_pass_rate: .nan}\n"),
         ("{in}/s.yaml", "assumptions.central_pass_rate")),
    Case("training_share_above_one", sc(OK + "levers: {training_share_officials: 2}\n"),
         ("{in}/s.yaml", "levers.training_share_officials")),
    Case("thresholds_unordered", sc(OK + "assumptions: {threshold_3star: 80}\n"),
         ("{in}/s.yaml", "assumptions", "threshold_3star < threshold_4star")),
    # --- schedules and horizon
    Case("schedule_year_after_horizon", sc(OK + "levers: {training_bn_vnd: {2040: 1}}\n"),
         ("{in}/s.yaml", "levers.training_bn_vnd", "2019..2035", "2040")),
    Case("schedule_year_before_horizon", sc(OK + "levers: {training_bn_vnd: {2010: 1}}\n"),
         ("{in}/s.yaml", "levers.training_bn_vnd", "2010")),
    Case("schedule_year_fractional", sc(OK + "levers: {training_bn_vnd: {2020.5: 1}}\n"),
         ("{in}/s.yaml", "levers.training_bn_vnd", "4-digit integer year", "2020.5")),
    Case("schedule_year_text", sc(OK + "levers: {training_bn_vnd: {next year: 1}}\n"),
         ("{in}/s.yaml", "levers.training_bn_vnd", "'next year'")),
    Case("horizon_end_before_start", sc(OK + "horizon: {start: 2030, end: 2020}\n"),
         ("{in}/s.yaml", "horizon", "end > start")),
    Case("horizon_empty", sc(OK + "horizon: {start: 2025, end: 2025}\n"), ("{in}/s.yaml", "horizon", "end > start")),
    Case("horizon_too_long", sc(OK + "horizon: {start: 2000, end: 2100}\n"), ("{in}/s.yaml", "horizon", "60 years")),
    # --- draws
    Case("draws_zero_in_file", sc(OK + "draws: 0\n"), ("{in}/s.yaml", "draws", "greater than or equal to 1")),
    Case("draws_absurd_in_file", sc(OK + "draws: 1000000000\n"), ("{in}/s.yaml", "draws", "100000")),
    Case("draws_zero_cli", sc(OK), ("argument --draws", "draws in 1..100000", "0"),
         argv=("run", "{in}/s.yaml", "--draws", "0", "--out", "{out}")),
    Case("draws_absurd_cli", sc(OK), ("argument --draws", "draws in 1..100000"),
         argv=("run", "{in}/s.yaml", "--draws", "5000000000", "--out", "{out}")),
    # --- extends
    Case("extends_missing", sc(OK + "extends: nowhere.yaml\n"), ("{in}/s.yaml", "extends", "nowhere.yaml", "not found")),
    Case("extends_itself", sc(OK + "extends: s.yaml\n"), ("{in}/s.yaml", "extends", "cycle")),
    Case("extends_cycle", {"s.yaml": OK + "extends: b.yaml\n", "b.yaml": "extends: s.yaml\n"},
         ("{in}/", "extends", "cycle")),
    Case("extends_outside_params", {"s.yaml": OK + "extends: ../outside.yaml\n"}, ("{in}/s.yaml", "extends",
                                                                                   "--allow-outside"),
         extra_setup=lambda tmp: (tmp / "outside.yaml").write_text("draws: 5\n", encoding="utf-8")),
    Case("extends_absolute", sc(OK + "extends: /etc/passwd\n"), ("{in}/s.yaml", "extends", "/etc/passwd")),
    Case("extends_not_text", sc(OK + "extends: [a.yaml]\n"), ("{in}/s.yaml", "extends", "expected a file name")),
    Case("extends_nul", sc(OK + 'extends: "a\\0.yaml"\n'), ("{in}/s.yaml", "extends", "NUL")),
    Case("extends_bad_parent", {"s.yaml": OK + "extends: b.yaml\n", "b.yaml": "draws: [1]\n"},
         ("{in}/b.yaml (extended by {in}/s.yaml)", "draws", "got list")),
    # --- target registries
    Case("registry_missing", sc("name: s\ntargets: [targets/none.yaml]\n"),
         ("{in}/s.yaml", "targets.0", "not found")),
    Case("registry_escapes", sc("name: s\ntargets: [../../../etc/passwd]\n"),
         ("{in}/s.yaml", "targets.0", "inside the params folder")),
    Case("registry_bad_comparison", {"s.yaml": "name: s\ntargets: [targets/r.yaml]\n",
                                     "targets/r.yaml": REGISTRY_HEAD.replace('">="', '"=>"')},
         ("{in}/targets/r.yaml", "targets.0.comparison", "'=>'")),
    Case("registry_unknown_metric", {"s.yaml": "name: s\ntargets: [targets/r.yaml]\n",
                                     "targets/r.yaml": REGISTRY_HEAD.replace("metric: products_3star_plus",
                                                                             "metric: products_3star_pluss")},
         ("{in}/targets/r.yaml", "targets.0", "did you mean 'products_3star_plus'")),
    Case("registry_bad_target_id", {"s.yaml": "name: s\ntargets: [targets/r.yaml]\n",
                                    "targets/r.yaml": REGISTRY_HEAD.replace("id: t1", "id: 'T 1!'")},
         ("{in}/targets/r.yaml", "targets.0.id", "'T 1!'")),
    Case("registry_duplicate_target_ids", {"s.yaml": "name: s\ntargets: [targets/r.yaml]\n",
                                           "targets/r.yaml": REGISTRY_HEAD + REGISTRY_HEAD.split("targets:\n")[1]},
         ("{in}/targets/r.yaml", "unique target ids", "t1")),
    Case("registry_unknown_scope", {"s.yaml": "name: s\ntargets: [targets/r.yaml]\n",
                                    "targets/r.yaml": REGISTRY_HEAD.replace("    value: 10\n",
                                                                            "    value: 10\n    scope: mars\n")},
         ("{in}/targets/r.yaml", "targets.t1.scope", "pack dong_nai_2019", "'mars'")),
    Case("registry_scope_of_another_pack", {"s.yaml": "name: s\npack: quang_ninh_2019\ntargets: [targets/r.yaml]\n",
                                            "targets/r.yaml": REGISTRY_HEAD.replace("    value: 10\n",
                                                                                    "    value: 10\n    scope: bien_hoa\n")},
         ("{in}/targets/r.yaml", "targets.t1.scope", "pack quang_ninh_2019", "'bien_hoa'")),
    Case("registry_is_list", {"s.yaml": "name: s\ntargets: [targets/r.yaml]\n", "targets/r.yaml": "- 1\n"},
         ("{in}/targets/r.yaml", "expected a mapping")),
    Case("check_unknown_metric", sc(OK + "checks: [{id: c, kind: at_most, metric: products_5star_national, "
                                          "value: 0}]\n"),
         ("{in}/s.yaml", "checks.0", "unknown metric", "did you mean 'products_national_5star'")),
    # --- events
    Case("event_before_horizon", sc(OK + "events: [{type: criteria_change, year: 2010, score_shift: 1}]\n"),
         ("{in}/s.yaml", "events.0.year", "2019..2035", "2010")),
    Case("event_unknown_area", sc(OK + "events: [{type: merger, year: 2025, area: binh_phuc}]\n"),
         ("{in}/s.yaml", "events.0.area", "did you mean 'binh_phuoc'")),
    Case("event_unknown_type", sc(OK + "events: [{type: earthquake, year: 2025}]\n"),
         ("{in}/s.yaml", "events.0", "earthquake")),
    Case("event_unknown_assumption", sc(OK + "events: [{type: policy_change, year: 2025, "
                                              "assumption: central_pass_rat, value: 0.5}]\n"),
         ("{in}/s.yaml", "events.0", "did you mean 'central_pass_rate'")),
    Case("uncertainty_unknown", sc(OK + "uncertainty: {scor_base: {type: uniform, low: 1, high: 2}}\n"),
         ("{in}/s.yaml", "uncertainty", "did you mean 'score_base'")),
    Case("uncertainty_low_above_high", sc(OK + "uncertainty: {score_base: {type: uniform, low: 60, high: 50}}\n"),
         ("{in}/s.yaml", "uncertainty.score_base", "low < high")),
    Case("pack_unknown", sc(OK + "pack: dong_nai_202\n"), ("{in}/s.yaml", "pack", "did you mean 'dong_nai_2025'")),
    Case("geography_key_removed", sc(OK + "geography: dong_nai\n"), ("{in}/s.yaml", "geography", "unknown key", "pack")),
    # --- names
    Case("name_dotdot", sc("name: ../evil\ntargets: []\n"), ("{in}/s.yaml", "name", "'../evil'")),
    Case("name_slash", sc("name: a/b\ntargets: []\n"), ("{in}/s.yaml", "name", "'a/b'")),
    Case("name_nul", sc('name: "a\\0b"\ntargets: []\n'), ("{in}/s.yaml", "name", "\\x00")),
    Case("name_very_long", sc(f"name: {'n' * 300}\ntargets: []\n"), ("{in}/s.yaml", "name")),
    Case("name_html", sc("name: '<script>x</script>'\ntargets: []\n"), ("{in}/s.yaml", "name", "<script>")),
    Case("name_empty", sc("name: ''\ntargets: []\n"), ("{in}/s.yaml", "name")),
    Case("name_missing", sc("targets: []\n"), ("{in}/s.yaml", "name", "required")),
    # the batch's own outputs (v0.1: a scenario named calibration overwrote the calibration report)
    Case("name_reserved_calibration", sc("name: calibration\ntargets: []\n"), ("{in}/s.yaml", "name", "'calibration'")),
    Case("name_reserved_index", sc("name: index.html\ntargets: []\n"), ("{in}/s.yaml", "name", "'index.html'")),
    Case("name_reserved_kernels_log", sc("name: Kernels.log\ntargets: []\n"), ("{in}/s.yaml", "name", "'Kernels.log'")),
    Case("name_reserved_guide_page", sc("name: guide_vi.html\ntargets: []\n"), ("{in}/s.yaml", "name", "'guide_vi.html'")),
    # --- command-line arguments
    Case("jobs_negative", sc(OK), ("argument --jobs", "-1"), argv=("run", "{in}/s.yaml", "--jobs", "-1")),
    Case("jobs_zero", sc(OK), ("argument --jobs", "1..64"), argv=("run", "{in}/s.yaml", "--jobs", "0")),
    Case("lang_unknown", sc(OK), ("argument --lang", "'fr'"), argv=("run", "{in}/s.yaml", "--lang", "fr")),
    Case("seed_not_a_number", sc(OK), ("argument --seed", "'abc'"), argv=("run", "{in}/s.yaml", "--seed", "abc")),
    Case("mode_unknown", sc(OK), ("argument --mode", "'fast'"), argv=("run", "{in}/s.yaml", "--mode", "fast")),
    Case("unknown_option", sc(OK), ("--frobnicate",), argv=("run", "{in}/s.yaml", "--frobnicate")),
    Case("scheduler_bad", sc(OK), ("argument --scheduler", "'http://x'"),
         argv=("run", "{in}/s.yaml", "--scheduler", "http://x")),
    Case("report_timeout_zero", sc(OK), ("argument --timeout", "1..86400"),
         argv=("report", "{in}/s.yaml", "--out", "{out}", "--timeout", "0")),
    Case("report_bad_scenario", sc(OK + "draws: -1\n"), ("{in}/s.yaml", "draws"),
         argv=("report", "{in}/s.yaml", "--out", "{out}", "--lang", "en")),
    Case("validate_missing_file", {}, ("{in}/s.yaml", "file not found"), argv=("validate", "{in}/s.yaml")),
    Case("check_bad_scenario", sc(OK + "levers: {training_bn_vnd: {2020: -5}}\n"),
         ("{in}/s.yaml", "levers.training_bn_vnd"), argv=("check", "{in}/s.yaml")),
    Case("export_not_xlsx", sc(OK), ("--out", ".xlsx"), argv=("export-xlsx", "{in}/s.yaml", "--out", "{out}/x.csv")),
    Case("import_not_xlsx", {"book.xlsx": "scope,metric\n1,2\n"}, ("{in}/book.xlsx", "not one"),
         argv=("import-xlsx", "{in}/book.xlsx", "--scenario", str(PARAMS / "smoke.yaml"), "--out", "{out}/n.yaml")),
    Case("import_missing_workbook", {}, ("{in}/book.xlsx", "no such file"),
         argv=("import-xlsx", "{in}/book.xlsx", "--out", "{out}/n.yaml")),
    Case("goal_seek_unknown_target_id", {}, ("--target", "did you mean 't2025_products_3star_plus'"),
         argv=("goal-seek", str(PARAMS / "smoke.yaml"), "--target", "t2025_products_3star_pluss", "--lever",
               "training_bn_vnd", "--out", "{out}/g.yaml")),
    Case("goal_seek_unknown_lever", {}, ("--lever", "did you mean 'training_bn_vnd'"),
         argv=("goal-seek", str(PARAMS / "smoke.yaml"), "--target", "t2025_products_3star_plus", "--lever",
               "training_bn_vn", "--out", "{out}/g.yaml")),
    Case("sensitivity_unknown_metric", {}, ("--metric", "products_3star_pluss"),
         argv=("sensitivity", str(PARAMS / "smoke.yaml"), "--metric", "products_3star_pluss", "--year", "2025",
               "--out", "{out}/s.csv")),
    Case("reproduce_missing_manifest", {}, ("{in}/m.json", "not found"), argv=("reproduce", "{in}/m.json")),
    Case("reproduce_not_json", {"m.json": "name: s\n"}, ("{in}/m.json", "invalid JSON"),
         argv=("reproduce", "{in}/m.json")),
]


# --- issue 12: numbers, schedules, registries, output folders, manifests
_BIG_SCHEDULE = "name: s\ntargets: []\nlevers:\n  training_bn_vnd: {" + ", ".join(f"{2000 + i}: 1" for i in range(30_000)) + "}\n"
CASES += [
    Case("quoted_int_seed", sc(OK + "seed: '42'\n"), ("{in}/s.yaml", "seed", "expected a number", "'42'", "without quotes")),
    Case("quoted_float_seed", sc(OK + "seed: '1.5'\n"), ("{in}/s.yaml", "seed", "expected a number", "'1.5'")),
    Case("quoted_draws", sc(OK + "draws: '20'\n"), ("{in}/s.yaml", "draws", "expected a number")),
    Case("quoted_assumption", sc(OK + "assumptions: {submission_rate: '0.5'}\n"),
         ("{in}/s.yaml", "assumptions.submission_rate", "expected a number")),
    Case("arabic_indic_year_key", sc(OK + "levers: {training_bn_vnd: {'٢٠٣٠': 3}}\n"),
         ("{in}/s.yaml", "levers.training_bn_vnd", "4-digit")),
    Case("underscore_year_key", sc(OK + "levers: {training_bn_vnd: {'2_030': 3}}\n"),
         ("{in}/s.yaml", "levers.training_bn_vnd", "4-digit")),
    Case("schedule_too_long", sc(OK + "levers: {training_bn_vnd: {" + ", ".join(f"{1900 + i}: 1" for i in range(300))
                                 + "}}\n"), ("{in}/s.yaml", "levers.training_bn_vnd", "at most 101 years", "300")),
    Case("schedule_100k_entries", sc(_BIG_SCHEDULE), ("{in}/s.yaml", "at most 20000 keys and items")),
    Case("registry_escapes_folder", sc("name: s\ntargets: [../../elsewhere.yaml]\n"), ("{in}/s.yaml", "targets.0")),
    Case("registry_absolute_path", sc("name: s\ntargets: [/etc/hostname]\n"), ("{in}/s.yaml", "targets.0")),
    Case("registry_not_a_mapping", {"s.yaml": "name: s\ntargets: [r.yaml]\n", "r.yaml": "- a list\n"},
         ("{in}/r.yaml", "expected a mapping with 'registry' and 'targets'")),
    Case("registry_quoted_value", {"s.yaml": "name: s\ntargets: [r.yaml]\n",
                                   "r.yaml": REGISTRY_HEAD.replace("value: 10", "value: '1_0'")},
         ("{in}/r.yaml", "value")),
    Case("out_is_a_file", {"s.yaml": OK, "taken": "a user's file\n"}, ("--out", "{in}/taken", "expected a folder"),
         argv=("run", "{in}/s.yaml", "--mode", "expected", "--out", "{in}/taken")),
    Case("report_out_is_a_file", {"s.yaml": OK, "taken": "a user's file\n"}, ("--out", "{in}/taken", "expected a folder"),
         argv=("report", "{in}/s.yaml", "--out", "{in}/taken", "--lang", "en")),
    Case("reproduce_seed_as_text", {"m.json": '{"resolved_scenario": {}, "scenario_hash": "x", "data_hash": "d", '
                                              '"mode": "expected", "seed": "42", "draws": 1}'},
         ("{in}/m.json", "seed", "expected int"), argv=("reproduce", "{in}/m.json")),
    Case("reproduce_manifest_is_a_list", {"m.json": "[1, 2]"}, ("{in}/m.json", "expected a JSON object"),
         argv=("reproduce", "{in}/m.json")),
]


def _listing(folder: Path) -> dict[str, int]:
    return {str(p.relative_to(folder)): p.stat().st_size for p in folder.rglob("*")}


def _run(case: Case, tmp_path: Path, capsys) -> tuple[int, list[str], str, Path]:
    inp = tmp_path / "in"
    inp.mkdir()
    for name, content in case.files.items():
        p = inp / name
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            p.write_bytes(content)
        else:
            p.write_text(content, encoding="utf-8")
    if case.extra_setup:
        case.extra_setup(tmp_path)
    out = tmp_path / "out"
    before = _listing(tmp_path)
    cwd_before = set(os.listdir(os.getcwd()))
    argv = [a.replace("{in}", str(inp)).replace("{out}", str(out)) for a in case.argv]
    capsys.readouterr()
    code = main(argv)
    cap = capsys.readouterr()
    err = [line for line in cap.err.splitlines() if line.strip()]
    assert _listing(tmp_path) == before, "files were written or changed"
    assert not out.exists() or not any(out.iterdir())
    assert set(os.listdir(os.getcwd())) == cwd_before, "stray files in the working folder"
    return code, err, str(inp), out


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_bad_input(case: Case, tmp_path, capsys):
    code, err, inp, _ = _run(case, tmp_path, capsys)
    assert code == 2, err
    assert len(err) == 1, err
    line = err[0]
    assert line.startswith("error:"), line
    for needle in case.needles:
        assert needle.replace("{in}", inp) in line, (needle, line)
    assert "Traceback" not in line


def test_catalogue_size_and_unique_ids():
    assert len(CASES) >= 45
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize("tag", ["!!python/object/apply:os.system", "!!python/object/apply:subprocess.call",
                                 "!!python/object/new:os.system"])
def test_no_code_runs_from_a_tag(tmp_path, tag, capsys):
    """A scenario whose tag would run ``touch <absolute path>`` under an unsafe YAML loader: the
    validation refuses it (exit 2) and the file does not exist afterwards (the test can fail: with
    ``yaml.unsafe_load`` the file appears)."""
    witness = tmp_path / "pwned"
    arg = f"['touch {witness}']" if "os.system" in tag else f"[['touch', '{witness}']]"
    (tmp_path / "s.yaml").write_text(f"name: s\ntargets: {tag} {arg}\n", encoding="utf-8")
    assert main(["validate", str(tmp_path / "s.yaml")]) == 2
    assert "not valid YAML" in capsys.readouterr().err
    assert not witness.exists()


# ----------------------------------------------------------------------------- escaping in HTML and Excel

EVIL_TITLE = '<script>alert("x")</script><img src=x onerror=alert(1)>'
EVIL_DESC = "=HYPERLINK(\"http://evil\",\"click\") & <b>bold</b>"
FORMULAS = ("=1+1", "+SUM(A1)", "-2+3", "@SUM(A1)", "=cmd|' /C calc'!A0")


@pytest.fixture(scope="module")
def evil(tmp_path_factory):
    from ocop_sim import load, simulate

    folder = tmp_path_factory.mktemp("evil")
    import yaml

    (folder / "evil.yaml").write_text(yaml.safe_dump({
        "name": "evil", "targets": [],
        "title": {"vi": FORMULAS[0], "en": EVIL_TITLE},
        "description": {"vi": FORMULAS[1] + " " + EVIL_TITLE, "en": EVIL_DESC},
        "events": [{"type": "criteria_change", "year": 2023, "label": FORMULAS[3] + EVIL_TITLE}],
        "checks": [{"id": "c", "kind": "at_most", "metric": "products_3star_plus", "value": 1e6,
                    "label_en": EVIL_TITLE, "label_vi": FORMULAS[2]}],
    }, allow_unicode=True), encoding="utf-8")
    ld = load(folder / "evil.yaml")
    return folder, ld, simulate(ld.scenario, mode="expected")


def test_html_in_texts_is_escaped_in_report_html(evil):
    from ocop_sim.checks import checks_html, run_checks
    from ocop_sim.report import header_html

    _, ld, res = evil
    for lang in ("en", "vi"):
        h = header_html(ld, res, lang) + checks_html(run_checks(ld.scenario, res), lang)
        assert "<script>" not in h and "<img" not in h and "<b>bold" not in h
        if lang == "en":
            assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in h


def test_html_in_texts_is_escaped_in_the_batch_index(evil, tmp_path):
    from ocop_sim.report import BatchResult, index_html

    _, ld, _ = evil
    sims = {"evil": {"ok": True, "name": "evil", "path": str(ld.path), "files": {}, "notes": [],
                     "attainment": [], "total_cost_bn_vnd": 1.0,
                     "title": {"vi": ld.scenario.title.vi, "en": ld.scenario.title.en}}}
    batch = BatchResult(out=tmp_path, failures=[("evil", "en", EVIL_TITLE, 3)])
    h = index_html(tmp_path, [ld], sims, batch, ("en",), "en")
    assert "<script>" not in h and "<img" not in h and "&lt;script&gt;" in h


def test_formula_text_is_a_string_cell_in_excel(evil, tmp_path):
    from openpyxl import load_workbook

    from ocop_sim.excel import write_workbook

    _, ld, res = evil
    seen = set()
    for lang in ("en", "vi"):
        p = write_workbook(res, ld, tmp_path / f"evil_{lang}.xlsx", lang)
        wb = load_workbook(p)  # formulas as stored: a formula cell would have data_type 'f'
        for ws in wb.worksheets:
            for row in ws.iter_rows():
                for c in row:
                    if isinstance(c.value, str) and c.value[:1] in "=+-@":
                        assert c.data_type == "s", (ws.title, c.coordinate, c.value)
                        assert c.quotePrefix, (ws.title, c.coordinate, c.value)
                        seen.add(c.value)
                    assert c.data_type != "f", (ws.title, c.coordinate, c.value)
    assert FORMULAS[0] in seen  # the vi title reached the workbook and stayed text


# ----------------------------------------------------------------------------- actuals CSVs

ACT_HEAD = "scope,metric,kind_of_series,year,at,value,source_url\n"
ACTUALS_CASES = [
    ("empty_file", "", "header"),
    ("missing_columns", "scope,metric,value\nprovince,entities,3\n", "missing kind_of_series"),
    ("bad_scope", ACT_HEAD + "mars,entities,stock,,2021.5,3,u\n", "row 2: field scope"),
    ("bad_metric", ACT_HEAD + "province,entitys,stock,,2021.5,3,u\n", "row 2: field metric"),
    ("bad_kind", ACT_HEAD + "province,entities,stocks,,2021.5,3,u\n", "row 2: field kind_of_series"),
    ("bound_value", ACT_HEAD + "province,entities,stock,,2021.5,>240,u\n", "row 2: field value"),
    ("ratio_value", ACT_HEAD + "province,entities,stock,,2021.5,11/14,u\n", "row 2: field value"),
    ("text_value", ACT_HEAD + "province,entities,stock,,2021.5,many,u\n", "row 2: field value"),
    ("reversed_range", ACT_HEAD + "province,entities,stock,,2021.5,50-40,u\n", "row 2: field value"),
    ("empty_value", ACT_HEAD + "province,entities,stock,,2021.5,,u\n", "row 2: field value"),
    ("flow_year_text", ACT_HEAD + "province,new_entities,flow,soon,,3,u\n", "row 2: field year"),
    ("stock_at_missing", ACT_HEAD + "province,entities,stock,,,3,u\n", "row 2: field at"),
    ("at_out_of_range", ACT_HEAD + "province,entities,stock,,1800,3,u\n", "row 2: field at/year"),
    ("at_nan", ACT_HEAD + "province,entities,stock,,nan,3,u\n", "row 2: field at"),
    ("at_inf", ACT_HEAD + "province,entities,stock,,inf,3,u\n", "row 2: field at"),
    ("extra_fields", ACT_HEAD + "province,entities,stock,,2021.5,3,u,extra\n", "row 2"),
    ("second_row_bad", ACT_HEAD + "province,entities,stock,,2021.5,3,u\nprovince,entities,stock,,x,3,u\n",
     "row 3: field at"),
    ("nul_byte", ACT_HEAD + "province,entities,stock,,2021.5,3\x00,u\n", "row 2: field value"),
    ("non_utf8", (ACT_HEAD + "province,entities,stock,,2021.5,3,caf\u00e9\n").encode("latin-1"), "UTF-8"),
    ("huge_file", ACT_HEAD + "#" * 6_000_000 + "\n", "larger than"),
    ("binary_junk", bytes(range(256)) * 4, "UTF-8"),
]


@pytest.mark.parametrize("name, content, words", ACTUALS_CASES, ids=[c[0] for c in ACTUALS_CASES])
def test_bad_actuals_csv(tmp_path, name, content, words):
    from ocop_sim.data import FactsError, load_actuals_csv

    p = tmp_path / "actuals.csv"
    p.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    with pytest.raises(FactsError) as ei:
        load_actuals_csv(p)
    msg = str(ei.value)
    assert "\n" not in msg and str(p) in msg and words in msg, msg


@pytest.mark.parametrize("name, content, words", ACTUALS_CASES[:6], ids=[c[0] for c in ACTUALS_CASES[:6]])
def test_bad_actuals_of_a_pack_through_calibrate_cli(tmp_path, capsys, name, content, words):
    """A planner's own pack (a folder the history scenario names) with a bad actuals.csv: the
    calibrate command stops before sampling, with one line naming the file, and writes nothing."""
    import shutil

    from ocop_sim.packs import ACTUALS_FILE

    pack = tmp_path / "pack"
    shutil.copytree(ROOT / "ocop_sim" / "packs" / "dong_nai_2019", pack)
    p = pack / ACTUALS_FILE
    p.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    history = (PARAMS / "history.yaml").read_text(encoding="utf-8")
    assert "\npack: dong_nai_2019\n" in history
    sc = tmp_path / "history_own.yaml"
    sc.write_text(history.replace("\npack: dong_nai_2019\n", "\npack: pack\n"), encoding="utf-8")
    out = tmp_path / "posterior.npz"
    before = _listing(tmp_path)
    assert main(["calibrate", str(sc), "--out", str(out), "--quiet"]) == 2
    err = [x for x in capsys.readouterr().err.splitlines() if x.strip()]
    assert len(err) == 1 and err[0].startswith("error:") and str(p) in err[0] and words in err[0], err
    assert _listing(tmp_path) == before


# ----------------------------------------------------------------------------- Excel import


@pytest.fixture(scope="module")
def workbook(tmp_path_factory):
    folder = tmp_path_factory.mktemp("xl")
    p = folder / "smoke.xlsx"
    assert main(["export-xlsx", str(PARAMS / "smoke.yaml"), "--out", str(p), "--mode", "expected"]) == 0
    return p


def _edit(src: Path, dst: Path, fn) -> Path:
    from openpyxl import load_workbook

    wb = load_workbook(src)
    fn(wb)
    wb.save(dst)
    return dst


def _first_row(ws, key: str, col_key: str = "value"):
    from ocop_sim.excel import FIRST_DATA_ROW, KEY_ROW

    keys = [c.value for c in ws[KEY_ROW]]  # the hidden key row (row 1)
    return ws.cell(row=FIRST_DATA_ROW, column=keys.index(col_key) + 1)


XL_CASES = [
    ("header_key_edited", lambda wb: setattr(wb["levers"]["C1"], "value", "Value (bn)"), "levers!C1",
     "column key 'value'"),
    ("header_key_deleted", lambda wb: setattr(wb["assumptions"]["A1"], "value", None), "assumptions!A1",
     "column key 'name'"),
    ("levers_sheet_missing", lambda wb: wb.remove(wb["levers"]), "levers", "expected a sheet named 'levers'"),
    ("levers_sheet_renamed", lambda wb: setattr(wb["levers"], "title", "Levers2"), "levers", "renamed to"),
    ("manifest_sheet_missing", lambda wb: wb.remove(wb["manifest"]), "manifest", "sheet named 'manifest'"),
    ("lever_value_text", lambda wb: setattr(_first_row(wb["levers"], "value"), "value", "four"), "levers!",
     "'four'"),
    ("lever_value_negative", lambda wb: setattr(_first_row(wb["levers"], "value"), "value", -3), "levers!", "-3"),
    ("lever_year_text", lambda wb: setattr(_first_row(wb["levers"], "value", "year"), "value", "soon"), "levers!",
     "'soon'"),
    ("assumption_out_of_bounds", lambda wb: setattr(_first_row(wb["assumptions"], "value"), "value", 1e9),
     "assumptions!", "got 1e+09"),
    ("assumption_formula", lambda wb: setattr(_first_row(wb["assumptions"], "value"), "value", "=1/0"),
     "assumptions!", "formula"),
    ("duplicate_column_key", lambda wb: setattr(wb["levers"]["E1"], "value", "value"), "levers!", "twice"),
]


@pytest.mark.parametrize("name, fn, where, words", XL_CASES, ids=[c[0] for c in XL_CASES])
def test_bad_excel_import(workbook, tmp_path, capsys, name, fn, where, words):
    book = _edit(workbook, tmp_path / "edited.xlsx", fn)
    out = tmp_path / "out"
    out.mkdir()
    before = _listing(tmp_path)
    capsys.readouterr()
    code = main(["import-xlsx", str(book), "--scenario", str(PARAMS / "smoke.yaml"), "--out", str(out / "n.yaml")])
    err = [x for x in capsys.readouterr().err.splitlines() if x.strip()]
    assert code == 2, err
    assert len(err) == 1 and err[0].startswith(f"error: {book}"), err
    assert where in err[0] and words in err[0], err[0]
    assert _listing(tmp_path) == before


def test_untouched_workbook_imports(workbook, tmp_path, capsys):
    """Control for the Excel cases: the unedited workbook imports cleanly."""
    out = tmp_path / "n.yaml"
    assert main(["import-xlsx", str(workbook), "--scenario", str(PARAMS / "smoke.yaml"), "--out", str(out),
                 "--allow-outside"]) == 0
    assert out.exists() and "0 changed" in capsys.readouterr().out
