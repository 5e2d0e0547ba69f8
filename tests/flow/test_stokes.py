"""The flow alone: Taylor-Hood rates, discrete divergence, exact channel flows, pressure null space.

The flow is driven through the config language only (body force and boundary velocities are
expressions); a passive species u = 1 rides along. Manufactured solution on the unit square,
with w.n = 0 on the boundary and a mean-zero pressure (no boundary fixes its level)::

    w = (sin(pi x) cos(pi y), -cos(pi x) sin(pi y)),   p = cos(pi x) cos(pi y)
    f = -eta Lap w + grad p [+ rho (w.grad) w],   (w.grad) w = (pi/2) (sin(2 pi x), sin(2 pi y))
"""

from __future__ import annotations

import dolfinx.fem
import dolfinx.la
import numpy as np
import pytest
import ufl

from mpi4py import MPI

from fem_chemotaxis.config.settings import TimeSettings
from fem_chemotaxis.mesh.builtin import create_builtin
from fem_chemotaxis.model.model import Model
from fem_chemotaxis.simulation import Simulation

W_EXACT = ["sin(pi*x)*cos(pi*y)", "-cos(pi*x)*sin(pi*y)"]
STOKES_FORCE = ["(2*pi^2*eta - pi)*sin(pi*x)*cos(pi*y)", "-(2*pi^2*eta + pi)*cos(pi*x)*sin(pi*y)"]
CONVECTION = ["rho*pi/2*sin(2*pi*x)", "rho*pi/2*sin(2*pi*y)"]


def _model(flow: dict) -> Model:
    """A passive species u (no diffusion of a constant changes nothing) carried by `flow`."""
    return Model.from_dict(
        {
            "name": "passive",
            "parameters": {"eta": 0.7, "rho": 3.0},
            "species": {"u": {"diffusion": "0.1"}},
            "flow": flow,
        }
    )


def _norm(comm: MPI.Comm, integrand: ufl.core.expr.Expr) -> float:
    form = dolfinx.fem.form(integrand * ufl.dx(metadata={"quadrature_degree": 8}))
    return float(np.sqrt(comm.allreduce(dolfinx.fem.assemble_scalar(form), op=MPI.SUM)))


def _manufactured(comm: MPI.Comm, n: int, kind: str, grad_div: float) -> dict[str, float]:
    force = STOKES_FORCE if kind == "stokes" else [f"{a} + {b}" for a, b in zip(STOKES_FORCE, CONVECTION)]
    flow = {
        "kind": kind,
        "viscosity": "eta",
        "body_force": force,
        "grad_div": grad_div,
        "boundary": [{"on": ["left", "right", "bottom", "top"], "type": "velocity", "value": W_EXACT}],
    }
    if kind == "navier-stokes":
        flow["density"] = "rho"
    mesh = create_builtin(comm, "rectangle", [1.0, 1.0], [n, n])
    sim = Simulation(_model(flow), mesh, {"u": "1"}, TimeSettings(dt=0.1))
    assert sim.flow is not None and sim.flow.null_space
    sim.advance_to(0.1)
    x = ufl.SpatialCoordinate(mesh.mesh)
    pi = ufl.pi
    w_exact = ufl.as_vector([ufl.sin(pi * x[0]) * ufl.cos(pi * x[1]), -ufl.cos(pi * x[0]) * ufl.sin(pi * x[1])])
    p_exact = ufl.cos(pi * x[0]) * ufl.cos(pi * x[1])
    w, p = sim.flow.velocity, sim.flow.pressure
    # (div w_h, q) for every P1 hat function q: zero up to the solver tolerance.
    weak = dolfinx.fem.assemble_vector(dolfinx.fem.form(ufl.div(w) * ufl.TestFunction(sim.flow.Q) * ufl.dx))
    weak.scatter_reverse(dolfinx.la.InsertMode.add)
    owned = weak.array[: sim.flow.Q.dofmap.index_map.size_local]
    u = sim.u["u"].x.array[: sim.spaces["u"].dofmap.index_map.size_local]
    return {
        "velocity": _norm(comm, ufl.inner(w - w_exact, w - w_exact)),
        "pressure": _norm(comm, (p - p_exact) ** 2),
        "divergence": _norm(comm, ufl.div(w) ** 2),
        "weak_divergence": comm.allreduce(float(np.abs(owned).max(initial=0.0)), op=MPI.MAX),
        "passive": comm.allreduce(float(np.abs(u - 1.0).max(initial=0.0)), op=MPI.MAX),
    }


def _rates(errors: list[float]) -> list[float]:
    return [float(np.log2(a / b)) for a, b in zip(errors, errors[1:])]


@pytest.mark.parametrize("kind, grad_div", [("stokes", 0.0), ("navier-stokes", 0.0), ("stokes", 10.0)])
def test_taylor_hood_rates_and_divergence(comm, kind, grad_div):
    results = [_manufactured(comm, n, kind, grad_div) for n in (8, 16, 32)]
    rates = {key: _rates([r[key] for r in results]) for key in ("velocity", "pressure", "divergence")}
    print(
        f"\n{kind}, grad_div = {grad_div}: L2 rates {rates}; ||div w_h|| = {[r['divergence'] for r in results]}; "
        f"max |(div w_h, q_i)| = {max(r['weak_divergence'] for r in results):.1e}"
    )
    assert min(rates["velocity"]) >= 2.9
    assert min(rates["pressure"]) >= 1.9
    assert min(rates["divergence"]) >= 1.85  # ||div w_h|| -> 0 like h^2
    for r in results:
        assert r["weak_divergence"] < 1e-10  # discretely divergence-free against the pressure space
        assert r["passive"] < 1e-10  # so a constant species stays constant (P1 tests)


def test_grad_div_suppresses_spurious_currents_of_a_heavy_layer(comm):
    """A horizontally uniform heavy layer is in hydrostatic balance: the exact flow is w = 0.

    Taylor-Hood is not pressure-robust: the steep hydrostatic pressure leaks into a spurious
    velocity on a coarse mesh; the (consistent) grad-div term suppresses it.
    """
    speeds = {}
    for gamma in (0.0, 10.0):
        flow = {"kind": "stokes", "body_force": ["0", "-100*exp(-((1 - y)/0.1)^2)"], "grad_div": gamma}
        sim = Simulation(
            _model(flow),
            create_builtin(comm, "rectangle", [1.0, 1.0], [8, 8]),
            {"u": "1"},
            TimeSettings(dt=0.1),
        )
        speeds[gamma] = sim.flow.statistics()["max_speed"]  # type: ignore[union-attr]
    print(f"\nspurious speed of a resting layer: {speeds[0.0]:.2e} (Taylor-Hood), {speeds[10.0]:.2e} (grad-div 10)")
    assert speeds[10.0] < 0.3 * speeds[0.0]


def test_half_channel_with_free_slip_and_outflow_is_exact(comm):
    """Poiseuille flow over a symmetry plane is quadratic: Taylor-Hood reproduces it exactly.

    w = (U (1 - y^2), 0), p = 2 eta U (L - x) on [0, L] x [0, 1]: inflow profile on the left,
    free slip on the symmetry plane y = 0, a no-slip wall on top (by default), and an outflow
    on the right that fixes the pressure level (no null space).
    """
    flow = {
        "kind": "stokes",
        "viscosity": "eta",
        "boundary": [
            {"on": "left", "type": "velocity", "value": ["2*(1 - y^2)", "0"]},
            {"on": "bottom", "type": "free-slip"},
            {"on": "right", "type": "outflow"},
        ],
    }
    mesh = create_builtin(comm, "rectangle", [2.0, 1.0], [12, 6])
    sim = Simulation(_model(flow), mesh, {"u": "1"}, TimeSettings(dt=0.1))
    assert sim.flow is not None and not sim.flow.null_space
    x = ufl.SpatialCoordinate(mesh.mesh)
    w_exact = ufl.as_vector([2 * (1 - x[1] ** 2), 0 * x[0]])
    p_exact = 2 * 0.7 * 2 * (2.0 - x[0])
    assert _norm(comm, ufl.inner(sim.flow.velocity - w_exact, sim.flow.velocity - w_exact)) < 1e-11
    assert _norm(comm, (sim.flow.pressure - p_exact) ** 2) < 1e-10


def test_free_slip_lid_cavity_keeps_normal_velocity_zero(comm):
    """A moving lid (velocity), a free-slip side: w.n = 0 there exactly, pressure mean zero."""
    flow = {
        "kind": "stokes",
        "boundary": [
            {"on": "top", "type": "velocity", "value": ["16*x^2*(1 - x)^2", "0"]},
            {"on": "right", "type": "free-slip"},
        ],
    }
    mesh = create_builtin(comm, "rectangle", [1.0, 1.0], [8, 8])
    sim = Simulation(_model(flow), mesh, {"u": "1"}, TimeSettings(dt=0.1))
    fluid = sim.flow
    assert fluid is not None and fluid.null_space
    V0, _ = fluid.V.sub(0).collapse()
    right = dolfinx.fem.locate_dofs_geometrical((fluid.V.sub(0), V0), lambda p: np.isclose(p[0], 1.0))[0]
    V1, _ = fluid.V.sub(1).collapse()
    along = dolfinx.fem.locate_dofs_geometrical((fluid.V.sub(1), V1), lambda p: np.isclose(p[0], 1.0) & (p[1] < 0.99))[
        0
    ]
    values = fluid.velocity.x.array
    assert np.abs(values[right]).max(initial=0.0) == 0.0  # w.n = 0 exactly
    assert comm.allreduce(float(np.abs(values[along]).max(initial=0.0)), op=MPI.MAX) > 1e-3  # it slides along
    mean = comm.allreduce(dolfinx.fem.assemble_scalar(dolfinx.fem.form(fluid.pressure * ufl.dx)), op=MPI.SUM)
    assert abs(mean) < 1e-12
