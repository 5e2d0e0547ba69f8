"""Repartitioning the base mesh so that the refined mesh is balanced over the MPI ranks.

The cells of a refined mesh stay on the rank of their base cell (:mod:`.hierarchy`), so the
rank whose base cells hold an aggregate owns more fine cells than the others. A rebalance
moves the *base* cells: each is weighted by its number of fine descendants, and the weighted
cells are split over the ranks by recursive coordinate bisection at weighted medians
(:func:`weighted_bisection`, computed alike on every rank from the gathered base-cell midpoints
and weights). The base mesh is then created anew with that partition (DOLFINx ``create_mesh``
with a graph partitioner that returns it; a cell sharing a facet with another rank's cell is
ghosted there, as in the package's other meshes). Every base cell keeps its nodes in order, so
the hierarchy on the new base refines it to the same cells, now balanced over the ranks. Cell
and facet tags (physical groups) move with their entities.
"""

from __future__ import annotations

import dataclasses

import dolfinx.cpp
import dolfinx.graph
import dolfinx.io
import dolfinx.mesh
import numpy as np

from mpi4py import MPI

from fem_chemotaxis.adaptivity.tag_transfer import consistent_tags
from fem_chemotaxis.mesh.tagged_mesh import TaggedMesh

__all__ = ["WeightedPartition", "gathered", "redistributed", "weighted_bisection"]


def weighted_bisection(points: np.ndarray, weights: np.ndarray, parts: int) -> np.ndarray:
    """The part (0, ..., parts - 1) of each point, by recursive coordinate bisection.

    Each set of points is cut across its longest extent where the weight below the cut is
    closest to the share of the parts that side gets (``parts // 2`` of them); points at the same
    coordinate are ordered by index, so the result depends only on the arguments.
    """
    owner = np.zeros(len(points), dtype=np.int32)
    pending = [(np.arange(len(points)), 0, parts)]
    while pending:
        cells, first, count = pending.pop()
        if count == 1 or cells.size < 2:
            owner[cells] = first
            continue
        low = count // 2
        coordinates = points[cells]
        axis = int(np.argmax(coordinates.max(axis=0) - coordinates.min(axis=0)))
        ordered = cells[np.lexsort((cells, coordinates[:, axis]))]
        below = np.concatenate([[0.0], np.cumsum(weights[ordered])])  # weight of the first k points
        target = below[-1] * low / count
        split = int(np.clip(np.argmin(np.abs(below - target)), 1, ordered.size - 1))
        pending += [(ordered[:split], first, low), (ordered[split:], first + low, count - low)]
    return owner


class WeightedPartition:
    """A partition of a mesh's cells over its ranks balancing the cells' weights (collective).

    Args:
        mesh: The mesh whose owned cells are partitioned.
        weights: A weight per owned cell (here: the fine cells it holds).

    Attributes:
        owner: The new rank of every cell, in the mesh's global cell numbering (on every rank).
        weights: The weight of every cell, in the same numbering.
    """

    def __init__(self, mesh: dolfinx.mesh.Mesh, weights: np.ndarray):
        tdim, gdim, comm = mesh.topology.dim, mesh.geometry.dim, mesh.comm
        owned = np.arange(mesh.topology.index_map(tdim).size_local, dtype=np.int32)
        midpoints = dolfinx.mesh.compute_midpoints(mesh, tdim, owned)[:, :gdim]
        self.size = comm.size
        self.weights = np.concatenate(comm.allgather(np.asarray(weights, dtype=np.float64)))
        self.owner = weighted_bisection(np.concatenate(comm.allgather(midpoints)), self.weights, comm.size)

    @property
    def imbalance(self) -> float:
        """Largest weight of one rank over the mean (1: balanced)."""
        loads = np.bincount(self.owner, weights=self.weights, minlength=self.size)
        return float(loads.max() * self.size / loads.sum())


def redistributed(base: TaggedMesh, owner: np.ndarray) -> tuple[TaggedMesh, np.ndarray]:
    """`base` created anew with its cells on the ranks `owner` gives (collective).

    Args:
        base: A mesh with straight-sided cells and its tags.
        owner: The new rank of every cell (global cell numbering, the same on every rank).

    Returns:
        The new mesh with the tags carried over, and for each of its owned cells the global
        index of the cell of `base` it is.
    """
    mesh = base.mesh
    tdim, gdim = mesh.topology.dim, mesh.geometry.dim
    cell_map, node_map = mesh.topology.index_map(tdim), mesh.geometry.index_map()
    node_global = node_map.local_to_global(np.arange(node_map.size_local + node_map.num_ghosts, dtype=np.int32))
    cells = node_global[mesh.geometry.dofmaps[0][: cell_map.size_local]]
    x = mesh.geometry.x[: node_map.size_local, :gdim]
    given = _given_partition(owner, cell_map.local_range[0])
    partitioner = dolfinx.mesh.create_cell_partitioner(given, dolfinx.mesh.GhostMode.shared_facet, 2)
    new = dolfinx.mesh.create_mesh(mesh.comm, cells, mesh.ufl_domain().ufl_coordinate_element(), x, partitioner)
    for dim in (1, tdim - 1):
        new.topology.create_entities(dim)
    new.topology.create_connectivity(tdim - 1, tdim)
    origin = np.asarray(new.topology.original_cell_index, dtype=np.int64)
    cell_tags = _moved_cell_tags(base, new, origin)
    facet_tags = _moved_facet_tags(base, new, node_global)
    moved = dataclasses.replace(base, mesh=new, cell_tags=cell_tags, facet_tags=facet_tags)
    return moved, origin[: new.topology.index_map(tdim).size_local]


def gathered(values: np.ndarray, comm: MPI.Comm) -> np.ndarray:
    """Every rank's owned `values`, concatenated in rank order (the global cell numbering)."""
    return np.concatenate(comm.allgather(np.asarray(values)))


def _given_partition(owner: np.ndarray, start: int):
    """A DOLFINx graph partitioner returning `owner`; a cell is ghosted on its facet neighbours' owners.

    DOLFINx calls it with the dual graph of the cells given to ``create_mesh`` on this rank,
    numbered from `start` (the global numbers of the base's owned cells).
    """

    def partition(comm, parts, graph, ghosting):
        offsets = np.asarray(graph.offsets)
        nodes = offsets.size - 1
        own = owner[start : start + nodes].astype(np.int64)
        node = np.repeat(np.arange(nodes, dtype=np.int64), np.diff(offsets))
        other = owner[np.asarray(graph.array)].astype(np.int64)
        keep = other != own[node]
        pairs = np.unique(node[keep] * parts + other[keep]) if ghosting else np.empty(0, np.int64)
        ghosts_of, ghost_rank = pairs // parts, pairs % parts
        counts = 1 + np.bincount(ghosts_of, minlength=nodes)
        destinations = np.empty(counts.sum(), dtype=np.int32)
        first = np.concatenate([[0], np.cumsum(counts)]).astype(np.int32)
        destinations[first[:-1]] = own
        within = np.arange(ghosts_of.size) - np.searchsorted(ghosts_of, ghosts_of)  # position among its ghosts
        destinations[first[ghosts_of] + 1 + within] = ghost_rank
        return dolfinx.cpp.graph.AdjacencyList_int32(destinations, first)

    return partition


def _moved_cell_tags(base: TaggedMesh, new: dolfinx.mesh.Mesh, origin: np.ndarray) -> dolfinx.mesh.MeshTags | None:
    """The base's cell tags on the new mesh: each new cell takes its original cell's tag."""
    if base.cell_tags is None:
        return None
    tdim = base.mesh.topology.dim
    values = np.zeros(base.mesh.topology.index_map(tdim).size_local, dtype=np.float64)
    owned = base.cell_tags.indices < values.size
    values[base.cell_tags.indices[owned]] = base.cell_tags.values[owned]
    every = gathered(values, base.mesh.comm)
    owned_new = new.topology.index_map(tdim).size_local
    return consistent_tags(new, tdim, every[origin[:owned_new]], np.arange(owned_new, dtype=np.int32))


def _moved_facet_tags(
    base: TaggedMesh, new: dolfinx.mesh.Mesh, node_global: np.ndarray
) -> dolfinx.mesh.MeshTags | None:
    """The base's facet tags on the new mesh, each owned tagged facet sent by its nodes' global numbers."""
    if base.facet_tags is None:
        return None
    mesh, dim = base.mesh, base.mesh.topology.dim - 1
    mesh.topology.create_connectivity(dim, dim + 1)
    owned = base.facet_tags.indices < mesh.topology.index_map(dim).size_local
    facets, values = base.facet_tags.indices[owned], base.facet_tags.values[owned]
    nodes = node_global[dolfinx.mesh.entities_to_geometry(mesh, dim, facets)].astype(np.int64)
    entities, received = dolfinx.io.distribute_entity_data(new, dim, nodes.reshape(facets.size, -1), values)
    local = dolfinx.mesh.meshtags_from_entities(
        new, dim, dolfinx.graph.adjacencylist(entities), received.astype(np.int32, copy=False)
    )
    return consistent_tags(new, dim, local.values.astype(np.float64), local.indices)
