"""``tumour-stroma``: a tumour (an ellipse, optionally lobed, or an ellipsoid) in a stroma box."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from fem_chemotaxis.checks import integer, number, numbers, positive
from fem_chemotaxis.mesh.generators.generator import Generator
from fem_chemotaxis.mesh.generators.gmsh_steps import add_physical_groups, boundary, generate_cells, refine_near

__all__ = ["TumourStroma"]

#: Tumour semi-axes when `radii` is not given, by dimension.
_TUMOUR_RADII = {2: (0.45, 0.3), 3: (0.3, 0.25, 0.2)}


@dataclass(frozen=True)
class TumourStroma(Generator):
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

    Attributes:
        size: Mesh size away from the interface.
        order: 1 (linear cells) or 2 (quadratic cells, curved on the interface).
        dim: 2 (triangles) or 3 (tetrahedra).
        length: Extent in x.
        height: Extent in y.
        depth: Extent in z (3-D only).
        centre: Centre of the tumour (default: the centre of the stroma).
        radii: Semi-axes of the tumour (default (0.45, 0.3), in 3-D (0.3, 0.25, 0.2)).
        roughness: Relative amplitude of the lobes, in [0, 1) (2-D only).
        lobes: Number of lobes (an integer >= 2), when `roughness` > 0.
    """

    NAME: ClassVar[str] = "tumour-stroma"

    dim: int = 2
    length: float = 2.0
    height: float = 1.0
    depth: float = 1.0
    centre: Sequence[float] | None = None
    radii: Sequence[float] | None = None
    roughness: float = 0.0
    lobes: int = 5

    def __post_init__(self) -> None:
        super().__post_init__()
        set_ = object.__setattr__
        dim = integer(self.dim, (2, 3), self._where("dim"))
        extent = [positive(getattr(self, name), self._where(name)) for name in ("length", "height", "depth")][:dim]
        centre = [e / 2 for e in extent] if self.centre is None else numbers(self.centre, dim, self._where("centre"))
        radii = _TUMOUR_RADII[dim] if self.radii is None else numbers(self.radii, dim, self._where("radii"))
        radii = tuple(positive(r, self._where("radii")) for r in radii)
        roughness = number(self.roughness, self._where("roughness"))
        if not 0 <= roughness < 1:
            raise ValueError(f"{self.NAME}: roughness must lie in [0, 1), got {roughness!r}")
        if isinstance(self.lobes, bool) or not isinstance(self.lobes, int) or self.lobes < 2:
            raise ValueError(f"{self.NAME}: lobes must be an integer >= 2, got {self.lobes!r}")
        if dim == 3 and roughness:
            raise ValueError(f"{self.NAME}: roughness is only available in 2-D (dim = 2)")
        reach = [r * (1 + roughness) for r in radii]
        if not all(r < c < e - r for r, c, e in zip(reach, centre, extent)):
            raise ValueError(
                f"{self.NAME}: the tumour (centre {list(centre)}, radii {list(radii)}"
                + (f", roughness {roughness:g}" if roughness else "")
                + ") does not lie strictly inside the stroma "
                + " x ".join(f"{e:g}" for e in extent)
            )
        set_(self, "centre", tuple(centre))
        set_(self, "radii", radii)
        set_(self, "roughness", roughness)

    @property
    def _extent(self) -> list[float]:
        return [self.length, self.height, self.depth][: self.dim]

    def build(self) -> int:
        """Build and mesh the tumour in its stroma in the current gmsh model; return the gdim."""
        import gmsh

        dim, centre, radii = self.dim, self.centre, self.radii
        assert centre is not None and radii is not None  # resolved by __post_init__
        occ = gmsh.model.occ
        if dim == 2:
            stroma = occ.addRectangle(0.0, 0.0, 0.0, *self._extent)
            tumour = _add_tumour_curve(centre, radii, self.roughness, self.lobes)
        else:
            stroma = occ.addBox(0.0, 0.0, 0.0, *self._extent)
            tumour = occ.addSphere(*centre, 1.0)
            occ.dilate([(3, tumour)], *centre, *radii)
        _, pieces = occ.fragment([(dim, stroma)], [(dim, tumour)])
        occ.synchronize()
        tumour = pieces[1][0][1]
        stroma = next(t for _, t in pieces[0] if t != tumour)

        interface = boundary(dim, tumour)
        outer = [f for f in boundary(dim, stroma) if f not in interface]
        add_physical_groups(dim, [("tumour", [tumour]), ("stroma", [stroma])])
        add_physical_groups(dim - 1, [("interface", interface), ("outer", outer)])
        refine_near(dim - 1, interface, self.size)
        return generate_cells(dim, self.order)


def _add_tumour_curve(centre: Sequence[float], radii: Sequence[float], roughness: float, lobes: int) -> int:
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
