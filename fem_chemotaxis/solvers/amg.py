"""Algebraic multigrid for one species block: BoomerAMG (hypre) where PETSc has hypre, else GAMG.

BoomerAMG was the faster of the two on the species blocks in every measurement
(bench/README.md: the stage solves, and Newton's 11 instead of 24 Krylov iterations a step);
PETSc builds without hypre (the DOLFINx wheels) get PETSc's own GAMG.

On 3-D meshes BoomerAMG coarsens aggressively (:data:`AGGRESSIVE_3D`): its default classical
coarsening keeps so many points on a tetrahedral mesh that a V-cycle is expensive and its
set-up does not speed up on two ranks. Measured on 3-D Keller-Segel, 5.0e5 DOFs
(bench/README.md, "BoomerAMG in 3-D"): one V-cycle on a species block 0.171 -> 0.037 s,
set-up 1.20 -> 0.40 s; backward Euler 10 instead of 8 Krylov iterations a step and
5.65 -> 3.86 s a step (2 ranks: 17 instead of 8-9 iterations, 3.45 -> 2.70 s), ros34pw2
1.38 -> 1.17 s. On 2-D meshes such options cost 10-20% a step (the extra iterations outweigh
the cheaper cycles), so 2-D keeps the defaults.

In every dimension BoomerAMG relaxes the points in their own order (:data:`PLAIN_RELAXATION`)
instead of hypre's default C-points-then-F-points order, which walks every row twice: one
V-cycle on a 2-D species block of 5.0e5 unknowns 0.079 -> 0.072 s, same iteration counts;
2-D backward Euler at 1.0e6 DOFs 3.07 -> 2.83 s a step; 3-D at 5.0e5 Krylov 1.12 -> 0.85 s a
step (8 instead of 10 iterations), 2 ranks 1.05 -> 0.85 s (bench/README.md, "Relaxation order").
"""

from __future__ import annotations

from typing import Any

from petsc4py import PETSc

__all__ = ["AGGRESSIVE_3D", "PLAIN_RELAXATION", "has_hypre", "species_amg_options"]

#: BoomerAMG options in every dimension: relaxation in the rows' own order, not C/F-ordered.
PLAIN_RELAXATION: dict[str, Any] = {"pc_hypre_boomeramg_no_CF": True}

#: BoomerAMG options on 3-D meshes: one level of aggressive coarsening (over 2 paths), HMIS
#: coarsening with extended+i interpolation of at most 4 entries a row (hypre's advice for 3-D).
AGGRESSIVE_3D: dict[str, Any] = {
    "pc_hypre_boomeramg_agg_nl": 1,
    "pc_hypre_boomeramg_agg_num_paths": 2,
    "pc_hypre_boomeramg_coarsen_type": "HMIS",
    "pc_hypre_boomeramg_interp_type": "ext+i",
    "pc_hypre_boomeramg_P_max": 4,
}


def has_hypre() -> bool:
    """Whether this PETSc was built with hypre."""
    return bool(PETSc.Sys.hasExternalPackage("hypre"))


def species_amg_options(prefix: str, tdim: int) -> dict[str, Any]:
    """PETSc options of the AMG preconditioner of a block whose options start with `prefix`,
    on a mesh of topological dimension `tdim`."""
    if not has_hypre():
        return {f"{prefix}pc_type": "gamg"}
    tuned = {**PLAIN_RELAXATION, **(AGGRESSIVE_3D if tdim == 3 else {})}
    return {
        f"{prefix}pc_type": "hypre",
        f"{prefix}pc_hypre_type": "boomeramg",
        **{prefix + key: value for key, value in tuned.items()},
    }
