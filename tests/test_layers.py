"""Layers that only point down (issue 11 item 1), read from the package's own import graph.

The graph is read with :mod:`ast` from every ``import`` and ``from ... import`` of an
``ocop_sim`` module anywhere in a file, inside functions too (an import inside a function is an
arrow all the same: it only hides a circle from the interpreter).  Relative imports are resolved.

* no import circle inside ``ocop_sim/`` (``importlib.import_module("ocop_sim.x")`` counts too);
* no import from a lower layer to a higher one, with the layers of :data:`LAYERS` (module-name
  prefixes, ground floor first: ``ocop_sim.cli`` matches ``ocop_sim.cli``, ``ocop_sim.cli_ops``
  and ``ocop_sim.cli.run``);
* every module over 400 lines says in its first docstring why it is that long.

``python tests/test_layers.py`` prints the measures that docs/architecture.md quotes.
"""
from __future__ import annotations

import ast
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "ocop_sim"

#: The layers, ground floor first: a module may import its own layer and the layers below it.
#: A module's layer is that of its longest matching prefix.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("ground floor", ("ocop_sim.version", "ocop_sim.axes", "ocop_sim.metrics", "ocop_sim.levers",
                      "ocop_sim.config", "ocop_sim.reading", "ocop_sim.texts_document", "ocop_sim.numbers", "ocop_sim.io",
                      "ocop_sim.signals", "ocop_sim.errors", "ocop_sim.assets", "ocop_sim.templates", "ocop_sim.markup",
                      "ocop_sim.bayes", "ocop_sim.scoring", "ocop_sim.locks")),
    ("domain", ("ocop_sim.packs", "ocop_sim.data", "ocop_sim.targets", "ocop_sim.posterior",
                "ocop_sim.scenarios", "ocop_sim.model", "ocop_sim.i18n")),
    ("runs", ("ocop_sim.timeloop", "ocop_sim.simulate", "ocop_sim.engine", "ocop_sim.engine_mc", "ocop_sim.results",
              "ocop_sim.executors", "ocop_sim.resources", "ocop_sim.streaming")),
    ("analysis", ("ocop_sim.inference", "ocop_sim.calibrate", "ocop_sim.sensitivity",
                  "ocop_sim.goalseek", "ocop_sim.optimize", "ocop_sim.sweep")),
    ("provenance and cache", ("ocop_sim.cache", "ocop_sim.checks", "ocop_sim.provenance")),
    ("reporting", ("ocop_sim.report", "ocop_sim.document", "ocop_sim.trust", "ocop_sim.calibration_report",
                   "ocop_sim.plots", "ocop_sim.excel", "ocop_sim.pdf", "ocop_sim.fmt", "ocop_sim.guide")),
    ("user interfaces", ("ocop_sim.cli", "ocop_sim.app", "ocop_sim.widgets", "ocop_sim.__main__")),
)

#: The package's face (``ocop_sim/__init__.py``) hands the main names on: it stands above all.
FACE = "ocop_sim"

LONG = 400  # lines

#: Imports of our own modules inside functions, at most (a ratchet: 295 before issue 11 item 1;
#: those left say why: numba or scipy loaded only when used, the CLI's commands loading their
#: working modules when they run, so that --help and argument errors stay fast).
MAX_IN_FUNCTION = 63


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imports(mods: dict[str, Path] | None = None) -> list[tuple[str, str, int, bool]]:
    """Every import of a package module: (importer, imported, line, inside a function).

    ``import``, ``from ... import`` (relative ones resolved) and ``importlib.import_module`` of a
    constant name, wherever they stand."""
    mods = modules() if mods is None else mods
    out = []
    for name, path in mods.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))

        def visit(node, in_function: bool) -> None:
            for child in ast.iter_child_nodes(node):
                inside = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
                targets: list[str] = []
                if isinstance(child, ast.Import):
                    targets = [a.name for a in child.names]
                elif isinstance(child, ast.ImportFrom):
                    if child.level:
                        base = package.split(".")
                        base = base[:len(base) - (child.level - 1)]
                        base_name = ".".join(base + ([child.module] if child.module else []))
                    else:
                        base_name = child.module or ""
                    # ``from . import data`` imports the module ocop_sim.data; ``from .config import
                    # Scenario`` the module ocop_sim.config
                    targets = [f"{base_name}.{a.name}" if f"{base_name}.{a.name}" in mods else base_name
                               for a in child.names]
                elif (isinstance(child, ast.Call) and child.args and isinstance(child.args[0], ast.Constant)
                      and isinstance(child.args[0].value, str)
                      and getattr(child.func, "attr", getattr(child.func, "id", "")) == "import_module"):
                    targets = [child.args[0].value]  # importlib.import_module("ocop_sim.x") is an import too
                for target in dict.fromkeys(targets):
                    while target and target not in mods:
                        target = target.rpartition(".")[0]
                    if target and target.split(".")[0] == "ocop_sim" and target != name:
                        out.append((name, target, child.lineno, inside))
                visit(child, inside)

        visit(tree, False)
    return out


def layer_of(name: str) -> int | None:
    best, layer = -1, None
    for i, (_, prefixes) in enumerate(LAYERS):
        for p in prefixes:
            # a prefix matches the module itself, its submodules and its underscore siblings
            # (ocop_sim.cli: ocop_sim.cli, ocop_sim.cli.run, ocop_sim.cli_ops)
            if (name == p or name.startswith(p + ".") or name.startswith(p + "_")) and len(p) > best:
                best, layer = len(p), i
    return layer


def cycles(edges) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), each sorted."""
    graph: dict[str, set[str]] = {}
    for a, b, *_ in edges:
        graph.setdefault(a, set()).add(b)
        graph.setdefault(b, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found = []
    sys.setrecursionlimit(max(10_000, sys.getrecursionlimit()))

    def strong(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            strong(v)
    return found


def upward(edges) -> list[str]:
    """Imports from a lower layer to a higher one, one readable line each."""
    bad = []
    for a, b, line, inside in edges:
        if a == FACE:
            continue
        la, lb = layer_of(a), layer_of(b)
        if b == FACE or (lb is not None and (la is None or lb > la)):
            where = LAYERS[la][0] if la is not None else "no layer"
            goes = LAYERS[lb][0] if b != FACE else "the package's face"
            bad.append(f"{a} ({where}) imports {b} ({goes}) at line {line}{' inside a function' if inside else ''}")
    return bad


def in_function_count(edges=None) -> int:
    """Import statements of package modules that stand inside a function."""
    edges = imports() if edges is None else edges
    return len({(a, line) for a, _, line, inside in edges if inside})


def long_modules() -> dict[str, int]:
    return {name: n for name, path in modules().items()
            if (n := len(path.read_text(encoding="utf-8").splitlines())) > LONG}


def reason_given(path: Path) -> bool:
    doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
    return f"Longer than {LONG} lines because" in " ".join(doc.split())


# ----------------------------------------------------------------------------- tests


def test_every_module_has_a_layer():
    missing = [m for m in modules() if m != FACE and layer_of(m) is None]
    assert not missing, f"modules in no layer of tests/test_layers.py LAYERS: {', '.join(missing)}"


def test_no_import_circle():
    edges = imports()
    found = cycles(edges)
    ties = []
    for c in found:
        ties += [f"  {a} imports {b} at line {line}" for a, b, line, _ in edges if a in c and b in c]
    assert not found, ("import circles inside ocop_sim/ (imports inside functions count):\n"
                       + "\n".join(" <-> ".join(c) for c in found) + "\ntied by:\n" + "\n".join(ties))


def test_imports_point_down():
    bad = upward(imports())
    assert not bad, f"{len(bad)} imports run from a lower layer to a higher one:\n" + "\n".join(bad)


def test_imports_inside_functions_do_not_grow():
    n = in_function_count()
    print(f"imports of ocop_sim modules inside functions: {n}")
    assert n <= MAX_IN_FUNCTION, (f"{n} imports of our own modules stand inside functions, expected at most "
                                  f"{MAX_IN_FUNCTION}: import at the top of the module (the layers have no circle)")


def test_long_modules_say_why():
    mods = modules()
    silent = sorted(f"{m} ({n} lines)" for m, n in long_modules().items() if not reason_given(mods[m]))
    assert not silent, (f"modules over {LONG} lines whose first docstring has no sentence starting "
                        f"'Longer than {LONG} lines because': " + ", ".join(silent))


def test_the_graph_reader_sees_what_it_must():
    """The reader is not blind: imports inside functions and relative imports are arrows."""
    edges = imports()
    pairs = {(a, b) for a, b, *_ in edges}
    assert ("ocop_sim.config", "ocop_sim.levers") in pairs
    assert layer_of("ocop_sim.cli_ops") == layer_of("ocop_sim.cli.run") == len(LAYERS) - 1
    assert layer_of("ocop_sim.report.tables") == layer_of("ocop_sim.report") == len(LAYERS) - 2
    assert layer_of("ocop_sim.errors") == 0


def measures() -> dict:
    edges = imports()
    mods = modules()
    largest = max(mods, key=lambda m: len(mods[m].read_text(encoding="utf-8").splitlines()))
    return {"modules": len(mods), "import circles": [len(c) for c in cycles(edges)],
            "imports against the layers": len(upward(edges)),
            "in-function imports of our modules": in_function_count(edges),
            "largest module": f"{largest} ({len(mods[largest].read_text(encoding='utf-8').splitlines())} lines)",
            "modules over 400 lines": len(long_modules())}


if __name__ == "__main__":
    for k, v in measures().items():
        print(f"{k}: {v}")
    for c in cycles(imports()):
        print("circle:", ", ".join(c))
    for line in upward(imports()):
        print("up:", line)
