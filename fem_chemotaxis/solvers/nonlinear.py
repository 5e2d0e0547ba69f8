"""PETSc SNES set-up in one place: default options, user overrides, convergence report."""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import dolfinx.fem.petsc
import ufl

__all__ = ["DEFAULT_PETSC_OPTIONS", "NonlinearSolver", "SolveReport"]

#: Newton with a backtracking line search and a direct solve (MUMPS LU).
DEFAULT_PETSC_OPTIONS: dict[str, Any] = {
    "snes_type": "newtonls",
    "snes_linesearch_type": "bt",
    "snes_rtol": 1e-10,
    "snes_atol": 1e-12,
    "snes_stol": 1e-14,
    "snes_max_it": 25,
    "ksp_type": "preonly",
    "pc_type": "lu",
    "pc_factor_mat_solver_type": "mumps",
}

_prefix_counter = itertools.count()


@dataclass(frozen=True)
class SolveReport:
    """Outcome of one nonlinear solve."""

    converged: bool
    reason: int
    newton_iterations: int
    krylov_iterations: int


class NonlinearSolver:
    """Newton's method for block residuals F_i(u) = 0 (one block per species).

    Args:
        residuals: One UFL form per unknown.
        unknowns: The Functions solved for, in the same order.
        petsc_options: Overrides merged over :data:`DEFAULT_PETSC_OPTIONS`.
        bcs: Dirichlet conditions on any of the unknowns.
    """

    def __init__(
        self,
        residuals: Sequence[ufl.Form],
        unknowns: Sequence[dolfinx.fem.Function],
        petsc_options: Mapping[str, Any] | None = None,
        bcs: Sequence[dolfinx.fem.DirichletBC] = (),
    ):
        self.options = {**DEFAULT_PETSC_OPTIONS, **dict(petsc_options or {})}
        self.problem = dolfinx.fem.petsc.NonlinearProblem(
            list(residuals),
            list(unknowns),
            petsc_options_prefix=f"fem_chemotaxis_{next(_prefix_counter)}_",
            petsc_options=self.options,
            bcs=list(bcs),
            kind="mpi",
        )

    def solve(self) -> SolveReport:
        """Solve from the current values of the unknowns; never raises on divergence."""
        snes = self.problem.solver
        self.problem.solve()
        reason = snes.getConvergedReason()
        return SolveReport(
            converged=reason > 0,
            reason=int(reason),
            newton_iterations=int(snes.getIterationNumber()),
            krylov_iterations=int(snes.getLinearSolveIterations()),
        )
