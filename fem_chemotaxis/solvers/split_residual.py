"""Newton's residual as the assembled changing terms plus a kept matrix times u and a kept vector.

The residual F(u) of a time step is split (:mod:`fem_chemotaxis.terms.partition`) into terms
affine in the unknowns with inputs that are fixed (the model's parameters) or change only
with the step size (dt, BDF2's omega) - mass/dt, diffusion with a constant coefficient,
linear reactions, constant sources - and the rest (taxis, the old time levels, anything
depending on t). The affine part is kept as a matrix K (assembled without boundary
conditions, its Dirichlet rows zeroed) and a vector c, assembled again only when a step-size
constant changes; each evaluation assembles the rest with DOLFINx's own residual routine
(lifting and Dirichlet rows as usual) and adds K u + c: the same vector as a full assembly up
to the order of floating-point additions.
"""

from __future__ import annotations

from collections.abc import Sequence

import dolfinx.fem
import dolfinx.fem.petsc
import dolfinx.la
import dolfinx.la.petsc
import numpy as np
import ufl

from petsc4py import PETSc

from fem_chemotaxis.solvers.blocks import BlockAssembler, compile_forms
from fem_chemotaxis.terms.partition import IsFixed, partition_residuals

__all__ = ["SplitResidual"]


class SplitResidual:
    """Replaces the residual callback of a DOLFINx NonlinearProblem (kind "mpi") by the split one.

    Does nothing (:attr:`active` False) when a residual has no changing part or none has a
    kept part.

    Args:
        problem: The problem; `residuals` are its residual forms (UFL).
        residuals: F_i(u; v_i) per unknown.
        is_fixed: Which form inputs never change during the run.
        step_constants: Constants that change with the step size only.
        bcs: The problem's Dirichlet conditions.
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
        parts = partition_residuals(
            list(residuals), unknowns, trials, lambda f: is_fixed(f) or any(f is c for c in steps)
        )
        kept = any(f is not None for row in parts.linear for f in row) or any(f is not None for f in parts.constant)
        self.active = kept and all(f is not None for f in parts.changing)
        if not self.active:
            return
        self._problem, self._steps = problem, steps
        self._linear_forms = compile_forms(parts.linear)
        self._constant_forms = compile_forms(parts.constant)
        self._blocks = BlockAssembler(spaces)
        self._linear = dolfinx.fem.petsc.create_matrix(problem.J, kind="mpi")
        self._constant = problem.b.duplicate()
        self._scratch = [dolfinx.fem.Function(V) for V in spaces]
        self._offsets = np.cumsum([0] + [V.dofmap.index_map.size_local * V.dofmap.index_map_bs for V in spaces])
        self._bc_rows = self._dirichlet_rows(unknowns, bcs)
        self._kept_for: tuple[float, ...] | None = None
        self._context = {"u": unknowns, "residual": compile_forms(list(parts.changing)), "jacobian": problem.J}
        self._context["bcs"] = list(bcs)
        if (blocks := problem.b.getAttr("_blocks")) is not None:
            self._context["_blocks"] = blocks
        problem.solver.setFunction(self._assemble, problem.b)

    def _assemble(self, snes: PETSc.SNES, x: PETSc.Vec, b: PETSc.Vec) -> None:
        values = tuple(float(c.value) for c in self._steps)
        if values != self._kept_for:
            self._assemble_kept()
            self._kept_for = values
        dolfinx.fem.petsc.assemble_residual(snes, x, b, **self._context)
        self._linear.multAdd(x, b, b)
        b.axpy(1.0, self._constant)
        dolfinx.la.petsc._ghost_update(b, PETSc.InsertMode.INSERT, PETSc.ScatterMode.FORWARD)

    def _assemble_kept(self) -> None:
        """K and c at the current step constants, zero on the Dirichlet rows."""
        self._linear.zeroEntries()
        self._blocks.add(self._linear, self._linear_forms)
        self._linear.zeroRows(self._bc_rows[1], diag=0.0)
        self._constant.zeroEntries()
        for form, scratch, start, stop in zip(self._constant_forms, self._scratch, self._offsets, self._offsets[1:]):
            if form is not None:
                scratch.x.array[:] = 0.0
                dolfinx.fem.assemble_vector(scratch.x.array, form)
                scratch.x.scatter_reverse(dolfinx.la.InsertMode.add)
                self._constant.array[start:stop] = scratch.x.array[: stop - start]
        self._constant.array[self._bc_rows[0]] = 0.0

    def _dirichlet_rows(
        self, unknowns: list[dolfinx.fem.Function], bcs: Sequence[dolfinx.fem.DirichletBC]
    ) -> tuple[np.ndarray, np.ndarray]:
        """Owned Dirichlet rows of the block layout: (local, global) indices."""
        rows = [np.zeros(0, dtype=np.int32)]
        for bc in bcs:
            k = next(k for k, u in enumerate(unknowns) if bc.function_space.contains(u.function_space._cpp_object))
            dofs, owned = bc.dof_indices()
            rows.append(self._offsets[k] + np.asarray(dofs[:owned], dtype=np.int32))
        local = np.concatenate(rows).astype(np.int32)
        start = self._linear.getOwnershipRange()[0]
        return local, (start + local).astype(PETSc.IntType)
