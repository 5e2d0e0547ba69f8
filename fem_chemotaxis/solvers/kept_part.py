"""The kept part of a Newton step: the terms constant between step-size changes, assembled once for both F and J.

The residual F(u) of a time step is split once (:func:`~fem_chemotaxis.terms.partition.partition_residuals`)
into the terms affine in the unknowns whose inputs are fixed (the model's parameters) or change
only with the step size (dt, BDF2's omega) - mass/dt, diffusion with a constant coefficient,
linear reactions, constant sources - and the rest (taxis, the old time levels, anything
depending on t):

    F(u) = K u + c + F_changing(u),        J = dF/du = K + dF_changing/du.

K and c are compiled once and assembled once per change of the step constants; the
Jacobian's kept matrix is derived from the same assembly, so the residual and the Jacobian
never assemble (or compile) the same terms twice:

- residual: K with its Dirichlet rows zeroed, c zero on them (DOLFINx's residual routine sets
  those rows for the changing part);
- Jacobian: a copy of K with the Dirichlet rows and columns zeroed and 1 on their diagonal
  (MatZeroRowsColumns), as DOLFINx assembles a Jacobian with boundary conditions.

Terms of dF_changing/du with only fixed inputs (a non-affine residual term whose derivative
has a constant summand, e.g. (u + 1)^2) are added to the Jacobian's kept matrix as well
(:attr:`KeptPart.jacobian_only`; none in the built-in models). All matrices share the sparsity
of the problem's Jacobian (one full assembly of J at set-up stores all its entries), so
adding them is a sum of value arrays (MatAXPY with SAME_NONZERO_PATTERN).
"""

from __future__ import annotations

from collections.abc import Sequence

import dolfinx.fem
import dolfinx.fem.petsc
import dolfinx.la
import numpy as np
import ufl

from petsc4py import PETSc

from fem_chemotaxis.solvers.blocks import BlockAssembler, compile_forms
from fem_chemotaxis.terms.partition import IsFixed, partition_bilinear, partition_residuals

__all__ = ["KeptPart"]

_SAME = PETSc.Mat.Structure.SAME_NONZERO_PATTERN


class KeptPart:
    """K, c and the Jacobian's kept matrix of a step's residual, assembled when a step constant changes
    (added by :class:`~fem_chemotaxis.solvers.split_assembly.SplitAssembly`).

    Args:
        problem: The DOLFINx NonlinearProblem (kind "mpi") of the residuals; its compiled
            Jacobian fixes the sparsity.
        residuals: F_i(u; v_i) per unknown (UFL).
        is_fixed: Which form inputs never change during the run.
        step_constants: Constants that change with the step size only.
        bcs: The problem's Dirichlet conditions.

    Attributes:
        residual_split: Whether the residual can be split (every F_i has a changing part, for
            DOLFINx's residual routine, and some F_i a kept one); otherwise only the Jacobian is.
        changing_residuals: F_changing per unknown (compiled; None: no such part).
        changing_jacobian: The blocks of dF_changing/du with a changing input (compiled).
        jacobian_only: The blocks of dF_changing/du with only fixed inputs (UFL; None: none).
        blocks: The block assembler of the unknowns' layout.
        assemblies: How many times K was assembled (once per change of the step constants).
    """

    def __init__(
        self,
        problem: dolfinx.fem.petsc.NonlinearProblem,
        residuals: Sequence[ufl.Form],
        is_fixed: IsFixed,
        step_constants: Sequence[dolfinx.fem.Constant],
        bcs: Sequence[dolfinx.fem.DirichletBC] = (),
    ):
        steps = list(step_constants)
        unknowns = list(problem.u)
        spaces = [u.function_space for u in unknowns]
        trials = [ufl.TrialFunction(V) for V in spaces]

        def kept(f: ufl.core.terminal.FormArgument) -> bool:
            return is_fixed(f) or any(f is c for c in steps)

        parts = partition_residuals(list(residuals), unknowns, trials, kept)
        has_kept = any(f is not None for row in parts.linear for f in row) or any(f is not None for f in parts.constant)
        self.residual_split = has_kept and all(f is not None for f in parts.changing)
        derivatives = [
            [None if F is None else ufl.derivative(F, u, du) for u, du in zip(unknowns, trials)] for F in parts.changing
        ]
        jacobian_only, changing_jacobian = partition_bilinear(derivatives, kept)
        self.jacobian_only = jacobian_only if any(f is not None for row in jacobian_only for f in row) else None
        self.changing_jacobian = compile_forms(changing_jacobian)
        self.changing_residuals = compile_forms(list(parts.changing)) if self.residual_split else None
        self._linear_forms = compile_forms(parts.linear)
        self._jacobian_only_forms = compile_forms(self.jacobian_only) if self.jacobian_only else None
        self._constant_forms = compile_forms(parts.constant) if self.residual_split else None
        self._steps = steps
        self._kept_for: tuple[float, ...] | None = None
        self.blocks = BlockAssembler(spaces)
        dolfinx.fem.petsc.assemble_matrix(problem.A, problem.J)  # once: stores every entry of J's sparsity
        problem.A.assemble()
        self.jacobian = self._same_sparsity(problem.A)
        self.residual_matrix = self._same_sparsity(problem.A) if self.residual_split else None
        self.residual_vector = problem.b.duplicate() if self.residual_split else None
        self._bc_rows = self._dirichlet_rows(bcs)
        self.assemblies = 0
        #: The largest absolute row sum of the kept linear part K (what bounds the round-off of K x).
        self.linear_row_sum = 0.0

    def update(self) -> None:
        """Assemble the kept matrices (and c) again if a step constant changed since the last time."""
        values = tuple(float(c.value) for c in self._steps)
        if values == self._kept_for:
            return
        self._kept_for = values
        self.assemblies += 1
        K = self.residual_matrix if self.residual_matrix is not None else self.jacobian
        K.zeroEntries()
        self.blocks.add(K, self._linear_forms)
        self.linear_row_sum = K.norm(PETSc.NormType.INFINITY)
        if K is not self.jacobian:
            K.copy(self.jacobian, _SAME)
        if self._jacobian_only_forms is not None:
            self.blocks.add(self.jacobian, self._jacobian_only_forms)
        local, rows = self._bc_rows
        self.jacobian.zeroRowsColumns(rows, diag=1.0)
        if self.residual_matrix is not None:
            self.residual_matrix.zeroRows(rows, diag=0.0)
            self._assemble_constant(local)

    @staticmethod
    def _same_sparsity(A: PETSc.Mat) -> PETSc.Mat:
        """An assembled zero matrix with the sparsity of A that zeroing rows or columns keeps."""
        B = A.duplicate()
        B.setOption(PETSc.Mat.Option.KEEP_NONZERO_PATTERN, True)
        B.assemble()
        return B

    def _assemble_constant(self, bc_rows: np.ndarray) -> None:
        """c in the block layout, zero on the Dirichlet rows."""
        c = self.residual_vector
        assert c is not None and self._constant_forms is not None
        self.blocks.assemble_vector(self._constant_forms, c)
        c.array[bc_rows] = 0.0

    def _dirichlet_rows(self, bcs: Sequence[dolfinx.fem.DirichletBC]) -> tuple[np.ndarray, np.ndarray]:
        """Owned Dirichlet rows of the block layout: (local, global) indices."""
        rows = [np.zeros(0, dtype=np.int32)] + [self.blocks.dirichlet_rows(bc)[0] for bc in bcs]
        local = np.concatenate(rows).astype(np.int32)
        start = self.jacobian.getOwnershipRange()[0]
        return local, (start + local).astype(PETSc.IntType)
