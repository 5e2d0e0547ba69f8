"""Manufactured solution on a prescribed moving mesh: observed L2 rate of P1 with BDF2, dt ~ h.

The exact field is Eulerian, ``u = exp(-t) (1 + 0.5 cos(pi x) cos(pi y))`` on the unit square,
with the source ``f = u_t - D Lap u`` (a Python source of the simulation, in the current
coordinates). The nodes move, with a mesh velocity that is not small:

- ``interior``: the whole mesh, ``X + 0.1 sin(pi t) sin(pi X) sin(pi Y) (1, 1)`` (the boundary
  stays put);
- ``sliding``: the bottom side moves along itself by ``0.15 sin(pi t) sin(pi X)``, and the
  interior follows by harmonic extension.

In both cases w.n = 0 on the boundary, so the relative no-flux condition is the plain no-flux
condition that the exact field satisfies. A wrong mesh-velocity term or old-domain factor
makes the scheme first order (or inconsistent); the rate fitted over three meshes and that of
the finest pair must be >= 1.9.
"""

from __future__ import annotations

import dolfinx.fem
import numpy as np
import pytest
import ufl
from mpi4py import MPI

from fem_chemotaxis.mesh.builtin import create_builtin
from fem_chemotaxis.model.model import Model
from fem_chemotaxis.motion import MeshMotion
from fem_chemotaxis.simulation import Simulation

D, T_END = 0.1, 0.5
SIZES = [8, 16, 32]
MOTIONS = {
    "interior": {"kind": "prescribed",
                 "displacement": ["0.1*sin(pi*t)*sin(pi*x)*sin(pi*y)", "0.1*sin(pi*t)*sin(pi*x)*sin(pi*y)"]},
    "sliding": {"kind": "prescribed", "displacement": ["0.15*sin(pi*t)*sin(pi*x)", "0"],
                "boundaries": ["bottom"], "extension": "harmonic"},
}


def exact(x, t):
    return ufl.exp(-t) * (1 + 0.5 * ufl.cos(ufl.pi * x[0]) * ufl.cos(ufl.pi * x[1]))


def source(x, t):
    mode = ufl.cos(ufl.pi * x[0]) * ufl.cos(ufl.pi * x[1])
    return ufl.exp(-t) * (-(1 + 0.5 * mode) + D * 0.5 * 2 * ufl.pi**2 * mode)


def l2_error(comm, n: int, motion: dict) -> float:
    model = Model.from_dict({"name": "diffusion", "parameters": {"D": D}, "species": {"u": {"diffusion": "D"}}})
    mesh = create_builtin(comm, "rectangle", [1.0, 1.0], [n, n])
    sim = Simulation(
        model, mesh, {"u": "1 + 0.5*cos(pi*x)*cos(pi*y)"}, dt=T_END / (2 * n), scheme="bdf2",
        sources={"u": source}, motion=MeshMotion.from_dict(motion, ["u"], ["D"]),
    )
    sim.advance_to(T_END)
    x = ufl.SpatialCoordinate(mesh.mesh)
    error = (sim.u["u"] - exact(x, T_END)) ** 2 * ufl.dx(metadata={"quadrature_degree": 6})
    return float(np.sqrt(comm.allreduce(dolfinx.fem.assemble_scalar(dolfinx.fem.form(error)), op=MPI.SUM)))


@pytest.mark.parametrize("kind", MOTIONS)
def test_bdf2_p1_rate_on_moving_mesh(comm, kind):
    errors = [l2_error(comm, n, MOTIONS[kind]) for n in SIZES]
    h = 1.0 / np.array(SIZES)
    fitted = np.polyfit(np.log(h), np.log(errors), 1)[0]
    finest = np.log(errors[-2] / errors[-1]) / np.log(2)
    assert fitted >= 1.9 and finest >= 1.9, (errors, fitted, finest)
