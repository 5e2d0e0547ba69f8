"""Structured meshes of rectangles and boxes with named sides.

Every side of the domain is a facet physical group; the first name of each pair is the
side at the low end of the axis:

======  ===  =============================
name    tag  side
======  ===  =============================
left    1    x = 0
right   2    x = Lx
bottom  3    y = 0
top     4    y = Ly
front   5    z = 0 (box only)
back    6    z = Lz (box only)
======  ===  =============================

All cells form the cell group ``domain`` (tag 1).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import dolfinx
import numpy as np

from mpi4py import MPI

from fem_chemotaxis.mesh.tagged_mesh import TaggedMesh

__all__ = ["KINDS", "create_builtin"]

#: Mesh kinds -> (geometric dimension, side names in tag order: axis 0 low/high, axis 1, ...).
KINDS: dict[str, tuple[int, tuple[str, ...]]] = {
    "rectangle": (2, ("left", "right", "bottom", "top")),
    "box": (3, ("left", "right", "bottom", "top", "front", "back")),
}

_DOMAIN_TAG = 1


def _check(name: str, values: Sequence, dim: int, kind: str, integer: bool) -> list:
    """Return `values` as a list, or raise ValueError unless it has `dim` positive entries."""
    what = "integer" if integer else "finite"
    message = f"{name} must have {dim} positive {what} entries for a {kind}, got {values!r}"
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence):
        raise ValueError(message)
    items = list(values)
    if len(items) != dim:
        raise ValueError(message)
    for v in items:
        if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)):
            raise ValueError(message)
        if integer and v != int(v):
            raise ValueError(message)
        if not (math.isfinite(v) and v > 0):
            raise ValueError(message)
    return [int(v) for v in items] if integer else [float(v) for v in items]


def create_builtin(comm: MPI.Comm, kind: str, size: Sequence[float], cells: Sequence[int]) -> TaggedMesh:
    """A structured simplex mesh of [0, Lx] x [0, Ly] (x [0, Lz]) with named sides.

    Args:
        comm: Communicator the mesh is distributed over.
        kind: "rectangle" (triangles) or "box" (tetrahedra).
        size: Side lengths (Lx, Ly) or (Lx, Ly, Lz).
        cells: Number of cell layers along each axis.

    Returns:
        The mesh with facet groups left/right/bottom/top(/front/back) and cell group domain.

    Raises:
        ValueError: for an unknown kind or a size/cells that is not `dim` positive numbers.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown mesh kind {kind!r}; available: {', '.join(KINDS)}")
    dim, sides = KINDS[kind]
    lengths = _check("size", size, dim, kind, integer=False)
    counts = _check("cells", cells, dim, kind, integer=True)

    corners = [np.zeros(dim), np.array(lengths)]
    if kind == "rectangle":
        mesh = dolfinx.mesh.create_rectangle(comm, corners, counts, dolfinx.mesh.CellType.triangle)
    else:
        mesh = dolfinx.mesh.create_box(comm, corners, counts, dolfinx.mesh.CellType.tetrahedron)

    tdim = mesh.topology.dim
    mesh.topology.create_connectivity(tdim - 1, tdim)
    facets, values = [], []
    for i in range(len(sides)):
        axis, high = divmod(i, 2)
        position = lengths[axis] if high else 0.0
        tol = 1e-10 * lengths[axis]
        found = dolfinx.mesh.locate_entities_boundary(
            mesh, tdim - 1, lambda x, a=axis, p=position, t=tol: np.abs(x[a] - p) <= t
        )
        facets.append(found)
        values.append(np.full(found.size, i + 1, dtype=np.int32))
    facets_all = np.concatenate(facets)
    order = np.argsort(facets_all)
    facet_tags = dolfinx.mesh.meshtags(mesh, tdim - 1, facets_all[order], np.concatenate(values)[order])
    facet_tags.name = "facet_tags"

    cell_map = mesh.topology.index_map(tdim)
    cells_local = np.arange(cell_map.size_local + cell_map.num_ghosts, dtype=np.int32)
    cell_tags = dolfinx.mesh.meshtags(mesh, tdim, cells_local, _DOMAIN_TAG)
    cell_tags.name = "cell_tags"

    groups = {name: (tdim - 1, i + 1) for i, name in enumerate(sides)}
    groups["domain"] = (tdim, _DOMAIN_TAG)
    return TaggedMesh(mesh, cell_tags, facet_tags, groups, source=f"built-in {kind}")
