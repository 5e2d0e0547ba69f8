"""Newton's residual and Jacobian callbacks that add the kept part of :mod:`~fem_chemotaxis.solvers.kept_part`.

Each evaluation assembles only what changes and adds the kept part (mass/dt, constant
diffusion, linear reactions, constant sources), assembled only when a step constant changes:

- residual: F_changing (taxis, anything depending on the unknowns and changing inputs) by
  DOLFINx's own residual routine (lifting and Dirichlet rows as usual), plus K u + c and the
  step's c_n (zero on the Dirichlet rows);
- Jacobian: the blocks of dF_changing/du by DOLFINx's CSR assembler
  (:class:`~fem_chemotaxis.solvers.blocks.CSRBlocks`) with DOLFINx's Dirichlet treatment (rows
  and columns of constrained dofs left out), plus the kept matrix (1 on the constrained diagonal).

Both equal a full assembly up to the order of floating-point additions.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import dolfinx.fem
import dolfinx.fem.petsc
import dolfinx.la.petsc

from petsc4py import PETSc

from fem_chemotaxis.solvers.blocks import CSRBlocks
from fem_chemotaxis.solvers.kept_part import KeptPart

__all__ = ["SplitAssembly"]

_SAME = PETSc.Mat.Structure.SAME_NONZERO_PATTERN


class SplitAssembly:
    """Replaces the Jacobian callback of a DOLFINx NonlinearProblem (kind "mpi") by the split one,
    and its residual callback too where the residual splits (``kept.residual_split``).

    Args:
        problem: The problem.
        kept: Its kept part.
        bcs: The problem's Dirichlet conditions.
    """

    def __init__(
        self,
        problem: dolfinx.fem.petsc.NonlinearProblem,
        kept: KeptPart,
        bcs: Sequence[dolfinx.fem.DirichletBC] = (),
    ):
        self.kept, self.bcs, self._problem = kept, list(bcs), problem
        self._changing_jacobian = CSRBlocks(kept.changing_jacobian, kept.blocks)
        problem.solver.setJacobian(self.jacobian, problem.A, problem.P_mat)
        self._context: dict[str, Any] = {}
        if kept.residual_split:
            self._context = {"u": list(problem.u), "residual": kept.changing_residuals, "jacobian": problem.J}
            self._context["bcs"] = self.bcs
            if (blocks := problem.b.getAttr("_blocks")) is not None:
                self._context["_blocks"] = blocks
            problem.solver.setFunction(self.residual, problem.b)

    def residual(self, snes: PETSc.SNES, x: PETSc.Vec, b: PETSc.Vec) -> None:
        """b = F(x): the changing forms assembled, K x + c + c_n added. Without Dirichlet
        conditions the changing forms alone, a row without any left out (DOLFINx's residual
        routine packs the Jacobian's coefficients for a lifting that adds nothing: 13 of 97 ms a
        residual at 5e5 DOFs)."""
        self.kept.update()
        self.kept.update_step()
        if self.bcs:
            dolfinx.fem.petsc.assemble_residual(snes, x, b, **self._context)
        else:
            dolfinx.la.petsc._ghost_update(x, PETSc.InsertMode.INSERT, PETSc.ScatterMode.FORWARD)
            dolfinx.fem.petsc.assign(x, self._context["u"])
            self.kept.blocks.assemble_vector(self._context["residual"], b)
        assert self.kept.residual_matrix is not None and self.kept.residual_vector is not None
        self.kept.residual_matrix.multAdd(x, b, b)
        b.axpy(1.0, self.kept.residual_vector)
        if self.kept.step_vector is not None:
            b.axpy(1.0, self.kept.step_vector)
        dolfinx.la.petsc._ghost_update(b, PETSc.InsertMode.INSERT, PETSc.ScatterMode.FORWARD)

    def jacobian(self, _snes: PETSc.SNES, x: PETSc.Vec, J: PETSc.Mat, _P: Any) -> None:
        """J = dF/du at x: the changing blocks assembled, the kept matrix added."""
        dolfinx.la.petsc._ghost_update(x, PETSc.InsertMode.INSERT, PETSc.ScatterMode.FORWARD)
        dolfinx.fem.petsc.assign(x, self._problem.u)
        self.kept.update()
        J.zeroEntries()
        self._changing_jacobian.add(J, self.bcs)
        J.axpy(1.0, self.kept.jacobian, _SAME)
