"""Algebraic multigrid for one species block: BoomerAMG (hypre) where PETSc has hypre, else GAMG.

BoomerAMG was the faster of the two on the species blocks in every measurement
(bench/README.md: the stage solves, and Newton's 11 instead of 24 Krylov iterations a step);
PETSc builds without hypre (the DOLFINx wheels) get PETSc's own GAMG.
"""

from __future__ import annotations

from typing import Any

from petsc4py import PETSc

__all__ = ["has_hypre", "species_amg_options"]


def has_hypre() -> bool:
    """Whether this PETSc was built with hypre."""
    return bool(PETSc.Sys.hasExternalPackage("hypre"))


def species_amg_options(prefix: str = "") -> dict[str, Any]:
    """PETSc options of the AMG preconditioner of a block whose options start with `prefix`."""
    if has_hypre():
        return {f"{prefix}pc_type": "hypre", f"{prefix}pc_hypre_type": "boomeramg"}
    return {f"{prefix}pc_type": "gamg"}
