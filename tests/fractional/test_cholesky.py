"""The shifted systems' direct solver (``solvers/fractional_resolvent.py`` ``factor_cholesky``): PETSc's own
Cholesky in 2-D (a whole copy on every rank under MPI), MUMPS's in 3-D. A solve is exact to
round-off, serially and on 2 ranks, and the options it is configured with leave PETSc's
database as they found it."""

from __future__ import annotations

import dolfinx.fem
import dolfinx.fem.petsc
import numpy as np
import pytest
import ufl

from mpi4py import MPI
from petsc4py import PETSc

from fem_chemotaxis.solvers.fractional_resolvent import factor_cholesky


@pytest.mark.parametrize("dim", [2, 3])
def test_cholesky_solves_to_round_off_and_leaves_no_options(dim):
    comm = MPI.COMM_WORLD
    if dim == 2:
        mesh = dolfinx.mesh.create_unit_square(comm, 24, 24)
    else:
        mesh = dolfinx.mesh.create_unit_cube(comm, 8, 8, 8)
    V = dolfinx.fem.functionspace(mesh, ("Lagrange", 1))
    u, v = ufl.TrialFunction(V), ufl.TestFunction(V)
    A = dolfinx.fem.petsc.assemble_matrix(
        dolfinx.fem.form((ufl.inner(ufl.grad(u), ufl.grad(v)) + 3.0 * u * v) * ufl.dx)
    )
    A.assemble()
    exact = dolfinx.fem.Function(V)
    exact.interpolate(lambda x: np.sin(3 * x[0]) + x[1] ** 2 - 0.5 * x[2])
    b, x = A.createVecLeft(), A.createVecRight()
    A.mult(exact.x.petsc_vec, b)
    before = PETSc.Options().getAll()

    ksp = PETSc.KSP().create(comm)
    ksp.setOperators(A)
    factor_cholesky(ksp, dim)
    ksp.solve(b, x)

    x.axpy(-1.0, exact.x.petsc_vec)
    assert x.norm() <= 1e-10 * exact.x.petsc_vec.norm()
    assert PETSc.Options().getAll() == before
    assert ksp.getPC().getType() == ("redundant" if dim == 2 and comm.size > 1 else "cholesky")
    for obj in (ksp, A, b, x):
        obj.destroy()
