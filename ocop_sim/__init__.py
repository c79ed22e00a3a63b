"""ocop-sim: scenario simulation of Đồng Nai's OCOP programme (Decision 1698/QĐ-UBND, 2019)."""
from __future__ import annotations

__version__ = "0.1.0"

from .config import Scenario  # noqa: E402
from .scenarios import ScenarioError, load  # noqa: E402
from .simulate import simulate  # noqa: E402

__all__ = ["Scenario", "ScenarioError", "load", "simulate", "__version__"]
