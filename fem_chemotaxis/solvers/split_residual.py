"""Newton's residual as the assembled changing terms plus K u + c of :mod:`~fem_chemotaxis.solvers.kept_part`.

Each evaluation assembles F_changing (taxis, the old time levels, anything depending on t)
with DOLFINx's own residual routine (lifting and Dirichlet rows as usual) and adds K u + c
(mass/dt, constant diffusion, linear reactions, constant sources; zero on the Dirichlet
rows), assembled only when a step constant changes: the same vector as a full assembly up to
the order of floating-point additions.
"""

from __future__ import annotations

from collections.abc import Sequence

import dolfinx.fem
import dolfinx.fem.petsc
import dolfinx.la.petsc

from petsc4py import PETSc

from fem_chemotaxis.solvers.kept_part import KeptPart

__all__ = ["SplitResidual"]


class SplitResidual:
    """Replaces the residual callback of a DOLFINx NonlinearProblem (kind "mpi") by the split one.

    Args:
        problem: The problem.
        kept: Its kept part (shared with the Jacobian); its ``residual_split`` must be True.
        bcs: The problem's Dirichlet conditions.
    """

    def __init__(
        self,
        problem: dolfinx.fem.petsc.NonlinearProblem,
        kept: KeptPart,
        bcs: Sequence[dolfinx.fem.DirichletBC] = (),
    ):
        if not kept.residual_split:
            raise ValueError("the residual has no kept part or a row without a changing part: assemble it whole")
        self._kept = kept
        self._context = {"u": list(problem.u), "residual": kept.changing_residuals, "jacobian": problem.J}
        self._context["bcs"] = list(bcs)
        if (blocks := problem.b.getAttr("_blocks")) is not None:
            self._context["_blocks"] = blocks
        problem.solver.setFunction(self._assemble, problem.b)

    def _assemble(self, snes: PETSc.SNES, x: PETSc.Vec, b: PETSc.Vec) -> None:
        self._kept.update()
        dolfinx.fem.petsc.assemble_residual(snes, x, b, **self._context)
        assert self._kept.residual_matrix is not None and self._kept.residual_vector is not None
        self._kept.residual_matrix.multAdd(x, b, b)
        b.axpy(1.0, self._kept.residual_vector)
        dolfinx.la.petsc._ghost_update(b, PETSc.InsertMode.INSERT, PETSc.ScatterMode.FORWARD)
