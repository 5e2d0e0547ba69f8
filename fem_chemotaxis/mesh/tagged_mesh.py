"""A DOLFINx mesh together with its gmsh physical groups, addressed by name."""

from __future__ import annotations

from dataclasses import dataclass, field

import dolfinx

__all__ = ["TaggedMesh"]


@dataclass
class TaggedMesh:
    """A mesh, its cell/facet tags, and the physical-group names that label them.

    Attributes:
        mesh: The distributed DOLFINx mesh.
        cell_tags: Tags of cells (volumes in 3-D, surfaces in 2-D), or None.
        facet_tags: Tags of facets (boundaries, interfaces), or None.
        physical_groups: Name -> (topological dimension, tag).
        source: Where the mesh came from, for messages (file name or generator).
    """

    mesh: dolfinx.mesh.Mesh
    cell_tags: dolfinx.mesh.MeshTags | None = None
    facet_tags: dolfinx.mesh.MeshTags | None = None
    physical_groups: dict[str, tuple[int, int]] = field(default_factory=dict)
    source: str = "built-in mesh"

    def tag(self, name: str, dim: int) -> int:
        """The tag of the physical group `name` of topological dimension `dim`.

        Raises:
            ValueError: if the mesh has no such group; the message lists those it has.
        """
        group = self.physical_groups.get(name)
        if group is None or group[0] != dim:
            kind = "boundary" if dim == self.mesh.topology.dim - 1 else "subdomain"
            have = sorted(n for n, (d, _) in self.physical_groups.items() if d == dim)
            raise ValueError(
                f"{kind} '{name}' is not a physical group of {self.source}; "
                f"it has: {', '.join(have) if have else '(none)'}"
            )
        return group[1]
