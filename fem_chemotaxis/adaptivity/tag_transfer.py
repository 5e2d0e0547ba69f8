"""Physical-group tags carried from a mesh to its refinement (ghosted meshes, any rank count).

DOLFINx's ``transfer_meshtag`` refuses ghosted meshes, and the parent maps of ``refine``
cover owned cells only. Here each owned fine cell takes its parent's cell tag, and each of
its facets that lies on a facet of the parent (found geometrically, from barycentric
coordinates in the parent simplex) takes that facet's tag; the values then reach
the owners (summed with a count, for facets seen by several ranks) and the ghosts through
the index maps' scatters. Tag value 0 means untagged (gmsh physical tags are positive).
"""

from __future__ import annotations

import dolfinx.la
import dolfinx.mesh
import numpy as np

__all__ = ["carried_tags", "consistent_tags"]


def carried_tags(
    tags: dolfinx.mesh.MeshTags | None,
    coarse: dolfinx.mesh.Mesh,
    fine: dolfinx.mesh.Mesh,
    parent_cell: np.ndarray,
) -> dolfinx.mesh.MeshTags | None:
    """The cell or facet tags of `coarse` on its refinement `fine` (collective)."""
    if tags is None:
        return None
    tdim = coarse.topology.dim
    coarse_values = np.zeros(_local_count(coarse, tags.dim), dtype=np.float64)
    coarse_values[tags.indices] = tags.values
    if tags.dim == tdim:
        return consistent_tags(fine, tdim, coarse_values[parent_cell], np.arange(parent_cell.size, dtype=np.int32))
    values, facets = _facets_on_parent_facets(coarse, fine, parent_cell, coarse_values)
    return consistent_tags(fine, tdim - 1, values, facets)


def _facets_on_parent_facets(
    coarse: dolfinx.mesh.Mesh, fine: dolfinx.mesh.Mesh, parent_cell: np.ndarray, coarse_values: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Facets of owned fine cells lying on a tagged facet of their parent, and that facet's tag.

    A fine facet lies on facet j of its (simplex) parent, the facet opposite vertex j, when the
    barycentric coordinate j of its midpoint in the parent is zero.
    """
    tdim, gdim = coarse.topology.dim, coarse.geometry.dim
    vertices = coarse.geometry.x[coarse.geometry.dofmaps[0][parent_cell]][:, : tdim + 1, :gdim]
    edges = vertices[:, 1:, :] - vertices[:, :1, :]
    inverse = np.linalg.pinv(np.transpose(edges, (0, 2, 1)))  # (cells, tdim, gdim)
    fine_facets = fine.topology.connectivity(tdim, tdim - 1).array.reshape(-1, tdim + 1)[: parent_cell.size]
    midpoints = dolfinx.mesh.compute_midpoints(fine, tdim - 1, fine_facets.ravel()).reshape(-1, tdim + 1, 3)
    rest = np.einsum("cij,ckj->cki", inverse, midpoints[:, :, :gdim] - vertices[:, :1, :])
    barycentric = np.concatenate([1 - rest.sum(axis=2, keepdims=True), rest], axis=2)
    opposite = np.argmin(np.abs(barycentric), axis=2)
    on_facet = np.take_along_axis(np.abs(barycentric), opposite[:, :, None], axis=2)[:, :, 0] < 1e-8
    coarse_facets = coarse.topology.connectivity(tdim, tdim - 1).array.reshape(-1, tdim + 1)
    parent_facets = coarse_facets[np.repeat(parent_cell[:, None], tdim + 1, axis=1), opposite]
    values = np.where(on_facet, coarse_values[parent_facets], 0.0)
    keep = values != 0
    return values[keep], fine_facets[keep].astype(np.int32)


def _local_count(mesh: dolfinx.mesh.Mesh, dim: int) -> int:
    index_map = mesh.topology.index_map(dim)
    return index_map.size_local + index_map.num_ghosts


def consistent_tags(
    fine: dolfinx.mesh.Mesh, dim: int, values: np.ndarray, entities: np.ndarray
) -> dolfinx.mesh.MeshTags:
    """Tags of entities of dimension `dim`, from values some ranks know, made the same on all ranks."""
    index_map = fine.topology.index_map(dim)
    total, count = dolfinx.la.vector(index_map, dtype=np.float64), dolfinx.la.vector(index_map, dtype=np.float64)
    np.add.at(total.array, entities, values)
    np.add.at(count.array, entities, (values != 0).astype(np.float64))
    for vector in (total, count):
        vector.scatter_reverse(dolfinx.la.InsertMode.add)
    owned = index_map.size_local
    merged = np.zeros_like(total.array)
    seen = count.array[:owned] > 0
    merged[:owned][seen] = total.array[:owned][seen] / count.array[:owned][seen]
    total.array[:] = merged
    total.scatter_forward()
    tagged = np.flatnonzero(total.array != 0).astype(np.int32)
    return dolfinx.mesh.meshtags(fine, dim, tagged, np.rint(total.array[tagged]).astype(np.int32))
