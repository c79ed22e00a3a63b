"""The error hierarchy (ocop_sim.errors) and the CLI package's import rule."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

import ocop_sim.cli
from ocop_sim import bayes, cache, engine, executors, inference, io, numbers, packs, pdf, scenarios
from ocop_sim.cli import UsageError, main
from ocop_sim.data import FactsError
from ocop_sim.errors import InputError, OcopError

INPUT_ERRORS = [scenarios.ScenarioError, packs.PackError, FactsError, io.OutputPathError, io.OutputBusyError,
                numbers.NumberError, bayes.PosteriorFileError, UsageError]
FAILURES = [inference.CalibrationError, bayes.NotConvergedError, cache.CacheError, executors.TaskError,
            pdf.PdfError, engine.EngineUnavailable]


@pytest.mark.parametrize("cls", INPUT_ERRORS, ids=lambda c: c.__name__)
def test_input_errors_exit_2_and_stay_value_errors(cls):
    assert issubclass(cls, InputError) and issubclass(cls, ValueError)
    assert cls.exit_code == 2


@pytest.mark.parametrize("cls", FAILURES, ids=lambda c: c.__name__)
def test_failures_exit_1_and_keep_their_builtin_base(cls):
    assert issubclass(cls, OcopError) and not issubclass(cls, InputError)
    assert cls.exit_code == 1
    assert issubclass(cls, (ValueError, RuntimeError))


def test_the_errors_module_imports_nothing_of_ours():
    tree = ast.parse(Path(ocop_sim.errors.__file__).read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            assert node.level == 0 and not (node.module or "").startswith("ocop_sim"), ast.unparse(node)
        elif isinstance(node, ast.Import):
            assert not any(a.name.startswith("ocop_sim") for a in node.names), ast.unparse(node)


def test_cli_submodules_never_import_the_package_or_main():
    """No cycle inside ocop_sim.cli: only __init__ imports main, only main imports the command groups."""
    folder = Path(ocop_sim.cli.__file__).parent
    for f in sorted(folder.glob("*.py")):
        if f.name in ("__init__.py", "main.py"):
            continue
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                names = {a.name for a in node.names}
                if node.level == 1:
                    assert node.module not in ("main", None) or names <= {"options"}, f"{f.name}: {ast.unparse(node)}"
                if node.level == 2:
                    assert "cli" not in names, f"{f.name}: {ast.unparse(node)}"
                assert not (node.module or "").startswith("ocop_sim.cli"), f"{f.name}: {ast.unparse(node)}"


@pytest.mark.parametrize("exc, code, line", [
    (scenarios.ScenarioError("f.yaml", "levers", "bad"), 2, "error: f.yaml: levers: bad"),
    (cache.CacheError("entry x: bad signature"), 1, "internal error: CacheError: entry x: bad signature"),
    (RuntimeError("kaput"), 1, "internal error: RuntimeError: kaput"),
], ids=["input", "failure", "foreign"])
def test_main_maps_an_error_to_its_exit_code_in_one_line(monkeypatch, capsys, exc, code, line):
    from ocop_sim.cli import run

    def fail(*args, **kwargs):
        raise exc

    monkeypatch.setattr(run, "_load_all", fail)
    assert main(["validate", "x.yaml"]) == code
    assert capsys.readouterr().err == line + "\n"
