"""Meshes refined from one base mesh to wanted levels per base cell, with their tags.

A mesh of the hierarchy is described by the level each cell of the base mesh wants: level 0
keeps the base cell, level k splits it k times. It is built from the base by repeated
plaza refinement (DOLFINx ``refine`` with the parent cell map): at each round, the
edges of the cells whose base ancestor wants a deeper level than they have are split (the
closure splits some neighbours too, to keep the mesh conforming). Cells stay on the rank
of their parent, so each rank's base cells keep their local numbers, and a mesh of the
hierarchy is the same for the same wanted levels on any number of ranks. Coarsening is
building again with lower levels. Cell and facet tags (physical groups) are carried by
:func:`~fem_chemotaxis.adaptivity.tag_transfer.carried_tags` at every round.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import dolfinx.fem
import dolfinx.mesh
import numpy as np

from mpi4py import MPI

from fem_chemotaxis.adaptivity.tag_transfer import carried_tags
from fem_chemotaxis.mesh.tagged_mesh import TaggedMesh
from fem_chemotaxis.mesh.transfer import transfer

__all__ = ["LEVELS", "AdaptedMesh", "RefinementHierarchy"]

#: The name of the function of wanted levels (per cell: its base ancestor's) in a checkpoint.
LEVELS = "adapt_level"


@dataclass
class AdaptedMesh:
    """A mesh of the hierarchy.

    Attributes:
        tagged: The mesh with its carried tags and physical-group names.
        base_cell: For each owned cell, the local index of its ancestor in the base mesh (-1 on
            ghost cells, whose ancestor is another rank's).
        depth: For each owned cell, how many times it or its ancestors were split (a split by
            the closure that keeps the mesh conforming counts too; -1 on ghosts).
        levels: The wanted level of each owned base cell it was built for.
    """

    tagged: TaggedMesh
    base_cell: np.ndarray
    depth: np.ndarray
    levels: np.ndarray

    @property
    def num_cells(self) -> int:
        """Global number of cells (collective)."""
        return self.tagged.mesh.topology.index_map(self.tagged.mesh.topology.dim).size_global

    @property
    def imbalance(self) -> float:
        """Largest number of cells owned by one rank over the mean (1: balanced; collective).

        Children stay on their parent's rank, so refining where an aggregate forms loads that
        rank more than the others (until the base is repartitioned, see :mod:`.rebalance`).
        """
        owned = self.tagged.mesh.topology.index_map(self.tagged.mesh.topology.dim).size_local
        comm = self.tagged.mesh.comm
        return comm.allreduce(owned, op=MPI.MAX) * comm.size / comm.allreduce(owned, op=MPI.SUM)

    def level_function(self) -> dolfinx.fem.Function:
        """Per cell the wanted level of its base ancestor, as a DG0 function (stored in checkpoints)."""
        mesh = self.tagged.mesh
        function = dolfinx.fem.Function(dolfinx.fem.functionspace(mesh, ("DG", 0)), name=LEVELS)
        owned = mesh.topology.index_map(mesh.topology.dim).size_local
        dofs = function.function_space.dofmap.list[:owned, 0]
        function.x.array[dofs] = self.levels[self.base_cell[:owned]]
        function.x.scatter_forward()
        return function


class RefinementHierarchy:
    """Refinements of a base mesh to wanted levels per base cell.

    Args:
        base: The original mesh with its tags (straight-sided cells: refinement keeps the domain).
        max_level: The deepest level a base cell may reach.
    """

    def __init__(self, base: TaggedMesh, max_level: int):
        self.base, self.max_level = base, max_level
        tdim = base.mesh.topology.dim
        for dim in (1, tdim - 1):
            base.mesh.topology.create_entities(dim)
        base.mesh.topology.create_connectivity(tdim, 1)
        self.num_base_cells = base.mesh.topology.index_map(tdim).size_local

    def coarsest(self) -> AdaptedMesh:
        """The base mesh itself, as a member of the hierarchy."""
        cells = _local_cells(self.base.mesh)
        return AdaptedMesh(
            self.base,
            np.arange(cells, dtype=np.int32),
            np.zeros(cells, np.int32),
            np.zeros(self.num_base_cells, np.int32),
        )

    def levels_of(self, function: dolfinx.fem.Function) -> np.ndarray:
        """The wanted level of each owned base cell from a :meth:`AdaptedMesh.level_function` on any
        mesh of the hierarchy and any distribution (its value at the base cell's midpoint; collective)."""
        base = dolfinx.fem.Function(dolfinx.fem.functionspace(self.base.mesh, ("DG", 0)))
        transfer(function, base, LEVELS)
        dofs = base.function_space.dofmap.list[: self.num_base_cells, 0]
        return np.rint(base.x.array[dofs]).astype(np.int32)

    def build(self, levels: np.ndarray) -> AdaptedMesh:
        """The mesh whose owned base cells are split to (at least) `levels` (collective)."""
        levels = np.clip(np.asarray(levels, dtype=np.int32), 0, self.max_level)
        adapted = self.coarsest()
        adapted.levels = levels
        for _ in range(self.max_level):
            mesh = adapted.tagged.mesh
            owned = mesh.topology.index_map(mesh.topology.dim).size_local
            wanting = np.flatnonzero(levels[adapted.base_cell[:owned]] > adapted.depth[:owned]).astype(np.int32)
            if mesh.comm.allreduce(wanting.size, op=MPI.SUM) == 0:
                break
            adapted = _refined(adapted, wanting)
        return adapted


def _local_cells(mesh: dolfinx.mesh.Mesh) -> int:
    index_map = mesh.topology.index_map(mesh.topology.dim)
    return index_map.size_local + index_map.num_ghosts


def _refined(adapted: AdaptedMesh, cells: np.ndarray) -> AdaptedMesh:
    """One round of refinement: the edges of `cells` (local indices) split."""
    tagged = adapted.tagged
    mesh, tdim = tagged.mesh, tagged.mesh.topology.dim
    mesh.topology.create_entities(1)
    mesh.topology.create_connectivity(tdim, 1)
    edges = dolfinx.mesh.compute_incident_entities(mesh.topology, cells, tdim, 1)
    fine, parent_cell, _ = dolfinx.mesh.refine(mesh, edges, option=dolfinx.mesh.RefinementOption.parent_cell)
    parent_cell = _parents_in_cell_order(fine, parent_cell)
    fine.topology.create_entities(tdim - 1)
    fine.topology.create_connectivity(tdim - 1, tdim)
    fine.topology.create_entities(1)
    fine.topology.create_connectivity(tdim, 1)
    children = np.bincount(parent_cell, minlength=_local_cells(mesh))
    split = (children[parent_cell] > 1).astype(np.int32)
    base_cell = _with_ghosts(fine, adapted.base_cell[parent_cell])  # the parent map covers owned cells only
    depth = _with_ghosts(fine, adapted.depth[parent_cell] + split)
    cell_tags = carried_tags(tagged.cell_tags, mesh, fine, parent_cell)
    facet_tags = carried_tags(tagged.facet_tags, mesh, fine, parent_cell)
    new = dataclasses.replace(tagged, mesh=fine, cell_tags=cell_tags, facet_tags=facet_tags)
    return AdaptedMesh(new, base_cell, depth, adapted.levels)


def _parents_in_cell_order(fine: dolfinx.mesh.Mesh, parent_cell: np.ndarray) -> np.ndarray:
    """The parent of each owned fine cell, in the fine mesh's (reordered) cell numbering.

    DOLFINx 0.11 returns the parent map in the order the refined cells were created, before
    the mesh reorders them; ``original_cell_index`` (global, this rank's range) undoes that.
    """
    index_map = fine.topology.index_map(fine.topology.dim)
    created = np.asarray(fine.topology.original_cell_index[: index_map.size_local]) - index_map.local_range[0]
    return parent_cell[created]


def _with_ghosts(mesh: dolfinx.mesh.Mesh, owned_values: np.ndarray) -> np.ndarray:
    """Per local cell: `owned_values` on owned cells, -1 on ghosts (whose base cell is another rank's)."""
    values = np.full(_local_cells(mesh), -1, dtype=np.int32)
    values[: owned_values.size] = owned_values
    return values
