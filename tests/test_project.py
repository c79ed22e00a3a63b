"""Project set-up: dependencies agree, README commands are the ones CI and users run."""
import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _norm(name: str) -> str:
    name = re.split(r"[<>=\[ ]", name.strip(), maxsplit=1)[0]
    return name.lower().replace("_", "-")


def test_environment_yml_lists_the_same_dependencies_as_pyproject():
    import tomllib

    py = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    deps = {_norm(d) for d in py["project"]["dependencies"]} | {_norm(d) for d in py["project"]["optional-dependencies"]["test"]}
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    conda = {_norm(d) for d in env["dependencies"] if isinstance(d, str)} - {"python", "pip"}
    # conda splits dask[distributed] into dask + distributed
    if "dask" in deps:
        deps.add("distributed")
    assert conda == deps, (conda ^ deps)


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    blocks = re.findall(r"```(?:bash|sh)?\n(.*?)```", readme, re.S)
    first_two = [line.split("#")[0].strip() for b in blocks[:1] for line in b.strip().splitlines()
                 if line.split("#")[0].strip()]
    assert first_two[:2] == ["make reports", "make test"]
    assert "make test" in ci


def test_notebooks_are_committed_without_outputs():
    import json

    for nb in sorted((ROOT / "notebooks").glob("*.ipynb")):
        data = json.loads(nb.read_text(encoding="utf-8"))
        for cell in data["cells"]:
            if cell["cell_type"] == "code":
                assert cell.get("outputs", []) == [] and cell.get("execution_count") is None, nb.name
                assert not re.search(r"^\s*(def|class)\s", "".join(cell["source"]), re.M), f"logic in {nb.name}"
