"""Which time schemes a model can use, and what ``scheme = "auto"`` picks.

The linearly implicit Rosenbrock schemes (:mod:`fem_chemotaxis.time.rosenbrock`) need
``M du/dt = F(u, t)`` with a mass matrix on every species and the unknowns being the
densities. Features outside that form need a Newton scheme (backward Euler, Crank-Nicolson,
BDF2): log-density variables, moving meshes, a fluid flow, fractional diffusion (through
its resolvent inside the Newton step) and quasi-steady species (a differential-algebraic system).

``auto`` picks :data:`AUTO_ROSENBROCK` where it is supported and backward Euler otherwise,
saying why.
"""

from __future__ import annotations

from typing import Any

from fem_chemotaxis.model.model import Model
from fem_chemotaxis.time.rosenbrock import ROSENBROCK_SCHEMES

__all__ = ["AUTO", "AUTO_FALLBACK", "AUTO_ROSENBROCK", "NEWTON_SCHEMES", "choose_scheme", "rosenbrock_refusal"]

AUTO = "auto"
NEWTON_SCHEMES = ("backward-euler", "crank-nicolson", "bdf2")
#: What ``auto`` picks where a Rosenbrock scheme is supported (bench/README.md: work-precision).
AUTO_ROSENBROCK = "ros34pw2"
#: What ``auto`` picks otherwise.
AUTO_FALLBACK = "backward-euler"


def rosenbrock_refusal(model: Model, positivity: str = "none", motion: Any = None) -> str | None:
    """Why the model (with these settings) needs a Newton scheme, or None if Rosenbrock works."""
    if positivity == "log-density":
        return 'positivity = "log-density" needs a Newton scheme'
    if motion is not None:
        return "a moving mesh ([mesh.motion]) needs a Newton scheme"
    if model.flow is not None:
        return "a fluid flow ([model.flow]) needs a Newton scheme"
    for sp in model.species:
        if sp.fractional_order is not None:
            return f"fractional diffusion of '{sp.name}' needs a Newton scheme"
        if not sp.time_derivative:
            return f"the quasi-steady species '{sp.name}' (time_derivative = false) needs a Newton scheme"
    return None


def choose_scheme(name: str, model: Model, positivity: str = "none", motion: Any = None) -> tuple[str, str | None]:
    """The scheme to run for the requested `name`, and a note if ``auto`` fell back to Newton.

    Raises:
        ValueError: a Rosenbrock scheme was requested for a model that cannot use it, or
            Crank-Nicolson for a model with fractional diffusion.
    """
    fractional = [sp.name for sp in model.species if sp.fractional_order is not None]
    if name == "crank-nicolson" and fractional:
        raise ValueError(
            f'[time] scheme = "crank-nicolson" is not supported with the fractional diffusion of '
            f"'{fractional[0]}' (its explicit half needs (-Lap)^(a/2) u_n, which the resolvent "
            "does not give); use backward-euler or bdf2"
        )
    refusal = rosenbrock_refusal(model, positivity, motion)
    if name == AUTO:
        if refusal is None:
            return AUTO_ROSENBROCK, None
        return AUTO_FALLBACK, f'scheme "auto" -> "{AUTO_FALLBACK}": {refusal}'
    if name in ROSENBROCK_SCHEMES and refusal is not None:
        raise ValueError(
            f'[time] scheme = "{name}" is not supported: {refusal} ({", ".join(NEWTON_SCHEMES)}, or "auto")'
        )
    return name, None
