"""Time discretisation: semi-discrete forms -> residuals of one step, and step-size control."""

from fem_chemotaxis.time.bdf2 import BDF2
from fem_chemotaxis.time.controller import StepController
from fem_chemotaxis.time.levels import MeshLevels, TimeLevels
from fem_chemotaxis.time.theta import ThetaMethod

__all__ = ["BDF2", "SCHEMES", "MeshLevels", "StepController", "ThetaMethod", "TimeLevels", "make_scheme"]

#: Scheme names accepted in configs.
SCHEMES = ("backward-euler", "crank-nicolson", "bdf2")


def make_scheme(name: str) -> ThetaMethod | BDF2:
    """The time discretisation called `name` (one of SCHEMES)."""
    if name == "backward-euler":
        return ThetaMethod(1.0)
    if name == "crank-nicolson":
        return ThetaMethod(0.5)
    if name == "bdf2":
        return BDF2()
    raise ValueError(f"unknown time scheme '{name}'; choose one of: {', '.join(SCHEMES)}")
