"""Parabolic-elliptic Keller-Segel model: a quasi-steady signal (chapter 7.2 remarks).

When the signal diffuses and decays much faster than cells move, its time derivative is
dropped (chemotaxis chapter, remarks of section 7.2; the 2-D case of the fractional file)::

    du/dt = div( d grad u - chi u grad s )
        0 = div( ds grad s ) + alpha u - beta s

The uniform state ``u = u_bar``, ``s = alpha u_bar / beta`` is unstable to the Neumann mode
with Laplacian eigenvalue ``mu2`` iff ``d (ds mu2 + beta) < chi alpha u_bar``, with growth
rate ``lambda = mu2 (chi alpha u_bar / (ds mu2 + beta) - d)`` (the criterion is the
parabolic one, (7.2.5); only the rate differs). In 2-D this is the classic blow-up model:
cell mass above ``8 pi d ds / (chi alpha)`` concentrates into a point in finite time, above
half of that at a smooth boundary, above a quarter in a right-angled corner.

Defaults (non-dimensional, the chapter's scaling): ``d = 0.25`` cell motility, ``chi = 1``
chemotactic sensitivity, ``ds = 1`` signal diffusion, ``alpha = 1`` signal production per
cell, ``beta = 1`` signal decay. With ``u_bar = 1`` the modes with ``mu2 < 3`` grow (fastest
``mu2 = 1``, rate 0.25; the first mode of a 2 x 1 section, ``mu2 = 2.47``, at 0.095), so
cells gather towards one side; the section's mass (1.9) exceeds the corner threshold
``2 pi d ds / (chi alpha) = 1.57``, so an aggregate that reaches a corner collapses there
(the solver then reports a Newton failure: the solution itself blows up).
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
