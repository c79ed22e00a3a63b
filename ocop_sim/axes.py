"""The axes of a run's arrays: star levels, product groups and project counters.

Plain data on the ground floor: the schema (:mod:`ocop_sim.config`), the model
(:mod:`ocop_sim.model`) and the metric registry (:mod:`ocop_sim.metrics`) read them from here.
Imports nothing.
"""
from __future__ import annotations

__all__ = ["GROUPS", "LEVELS", "PROJECTS"]

#: Star levels of a certified product, in order.  ``p5`` = provincial 5★ ("tiềm năng 5 sao",
#: scored in the 5★ band by the province, waiting for the central council); ``n5`` = national 5★.
LEVELS: tuple[str, ...] = ("3star", "4star", "p5", "n5")
#: Product groups of Decision 148/QĐ-TTg (2023).
GROUPS: tuple[str, ...] = ("food", "beverage", "herbal", "handicraft", "ornamental", "tourism")
#: Names of cumulative project counters (per draw).
PROJECTS: tuple[str, ...] = ("display_points", "display_centres", "startup_projects", "agritourism_projects",
                             "value_chain_projects")
