"""Manufactured solution for the full Keller-Segel system: observed L2 rate of P1 >= 1.9.

The exact solution is linear in time, so backward Euler has no time error and the
observed rate is that of the space discretisation. Its normal derivatives vanish on the
unit square, so no-flux boundaries hold exactly.
"""

from __future__ import annotations

import dolfinx.fem
import numpy as np
import ufl

from mpi4py import MPI

from fem_chemotaxis.config.settings import TimeSettings
from fem_chemotaxis.expressions import Expression
from fem_chemotaxis.expressions.ufl_backend import UFL_FUNCTIONS
from fem_chemotaxis.library import builtin_model
from fem_chemotaxis.mesh.builtin import create_builtin
from fem_chemotaxis.simulation import Simulation

# Written once, evaluated in UFL (sources, errors) and NumPy (initial values).
EXACT = {
    "u": "(1 + 0.5*cos(pi*x)*cos(pi*y)) * (1 + t)",
    "s": "1 + 0.4*cos(pi*x)*cos(2*pi*y) * (1 + 0.5*t)",
}
PARAMS = {"d": 0.5, "chi": 0.8, "ds": 1.2, "alpha": 1.1, "beta": 0.7}


def _exact(name: str, x, t):
    return Expression.parse(EXACT[name], "exact").evaluate({"x": x[0], "y": x[1], "t": t}, UFL_FUNCTIONS)


def _sources():
    """f = du/dt - (model right-hand side) for the exact solution, per species."""
    p = PARAMS

    def f_u(x, t):
        u, s = _exact("u", x, t), _exact("s", x, t)
        du_dt = 1 + 0.5 * ufl.cos(ufl.pi * x[0]) * ufl.cos(ufl.pi * x[1])
        return du_dt - ufl.div(p["d"] * ufl.grad(u) - p["chi"] * u * ufl.grad(s))

    def f_s(x, t):
        u, s = _exact("u", x, t), _exact("s", x, t)
        ds_dt = 0.2 * ufl.cos(ufl.pi * x[0]) * ufl.cos(2 * ufl.pi * x[1])
        return ds_dt - (ufl.div(p["ds"] * ufl.grad(s)) + p["alpha"] * u - p["beta"] * s)

    return {"u": f_u, "s": f_s}


def l2_errors(n: int, comm) -> dict[str, float]:
    model = builtin_model("keller-segel").with_parameters(PARAMS)
    mesh = create_builtin(comm, "rectangle", [1.0, 1.0], [n, n])
    sim = Simulation(model, mesh, EXACT, TimeSettings(dt=0.25, scheme="backward-euler"), sources=_sources())
    t_end = 0.5
    sim.advance_to(t_end)
    x = ufl.SpatialCoordinate(mesh.mesh)
    errors = {}
    for name, u in sim.u.items():
        diff = u - _exact(name, x, t_end)
        form = dolfinx.fem.form(diff**2 * ufl.dx(metadata={"quadrature_degree": 6}))
        errors[name] = np.sqrt(comm.allreduce(dolfinx.fem.assemble_scalar(form), op=MPI.SUM))
    return errors


def test_p1_l2_convergence_rate(comm):
    sizes = [8, 16, 32, 64]
    errors = [l2_errors(n, comm) for n in sizes]
    for name in ("u", "s"):
        e = np.array([err[name] for err in errors])
        rate = -np.polyfit(np.log(sizes), np.log(e), 1)[0]
        rates = np.log(e[:-1] / e[1:]) / np.log(2)
        print(f"{name}: errors {e}, pairwise rates {rates}, fitted rate {rate:.3f}")
        assert rate >= 1.9
        assert rates[-1] >= 1.9
