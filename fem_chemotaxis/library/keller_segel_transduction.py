"""Keller-Segel model derived from signal transduction (chapter 7.3, eqs. 7.3.17-7.3.21).

Bacteria run at speed ``speed`` on a line and reverse at rate ``lambda(y) = lambda0 - b y1``
(the chapter's (7.3.1)-(7.3.2) with a state-dependent rate), where the internal state ``y``
follows excitation (time scale ``tau_e``) and adaptation (time scale ``tau_a``) of the
receptor signal ``g(S)`` (7.3.18)-(7.3.19). The diffusion limit (7.3.21) is a Keller-Segel
equation whose coefficients come from these individual traits::

    du/dt = div( speed^2/(2 lambda0) grad u - chi(s) u grad s )
    chi(s) = b speed^2 tau_a g'(s) / ( lambda0 (1 + 2 lambda0 tau_a) (1 + 2 lambda0 tau_e) )
    ds/dt = div( ds grad s ) + alpha u - beta s

The convention (one for this model, ``fem-chemotaxis derive`` and the particles): ``lambda0``
is the rate of *reversals* of (7.3.1)-(7.3.2), so the flux relaxes at rate ``2 lambda0``
(7.3.4). The ``2 lambda0`` in chi's denominator of (7.3.21) is that rate, and the same
telegraph equation ``u_tt + 2 lambda u_t = s^2 u_xx`` diffuses with ``s^2/(2 lambda0)`` on long
times. The chapter prints ``s^2/lambda0`` there: its (7.3.5) only states that ``s^2/lambda`` is
held fixed in the limit, not the coefficient. (``s^2/lambda0`` is instead the diffusion of
uniform turning at rate ``lambda0`` in 1-D, (7.3.14) with n = 1, whose chi would carry
``(1 + lambda0 tau_a)(1 + lambda0 tau_e)``: (7.3.21) does not mix the two here.)

The signal equation is Keller-Segel's (7.2.2) with dimensional rates. The receptor law is
``g(S) = S/(K + S)`` (receptor occupancy, dissociation constant ``K``), so
``g'(s) = K/(K + s)^2``: the sensitivity has the receptor form ``chi/(1 + s/K)^2``
(Lapidus and Schiller 1976; not in the source documents: the chapter leaves g open),
derived here rather than postulated.

Defaults (non-dimensional): ``speed = 0.5`` run speed, ``lambda0 = 1`` base reversal rate
(cell diffusion 0.125), ``b = 180`` gain of the rate on the excitation (large, since ``y1``
only measures small deviations from adaptation, so ``b y1 < lambda0`` still holds),
``tau_e = 0.1`` fast excitation, ``tau_a = 1`` slow adaptation, ``K = 0.2`` receptor
dissociation constant, ``ds = 0.1`` signal diffusion, ``alpha = 1`` production, ``beta = 1``
decay. At ``u = s = 1``, ``chi(1) = 1.74``: wavelengths above 0.55 grow (fastest 1.07, rate
3.4), and as the signal rises in an aggregate the receptors saturate (``chi(5)`` is 19
times smaller), so bounded aggregates form instead of a collapse.
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
            "diffusion": "speed^2/(2*lambda0)",
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
