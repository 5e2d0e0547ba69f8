"""Density-with-streamlines pictures in 2-D and 3-D, gathered from all ranks."""

from __future__ import annotations

import dolfinx.fem
import numpy as np
import pytest

from fem_chemotaxis.mesh.builtin import create_builtin
from fem_chemotaxis.viz.flow import gather_flow_grid, save_flow_png


def _fields(comm, dimension: int):
    kind, size, cells = ("rectangle", [2.0, 1.0], [16, 8]) if dimension == 2 else ("box", [1.0, 1.0, 1.0], [6, 6, 6])
    mesh = create_builtin(comm, kind, size, cells).mesh
    density = dolfinx.fem.Function(dolfinx.fem.functionspace(mesh, ("Lagrange", 1)), name="n")
    density.interpolate(lambda x: 1 + np.exp(-10 * (x[0] - 0.5) ** 2))
    velocity = dolfinx.fem.Function(dolfinx.fem.functionspace(mesh, ("Lagrange", 2, (dimension,))), name="velocity")
    up = dimension - 1  # the vertical axis

    def cellular(x):  # convection rolls in the x-(vertical) plane
        values = np.zeros((dimension, x.shape[1]))
        values[0] = np.sin(np.pi * x[0]) * np.cos(np.pi * x[up])
        values[up] = -np.cos(np.pi * x[0]) * np.sin(np.pi * x[up])
        return values

    velocity.interpolate(cellular)
    return density, velocity, cellular


@pytest.mark.parametrize("dimension", [2, 3])
def test_gathered_velocity_is_exact_at_the_vertices(comm, dimension):
    density, velocity, cellular = _fields(comm, dimension)
    grid = gather_flow_grid([density], velocity)
    if comm.rank != 0:
        assert grid is None
        return
    expected = cellular(grid.points.T).T
    assert np.abs(grid.point_data["velocity"][:, :dimension] - expected).max() < 1e-12
    assert grid.point_data["n"].shape == (grid.n_points,)


@pytest.mark.parametrize("dimension", [2, 3])
def test_flow_picture_written_with_streamlines(comm, shared_tmp_path, dimension):
    density, velocity, _ = _fields(comm, dimension)
    path = shared_tmp_path / f"flow{dimension}.png"
    save_flow_png(density, velocity, path, time=0.5, title="test")
    comm.Barrier()
    assert path.is_file()
    if comm.rank == 0:
        import pyvista

        picture = pyvista.read(path)
        width, height = picture.dimensions[:2]
        pixels = np.asarray(picture.point_data[picture.array_names[0]])[:, :3].astype(int).reshape(height, width, 3)
        middle = pixels[height // 3 : 2 * height // 3, width // 3 : 2 * width // 3]
        grey = (middle.max(axis=2) - middle.min(axis=2)) < 25  # streamlines: white (2-D) or dark grey (3-D)
        lines = grey & ((middle.min(axis=2) > 235) if dimension == 2 else (middle.max(axis=2) < 110))
        assert 0.005 < lines.mean() < 0.9
