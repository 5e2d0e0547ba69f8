"""Cancer invasion with chemotaxis and haptotaxis (cross-diffusion file, eqs. (5), (55)).

Cancer cells ``u1`` diffuse, move up gradients of the matrix-degrading enzyme (MDE) ``u2``
(chemotaxis, ``chi``) and of the extracellular matrix (ECM) ``u3`` (haptotaxis, ``xi``),
and proliferate logistically in the space the ECM leaves free. The cells produce MDE, which
degrades the immobile ECM; the ECM remodels back towards a healthy level (rate ``eta``)::

    du1/dt = div( grad u1 - chi u1 grad u2 - xi u1 grad u3 ) + mu u1 (r - u1 - u3)
    du2/dt = (1/sigma) ( Lap u2 - (u2 - u1) )
    du3/dt = -u2 u3 + eta u3 (1 - u1 - u3)

This is the derived form (55): eq. (5) prints ``Lap u1`` in the MDE equation and ``mu u``
in the first, (55) is the consistent one. ``sigma`` in [0, 1] is the time scale of the MDE
(``sigma -> 0``: quasi-steady enzyme); ``sigma du2/dt`` is written as
``du2/dt = div((1/sigma) grad u2) + (u1 - u2)/sigma``.

Homogeneous states: healthy tissue ``(0, 0, 1)``; invaded tissue ``(r, r, 0)`` (matrix
fully degraded); for ``r < 1`` a mixed state ``u1 = u2 = eta (1 - r)``.

Defaults (non-dimensional, cell motility 1 by the scaling of (55)): ``chi = 0.5`` chemotactic
and ``xi = 1`` haptotactic sensitivity, ``mu = 20`` proliferation rate, ``r = 1`` carrying
capacity, ``sigma = 0.1`` MDE time scale, ``eta = 0.5`` ECM remodelling. Cells cannot grow
in intact matrix (``r - u1 - u3 < 0`` there), so the tumour advances only as fast as its MDE
clears the ECM: a front of width about ``1/sqrt(mu) = 0.2`` sweeps the 2 x 1 section in
about one time unit, leaving degraded matrix behind.
"""

from __future__ import annotations

from fem_chemotaxis.model.model import Model

__all__ = ["DEFINITION", "cancer_invasion"]

DEFINITION = {
    "name": "cancer-invasion",
    "description": __doc__.strip().split("\n")[0],
    "parameters": {"chi": 0.5, "xi": 1.0, "mu": 10.0, "r": 1.0, "sigma": 0.1, "eta": 0.5, "ell": 0.05},
    "species": {
        "u1": {
            "description": "cancer cells",
            "diffusion": "ell^2",
            "taxis": [
                {"towards": "u2", "sensitivity": "chi*ell^2*u1"},
                {"towards": "u3", "sensitivity": "xi*ell^2*u1"},
            ],
            "reaction": "mu*u1*(r - u1 - u3)",
        },
        "u2": {
            "description": "matrix-degrading enzyme (MDE)",
            "diffusion": "ell^2/sigma",
            "reaction": "(u1 - u2)/sigma",
        },
        "u3": {
            "description": "extracellular matrix (ECM), immobile",
            "reaction": "-u2*u3 + eta*u3*(1 - u1 - u3)",
        },
    },
}


def cancer_invasion() -> Model:
    """The chemotaxis-haptotaxis cancer invasion model with its default parameters."""
    return Model.from_dict(DEFINITION)
