"""Boundary conditions and subdomain parameters against closed forms and manufactured solutions."""

from __future__ import annotations

import math

import dolfinx.fem
import dolfinx.mesh
import numpy as np
import pytest
import ufl

from mpi4py import MPI

from fem_chemotaxis.config.settings import TimeSettings
from fem_chemotaxis.expressions import Expression
from fem_chemotaxis.expressions.ufl_backend import UFL_FUNCTIONS
from fem_chemotaxis.mesh import TaggedMesh, create_builtin, generate
from fem_chemotaxis.model import Model
from fem_chemotaxis.model.boundary import BoundaryCondition
from fem_chemotaxis.simulation import Simulation

DIFFUSION_ONLY = {"species": {"u": {"diffusion": "D"}}, "parameters": {"D": 1.0}}


def _integral(comm, form) -> float:
    return comm.allreduce(dolfinx.fem.assemble_scalar(dolfinx.fem.form(form)), op=MPI.SUM)


def test_vessel_wall_flux_delivers_the_expected_supply(comm):
    """Mass grows by g * |wall| * T through a flux condition on one vessel wall."""
    g, t_end, radius = 0.5, 0.4, 0.12
    mesh = generate("tissue-section", comm, size=0.05)
    bc = BoundaryCondition.from_dict({"on": "vessel_1", "species": "u", "type": "flux", "value": g}, "test")
    sim = Simulation(Model.from_dict(DIFFUSION_ONLY), mesh, {"u": 1.0}, TimeSettings(dt=0.1), boundary_conditions=[bc])
    mass0 = sim.statistics()["u"]["mass"]
    sim.advance_to(t_end)
    supplied = sim.statistics()["u"]["mass"] - mass0
    ds = ufl.Measure("ds", domain=mesh.mesh, subdomain_data=mesh.facet_tags)
    wall = _integral(comm, 1.0 * ds(mesh.tag("vessel_1", 1)))
    print(
        f"supplied {supplied:.12f}; g |wall_h| T = {g * wall * t_end:.12f}; g 2 pi r T = {g * 2 * math.pi * radius * t_end:.12f}"
    )
    assert supplied == pytest.approx(g * wall * t_end, rel=1e-10)  # exact for the discrete wall
    assert supplied == pytest.approx(g * 2 * math.pi * radius * t_end, rel=2e-3)  # polygonal wall


def _layered_mesh(comm, interface: float) -> TaggedMesh:
    """Unit square split at x = interface into subdomains 'inner' (1) and 'outer' (2)."""
    mesh = dolfinx.mesh.create_rectangle(comm, [[0, 0], [1, 1]], [40, 4])
    tdim = mesh.topology.dim
    n_cells = mesh.topology.index_map(tdim).size_local + mesh.topology.index_map(tdim).num_ghosts
    cells = np.arange(n_cells, dtype=np.int32)
    midpoints = dolfinx.mesh.compute_midpoints(mesh, tdim, cells)
    cell_tags = dolfinx.mesh.meshtags(mesh, tdim, cells, np.where(midpoints[:, 0] < interface, 1, 2).astype(np.int32))
    mesh.topology.create_connectivity(tdim - 1, tdim)
    left = dolfinx.mesh.locate_entities_boundary(mesh, tdim - 1, lambda x: np.isclose(x[0], 0))
    right = dolfinx.mesh.locate_entities_boundary(mesh, tdim - 1, lambda x: np.isclose(x[0], 1))
    facets = np.concatenate([left, right])
    order = np.argsort(facets)
    values = np.concatenate([np.full_like(left, 1), np.full_like(right, 2)])[order]
    facet_tags = dolfinx.mesh.meshtags(mesh, tdim - 1, facets[order], values.astype(np.int32))
    groups = {"inner": (2, 1), "outer": (2, 2), "left": (1, 1), "right": (1, 2)}
    return TaggedMesh(mesh, cell_tags, facet_tags, groups, "layered test mesh")


def test_subdomain_diffusion_steady_state_across_interface(comm):
    """u = 0 at x=0, u = 1 at x=1, D = D1 | D2: piecewise-linear u with continuous flux."""
    a, d1, d2 = 0.4, 0.2, 1.5
    model = Model.from_dict({"species": {"u": {"diffusion": "D", "time_derivative": False}}, "parameters": {"D": d1}})
    bcs = [
        BoundaryCondition.from_dict({"on": "left", "species": "u", "type": "dirichlet", "value": 0}, "test"),
        BoundaryCondition.from_dict({"on": "right", "species": "u", "type": "dirichlet", "value": 1}, "test"),
    ]
    sim = Simulation(
        model,
        _layered_mesh(comm, a),
        {"u": 0.0},
        TimeSettings(dt=1.0),
        boundary_conditions=bcs,
        subdomain_parameters={"outer": {"D": d2}},
    )
    sim.advance_to(1.0)
    q = 1.0 / (a / d1 + (1 - a) / d2)  # the flux through both layers

    def exact(x: np.ndarray) -> np.ndarray:
        return np.where(x[0] < a, q * x[0] / d1, q * (a / d1 + (x[0] - a) / d2))

    u = sim.u["u"]
    x = u.function_space.tabulate_dof_coordinates().T
    error = comm.allreduce(np.abs(u.x.array - exact(x)).max(), op=MPI.MAX)
    print(f"max nodal error {error:.2e} (flux q = {q:.6f})")
    assert error < 1e-10  # P1 is nodally exact for piecewise-linear solutions on an aligned mesh


EXACT = "(1 + x*x*y + 0.5*sin(pi*y)*x) * (1 + t)"  # normal derivative non-zero on every side


def _u_exact(x, t):
    return Expression.parse(EXACT, "exact").evaluate({"x": x[0], "y": x[1], "t": t}, UFL_FUNCTIONS)


@pytest.mark.parametrize("kind", ["dirichlet", "flux", "robin"])
def test_boundary_condition_convergence(kind, comm):
    """Manufactured solution with each condition on the whole boundary: P1 L2 rate >= 1.9."""
    names = ["left", "right", "bottom", "top"]
    d, k = 0.7, 2.0
    model = Model.from_dict({"species": {"u": {"diffusion": "D"}}, "parameters": {"D": d, "k": k}})
    errors, sizes = [], [8, 16, 32]
    for n in sizes:
        mesh = create_builtin(comm, "rectangle", [1.0, 1.0], [n, n])
        x = ufl.SpatialCoordinate(mesh.mesh)
        # Values in the config syntax: the exact solution, or the inward flux D grad u . n of
        # the exact solution on each side (outward normals -x, +x, -y, +y).
        flux = {
            "left": "-D*(2*x*y + 0.5*sin(pi*y))*(1 + t)",
            "right": "D*(2*x*y + 0.5*sin(pi*y))*(1 + t)",
            "bottom": "-D*(x*x + 0.5*pi*cos(pi*y)*x)*(1 + t)",
            "top": "D*(x*x + 0.5*pi*cos(pi*y)*x)*(1 + t)",
        }
        bcs = []
        for side in names:
            if kind == "dirichlet":
                table = {"on": side, "species": "u", "type": "dirichlet", "value": EXACT}
            elif kind == "flux":
                table = {"on": side, "species": "u", "type": "flux", "value": flux[side]}
            else:  # rate*(value - u) = flux  =>  value = u + flux/rate
                table = {
                    "on": side,
                    "species": "u",
                    "type": "robin",
                    "rate": "k",
                    "value": f"{EXACT} + ({flux[side]})/k",
                }
            bcs.append(BoundaryCondition.from_dict(table, "test"))

        def source(x, t):
            u = _u_exact(x, t)
            return _u_exact(x, 1.0) - _u_exact(x, 0.0) - ufl.div(d * ufl.grad(u))  # du/dt + (-div D grad u)

        sim = Simulation(
            model,
            mesh,
            {"u": EXACT},
            TimeSettings(dt=0.25),
            boundary_conditions=bcs,
            sources={"u": source},
        )
        sim.advance_to(0.5)
        diff = sim.u["u"] - _u_exact(x, 0.5)
        errors.append(math.sqrt(_integral(comm, diff**2 * ufl.dx(metadata={"quadrature_degree": 6}))))
    rate = -np.polyfit(np.log(sizes), np.log(errors), 1)[0]
    print(f"{kind}: errors {errors}, rate {rate:.3f}")
    assert rate >= 1.9
