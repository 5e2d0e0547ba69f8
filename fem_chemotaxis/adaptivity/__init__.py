"""Adaptive mesh refinement: error indicators, refinement from the base mesh, conservative transfer.

A run with ``[mesh.adapt]`` re-meshes every ``every`` accepted steps: a gradient-jump
indicator per cell (:mod:`.indicator`) marks cells to refine or coarsen; the marks are pulled
back to the cells of the original (base) mesh as wanted refinement levels, and the mesh is
rebuilt from the base by repeated DOLFINx refinement (:mod:`.hierarchy`), so coarsening is a
re-refinement. Every time level the stepper holds moves to the new mesh with each species'
mass conserved to round-off (:mod:`.conservative_transfer`, :mod:`.remesh`). On several
ranks, when one rank holds too large a share of the cells, the base mesh is repartitioned by
the fine cells each base cell holds and the same mesh rebuilt on it (:mod:`.rebalance`).
"""

from fem_chemotaxis.adaptivity.conservative_transfer import transfer_conserving_mass
from fem_chemotaxis.adaptivity.hierarchy import AdaptedMesh, RefinementHierarchy
from fem_chemotaxis.adaptivity.indicator import gradient_jump_indicator
from fem_chemotaxis.adaptivity.remesh import Adaptation

__all__ = [
    "Adaptation",
    "AdaptedMesh",
    "RefinementHierarchy",
    "gradient_jump_indicator",
    "transfer_conserving_mass",
]
