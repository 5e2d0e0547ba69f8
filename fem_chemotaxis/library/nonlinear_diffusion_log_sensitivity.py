"""Chemotaxis with nonlinear diffusion and logarithmic sensitivity (cross-diffusion file, eq. (62)).

Cells ``u1`` diffuse with a density-dependent coefficient ``D(u1, u2)`` and follow the
logarithm of a signal ``u2`` (sensitivity ``u1/u2``: they respond to relative changes, the
Weber-Fechner law). Cells are consumed in contact with the signal, which they make
proliferate; ``H`` and ``K`` are external supplies::

    du1/dt = div( D(u1, u2) grad u1 - (u1/u2) grad u2 ) - u1 u2 + H(u1, u2)
    du2/dt = div( eta grad u2 ) - u2 + u1 u2 + K(u1, u2)

Choices for the unspecified functions: ``D(u1, u2) = d (1 + a u1/u2)`` (the kinetic
derivation gives ``D = 1/|beta1(u1) . beta2(u2)|`` times a constant; here
``|beta1 . beta2| = 1/(1 + a u1/u2)``: cells crowded relative to the signal move more, a
porous-medium pressure that keeps aggregates from collapsing in 2-D), and constant
supplies ``H = h``, ``K = k`` (the simplest sources meeting the O(eps) assumption under
(61)). The homogeneous state is ``u1 = h/(h + k)``, ``u2 = h + k``; its kinetics are stable,
and the logarithmic taxis destabilises it when ``d`` and ``eta`` are small.

Defaults (non-dimensional): ``d = 0.05`` motility scale, ``a = 4`` crowding pressure,
``eta = 0.05`` signal diffusion, ``h = 1`` cell supply, ``k = 1`` signal supply. The state
``(0.5, 2)`` is unstable to wavelengths 0.8-2.4 (fastest 1.2, rate 0.54): a 2 x 1 section
settles into a stationary pattern of a few spots by t = 15.
"""

from __future__ import annotations

from fem_chemotaxis.model.model import Model

__all__ = ["DEFINITION", "nonlinear_diffusion_log_sensitivity"]

DEFINITION = {
    "name": "nonlinear-diffusion-log-sensitivity",
    "description": __doc__.strip().split("\n")[0],
    "parameters": {"d": 0.05, "a": 4.0, "eta": 0.05, "h": 1.0, "k": 1.0},
    "species": {
        "u1": {
            "description": "cell density",
            "diffusion": "d*(1 + a*u1/u2)",
            "taxis": [{"towards": "u2", "sensitivity": "u1/u2"}],
            "reaction": "-u1*u2 + h",
        },
        "u2": {
            "description": "signal",
            "diffusion": "eta",
            "reaction": "-u2 + u1*u2 + k",
        },
    },
}


def nonlinear_diffusion_log_sensitivity() -> Model:
    """The nonlinear-diffusion, logarithmic-sensitivity model with its default parameters."""
    return Model.from_dict(DEFINITION)
