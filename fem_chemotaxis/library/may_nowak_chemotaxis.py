"""May-Nowak virus dynamics with chemotaxis of healthy cells (cross-diffusion file, eq. (2)).

Healthy (uninfected) immune cells ``u1`` are produced by the body at rate ``r(t, x)``, die
at rate ``d1`` and are infected on contact with virus particles ``u3``; infected cells
``u2`` die at rate ``d2`` and release virus at rate ``k``; virions decay at rate ``d3``.
Healthy cells move up the gradient of infected cells (Bellomo, Painter, Tao, Winkler 2019)::

    du1/dt = div( D1 grad u1 - chi u1 grad u2 ) - d1 u1 - beta u1 u3 + r(t, x)
    du2/dt = div( D2 grad u2 ) - d2 u2 + beta u1 u3
    du3/dt = div( D3 grad u3 ) - d3 u3 + k u2

The supply is ``r(t, x) = r0 + r_amp exp(-((x - x_r)^2 + (y - y_r)^2)/w_r^2)``: uniform
production plus an optional localised source (e.g. a lymph node) at ``(x_r, y_r)``. Without
it, the infected homogeneous state is ``u1 = d2 d3/(beta k)``, ``u2 = (r0 - d1 u1)/d2``,
``u3 = k u2/d3`` (it exists iff ``r0 beta k > d1 d2 d3``, virus reproduction number above
one); it is stable without taxis, and chemotaxis (``chi``) destabilises it into infection
hotspots.

Defaults (non-dimensional): ``D1 = 0.05`` healthy-cell motility, ``D2 = 0.2``
infected-cell motility, ``D3 = 1`` virus diffusion, ``chi = 1`` chemotactic sensitivity,
``d1 = d2 = d3 = 1`` death and decay rates, ``beta = 1`` infection rate, ``k = 1`` virus
release, ``r0 = 3`` supply (reproduction number 3, infected state ``(1, 2, 2)``), and no
localised source (``r_amp = 0``, ``x_r = 1``, ``y_r = 0.5``, ``w_r = 0.1``). The infected
state is then unstable to wavelengths 0.5-5 (fastest 1, growth rate 2.2): on a 2 x 1
section, a few infection hotspots form.
"""

from __future__ import annotations

from fem_chemotaxis.model.model import Model

__all__ = ["DEFINITION", "may_nowak_chemotaxis"]

DEFINITION = {
    "name": "may-nowak-chemotaxis",
    "description": __doc__.strip().split("\n")[0],
    "parameters": {
        "D1": 0.05, "D2": 0.1, "D3": 0.05, "chi": 0.2, "d1": 1.0, "d2": 1.0, "d3": 1.0,
        "beta": 1.0, "k": 1.0, "r0": 3.0, "r_amp": 0.0, "x_r": 1.0, "y_r": 0.5, "w_r": 0.1,
    },
    "species": {
        "u1": {
            "description": "healthy (uninfected) cells",
            "diffusion": "D1",
            "taxis": [{"towards": "u2", "sensitivity": "chi*u1"}],
            "reaction": "-d1*u1 - beta*u1*u3 + r0 + r_amp*exp(-((x - x_r)^2 + (y - y_r)^2)/w_r^2)",
        },
        "u2": {
            "description": "infected cells",
            "diffusion": "D2",
            "reaction": "-d2*u2 + beta*u1*u3",
        },
        "u3": {
            "description": "virus particles",
            "diffusion": "D3",
            "reaction": "-d3*u3 + k*u2",
        },
    },
}


def may_nowak_chemotaxis() -> Model:
    """The May-Nowak model with chemotaxis, with its default parameters."""
    return Model.from_dict(DEFINITION)
