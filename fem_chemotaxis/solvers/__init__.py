"""Nonlinear and linear solver set-up (PETSc SNES/KSP)."""

from fem_chemotaxis.solvers.nonlinear import DEFAULT_PETSC_OPTIONS, NonlinearSolver, SolveReport

__all__ = ["DEFAULT_PETSC_OPTIONS", "NonlinearSolver", "SolveReport"]
