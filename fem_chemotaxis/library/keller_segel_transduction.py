"""Keller-Segel model derived from signal transduction (chapter 7.3, eqs. 7.3.17-7.3.21).

Bacteria run at speed ``speed`` and tumble at rate ``lambda(y) = lambda0 - b y1``, where
the internal state ``y`` follows excitation (time scale ``tau_e``) and adaptation (time
scale ``tau_a``) of the receptor signal ``g(S)`` (7.3.18)-(7.3.19). The diffusion limit
(7.3.21) is a Keller-Segel equation whose coefficients come from these individual traits::

    du/dt = div( speed^2/lambda0 grad u - chi(s) u grad s )
    chi(s) = b speed^2 tau_a g'(s) / ( lambda0 (1 + 2 lambda0 tau_a) (1 + 2 lambda0 tau_e) )
    ds/dt = div( ds grad s ) + alpha u - beta s

The signal equation is Keller-Segel's (7.2.2) with dimensional rates. The receptor law is
``g(S) = S/(K + S)`` (receptor occupancy, dissociation constant ``K``), so
``g'(s) = K/(K + s)^2``: the sensitivity has the receptor form ``chi/(1 + s/K)^2``
(Lapidus and Schiller 1976; not in the source documents: the chapter leaves g open),
derived rather than postulated. ``speed^2/lambda0`` is the
telegraph diffusion coefficient (7.3.5) that (7.3.21) uses (in n dimensions with uniform
turning it would carry a factor 1/n).

Defaults (non-dimensional): ``speed = 0.5`` run speed, ``lambda0 = 1`` base tumbling rate
(cell diffusion 0.25), ``b = 180`` gain of the tumbling rate on the excitation (large, since
``y1`` only measures small deviations from adaptation, so ``b y1 < lambda0`` still holds),
``tau_e = 0.1`` fast excitation, ``tau_a = 1`` slow adaptation, ``K = 0.2`` receptor
dissociation constant, ``ds = 0.1`` signal diffusion, ``alpha = 1`` production, ``beta = 1``
decay. At ``u = s = 1``, ``chi(1) = 1.74``: wavelengths above 0.82 grow (fastest 1.6, rate
2.0), and as the signal rises in an aggregate the receptors saturate (``chi(5)`` is 19
times smaller), so a few bounded aggregates form instead of a collapse.
"""

from __future__ import annotations

from fem_chemotaxis.model.model import Model

__all__ = ["DEFINITION", "keller_segel_transduction"]

DEFINITION = {
    "name": "keller-segel-transduction",
    "description": __doc__.strip().split("\n")[0],
    "parameters": {
        "speed": 0.5, "lambda0": 1.0, "b": 180.0, "tau_e": 0.1, "tau_a": 1.0, "K": 0.2,
        "ds": 0.1, "alpha": 1.0, "beta": 1.0,
    },
    "species": {
        "u": {
            "description": "bacterial density",
            "diffusion": "speed^2/lambda0",
            "taxis": [{
                "towards": "s",
                "sensitivity": "b*speed^2*tau_a*K/(K + s)^2"
                               "/(lambda0*(1 + 2*lambda0*tau_a)*(1 + 2*lambda0*tau_e))*u",
            }],
        },
        "s": {
            "description": "chemoattractant concentration",
            "diffusion": "ds",
            "reaction": "alpha*u - beta*s",
        },
    },
}


def keller_segel_transduction() -> Model:
    """The signal-transduction Keller-Segel model with its default parameters."""
    return Model.from_dict(DEFINITION)
