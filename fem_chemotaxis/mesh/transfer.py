"""Interpolating a field from one mesh onto another (any meshes, any MPI distribution).

:func:`transfer` interpolates a Lagrange function into a space on another mesh with
DOLFINx's non-matching interpolation: every interpolation point of the target space is
located in a cell of the source mesh (on whichever rank owns it) and the source's polynomial
on that cell is evaluated there.  On the same mesh and element this is an exact copy up to
round-off; on another mesh it is the interpolant of the source field.

Points outside the source mesh: a point at most ``OUTSIDE_FRACTION`` of the source mesh's
smallest cell diameter away from it takes the value of the nearest source cell's
polynomial, extended (this covers curved boundaries meshed at another resolution, whose
boundary vertices lie outside the other mesh's polygon by O(h^2)); a point further out is
an error.

Within :func:`reusing_interpolation_data` the located points are kept per pair of meshes and
target element, so that every field moved between the same two meshes (each species, each time
level, the step controller's history) locates them once: an adaptive Keller-Segel run located
them 60 times in 5 re-meshings (61 ms each), now 5 times (bench/README.md, "Re-meshing and the
collector").
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import dolfinx.cpp
import dolfinx.fem
import dolfinx.mesh
import numpy as np

from mpi4py import MPI

__all__ = ["OUTSIDE_FRACTION", "reusing_interpolation_data", "transfer"]

#: How far (in smallest source cell diameters) a target point may lie outside the source mesh.
OUTSIDE_FRACTION = 0.25

#: The interpolation data of the active :func:`reusing_interpolation_data` blocks (None: none active),
#: by (source mesh, target mesh, target element), each with both meshes (alive, so their ids stay theirs).
_kept: dict[tuple[int, int, str], tuple[Any, tuple[Any, Any]]] | None = None


@contextlib.contextmanager
def reusing_interpolation_data() -> Iterator[None]:
    """Within the block, :func:`transfer` locates the points of a pair of meshes and target element
    once (collective: every rank must make the same transfers, as they do anyway)."""
    global _kept
    outer = _kept
    _kept = {} if outer is None else outer
    try:
        yield
    finally:
        _kept = outer


def transfer(source: dolfinx.fem.Function, target: dolfinx.fem.Function, where: str = "") -> None:
    """Set `target` to the interpolant of `source`, which may live on another mesh (collective).

    Args:
        source: The field to transfer.
        target: The function to fill, on the mesh and space it is wanted on.
        where: What is transferred, for error messages (e.g. ``"[initial] u"``).

    Raises:
        ValueError: if some points of the target mesh lie outside the source mesh (beyond the
            tolerance in the module doc), naming how many and one of them.
    """
    space, mesh = target.function_space, target.function_space.mesh
    if source.function_space.mesh is mesh:
        target.interpolate(source)
        target.x.scatter_forward()
        return
    tdim = mesh.topology.dim
    cell_map = mesh.topology.index_map(tdim)
    cells = np.arange(cell_map.size_local + cell_map.num_ghosts, dtype=np.int32)
    # the data depend on the source's mesh only, not on its element (DOLFINx's create_interpolation_data)
    key = (id(source.function_space.mesh), id(mesh), repr(space.ufl_element()))
    if _kept is not None and key in _kept:
        data = _kept[key][0]
    else:
        data = _located(source, space, cells, where)
        if _kept is not None:
            _kept[key] = (data, (source.function_space.mesh, mesh))
    target.interpolate_nonmatching(source, cells, data)
    target.x.scatter_forward()


def _located(source: dolfinx.fem.Function, space: dolfinx.fem.FunctionSpace, cells: np.ndarray, where: str) -> Any:
    """The interpolation data of `space`'s points on `cells` in `source`'s mesh, checked to lie in it."""
    mesh = space.mesh
    cell_map = mesh.topology.index_map(mesh.topology.dim)
    padding = OUTSIDE_FRACTION * _smallest_cell_diameter(source.function_space.mesh)
    data = dolfinx.fem.create_interpolation_data(space, source.function_space, cells, padding=padding)
    lost = np.flatnonzero(data.src_owner < 0)
    example = _point(space, cells, lost[0]) if lost.size else None
    examples = [e for e in mesh.comm.allgather(example) if e is not None]
    if examples:
        points_per_cell = data.src_owner.size // max(cells.size, 1)
        outside = np.unique(lost // points_per_cell) if lost.size else lost
        count = mesh.comm.allreduce(int((outside < cell_map.size_local).sum()), op=MPI.SUM)
        point = ", ".join(f"{c:.6g}" for c in examples[0][: mesh.geometry.dim])
        raise ValueError(
            f"{where + ': ' if where else ''}{count} cell(s) of the new mesh reach outside the mesh of "
            f"the field (by more than {padding:.3g}), e.g. at ({point}); "
            "use a new mesh that lies within the old one"
        )
    return data


def _smallest_cell_diameter(mesh: dolfinx.mesh.Mesh) -> float:
    """The smallest cell diameter over all ranks."""
    tdim = mesh.topology.dim
    cells = np.arange(mesh.topology.index_map(tdim).size_local, dtype=np.int32)
    local = mesh.h(tdim, cells).min(initial=np.inf)
    return float(mesh.comm.allreduce(local, op=MPI.MIN))


def _point(space: dolfinx.fem.FunctionSpace, cells: np.ndarray, index: int) -> list[float]:
    """The coordinates of interpolation point `index` of `space` on `cells` (in the order DOLFINx uses)."""
    element, geometry = space.element._cpp_object, space.mesh.geometry._cpp_object
    points = dolfinx.cpp.fem.interpolation_coords(element, geometry, cells)
    return [float(c) for c in np.asarray(points).reshape(3, -1)[:, index]]
