"""Steps every generator takes in the current gmsh model (rank 0): boundaries, groups, sizes, meshing."""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["add_physical_groups", "boundary", "curve_midpoint", "generate_cells", "refine_near"]


def curve_midpoint(curve: int) -> tuple[float, float, float]:
    """The point of `curve` at the middle of its parameter range."""
    import gmsh

    low, high = gmsh.model.getParametrizationBounds(1, curve)
    x, y, z = gmsh.model.getValue(1, curve, [(low[0] + high[0]) / 2])
    return x, y, z


def boundary(dim: int, entity: int) -> list[int]:
    """The tags of the (dim-1)-entities bounding `entity`."""
    import gmsh

    return [abs(t) for _, t in gmsh.model.getBoundary([(dim, entity)], combined=False, oriented=False)]


def refine_near(dim: int, entities: Sequence[int], size: float) -> None:
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


def generate_cells(dim: int, order: int) -> int:
    """Mesh the current model in `dim` dimensions with cells of `order`; return `dim`."""
    import gmsh

    gmsh.model.mesh.generate(dim)
    if order > 1:
        gmsh.model.mesh.setOrder(order)
    return dim


def add_physical_groups(dim: int, groups: Sequence[tuple[str, Sequence[int]]]) -> None:
    """Add the named physical groups of `dim`-entities with tags 1, 2, ... (empty ones skipped)."""
    import gmsh

    for tag, (name, entities) in enumerate(groups, start=1):
        if entities:
            gmsh.model.addPhysicalGroup(dim, list(entities), tag=tag, name=name)
