"""Newton's Jacobian as the kept matrix of :mod:`~fem_chemotaxis.solvers.kept_part` plus the blocks that change.

Each Newton iteration assembles only the blocks of dF_changing/du (e.g. taxis) with the same
Dirichlet treatment as DOLFINx (rows and columns of constrained dofs left out) and adds the
kept matrix (mass/dt, constant diffusion, linear reactions; 1 on the constrained diagonal),
assembled only when a step constant changes: the same matrix as a full assembly, up to the
order of floating-point additions.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import dolfinx.fem
import dolfinx.fem.petsc
import dolfinx.la.petsc

from petsc4py import PETSc

from fem_chemotaxis.solvers.kept_part import KeptPart

__all__ = ["SplitJacobian"]

_SAME = PETSc.Mat.Structure.SAME_NONZERO_PATTERN


class SplitJacobian:
    """Replaces the Jacobian callback of a DOLFINx NonlinearProblem (kind "mpi") by the split one.

    Args:
        problem: The problem.
        kept: Its kept part (shared with the residual).
        bcs: The problem's Dirichlet conditions.
    """

    def __init__(
        self,
        problem: dolfinx.fem.petsc.NonlinearProblem,
        kept: KeptPart,
        bcs: Sequence[dolfinx.fem.DirichletBC] = (),
    ):
        self._problem, self._kept, self._bcs = problem, kept, list(bcs)
        problem.solver.setJacobian(self._assemble, problem.A, problem.P_mat)

    def _assemble(self, _snes: PETSc.SNES, x: PETSc.Vec, J: PETSc.Mat, P: Any) -> None:
        dolfinx.la.petsc._ghost_update(x, PETSc.InsertMode.INSERT, PETSc.ScatterMode.FORWARD)
        dolfinx.fem.petsc.assign(x, self._problem.u)
        self._kept.update()
        J.zeroEntries()
        self._kept.blocks.add(J, self._kept.changing_jacobian, self._bcs)
        J.axpy(1.0, self._kept.jacobian, _SAME)
