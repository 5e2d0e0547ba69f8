"""Forager-scrounger taxis cascade (cross-diffusion file, eqs. (6), (58)).

Foragers ``u1`` move up the gradient of food ``u3``; scroungers (exploiters) ``u2`` do not
search for food themselves but follow the foragers, moving up the gradient of ``u1``. Both
consume the food, which diffuses, decays and is renewed::

    du1/dt = div( grad u1 - xi1 u1 grad u3 ) + f
    du2/dt = div( grad u2 - xi2 u2 grad u1 ) + g
    du3/dt = div( D grad u3 ) - lam (u1 + u2) u3 - mu u3 + r(u3)

Choices for the unspecified terms (as in Tao and Winkler's forager-exploiter model):
``f = g = 0`` (no births or deaths on the time scale of foraging: both populations are
conserved) and a constant food supply ``r(u3) = r``. The homogeneous state
``u3 = r/(lam (u1 + u2) + mu)`` is linearly stable for every taxis strength (foragers
leave where they ate), so structure comes from an uneven food distribution: foragers
gather on food patches and scroungers gather on the foragers.

Defaults (non-dimensional; ``lam`` is the consumption rate ``lambda`` of (6)):
``xi1 = 5`` forager taxis, ``xi2 = 5`` scrounger taxis, ``D = 0.01`` food diffusion
(food barely spreads), ``lam = 1`` consumption rate, ``mu = 0.1`` food decay, ``r = 0.1``
food supply. Food patches are eaten within a few time units and renew slowly, so foragers
move from patch to patch with the scroungers in tow.
"""

from __future__ import annotations

from fem_chemotaxis.model.model import Model

__all__ = ["DEFINITION", "forager_scrounger"]

DEFINITION = {
    "name": "forager-scrounger",
    "description": __doc__.strip().split("\n")[0],
    "parameters": {"xi1": 5.0, "xi2": 5.0, "D": 0.01, "lam": 1.0, "mu": 0.1, "r": 0.1},
    "species": {
        "u1": {
            "description": "foragers",
            "diffusion": "1",
            "taxis": [{"towards": "u3", "sensitivity": "xi1*u1"}],
        },
        "u2": {
            "description": "scroungers (exploiters)",
            "diffusion": "1",
            "taxis": [{"towards": "u1", "sensitivity": "xi2*u2"}],
        },
        "u3": {
            "description": "food",
            "diffusion": "D",
            "reaction": "-lam*(u1 + u2)*u3 - mu*u3 + r",
        },
    },
}


def forager_scrounger() -> Model:
    """The forager-scrounger taxis-cascade model with its default parameters."""
    return Model.from_dict(DEFINITION)
