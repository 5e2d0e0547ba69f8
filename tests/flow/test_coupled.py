"""Species and flow together: conservation, coupling variants, solver presets, prescribed flows."""

from __future__ import annotations

import dataclasses

import dolfinx.fem
import numpy as np
import pytest
import ufl

from mpi4py import MPI
from petsc4py import PETSc

from fem_chemotaxis.config.settings import SolverSettings, TimeSettings
from fem_chemotaxis.expressions import Expression
from fem_chemotaxis.mesh.builtin import create_builtin
from fem_chemotaxis.model.boundary import BoundaryCondition
from fem_chemotaxis.model.flow import Flow, FlowBoundary
from fem_chemotaxis.model.model import Model
from fem_chemotaxis.simulation import Simulation
from fem_chemotaxis.simulation.step_solver import StepSolver
from fem_chemotaxis.solvers.flow import KEPT_LU_PRECISION, KEPT_LU_RTOL, FlowSolver
from fem_chemotaxis.solvers.options_prefix import OptionsPrefix
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


def test_iterative_preset_splits_velocity_from_pressure_with_the_pressure_mass_matrix(comm):
    """The iterative preset's velocity-pressure block is a Schur-complement split: one split holds
    every velocity unknown, the other every pressure unknown, and the Schur complement is
    preconditioned by the scaled pressure mass matrix -(1/eta) M_p, whose entries sum to
    -|domain| / eta (here -2). Before, the field split was preconditioned by a second matrix
    whose pressure block (that mass matrix) filled the zero diagonal: PETSc found no saddle point
    and put velocity and pressure in one split under one AMG V-cycle (3-D plumes: 50 Krylov
    iterations a Newton solve to 1e-6 against 26 now, bench/README.md)."""
    sim = _plumes(comm, solver="iterative", n=16, t_end=0.1)
    assert sim.flow is not None
    pc = sim.solver._solver.problem.solver.getKSP().getPC()
    velocity, schur = pc.getFieldSplitSubKSP()[-1].getPC().getFieldSplitSubKSP()
    sizes = [V.dofmap.index_map.size_global * V.dofmap.index_map_bs for V in (sim.flow.V, sim.flow.Q)]
    assert [velocity.getOperators()[0].getSize()[0], schur.getOperators()[0].getSize()[0]] == sizes
    mass = schur.getOperators()[1]
    ones = mass.createVecRight()
    ones.set(1.0)
    column_sums = mass.createVecLeft()
    mass.mult(ones, column_sums)
    assert column_sums.sum() == pytest.approx(-2.0, rel=1e-12)


@pytest.mark.parametrize("kind", ["stokes", "navier-stokes"])
def test_iterative_preset_in_3d_matches_direct(comm, kind):
    """3-D plumes under the iterative preset (GMRES + ILU on the velocity, whose block is not
    symmetric with Navier-Stokes' convection; CG on the pressure mass matrix; both inside the
    Schur split): after 3 steps the direct preset's cell density to 1e-7, in as many Newton
    iterations a step as the direct preset."""
    surface = (BoundaryCondition("c", ("back",), "dirichlet", Expression.parse("1", "test")),)
    layer = {"n": "0.3 + 3*exp(-((1 - z)/0.15)^2)*(1 + 0.05*cos(2*pi*x/0.75))", "c": "1"}

    def run(solver: str) -> Simulation:
        mesh = create_builtin(comm, "box", [1.5, 1.5, 1.0], [6, 6, 4])
        settings = SolverSettings(solver)
        sim = Simulation(
            bioconvection(dimension=3, kind=kind),
            mesh,
            layer,
            TimeSettings(dt=0.05),
            solver=settings,
            boundary_conditions=surface,
        )
        sim.advance_to(0.15)
        return sim

    iterative, direct = run("iterative"), run("direct")
    flow = iterative.solver._solver.problem.solver.getKSP().getPC().getFieldSplitSubKSP()[-1]
    assert flow.getPC().getFieldSplitSubKSP()[0].getType() == "gmres"
    a, b = iterative.statistics()["n"], direct.statistics()["n"]
    assert a["max"] == pytest.approx(b["max"], rel=1e-7)
    assert a["min"] == pytest.approx(b["min"], rel=1e-7)
    assert [h.newton_iterations for h in iterative.history] == [h.newton_iterations for h in direct.history]


def _fresh_factors(solver: FlowSolver) -> tuple[float, int]:
    """The LU of the solver's current Jacobian J, factorised anew by its own preconditioner: the
    relative residual of solving J z = J x (x random) with it, and MUMPS's memory (MB, all ranks)."""
    pc, J = solver.problem.solver.getKSP().getPC(), solver.problem.A
    pc.setReusePreconditioner(False)
    pc.setOperators(J, J)
    pc.setUp()
    x = J.createVecRight()
    x.setRandom()
    rhs, z, residual = J.createVecLeft(), J.createVecRight(), J.createVecLeft()
    J.mult(x, rhs)
    pc.apply(rhs, z)
    J.mult(z, residual)
    residual.axpy(-1.0, rhs)
    return residual.norm() / rhs.norm(), int(pc.getFactorMatrix().getMumpsInfog(22))


def _direct_plumes(comm, petsc: dict, t_end: float = 0.6) -> Simulation:
    mesh = create_builtin(comm, "rectangle", [2.0, 1.0], [32, 16])
    sim = Simulation(
        bioconvection(),
        mesh,
        INITIAL,
        TimeSettings(dt=0.05),
        solver=SolverSettings("direct", petsc=petsc),
        boundary_conditions=OXYGEN_AT_SURFACE,
    )
    sim.advance_to(t_end)
    return sim


def _mumps_factorises_in_single_precision() -> bool:
    """Whether PETSc's MUMPS takes ``pc_precision = "single"`` (PETSc >= 3.24 with MUMPS's single
    precision): its solve of a small bidiagonal system then leaves a residual of single precision's
    rounding (measured 1e-7; double precision 9e-17)."""
    size = 50
    A = PETSc.Mat().createAIJ([size, size], nnz=2, comm=MPI.COMM_SELF)
    for i in range(size):
        A.setValue(i, i, 4.0 / 3.0)
        if i > 0:
            A.setValue(i, i - 1, -1.0 / 7.0)
    A.assemble()
    options = OptionsPrefix(
        "mixed_precision_probe_", {"pc_type": "lu", "pc_factor_mat_solver_type": "mumps", "pc_precision": "single"}
    )
    pc = PETSc.PC().create(MPI.COMM_SELF)
    pc.setOptionsPrefix(options.prefix)
    pc.setOperators(A)
    pc.setFromOptions()
    b, x = A.createVecs()
    b.set(1.0)
    pc.apply(b, x)
    options.clear()
    residual = b.duplicate()
    A.mult(x, residual)
    residual.axpy(-1.0, b)
    relative = residual.norm() / b.norm()
    for obj in (pc, A, b, x, residual):
        obj.destroy()
    return relative > 1e-12


_MIXED_PRECISION_MUMPS = pytest.mark.skipif(
    not _mumps_factorises_in_single_precision(), reason="this PETSc's MUMPS does not factorise in single precision"
)


def test_direct_preset_keeps_its_lu_across_newton_iterations_and_steps(comm):
    """The direct preset of a flow system factorises its Jacobian once per PRECONDITIONER_LAG (25)
    Newton iterations and solves with GMRES on those factors in between: on 12 steps of the
    plumes (36 Newton iterations) 3 factorisations instead of 37 (each count with the flow solved
    alone at the start), the same Newton iterations and the state of a run that factorises at
    every iteration to 1e-9 (measured 1e-14). Newton chooses GMRES's tolerance per iteration
    (solvers/forcing.py): fewer GMRES iterations than at the fixed KEPT_LU_RTOL (measured 163
    against 200), the same Newton iterations and state (measured 2e-15)."""
    PETSc.Log.begin()
    factorisations = PETSc.Log.Event("MatLUFactorNum")

    def run(petsc: dict) -> tuple[Simulation, int]:
        before = factorisations.getPerfInfo()["count"]
        sim = _direct_plumes(comm, petsc)
        return sim, factorisations.getPerfInfo()["count"] - before

    kept, kept_count = run({})
    every, every_count = run({"ksp_type": "preonly", "snes_lag_preconditioner": 1})
    fixed, _ = run({"ksp_rtol": KEPT_LU_RTOL})  # a user's tolerance: kept, not chosen per iteration
    newton = [sum(h.newton_iterations for h in sim.history) for sim in (kept, every, fixed)]
    krylov = [sum(h.krylov_iterations for h in sim.history) for sim in (kept, fixed)]

    def difference(sim: Simulation) -> float:
        n, reference = sim.unknowns["n"].x.array, every.unknowns["n"].x.array
        return comm.allreduce(float(np.abs(n - reference).max()), op=MPI.MAX) / every.statistics()["n"]["max"]

    print(
        f"\nfactorisations {kept_count} / {every_count}, Newton iterations {newton}, GMRES iterations {krylov}, "
        f"relative difference {difference(kept):.1e} / {difference(fixed):.1e}"
    )
    assert every_count >= newton[1] - 1  # the flow alone at the start factorises too
    assert kept_count <= newton[0] // 10 + 1
    assert newton[0] == newton[1] == newton[2]
    assert krylov[0] < krylov[1]
    assert difference(kept) <= 1e-9 and difference(fixed) <= 1e-9


@_MIXED_PRECISION_MUMPS
def test_direct_preset_keeps_single_precision_factors_for_gmres(comm):
    """The kept LU of a system with species is single precision (KEPT_LU_PRECISION): GMRES on the
    double-precision Jacobian reaches the same state (1e-9; measured 1e-15) in the same Newton
    iterations (36) as with double-precision factors, whose solves are exact to round-off (relative
    residual below 1e-12; measured 5e-16) where the single-precision ones are exact to single
    precision (between 1e-10 and 1e-4; measured 2.5e-7) in 0.8 of the memory at most (MUMPS: 7
    against 13 MB; 2 ranks 30 against 44 MB)."""
    assert KEPT_LU_PRECISION == "single"
    single, double = _direct_plumes(comm, {}), _direct_plumes(comm, {"pc_precision": "double"})
    assert single.solver._solver.lu_precision == "single" and double.solver._solver.lu_precision == "double"
    (single_residual, single_memory), (double_residual, double_memory) = (
        _fresh_factors(sim.solver._solver) for sim in (single, double)
    )
    newton = [sum(h.newton_iterations for h in sim.history) for sim in (single, double)]
    n, reference = single.unknowns["n"].x.array, double.unknowns["n"].x.array
    difference = comm.allreduce(float(np.abs(n - reference).max()), op=MPI.MAX) / double.statistics()["n"]["max"]
    print(
        f"\nfactor residuals {single_residual:.1e} / {double_residual:.1e}, memory {single_memory} / "
        f"{double_memory} MB, Newton iterations {newton}, relative difference {difference:.1e}"
    )
    assert 1e-10 <= single_residual <= 1e-4 and double_residual <= 1e-12
    assert single_memory <= 0.8 * double_memory
    assert newton[0] == newton[1]
    assert difference <= 1e-9


@_MIXED_PRECISION_MUMPS
def test_failed_linear_solve_makes_the_kept_factors_double_precision(comm):
    """A linear solve that fails with single-precision factors (GMRES held to one iteration) makes
    the factors double precision for the rest of the run: the step is reported as failed, the
    factors then solve to round-off (relative residual below 1e-12) and the run goes on to its
    end with GMRES free again."""
    sim = _direct_plumes(comm, {}, t_end=0.0)
    solver = sim.solver._solver
    assert solver.lu_precision == "single"
    ksp = solver.problem.solver.getKSP()
    ksp.setTolerances(max_it=1)
    report = solver.solve()
    assert report.reason == PETSc.SNES.ConvergedReason.DIVERGED_LINEAR_SOLVE
    assert solver.lu_precision == "double"
    ksp.setTolerances(max_it=200)
    sim.advance_to(0.3)
    residual, _ = _fresh_factors(solver)
    print(f"\nafter the failure: {solver.lu_precision} factors, relative residual {residual:.1e}")
    assert sim.time == pytest.approx(0.3) and all(h.newton_iterations > 0 for h in sim.history)
    assert residual <= 1e-12


def test_monolithic_coupling_frees_the_flow_alones_factors(comm):
    """With ``coupling = "monolithic"`` the flow alone gives only the initial flow (and the flow
    after a restart or re-meshing): its LU factors are freed after each solve instead of staying
    beside the coupled system's for the whole run (plume_3d at 1.2e5 DOFs: peak 4.2 -> 2.9 GB).
    Solving it again from rest factorises once more and gives the same flow to 1e-10 of its
    largest speed (measured 0: the first solve, too, started from rest on fresh factors)."""
    PETSc.Log.begin()
    factorisations = PETSc.Log.Event("MatLUFactorNum")
    sim = _direct_plumes(comm, {}, t_end=0.0)
    first = sim.flow.velocity.x.array.copy()
    for unknown in sim.flow.unknowns:
        unknown.x.array[:] = 0.0
    before = factorisations.getPerfInfo()["count"]
    sim.solve_flow()
    again = factorisations.getPerfInfo()["count"] - before
    speed = sim.flow.statistics()["max_speed"]
    difference = comm.allreduce(float(np.abs(sim.flow.velocity.x.array - first).max()), op=MPI.MAX)
    print(f"\nfactorisations {again}, difference {difference / speed:.1e} of the largest speed")
    assert again == 1
    assert difference <= 1e-10 * speed


@pytest.mark.parametrize("coupling", ["monolithic", "split"])
def test_direct_preset_keeps_the_stokes_blocks_of_its_jacobian(comm, monkeypatch, coupling):
    """With the direct preset the monolithic Newton solver assembles only the Jacobian blocks that
    change (taxis, advection, reaction) and adds the kept ones (Stokes, buoyancy, mass/dt,
    diffusion), as the species' solver does: free-slip conditions on a velocity component and the
    oxygen's Dirichlet row included, 12 steps reach the state of full assemblies to 1e-10
    (measured 2e-15) in the same Newton iterations. With ``coupling = "split"`` the species'
    Newton solver keeps its blocks likewise."""
    split = _plumes(comm, coupling, t_end=0.6)
    assert split.solver._solver.split is not None
    monkeypatch.setattr(StepSolver, "_split", lambda self, fixed: None)
    whole = _plumes(comm, coupling, t_end=0.6)
    assert whole.solver._solver.split is None
    newton = [sum(h.newton_iterations for h in sim.history) for sim in (split, whole)]
    difference = max(
        comm.allreduce(float(np.abs(split.unknowns[name].x.array - whole.unknowns[name].x.array).max()), op=MPI.MAX)
        / whole.statistics()[name]["max"]
        for name in ("n", "c")
    )
    speed = comm.allreduce(float(np.abs(split.flow.velocity.x.array - whole.flow.velocity.x.array).max()), op=MPI.MAX)
    print(f"\nNewton iterations {newton}, relative difference {difference:.1e}, velocity {speed:.1e}")
    assert newton[0] == newton[1]
    assert difference <= 1e-10 and speed <= 1e-10 * whole.flow.statistics()["max_speed"]


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
    print(
        f"\nblob maximum after t = 0.5: {by_expression['max']:.6f} (expressions), "
        f"{by_function['max']:.6f} (function), {by_file['max']:.6f} (VTK file)"
    )
    assert by_function["max"] == pytest.approx(by_expression["max"], rel=1e-12)
    assert by_file["max"] == pytest.approx(by_expression["max"], rel=1e-3)
    for stats in (by_expression, by_function, by_file):
        assert stats["mass"] == pytest.approx(mass, rel=1e-12)


#: A linear, divergence-free flow about the centre of the unit square (an elliptic rotation).
LINEAR_FLOW = np.array([[0.3, -1.0], [1.0, -0.3]])
CENTRE = np.array([0.5, 0.5])


def _rk4_path(velocity, start: np.ndarray, t_end: float, steps: int) -> np.ndarray:
    """The point x(t_end) of x' = velocity(x), x(0) = start, by the classical Runge-Kutta method."""
    x, h = np.array(start, dtype=float), t_end / steps
    for _ in range(steps):
        k1 = velocity(x)
        k2 = velocity(x + h / 2 * k1)
        k3 = velocity(x + h / 2 * k2)
        k4 = velocity(x + h * k3)
        x = x + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
    return x


def test_blob_centroid_follows_the_flow(comm):
    """The centroid of a blob carried by a linear flow w(x) = A (x - c) follows x' = w(x).

    For a linear w, ``d/dt int x u = int u w = M w(centroid)`` exactly (diffusion moves the
    centroid only through the wall values of u, here ~ exp(-150 * 0.04) of the peak), so the
    centroid is the path of a particle, integrated here by RK4. The flow turns the blob by
    about 1 radian (0.17 from its start); with the advection reversed it would end 0.36 away.
    """
    expressions = ("0.3*(x - 0.5) - (y - 0.5)", "(x - 0.5) - 0.3*(y - 0.5)")
    flow = Flow(kind="prescribed", velocity=tuple(Expression.parse(e, "test") for e in expressions))
    model = dataclasses.replace(Model.from_dict({"species": {"u": {"diffusion": "0.002"}}}), flow=flow)
    mesh = create_builtin(comm, "rectangle", [1.0, 1.0], [32, 32])
    sim = Simulation(
        model, mesh, {"u": "exp(-150*((x - 0.7)^2 + (y - 0.5)^2))"}, TimeSettings(dt=0.02, scheme="crank-nicolson")
    )
    x = ufl.SpatialCoordinate(mesh.mesh)

    def centroid() -> np.ndarray:
        moments = [
            comm.allreduce(dolfinx.fem.assemble_scalar(dolfinx.fem.form(f * sim.u["u"] * ufl.dx)), op=MPI.SUM)
            for f in (1.0, x[0], x[1])
        ]
        return np.array(moments[1:]) / moments[0]

    start, t_end = centroid(), 1.0
    sim.advance_to(t_end)
    path = _rk4_path(lambda p: LINEAR_FLOW @ (p - CENTRE), start, t_end, 100)
    reversed_path = _rk4_path(lambda p: -LINEAR_FLOW @ (p - CENTRE), start, t_end, 100)
    error = np.linalg.norm(centroid() - path)
    print(
        f"\ncentroid {start} -> {centroid()}, particle path -> {path}: distance {error:.2e} "
        f"(moved {np.linalg.norm(path - start):.3f}; "
        f"reversed flow would end {np.linalg.norm(reversed_path - path):.3f} away)"
    )
    assert error < 1e-3  # measured 2.6e-5 (Crank-Nicolson phase error, wall values)


def _mode(k: int, m: int, x) -> ufl.core.expr.Expr:
    """cos(k pi x) cos(m pi y), written as a mean of cosines of sums (a lower UFL degree estimate)."""
    return (ufl.cos(ufl.pi * (k * x[0] + m * x[1])) + ufl.cos(ufl.pi * (k * x[0] - m * x[1]))) / 2


def _advection_mms_error(comm, n: int) -> float:
    """L2 error at t = 0.5 of a manufactured solution advected by the cellular flow (P1, n x n cells).

    ``u = 1 + 0.5 C(1,2) + t 0.4 C(2,1)`` (C the cosine modes): linear in t, so backward Euler
    has no time error; zero normal derivative and ``w.n = 0`` make the no-flux condition exact.
    The source is the strong form ``du/dt + div(u w) - D Lap u`` written here in UFL.
    """
    d = 0.1
    flow = Flow(
        kind="prescribed",
        velocity=tuple(Expression.parse(e, "test") for e in ("sin(pi*x)*cos(pi*y)", "-cos(pi*x)*sin(pi*y)")),
    )
    model = dataclasses.replace(
        Model.from_dict({"species": {"u": {"diffusion": "d"}}, "parameters": {"d": d}}), flow=flow
    )

    def exact(x, t):
        return 1 + 0.5 * _mode(1, 2, x) + t * 0.4 * _mode(2, 1, x)

    def source(x, t):
        w = ufl.as_vector(
            [ufl.sin(ufl.pi * x[0]) * ufl.cos(ufl.pi * x[1]), -ufl.cos(ufl.pi * x[0]) * ufl.sin(ufl.pi * x[1])]
        )
        u = exact(x, t)
        return 0.4 * _mode(2, 1, x) + ufl.div(u * w) - ufl.div(d * ufl.grad(u))

    mesh = create_builtin(comm, "rectangle", [1.0, 1.0], [n, n])
    initial = {"u": "1 + 0.5*cos(pi*x)*cos(2*pi*y)"}
    sim = Simulation(model, mesh, initial, TimeSettings(dt=0.25), sources={"u": source})
    sim.advance_to(0.5)
    x = ufl.SpatialCoordinate(mesh.mesh)
    form = dolfinx.fem.form((sim.u["u"] - exact(x, 0.5)) ** 2 * ufl.dx(metadata={"quadrature_degree": 6}))
    return float(np.sqrt(comm.allreduce(dolfinx.fem.assemble_scalar(form), op=MPI.SUM)))


def test_advection_manufactured_solution_converges_at_second_order(comm):
    """Advection by a prescribed cellular flow: observed P1 L2 rate >= 1.9 (reversed advection: no convergence)."""
    sizes = [8, 16, 32, 64]
    errors = np.array([_advection_mms_error(comm, n) for n in sizes])
    rates = np.log(errors[:-1] / errors[1:]) / np.log(2.0)
    print(f"\nadvection MMS: errors {errors}, pairwise rates {rates}")
    assert rates[-1] >= 1.9 and -np.polyfit(np.log(sizes), np.log(errors), 1)[0] >= 1.9  # measured 1.96, 1.99, 2.00


def test_outflow_boundary_removes_what_the_fluid_carries_out(comm):
    """Backward Euler: (M_new - M_old)/dt = -(flux out) = -int_right u_new (w.n) ds, exactly."""
    flow = Flow(
        kind="prescribed",
        velocity=tuple(Expression.parse(e, "test") for e in ("1", "0")),
        boundaries=(FlowBoundary("outflow", ("right",)),),
    )
    species = Model.from_dict({"species": {"u": {"diffusion": "0.05"}}}).species
    mesh = create_builtin(comm, "rectangle", [1.0, 0.5], [16, 8])
    sim = Simulation(Model("channel", species, flow=flow), mesh, {"u": "1 + x"}, TimeSettings(dt=0.1))
    before = sim.statistics()["u"]["mass"]
    sim.step(0.1)
    after = sim.statistics()["u"]["mass"]
    ds = ufl.Measure("ds", domain=mesh.mesh, subdomain_data=mesh.facet_tags)
    out = comm.allreduce(
        dolfinx.fem.assemble_scalar(dolfinx.fem.form(sim.u["u"] * ds(mesh.tag("right", 1)))), op=MPI.SUM
    )
    assert out > 0.5
    assert (after - before) / 0.1 == pytest.approx(-out, rel=1e-9)
