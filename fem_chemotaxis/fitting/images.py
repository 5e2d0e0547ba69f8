"""Grayscale pictures and fields on a mesh: reading a picture onto a mesh, and sampling a field into one.

A picture covers a box ``((x0, y0), (x1, y1))``: its pixel centres are spaced evenly across
it, row 0 at the top (largest y). Gray levels are in [0, 1] (integer pictures are divided by
their type's largest value; colour pictures are averaged over R, G, B).
"""

from __future__ import annotations

from pathlib import Path

import dolfinx.fem
import dolfinx.geometry
import numpy as np

from mpi4py import MPI

__all__ = ["Box", "bilinear", "bounding_box", "read_gray", "sample_field"]

#: ((x0, y0), (x1, y1)): the lower-left and upper-right corners of a picture on the domain.
Box = tuple[tuple[float, float], tuple[float, float]]


def read_gray(path: Path) -> np.ndarray:
    """A picture as gray levels in [0, 1] (rows, columns)."""
    import imageio.v3 as iio

    image = np.asarray(iio.imread(path))
    scale = float(np.iinfo(image.dtype).max) if np.issubdtype(image.dtype, np.integer) else 1.0
    image = image.astype(float) / scale
    if image.ndim == 3:
        image = image[..., :3].mean(axis=2)
    return image


def bounding_box(mesh: dolfinx.mesh.Mesh) -> Box:
    """The x-y bounding box of a mesh (collective)."""
    x = mesh.geometry.x[:, :2]
    low = [mesh.comm.allreduce(float(v), op=MPI.MIN) for v in x.min(axis=0, initial=np.inf)]
    high = [mesh.comm.allreduce(float(v), op=MPI.MAX) for v in x.max(axis=0, initial=-np.inf)]
    return (float(low[0]), float(low[1])), (float(high[0]), float(high[1]))


def pixel_centres(box: Box, shape: tuple[int, int]) -> np.ndarray:
    """The (x, y) of every pixel centre, row by row from the top (rows*cols, 2)."""
    (x0, y0), (x1, y1) = box
    rows, cols = shape
    xs = x0 + (np.arange(cols) + 0.5) * (x1 - x0) / cols
    ys = y1 - (np.arange(rows) + 0.5) * (y1 - y0) / rows
    X, Y = np.meshgrid(xs, ys)
    return np.column_stack([X.ravel(), Y.ravel()])


def bilinear(gray: np.ndarray, box: Box, points: np.ndarray, where: str) -> np.ndarray:
    """Gray levels at `points` (n, 2), interpolated between pixel centres (constant beyond the outer ones).

    Raises:
        ValueError: naming `where` if a point lies outside the box.
    """
    (x0, y0), (x1, y1) = box
    rows, cols = gray.shape
    slack = 1e-9 * max(x1 - x0, y1 - y0)
    x, y = points[:, 0], points[:, 1]
    outside = (x < x0 - slack) | (x > x1 + slack) | (y < y0 - slack) | (y > y1 + slack)
    if outside.any():
        raise ValueError(f"{where}: the mesh point {points[outside][0].tolist()} lies outside the picture's box {box}")
    c = np.clip((x - x0) / (x1 - x0) * cols - 0.5, 0, cols - 1)
    r = np.clip((y1 - y) / (y1 - y0) * rows - 0.5, 0, rows - 1)
    c0, r0 = np.minimum(c.astype(int), max(cols - 2, 0)), np.minimum(r.astype(int), max(rows - 2, 0))
    c1, r1 = np.minimum(c0 + 1, cols - 1), np.minimum(r0 + 1, rows - 1)
    fc, fr = c - c0, r - r0
    return (
        gray[r0, c0] * (1 - fr) * (1 - fc)
        + gray[r0, c1] * (1 - fr) * fc
        + gray[r1, c0] * fr * (1 - fc)
        + gray[r1, c1] * fr * fc
    )


def sample_field(
    field: dolfinx.fem.Function, box: Box, shape: tuple[int, int], outside: float | None = None
) -> np.ndarray:
    """The field's values at the pixel centres of a picture (collective; every rank gets them all).

    Pixels off the mesh (holes, beyond a curved boundary) get `outside`, or with None the
    value of the nearest pixel on the mesh (so that interpolating the picture back at the
    mesh's nodes does not blend in values from off the domain).
    """
    mesh = field.function_space.mesh
    points = np.zeros((shape[0] * shape[1], 3))
    points[:, :2] = pixel_centres(box, shape)
    tree = dolfinx.geometry.bb_tree(mesh, mesh.topology.dim)
    candidates = dolfinx.geometry.compute_collisions_points(tree, points)
    cells = dolfinx.geometry.compute_colliding_cells(mesh, candidates, points)
    owned = mesh.topology.index_map(mesh.topology.dim).size_local
    values, found = np.zeros(len(points)), np.zeros(len(points))
    first = [next((c for c in cells.links(i) if c < owned), -1) for i in range(len(points))]
    inside = np.flatnonzero(np.array(first) >= 0)
    if len(inside):
        values[inside] = field.eval(points[inside], np.array(first, dtype=np.int32)[inside]).ravel()
        found[inside] = 1.0
    values = mesh.comm.allreduce(values, op=MPI.SUM)
    found = mesh.comm.allreduce(found, op=MPI.SUM)
    values = (values / np.maximum(found, 1.0)).reshape(shape)
    off = (found == 0).reshape(shape)
    if outside is not None:
        return np.where(off, outside, values)
    import scipy.ndimage

    nearest = scipy.ndimage.distance_transform_edt(off, return_distances=False, return_indices=True)
    return values[tuple(nearest)]
