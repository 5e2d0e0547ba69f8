"""Particle densities on a DOLFINx mesh, and locating points in a distributed mesh.

The particles of a run are spread over the ranks independently of the mesh partition. The
positions are gathered on every rank (a few MB even for a million particles); each rank
finds which of them lie in its owned cells (bounding-box candidates, then exact barycentric
coordinates of the affine simplex), and a point on a partition boundary goes to the lowest
rank that owns a cell containing it. Every particle is thus counted exactly once.

Two estimates of the density ``rho = mass/N sum_p delta(x - x_p)``:

- ``"DG0"``: the histogram, particles per cell divided by the cell volume;
- ``"P1"``: cloud-in-cell, the lumped L2 projection ``u_i = int rho phi_i / int phi_i``:
  each particle gives its barycentric coordinates to the vertices of its cell. Its
  expectation is the same projection of the true density, and its integral is exactly
  ``mass``.

:func:`expected_density` gives, for a continuum density (e.g. a finite-element solution on
another mesh), what the P1 estimate from N particles drawn from it would be on average and
how far from that it would be by chance (its expected L1 error), so particle and continuum
densities are compared like with like.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import dolfinx
import numpy as np
import ufl

from mpi4py import MPI

__all__ = [
    "DENSITY_KINDS",
    "ExpectedDensity",
    "PointLocation",
    "expected_density",
    "gather_points",
    "locate_points",
    "lumped_mass",
    "particle_density",
]

#: Finite-element spaces a particle density can be estimated in.
DENSITY_KINDS = ("P1", "DG0")

_TOLERANCE = 1e-10


@dataclass(frozen=True)
class PointLocation:
    """Where points lie: the points this rank owns, their cells and barycentric coordinates.

    Attributes:
        index: Positions (in the gathered array of all points) of the points this rank owns.
        cells: Their local (owned) cells.
        barycentric: Their barycentric coordinates in those cells, shape (k, tdim + 1).
    """

    index: np.ndarray
    cells: np.ndarray
    barycentric: np.ndarray


def _affine_simplex_check(mesh: dolfinx.mesh.Mesh) -> None:
    tdim = mesh.topology.dim
    if (
        mesh.topology.cell_type
        not in (dolfinx.mesh.CellType.interval, dolfinx.mesh.CellType.triangle, dolfinx.mesh.CellType.tetrahedron)
        or mesh.geometry.dim != tdim
    ):
        raise ValueError(
            "particle densities need a simplex mesh (intervals, triangles, tetrahedra) with "
            f"geometric dimension = topological dimension, got {mesh.topology.cell_type.name} "
            f"in {mesh.geometry.dim}-D"
        )


def locate_points(mesh: dolfinx.mesh.Mesh, points: np.ndarray) -> PointLocation:
    """Locate the same points (given on every rank, shape (N, gdim)) in the owned cells; collective.

    Raises:
        ValueError: if some points lie in no cell of the mesh.
    """
    _affine_simplex_check(mesh)
    comm = mesh.comm
    tdim = mesh.topology.dim
    padded = np.zeros((len(points), 3))
    padded[:, :tdim] = points
    owned = mesh.topology.index_map(tdim).size_local
    tree = dolfinx.geometry.bb_tree(mesh, tdim, entities=np.arange(owned, dtype=np.int32), padding=1e-12)
    candidates = dolfinx.geometry.compute_collisions_points(tree, padded)
    point_of = np.repeat(np.arange(len(points)), np.diff(candidates.offsets))
    cells = candidates.array
    barycentric = _barycentric(mesh, cells, points[point_of])
    inside = barycentric.min(axis=1) >= -_TOLERANCE
    point_of, cells, barycentric = point_of[inside], cells[inside], barycentric[inside]
    first_points, first = np.unique(point_of, return_index=True)

    owner = np.full(len(points), comm.size, dtype=np.int32)
    owner[first_points] = comm.rank
    comm.Allreduce(MPI.IN_PLACE, owner, op=MPI.MIN)
    lost = int(np.count_nonzero(owner == comm.size))
    if lost:
        raise ValueError(f"{lost} of {len(points)} particles lie outside the mesh")
    mine = owner[first_points] == comm.rank
    bary = np.clip(barycentric[first[mine]], 0.0, None)
    return PointLocation(first_points[mine], cells[first[mine]], bary / bary.sum(axis=1, keepdims=True))


def _barycentric(mesh: dolfinx.mesh.Mesh, cells: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Barycentric coordinates of points (k, tdim) in the affine simplices `cells` (k,)."""
    tdim = mesh.topology.dim
    vertices = mesh.geometry.x[mesh.geometry.dofmaps[0][cells, : tdim + 1]][:, :, :tdim]
    jacobian = (vertices[:, 1:, :] - vertices[:, :1, :]).transpose(0, 2, 1)
    local = np.linalg.solve(jacobian, (points - vertices[:, 0, :])[..., None])[..., 0]
    return np.column_stack([1 - local.sum(axis=1), local])


def gather_points(comm: MPI.Comm, points: np.ndarray, dimension: int) -> np.ndarray:
    """All ranks' points concatenated in rank order, on every rank."""
    points = np.ascontiguousarray(points, dtype=float).reshape(-1, dimension)
    counts = np.array(comm.allgather(points.size))
    gathered = np.empty(counts.sum(), dtype=float)
    comm.Allgatherv(points.ravel(), (gathered, counts))
    return gathered.reshape(-1, dimension)


def lumped_mass(space: dolfinx.fem.FunctionSpace) -> np.ndarray:
    """``int phi_i dx`` of the owned and ghost dofs of a scalar space (cell volumes for DG0)."""
    vector = dolfinx.fem.assemble_vector(dolfinx.fem.form(ufl.TestFunction(space) * ufl.dx))
    vector.scatter_reverse(dolfinx.la.InsertMode.add)
    vector.scatter_forward()
    return vector.array.copy()


def particle_density(
    mesh: dolfinx.mesh.Mesh, positions: np.ndarray, *, kind: str = "P1", mass: float = 1.0
) -> dolfinx.fem.Function:
    """The density of the particles of all ranks as a finite-element function; collective.

    Args:
        mesh: A simplex mesh covering the particles.
        positions: This rank's particle positions, shape (N_local, gdim).
        kind: "P1" (cloud-in-cell) or "DG0" (histogram).
        mass: Total mass the particles of all ranks represent together.

    Returns:
        The density, whose integral is `mass`.
    """
    if kind not in DENSITY_KINDS:
        raise ValueError(f"density kind {kind!r} is unknown; choose one of: {', '.join(DENSITY_KINDS)}")
    tdim = mesh.topology.dim
    points = gather_points(mesh.comm, positions, tdim)
    if not len(points):
        raise ValueError("there are no particles to estimate a density from")
    location = locate_points(mesh, points)
    space = dolfinx.fem.functionspace(mesh, ("Lagrange", 1) if kind == "P1" else ("DG", 0))
    density = dolfinx.fem.Function(space, name="particle density")
    dofs = space.dofmap.list[location.cells]
    weights = location.barycentric if kind == "P1" else np.ones((len(location.cells), 1))
    np.add.at(density.x.array, dofs.ravel(), (mass / len(points) * weights).ravel())
    density.x.scatter_reverse(dolfinx.la.InsertMode.add)
    density.x.array[:] /= lumped_mass(space)
    density.x.scatter_forward()
    return density


@dataclass(frozen=True)
class ExpectedDensity:
    """The expectation of the P1 cloud-in-cell estimate of a continuum density, on a mesh.

    Attributes:
        function: ``int rho phi_i / int phi_i`` as a P1 function (normalised to `mass`).
        second_moment: ``int rho phi_i^2 / mass`` for the owned dofs (for the estimator's variance).
        lumped: ``int phi_i`` for the owned dofs.
        mass: The total mass the comparison assumes.
    """

    function: dolfinx.fem.Function
    second_moment: np.ndarray
    lumped: np.ndarray
    mass: float

    @property
    def _owned(self) -> np.ndarray:
        return self.function.x.array[: len(self.lumped)]

    def l1_distance(self, estimate: dolfinx.fem.Function) -> float:
        """``sum_i m_i |estimate_i - expected_i|`` (lumped L1) to a P1 estimate on the same mesh; collective."""
        difference = np.abs(estimate.x.array[: len(self.lumped)] - self._owned)
        return self.function.function_space.mesh.comm.allreduce(float(self.lumped @ difference), op=MPI.SUM)

    def statistical_l1(self, count: int) -> float:
        """The expected lumped L1 error of the estimate from `count` particles (normal approximation); collective.

        ``sum_i m_i sqrt(2/pi) sd_i`` with ``sd_i^2 = mass^2 (int rho phi_i^2 - (int rho phi_i)^2)/(count m_i^2)``
        (rho normalised to mass 1).
        """
        first = self._owned * self.lumped / self.mass
        variance = np.maximum(self.second_moment - first**2, 0.0) * self.mass**2 / (count * self.lumped**2)
        local = float(self.lumped @ (math.sqrt(2 / math.pi) * np.sqrt(variance)))
        return self.function.function_space.mesh.comm.allreduce(local, op=MPI.SUM)


def expected_density(
    density: dolfinx.fem.Function, mesh: dolfinx.mesh.Mesh, mass: float | None = None
) -> ExpectedDensity:
    """What the P1 estimate on `mesh` of particles drawn from `density` (on any mesh) is on average; collective.

    `density` is interpolated into P3 on `mesh` (non-matching interpolation, parallel) and
    integrated against the P1 basis there.

    Args:
        density: A scalar finite-element function (not necessarily normalised).
        mesh: The simplex mesh the particle density is estimated on.
        mass: The particles' total mass (default: the integral of `density`).
    """
    _affine_simplex_check(mesh)
    P1, P3 = (dolfinx.fem.functionspace(mesh, ("Lagrange", k)) for k in (1, 3))
    cells = np.arange(mesh.topology.index_map(mesh.topology.dim).size_local, dtype=np.int32)
    rho = dolfinx.fem.Function(P3)
    data = dolfinx.fem.create_interpolation_data(P3, density.function_space, cells)
    rho.interpolate_nonmatching(density, cells, data)
    integral = mesh.comm.allreduce(dolfinx.fem.assemble_scalar(dolfinx.fem.form(rho * ufl.dx)), op=MPI.SUM)
    mass = integral if mass is None else mass
    phi = ufl.TestFunction(P1)
    first = dolfinx.fem.assemble_vector(dolfinx.fem.form(rho * phi * ufl.dx))
    first.scatter_reverse(dolfinx.la.InsertMode.add)
    first.scatter_forward()
    second = dolfinx.fem.assemble_matrix(dolfinx.fem.form(rho * phi * ufl.TrialFunction(P1) * ufl.dx))
    second.scatter_reverse()
    owned = P1.dofmap.index_map.size_local
    lumped = lumped_mass(P1)
    expected = dolfinx.fem.Function(P1, name="expected density")
    expected.x.array[:] = first.array * (mass / integral) / lumped
    expected.x.scatter_forward()
    return ExpectedDensity(expected, second.to_scipy().diagonal()[:owned] / integral, lumped[:owned], mass)
