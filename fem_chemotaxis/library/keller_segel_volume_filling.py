"""Keller-Segel model with volume filling, sensitivity chi u (1 - u/gamma) (Painter and Hillen 2002).

Cells cannot pile up beyond a packing density ``gamma`` (K. J. Painter and T. Hillen,
"Volume-filling and quorum-sensing in models for chemosensitive movement", Canadian
Applied Mathematics Quarterly 10(4), 2002; not one of the source documents, whose
fractional file's eq. (7) limits the drift through Q(grad S) instead): the chemotactic
flux vanishes where the cells fill the space::

    du/dt = div( d grad u - chi u (1 - u/gamma) grad s )
    ds/dt = div( ds grad s ) + alpha u - beta s

Solutions stay bounded by ``gamma``: instead of blowing up, cells form plateaus (mesas) at
density ``gamma`` that then slowly coarsen (merge). The uniform state ``u = u_bar`` is
unstable to the mode ``mu2`` iff ``d (ds mu2 + beta) < chi alpha u_bar (1 - u_bar/gamma)``.

Defaults (non-dimensional): ``d = 0.1`` cell motility, ``chi = 5`` chemotactic sensitivity,
``gamma = 1`` packing density, ``ds = 0.1`` signal diffusion (signal range
``sqrt(ds/beta) = 0.32``), ``alpha = 1`` production, ``beta = 1`` decay. With ``u_bar = 0.5``
wavelengths above 0.59 grow (fastest 1.1, rate 2.6): a 2 x 1 section fills with a few
plateaus at ``u = 1`` within 5 time units, which merge into fewer, larger ones by t = 30.
"""

from __future__ import annotations

from fem_chemotaxis.model.model import Model

__all__ = ["DEFINITION", "keller_segel_volume_filling"]

DEFINITION = {
    "name": "keller-segel-volume-filling",
    "description": __doc__.strip().split("\n")[0],
    "parameters": {"d": 0.1, "chi": 5.0, "gamma": 1.0, "ds": 0.1, "alpha": 1.0, "beta": 1.0},
    "species": {
        "u": {
            "description": "cell density",
            "diffusion": "d",
            "taxis": [{"towards": "s", "sensitivity": "chi*u*(1 - u/gamma)"}],
        },
        "s": {
            "description": "chemoattractant concentration",
            "diffusion": "ds",
            "reaction": "alpha*u - beta*s",
        },
    },
}


def keller_segel_volume_filling() -> Model:
    """The volume-filling Keller-Segel model with its default parameters."""
    return Model.from_dict(DEFINITION)
