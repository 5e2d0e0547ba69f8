"""Classic parabolic-parabolic Keller-Segel model (chemotaxis chapter, eqs. 7.2.1-7.2.2).

Cells ``u`` diffuse and move up the gradient of a signal ``s`` (cAMP) that they produce::

    du/dt = div( d grad u - chi u grad s )
    ds/dt = div( ds grad s ) + alpha u - beta s

With ``ds = alpha = beta = 1`` this is the chapter's non-dimensional form; a uniform state
``u = s = u_bar`` is unstable to a mode with Laplacian eigenvalue ``mu^2`` iff
``d (mu^2 + 1) < chi u_bar`` (7.2.5). Mass of ``u`` is conserved under no-flux boundaries.
"""

from __future__ import annotations

from fem_chemotaxis.model.model import Model

__all__ = ["keller_segel"]

DEFINITION = {
    "name": "keller-segel",
    "description": __doc__.strip().split("\n")[0],
    "parameters": {"d": 0.25, "chi": 1.0, "ds": 1.0, "alpha": 1.0, "beta": 1.0},
    "species": {
        "u": {
            "description": "cell density",
            "diffusion": "d",
            "taxis": [{"towards": "s", "sensitivity": "chi*u"}],
        },
        "s": {
            "description": "chemoattractant concentration",
            "diffusion": "ds",
            "reaction": "alpha*u - beta*s",
        },
    },
}


def keller_segel() -> Model:
    """The classic Keller-Segel model with its default parameters."""
    return Model.from_dict(DEFINITION)
