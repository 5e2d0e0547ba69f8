"""``tissue-section``: a 2-D rectangle of tissue with circular vessel cross-sections as holes."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from fem_chemotaxis.checks import number, positive
from fem_chemotaxis.mesh.generators.generator import Generator
from fem_chemotaxis.mesh.generators.gmsh_steps import (
    add_physical_groups,
    boundary,
    curve_midpoint,
    generate_cells,
    refine_near,
)

__all__ = ["Circle", "TissueSection"]

#: A circle (vessel cross-section, pillar): centre x, centre y, radius.
Circle = tuple[float, float, float]


@dataclass(frozen=True)
class TissueSection(Generator):
    """A 2-D tissue section [0, length] x [0, height] with circular vessel holes (triangles).

    Physical groups: surface ``tissue`` (tag 1); curves ``outer`` (the rectangle's edges,
    tag 1) and ``vessel_1``, ``vessel_2``, ... (the wall of each hole, tags 2, 3, ...).
    The mesh size is `size`/3 on the vessel walls and grows linearly to `size` at a
    distance 3 `size` from them.

    Attributes:
        size: Mesh size away from the vessels.
        order: 1 (linear triangles) or 2 (quadratic triangles, curved on the walls).
        length: Extent in x.
        height: Extent in y.
        vessels: (x, y, radius) of each vessel; inside the section and disjoint.
    """

    NAME: ClassVar[str] = "tissue-section"

    length: float = 2.0
    height: float = 1.0
    vessels: Sequence[Circle] = ((0.5, 0.5, 0.12), (1.3, 0.35, 0.1), (1.45, 0.72, 0.08))

    def __post_init__(self) -> None:
        super().__post_init__()
        for name in ("length", "height"):
            object.__setattr__(self, name, positive(getattr(self, name), self._where(name)))
        object.__setattr__(self, "vessels", tuple(self._checked_vessels()))

    def _checked_vessels(self) -> list[Circle]:
        """The vessels as float triples; ValueError unless each lies inside and none overlap."""
        checked: list[Circle] = []
        for i, vessel in enumerate(self.vessels, start=1):
            if isinstance(vessel, (str, bytes)) or not isinstance(vessel, Sequence) or len(vessel) != 3:
                raise ValueError(f"{self.NAME}: vessel {i} must be (x, y, radius), got {vessel!r}")
            x, y = (number(c, self._where(f"the centre of vessel {i}")) for c in vessel[:2])
            r = positive(vessel[2], self._where(f"the radius of vessel {i}"))
            if not (r < x < self.length - r and r < y < self.height - r):
                raise ValueError(
                    f"{self.NAME}: vessel {i} {tuple(vessel)!r} does not lie inside "
                    f"the {self.length:g} x {self.height:g} section"
                )
            for j, (xo, yo, ro) in enumerate(checked, start=1):
                if math.hypot(x - xo, y - yo) <= r + ro:
                    raise ValueError(f"{self.NAME}: vessels {j} and {i} overlap or touch")
            checked.append((x, y, r))
        return checked

    def build(self) -> int:
        """Build and mesh the section in the current gmsh model; return its gdim (2)."""
        import gmsh

        occ = gmsh.model.occ
        surface = occ.addRectangle(0.0, 0.0, 0.0, self.length, self.height)
        if self.vessels:
            disks = [(2, occ.addDisk(x, y, 0.0, r, r)) for x, y, r in self.vessels]
            ((_, surface),) = occ.cut([(2, surface)], disks)[0]
        occ.synchronize()

        # Sort the boundary curves: a curve whose midpoint lies on a vessel circle is its wall.
        walls: list[list[int]] = [[] for _ in self.vessels]
        outer: list[int] = []
        for curve in boundary(2, surface):
            px, py, _ = curve_midpoint(curve)
            on = [i for i, (x, y, r) in enumerate(self.vessels) if abs(math.dist((px, py), (x, y)) - r) < 1e-6 * r]
            (walls[on[0]] if on else outer).append(curve)

        add_physical_groups(2, [("tissue", [surface])])
        add_physical_groups(1, [("outer", outer)] + [(f"vessel_{i}", wall) for i, wall in enumerate(walls, start=1)])
        refine_near(1, [c for wall in walls for c in wall], self.size)
        return generate_cells(2, self.order)
