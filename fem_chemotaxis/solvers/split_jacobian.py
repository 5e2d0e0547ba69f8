"""Newton's Jacobian as a kept constant part plus the blocks that change, assembled each iteration.

For a time step's residual F(u), the terms of J = dF/du whose inputs are all fixed (the
model's parameters) or change only with the step size (dt, BDF2's omega) - the mass matrix
over dt, diffusion with a constant coefficient, linear reactions - are assembled into a matrix
once, and again only when a step-size constant changes. Each Newton iteration assembles the
remaining blocks (e.g. taxis) with the same Dirichlet treatment as DOLFINx (rows and columns
of constrained dofs left out, 1 on their diagonal) and adds the kept part: the same matrix as
a full assembly, up to the order of floating-point additions. The first assembly is a full
one (it fixes the sparsity that the kept part shares).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import dolfinx.fem
import dolfinx.fem.petsc
import dolfinx.la.petsc
import ufl

from petsc4py import PETSc

from fem_chemotaxis.solvers.blocks import BlockAssembler, compile_forms
from fem_chemotaxis.terms.partition import IsFixed, partition_bilinear

__all__ = ["SplitJacobian"]

_SAME = PETSc.Mat.Structure.SAME_NONZERO_PATTERN


class SplitJacobian:
    """Replaces the Jacobian callback of a DOLFINx NonlinearProblem (kind "mpi") by the split one.

    Args:
        problem: The problem; its Jacobian forms are the UFL `jacobian` compiled.
        jacobian: J_ij = dF_i/du_j (UFL), as given to the problem.
        is_fixed: Which form inputs never change during the run.
        step_constants: Constants that change with the step size only; the kept part is
            assembled again when one of their values changes.
        bcs: The problem's Dirichlet conditions.
    """

    def __init__(
        self,
        problem: dolfinx.fem.petsc.NonlinearProblem,
        jacobian: Sequence[Sequence[ufl.Form]],
        is_fixed: IsFixed,
        step_constants: Sequence[dolfinx.fem.Constant],
        bcs: Sequence[dolfinx.fem.DirichletBC] = (),
    ):
        steps = list(step_constants)
        kept, changing = partition_bilinear(jacobian, lambda f: is_fixed(f) or any(f is c for c in steps))
        self._kept_forms, self._changing_forms = compile_forms(kept), compile_forms(changing)
        self._problem, self._steps, self._bcs = problem, steps, list(bcs)
        self._blocks = BlockAssembler([u.function_space for u in problem.u])
        self._kept: PETSc.Mat | None = None
        self._kept_for: tuple[float, ...] | None = None
        problem.solver.setJacobian(self._assemble, problem.A, problem.P_mat)

    def _assemble(self, _snes: PETSc.SNES, x: PETSc.Vec, J: PETSc.Mat, P: Any) -> None:
        dolfinx.la.petsc._ghost_update(x, PETSc.InsertMode.INSERT, PETSc.ScatterMode.FORWARD)
        dolfinx.fem.petsc.assign(x, self._problem.u)
        J.zeroEntries()
        if self._kept is None:  # first: a full assembly fixes the sparsity
            dolfinx.fem.petsc.assemble_matrix(J, self._problem.J, self._bcs, diag=1.0)
            J.assemble()
            self._kept = J.duplicate()
            return
        values = tuple(float(c.value) for c in self._steps)
        if values != self._kept_for:
            self._kept.zeroEntries()
            self._blocks.add(self._kept, self._kept_forms, self._bcs, diagonal=1.0)
            self._kept_for = values
        self._blocks.add(J, self._changing_forms, self._bcs)
        J.axpy(1.0, self._kept, _SAME)
