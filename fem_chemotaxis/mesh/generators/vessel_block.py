"""``vessel-block``: a 3-D block of tissue pierced by a Y-shaped cylindrical vessel."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

from fem_chemotaxis.checks import number, positive
from fem_chemotaxis.mesh.generators.generator import Generator
from fem_chemotaxis.mesh.generators.gmsh_steps import add_physical_groups, boundary, generate_cells, refine_near

__all__ = ["VesselBlock"]


@dataclass(frozen=True)
class VesselBlock(Generator):
    """A 3-D block [0, length] x [0, width] x [0, height] pierced by a Y-shaped vessel.

    The vessel (a hole in the tissue) enters through the face x = 0 at its centre as a
    cylinder of `radius` along the x axis, bifurcates at x = `junction` into two cylinders
    of `branch_radius`, at +-`branch_angle`/2 to the x axis in the plane z = height/2, and
    leaves through the face x = length. A ball of `junction_radius` around the bifurcation
    point joins the three cylinders smoothly.

    Physical groups: volume ``tissue`` (tag 1); surfaces ``outer`` (the block's faces minus
    the three openings, tag 1) and ``vessel_wall`` (tag 2). The mesh size is `size`/3 on the
    vessel wall, growing linearly to `size` at a distance 3 `size` from it.

    Attributes:
        size: Mesh size away from the vessel.
        order: 1 (linear tetrahedra) or 2 (quadratic tetrahedra, curved on the wall).
        length: Extent in x (along the vessel).
        width: Extent in y (the plane of the branches).
        height: Extent in z.
        radius: Radius of the trunk.
        branch_radius: Radius of the two branches.
        junction: x coordinate of the bifurcation point.
        junction_radius: Radius of the ball at the bifurcation, at least `radius` and
            `branch_radius`.
        branch_angle: Angle between the branches, in degrees (0 to 180).
    """

    NAME: ClassVar[str] = "vessel-block"

    size: float = 0.1
    length: float = 1.0
    width: float = 1.0
    height: float = 1.0
    radius: float = 0.1
    branch_radius: float = 0.08
    junction: float = 0.5
    junction_radius: float = 0.14
    branch_angle: float = 70.0

    def __post_init__(self) -> None:
        super().__post_init__()
        for name in ("length", "width", "height", "radius", "branch_radius", "junction_radius", "branch_angle"):
            object.__setattr__(self, name, positive(getattr(self, name), self._where(name)))
        object.__setattr__(self, "junction", number(self.junction, self._where("junction")))
        if not self.branch_angle < 180:
            raise ValueError(f"{self.NAME}: branch_angle must lie in (0, 180) degrees, got {self.branch_angle!r}")
        largest = max(self.radius, self.branch_radius)
        if self.junction_radius < largest:
            raise ValueError(
                f"{self.NAME}: junction_radius ({self.junction_radius:g}) must be at least "
                f"radius and branch_radius ({largest:g})"
            )
        if not (
            self.junction_radius < self.junction < self.length - self.junction_radius
            and self.junction_radius < min(self.width, self.height) / 2
        ):
            raise ValueError(
                f"{self.NAME}: the junction ball (x = {self.junction:g}, radius "
                f"{self.junction_radius:g}) does not lie inside the block"
            )
        half = math.radians(self.branch_angle) / 2
        spread = (self.length - self.junction) * math.tan(half) + self.branch_radius / math.cos(half)
        if not spread < self.width / 2:
            raise ValueError(
                f"{self.NAME}: the branches leave the block through its sides y = 0, "
                f"y = {self.width:g}; reduce branch_angle or branch_radius, or move the "
                "junction towards x = length"
            )

    def build(self) -> int:
        """Build and mesh the block with its Y-shaped vessel in the current gmsh model; return 3."""
        import gmsh

        occ = gmsh.model.occ
        half = math.radians(self.branch_angle) / 2
        yc, zc = self.width / 2, self.height / 2
        block = occ.addBox(0.0, 0.0, 0.0, self.length, self.width, self.height)
        # The cylinders run past the block's faces, so that cutting them leaves clean openings.
        trunk = occ.addCylinder(-self.radius, yc, zc, self.junction + self.radius, 0.0, 0.0, self.radius)
        reach = (self.length - self.junction) / math.cos(half) + 2 * self.branch_radius * (1 + math.tan(half))
        branches = [
            occ.addCylinder(
                self.junction, yc, zc, reach * math.cos(half), sign * reach * math.sin(half), 0.0, self.branch_radius
            )
            for sign in (1, -1)
        ]
        ball = occ.addSphere(self.junction, yc, zc, self.junction_radius)
        vessel, _ = occ.fuse([(3, trunk)], [(3, b) for b in branches] + [(3, ball)])
        ((_, tissue),) = occ.cut([(3, block)], vessel)[0]
        occ.synchronize()

        # The block's faces (with the openings) are planes; the vessel wall is curved.
        outer: list[int] = []
        wall: list[int] = []
        for surface in boundary(3, tissue):
            (outer if gmsh.model.getType(2, surface) == "Plane" else wall).append(surface)
        add_physical_groups(3, [("tissue", [tissue])])
        add_physical_groups(2, [("outer", outer), ("vessel_wall", wall)])
        refine_near(2, wall, self.size)
        return generate_cells(3, self.order)
