"""Time discretisation: semi-discrete forms -> residuals of one step, and step-size control."""

from fem_chemotaxis.time.bdf2 import BDF2
from fem_chemotaxis.time.choice import AUTO, NEWTON_SCHEMES, choose_scheme, rosenbrock_refusal
from fem_chemotaxis.time.controller import StepController
from fem_chemotaxis.time.levels import MeshLevels, TimeLevels
from fem_chemotaxis.time.rosenbrock import ROSENBROCK_SCHEMES, RosenbrockTableau, rosenbrock_tableau
from fem_chemotaxis.time.theta import ThetaMethod

__all__ = [
    "BDF2",
    "ROSENBROCK_SCHEMES",
    "SCHEMES",
    "MeshLevels",
    "RosenbrockTableau",
    "StepController",
    "ThetaMethod",
    "TimeLevels",
    "choose_scheme",
    "make_scheme",
    "rosenbrock_refusal",
]

#: Scheme names accepted in configs: Newton schemes, Rosenbrock schemes and "auto".
SCHEMES = (*NEWTON_SCHEMES, *ROSENBROCK_SCHEMES, AUTO)


def make_scheme(name: str) -> ThetaMethod | BDF2 | RosenbrockTableau:
    """The time discretisation called `name` (one of SCHEMES except "auto", which
    :func:`choose_scheme` resolves first)."""
    if name == "backward-euler":
        return ThetaMethod(1.0)
    if name == "crank-nicolson":
        return ThetaMethod(0.5)
    if name == "bdf2":
        return BDF2()
    if name in ROSENBROCK_SCHEMES:
        return rosenbrock_tableau(name)
    raise ValueError(f"unknown time scheme '{name}'; choose one of: {', '.join(SCHEMES)}")
