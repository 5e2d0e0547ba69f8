"""Block forms through DOLFINx's CSR assembler (CSRBlocks) equal DOLFINx's PETSc assembly of the same blocks."""

from __future__ import annotations

import dolfinx.fem
import dolfinx.fem.petsc
import dolfinx.mesh
import numpy as np
import ufl

from fem_chemotaxis.solvers.blocks import BlockAssembler, CSRBlocks, compile_forms


def test_csr_blocks_equal_the_petsc_assembly(comm):
    """Three unknowns of different spaces (P1, P2, P1), blocks with coefficients on and
    off the diagonal, one block empty, Dirichlet conditions on two of the unknowns: every entry
    equals DOLFINx's PETSc assembly (rows and columns of constrained dofs left out), on 1 and 2 ranks,
    added twice (the CSR arrays are reused)."""
    mesh = dolfinx.mesh.create_unit_square(comm, 9, 7, dolfinx.mesh.CellType.triangle)
    spaces = [
        dolfinx.fem.functionspace(mesh, ("Lagrange", 1)),
        dolfinx.fem.functionspace(mesh, ("Lagrange", 2)),
        dolfinx.fem.functionspace(mesh, ("Lagrange", 1)),
    ]
    rng = np.random.default_rng(comm.rank)
    w = dolfinx.fem.Function(spaces[0])
    w.x.array[:] = rng.uniform(0.5, 1.5, w.x.array.size)
    w.x.scatter_forward()
    u = [ufl.TrialFunction(V) for V in spaces]
    v = [ufl.TestFunction(V) for V in spaces]
    grad, inner, dx = ufl.grad, ufl.inner, ufl.dx
    forms = compile_forms(
        [
            [w * u[0] * v[0] * dx + inner(grad(u[0]), grad(v[0])) * dx, w * inner(grad(u[1]), grad(v[0])) * dx, None],
            [None, w * inner(grad(u[1]), grad(v[1])) * dx, u[2] * v[1] * dx],
            [w * w * u[0] * v[2] * dx, u[1].dx(1) * v[2] * dx, inner(grad(u[2]), grad(v[2])) * dx],
        ]
    )
    left = dolfinx.mesh.locate_entities_boundary(mesh, 1, lambda x: np.isclose(x[0], 0.0))
    bcs = []
    for V in spaces[:2]:
        value = dolfinx.fem.Function(V)
        bcs.append(dolfinx.fem.dirichletbc(value, dolfinx.fem.locate_dofs_topological(V, 1, left)))
    pattern = compile_forms([[u[j] * v[i] * dx for j in range(3)] for i in range(3)])  # every pair of a cell's dofs
    blocks = BlockAssembler(spaces)
    reference = dolfinx.fem.petsc.create_matrix(pattern, kind="mpi")
    blocks.add(reference, pattern)  # every entry of the sparsity stored
    reference.zeroEntries()
    csr = reference.duplicate()
    blocks.add(reference, forms, bcs)
    assembled = CSRBlocks(forms, blocks)
    for _ in range(2):
        csr.zeroEntries()
        assembled.add(csr, bcs)
    assert reference.norm() > 1.0
    csr.axpy(-1.0, reference)
    difference = csr.norm() / reference.norm()
    print(f"|CSR - PETSc| / |PETSc| = {difference:.1e}")
    assert difference < 1e-14  # measured: 0 serially, 5.7e-18 on 2 ranks
