"""``microfluidic-chamber``: a 2-D chamber with pillars and blocks, an inlet and an outlet."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar, NamedTuple

from fem_chemotaxis.checks import number, positive
from fem_chemotaxis.mesh.generators.generator import Generator
from fem_chemotaxis.mesh.generators.gmsh_steps import (
    add_physical_groups,
    boundary,
    curve_midpoint,
    generate_cells,
    refine_near,
)
from fem_chemotaxis.mesh.generators.tissue_section import Circle

__all__ = ["MicrofluidicChamber", "Rectangle"]

#: An axis-aligned rectangle: lower-left corner x, y, width, height.
Rectangle = tuple[float, float, float, float]

# Relative tolerance for deciding that a point lies on a straight side.
_ON_SIDE = 1e-9


@dataclass(frozen=True)
class MicrofluidicChamber(Generator):
    """A 2-D microfluidic chamber [0, length] x [0, height] with obstacles (triangles).

    The obstacles are holes: circular pillars `circles` and rectangular blocks
    `rectangles`. The inlet is the segment of width `port_width` centred on the side x = 0,
    the outlet the same segment on x = length (`port_width` = `height` opens the sides
    fully).

    Physical groups: surface ``chamber`` (tag 1); curves ``inlet`` (tag 1), ``outlet``
    (tag 2), ``walls`` (the rest of the rectangle's edges, tag 3) and ``obstacles`` (the
    boundaries of all obstacles, tag 4; absent without obstacles). The mesh size is
    `size`/3 on the obstacles, growing linearly to `size` at a distance 3 `size` from them.

    Attributes:
        size: Mesh size away from the obstacles.
        order: 1 (linear triangles) or 2 (quadratic triangles, curved on the pillars).
        length: Extent in x (from inlet to outlet).
        height: Extent in y.
        port_width: Width of the inlet and of the outlet (at most `height`).
        circles: (x, y, radius) of each pillar.
        rectangles: (x, y, width, height) of each block: its lower-left corner and sides.
    """

    NAME: ClassVar[str] = "microfluidic-chamber"

    length: float = 3.0
    height: float = 1.0
    port_width: float = 0.4
    circles: Sequence[Circle] = (
        (0.8, 0.3, 0.12),
        (0.8, 0.7, 0.12),
        (1.3, 0.5, 0.12),
        (1.8, 0.3, 0.12),
        (1.8, 0.7, 0.12),
    )
    rectangles: Sequence[Rectangle] = ((2.3, 0.15, 0.2, 0.25), (2.3, 0.6, 0.2, 0.25))

    def __post_init__(self) -> None:
        super().__post_init__()
        for name in ("length", "height", "port_width"):
            object.__setattr__(self, name, positive(getattr(self, name), self._where(name)))
        if self.port_width > self.height:
            raise ValueError(f"{self.NAME}: port_width ({self.port_width:g}) exceeds the height ({self.height:g})")
        obstacles = self._checked_obstacles()
        object.__setattr__(self, "circles", tuple(o.values for o in obstacles if o.is_circle))
        object.__setattr__(self, "rectangles", tuple(o.values for o in obstacles if not o.is_circle))

    def _checked_obstacles(self) -> list[_Obstacle]:
        """The obstacles; ValueError unless each lies strictly inside and none touches another."""
        obstacles: list[_Obstacle] = []
        for kind, entries, fields in (
            ("circle", self.circles, "(x, y, radius)"),
            ("rectangle", self.rectangles, "(x, y, width, height)"),
        ):
            count = len(fields.split(","))
            if isinstance(entries, (str, bytes)) or not isinstance(entries, Sequence):
                raise ValueError(f"{self.NAME}: {kind}s must be a list of {fields}, got {entries!r}")
            for i, entry in enumerate(entries, start=1):
                label = f"{kind} {i}"
                if isinstance(entry, (str, bytes)) or not isinstance(entry, Sequence) or len(entry) != count:
                    raise ValueError(f"{self.NAME}: {label} must be {fields}, got {entry!r}")
                values = tuple(number(v, self._where(label)) for v in entry)
                for v in values[2:]:
                    positive(v, self._where(f"the {'radius' if count == 3 else 'sides'} of {label}"))
                obstacle = _Obstacle(label, values)
                if not obstacle.inside(self.length, self.height):
                    raise ValueError(
                        f"{self.NAME}: {label} {tuple(entry)!r} does not lie strictly "
                        f"inside the {self.length:g} x {self.height:g} chamber"
                    )
                obstacles.append(obstacle)
        for k, obstacle in enumerate(obstacles):
            for other in obstacles[:k]:
                if obstacle.gap(other) <= 0:
                    raise ValueError(f"{self.NAME}: {other.label} and {obstacle.label} overlap or touch")
        return obstacles

    def build(self) -> int:
        """Build and mesh the chamber in the current gmsh model; return its gdim (2)."""
        import gmsh

        length, height, port = self.length, self.height, self.port_width
        occ = gmsh.model.occ
        low, high = (height - port) / 2, (height + port) / 2
        if port < height:  # the short sides are split into wall, port, wall
            corners = [
                (0, 0),
                (length, 0),
                (length, low),
                (length, high),
                (length, height),
                (0, height),
                (0, high),
                (0, low),
            ]
        else:
            corners = [(0, 0), (length, 0), (length, height), (0, height)]
        points = [occ.addPoint(x, y, 0.0) for x, y in corners]
        lines = [occ.addLine(p, q) for p, q in zip(points, points[1:] + points[:1])]
        chamber = occ.addPlaneSurface([occ.addCurveLoop(lines)])
        holes = [(2, occ.addDisk(x, y, 0.0, r, r)) for x, y, r in self.circles] + [
            (2, occ.addRectangle(x, y, 0.0, w, h)) for x, y, w, h in self.rectangles
        ]
        if holes:
            ((_, chamber),) = occ.cut([(2, chamber)], holes)[0]
        occ.synchronize()

        tol = _ON_SIDE * max(length, height)
        inlet: list[int] = []
        outlet: list[int] = []
        walls: list[int] = []
        obstacles: list[int] = []
        for curve in boundary(2, chamber):
            x, y, _ = curve_midpoint(curve)
            in_port = low - tol < y < high + tol
            if abs(x) < tol:
                (inlet if in_port else walls).append(curve)
            elif abs(x - length) < tol:
                (outlet if in_port else walls).append(curve)
            elif abs(y) < tol or abs(y - height) < tol:
                walls.append(curve)
            else:
                obstacles.append(curve)
        add_physical_groups(2, [("chamber", [chamber])])
        add_physical_groups(1, [("inlet", inlet), ("outlet", outlet), ("walls", walls), ("obstacles", obstacles)])
        refine_near(1, obstacles, self.size)
        return generate_cells(2, self.order)


class _Obstacle(NamedTuple):
    """A checked obstacle: its label for messages and (x, y, radius) or (x, y, width, height)."""

    label: str
    values: tuple[float, ...]

    @property
    def is_circle(self) -> bool:
        return len(self.values) == 3

    def inside(self, length: float, height: float) -> bool:
        """Whether it lies strictly inside [0, length] x [0, height]."""
        if self.is_circle:
            x, y, r = self.values
            return r < x < length - r and r < y < height - r
        x, y, w, h = self.values
        return 0 < x and x + w < length and 0 < y and y + h < height

    def gap(self, other: _Obstacle) -> float:
        """The distance to `other` (<= 0 if they overlap or touch)."""
        if self.is_circle and other.is_circle:
            return math.dist(self.values[:2], other.values[:2]) - self.values[2] - other.values[2]
        if self.is_circle or other.is_circle:
            circle, rect = (self, other) if self.is_circle else (other, self)
            x, y, r = circle.values
            return _distance_to_rectangle(x, y, rect.values) - r
        (x1, y1, w1, h1), (x2, y2, w2, h2) = self.values, other.values
        gap_x, gap_y = max(x1 - x2 - w2, x2 - x1 - w1), max(y1 - y2 - h2, y2 - y1 - h1)
        return math.hypot(max(gap_x, 0.0), max(gap_y, 0.0)) if max(gap_x, gap_y) > 0 else 0.0


def _distance_to_rectangle(x: float, y: float, rect: Sequence[float]) -> float:
    """Distance from (x, y) to the rectangle (x0, y0, width, height) (0 inside)."""
    x0, y0, w, h = rect
    return math.hypot(max(x0 - x, 0.0, x - x0 - w), max(y0 - y, 0.0, y - y0 - h))
