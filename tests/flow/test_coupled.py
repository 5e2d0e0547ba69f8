"""Species and flow together: conservation, coupling variants, solver presets, prescribed flows."""

from __future__ import annotations

import dataclasses

import dolfinx.fem
import numpy as np
import pytest
import ufl

from mpi4py import MPI

from fem_chemotaxis.config.settings import SolverSettings, TimeSettings
from fem_chemotaxis.expressions import Expression
from fem_chemotaxis.mesh.builtin import create_builtin
from fem_chemotaxis.model.boundary import BoundaryCondition
from fem_chemotaxis.model.flow import Flow, FlowBoundary
from fem_chemotaxis.model.model import Model
from fem_chemotaxis.simulation import Simulation
from tests.flow.models import INITIAL, bioconvection

OXYGEN_AT_SURFACE = (BoundaryCondition("c", ("top",), "dirichlet", Expression.parse("1", "test")),)


def _plumes(
    comm, coupling: str = "monolithic", solver: str = "direct", n: int = 16, t_end: float = 0.6, dt: float = 0.05
) -> Simulation:
    mesh = create_builtin(comm, "rectangle", [2.0, 1.0], [2 * n, n])
    sim = Simulation(
        bioconvection(coupling),
        mesh,
        INITIAL,
        TimeSettings(dt=dt),
        solver=SolverSettings(solver),
        boundary_conditions=OXYGEN_AT_SURFACE,
    )
    sim.advance_to(t_end)
    return sim


def test_cell_mass_conserved_while_plumes_sink(comm):
    mesh = create_builtin(comm, "rectangle", [2.0, 1.0], [24, 12])
    sim = Simulation(bioconvection(), mesh, INITIAL, TimeSettings(dt=0.05), boundary_conditions=OXYGEN_AT_SURFACE)
    assert sim.flow is not None
    before = sim.statistics()["n"]
    speeds = []
    sim.advance_to(1.0, lambda step: speeds.append(sim.flow.statistics()["max_speed"]))
    after = sim.statistics()["n"]
    print(f"\ncell mass {before['mass']:.15g} -> {after['mass']:.15g}; max speed {speeds[0]:.3g} -> {speeds[-1]:.3g}")
    assert speeds[-1] > 10 * speeds[0] > 0, "the layer must go unstable and drive a flow"
    assert abs(after["mass"] - before["mass"]) / before["mass"] < 1e-10


def test_split_coupling_converges_to_monolithic_at_first_order(comm):
    """Split coupling lags the flow by one step: its difference to monolithic is O(dt)."""
    differences = []
    for dt in (0.04, 0.02):
        monolithic = _plumes(comm, "monolithic", t_end=0.4, dt=dt).statistics()
        split = _plumes(comm, "split", t_end=0.4, dt=dt).statistics()
        assert split["n"]["mass"] == pytest.approx(monolithic["n"]["mass"], rel=1e-10)
        differences.append(abs(split["n"]["max"] - monolithic["n"]["max"]) / monolithic["n"]["max"])
    print(f"\nsplit vs monolithic, relative difference of max n at dt = 0.04, 0.02: {differences}")
    assert differences[1] < 0.05
    assert 1.6 < differences[0] / differences[1] < 2.5


def test_iterative_preset_matches_direct_with_mesh_independent_iterations(comm):
    counts = {}
    for n in (8, 16, 32):
        iterative = _plumes(comm, solver="iterative", n=n, t_end=0.1)
        direct = _plumes(comm, solver="direct", n=n, t_end=0.1)
        newton = sum(h.newton_iterations for h in iterative.history)
        counts[n] = sum(h.krylov_iterations for h in iterative.history) / newton
        a, b = iterative.statistics()["n"], direct.statistics()["n"]
        assert a["max"] == pytest.approx(b["max"], rel=1e-7)
        assert a["min"] == pytest.approx(b["min"], rel=1e-7)
    print(f"\nKrylov iterations per Newton step (h = 1/n): {counts}")
    assert counts[32] <= 1.3 * counts[8]


def _cellular(x: np.ndarray, t: float) -> np.ndarray:
    """The prescribed cellular flow as a Python function (w.n = 0 on the unit square)."""
    return np.vstack([np.sin(np.pi * x[0]) * np.cos(np.pi * x[1]), -np.cos(np.pi * x[0]) * np.sin(np.pi * x[1])])


def _advected_blob(comm, flow: Flow) -> tuple[float, dict[str, float]]:
    """Initial mass and final statistics of a blob carried around by a prescribed flow."""
    model = dataclasses.replace(Model.from_dict({"species": {"u": {"diffusion": "0.01"}}}), flow=flow)
    mesh = create_builtin(comm, "rectangle", [1.0, 1.0], [24, 24])
    sim = Simulation(model, mesh, {"u": "exp(-30*((x - 0.3)^2 + (y - 0.5)^2))"}, TimeSettings(dt=0.05))
    before = sim.statistics()["u"]["mass"]
    sim.advance_to(0.5)
    return before, sim.statistics()["u"]


def test_prescribed_flow_by_expressions_function_and_file(comm, shared_tmp_path):
    expressions = tuple(Expression.parse(e, "test") for e in ("sin(pi*x)*cos(pi*y)", "-cos(pi*x)*sin(pi*y)"))
    mass, by_expression = _advected_blob(comm, Flow(kind="prescribed", velocity=expressions))
    _, by_function = _advected_blob(comm, Flow(kind="prescribed", velocity=_cellular))
    if comm.rank == 0:  # a VTK file of the same field, sampled on a finer regular grid
        import pyvista

        grid = pyvista.ImageData(dimensions=(101, 101, 1), spacing=(0.01, 0.01, 1.0))
        grid.point_data["velocity"] = np.column_stack([*_cellular(grid.points.T, 0.0), np.zeros(grid.n_points)])
        grid.save(shared_tmp_path / "cellular.vti")
    comm.Barrier()
    _, by_file = _advected_blob(comm, Flow(kind="prescribed", file=shared_tmp_path / "cellular.vti"))
    print(f"\nblob maximum after t = 0.5: {by_expression['max']:.6f} (expressions), "
          f"{by_function['max']:.6f} (function), {by_file['max']:.6f} (VTK file)")
    assert by_function["max"] == pytest.approx(by_expression["max"], rel=1e-12)
    assert by_file["max"] == pytest.approx(by_expression["max"], rel=1e-3)
    assert by_expression["max"] < 0.95  # the blob has moved and spread
    for stats in (by_expression, by_function, by_file):
        assert stats["mass"] == pytest.approx(mass, rel=1e-12)


def test_outflow_boundary_removes_what_the_fluid_carries_out(comm):
    """Backward Euler: (M_new - M_old)/dt = -(flux out) = -int_right u_new (w.n) ds, exactly."""
    flow = Flow(kind="prescribed", velocity=tuple(Expression.parse(e, "test") for e in ("1", "0")),
                boundaries=(FlowBoundary("outflow", ("right",)),))
    species = Model.from_dict({"species": {"u": {"diffusion": "0.05"}}}).species
    mesh = create_builtin(comm, "rectangle", [1.0, 0.5], [16, 8])
    sim = Simulation(Model("channel", species, flow=flow), mesh, {"u": "1 + x"}, TimeSettings(dt=0.1))
    before = sim.statistics()["u"]["mass"]
    sim.step(0.1)
    after = sim.statistics()["u"]["mass"]
    ds = ufl.Measure("ds", domain=mesh.mesh, subdomain_data=mesh.facet_tags)
    out = comm.allreduce(dolfinx.fem.assemble_scalar(dolfinx.fem.form(sim.u["u"] * ds(mesh.tag("right", 1)))),
                         op=MPI.SUM)
    assert out > 0.5
    assert (after - before) / 0.1 == pytest.approx(-out, rel=1e-9)
