"""One off-screen pyvista panel: its bands, camera, colour range, labels and scalar bar.

A panel is the field band framed by a title band on top, a scalar-bar band at the bottom and
side margins (pixel sizes below). Pictures are written on rank 0 only, atomically: into a
temporary file in the target directory, then renamed over the target.
"""

from __future__ import annotations

import itertools
import os
import tempfile
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pyvista

__all__ = [
    "BAR_PX",
    "SIDE_PX",
    "TITLE_PX",
    "add_label",
    "add_scalar_bar",
    "color_range",
    "fit_camera",
    "view_frame",
    "write_png_atomically",
]

TITLE_PX = 48  # band for the panel title, at the top of each panel
BAR_PX = 110  # band for the scalar bar, at the bottom of each panel
SIDE_PX = 24  # free margin left and right of the field


def write_png_atomically(path: str | os.PathLike, write: Callable[[str], object]) -> None:
    """Call ``write`` on a temporary PNG next to ``path``, then rename it to ``path``."""
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=".png")
    os.close(fd)
    umask = os.umask(0)
    os.umask(umask)
    try:
        os.chmod(tmp, 0o666 & ~umask)
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def view_frame(
    bounds: Sequence[float], direction: Sequence[float], view_up: Sequence[float]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float, float]:
    """Screen axes and projected extents of a bounding box seen along ``direction``.

    Args:
        bounds: ``(xmin, xmax, ymin, ymax, zmin, zmax)``.
        direction: Vector from the focal point towards the camera.
        view_up: Approximate upward direction on the screen.

    Returns:
        Unit direction, unit screen-right and unit screen-up vectors, then the box's width
        and height on the screen (world units).
    """
    d = np.asarray(direction, dtype=float) / np.linalg.norm(direction)
    right = np.cross(-d, view_up)
    right /= np.linalg.norm(right)
    up = np.cross(right, -d)
    corners = np.array(list(itertools.product(bounds[0:2], bounds[2:4], bounds[4:6])))
    return d, right, up, float(np.ptp(corners @ right)), float(np.ptp(corners @ up))


def fit_camera(
    plotter: pyvista.Plotter,
    bounds: Sequence[float],
    direction: Sequence[float],
    view_up: Sequence[float],
    panel_size: tuple[int, int],
) -> None:
    """Aim the active subplot's parallel camera so the box fills the field band of the panel.

    The field band is the panel minus the title band on top, the scalar-bar band at the
    bottom and the side margins, so nothing is clipped and nothing overlaps the field.
    """
    d, _, up, width, height = view_frame(bounds, direction, view_up)
    field_w = panel_size[0] - 2 * SIDE_PX
    field_h = panel_size[1] - TITLE_PX - BAR_PX
    scale = 1.02 * max(width / field_w, height / field_h)  # world units per pixel
    lo, hi = np.asarray(bounds[0::2]), np.asarray(bounds[1::2])
    focal = (lo + hi) / 2 - up * scale * (BAR_PX - TITLE_PX) / 2
    distance = 2.0 * np.linalg.norm(hi - lo) + 1.0
    plotter.camera_position = [focal + distance * d, focal, up]
    plotter.camera.parallel_projection = True
    plotter.camera.parallel_scale = panel_size[1] * scale / 2
    plotter.reset_camera_clipping_range()


def color_range(values: np.ndarray) -> tuple[float, float]:
    """Colour-map range of ``values``, widened around the value if the field is constant.

    An end within round-off of zero (relative to the range) is shown as 0, not as 1e-17.
    """
    lo, hi = float(values.min()), float(values.max())
    lo, hi = (0.0 if abs(v) <= 1e-12 * (hi - lo) else v for v in (lo, hi))
    if hi - lo <= 1e-12 * max(abs(lo), abs(hi), 1.0):
        pad = 0.05 * max(abs(lo), 1.0)
        return lo - pad, hi + pad
    return lo, hi


def add_label(plotter: pyvista.Plotter, text: str, position: tuple[float, float], size: int) -> None:
    """Add black text to the active subplot, centred at a pixel position of the viewport."""
    actor = pyvista.Text(text, position=position)
    actor.prop.font_size = size
    actor.prop.color = "black"
    actor.prop.justification_horizontal = "center"
    actor.prop.justification_vertical = "center"
    plotter.add_actor(actor)


def add_scalar_bar(
    plotter: pyvista.Plotter,
    mapper: Any,
    clim: Sequence[float],
    panel_size: tuple[int, int],
    position_x: float,
    **options: Any,
) -> None:
    """A horizontal scalar bar without a title in the bar band of the active subplot.

    VTK draws a horizontal bar's title over its middle label: name the bar with
    :func:`add_label` below it instead.
    """
    plotter.add_scalar_bar(
        title="",
        mapper=mapper,
        vertical=False,
        position_x=position_x,
        position_y=34 / panel_size[1],
        width=1 - 2 * position_x,
        height=(BAR_PX - 44) / panel_size[1],
        n_labels=5,
        fmt="%.3g" if 1e-2 <= max(map(abs, clim)) < 1e4 else "%.2e",
        label_font_size=16,
        color="black",
        **options,
    )
