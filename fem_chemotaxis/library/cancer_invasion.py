"""Cancer invasion with chemotaxis and haptotaxis (cross-diffusion file, eqs. (5), (55)).

Cancer cells ``u1`` diffuse, move up gradients of the matrix-degrading enzyme (MDE) ``u2``
(chemotaxis, ``chi``) and of the extracellular matrix (ECM) ``u3`` (haptotaxis, ``xi``),
and proliferate logistically in the space the ECM leaves free. The cells produce MDE, which
degrades the immobile ECM; the ECM remodels back towards a healthy level (rate ``eta``)::

    du1/dt = div( ell^2 (grad u1 - chi u1 grad u2 - xi u1 grad u3) ) + mu u1 (r - u1 - u3)
    du2/dt = div( (ell^2/sigma) grad u2 ) + (u1 - u2)/sigma
    du3/dt = -u2 u3 + eta u3 (1 - u1 - u3)

This is the derived form (55) (eq. (5) prints ``Lap u1`` in the MDE equation and ``mu u``
in the first; (55) is the consistent one), with ``sigma du2/dt = Lap u2 - (u2 - u1)``
divided by ``sigma`` in [0, 1], the MDE time scale (``sigma -> 0``: quasi-steady enzyme).
(55) is non-dimensional with unit cell motility; ``ell`` is its unit of length measured in
mesh units (space rescaled by ``ell``: every flux gets ``ell^2``), and ``ell = 1`` is (55)
verbatim. With ``ell = 1`` the MDE range ``ell`` would span half of a 2 x 1 section.

Homogeneous states: healthy tissue ``(0, 0, 1)``, invaded tissue ``(r, r, 0)``, and for
``r < 1`` a mixed state ``u1 = u2 = eta (1 - r)``, ``u3 = 1 - u1 - u1/eta``.

Defaults: ``chi = 0.5`` chemotactic and ``xi = 1`` haptotactic sensitivity, ``mu = 10``
proliferation rate, ``r = 1`` carrying capacity, ``sigma = 0.1`` MDE time scale,
``eta = 0.5`` ECM remodelling, ``ell = 0.05`` (the section is 40 x 20 units of (55)). Cells
cannot grow in intact matrix (``r - u1 - u3 < 0`` there), so a tumour advances only as its
MDE clears the ECM: a front a few tenths wide advancing about 0.1 per time unit, leaving
degraded matrix behind.
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
