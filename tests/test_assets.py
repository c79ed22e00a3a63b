"""The package's notebooks and docs (ocop_sim.assets): in a checkout, the top-level folders."""
from pathlib import Path

from ocop_sim import assets, guide

ROOT = Path(__file__).resolve().parents[1]


def test_a_checkout_reads_the_top_level_notebooks_and_docs():
    root = ROOT  # an installed wheel has them inside the package instead (tests/test_wheel.py)
    assert assets.NOTEBOOKS_DIR.resolve() == (root / "notebooks").resolve()
    assert assets.notebook("scenario_report.ipynb").resolve() == (root / "notebooks" / "scenario_report.ipynb").resolve()
    assert assets.notebook("scenario_report.ipynb").is_file()
    assert assets.doc("guide.vi.md").is_file() and assets.DOCS_DIR.is_dir()
    assert guide.guide_path("vi") == assets.doc("guide.vi.md")
    assert guide.guide_path("en").name == "guide.en.md"


def test_a_missing_asset_is_a_path_that_does_not_exist():
    assert not assets.notebook("no_such.ipynb").exists()
    assert guide.guide_path("en") is not None
