"""Tests of the geometry generators tumour-stroma, vessel-block and microfluidic-chamber,
order-2 (quadratic) .msh files, and the ``fem-chemotaxis mesh`` command.

Measures are compared with closed forms. Curved boundaries are meshed by polygons (2-D) or
polyhedra (3-D) whose nodes lie on the exact curve or surface, so lengths and areas of
curved walls fall short of the exact ones by about (h/rho)^2/24 per unit (h the wall mesh
size, size/3, rho the radius of curvature), and the enclosed areas and volumes by a
similar relative amount; flat sides are exact to rounding. Every test but the CLI test runs
serially and under ``mpiexec -n 2``: integrals are summed over the ranks and gmsh only runs
on rank 0.
"""

from __future__ import annotations

import math
from pathlib import Path

import gmsh
import numpy as np
import pytest
import ufl
from dolfinx.fem import assemble_scalar, form
from dolfinx.mesh import entities_to_geometry

from mpi4py import MPI

from fem_chemotaxis.config.settings import TimeSettings
from fem_chemotaxis.library import builtin_model
from fem_chemotaxis.mesh import GENERATORS, TaggedMesh, generate, read_gmsh, write_msh
from fem_chemotaxis.model.boundary import BoundaryCondition
from fem_chemotaxis.simulation import Simulation
from tests.conftest import run_cli

COMM = MPI.COMM_WORLD

# tumour-stroma in 2-D: the default 2 x 1 stroma and ellipse (0.45, 0.3); wall size 0.05/3
# against the smallest radius of curvature b^2/a = 0.2: measured errors 1e-4 (length) and
# 3.7e-4 (area); with 5 lobes of roughness 0.15, 6.1e-4 and 4.1e-4.
TUMOUR_SIZE = 0.05
TUMOUR_RADII = (0.45, 0.3)
LOBED = {"radii": (0.4, 0.3), "roughness": 0.15, "lobes": 5}
RTOL_2D = 1e-3
# tumour-stroma in 3-D: a ball of radius 0.3 in the unit cube at size 0.15 (wall size 0.05):
# measured errors 1.1e-2 (volume), 6e-3 (area).
BALL_RADIUS, BALL_SIZE = 0.3, 0.15
RTOL_BALL = 2e-2
# vessel-block with its defaults at size 0.1 (wall size 0.033 against branch radius 0.08):
# measured errors 8.1e-4 (volume), 4.5e-3 (wall), 2.9e-4 (outer faces with the openings).
VESSEL_SIZE = 0.1
RTOL_VESSEL = {"tissue": 2e-3, "vessel_wall": 1e-2, "outer": 1e-3}
# microfluidic-chamber with its defaults at size 0.05: measured 2.8e-4 (area), 5.5e-4
# (obstacle boundary).
CHAMBER_SIZE = 0.05
# An order-2 mesh puts the edge midpoints on the curve: the error drops to (h/rho)^4 (2.4e-7
# measured at size 0.1).
RTOL_QUADRATIC = 1e-5
# Sides of rectangles and boxes are meshed exactly.
ATOL_FLAT = 1e-12


def integral(measure: ufl.Measure) -> float:
    """The integral of 1 over `measure`, summed over the ranks."""
    return COMM.allreduce(assemble_scalar(form(1.0 * measure)), op=MPI.SUM)


def measures(tm: TaggedMesh) -> dict[str, float]:
    """The size (area, length or volume) of every physical group of `tm`.

    Facet groups inside the domain (the tumour interface) are integrated with dS.
    """
    tdim = tm.mesh.topology.dim
    dx = ufl.Measure("dx", domain=tm.mesh, subdomain_data=tm.cell_tags)
    ds = ufl.Measure("ds", domain=tm.mesh, subdomain_data=tm.facet_tags)
    dS = ufl.Measure("dS", domain=tm.mesh, subdomain_data=tm.facet_tags)
    return {
        name: integral(dx(tag) if dim == tdim else dS(tag) if name == "interface" else ds(tag))
        for name, (dim, tag) in tm.physical_groups.items()
    }


def num_owned(tm: TaggedMesh, dim: int, entities: np.ndarray) -> int:
    """The global number of `entities` of dimension `dim` (each counted by its owner)."""
    owned = tm.mesh.topology.index_map(dim).size_local
    return COMM.allreduce(int(np.count_nonzero(entities < owned)), op=MPI.SUM)


def lobed_curve_length(a: float, b: float, roughness: float, lobes: int) -> float:
    """Length of (a rho cos t, b rho sin t), rho = 1 + roughness cos(lobes t), by the
    trapezoidal rule (exponentially accurate for this periodic integrand)."""
    t = np.linspace(0.0, 2 * np.pi, 20000, endpoint=False)
    rho, drho = 1 + roughness * np.cos(lobes * t), -roughness * lobes * np.sin(lobes * t)
    dx = a * (drho * np.cos(t) - rho * np.sin(t))
    dy = b * (drho * np.sin(t) + rho * np.cos(t))
    speed = np.hypot(dx, dy)
    return float(2 * np.pi * speed.mean())


def vessel_block_exact(
    length: float = 1.0,
    width: float = 1.0,
    height: float = 1.0,
    radius: float = 0.1,
    branch_radius: float = 0.08,
    junction: float = 0.5,
    junction_radius: float = 0.14,
    branch_angle: float = 70.0,
) -> dict[str, float]:
    """Tissue volume, vessel-wall area and outer area of vessel-block (meshes/README.md).

    The vessel is a ball of radius R at the junction and three arms (radius r_i, axis length
    l_i from the junction to the face); the parts of the arms outside the ball are disjoint
    when asin(r_i/R) + asin(r_j/R) <= the angle between arms i and j (asserted).
    """
    half = math.radians(branch_angle) / 2
    big = junction_radius
    branch = (length - junction) / math.cos(half)
    # (radius, axis length, direction in the plane of the branches)
    arms = [(radius, junction, math.pi), (branch_radius, branch, half), (branch_radius, branch, -half)]
    for i, (ri, _, ai) in enumerate(arms):
        for rj, _, aj in arms[:i]:
            between = min(abs(ai - aj), 2 * math.pi - abs(ai - aj))
            assert math.asin(ri / big) + math.asin(rj / big) <= between
    vessel, wall = 4 / 3 * math.pi * big**3, 4 * math.pi * big**2
    for r, l, _ in arms:
        inside = math.sqrt(big**2 - r**2)  # axis length of the arm inside the ball
        vessel += math.pi * r**2 * l - 2 * math.pi / 3 * (big**3 - inside**3)
        wall += 2 * math.pi * r * (l - inside) - 2 * math.pi * big * (big - inside)
    box = 2 * (length * width + length * height + width * height)
    outer = box - math.pi * radius**2 - 2 * math.pi * branch_radius**2 / math.cos(half)
    return {"tissue": length * width * height - vessel, "vessel_wall": wall, "outer": outer}


@pytest.fixture(scope="module")
def tumour() -> TaggedMesh:
    """The default 2-D tumour-stroma mesh at TUMOUR_SIZE."""
    return generate("tumour-stroma", COMM, size=TUMOUR_SIZE)


@pytest.fixture(scope="module")
def vessel() -> TaggedMesh:
    """The default vessel-block mesh at VESSEL_SIZE."""
    return generate("vessel-block", COMM, size=VESSEL_SIZE)


@pytest.fixture(scope="module")
def chamber() -> TaggedMesh:
    """The default microfluidic chamber at CHAMBER_SIZE."""
    return generate("microfluidic-chamber", COMM, size=CHAMBER_SIZE)


# --- physical groups as documented in meshes/README.md ----------------------------------


@pytest.mark.parametrize(
    ("fixture", "generator", "groups", "cell"),
    [
        (
            "tumour",
            "tumour-stroma",
            {"tumour": (2, 1), "stroma": (2, 2), "interface": (1, 1), "outer": (1, 2)},
            "triangle",
        ),
        ("vessel", "vessel-block", {"tissue": (3, 1), "outer": (2, 1), "vessel_wall": (2, 2)}, "tetrahedron"),
        (
            "chamber",
            "microfluidic-chamber",
            {"chamber": (2, 1), "inlet": (1, 1), "outlet": (1, 2), "walls": (1, 3), "obstacles": (1, 4)},
            "triangle",
        ),
    ],
)
def test_groups_are_as_documented(request, fixture, generator, groups, cell):
    tm = request.getfixturevalue(fixture)
    assert generator in GENERATORS
    assert tm.physical_groups == groups
    assert tm.mesh.topology.cell_name() == cell
    assert tm.source == f"mesh generator '{generator}'"


# --- tumour-stroma ----------------------------------------------------------------------


def test_tumour_stroma_partition(tumour):
    """Every cell is in exactly one of tumour and stroma; together they fill the rectangle."""
    tdim = 2
    cells = tumour.mesh.topology.index_map(tdim)
    tagged = [tumour.cell_tags.find(tumour.tag(name, tdim)) for name in ("tumour", "stroma")]
    assert not np.intersect1d(*tagged).size
    assert num_owned(tumour, tdim, np.concatenate(tagged)) == cells.size_global
    m = measures(tumour)
    assert abs(m["tumour"] + m["stroma"] - 2.0) < ATOL_FLAT
    assert abs(m["outer"] - 6.0) < ATOL_FLAT


def test_tumour_stroma_ellipse_measures(tumour):
    a, b = TUMOUR_RADII
    m = measures(tumour)
    area, perimeter = math.pi * a * b, lobed_curve_length(a, b, 0.0, 1)
    # Inscribed polygon: both fall short of the ellipse's.
    assert 0 < area - m["tumour"] < RTOL_2D * area
    assert 0 < perimeter - m["interface"] < RTOL_2D * perimeter
    # Refined to size/3 along the interface (each facet a chord of the ellipse).
    facets = num_owned(tumour, 1, tumour.facet_tags.find(tumour.tag("interface", 1)))
    assert abs(facets - perimeter / (TUMOUR_SIZE / 3)) < 0.05 * facets


def test_tumour_stroma_lobed_measures():
    tm = generate("tumour-stroma", COMM, size=TUMOUR_SIZE, **LOBED)
    (a, b), eps, k = LOBED["radii"], LOBED["roughness"], LOBED["lobes"]
    m = measures(tm)
    area, perimeter = math.pi * a * b * (1 + eps**2 / 2), lobed_curve_length(a, b, eps, k)
    assert abs(m["tumour"] - area) < RTOL_2D * area
    assert 0 < perimeter - m["interface"] < RTOL_2D * perimeter
    assert abs(m["tumour"] + m["stroma"] - 2.0) < ATOL_FLAT


def test_tumour_stroma_tall_ellipse_is_upright():
    """radii = (a, b) with a < b: the ellipse is a wide along x and b high along y."""
    tm = generate("tumour-stroma", COMM, size=0.1, radii=(0.25, 0.4))
    cells = tm.cell_tags.find(tm.tag("tumour", 2))
    x = tm.mesh.geometry.x[entities_to_geometry(tm.mesh, 2, cells).ravel()]
    low, high = np.empty(3), np.empty(3)
    COMM.Allreduce(x.min(axis=0, initial=np.inf), low, op=MPI.MIN)
    COMM.Allreduce(x.max(axis=0, initial=-np.inf), high, op=MPI.MAX)
    # The nodes nearest the tips lie within (h/2)^2 * curvature / 2 < 1e-3 of them.
    assert np.allclose(low[:2], [0.75, 0.1], atol=2e-3)
    assert np.allclose(high[:2], [1.25, 0.9], atol=2e-3)


def test_tumour_stroma_3d_ball():
    tm = generate("tumour-stroma", COMM, size=BALL_SIZE, dim=3, length=1.0, radii=(BALL_RADIUS,) * 3)
    assert tm.mesh.topology.cell_name() == "tetrahedron"
    assert tm.physical_groups == {"tumour": (3, 1), "stroma": (3, 2), "interface": (2, 1), "outer": (2, 2)}
    m = measures(tm)
    volume, area = 4 / 3 * math.pi * BALL_RADIUS**3, 4 * math.pi * BALL_RADIUS**2
    assert 0 < volume - m["tumour"] < RTOL_BALL * volume
    assert 0 < area - m["interface"] < RTOL_BALL * area
    assert abs(m["tumour"] + m["stroma"] - 1.0) < ATOL_FLAT
    assert abs(m["outer"] - 6.0) < 10 * ATOL_FLAT


# --- vessel-block and microfluidic-chamber ----------------------------------------------


def test_vessel_block_measures(vessel):
    m, exact = measures(vessel), vessel_block_exact()
    for name, rtol in RTOL_VESSEL.items():
        assert abs(m[name] - exact[name]) < rtol * exact[name], name
    # Polyhedral wall inscribed in the vessel: a smaller hole, a smaller wall.
    assert m["tissue"] > exact["tissue"] and m["vessel_wall"] < exact["vessel_wall"]


def test_microfluidic_chamber_measures(chamber):
    m = measures(chamber)
    circles = ((0.8, 0.3, 0.12), (0.8, 0.7, 0.12), (1.3, 0.5, 0.12), (1.8, 0.3, 0.12), (1.8, 0.7, 0.12))
    rectangles = ((2.3, 0.15, 0.2, 0.25), (2.3, 0.6, 0.2, 0.25))
    area = 3.0 - sum(math.pi * r**2 for *_, r in circles) - sum(w * h for *_, w, h in rectangles)
    boundary = sum(2 * math.pi * r for *_, r in circles) + sum(2 * (w + h) for *_, w, h in rectangles)
    assert abs(m["chamber"] - area) < RTOL_2D * area
    assert 0 < boundary - m["obstacles"] < RTOL_2D * boundary
    assert abs(m["inlet"] - 0.4) < ATOL_FLAT and abs(m["outlet"] - 0.4) < ATOL_FLAT
    assert abs(m["walls"] - (2 * 3.0 + 2 * (1.0 - 0.4))) < ATOL_FLAT


def test_microfluidic_chamber_open_ends_without_obstacles():
    tm = generate("microfluidic-chamber", COMM, size=0.25, port_width=1.0, circles=[], rectangles=[])
    assert tm.physical_groups == {"chamber": (2, 1), "inlet": (1, 1), "outlet": (1, 2), "walls": (1, 3)}
    m = measures(tm)
    assert abs(m["chamber"] - 3.0) < ATOL_FLAT
    assert abs(m["inlet"] - 1.0) < ATOL_FLAT and abs(m["walls"] - 6.0) < ATOL_FLAT


@pytest.mark.parametrize(
    ("name", "params", "message"),
    [
        ("tumour-stroma", {"centre": [1.8, 0.5]}, "tumour .* does not lie strictly inside"),
        ("tumour-stroma", {"dim": 3, "roughness": 0.1}, "roughness is only available in 2-D"),
        ("tumour-stroma", {"radii": [0.3, 0.2, 0.1]}, "radii must be 2 numbers"),
        ("tumour-stroma", {"order": 3}, "order must be one of 1, 2, got 3"),
        ("vessel-block", {"branch_angle": 120.0}, "branches leave the block"),
        ("vessel-block", {"junction_radius": 0.09}, "junction_radius .* must be at least"),
        ("microfluidic-chamber", {"circles": [[2.35, 0.3, 0.1]]}, "circle 1 and rectangle 1 overlap or touch"),
        (
            "microfluidic-chamber",
            {"rectangles": [[2.9, 0.4, 0.2, 0.2]]},
            r"rectangle 1 \(2.9, 0.4, 0.2, 0.2\) does not lie strictly inside the 3 x 1 chamber",
        ),
        ("microfluidic-chamber", {"port_width": 1.5}, r"port_width \(1.5\) exceeds the height"),
    ],
)
def test_invalid_parameters_fail_on_every_rank(name, params, message):
    with pytest.raises(ValueError, match=message):
        generate(name, COMM, size=0.5, **params)


# --- a model runs on every generated mesh -------------------------------------------------


@pytest.mark.parametrize(
    ("fixture", "options"),
    [
        ("tumour", {"subdomain_parameters": {"tumour": {"d": 0.05, "chi": 2.0}}}),
        (
            "vessel",
            {
                "boundary_conditions": [
                    BoundaryCondition.from_dict(
                        {"on": "vessel_wall", "species": "s", "type": "flux", "value": "0.5"}, "bc"
                    )
                ]
            },
        ),
        (
            "chamber",
            {
                "boundary_conditions": [
                    BoundaryCondition.from_dict(
                        {"on": "inlet", "species": "s", "type": "dirichlet", "value": "2"}, "bc"
                    )
                ]
            },
        ),
    ],
)
def test_keller_segel_conserves_cells(request, comm, fixture, options):
    """A few Keller-Segel steps: the cells move, their mass stays to 1e-10 (also with
    subdomain parameters and with conditions on the signal)."""
    tm = request.getfixturevalue(fixture)
    sim = Simulation(
        builtin_model("keller-segel"),
        tm,
        {"u": "1 + 0.2*cos(3*x)*cos(4*y)", "s": "1 + 0.1*sin(2*x + y)"},
        TimeSettings(dt=0.02),
        **options,
    )
    before = sim.statistics()
    sim.advance_to(0.06)
    after = sim.statistics()
    assert len(sim.history) == 3
    assert abs(after["u"]["mass"] - before["u"]["mass"]) < 1e-10 * before["u"]["mass"]
    assert after["u"]["max"] != pytest.approx(before["u"]["max"], rel=1e-4)


# --- .msh files: quadratic cells, unsupported cells -------------------------------------


def test_quadratic_msh_round_trip(shared_tmp_path):
    path = write_msh("tumour-stroma", shared_tmp_path / "tumour_p2.msh", size=0.1, order=2)
    tm = read_gmsh(path, COMM)
    assert tm.mesh.geometry.cmaps[0].degree == 2
    assert tm.physical_groups == {"tumour": (2, 1), "stroma": (2, 2), "interface": (1, 1), "outer": (1, 2)}
    a, b = TUMOUR_RADII
    m = measures(tm)
    area, perimeter = math.pi * a * b, lobed_curve_length(a, b, 0.0, 1)
    assert abs(m["tumour"] - area) < RTOL_QUADRATIC * area
    assert abs(m["interface"] - perimeter) < RTOL_QUADRATIC * perimeter
    assert abs(m["tumour"] + m["stroma"] - 2.0) < ATOL_FLAT
    linear = measures(generate("tumour-stroma", COMM, size=0.1))
    assert abs(linear["tumour"] - area) > 100 * abs(m["tumour"] - area)


def _write_with_gmsh(path: Path, build) -> None:
    """On rank 0, run `build()` in a fresh gmsh session and save the mesh to `path`."""
    if COMM.rank == 0:
        gmsh.initialize()
        gmsh.option.setNumber("General.Terminal", 0)
        gmsh.option.setNumber("Mesh.MeshSizeMax", 0.5)
        try:
            build()
            gmsh.write(str(path))
        finally:
            gmsh.finalize()
    COMM.barrier()


def _prisms() -> None:
    """A unit cube of prisms: an extruded, triangulated square."""
    square = gmsh.model.occ.addRectangle(0, 0, 0, 1, 1)
    gmsh.model.occ.extrude([(2, square)], 0, 0, 1, numElements=[2], recombine=True)
    gmsh.model.occ.synchronize()
    gmsh.model.addPhysicalGroup(3, [1], name="block")
    gmsh.model.mesh.generate(3)


def _serendipity_quadrilaterals() -> None:
    """A unit square of 8-node (incomplete second-order) quadrilaterals."""
    square = gmsh.model.occ.addRectangle(0, 0, 0, 1, 1)
    gmsh.model.occ.synchronize()
    gmsh.model.mesh.setRecombine(2, square)
    gmsh.model.addPhysicalGroup(2, [square], name="square")
    gmsh.option.setNumber("Mesh.SecondOrderIncomplete", 1)
    gmsh.model.mesh.generate(2)
    gmsh.model.mesh.setOrder(2)


@pytest.mark.parametrize(("build", "cells"), [(_prisms, "Prism 6"), (_serendipity_quadrilaterals, "Quadrilateral 8")])
def test_read_rejects_unsupported_cells(shared_tmp_path, build, cells):
    path = shared_tmp_path / f"{build.__name__.strip('_')}.msh"
    _write_with_gmsh(path, build)
    with pytest.raises(
        ValueError,
        match=rf"{path.name} has unsupported cells \({cells}\); "
        "supported: hexahedron, interval",
    ):
        read_gmsh(path, COMM)


# --- the mesh command ---------------------------------------------------------------------


@pytest.mark.serial
def test_mesh_command(tmp_path):
    listing = run_cli("mesh", "--list")
    assert listing.returncode == 0, listing.stderr
    for name in GENERATORS:
        assert f"\n{name} " in f"\n{listing.stdout}"
    assert "    roughness = 0.0" in listing.stdout

    path = tmp_path / "chamber.msh"
    done = run_cli(
        "mesh",
        "microfluidic-chamber",
        "--size",
        "0.2",
        "--param",
        "port_width=1.0",
        "--param",
        "circles=[[1.5, 0.5, 0.2]]",
        "--param",
        "rectangles=[]",
        "--output",
        str(path),
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"wrote {path}: ") and "chamber (2-D)" in done.stdout
    tm = read_gmsh(path, MPI.COMM_SELF)
    assert set(tm.physical_groups) == {"chamber", "inlet", "outlet", "walls", "obstacles"}

    for args, message in [
        (("tumour-stroma", "--param", "roughnes=0.1"), "has no parameter roughnes; its parameters: size, order, dim"),
        (("tumour-stroma", "--param", "radii=[0.4,"), "is not a TOML value"),
        (("vessel-blok",), "unknown mesh generator 'vessel-blok'; available: tissue-section, tumour-stroma"),
        ((), "give a generator NAME"),
    ]:
        failed = run_cli("mesh", *args, "--output", str(tmp_path / "bad.msh"))
        assert failed.returncode == 2 and message in failed.stderr, failed.stderr
    assert not (tmp_path / "bad.msh").exists()
