"""The stage solves' stopping rule: the relative tolerance of |rhs|, or of a larger given scale, and
no solve below the round-off of the right-hand side."""

from __future__ import annotations

import dolfinx.fem
import dolfinx.fem.petsc
import numpy as np
import pytest
import ufl

from mpi4py import MPI
from petsc4py import PETSc

from fem_chemotaxis.config.settings import SolverSettings, TimeSettings
from fem_chemotaxis.library import builtin_model
from fem_chemotaxis.mesh import create_builtin
from fem_chemotaxis.simulation import Simulation
from fem_chemotaxis.solvers.linear import ReusedKrylovSolver, linear_preset_options
from fem_chemotaxis.solvers.linearly_implicit import LinearlyImplicitSystem


def test_a_small_right_hand_side_is_solved_to_the_scale_given(comm):
    """A right-hand side 1e-3 the size of `scale`: solved to 1e-4 of |rhs| without the scale, to
    1e-4 of the scale with it (fewer iterations; the residual within that bound)."""
    mesh = create_builtin(comm, "rectangle", [1.0, 1.0], [64, 64]).mesh
    V = dolfinx.fem.functionspace(mesh, ("Lagrange", 1))
    u, v = ufl.TrialFunction(V), ufl.TestFunction(V)
    x = ufl.SpatialCoordinate(mesh)
    A = dolfinx.fem.petsc.assemble_matrix(
        dolfinx.fem.form((50.0 * u * v + ufl.inner(ufl.grad(u), ufl.grad(v))) * ufl.dx)
    )
    A.assemble()
    b = dolfinx.fem.petsc.assemble_vector(
        dolfinx.fem.form(1e-3 * ufl.cos(7.0 * x[0]) * ufl.sin(5.0 * x[1]) * v * ufl.dx)
    )
    b.ghostUpdate(addv=PETSc.InsertMode.ADD, mode=PETSc.ScatterMode.REVERSE)
    scale = 1e3 * b.norm()
    options = {**linear_preset_options("iterative", ["u"], 10**6, 2), "ksp_initial_guess_nonzero": False}
    residuals, iterations = {}, {}
    for given in (0.0, scale):
        solver = ReusedKrylovSolver(A, [dolfinx.fem.Function(V, name="u")], options)
        solution = A.createVecRight()
        assert solver.solve(b, solution, given)
        residual = A.createVecLeft()
        A.mult(solution, residual)
        residual.aypx(-1.0, b)
        residuals[given], iterations[given] = residual.norm(), solver.statistics.iterations
    print(f"iterations {iterations[0.0]} -> {iterations[scale]}; residual / |b| {residuals[0.0] / b.norm():.1e}")
    assert residuals[0.0] <= 1e-4 * b.norm()
    assert residuals[scale] <= 1e-4 * scale and iterations[scale] < iterations[0.0]


def _settling(comm, solver: str) -> Simulation:
    """Keller-Segel (d = 0.25, chi = 0.5) on a 32 x 32 square from a cosine bump that decays to
    the uniform state, ros34pw2 at a fixed dt = 0.1."""
    model = builtin_model("keller-segel").with_parameters({"d": 0.25, "chi": 0.5})
    mesh = create_builtin(comm, "rectangle", [1.0, 1.0], [32, 32])
    return Simulation(
        model,
        mesh,
        {"u": "1 + 0.1*cos(pi*x)*cos(pi*y)", "s": "1"},
        TimeSettings(dt=0.1, scheme="ros34pw2"),
        solver=SolverSettings(solver),
    )


def _run_to_steady_state(comm, solver: str, steps: int = 150) -> tuple[Simulation, list[float], list[int]]:
    """The run, the first stage's |rhs| and the Krylov iterations of each step."""
    sim = _settling(comm, solver)
    rhs_norms, iterations = [], []
    for _ in range(steps):
        report = sim.step(0.1)
        rhs_norms.append(sim.solver._solver.system._first_rhs_norm)
        iterations.append(report.krylov_iterations)
    return sim, rhs_norms, iterations


def test_stages_stop_at_the_round_off_of_G_near_a_steady_state(comm, monkeypatch):
    """Near a steady state the stages' right-hand sides -G(u_n) shrink to their round-off, which
    the floor eps |K|_inf |u| estimates (within 10x of where |rhs| stops falling); the stages then
    take no Krylov iteration (over the last 30 steps), where a tolerance relative to |rhs| alone
    takes about 2 each (7 a step) to resolve round-off. The state is the direct solver's (LU, no floor) to 1e-10,
    the mass its initial mass to 1e-12."""
    sim, rhs_norms, iterations = _run_to_steady_state(comm, "iterative")
    floor = sim.solver._solver.system.round_off_floor()
    direct, _, _ = _run_to_steady_state(comm, "direct")
    u, u_direct = sim.unknowns["u"].x.array, direct.unknowns["u"].x.array
    difference = comm.allreduce(float(np.abs(u - u_direct).max()), op=MPI.MAX)
    masses = [sim.statistics()["u"]["mass"], direct.statistics()["u"]["mass"]]
    print(
        f"floor {floor:.2e}, last |rhs| {rhs_norms[-1]:.2e}, Krylov {sum(iterations[-30:])}, |u - u_LU| {difference:.1e}"
    )
    assert floor / 10 <= rhs_norms[-1] <= 10 * floor
    assert sum(iterations[-30:]) == 0
    assert difference <= 1e-10
    assert masses[0] == pytest.approx(masses[1], rel=1e-12)

    monkeypatch.setattr(LinearlyImplicitSystem, "round_off_floor", lambda self: 0.0)
    _, _, unfloored = _run_to_steady_state(comm, "iterative")
    print(f"without the floor: Krylov {sum(unfloored[-30:])} over the last 30 steps")
    assert sum(unfloored[-30:]) >= 30 * 4  # at least one iteration a stage
