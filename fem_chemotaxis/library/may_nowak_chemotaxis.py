"""May-Nowak virus dynamics with chemotaxis of healthy cells (cross-diffusion file, eq. (2)).

Healthy (uninfected) immune cells ``u1`` are produced by the body at rate ``r(t, x)``, die
at rate ``d1`` and are infected on contact with virus particles ``u3``; infected cells
``u2`` die at rate ``d2`` and release virus at rate ``k``; virions decay at rate ``d3``.
Healthy cells move up the gradient of infected cells (Bellomo, Painter, Tao, Winkler 2019)::

    du1/dt = div( D1 grad u1 - chi u1 grad u2 ) - d1 u1 - beta u1 u3 + r(t, x)
    du2/dt = div( D2 grad u2 ) - d2 u2 + beta u1 u3
    du3/dt = div( D3 grad u3 ) - d3 u3 + k u2

The supply is ``r(t, x) = r0 + r_amp exp(-((x - x_r)^2 + (y - y_r)^2)/w_r^2)``: uniform
production plus an optional localised source (a lymph node, say) at ``(x_r, y_r)``; a
time-dependent supply is a one-line change in a TOML copy of this model. With a uniform
supply the infection-free state is ``(r0/d1, 0, 0)`` and the infected one
``u1 = d2 d3/(beta k)``, ``u2 = (r0 - d1 u1)/d2``, ``u3 = k u2/d3``; the latter exists iff
the virus reproduction number ``r0 beta k/(d1 d2 d3)`` exceeds one. It is stable without
taxis; chemotaxis above a threshold destabilises it into infection hotspots, which in 2-D
collapse (finite-time concentration of healthy cells, seen as a Newton failure) unless
motilities are large, so the defaults stay on the stable side.

Defaults (non-dimensional): ``D1 = 0.05`` healthy-cell motility, ``D2 = 0.1`` infected-cell
motility, ``D3 = 0.05`` virus diffusion, ``chi = 0.2`` chemotactic sensitivity (the infected
state ``(1, 2, 2)`` destabilises at ``chi = 0.275``), ``d1 = d2 = d3 = 1`` death and decay
rates, ``beta = 1`` infection rate, ``k = 1`` virus release, ``r0 = 3`` supply
(reproduction number 3; the virus grows at rate ``sqrt(3) - 1 = 0.73`` in healthy tissue),
no localised source (``r_amp = 0``; ``x_r = 1``, ``y_r = 0.5``, ``w_r = 0.1``). Virus released
in healthy tissue spreads as an infection front across a 2 x 1 section in about five time
units, and healthy cells crowd towards the infected region behind it.
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
