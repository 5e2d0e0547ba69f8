"""Parametric tissue geometries, meshed with gmsh (OCC kernel) on rank 0.

Each generator builds a gmsh model on rank 0 only and returns a
:class:`~fem_chemotaxis.mesh.tagged_mesh.TaggedMesh` distributed over the communicator.
`GENERATORS` maps generator names to these functions; `generate` calls one by name (as a
configuration file would) and `write_msh` saves its mesh as a .msh file instead. gmsh is
imported when a mesh is built, so that `GENERATORS` can be read without it.

Generators (physical groups: cells; facets):
    tissue-section: a rectangular 2-D tissue section with circular vessel cross-sections
        as holes (tissue; outer, vessel_1, vessel_2, ...), see `tissue_section`.
    tumour-stroma: a tumour (an ellipse, optionally lobed, or an ellipsoid in 3-D) embedded
        in a stroma rectangle or box (tumour, stroma; interface, outer), see `tumour_stroma`.
    vessel-block: a 3-D tissue block pierced by a Y-shaped cylindrical vessel
        (tissue; vessel_wall, outer), see `vessel_block`.
    microfluidic-chamber: a 2-D chamber with circular and rectangular obstacles and an
        inlet and outlet on its short sides (chamber; inlet, outlet, walls, obstacles), see
        `microfluidic_chamber`.

Every generator takes ``size``, the mesh size away from its interfaces (walls, holes, the
tumour boundary): there the size is ``size/3``, growing linearly to ``size`` at a distance
``3*size``. ``order = 2`` gives quadratic cells whose extra nodes lie on the curved
geometry.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from mpi4py import MPI

from fem_chemotaxis.mesh.gmsh_file import gmsh_model, model_to_tagged_mesh, on_root
from fem_chemotaxis.mesh.tagged_mesh import TaggedMesh

__all__ = [
    "GENERATORS",
    "generate",
    "generator_parameters",
    "microfluidic_chamber",
    "tissue_section",
    "tumour_stroma",
    "vessel_block",
    "write_msh",
]

#: A circle (vessel cross-section, pillar): centre x, centre y, radius.
Circle = tuple[float, float, float]
#: An axis-aligned rectangle: lower-left corner x, y, width, height.
Rectangle = tuple[float, float, float, float]

# Mesh sizes come from the background fields only.
_MESHING_OPTIONS = {
    "Mesh.MeshSizeFromPoints": 0,
    "Mesh.MeshSizeFromCurvature": 0,
    "Mesh.MeshSizeExtendFromBoundary": 0,
}
_MSH_OPTIONS = {"Mesh.MshFileVersion": 4.1, "Mesh.SaveAll": 0, "Mesh.Binary": 0}

# Relative tolerance for deciding that a point lies on a straight side.
_ON_SIDE = 1e-9


# --- parameter checks (ValueError naming the generator and the parameter) ----------------


def _finite(where: str, name: str, value: Any) -> float:
    """`value` as a float, or ValueError unless it is a finite real number."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"{where}: {name} must be a finite number, got {value!r}")
    return float(value)


def _positive(where: str, name: str, value: Any) -> float:
    """`value` as a float, or ValueError unless it is a positive finite number."""
    if (isinstance(value, bool) or not isinstance(value, (int, float))
            or not (math.isfinite(value) and value > 0)):
        raise ValueError(f"{where}: {name} must be a positive number, got {value!r}")
    return float(value)


def _numbers(where: str, name: str, value: Any, count: int) -> list[float]:
    """`value` as `count` finite floats, or ValueError."""
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence) or len(value) != count:
        raise ValueError(f"{where}: {name} must be {count} numbers, got {value!r}")
    return [_finite(where, name, v) for v in value]


def _integer(where: str, name: str, value: Any, allowed: Sequence[int]) -> int:
    """`value` as an int, or ValueError unless it is one of `allowed`."""
    if isinstance(value, bool) or not isinstance(value, int) or value not in allowed:
        raise ValueError(f"{where}: {name} must be one of {', '.join(map(str, allowed))}, "
                         f"got {value!r}")
    return value


# --- shared gmsh steps -------------------------------------------------------------------


def _curve_midpoint(curve: int) -> tuple[float, float, float]:
    """The point of `curve` at the middle of its parameter range."""
    import gmsh

    low, high = gmsh.model.getParametrizationBounds(1, curve)
    x, y, z = gmsh.model.getValue(1, curve, [(low[0] + high[0]) / 2])
    return x, y, z


def _boundary(dim: int, entity: int) -> list[int]:
    """The tags of the (dim-1)-entities bounding `entity`."""
    import gmsh

    return [abs(t) for _, t in gmsh.model.getBoundary([(dim, entity)], combined=False,
                                                      oriented=False)]


def _refine_near(dim: int, entities: Sequence[int], size: float) -> None:
    """Set the mesh size: `size`/3 on the curves (dim 1) or surfaces (dim 2) `entities`,
    growing linearly to `size` at a distance 3 `size` from them; `size` everywhere if none."""
    import gmsh

    field = gmsh.model.mesh.field
    if not entities:
        uniform = field.add("MathEval")
        field.setString(uniform, "F", repr(size))
        field.setAsBackgroundMesh(uniform)
        return
    distance = field.add("Distance")
    field.setNumbers(distance, "CurvesList" if dim == 1 else "SurfacesList", list(entities))
    field.setNumber(distance, "Sampling", 200 if dim == 1 else 100)
    threshold = field.add("Threshold")
    field.setNumber(threshold, "InField", distance)
    field.setNumber(threshold, "SizeMin", size / 3)
    field.setNumber(threshold, "SizeMax", size)
    field.setNumber(threshold, "DistMin", 0.0)
    field.setNumber(threshold, "DistMax", 3 * size)
    field.setAsBackgroundMesh(threshold)


def _mesh(dim: int, order: int) -> int:
    """Mesh the current model in `dim` dimensions with cells of `order`; return `dim`."""
    import gmsh

    gmsh.model.mesh.generate(dim)
    if order > 1:
        gmsh.model.mesh.setOrder(order)
    return dim


def _add_physical_groups(dim: int, groups: Sequence[tuple[str, Sequence[int]]]) -> None:
    """Add the named physical groups of `dim`-entities with tags 1, 2, ... (empty ones skipped)."""
    import gmsh

    for tag, (name, entities) in enumerate(groups, start=1):
        if entities:
            gmsh.model.addPhysicalGroup(dim, list(entities), tag=tag, name=name)


# --- tissue-section ----------------------------------------------------------------------


def _check_vessels(vessels: Sequence[Circle], length: float, height: float) -> list[Circle]:
    """The vessels as float triples; ValueError unless each lies inside and none overlap."""
    where = "tissue-section"
    checked: list[Circle] = []
    for i, vessel in enumerate(vessels, start=1):
        if isinstance(vessel, (str, bytes)) or not isinstance(vessel, Sequence) or len(vessel) != 3:
            raise ValueError(f"{where}: vessel {i} must be (x, y, radius), got {vessel!r}")
        x, y = (_finite(where, f"the centre of vessel {i}", c) for c in vessel[:2])
        r = _positive(where, f"the radius of vessel {i}", vessel[2])
        if not (r < x < length - r and r < y < height - r):
            raise ValueError(f"{where}: vessel {i} {tuple(vessel)!r} does not lie inside "
                             f"the {length:g} x {height:g} section")
        for j, (xo, yo, ro) in enumerate(checked, start=1):
            if math.hypot(x - xo, y - yo) <= r + ro:
                raise ValueError(f"{where}: vessels {j} and {i} overlap or touch")
        checked.append((x, y, r))
    return checked


def _build_tissue_section(
    size: float, length: float, height: float, vessels: Sequence[Circle], order: int
) -> int:
    """Build and mesh the tissue section in the current gmsh model; return its gdim (2)."""
    import gmsh

    where = "tissue-section"
    size = _positive(where, "size", size)
    length = _positive(where, "length", length)
    height = _positive(where, "height", height)
    order = _integer(where, "order", order, (1, 2))
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
    for curve in _boundary(2, surface):
        px, py, _ = _curve_midpoint(curve)
        on = [i for i, (x, y, r) in enumerate(holes)
              if abs(math.dist((px, py), (x, y)) - r) < 1e-6 * r]
        (walls[on[0]] if on else outer).append(curve)

    _add_physical_groups(2, [("tissue", [surface])])
    _add_physical_groups(1, [("outer", outer)]
                         + [(f"vessel_{i}", wall) for i, wall in enumerate(walls, start=1)])
    _refine_near(1, [c for wall in walls for c in wall], size)
    return _mesh(2, order)


def tissue_section(
    comm: MPI.Comm,
    size: float = 0.05,
    length: float = 2.0,
    height: float = 1.0,
    vessels: Sequence[Circle] = ((0.5, 0.5, 0.12), (1.3, 0.35, 0.1), (1.45, 0.72, 0.08)),
    order: int = 1,
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
        order: 1 (linear triangles) or 2 (quadratic triangles, curved on the walls).

    Raises:
        ValueError: for a non-positive number or a vessel outside the section or
            overlapping another (on every rank).
    """
    params = {"size": size, "length": length, "height": height, "vessels": vessels,
              "order": order}
    return _generate_mesh(comm, "tissue-section", params)


# --- tumour-stroma -----------------------------------------------------------------------

#: Tumour semi-axes when `radii` is not given, by dimension.
_TUMOUR_RADII = {2: (0.45, 0.3), 3: (0.3, 0.25, 0.2)}


def _add_tumour_curve(
    centre: Sequence[float], radii: Sequence[float], roughness: float, lobes: int
) -> int:
    """Add the 2-D tumour surface (an ellipse, or a lobed one through a spline); return its tag.

    The boundary is ``(cx + a rho(t) cos t, cy + b rho(t) sin t)`` with
    ``rho(t) = 1 + roughness cos(lobes t)``.
    """
    import gmsh

    occ = gmsh.model.occ
    (cx, cy), (a, b) = centre, radii
    if roughness == 0:
        # OCC wants the major axis along x: rotate a tall ellipse into place.
        disk = occ.addDisk(cx, cy, 0.0, max(a, b), min(a, b))
        if a < b:
            occ.rotate([(2, disk)], cx, cy, 0.0, 0.0, 0.0, 1.0, math.pi / 2)
        return disk
    # A periodic spline through 80 points per lobe: it differs from the curve by ~2e-6 a.
    n = 80 * lobes
    points = []
    for i in range(n):
        t = 2 * math.pi * i / n
        rho = 1 + roughness * math.cos(lobes * t)
        points.append(occ.addPoint(cx + a * rho * math.cos(t), cy + b * rho * math.sin(t), 0.0))
    curve = occ.addSpline(points + points[:1])
    occ.remove([(0, p) for p in points[1:]])  # only the closing point bounds the curve
    return occ.addPlaneSurface([occ.addCurveLoop([curve])])


def _build_tumour_stroma(
    size: float,
    dim: int,
    length: float,
    height: float,
    depth: float,
    centre: Sequence[float] | None,
    radii: Sequence[float] | None,
    roughness: float,
    lobes: int,
    order: int,
) -> int:
    """Build and mesh the tumour in its stroma in the current gmsh model; return the gdim."""
    import gmsh

    where = "tumour-stroma"
    size = _positive(where, "size", size)
    dim = _integer(where, "dim", dim, (2, 3))
    order = _integer(where, "order", order, (1, 2))
    extent = [_positive(where, name, v)
              for name, v in zip(("length", "height", "depth"), (length, height, depth))][:dim]
    centre = ([e / 2 for e in extent] if centre is None
              else _numbers(where, "centre", centre, dim))
    radii = _TUMOUR_RADII[dim] if radii is None else _numbers(where, "radii", radii, dim)
    radii = [_positive(where, "radii", r) for r in radii]
    roughness = _finite(where, "roughness", roughness)
    if not 0 <= roughness < 1:
        raise ValueError(f"{where}: roughness must lie in [0, 1), got {roughness!r}")
    if isinstance(lobes, bool) or not isinstance(lobes, int) or lobes < 2:
        raise ValueError(f"{where}: lobes must be an integer >= 2, got {lobes!r}")
    if dim == 3 and roughness:
        raise ValueError(f"{where}: roughness is only available in 2-D (dim = 2)")
    reach = [r * (1 + roughness) for r in radii]
    if not all(r < c < e - r for r, c, e in zip(reach, centre, extent)):
        raise ValueError(f"{where}: the tumour (centre {centre}, radii {radii}"
                         + (f", roughness {roughness:g}" if roughness else "")
                         + ") does not lie strictly inside the stroma "
                         + " x ".join(f"{e:g}" for e in extent))

    occ = gmsh.model.occ
    if dim == 2:
        stroma = occ.addRectangle(0.0, 0.0, 0.0, *extent)
        tumour = _add_tumour_curve(centre, radii, roughness, lobes)
    else:
        stroma = occ.addBox(0.0, 0.0, 0.0, *extent)
        tumour = occ.addSphere(*centre, 1.0)
        occ.dilate([(3, tumour)], *centre, *radii)
    _, pieces = occ.fragment([(dim, stroma)], [(dim, tumour)])
    occ.synchronize()
    tumour = pieces[1][0][1]
    stroma = next(t for _, t in pieces[0] if t != tumour)

    interface = _boundary(dim, tumour)
    outer = [f for f in _boundary(dim, stroma) if f not in interface]
    _add_physical_groups(dim, [("tumour", [tumour]), ("stroma", [stroma])])
    _add_physical_groups(dim - 1, [("interface", interface), ("outer", outer)])
    _refine_near(dim - 1, interface, size)
    return _mesh(dim, order)


def tumour_stroma(
    comm: MPI.Comm,
    size: float = 0.05,
    dim: int = 2,
    length: float = 2.0,
    height: float = 1.0,
    depth: float = 1.0,
    centre: Sequence[float] | None = None,
    radii: Sequence[float] | None = None,
    roughness: float = 0.0,
    lobes: int = 5,
    order: int = 1,
) -> TaggedMesh:
    """A tumour embedded in stroma: [0, length] x [0, height] (x [0, depth]) split in two.

    In 2-D the tumour is the ellipse with semi-axes `radii` = (a, b) around `centre`, or,
    with ``roughness > 0``, the lobed curve ``(cx + a rho cos t, cy + b rho sin t)``,
    ``rho = 1 + roughness cos(lobes t)`` (a periodic spline through 80 points per lobe).
    In 3-D (``dim = 3``) it is the ellipsoid with semi-axes (a, b, c). The mesh is
    conforming across the tumour boundary.

    Physical groups: cells ``tumour`` (tag 1) and ``stroma`` (tag 2); facets ``interface``
    (the tumour boundary, tag 1) and ``outer`` (the sides of the rectangle or box, tag 2).
    The mesh size is `size`/3 on the interface, growing linearly to `size` at a distance
    3 `size` from it.

    Args:
        comm: Communicator the mesh is distributed over.
        size: Mesh size away from the interface.
        dim: 2 (triangles) or 3 (tetrahedra).
        length: Extent in x.
        height: Extent in y.
        depth: Extent in z (3-D only).
        centre: Centre of the tumour (default: the centre of the stroma).
        radii: Semi-axes of the tumour (default (0.45, 0.3), in 3-D (0.3, 0.25, 0.2)).
        roughness: Relative amplitude of the lobes, in [0, 1) (2-D only).
        lobes: Number of lobes (an integer >= 2), when `roughness` > 0.
        order: 1 (linear cells) or 2 (quadratic cells, curved on the interface).

    Raises:
        ValueError: for invalid values or a tumour that does not lie strictly inside the
            stroma (on every rank).
    """
    params = {"size": size, "dim": dim, "length": length, "height": height, "depth": depth,
              "centre": centre, "radii": radii, "roughness": roughness, "lobes": lobes,
              "order": order}
    return _generate_mesh(comm, "tumour-stroma", params)


# --- vessel-block ------------------------------------------------------------------------


def _build_vessel_block(
    size: float,
    length: float,
    width: float,
    height: float,
    radius: float,
    branch_radius: float,
    junction: float,
    junction_radius: float,
    branch_angle: float,
    order: int,
) -> int:
    """Build and mesh the block with its Y-shaped vessel in the current gmsh model; return 3."""
    import gmsh

    where = "vessel-block"
    size = _positive(where, "size", size)
    length = _positive(where, "length", length)
    width = _positive(where, "width", width)
    height = _positive(where, "height", height)
    radius = _positive(where, "radius", radius)
    branch_radius = _positive(where, "branch_radius", branch_radius)
    junction = _finite(where, "junction", junction)
    junction_radius = _positive(where, "junction_radius", junction_radius)
    angle = _positive(where, "branch_angle", branch_angle)
    order = _integer(where, "order", order, (1, 2))
    if not angle < 180:
        raise ValueError(f"{where}: branch_angle must lie in (0, 180) degrees, got {angle!r}")
    if junction_radius < max(radius, branch_radius):
        raise ValueError(f"{where}: junction_radius ({junction_radius:g}) must be at least "
                         f"radius and branch_radius ({max(radius, branch_radius):g})")
    if not (junction_radius < junction < length - junction_radius
            and junction_radius < min(width, height) / 2):
        raise ValueError(f"{where}: the junction ball (x = {junction:g}, radius "
                         f"{junction_radius:g}) does not lie inside the block")
    half = math.radians(angle) / 2
    spread = (length - junction) * math.tan(half) + branch_radius / math.cos(half)
    if not spread < width / 2:
        raise ValueError(f"{where}: the branches leave the block through its sides y = 0, "
                         f"y = {width:g}; reduce branch_angle or branch_radius, or move the "
                         "junction towards x = length")

    occ = gmsh.model.occ
    yc, zc = width / 2, height / 2
    block = occ.addBox(0.0, 0.0, 0.0, length, width, height)
    # The cylinders run past the block's faces, so that cutting them leaves clean openings.
    trunk = occ.addCylinder(-radius, yc, zc, junction + radius, 0.0, 0.0, radius)
    reach = (length - junction) / math.cos(half) + 2 * branch_radius * (1 + math.tan(half))
    branches = [
        occ.addCylinder(junction, yc, zc, reach * math.cos(half), sign * reach * math.sin(half),
                        0.0, branch_radius)
        for sign in (1, -1)
    ]
    ball = occ.addSphere(junction, yc, zc, junction_radius)
    vessel, _ = occ.fuse([(3, trunk)], [(3, b) for b in branches] + [(3, ball)])
    (_, tissue), = occ.cut([(3, block)], vessel)[0]
    occ.synchronize()

    # The block's faces (with the openings) are planes; the vessel wall is curved.
    outer, wall = [], []
    for surface in _boundary(3, tissue):
        (outer if gmsh.model.getType(2, surface) == "Plane" else wall).append(surface)
    _add_physical_groups(3, [("tissue", [tissue])])
    _add_physical_groups(2, [("outer", outer), ("vessel_wall", wall)])
    _refine_near(2, wall, size)
    return _mesh(3, order)


def vessel_block(
    comm: MPI.Comm,
    size: float = 0.1,
    length: float = 1.0,
    width: float = 1.0,
    height: float = 1.0,
    radius: float = 0.1,
    branch_radius: float = 0.08,
    junction: float = 0.5,
    junction_radius: float = 0.14,
    branch_angle: float = 70.0,
    order: int = 1,
) -> TaggedMesh:
    """A 3-D block [0, length] x [0, width] x [0, height] pierced by a Y-shaped vessel.

    The vessel (a hole in the tissue) enters through the face x = 0 at its centre as a
    cylinder of `radius` along the x axis, bifurcates at x = `junction` into two cylinders
    of `branch_radius`, at +-`branch_angle`/2 to the x axis in the plane z = height/2, and
    leaves through the face x = length. A ball of `junction_radius` around the bifurcation
    point joins the three cylinders smoothly.

    Physical groups: volume ``tissue`` (tag 1); surfaces ``outer`` (the block's faces minus
    the three openings, tag 1) and ``vessel_wall`` (tag 2). The mesh size is `size`/3 on the
    vessel wall, growing linearly to `size` at a distance 3 `size` from it.

    Args:
        comm: Communicator the mesh is distributed over.
        size: Mesh size away from the vessel.
        length: Extent in x (along the vessel).
        width: Extent in y (the plane of the branches).
        height: Extent in z.
        radius: Radius of the trunk.
        branch_radius: Radius of the two branches.
        junction: x coordinate of the bifurcation point.
        junction_radius: Radius of the ball at the bifurcation, at least `radius` and
            `branch_radius`.
        branch_angle: Angle between the branches, in degrees (0 to 180).
        order: 1 (linear tetrahedra) or 2 (quadratic tetrahedra, curved on the wall).

    Raises:
        ValueError: for invalid values or a vessel that does not fit the block (on every
            rank).
    """
    params = {"size": size, "length": length, "width": width, "height": height,
              "radius": radius, "branch_radius": branch_radius, "junction": junction,
              "junction_radius": junction_radius, "branch_angle": branch_angle, "order": order}
    return _generate_mesh(comm, "vessel-block", params)


# --- microfluidic-chamber ----------------------------------------------------------------


def _distance_to_rectangle(x: float, y: float, rect: Rectangle) -> float:
    """Distance from (x, y) to the rectangle (0 inside)."""
    x0, y0, w, h = rect
    return math.hypot(max(x0 - x, 0.0, x - x0 - w), max(y0 - y, 0.0, y - y0 - h))


class _Obstacle(NamedTuple):
    """A checked obstacle: its label for messages and (x, y, radius) or (x, y, width, height)."""

    label: str
    values: tuple[float, ...]

    @property
    def is_circle(self) -> bool:
        return len(self.values) == 3


def _gap(first: _Obstacle, second: _Obstacle) -> float:
    """The distance between two obstacles (<= 0 if they overlap or touch)."""
    if first.is_circle and second.is_circle:
        return math.dist(first.values[:2], second.values[:2]) - first.values[2] - second.values[2]
    if first.is_circle or second.is_circle:
        (x, y, r), rect = (first.values, second.values) if first.is_circle else (second.values,
                                                                                 first.values)
        return _distance_to_rectangle(x, y, rect) - r  # type: ignore[arg-type]
    (x1, y1, w1, h1), (x2, y2, w2, h2) = first.values, second.values
    gap_x, gap_y = max(x1 - x2 - w2, x2 - x1 - w1), max(y1 - y2 - h2, y2 - y1 - h1)
    return math.hypot(max(gap_x, 0.0), max(gap_y, 0.0)) if max(gap_x, gap_y) > 0 else 0.0


def _check_obstacles(
    circles: Sequence[Circle], rectangles: Sequence[Rectangle], length: float, height: float
) -> tuple[list[Circle], list[Rectangle]]:
    """The obstacles as float tuples; ValueError unless each lies strictly inside the chamber
    and none touches another."""
    where = "microfluidic-chamber"
    obstacles: list[_Obstacle] = []
    for kind, entries, fields in (("circle", circles, "(x, y, radius)"),
                                  ("rectangle", rectangles, "(x, y, width, height)")):
        count = len(fields.split(","))
        if isinstance(entries, (str, bytes)) or not isinstance(entries, Sequence):
            raise ValueError(f"{where}: {kind}s must be a list of {fields}, got {entries!r}")
        for i, entry in enumerate(entries, start=1):
            label = f"{kind} {i}"
            if (isinstance(entry, (str, bytes)) or not isinstance(entry, Sequence)
                    or len(entry) != count):
                raise ValueError(f"{where}: {label} must be {fields}, got {entry!r}")
            values = tuple(_finite(where, label, v) for v in entry)
            for v in values[2:]:
                _positive(where, f"the {'radius' if count == 3 else 'sides'} of {label}", v)
            if count == 3:
                x, y, r = values
                inside = r < x < length - r and r < y < height - r
            else:
                x, y, w, h = values
                inside = 0 < x and x + w < length and 0 < y and y + h < height
            if not inside:
                raise ValueError(f"{where}: {label} {tuple(entry)!r} does not lie strictly "
                                 f"inside the {length:g} x {height:g} chamber")
            obstacles.append(_Obstacle(label, values))
    for k, obstacle in enumerate(obstacles):
        for other in obstacles[:k]:
            if _gap(obstacle, other) <= 0:
                raise ValueError(f"{where}: {other.label} and {obstacle.label} overlap or touch")
    return ([o.values for o in obstacles if o.is_circle],  # type: ignore[misc]
            [o.values for o in obstacles if not o.is_circle])


def _build_microfluidic_chamber(
    size: float,
    length: float,
    height: float,
    port_width: float,
    circles: Sequence[Circle],
    rectangles: Sequence[Rectangle],
    order: int,
) -> int:
    """Build and mesh the chamber in the current gmsh model; return its gdim (2)."""
    import gmsh

    where = "microfluidic-chamber"
    size = _positive(where, "size", size)
    length = _positive(where, "length", length)
    height = _positive(where, "height", height)
    port = _positive(where, "port_width", port_width)
    order = _integer(where, "order", order, (1, 2))
    if port > height:
        raise ValueError(f"{where}: port_width ({port:g}) exceeds the height ({height:g})")
    discs, blocks = _check_obstacles(circles, rectangles, length, height)

    occ = gmsh.model.occ
    low, high = (height - port) / 2, (height + port) / 2
    if port < height:  # the short sides are split into wall, port, wall
        corners = [(0, 0), (length, 0), (length, low), (length, high), (length, height),
                   (0, height), (0, high), (0, low)]
    else:
        corners = [(0, 0), (length, 0), (length, height), (0, height)]
    points = [occ.addPoint(x, y, 0.0) for x, y in corners]
    lines = [occ.addLine(p, q) for p, q in zip(points, points[1:] + points[:1])]
    chamber = occ.addPlaneSurface([occ.addCurveLoop(lines)])
    holes = ([(2, occ.addDisk(x, y, 0.0, r, r)) for x, y, r in discs]
             + [(2, occ.addRectangle(x, y, 0.0, w, h)) for x, y, w, h in blocks])
    if holes:
        (_, chamber), = occ.cut([(2, chamber)], holes)[0]
    occ.synchronize()

    tol = _ON_SIDE * max(length, height)
    inlet, outlet, walls, obstacles = [], [], [], []
    for curve in _boundary(2, chamber):
        x, y, _ = _curve_midpoint(curve)
        in_port = low - tol < y < high + tol
        if abs(x) < tol:
            (inlet if in_port else walls).append(curve)
        elif abs(x - length) < tol:
            (outlet if in_port else walls).append(curve)
        elif abs(y) < tol or abs(y - height) < tol:
            walls.append(curve)
        else:
            obstacles.append(curve)
    _add_physical_groups(2, [("chamber", [chamber])])
    _add_physical_groups(1, [("inlet", inlet), ("outlet", outlet), ("walls", walls),
                             ("obstacles", obstacles)])
    _refine_near(1, obstacles, size)
    return _mesh(2, order)


def microfluidic_chamber(
    comm: MPI.Comm,
    size: float = 0.05,
    length: float = 3.0,
    height: float = 1.0,
    port_width: float = 0.4,
    circles: Sequence[Circle] = ((0.8, 0.3, 0.12), (0.8, 0.7, 0.12), (1.3, 0.5, 0.12),
                                 (1.8, 0.3, 0.12), (1.8, 0.7, 0.12)),
    rectangles: Sequence[Rectangle] = ((2.3, 0.15, 0.2, 0.25), (2.3, 0.6, 0.2, 0.25)),
    order: int = 1,
) -> TaggedMesh:
    """A 2-D microfluidic chamber [0, length] x [0, height] with obstacles (triangles).

    The obstacles are holes: circular pillars `circles` and rectangular blocks
    `rectangles`. The inlet is the segment of width `port_width` centred on the side x = 0,
    the outlet the same segment on x = length (`port_width` = `height` opens the sides
    fully).

    Physical groups: surface ``chamber`` (tag 1); curves ``inlet`` (tag 1), ``outlet``
    (tag 2), ``walls`` (the rest of the rectangle's edges, tag 3) and ``obstacles`` (the
    boundaries of all obstacles, tag 4; absent without obstacles). The mesh size is
    `size`/3 on the obstacles, growing linearly to `size` at a distance 3 `size` from them.

    Args:
        comm: Communicator the mesh is distributed over.
        size: Mesh size away from the obstacles.
        length: Extent in x (from inlet to outlet).
        height: Extent in y.
        port_width: Width of the inlet and of the outlet (at most `height`).
        circles: (x, y, radius) of each pillar.
        rectangles: (x, y, width, height) of each block: its lower-left corner and sides.
        order: 1 (linear triangles) or 2 (quadratic triangles, curved on the pillars).

    Raises:
        ValueError: for invalid values or an obstacle that does not lie strictly inside the
            chamber or touches another (on every rank).
    """
    params = {"size": size, "length": length, "height": height, "port_width": port_width,
              "circles": circles, "rectangles": rectangles, "order": order}
    return _generate_mesh(comm, "microfluidic-chamber", params)


# --- registry and entry points -----------------------------------------------------------

#: Generator name -> function(comm, **params) returning a TaggedMesh.
GENERATORS: dict[str, Callable[..., TaggedMesh]] = {
    "tissue-section": tissue_section,
    "tumour-stroma": tumour_stroma,
    "vessel-block": vessel_block,
    "microfluidic-chamber": microfluidic_chamber,
}

# Generator name -> function(**params) building and meshing it in the current gmsh model.
_BUILDERS: dict[str, Callable[..., int]] = {
    "tissue-section": _build_tissue_section,
    "tumour-stroma": _build_tumour_stroma,
    "vessel-block": _build_vessel_block,
    "microfluidic-chamber": _build_microfluidic_chamber,
}


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


def generator_parameters(name: str, params: dict[str, Any]) -> dict[str, Any]:
    """All parameters of generator `name` (defaults filled in), checked for unknown names.

    Raises:
        ValueError: for an unknown generator or parameter (for config validation).
    """
    return _parameters(name, params)


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
