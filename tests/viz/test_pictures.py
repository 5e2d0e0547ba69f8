"""Tests of fem_chemotaxis.viz: gathering onto rank 0 and PNG output (serial and MPI)."""

import dolfinx
import numpy as np
import pytest
import pyvista
from matplotlib import colormaps

from mpi4py import MPI

from fem_chemotaxis.viz import (
    SpeciesPictures,
    gather_grid,
    orthogonal_slices,
    save_small_copy,
    save_species_png,
    save_time_series_png,
)
from fem_chemotaxis.viz.pictures import value_axis_scale

comm = MPI.COMM_WORLD


def _shared_dir(tmp_path):
    """Rank 0's temporary directory, the same path on every rank."""
    return comm.bcast(tmp_path if comm.rank == 0 else None, root=0)


def _function(mesh, degree, name, expression):
    """A scalar Lagrange function of the given degree interpolating ``expression``."""
    f = dolfinx.fem.Function(dolfinx.fem.functionspace(mesh, ("Lagrange", degree)), name=name)
    f.interpolate(expression)
    return f


def _read_png(path):
    """Image size and an (n_pixels, channels) array of a PNG file."""
    image = pyvista.read(path)
    width, height, _ = image.dimensions
    return (width, height), np.asarray(image.active_scalars)


def _assert_picture(path, size):
    """The PNG exists, has ``size`` and shows a picture rather than a blank window."""
    (width, height), pixels = _read_png(path)
    assert (width, height) == tuple(size)
    assert len(np.unique(pixels, axis=0)) > 50
    assert pixels.astype(float).var() > 100.0


def test_gather_grid_2d_integral_and_cells():
    mesh = dolfinx.mesh.create_unit_square(comm, 9, 7)
    u = _function(mesh, 1, "u", lambda x: 1 + x[0] + 2 * x[1])
    s = _function(mesh, 2, "s", lambda x: x[0] ** 2 - x[0] * x[1])
    grid = gather_grid([u, s])
    if comm.rank != 0:
        assert grid is None
        return
    assert grid.n_cells == mesh.topology.index_map(2).size_global
    assert grid.n_points == mesh.topology.index_map(0).size_global
    integrals = grid.integrate_data()
    assert integrals["Area"][0] == pytest.approx(1.0, abs=1e-12)
    assert integrals.point_data["u"][0] == pytest.approx(2.5, abs=1e-10)
    x, y = grid.points[:, 0], grid.points[:, 1]
    np.testing.assert_allclose(grid.point_data["u"], 1 + x + 2 * y, atol=1e-12)
    np.testing.assert_allclose(grid.point_data["s"], x**2 - x * y, atol=1e-12)


def test_gather_grid_3d_integral_and_cells():
    mesh = dolfinx.mesh.create_box(comm, [[0, 0, 0], [2, 1, 1]], [6, 3, 4], dolfinx.mesh.CellType.tetrahedron)
    u = _function(mesh, 1, "u", lambda x: 1 + x[0] + 2 * x[1] + 3 * x[2])
    grid = gather_grid([u])
    if comm.rank != 0:
        assert grid is None
        return
    assert grid.n_cells == mesh.topology.index_map(3).size_global
    assert grid.n_points == mesh.topology.index_map(0).size_global
    integrals = grid.integrate_data()
    assert integrals["Volume"][0] == pytest.approx(2.0, abs=1e-12)
    # 2 * (1 + 1 + 1 + 1.5) over [0,2]x[0,1]x[0,1]
    assert integrals.point_data["u"][0] == pytest.approx(9.0, abs=1e-10)


def test_gather_grid_rejects_bad_input():
    mesh = dolfinx.mesh.create_unit_square(comm, 2, 2)
    u = _function(mesh, 1, "u", lambda x: x[0])
    vector = dolfinx.fem.Function(dolfinx.fem.functionspace(mesh, ("Lagrange", 1, (2,))))
    with pytest.raises(ValueError, match="distinct"):
        gather_grid([u, u])
    with pytest.raises(ValueError, match="scalar"):
        gather_grid([vector])
    with pytest.raises(ValueError):
        gather_grid([])


def test_save_species_png_2d(tmp_path):
    directory = _shared_dir(tmp_path)
    mesh = dolfinx.mesh.create_rectangle(comm, [[0, 0], [2, 1]], [24, 12])
    u = _function(mesh, 1, "u", lambda x: 1 + np.exp(-20 * ((x[0] - 1) ** 2 + (x[1] - 0.5) ** 2)))
    s = _function(mesh, 2, "s", lambda x: np.cos(np.pi * x[0]))
    save_species_png([u, s], directory / "fixed.png", time=1.25, window_size=(900, 400))
    save_species_png([u, s], directory / "default.png", title="two species")
    if comm.rank == 0:
        _assert_picture(directory / "fixed.png", (900, 400))
        size, _ = _read_png(directory / "default.png")
        assert size[0] == 2 * 600
        _assert_picture(directory / "default.png", size)
        assert sorted(p.name for p in directory.iterdir()) == ["default.png", "fixed.png"]


def test_species_pictures_drawn_by_the_ranks_in_turn_are_those_one_rank_draws(tmp_path):
    directory = _shared_dir(tmp_path)
    mesh = dolfinx.mesh.create_rectangle(comm, [[0, 0], [2, 1]], [24, 12])
    u = _function(mesh, 1, "u", lambda x: 1 + np.exp(-20 * ((x[0] - 1) ** 2 + (x[1] - 0.5) ** 2)))
    s = _function(mesh, 2, "s", lambda x: np.cos(np.pi * x[0]))
    pictures = {directory / "both.png": [u, s], directory / "u.png": [u], directory / "s.png": [s]}
    spread = SpeciesPictures(comm)
    for path, shown in pictures.items():
        spread.add(shown, path, time=0.5, title="spread")
    assert spread.full == (comm.size in (1, 3))
    spread.draw()
    for path, shown in pictures.items():  # each drawn alone, on rank 0
        save_species_png(shown, path.with_suffix(".alone.png"), time=0.5, title="spread")
    if comm.rank == 0:
        for path in pictures:
            size, pixels = _read_png(path)
            _assert_picture(path, size)
            alone_size, alone = _read_png(path.with_suffix(".alone.png"))
            assert size == alone_size and np.array_equal(pixels, alone), path.name


def test_save_species_png_draws_the_outline_in_red(tmp_path):
    """The outline of a smaller rectangle (e.g. a moving domain at t = 0) shows as red pixels
    inside the field, in every panel; without it the picture has none (viridis has no red)."""
    directory = _shared_dir(tmp_path)
    mesh = dolfinx.mesh.create_rectangle(comm, [[0, 0], [2, 1]], [24, 12])
    u = _function(mesh, 1, "u", lambda x: x[0])
    s = _function(mesh, 1, "s", lambda x: x[1])
    outline = pyvista.Box((0.5, 1.5, 0.25, 0.75, 0, 0)).extract_feature_edges() if comm.rank == 0 else None
    save_species_png([u, s], directory / "outlined.png", window_size=(1200, 500), outline=outline)
    save_species_png([u, s], directory / "plain.png", window_size=(1200, 500))
    if comm.rank == 0:
        (width, height), pixels = _read_png(directory / "outlined.png")
        red = (pixels[:, 0] > 200) & (pixels[:, 1] < 80) & (pixels[:, 2] < 80)
        columns = np.flatnonzero(red) % width
        assert (columns < width / 2).sum() > 200 and (columns >= width / 2).sum() > 200
        _, plain = _read_png(directory / "plain.png")
        assert not ((plain[:, 0] > 200) & (plain[:, 1] < 80) & (plain[:, 2] < 80)).any()


def test_save_species_png_3d(tmp_path):
    directory = _shared_dir(tmp_path)
    mesh = dolfinx.mesh.create_unit_cube(comm, 6, 6, 6)
    u = _function(mesh, 2, "u", lambda x: x[0] * x[1] + x[2] ** 2)
    save_species_png([u], directory / "cube.png", time=0.5, window_size=(600, 640))
    if comm.rank == 0:
        _assert_picture(directory / "cube.png", (600, 640))


def _linear_box_field():
    """u = 1 + x + 2y + 3z (exact in P1) on the box [0, 2] x [0, 1] x [0, 1]."""
    mesh = dolfinx.mesh.create_box(comm, [[0, 0, 0], [2, 1, 1]], [8, 4, 4], dolfinx.mesh.CellType.tetrahedron)
    return _function(mesh, 1, "u", lambda x: 1 + x[0] + 2 * x[1] + 3 * x[2])


def test_orthogonal_slices_carry_the_field_on_the_centre_planes():
    grid = gather_grid([_linear_box_field()])
    if comm.rank != 0:
        return
    slices = orthogonal_slices(grid)
    x, y, z = slices.points.T
    on_plane = np.isclose(x, 1.0) | np.isclose(y, 0.5) | np.isclose(z, 0.5)
    assert on_plane.all()
    for plane in (np.isclose(x, 1.0), np.isclose(y, 0.5), np.isclose(z, 0.5)):
        assert plane.sum() > 20
    np.testing.assert_allclose(slices.point_data["u"], 1 + x + 2 * y + 3 * z, atol=1e-12)
    # planes x = 1 (1 x 1), y = 0.5 (2 x 1), z = 0.5 (2 x 1)
    assert slices.integrate_data()["Area"][0] == pytest.approx(5.0, abs=1e-12)


def test_save_species_png_3d_slices_show_the_colour_range(tmp_path):
    """Each panel of a slices picture of a linear field shows its values in unshaded colours.

    u = 1 + x + 2y + 3z spans [1, 8] on the box (the colour bar). Seen from (1, 1, 1), the
    unhidden parts of the centre slices reach from about u = 3 to u = 7 (x = 2, y = 0.5,
    z = 1), i.e. 29 % to 86 % of the bar (measured: 29.0 % and 85.1 %); v = 1 - u must show
    the mirror image. The field band (above the scalar bar) of each panel must show exact
    colour-map colours (the slices are not shaded).
    """
    directory = _shared_dir(tmp_path)
    u = _linear_box_field()
    v = _function(u.function_space.mesh, 1, "v", lambda x: -(x[0] + 2 * x[1] + 3 * x[2]))
    save_species_png([u, v], directory / "slices.png", time=2.0, view="slices", window_size=(1200, 600))
    with pytest.raises(ValueError, match="'cut'.*clip, slices, surface"):
        save_species_png([u], directory / "bad.png", view="cut")
    if comm.rank != 0:
        return
    _assert_picture(directory / "slices.png", (1200, 600))
    (width, height), pixels = _read_png(directory / "slices.png")
    rows = pixels[:, :3].reshape(height, width, 3).astype(float)[::-1]  # VTK images start at the bottom
    field_band = rows[48 : height - 110]
    lut = 255 * colormaps["viridis"](np.linspace(0, 1, 256))[:, :3]
    ranges = []
    for panel in (field_band[:, :600], field_band[:, 600:]):
        colours = np.unique(panel.reshape(-1, 3), axis=0)
        distance = np.abs(colours[:, None, :] - lut[None, :, :]).max(axis=2)
        shown = np.argmin(distance, axis=1)[distance.min(axis=1) < 2] / 255
        assert len(shown) > 50
        ranges.append((shown.min(), shown.max()))
    (u_low, u_high), (v_low, v_high) = ranges
    assert u_low < 0.35 and u_high > 0.8, ranges
    assert v_low == pytest.approx(1 - u_high, abs=2 / 255) and v_high == pytest.approx(1 - u_low, abs=2 / 255)
    assert not (directory / "bad.png").exists()


def test_save_small_copy_is_narrower_and_looks_the_same(tmp_path):
    """The web copy of a field picture is at most max_width wide and the same picture (mean
    colour difference below 2 of 255); above max_bytes it gets a palette, about half the bytes
    (measured 40-55 %, asserted below 60 %)."""
    directory = _shared_dir(tmp_path)
    mesh = dolfinx.mesh.create_rectangle(comm, [[0, 0], [2, 1]], [48, 24])
    u = _function(mesh, 1, "u", lambda x: np.exp(-4 * ((x[0] - 1) ** 2 + (x[1] - 0.5) ** 2)) + 0.3 * x[1])
    s = _function(mesh, 1, "s", lambda x: np.sin(3 * x[0]) * x[1])
    save_species_png([u, s], directory / "full.png", time=1.0, title="copy")  # 1200 pixels wide
    if comm.rank != 0:
        return
    from PIL import Image

    save_small_copy(directory / "full.png", directory / "rgb.png", max_width=900)
    save_small_copy(directory / "full.png", directory / "palette.png", max_width=900, max_bytes=10_000)
    with Image.open(directory / "full.png") as full:
        scaled = np.asarray(
            full.convert("RGB").resize((900, round(full.height * 900 / full.width)), Image.Resampling.LANCZOS),
            dtype=float,
        )
    for name, mode in (("rgb.png", "RGB"), ("palette.png", "P")):
        with Image.open(directory / name) as small:
            assert small.mode == mode and small.size == (scaled.shape[1], scaled.shape[0])
            difference = np.abs(np.asarray(small.convert("RGB"), dtype=float) - scaled).mean()
        assert difference < 2.0, (name, difference)
    assert (directory / "palette.png").stat().st_size < 0.6 * (directory / "rgb.png").stat().st_size


def test_save_time_series_png(tmp_path):
    directory = _shared_dir(tmp_path)
    times = np.linspace(0.0, 2.0, 21)
    series = {"mass u": 1 + 0.1 * np.sin(times), "mass s": np.exp(-times)}
    save_time_series_png(times, series, directory / "series.png", "mass")
    if comm.rank == 0:
        _assert_picture(directory / "series.png", (800, 500))
        with pytest.raises(ValueError, match="values"):
            save_time_series_png(times[:-1], series, directory / "bad.png", "mass")
        assert [p.name for p in directory.iterdir()] == ["series.png"]


def test_values_spanning_decades_get_a_logarithmic_axis(tmp_path):
    """A maximum collapsing from 1 to 2e5 next to one from 1 to 5: more than three decades, so
    the axis is logarithmic; 1 to 5 alone, a series through zero or one with a non-finite value
    stay linear."""
    directory = _shared_dir(tmp_path)
    times = np.linspace(0.0, 1.9, 20)
    collapse = {"u": 1.0 + 2e5 * (times / 1.9) ** 12, "s": 1.0 + 4.0 * times / 1.9}
    assert value_axis_scale(collapse) == "log"
    assert value_axis_scale({"s": collapse["s"]}) == "linear"
    assert value_axis_scale({"u": collapse["u"], "min": collapse["u"] - 1.0}) == "linear"
    assert value_axis_scale({"u": [*collapse["u"][:-1], np.inf]}) == "linear"
    assert value_axis_scale({}) == "linear"
    save_time_series_png(times, collapse, directory / "collapse.png", "maximum over the domain")
    if comm.rank == 0:
        _assert_picture(directory / "collapse.png", (800, 500))


def test_shared_range_puts_both_panels_on_one_colour_scale(tmp_path):
    """u = 1 and v = 2 everywhere: on one scale [1, 2] u takes the colour map's first colour
    and v its last; each on its own (widened) range, both show its middle colour."""
    directory = _shared_dir(tmp_path)
    mesh = dolfinx.mesh.create_rectangle(comm, [[0, 0], [2, 1]], [8, 4])
    u = _function(mesh, 1, "u", lambda x: 1.0 + 0 * x[0])
    v = _function(mesh, 1, "v", lambda x: 2.0 + 0 * x[0])
    save_species_png([u, v], directory / "shared.png", window_size=(1200, 500), shared_range=True)
    save_species_png([u, v], directory / "own.png", window_size=(1200, 500))
    if comm.rank == 0:
        viridis = colormaps["viridis"]
        first, middle, last = (np.array(viridis(t)[:3]) * 255 for t in (0.0, 0.5, 1.0))
        for name, (left, right) in (("shared.png", (first, last)), ("own.png", (middle, middle))):
            (width, height), pixels = _read_png(directory / name)
            image = pixels[:, :3].astype(float).reshape(height, width, 3)
            row = height // 2  # through the middle of the field (the scalar bar is at the bottom)
            for column, expected in ((width // 4, left), (3 * width // 4, right)):
                assert np.abs(image[row, column] - expected).max() < 12, (name, column, image[row, column], expected)
