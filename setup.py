"""Packaging that pyproject.toml cannot say: the top-level ``notebooks/`` and ``docs/`` folders stay
the sources (the project's layout) and are built into the package as ``ocop_sim/notebooks`` and
``ocop_sim/docs``, so an installed wheel carries its report notebooks and the planners' guide
(:mod:`ocop_sim.assets` finds them there, or beside the package in a checkout).

A ``package-dir`` mapping needs its packages listed, and pyproject's ``packages.find`` cannot add
packages from outside ``ocop_sim/``: both are here; everything else is in pyproject.toml (package
data included: ``*.ipynb`` of the notebooks, the guides of the docs).
"""
from setuptools import find_namespace_packages, setup

#: Package in the installed tree -> the top-level folder it is built from.
ASSET_PACKAGES = {"ocop_sim.notebooks": "notebooks", "ocop_sim.docs": "docs"}

setup(
    packages=find_namespace_packages(include=["ocop_sim", "ocop_sim.*"], exclude=["*.__pycache__"])
    + list(ASSET_PACKAGES),
    package_dir=ASSET_PACKAGES,
)
