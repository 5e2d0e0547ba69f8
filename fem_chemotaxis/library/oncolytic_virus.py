"""Oncolytic virotherapy with haptotaxis (cross-diffusion file, eqs. (4), (48)).

Uninfected ``u1`` and infected ``u2`` cancer cells and oncolytic virus particles ``u4``
diffuse and move up the gradient of the immobile extracellular matrix (ECM) ``u3``
(haptotaxis ``xi1, xi2, xi4``). Virus infects cancer cells at the Beddington-DeAngelis rate
``rho u1 u4/(k_u1 + theta u1)``, infected cells die (``delta2``) releasing virus (``beta``),
and the cells degrade the ECM, which is redeposited logistically (``mu3``)::

    du1/dt = div( D1 grad u1 - xi1 u1 grad u3 ) + mu1 u1 (1 - u1^r) - rho u1 u4/(k_u1 + theta u1)
    du2/dt = div( D2 grad u2 - xi2 u2 grad u3 ) + rho u1 u4/(k_u1 + theta u1) - delta2 u2
    du3/dt = -u3 (alpha1 u1 + alpha2 u2) + mu3 u3 (1 - u3)
    du4/dt = div( D4 grad u4 - xi4 u4 grad u3 ) + beta u2 - delta4 u4 - rho u1 u4/(k_u1 + theta u1)

The source poses it on a growing domain Omega(t); here the domain is fixed (the tissue
section). Homogeneous states: the virus-free tumour ``u1 = 1``, ``u2 = u4 = 0``,
``u3 = 1 - alpha1/mu3``, which the virus invades when its reproduction number
``beta rho / (delta2 (delta4 (k_u1 + theta) + rho))`` exceeds one; the infected state that
follows is an unstable focus (virus-tumour oscillations).

Defaults (non-dimensional): ``D1 = D2 = 0.002`` cell motility, ``D4 = 0.02`` virus
diffusion, ``xi1 = xi2 = 0.01`` and ``xi4 = 0.005`` haptotactic sensitivities, ``mu1 = 1``
tumour proliferation, ``r = 1`` (plain logistic growth), ``rho = 5`` infection rate,
``k_u1 = theta = 1`` (Beddington-DeAngelis constants), ``delta2 = 1`` death of infected
cells, ``beta = 5`` virus burst rate, ``delta4 = 1`` virus decay, ``alpha1 = alpha2 = 0.5``
ECM degradation, ``mu3 = 1`` ECM redeposition. The reproduction number is 3.6 and the
virus grows at rate 1.5 in the tumour: injected virus spreads as a ring of infection
(speed about ``2 sqrt(1.5 D4) = 0.35``) that empties the tumour behind it.
"""

from __future__ import annotations

from fem_chemotaxis.model.model import Model

__all__ = ["DEFINITION", "oncolytic_virus"]

_INFECTION = "rho*u1*u4/(k_u1 + theta*u1)"

DEFINITION = {
    "name": "oncolytic-virus",
    "description": __doc__.strip().split("\n")[0],
    "parameters": {
        "D1": 0.002, "D2": 0.002, "D4": 0.02, "xi1": 0.01, "xi2": 0.01, "xi4": 0.005,
        "mu1": 1.0, "r": 1.0, "rho": 5.0, "k_u1": 1.0, "theta": 1.0, "delta2": 1.0,
        "beta": 5.0, "delta4": 1.0, "alpha1": 0.5, "alpha2": 0.5, "mu3": 1.0,
    },
    "species": {
        "u1": {
            "description": "uninfected cancer cells",
            "diffusion": "D1",
            "taxis": [{"towards": "u3", "sensitivity": "xi1*u1"}],
            "reaction": f"mu1*u1*(1 - u1^r) - {_INFECTION}",
        },
        "u2": {
            "description": "infected cancer cells",
            "diffusion": "D2",
            "taxis": [{"towards": "u3", "sensitivity": "xi2*u2"}],
            "reaction": f"{_INFECTION} - delta2*u2",
        },
        "u3": {
            "description": "extracellular matrix (ECM), immobile",
            "reaction": "-u3*(alpha1*u1 + alpha2*u2) + mu3*u3*(1 - u3)",
        },
        "u4": {
            "description": "oncolytic virus particles",
            "diffusion": "D4",
            "taxis": [{"towards": "u3", "sensitivity": "xi4*u4"}],
            "reaction": f"beta*u2 - delta4*u4 - {_INFECTION}",
        },
    },
}


def oncolytic_virus() -> Model:
    """The oncolytic virus model on a fixed domain, with its default parameters."""
    return Model.from_dict(DEFINITION)
