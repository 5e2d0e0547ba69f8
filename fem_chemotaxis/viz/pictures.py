"""PNG pictures of species fields and of time series.

``save_species_png`` renders one panel per species with pyvista off screen: 2-D meshes seen
from above in parallel projection, 3-D meshes in an isometric view, in one of three ways
(``VIEWS_3D``): ``"clip"`` cuts away the corner nearest the viewer to show the interior,
``"slices"`` shows three orthogonal planes through the centre of the bounding box (with the
outline of the domain), ``"surface"`` shows the boundary only.  ``save_time_series_png`` draws line plots with
matplotlib (a dependency of pyvista).  Both write on one rank (rank 0 by default), atomically:
the picture is written to a temporary file in the target directory and then renamed over the
target. ``SpeciesPictures`` draws several species pictures on all ranks at once.
"""

import io
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import dolfinx.fem
import numpy as np
import pyvista
from matplotlib.figure import Figure
from vtkmodules.vtkFiltersGeneral import vtkBoxClipDataSet

from mpi4py import MPI

from fem_chemotaxis.viz.gather import gather_grid
from fem_chemotaxis.viz.panel import (
    BAR_PX,
    SIDE_PX,
    TITLE_PX,
    add_label,
    add_scalar_bar,
    color_range,
    fit_camera,
    view_frame,
    write_png_atomically,
)

__all__ = [
    "VIEWS_3D",
    "SpeciesPictures",
    "orthogonal_slices",
    "save_small_copy",
    "save_species_png",
    "save_time_series_png",
]

PANEL_WIDTH = 600
"""Default width of one species panel, in pixels."""

LOG_AXIS_RATIO = 1e3
"""Time series whose positive values span more than this ratio are drawn on a logarithmic axis
(a collapse from 1 to 1e5 then shows its whole history, not a flat line and a jump)."""

_HEADER_PX = 44  # band for the overall title, above all panels
_COLORMAP = "viridis"

VIEWS_3D = ("clip", "slices", "surface")
"""How ``save_species_png`` shows a 3-D field: corner cut away, centre slices, or boundary."""


def _cut_corner(grid: pyvista.UnstructuredGrid) -> pyvista.UnstructuredGrid:
    """Remove the octant of the bounding box nearest an isometric viewer, exposing the interior.

    ``vtkBoxClipDataSet`` cuts exactly along the box faces and interpolates the point data.
    """
    bounds = np.asarray(grid.bounds)
    lo, hi = bounds[0::2], bounds[1::2]
    clip = vtkBoxClipDataSet()
    clip.SetInputData(grid)
    clip.SetBoxClip(*np.column_stack([(lo + hi) / 2, hi + 0.01 * (hi - lo)]).ravel())
    clip.GenerateClippedOutputOn()
    clip.Update()
    return pyvista.wrap(clip.GetClippedOutput())


def orthogonal_slices(grid: pyvista.UnstructuredGrid) -> pyvista.UnstructuredGrid:
    """Three planes through the centre of the bounding box, normal to x, y and z.

    The point data are interpolated linearly onto the planes (exact for P1 fields); holes of
    the domain (vessels, say) stay holes in the planes.
    """
    centre = np.asarray(grid.bounds).reshape(3, 2).mean(axis=1)
    x, y, z = centre
    return grid.slice_orthogonal(x=x, y=y, z=z).combine(merge_points=False)


def _three_d_scene(grid: pyvista.UnstructuredGrid, view: str) -> tuple[pyvista.DataSet, list[pyvista.PolyData]]:
    """What a 3-D panel draws for ``view``: the coloured data set, and black outline edges."""
    if view == "clip":
        shown = _cut_corner(grid)
        outline = shown.extract_surface(pass_pointid=False, pass_cellid=False, algorithm=None)
    elif view == "slices":
        shown = orthogonal_slices(grid)
        outline = grid.extract_surface(pass_pointid=False, pass_cellid=False, algorithm=None)
    else:
        shown = grid.extract_surface(pass_pointid=False, pass_cellid=False, algorithm=None)
        outline = shown
    edges = [outline.extract_feature_edges(boundary_edges=False, non_manifold_edges=False, manifold_edges=False)]
    if view == "slices":  # where the planes meet the domain's boundary
        edges.append(
            shown.extract_surface(algorithm=None).extract_feature_edges(
                boundary_edges=True, feature_edges=False, non_manifold_edges=False, manifold_edges=False
            )
        )
    return shown, edges


def save_species_png(
    functions: Sequence[dolfinx.fem.Function],
    path: str | os.PathLike,
    time: float | None = None,
    title: str | None = None,
    *,
    window_size: tuple[int, int] | None = None,
    view: str = "clip",
    outline: pyvista.DataSet | None = None,
    mesh_edges: bool = False,
    shared_range: bool = False,
) -> None:
    """Render scalar species side by side into one PNG.

    Each function gets its own panel with its own colour range, a horizontal scalar bar
    named after the species and a title such as ``"u  t = 1.25"``.  Collective over the
    mesh communicator (the data are gathered); the file is written by rank 0.

    Args:
        functions: Scalar Lagrange functions on one mesh (see ``gather_grid``).
        path: Target PNG file; its directory must exist.
        time: Time shown in the panel titles, if given.
        title: Overall title drawn above the panels, if given.
        window_size: Picture size ``(width, height)`` in pixels.  By default each panel is
            ``PANEL_WIDTH`` pixels wide and as tall as the domain's aspect ratio needs.
        view: How a 3-D mesh is shown, one of ``VIEWS_3D`` (see the module doc); 2-D meshes
            are always seen from above.
        outline: Lines drawn in red over every panel (rank 0's), e.g. the boundary of a
            moving domain at an earlier time.
        mesh_edges: Draw the cells' edges thinly over the field (e.g. an adapted mesh).
        shared_range: One colour range for all panels (for fields to be compared, such as
            observed and fitted densities) instead of one per panel.

    Raises:
        ValueError: If ``view`` is not one of ``VIEWS_3D``.
    """
    _check_view(view)
    grid = gather_grid(functions)
    if grid is None:
        return
    three_d = functions[0].function_space.mesh.topology.dim == 3
    names = [f.name for f in functions]
    _render_species(
        grid,
        names,
        three_d,
        path,
        time,
        title,
        window_size,
        view,
        outline=outline,
        mesh_edges=mesh_edges,
        shared_range=shared_range,
    )


class SpeciesPictures:
    """Species pictures drawn by the ranks in turn: picture k (in the order added) by rank k % size.

    :meth:`add` gathers a picture's fields onto the rank that draws it (collective), so the
    functions may change afterwards (the next time of a stored run, say); :meth:`draw` then
    draws every rank's pictures at once, the same pixels :func:`save_species_png` draws. Call
    :meth:`draw` when :attr:`full` (each rank holds one picture's fields) to bound memory.

    Args:
        comm: The communicator of the functions' mesh.
    """

    def __init__(self, comm: MPI.Comm):
        self.comm = comm
        self._added = 0
        self._mine: list[tuple[pyvista.UnstructuredGrid, list[str], bool, Path, dict[str, Any]]] = []

    @property
    def full(self) -> bool:
        """Every rank holds the fields of one picture not drawn yet."""
        return self._added > 0 and self._added % self.comm.size == 0

    def add(
        self,
        functions: Sequence[dolfinx.fem.Function],
        path: Path,
        time: float | None = None,
        title: str | None = None,
        *,
        view: str = "clip",
    ) -> None:
        """A picture as :func:`save_species_png` draws it, its fields gathered now (collective).

        Raises:
            ValueError: If ``view`` is not one of ``VIEWS_3D``.
        """
        _check_view(view)
        root = self._added % self.comm.size
        self._added += 1
        grid = gather_grid(functions, root=root)
        if grid is not None:
            three_d = functions[0].function_space.mesh.topology.dim == 3
            options = {"time": time, "title": title, "view": view}
            self._mine.append((grid, [f.name for f in functions], three_d, path, options))

    def draw(self) -> None:
        """Draw this rank's pictures (not collective)."""
        for grid, names, three_d, path, options in self._mine:
            _render_species(grid, names, three_d, path, window_size=None, **options)
        self._mine.clear()


def _check_view(view: str) -> None:
    if view not in VIEWS_3D:
        raise ValueError(f"view {view!r} is unknown; choose one of: {', '.join(VIEWS_3D)}")


def _render_species(
    grid: pyvista.UnstructuredGrid,
    names: Sequence[str],
    three_d: bool,
    path: str | os.PathLike,
    time: float | None,
    title: str | None,
    window_size: tuple[int, int] | None,
    view: str,
    *,
    outline: pyvista.DataSet | None = None,
    mesh_edges: bool = False,
    shared_range: bool = False,
) -> None:
    """Draw the point arrays `names` of a gathered grid side by side into `path` (this rank only)."""
    direction, view_up = ((1.0, 1.0, 1.0), (0.0, 0.0, 1.0)) if three_d else ((0, 0, 1), (0, 1, 0))
    header = _HEADER_PX if title else 0
    n = len(names)
    if window_size is None:
        window_size = _window_size(grid, direction, view_up, n, header)
    panel_size = (window_size[0] // n, window_size[1] - header)

    shown, edges = _three_d_scene(grid, view) if three_d else (grid, [])
    plotter = pyvista.Plotter(
        off_screen=True,
        window_size=list(window_size),
        shape=(2, n) if title else (1, n),
        row_weights=[header, panel_size[1]] if title else None,
        groups=[(0, np.s_[:])] if title else None,
        border=False,
    )
    try:
        plotter.set_background("white")
        if title:
            plotter.subplot(0, 0)
            add_label(plotter, title, (window_size[0] / 2, header / 2), 22)
        row = 1 if title else 0
        # 2-D and slices: the colour map's own colours (planes facing different ways must
        # not look different); clip and surface: soft shading that keeps them close.
        lit = three_d and view != "slices"
        common = color_range(np.concatenate([grid.point_data[n] for n in names])) if shared_range else None
        for column, name in enumerate(names):
            plotter.subplot(row, column)
            clim = common or color_range(grid.point_data[name])
            _draw_panel(plotter, grid, shown, edges, name, time, panel_size, lit, direction, outline, mesh_edges, clim)
            fit_camera(plotter, grid.bounds, direction, view_up, panel_size)
        write_png_atomically(path, plotter.screenshot)
    finally:
        plotter.close()


def _window_size(
    grid: pyvista.DataSet, direction: Sequence[float], view_up: Sequence[float], n: int, header: int
) -> tuple[int, int]:
    """Picture size for ``n`` panels: ``PANEL_WIDTH`` each, as tall as the domain's aspect ratio needs."""
    _, _, _, width, height = view_frame(grid.bounds, direction, view_up)
    field_w = PANEL_WIDTH - 2 * SIDE_PX
    field_h = field_w * float(np.clip(height / width, 0.4, 1.3))
    return (n * PANEL_WIDTH, header + TITLE_PX + BAR_PX + round(field_h))


def _draw_panel(
    plotter: pyvista.Plotter,
    grid: pyvista.DataSet,
    shown: pyvista.DataSet,
    edges: Sequence[pyvista.DataSet],
    name: str,
    time: float | None,
    panel_size: tuple[int, int],
    lit: bool,
    direction: Sequence[float],
    outline: pyvista.DataSet | None,
    mesh_edges: bool,
    clim: tuple[float, float],
) -> None:
    """Draw one species into the current subplot: field, edges, outline, scalar bar and labels."""
    panel = shown.copy(deep=False)
    panel.set_active_scalars(name)
    shading = {"ambient": 0.4, "diffuse": 0.6, "specular": 0.0} if lit else {}
    actor = plotter.add_mesh(
        panel,
        scalars=name,
        cmap=_COLORMAP,
        clim=clim,
        lighting=lit,
        show_scalar_bar=False,
        show_edges=mesh_edges,
        edge_color="black",
        line_width=0.3,
        **shading,
    )
    for edge in edges:
        plotter.add_mesh(edge, color="black", line_width=1, lighting=False)
    if outline is not None:  # lifted towards the camera so that the field cannot hide it
        lift = 1e-3 * grid.length * np.asarray(direction, dtype=float) / np.linalg.norm(direction)
        plotter.add_mesh(outline.translate(lift, inplace=False), color="red", line_width=2, lighting=False)
    add_scalar_bar(plotter, actor.mapper, clim, panel_size, 0.12, unique_bar=True)
    add_label(plotter, name, (panel_size[0] / 2, 18), 18)
    label = name if time is None else f"{name}  t = {time:.6g}"
    add_label(plotter, label, (panel_size[0] / 2, panel_size[1] - TITLE_PX / 2), 20)


def value_axis_scale(series: Mapping[str, Sequence[float]]) -> str:
    """``"log"`` where every value is positive and finite and they span more than
    :data:`LOG_AXIS_RATIO`, else ``"linear"``."""
    values = np.concatenate([np.asarray(v, dtype=float).ravel() for v in series.values()] or [np.zeros(0)])
    positive = values.size > 0 and bool(np.all(np.isfinite(values)) and values.min() > 0.0)
    return "log" if positive and values.max() > LOG_AXIS_RATIO * values.min() else "linear"


def save_time_series_png(
    times: Sequence[float],
    series: Mapping[str, Sequence[float]],
    path: str | os.PathLike,
    ylabel: str,
    *,
    title: str | None = None,
    comm: MPI.Comm = MPI.COMM_WORLD,
) -> None:
    """Plot one line per series against time into a PNG, on rank 0 of ``comm`` only; the values'
    axis is logarithmic where they span more than :data:`LOG_AXIS_RATIO` (:func:`value_axis_scale`).

    Not collective: other ranks return at once, so rank 0 may also call it alone.

    Args:
        times: Abscissae shared by all series.
        series: Label to values, each as long as ``times``.
        path: Target PNG file; its directory must exist.
        ylabel: Label of the vertical axis (the horizontal one is ``t``).
        title: Plot title, if given.
        comm: Communicator whose rank 0 writes the file.

    Raises:
        ValueError: If a series is not as long as ``times``.
    """
    if comm.rank != 0:
        return
    for label, values in series.items():
        if len(values) != len(times):
            raise ValueError(f"series {label!r} has {len(values)} values for {len(times)} times")
    figure = Figure(figsize=(8, 5), dpi=100, layout="constrained")
    axes = figure.subplots()
    for label, values in series.items():
        axes.plot(times, values, label=label, marker="." if len(times) < 40 else None)
    axes.set_yscale(value_axis_scale(series))
    axes.set_xlabel("t")
    axes.set_ylabel(ylabel)
    if title:
        axes.set_title(title)
    axes.grid(alpha=0.3)
    axes.legend()
    write_png_atomically(path, figure.savefig)


def save_small_copy(
    source: str | os.PathLike, target: str | os.PathLike, max_width: int = 1200, max_bytes: int = 200_000
) -> None:
    """Copy a PNG for a web page: at most `max_width` pixels wide and, if possible, `max_bytes`.

    Not collective: call it on one rank. The copy keeps full colour unless it would be larger
    than `max_bytes`; then it gets an adaptive 256-colour palette ("maximum coverage", which
    keeps colour bars free of visible bands, unlike median cut), a third to a half the size.
    """
    from PIL import Image

    with Image.open(source) as image:
        picture = image.convert("RGB")
    if picture.width > max_width:
        height = round(picture.height * max_width / picture.width)
        picture = picture.resize((max_width, height), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG", optimize=True)
    if buffer.tell() > max_bytes:
        picture = picture.quantize(colors=256, method=Image.Quantize.MAXCOVERAGE, dither=Image.Dither.NONE)
    write_png_atomically(target, lambda tmp: picture.save(tmp, format="PNG", optimize=True))
