"""The balance correction after an inexact solve: the residual's sums over given rows are zero."""

from __future__ import annotations

import dolfinx.fem
import dolfinx.fem.petsc
import numpy as np
import ufl

from petsc4py import PETSc

from fem_chemotaxis.mesh import create_builtin
from fem_chemotaxis.solvers.balance import BalanceCorrection


def test_residual_sums_vanish_after_a_loose_solve(comm):
    """Convection-diffusion-reaction (nonsymmetric), GMRES + Jacobi stopped at 1e-2; two directions
    (the ones left and right of x = 0.4). Before the correction the sums are of the tolerance,
    after it zero to round-off, and the solution is no further from the exact one."""
    mesh = create_builtin(comm, "rectangle", [1.0, 1.0], [40, 40]).mesh
    V = dolfinx.fem.functionspace(mesh, ("Lagrange", 1))
    u, v = ufl.TrialFunction(V), ufl.TestFunction(V)
    x = ufl.SpatialCoordinate(mesh)
    wind = ufl.as_vector((5.0, 2.0 * x[0]))
    a = (20.0 * u * v + ufl.inner(ufl.grad(u), ufl.grad(v)) + ufl.dot(wind, ufl.grad(u)) * v) * ufl.dx
    L = (1.0 + ufl.sin(6.0 * x[0]) * x[1]) * v * ufl.dx
    A = dolfinx.fem.petsc.assemble_matrix(dolfinx.fem.form(a))
    A.assemble()
    b = dolfinx.fem.petsc.assemble_vector(dolfinx.fem.form(L))
    b.ghostUpdate(addv=PETSc.InsertMode.ADD, mode=PETSc.ScatterMode.REVERSE)

    exact = A.createVecRight()
    direct = PETSc.KSP().create(comm)
    direct.setOperators(A)
    direct.setType("preonly")
    direct.getPC().setType("lu")
    direct.getPC().setFactorSolverType("mumps")
    direct.solve(b, exact)

    loose = PETSc.KSP().create(comm)
    loose.setOperators(A)
    loose.setType("gmres")
    loose.getPC().setType("jacobi")
    loose.setTolerances(rtol=1e-2)
    solution = A.createVecRight()
    loose.solve(b, solution)

    owned = V.dofmap.index_map.size_local
    left = V.tabulate_dof_coordinates()[:owned, 0] < 0.4
    directions = [A.createVecRight() for _ in range(2)]
    directions[0].array[:] = left
    directions[1].array[:] = ~left

    def sums() -> np.ndarray:
        residual = A.createVecRight()
        A.mult(solution, residual)
        residual.aypx(-1.0, b)
        return np.array(residual.mDot(directions)) / b.norm(PETSc.NormType.NORM_1)

    def error() -> float:
        difference = solution.copy()
        difference.axpy(-1.0, exact)
        return difference.norm() / exact.norm()

    before, error_before = sums(), error()
    image = A.createVecLeft()
    A.mult(solution, image)
    BalanceCorrection(directions).apply(A, b, solution, image)
    after, error_after = sums(), error()
    product = A.createVecLeft()
    A.mult(solution, product)
    product.axpy(-1.0, image)
    assert product.norm() < 1e-13 * image.norm()  # the image is updated with the solution
    print(f"relative residual sums {before} -> {after}; error {error_before:.2e} -> {error_after:.2e}")
    assert np.abs(before).max() > 1e-5  # measured: 1e-3
    assert np.abs(after).max() < 1e-14
    assert error_after < error_before
