"""The stage solves' stopping rule: the relative tolerance of |rhs|, or of a larger given scale."""

from __future__ import annotations

import dolfinx.fem
import dolfinx.fem.petsc
import ufl

from petsc4py import PETSc

from fem_chemotaxis.mesh import create_builtin
from fem_chemotaxis.solvers.linear import ReusedKrylovSolver, linear_preset_options


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
