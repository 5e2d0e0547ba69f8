"""Parabolic-elliptic Keller-Segel model: a quasi-steady signal (chapter 7.2 remarks).

When the signal diffuses and decays much faster than cells move, its time derivative is
dropped (chemotaxis chapter, remarks of section 7.2; the 2-D case of the fractional file)::

    du/dt = div( d grad u - chi u grad s )
        0 = div( ds grad s ) + alpha u - beta s

The uniform state ``u = u_bar, s = alpha u_bar / beta`` is unstable to the Neumann mode with
Laplacian eigenvalue ``mu2`` iff ``d (ds mu2 + beta) < chi alpha u_bar``, growing at
``lambda = mu2 (chi alpha u_bar / (ds mu2 + beta) - d)`` (the parabolic criterion (7.2.5)
is the same; only the rate differs). In 2-D, a cell mass above ``8 pi d beta / (chi alpha)``
(``4 pi ...`` at the boundary) blows up in finite time; below it aggregates stay bounded.

Defaults (non-dimensional, as the chapter's): ``d = 0.25`` cell motility, ``chi = 1``
chemotactic sensitivity, ``ds = 1`` signal diffusion, ``alpha = 1`` signal production per
cell, ``beta = 1`` signal decay. On a 2 x 1 section with ``u_bar = 1`` the first modes are
unstable (``d (mu2 + 1) < chi`` for ``mu2 < 3``), the mass 2 < 4 pi d / chi = 3.1 keeps
aggregates bounded.
"""

from __future__ import annotations

from fem_chemotaxis.model.model import Model

__all__ = ["DEFINITION", "keller_segel_elliptic"]

DEFINITION = {
    "name": "keller-segel-elliptic",
    "description": __doc__.strip().split("\n")[0],
    "parameters": {"d": 0.25, "chi": 1.0, "ds": 1.0, "alpha": 1.0, "beta": 1.0},
    "species": {
        "u": {
            "description": "cell density",
            "diffusion": "d",
            "taxis": [{"towards": "s", "sensitivity": "chi*u"}],
        },
        "s": {
            "description": "chemoattractant concentration (quasi-steady)",
            "diffusion": "ds",
            "reaction": "alpha*u - beta*s",
            "time_derivative": False,
        },
    },
}


def keller_segel_elliptic() -> Model:
    """The parabolic-elliptic Keller-Segel model with its default parameters."""
    return Model.from_dict(DEFINITION)
