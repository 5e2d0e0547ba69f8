"""The kept part of a Newton step: the terms constant between step-size changes, assembled once for both F and J.

The residual F(u) of a time step is split once (:func:`~fem_chemotaxis.terms.partition.partition_residuals`)
into the terms affine in the unknowns whose inputs are fixed (the model's parameters) or change
only with the step size (dt, BDF2's omega) - mass/dt, diffusion with a constant coefficient,
linear reactions, constant sources - and the rest (taxis, the old time levels, anything
depending on t), of which the terms without an unknown are assembled once a step:

    F(u) = K u + c + c_n + F_changing(u),        J = dF/du = K + dF_changing/du.

K and c are compiled once and assembled once per change of the step constants; the
Jacobian's kept matrix is derived from the same assembly, so the residual and the Jacobian
never assemble (or compile) the same terms twice. c_n holds the terms without an unknown whose
inputs change only from step to step (the old time levels, t_n: ``-u_n/dt v``, Crank-Nicolson's
old half, a source at t_n + dt), assembled once a Newton solve (:meth:`KeptPart.new_step`)
instead of in every residual: on Keller-Segel they were half of a residual's assembly (the
signal's row is then not assembled at all; a residual at 1.0e6 DOFs in 2-D 0.147 -> 0.068 s,
at 5.0e5 in 3-D 0.34 -> 0.14 s; bench/README.md "The old time level once a step").

- residual: K with its Dirichlet rows zeroed, c and c_n zero on them (DOLFINx's residual
  routine sets those rows for the changing part; with Dirichlet conditions a row keeps its
  step terms in F_changing if they are all it has, since that routine needs a form in every
  row);
- Jacobian: a copy of K with the Dirichlet rows and columns zeroed and 1 on their diagonal
  (MatZeroRowsColumns), as DOLFINx assembles a Jacobian with boundary conditions.

Terms of dF_changing/du with only fixed inputs (a non-affine residual term whose derivative
has a constant summand, e.g. (u + 1)^2) are added to the Jacobian's kept matrix as well
(:attr:`KeptPart.jacobian_only`; none in the built-in models). All matrices share the sparsity
of the problem's Jacobian (one full assembly of J at set-up stores all its entries), so
adding them is a sum of value arrays (MatAXPY with SAME_NONZERO_PATTERN).

The unknowns may be vector-valued (a flow's velocity; :class:`~fem_chemotaxis.solvers.flow.FlowSolver`),
with Dirichlet conditions on one of their components (free slip).
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
from fem_chemotaxis.terms.partition import IsFixed, partition_bilinear, partition_residuals, split_step_terms
from fem_chemotaxis.terms.quadrature import jacobian_block, pin_quadrature_degrees

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
        step_inputs: The inputs that change only between Newton solves (old time levels, t_n).

    Attributes:
        residual_split: Whether the residual is split (some F_i has a kept or a per-step part;
            with Dirichlet conditions every F_i keeps a changing part, for DOLFINx's residual
            routine); otherwise only the Jacobian is.
        changing_residuals: F_changing per unknown (compiled; None: no such part).
        step_vector: c_n, assembled at the first residual of a solve (None: no such terms).
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
        step_inputs: Sequence[ufl.core.terminal.FormArgument] = (),
    ):
        steps = list(step_constants)
        unknowns = list(problem.u)
        spaces = [u.function_space for u in unknowns]
        trials = [ufl.TrialFunction(V) for V in spaces]

        def kept(f: ufl.core.terminal.FormArgument) -> bool:
            return is_fixed(f) or any(f is c for c in steps)

        parts = partition_residuals(list(residuals), unknowns, trials, kept)
        per_step, changing = split_step_terms(
            parts.changing, unknowns, kept, lambda f: any(f is g for g in step_inputs)
        )
        if bcs:  # DOLFINx's residual routine needs a form in every row
            per_step = [None if rest is None else step for step, rest in zip(per_step, changing)]
            changing = [rest if rest is not None else whole for rest, whole in zip(changing, parts.changing)]
        changing = [None if F is None else pin_quadrature_degrees(F) for F in changing]  # and so its Jacobian
        has_kept = any(f is not None for row in parts.linear for f in row) or any(f is not None for f in parts.constant)
        has_step = any(f is not None for f in per_step)
        self.residual_split = (has_kept or has_step) and (not bcs or all(f is not None for f in changing))
        derivatives = [
            [None if F is None else jacobian_block(F, u, du) for u, du in zip(unknowns, trials)] for F in changing
        ]
        jacobian_only, changing_jacobian = partition_bilinear(derivatives, kept)
        self.jacobian_only = jacobian_only if any(f is not None for row in jacobian_only for f in row) else None
        self.changing_jacobian = compile_forms(changing_jacobian)
        self.changing_residuals = compile_forms(changing) if self.residual_split else None
        self._step_forms = compile_forms(per_step) if self.residual_split and has_step else None
        self._step_stale = True
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
        self.step_vector = problem.b.duplicate() if self._step_forms is not None else None
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
        # rows without a diagonal entry (a flow's pressure block) make PETSc refuse a matrix that
        # takes no new entries, though every row zeroed here has its diagonal: allowed meanwhile
        self.jacobian.setOption(PETSc.Mat.Option.NEW_NONZERO_ALLOCATION_ERR, False)
        self.jacobian.zeroRowsColumns(rows, diag=1.0)
        self.jacobian.setOption(PETSc.Mat.Option.NEW_NONZERO_ALLOCATION_ERR, True)
        if self.residual_matrix is not None:
            self.residual_matrix.zeroRows(rows, diag=0.0)
            self._assemble_constant(local)

    def new_step(self) -> None:
        """The step inputs changed (a Newton solve begins): c_n is assembled at the next residual."""
        self._step_stale = True

    def update_step(self) -> None:
        """Assemble c_n if the step inputs changed since the last time (zero on Dirichlet rows)."""
        if not self._step_stale or self._step_forms is None or self.step_vector is None:
            return
        self._step_stale = False
        self.blocks.assemble_vector(self._step_forms, self.step_vector)
        self.step_vector.array[self._bc_rows[0]] = 0.0

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
