"""Nonlinear and linear solver set-up (PETSc SNES/KSP)."""

from fem_chemotaxis.solvers.nonlinear import (
    AUTO_DIRECT_LIMIT,
    PRESETS,
    NonlinearSolver,
    SolveReport,
    preset_options,
)

__all__ = ["AUTO_DIRECT_LIMIT", "PRESETS", "NonlinearSolver", "SolveReport", "preset_options"]
