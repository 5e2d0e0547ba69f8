"""Parametric tissue geometries, meshed with gmsh (OCC kernel) on rank 0.

Each generator builds a gmsh model on rank 0 only and returns a
:class:`~fem_chemotaxis.mesh.tagged_mesh.TaggedMesh` distributed over the communicator.
`GENERATORS` maps generator names to these functions; `generate` calls one by name (as a
configuration file would) and `write_msh` saves its mesh as a .msh file instead. gmsh is
imported when a mesh is built, so that `GENERATORS` can be read without it.

Generators:
    tissue-section: a rectangular 2-D tissue section with circular vessel cross-sections
        as holes (see `tissue_section`).
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from mpi4py import MPI

from fem_chemotaxis.mesh.gmsh_file import gmsh_model, model_to_tagged_mesh, on_root
from fem_chemotaxis.mesh.tagged_mesh import TaggedMesh

__all__ = ["GENERATORS", "generate", "tissue_section", "write_msh"]

#: A vessel cross-section: centre x, centre y, radius.
Vessel = tuple[float, float, float]

# Mesh sizes come from the background fields only.
_MESHING_OPTIONS = {
    "Mesh.MeshSizeFromPoints": 0,
    "Mesh.MeshSizeFromCurvature": 0,
    "Mesh.MeshSizeExtendFromBoundary": 0,
}
_MSH_OPTIONS = {"Mesh.MshFileVersion": 4.1, "Mesh.SaveAll": 0, "Mesh.Binary": 0}


def _positive(name: str, value: Any) -> float:
    """`value` as a float, or ValueError unless it is a positive finite number."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"tissue-section: {name} must be a positive number, got {value!r}")
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"tissue-section: {name} must be a positive number, got {value!r}")
    return float(value)


def _check_vessels(vessels: Sequence[Vessel], length: float, height: float) -> list[Vessel]:
    """The vessels as float triples; ValueError unless each lies inside and none overlap."""
    checked = []
    for i, vessel in enumerate(vessels, start=1):
        if isinstance(vessel, (str, bytes)) or not isinstance(vessel, Sequence) or len(vessel) != 3:
            raise ValueError(f"tissue-section: vessel {i} must be (x, y, radius), got {vessel!r}")
        x, y = (float(c) for c in vessel[:2])
        r = _positive(f"the radius of vessel {i}", vessel[2])
        if not (r < x < length - r and r < y < height - r):
            raise ValueError(f"tissue-section: vessel {i} {tuple(vessel)!r} does not lie inside "
                             f"the {length:g} x {height:g} section")
        for j, (xo, yo, ro) in enumerate(checked, start=1):
            if math.hypot(x - xo, y - yo) <= r + ro:
                raise ValueError(f"tissue-section: vessels {j} and {i} overlap or touch")
        checked.append((x, y, r))
    return checked


def _build_tissue_section(
    size: float, length: float, height: float, vessels: Sequence[Vessel]
) -> int:
    """Build and mesh the tissue section in the current gmsh model; return its gdim (2)."""
    import gmsh

    size = _positive("size", size)
    length = _positive("length", length)
    height = _positive("height", height)
    holes = _check_vessels(vessels, length, height)

    occ = gmsh.model.occ
    surface = occ.addRectangle(0.0, 0.0, 0.0, length, height)
    if holes:
        disks = [(2, occ.addDisk(x, y, 0.0, r, r)) for x, y, r in holes]
        (_, surface), = occ.cut([(2, surface)], disks)[0]
    occ.synchronize()

    # Sort the boundary curves: a curve whose midpoint lies on a vessel circle is its wall.
    walls: list[list[int]] = [[] for _ in holes]
    outer: list[int] = []
    for _, curve in gmsh.model.getBoundary([(2, surface)], combined=False, oriented=False):
        curve = abs(curve)
        low, high = gmsh.model.getParametrizationBounds(1, curve)
        px, py, _ = gmsh.model.getValue(1, curve, [(low[0] + high[0]) / 2])
        on = [i for i, (x, y, r) in enumerate(holes)
              if abs(math.dist((px, py), (x, y)) - r) < 1e-6 * r]
        (walls[on[0]] if on else outer).append(curve)

    gmsh.model.addPhysicalGroup(2, [surface], tag=1, name="tissue")
    gmsh.model.addPhysicalGroup(1, outer, tag=1, name="outer")
    for i, wall in enumerate(walls, start=1):
        gmsh.model.addPhysicalGroup(1, wall, tag=i + 1, name=f"vessel_{i}")

    # size/3 on the vessel walls, growing linearly to `size` at a distance 3*size from them.
    field = gmsh.model.mesh.field
    distance = field.add("Distance")
    field.setNumbers(distance, "CurvesList", [c for wall in walls for c in wall])
    field.setNumber(distance, "Sampling", 200)
    threshold = field.add("Threshold")
    field.setNumber(threshold, "InField", distance)
    field.setNumber(threshold, "SizeMin", size / 3)
    field.setNumber(threshold, "SizeMax", size)
    field.setNumber(threshold, "DistMin", 0.0)
    field.setNumber(threshold, "DistMax", 3 * size)
    field.setAsBackgroundMesh(threshold)
    gmsh.model.mesh.generate(2)
    return 2


def tissue_section(
    comm: MPI.Comm,
    size: float = 0.05,
    length: float = 2.0,
    height: float = 1.0,
    vessels: Sequence[Vessel] = ((0.5, 0.5, 0.12), (1.3, 0.35, 0.1), (1.45, 0.72, 0.08)),
) -> TaggedMesh:
    """A 2-D tissue section [0, length] x [0, height] with circular vessel holes (triangles).

    Physical groups: surface ``tissue`` (tag 1); curves ``outer`` (the rectangle's edges,
    tag 1) and ``vessel_1``, ``vessel_2``, ... (the wall of each hole, tags 2, 3, ...).
    The mesh size is `size`/3 on the vessel walls and grows linearly to `size` at a
    distance 3 `size` from them.

    Args:
        comm: Communicator the mesh is distributed over.
        size: Mesh size away from the vessels.
        length: Extent in x.
        height: Extent in y.
        vessels: (x, y, radius) of each vessel; inside the section and disjoint.

    Raises:
        ValueError: for a non-positive number or a vessel outside the section or
            overlapping another (on every rank).
    """
    params = {"size": size, "length": length, "height": height, "vessels": vessels}
    return _generate_mesh(comm, "tissue-section", params)


#: Generator name -> function(comm, **params) returning a TaggedMesh.
GENERATORS: dict[str, Callable[..., TaggedMesh]] = {"tissue-section": tissue_section}

# Generator name -> function(**params) building and meshing it in the current gmsh model.
_BUILDERS: dict[str, Callable[..., int]] = {"tissue-section": _build_tissue_section}


def _parameters(name: str, params: dict[str, Any]) -> dict[str, Any]:
    """All parameters of generator `name`: `params` completed with the defaults.

    Raises:
        ValueError: for an unknown generator or parameter; the message lists the known ones.
    """
    if name not in GENERATORS:
        raise ValueError(f"unknown mesh generator {name!r}; available: {', '.join(GENERATORS)}")
    signature = inspect.signature(GENERATORS[name]).parameters
    known = [p for p in signature if p != "comm"]
    unknown = sorted(set(params) - set(known))
    if unknown:
        raise ValueError(f"mesh generator {name!r} has no parameter {', '.join(unknown)}; "
                         f"its parameters: {', '.join(known)}")
    return {p: params.get(p, signature[p].default) for p in known}


def _generate_mesh(comm: MPI.Comm, name: str, params: dict[str, Any]) -> TaggedMesh:
    """Build generator `name`'s gmsh model on rank 0 and distribute its mesh over `comm`."""
    with gmsh_model(comm, name, _MESHING_OPTIONS) as model:
        gdim = on_root(comm, lambda: _BUILDERS[name](**params))
        return model_to_tagged_mesh(model, comm, gdim, source=f"mesh generator '{name}'")


def generate(name: str, comm: MPI.Comm, **params: Any) -> TaggedMesh:
    """The mesh of generator `name` with the given parameters, distributed over `comm`.

    Raises:
        ValueError: for an unknown generator or parameter (the message lists the available
            ones) or invalid parameter values.
    """
    full = _parameters(name, params)
    return GENERATORS[name](comm, **full)


def write_msh(name: str, path: str | Path, **params: Any) -> Path:
    """Mesh generator `name` on rank 0 of COMM_WORLD and save it as a .msh (v4.1) file.

    Collective on COMM_WORLD: every rank calls it and gets the path once the file exists;
    the parent folder is created if needed.

    Raises:
        ValueError: for an unknown generator or parameter, or invalid parameter values.
    """
    full = _parameters(name, params)
    path = Path(path)

    def build_and_write() -> None:
        import gmsh

        _BUILDERS[name](**full)
        path.parent.mkdir(parents=True, exist_ok=True)
        gmsh.write(str(path))

    comm = MPI.COMM_WORLD
    with gmsh_model(comm, name, {**_MESHING_OPTIONS, **_MSH_OPTIONS}):
        on_root(comm, build_and_write)
    return path
