"""Tests of fem_chemotaxis.mesh: built-in meshes, gmsh generators and .msh files.

Every test runs serially and under ``mpiexec -n 2 python -m pytest``: integrals are summed
over the ranks, gmsh is only called on rank 0, and temporary files use rank 0's folder.
"""

from __future__ import annotations

import math
from pathlib import Path

import gmsh
import numpy as np
import pytest
import ufl
from dolfinx.fem import assemble_scalar, form

from mpi4py import MPI

from fem_chemotaxis.mesh import (
    GENERATORS,
    TaggedMesh,
    create_builtin,
    generate,
    read_gmsh,
    write_msh,
)

COMM = MPI.COMM_WORLD
VESSELS = ((0.5, 0.5, 0.12), (1.3, 0.35, 0.1), (1.45, 0.72, 0.08))
LENGTH, HEIGHT = 2.0, 1.0
# Wall mesh size h/3 = 0.01: an inscribed n-gon misses the circle's length by about
# (h/3)^2 / (24 r^2) <= 6.6e-4 and each hole's area by pi (h/3)^2 / 6 (8.5e-5 of the section).
SIZE = 0.03
RTOL_CIRCLE = 1e-3
# A wall is a regular n-gon inscribed in its circle, up to gmsh's node placement.
RTOL_POLYGON = 1e-8


def integral(tm: TaggedMesh, measure: ufl.Measure) -> float:
    """The integral of 1 over `measure`, summed over the ranks."""
    return COMM.allreduce(assemble_scalar(form(1.0 * measure)), op=MPI.SUM)


def num_tagged_facets(tm: TaggedMesh, tag: int) -> int:
    """The global number of facets carrying `tag` (each counted by its owner)."""
    facets = tm.facet_tags.find(tag)
    owned = tm.mesh.topology.index_map(tm.mesh.topology.dim - 1).size_local
    return COMM.allreduce(int(np.count_nonzero(facets < owned)), op=MPI.SUM)


def ds_of(tm: TaggedMesh) -> ufl.Measure:
    """The exterior-facet measure of `tm` with its facet tags."""
    return ufl.Measure("ds", domain=tm.mesh, subdomain_data=tm.facet_tags)


@pytest.fixture(scope="module")
def section() -> TaggedMesh:
    """The tissue section with the default vessels at mesh size SIZE."""
    return generate("tissue-section", COMM, size=SIZE, length=LENGTH, height=HEIGHT, vessels=VESSELS)


@pytest.fixture
def shared_tmp(tmp_path: Path) -> Path:
    """Rank 0's temporary folder, on every rank."""
    return COMM.bcast(tmp_path if COMM.rank == 0 else None, root=0)


# --- built-in meshes --------------------------------------------------------------------


def test_builtin_rectangle_sides():
    lx, ly = 2.0, 0.5
    tm = create_builtin(COMM, "rectangle", [lx, ly], [8, 4])
    assert tm.mesh.geometry.dim == 2 and tm.mesh.topology.cell_name() == "triangle"
    expected = {"left": ly, "right": ly, "bottom": lx, "top": lx}
    ds = ds_of(tm)
    for name, exact in expected.items():
        assert abs(integral(tm, ds(tm.tag(name, 1))) - exact) < 1e-12
    dx = ufl.Measure("dx", domain=tm.mesh, subdomain_data=tm.cell_tags)
    assert abs(integral(tm, dx(tm.tag("domain", 2))) - lx * ly) < 1e-12
    assert set(tm.physical_groups) == {*expected, "domain"}


def test_builtin_box_faces():
    lx, ly, lz = 1.0, 2.0, 3.0
    tm = create_builtin(COMM, "box", (lx, ly, lz), (2, 2, 2))
    assert tm.mesh.topology.cell_name() == "tetrahedron"
    expected = {"left": ly * lz, "right": ly * lz, "bottom": lx * lz, "top": lx * lz, "front": lx * ly, "back": lx * ly}
    ds = ds_of(tm)
    for name, exact in expected.items():
        assert abs(integral(tm, ds(tm.tag(name, 2))) - exact) < 1e-12 * exact
    assert abs(integral(tm, ufl.dx(domain=tm.mesh)) - lx * ly * lz) < 1e-12 * lx * ly * lz


@pytest.mark.parametrize(
    ("kind", "size", "cells", "bad"),
    [
        ("rectangle", [1, -2], [4, 4], "[1, -2]"),
        ("rectangle", [1, 2, 3], [4, 4], "[1, 2, 3]"),
        ("box", [1, 1, 1], [4, 0, 4], "[4, 0, 4]"),
        ("box", [1, 1, 1], [4, 2.5, 4], "[4, 2.5, 4]"),
        ("rectangle", [1, float("nan")], [4, 4], "nan"),
        ("disc", [1, 1], [4, 4], "'disc'"),
    ],
)
def test_builtin_rejects_bad_values(kind, size, cells, bad):
    with pytest.raises(ValueError, match="size|cells|kind") as info:
        create_builtin(COMM, kind, size, cells)
    assert bad in str(info.value)


# --- generated tissue section -----------------------------------------------------------


def test_tissue_section_groups(section):
    assert section.physical_groups == {
        "tissue": (2, 1), "outer": (1, 1), "vessel_1": (1, 2), "vessel_2": (1, 3),
        "vessel_3": (1, 4),
    }  # fmt: skip
    assert section.mesh.geometry.dim == 2 and section.mesh.topology.cell_name() == "triangle"
    assert "tissue-section" in GENERATORS


def test_tissue_section_area(section):
    area = integral(section, ufl.dx(domain=section.mesh))
    exact = LENGTH * HEIGHT - sum(math.pi * r**2 for *_, r in VESSELS)
    assert abs(area - exact) < RTOL_CIRCLE * exact
    # Holes bounded by the inscribed polygons whose sides are the wall facets.
    polygons = 0.0
    for i, (*_, r) in enumerate(VESSELS, start=1):
        n = num_tagged_facets(section, section.tag(f"vessel_{i}", 1))
        polygons += 0.5 * n * r**2 * math.sin(2 * math.pi / n)
    assert abs(area - (LENGTH * HEIGHT - polygons)) < RTOL_POLYGON * exact


def test_tissue_section_walls(section):
    ds = ds_of(section)
    assert abs(integral(section, ds(section.tag("outer", 1))) - 2 * (LENGTH + HEIGHT)) < 1e-12
    for i, (*_, r) in enumerate(VESSELS, start=1):
        tag = section.tag(f"vessel_{i}", 1)
        length = integral(section, ds(tag))
        assert abs(length - 2 * math.pi * r) < RTOL_CIRCLE * 2 * math.pi * r
        n = num_tagged_facets(section, tag)
        assert abs(length - 2 * n * r * math.sin(math.pi / n)) < RTOL_POLYGON * length
        # Refined to SIZE/3 at the wall.
        assert abs(n - 2 * math.pi * r / (SIZE / 3)) <= 0.05 * n


def test_tag_of_unknown_name_lists_available(section):
    with pytest.raises(ValueError) as info:
        section.tag("vesel_1", 1)
    message = str(info.value)
    assert "vesel_1" in message and "outer, vessel_1, vessel_2, vessel_3" in message


def test_generate_rejects_unknown_names():
    with pytest.raises(ValueError, match="'tissue-slice'.*available: tissue-section"):
        generate("tissue-slice", COMM)
    with pytest.raises(ValueError, match="no parameter radius.*size, order, length, height, vessels"):
        generate("tissue-section", COMM, radius=0.1)


@pytest.mark.parametrize(
    ("vessels", "message"),
    [
        (((0.5, 0.5, 0.12), (0.6, 0.5, 0.1)), "vessels 1 and 2 overlap"),
        (((1.95, 0.5, 0.1),), r"vessel 1 \(1.95, 0.5, 0.1\) does not lie inside"),
        (((0.5, 0.5, -0.1),), "radius of vessel 1 must be a positive number, got -0.1"),
    ],
)
def test_generate_rejects_bad_vessels_on_every_rank(vessels, message):
    with pytest.raises(ValueError, match=message):
        generate("tissue-section", COMM, size=0.2, vessels=vessels)


def test_generate_keeps_callers_gmsh_session():
    if COMM.rank == 0:
        gmsh.initialize()
        gmsh.model.add("caller")
        gmsh.option.setNumber("General.Terminal", 0)
        gmsh.option.setNumber("Mesh.MeshSizeFromPoints", 1)
    try:
        tm = generate("tissue-section", COMM, size=0.2)
        assert COMM.allreduce(tm.mesh.topology.index_map(2).size_local, op=MPI.SUM) > 0
        if COMM.rank == 0:
            assert gmsh.isInitialized()
            assert gmsh.model.getCurrent() == "caller"
            assert gmsh.option.getNumber("Mesh.MeshSizeFromPoints") == 1
    finally:
        if COMM.rank == 0:
            gmsh.finalize()


# --- .msh files -------------------------------------------------------------------------


def test_write_and_read_round_trip(section, shared_tmp):
    path = write_msh("tissue-section", shared_tmp / "section.msh", size=SIZE)
    if COMM.rank == 0:
        assert path.read_text().startswith("$MeshFormat\n4.1 0 8")
    tm = read_gmsh(path, COMM)
    assert tm.mesh.geometry.dim == 2
    assert tm.physical_groups == section.physical_groups
    assert tm.source == str(path)
    area, expected = (integral(m, ufl.dx(domain=m.mesh)) for m in (tm, section))
    assert abs(area - expected) < 1e-12 * expected
    for name in ("outer", "vessel_1", "vessel_2", "vessel_3"):
        length, expected = (integral(m, ds_of(m)(m.tag(name, 1))) for m in (tm, section))
        assert abs(length - expected) < 1e-12 * expected
    assert read_gmsh(path, COMM, gdim=3).mesh.geometry.dim == 3
    with pytest.raises(ValueError, match="gdim=1 does not fit mesh file .*section.msh"):
        read_gmsh(path, COMM, gdim=1)


def test_read_missing_file_lists_msh_files(shared_tmp):
    write_msh("tissue-section", shared_tmp / "tissue_section.msh", size=0.2)
    with pytest.raises(ValueError) as info:
        read_gmsh(shared_tmp / "tissue_sectoin.msh", COMM)
    message = str(info.value)
    assert "tissue_sectoin.msh does not exist" in message
    assert ".msh files in" in message and "tissue_section.msh" in message


def _write_raw_msh(path: Path, group: str | None, recombine_one: bool = False) -> None:
    """On rank 0, mesh two unit squares with gmsh and save them without further checks.

    Args:
        path: The .msh file to write.
        group: Name of the physical surface holding both squares ("" leaves it unnamed),
            or None for no physical group.
        recombine_one: Mesh the second square with quadrilaterals.
    """
    if COMM.rank == 0:
        gmsh.initialize()
        gmsh.option.setNumber("General.Terminal", 0)
        gmsh.option.setNumber("Mesh.MeshSizeMax", 0.5)
        squares = [gmsh.model.occ.addRectangle(x, 0, 0, 1, 1) for x in (0, 1)]
        gmsh.model.occ.fragment([(2, squares[0])], [(2, squares[1])])
        gmsh.model.occ.synchronize()
        if recombine_one:
            gmsh.model.mesh.setRecombine(2, squares[1])
        if group is not None:
            gmsh.model.addPhysicalGroup(2, squares, tag=7, name=group)
        gmsh.model.mesh.generate(2)
        gmsh.write(str(path))
        gmsh.finalize()
    COMM.barrier()


def test_read_rejects_file_without_physical_groups(shared_tmp):
    path = shared_tmp / "bare.msh"
    _write_raw_msh(path, group=None)
    with pytest.raises(ValueError, match="bare.msh has no physical groups"):
        read_gmsh(path, COMM)


def test_read_rejects_mixed_cells(shared_tmp):
    path = shared_tmp / "mixed.msh"
    _write_raw_msh(path, group="domain", recombine_one=True)
    with pytest.raises(ValueError, match="mixed.msh mixes cell types"):
        read_gmsh(path, COMM)


def test_read_names_unnamed_groups(shared_tmp):
    path = shared_tmp / "unnamed.msh"
    _write_raw_msh(path, group="")
    tm = read_gmsh(path, COMM)
    assert tm.physical_groups == {"unnamed_2_7": (2, 7)}
    assert abs(integral(tm, ufl.dx(domain=tm.mesh)) - 2.0) < 1e-12


def test_read_rejects_non_mesh_file(shared_tmp):
    path = shared_tmp / "notes.msh"
    if COMM.rank == 0:
        path.write_text("not a mesh\n")
    COMM.barrier()
    with pytest.raises(ValueError, match="gmsh cannot read mesh file .*notes.msh"):
        read_gmsh(path, COMM)
    with pytest.raises(ValueError, match="notes.txt is not a gmsh .msh file"):
        read_gmsh(path.with_suffix(".txt"), COMM)
