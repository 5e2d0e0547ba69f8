"""Mesh quality: the minimum scaled Jacobian of the cells, over all ranks.

The scaled Jacobian of a simplex at a corner is the signed volume spanned by the edges
leaving that corner divided by the product of their lengths, normalised so that the
equilateral simplex has 1 (triangles: 2/sqrt(3) sin(angle); tetrahedra: sqrt(2) times the
corner's determinant). A cell's quality is the minimum over its corners; it is <= 0 for a
degenerate or inverted cell (orientation measured against the cell's orientation in the
reference mesh). Only the vertices are used, also for curved (higher-order) geometry.
"""

from __future__ import annotations

from dataclasses import dataclass

import dolfinx
import numpy as np

__all__ = ["MeshQuality", "cell_orientation", "mesh_quality"]

#: Corner -> the other vertices in an order of the same orientation (even permutations).
_CORNERS = {2: ((0, 1, 2), (1, 2, 0), (2, 0, 1)), 3: ((0, 1, 2, 3), (1, 0, 3, 2), (2, 3, 0, 1), (3, 2, 1, 0))}
_NORMALISATION = {2: 2.0 / np.sqrt(3.0), 3: np.sqrt(2.0)}


@dataclass(frozen=True)
class MeshQuality:
    """The worst cell of a mesh (the same on every rank).

    Attributes:
        minimum: Its scaled Jacobian (1 equilateral, <= 0 inverted).
        location: Its centroid.
    """

    minimum: float
    location: tuple[float, ...]


def _vertex_coordinates(mesh: dolfinx.mesh.Mesh) -> np.ndarray:
    """Vertex coordinates of the owned cells, shape (cells, tdim + 1, gdim)."""
    tdim, gdim = mesh.topology.dim, mesh.geometry.dim
    if mesh.topology.cell_type not in (dolfinx.mesh.CellType.triangle, dolfinx.mesh.CellType.tetrahedron):
        raise ValueError(f"mesh quality needs simplex cells, got {mesh.topology.cell_type.name}")
    if gdim != tdim:
        raise ValueError(f"mesh quality needs a {tdim}-D mesh in {tdim}-D space, got gdim = {gdim}")
    owned = mesh.topology.index_map(tdim).size_local
    nodes = mesh.geometry.dofmaps[0][:owned, : tdim + 1]
    return mesh.geometry.x[nodes][:, :, :gdim]


def _signed_jacobians(points: np.ndarray) -> np.ndarray:
    """Per cell and corner: det(edges) / prod(|edges|), normalised; shape (cells, corners)."""
    dim = points.shape[2]
    result = np.empty(points.shape[:2])
    for k, (corner, *others) in enumerate(_CORNERS[dim]):
        edges = np.stack([points[:, o] - points[:, corner] for o in others], axis=1)
        lengths = np.prod(np.linalg.norm(edges, axis=2), axis=1)
        result[:, k] = np.linalg.det(edges) / np.where(lengths > 0, lengths, 1.0)
    return _NORMALISATION[dim] * result


def cell_orientation(mesh: dolfinx.mesh.Mesh) -> np.ndarray:
    """+1 or -1 per owned cell: the sign of its Jacobian now (call on the reference mesh)."""
    return np.where(_signed_jacobians(_vertex_coordinates(mesh))[:, 0] < 0, -1.0, 1.0)


def mesh_quality(mesh: dolfinx.mesh.Mesh, orientation: np.ndarray) -> MeshQuality:
    """The minimum scaled Jacobian over all cells of all ranks (collective).

    Args:
        mesh: The mesh in its current geometry.
        orientation: :func:`cell_orientation` of the reference mesh.
    """
    points = _vertex_coordinates(mesh)
    if len(points):
        quality = np.min(orientation[:, None] * _signed_jacobians(points), axis=1)
        worst = int(np.argmin(quality))
        local = (float(quality[worst]), tuple(float(c) for c in points[worst].mean(axis=0)))
    else:
        local = (np.inf, ())
    value, location = min(mesh.comm.allgather(local), key=lambda q: q[0])
    return MeshQuality(value, location)
