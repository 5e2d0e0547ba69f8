"""Gather distributed scalar Lagrange functions into one pyvista grid on one rank.

Every function is interpolated into the P1 (vertex) space of its mesh, so all species share
one linear grid whatever their degree: P1 data are copied exactly and P2 data are sampled at
the vertices (their edge-midpoint values are not shown).  Each rank contributes its owned
cells and its owned P1 degrees of freedom only; connectivity is expressed in the global
degree-of-freedom numbering (local index plus the rank's ownership offset, ghosts through the
index map), so the receiving rank gets every cell once and every vertex once, with no seams at the
partition boundaries.
"""

from collections.abc import Sequence

import dolfinx.fem
import dolfinx.plot
import numpy as np
import pyvista

__all__ = ["gather_grid"]


def gather_grid(functions: Sequence[dolfinx.fem.Function], root: int = 0) -> pyvista.UnstructuredGrid | None:
    """Collect scalar functions from all MPI ranks into one grid on rank `root`.

    Collective over the mesh communicator: every rank must call it with the same functions.

    Args:
        functions: Scalar Lagrange functions (any degree) on one common mesh, with distinct
            names.
        root: The rank that receives the grid.

    Returns:
        On rank `root`, a linear unstructured grid of the whole mesh with one point array per
        function, named ``function.name`` and holding its values at the mesh vertices.
        ``None`` on the other ranks.

    Raises:
        ValueError: If ``functions`` is empty, a function is not scalar, the functions live
            on different meshes or two functions share a name.
    """
    if not functions:
        raise ValueError("gather_grid needs at least one function")
    mesh = functions[0].function_space.mesh
    names = [f.name for f in functions]
    if len(set(names)) != len(names):
        raise ValueError(f"function names must be distinct, got {names}")
    for f in functions:
        if f.ufl_shape != ():
            raise ValueError(f"function {f.name!r} is not scalar (shape {f.ufl_shape})")
        if f.function_space.mesh._cpp_object is not mesh._cpp_object:
            raise ValueError(f"function {f.name!r} lives on a different mesh")

    V = dolfinx.fem.functionspace(mesh, ("Lagrange", 1))
    index_map = V.dofmap.index_map
    num_owned = index_map.size_local
    values = {}
    for f in functions:
        p1 = dolfinx.fem.Function(V)
        p1.interpolate(f)
        values[f.name] = p1.x.array[:num_owned].copy()

    # vtk_mesh(V) lists the owned cells only, as rows [n, dof_0, ..., dof_{n-1}].
    topology, cell_types, _ = dolfinx.plot.vtk_mesh(V)
    cells = topology.reshape(len(cell_types), -1).astype(np.int64)
    cells[:, 1:] = index_map.local_to_global(cells[:, 1:].reshape(-1).astype(np.int32)).reshape(len(cell_types), -1)
    local = (
        index_map.local_range[0],
        V.tabulate_dof_coordinates()[:num_owned],
        values,
        cells.reshape(-1),
        cell_types,
    )
    parts = mesh.comm.gather(local, root=root)
    if mesh.comm.rank != root:
        return None

    points = np.empty((index_map.size_global, 3))
    point_values = {name: np.empty(index_map.size_global) for name in names}
    for start, coordinates, rank_values, _, _ in parts:
        owned = slice(start, start + len(coordinates))
        points[owned] = coordinates
        for name in names:
            point_values[name][owned] = rank_values[name]
    grid = pyvista.UnstructuredGrid(
        np.concatenate([part[3] for part in parts]),
        np.concatenate([part[4] for part in parts]),
        points,
    )
    for name in names:
        grid.point_data[name] = point_values[name]
    return grid
