"""Forager-scrounger taxis cascade (cross-diffusion file, eqs. (6), (58)).

Foragers ``u1`` move up the gradient of food ``u3``; scroungers (exploiters) ``u2`` do not
search for food themselves but follow the foragers, moving up the gradient of ``u1``. Both
consume the food, which diffuses, decays and is renewed::

    du1/dt = div( grad u1 - xi1 u1 grad u3 ) + f
    du2/dt = div( grad u2 - xi2 u2 grad u1 ) + g
    du3/dt = div( D grad u3 ) - lam (u1 + u2) u3 - mu u3 + r(u3)

Choices for the unspecified terms (Tao and Winkler's forager-exploiter model): ``f = g = 0``
(no births or deaths on the time scale of foraging: both populations are conserved) and a
constant food supply ``r(u3) = r``. The homogeneous state ``u3 = r/(lam (u1 + u2) + mu)``
is linearly stable for any taxis strength (foragers leave where they have eaten), so
structure comes from uneven food: foragers gather on food patches, scroungers on foragers.

Defaults (non-dimensional; ``lam`` is the consumption rate ``lambda`` of (6)): ``xi1 = 2``
forager taxis, ``xi2 = 1`` scrounger taxis, ``D = 0.01`` food diffusion (food barely
spreads), ``lam = 0.1`` consumption rate, ``mu = 0.1`` food decay, ``r = 0.1`` food supply
(uniform food level 1/3 with ``u1 = u2 = 1``). Foragers gather on food patches of size 0.1-0.2
within 0.1 time units, the scroungers pile up on them even more sharply, and both disperse
again over a few time units as the patches are eaten.
"""

from __future__ import annotations

from fem_chemotaxis.model.model import Model

__all__ = ["DEFINITION", "forager_scrounger"]

DEFINITION = {
    "name": "forager-scrounger",
    "description": __doc__.strip().split("\n")[0],
    "parameters": {"xi1": 2.0, "xi2": 1.0, "D": 0.01, "lam": 0.1, "mu": 0.1, "r": 0.1},
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
