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

BoomerAMG smooths with one forward Gauss-Seidel sweep on the way down and one backward sweep
on the way up (:data:`SINGLE_SWEEPS`) instead of hypre's symmetric sweep (forward and
backward) at both: a V-cycle costs about 0.6 of the default's, the field split needs 1-2 more
Krylov iterations a Newton step, and the Krylov part of a step is 0.6-0.8 of what it was
(bench/README.md, "One sweep each way"). In 2-D the sweeps keep hypre's C-points-then-F-points
order, in 3-D they take the rows in their own order (:data:`PLAIN_RELAXATION_3D`): with single
sweeps each is the cheaper a step in its dimension (same section). Measured per step on Keller-Segel with
backward Euler (Krylov part, s; iterations): 2-D 1.0e6 DOFs, 1 rank 1.25 -> 1.03 (8.6 ->
10.2); 2-D 2.0e6, 2 ranks 1.92 -> 1.35 (11.7 -> 10.3); 3-D 5.0e5, 2 ranks 0.72 -> 0.51-0.60
(14.6 -> 16.8); 3-D, 1 rank about the same.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from petsc4py import PETSc

__all__ = [
    "AGGRESSIVE_3D",
    "PLAIN_RELAXATION_3D",
    "SINGLE_SWEEPS",
    "has_hypre",
    "species_amg_options",
    "species_block_options",
    "species_preconditioner_options",
]

#: BoomerAMG options in every dimension: one hybrid Gauss-Seidel sweep forward on the way down
#: a V-cycle, one backward on the way up, the symmetric sweep on the coarsest grid as before (the
#: cycle stays symmetric).
SINGLE_SWEEPS: dict[str, Any] = {
    "pc_hypre_boomeramg_relax_type_down": "SOR/Jacobi",
    "pc_hypre_boomeramg_relax_type_up": "backward-SOR/Jacobi",
    "pc_hypre_boomeramg_relax_type_coarse": "symmetric-SOR/Jacobi",
}

#: BoomerAMG options on 3-D meshes: relaxation in the rows' own order, not C/F-ordered.
PLAIN_RELAXATION_3D: dict[str, Any] = {"pc_hypre_boomeramg_no_CF": True}

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
    tuned = {**SINGLE_SWEEPS, **({**PLAIN_RELAXATION_3D, **AGGRESSIVE_3D} if tdim == 3 else {})}
    return {
        f"{prefix}pc_type": "hypre",
        f"{prefix}pc_hypre_type": "boomeramg",
        **{prefix + key: value for key, value in tuned.items()},
    }


def species_block_options(species: Sequence[str], tdim: int) -> dict[str, Any]:
    """PETSc options of the field-split blocks named `species`: one AMG V-cycle each."""
    options: dict[str, Any] = {}
    for name in species:
        options[f"fieldsplit_{name}_ksp_type"] = "preonly"
        options.update(species_amg_options(f"fieldsplit_{name}_", tdim))
    return options


def species_preconditioner_options(species: Sequence[str], tdim: int) -> dict[str, Any]:
    """PETSc options of the preconditioner of a system of `species` blocks: one AMG on the whole
    matrix for a single species, else a multiplicative field split with one AMG per species."""
    if len(species) == 1:
        return species_amg_options("", tdim)
    return {"pc_type": "fieldsplit", "pc_fieldsplit_type": "multiplicative", **species_block_options(species, tdim)}
