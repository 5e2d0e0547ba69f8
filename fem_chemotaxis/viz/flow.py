"""Pictures of a density carried by a flow: the density in colour, the velocity as streamlines.

The velocity (P2) is interpolated at the mesh vertices and gathered onto rank 0 with the
density, exactly as :func:`~fem_chemotaxis.viz.gather.gather_grid` gathers scalars (one
component at a time). In 2-D the streamlines are evenly spaced over the whole domain
(``vtkEvenlySpacedStreamlines2D``); in 3-D (z up) they start from a horizontal seed plane through the
middle of the domain (drawn as tubes), the density is shown on the three far walls, and an
isosurface of the density outlines the dense layer and the plumes. Rank 0 writes the PNG
atomically.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import dolfinx.fem
import numpy as np
import pyvista

from fem_chemotaxis.viz.gather import gather_grid
from fem_chemotaxis.viz.panel import TITLE_PX, add_label, add_scalar_bar, color_range, fit_camera, write_png_atomically

__all__ = ["gather_flow_grid", "save_flow_png"]

_VELOCITY = "velocity"
_SIZE_2D = (1100, 700)
_SIZE_3D = (1000, 900)


def gather_flow_grid(
    scalars: Sequence[dolfinx.fem.Function], velocity: dolfinx.fem.Function
) -> pyvista.UnstructuredGrid | None:
    """Gather scalar fields and a vector field onto one linear grid on rank 0.

    Collective over the mesh communicator.

    Args:
        scalars: Scalar Lagrange functions on the velocity's mesh (distinct names).
        velocity: A vector Lagrange function (any degree).

    Returns:
        On rank 0, the grid with one point array per scalar and a 3-component point array
        ``"velocity"`` (zero third component in 2-D), also set as the active vectors. None on
        the other ranks.

    Raises:
        ValueError: if `velocity` is not a vector, or as :func:`gather_grid` does.
    """
    if len(velocity.ufl_shape) != 1:
        raise ValueError(f"function {velocity.name!r} is not a vector (shape {velocity.ufl_shape})")
    gdim = velocity.ufl_shape[0]
    components = []
    for i in range(gdim):
        component = velocity.sub(i).collapse()
        component.name = f"{_VELOCITY}_{'xyz'[i]}"
        components.append(component)
    grid = gather_grid([*scalars, *components])
    if grid is None:
        return None
    vectors = np.zeros((grid.n_points, 3))
    for i, component in enumerate(components):
        vectors[:, i] = grid.point_data.pop(component.name)
    grid.point_data[_VELOCITY] = vectors
    grid.set_active_vectors(_VELOCITY)
    return grid


def save_flow_png(
    density: dolfinx.fem.Function,
    velocity: dolfinx.fem.Function,
    path: str | os.PathLike,
    time: float | None = None,
    title: str | None = None,
    *,
    window_size: tuple[int, int] | None = None,
    streamline_density: float = 1.0,
    clim: tuple[float, float] | None = None,
) -> None:
    """Render a density in colour with the streamlines of a velocity into one PNG.

    Collective over the mesh communicator; rank 0 writes the file.

    Args:
        density: Scalar Lagrange function shown in colour (its name labels the colour bar).
        velocity: Vector Lagrange function on the same mesh.
        path: Target PNG file; its directory must exist.
        time: Time shown in the title, if given.
        title: Title text (default: the density's name and the largest speed).
        window_size: Picture size in pixels.
        streamline_density: More (> 1) or fewer (< 1) streamlines than the default.
        clim: Colour range of the density (default: its range).
    """
    grid = gather_flow_grid([density], velocity)
    if grid is None:
        return
    three_d = velocity.ufl_shape[0] == 3
    speed = np.linalg.norm(grid.point_data[_VELOCITY], axis=1)
    heading = title or f"{density.name} and streamlines of the flow"
    subtitle = f"max speed {speed.max():.3g}" + ("" if time is None else f",  t = {time:.6g}")
    size = window_size or (_SIZE_3D if three_d else _SIZE_2D)
    clim = clim or color_range(grid.point_data[density.name])
    plotter = pyvista.Plotter(off_screen=True, window_size=list(size), border=False)
    try:
        plotter.set_background("white")
        shown = _far_walls(grid) if three_d else [grid]
        actors = [
            plotter.add_mesh(
                part, scalars=density.name, cmap="viridis", clim=clim, lighting=False, show_scalar_bar=False
            )
            for part in shown
        ]
        if three_d:
            plotter.add_mesh(grid.outline(), color="black", line_width=1.5)
            level = clim[0] + 0.4 * (clim[1] - clim[0])
            surface = grid.contour([level], scalars=density.name)
            if surface.n_points:  # the dense cells: layer and plumes
                plotter.add_mesh(
                    surface,
                    color=actors[0].mapper.lookup_table.map_value(level)[:3],
                    opacity=0.75,
                    smooth_shading=True,
                    specular=0.3,
                )
                subtitle += f",  isosurface {density.name} = {level:.3g}"
        if speed.max() > 0:
            if three_d:
                lines = _streamlines_3d(grid, speed, streamline_density)
                plotter.add_mesh(lines, color="#2b2b2b", lighting=True, ambient=0.4)
            else:
                lines = _streamlines_2d(grid, speed, streamline_density)
                plotter.add_mesh(lines, color="white", line_width=1.6, lighting=False, opacity=0.9)
        add_scalar_bar(plotter, actors[0].mapper, clim, size, 0.2)
        add_label(plotter, density.name, (size[0] / 2, 18), 18)
        add_label(plotter, f"{heading}   ({subtitle})", (size[0] / 2, size[1] - TITLE_PX / 2), 18)
        direction, view_up = ((1.0, -1.0, 0.7), (0.0, 0.0, 1.0)) if three_d else ((0.0, 0.0, 1.0), (0.0, 1.0, 0.0))
        fit_camera(plotter, grid.bounds, direction, view_up, size)
        write_png_atomically(path, plotter.screenshot)
    finally:
        plotter.close()


def _normalised(grid: pyvista.UnstructuredGrid, speed: np.ndarray) -> pyvista.UnstructuredGrid:
    """A shallow copy whose velocity has largest speed 1 (streamline settings need no scale)."""
    flow = grid.copy(deep=False)
    flow.point_data[_VELOCITY] = grid.point_data[_VELOCITY] / speed.max()
    return flow


def _streamlines_2d(grid: pyvista.UnstructuredGrid, speed: np.ndarray, streamline_density: float) -> pyvista.PolyData:
    """Evenly spaced streamlines over the whole domain, started at the fastest point inside."""
    lo, hi = np.asarray(grid.bounds[0::2]), np.asarray(grid.bounds[1::2])
    diagonal = float(np.linalg.norm(hi - lo))
    # The filter measures in cell lengths: a separation of 1.8% of the diagonal, in those.
    cell_length = float(np.sqrt(2.0 * grid.compute_cell_sizes(length=False, volume=False)["Area"].mean()))
    inside = np.all(
        (grid.points[:, :2] > lo[:2] + 0.05 * (hi - lo)[:2]) & (grid.points[:, :2] < hi[:2] - 0.05 * (hi - lo)[:2]),
        axis=1,
    )
    start = int(np.argmax(np.where(inside, speed, -1.0)))
    return _normalised(grid, speed).streamlines_evenly_spaced_2D(
        vectors=_VELOCITY,
        start_position=tuple(grid.points[start]),
        separating_distance=0.018 * diagonal / streamline_density / cell_length,
        separating_distance_ratio=0.5,
        step_length=0.25,
        step_unit="cl",
        max_steps=20000,
        terminal_speed=1e-4,
        compute_vorticity=False,
    )


def _far_walls(grid: pyvista.UnstructuredGrid) -> list[pyvista.PolyData]:
    """The walls x = min, y = max and z = min: behind everything in the view from (+1, -1, +0.7)."""
    lo, hi = np.asarray(grid.bounds[0::2]), np.asarray(grid.bounds[1::2])
    middle, inset = (lo + hi) / 2, 1e-6 * (hi - lo)
    return [
        grid.slice(normal="x", origin=(lo[0] + inset[0], middle[1], middle[2])),
        grid.slice(normal="y", origin=(middle[0], hi[1] - inset[1], middle[2])),
        grid.slice(normal="z", origin=(middle[0], middle[1], lo[2] + inset[2])),
    ]


def _streamlines_3d(grid: pyvista.UnstructuredGrid, speed: np.ndarray, streamline_density: float) -> pyvista.PolyData:
    """Streamlines through a grid of seeds on the horizontal mid-plane, drawn as thin tubes."""
    lo, hi = np.asarray(grid.bounds[0::2]), np.asarray(grid.bounds[1::2])
    diagonal = float(np.linalg.norm(hi - lo))
    resolution = max(2, round(4 * streamline_density))
    seeds = pyvista.Plane(
        center=(lo + hi) / 2,
        direction=(0.0, 0.0, 1.0),
        i_size=0.9 * (hi[0] - lo[0]),
        j_size=0.9 * (hi[1] - lo[1]),
        i_resolution=resolution,
        j_resolution=resolution,
    )
    lines = _normalised(grid, speed).streamlines_from_source(
        seeds,
        vectors=_VELOCITY,
        integration_direction="both",
        max_length=4.0 * diagonal,
        initial_step_length=0.2,
        terminal_speed=1e-4,
        compute_vorticity=False,
    )
    return lines.tube(radius=0.0025 * diagonal) if lines.n_points else lines
