"""Values of a field at points, and their adjoint: the misfit of observations at points.

Each point is handled by one rank (the lowest that owns a cell containing it); there the
values of the cell's basis functions at the point are computed once (by evaluating the
field with one degree of freedom set to 1), so that u(x) = sum_k phi_k(x) u_k and the
derivative of a point misfit with respect to u is a sum of phi_k(x) at the cell's dofs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import dolfinx.fem
import dolfinx.geometry
import dolfinx.la
import numpy as np

from mpi4py import MPI

__all__ = ["PointObservation", "PointSampler", "point_misfit"]


@dataclass(frozen=True)
class PointObservation:
    """A species' observed density at points (n, 2 or 3) at one time, with its weight."""

    time: float
    species: str
    points: np.ndarray
    values: np.ndarray
    weight: float = 1.0


class PointSampler:
    """Evaluates fields of a space at fixed points, and scatters point weights back onto dofs.

    Raises:
        ValueError: naming `where` if a point lies outside the mesh.
    """

    def __init__(self, space: dolfinx.fem.FunctionSpace, points: np.ndarray, where: str):
        mesh = space.mesh
        xyz = np.zeros((len(points), 3))
        xyz[:, : points.shape[1]] = points
        tree = dolfinx.geometry.bb_tree(mesh, mesh.topology.dim)
        cells = dolfinx.geometry.compute_colliding_cells(
            mesh, dolfinx.geometry.compute_collisions_points(tree, xyz), xyz
        )
        owned = mesh.topology.index_map(mesh.topology.dim).size_local
        first = np.array([next((c for c in cells.links(i) if c < owned), -1) for i in range(len(xyz))])
        ranks = mesh.comm.allgather(first >= 0)
        handler = np.array([next((r for r, found in enumerate(ranks) if found[i]), -1) for i in range(len(xyz))])
        if (handler < 0).any():
            raise ValueError(f"{where}: the point {points[handler < 0][0].tolist()} lies outside the mesh")
        self.space, self.comm = space, mesh.comm
        self.local = np.flatnonzero(handler == mesh.comm.rank)  # the points this rank handles
        unit = dolfinx.fem.Function(space)
        self.dofs, self.basis = [], []
        for i in self.local:
            dofs = space.dofmap.cell_dofs(int(first[i]))
            values = []
            for dof in dofs:
                unit.x.array[:] = 0.0
                unit.x.array[dof] = 1.0
                values.append(float(unit.eval(xyz[i], np.array([first[i]], dtype=np.int32))[0]))
            self.dofs.append(np.asarray(dofs))
            self.basis.append(np.array(values))

    def values(self, array: np.ndarray) -> np.ndarray:
        """The field with nodal values `array` at this rank's points (see ``local``)."""
        return np.array([phi @ array[dofs] for dofs, phi in zip(self.dofs, self.basis)])

    def scatter(self, weights: np.ndarray) -> np.ndarray:
        """sum over this rank's points of weight * phi_k(x) at the dofs, summed over ranks (owned entries)."""
        vector = dolfinx.la.vector(self.space.dofmap.index_map, self.space.dofmap.index_map_bs)
        for w, dofs, phi in zip(weights, self.dofs, self.basis):
            np.add.at(vector.array, dofs, w * phi)
        vector.scatter_reverse(dolfinx.la.InsertMode.add)
        return vector.array.copy()


def point_misfit(
    sampler: PointSampler, observation: PointObservation, log: bool
) -> Callable[[np.ndarray], tuple[float, np.ndarray]]:
    """weight/2 sum_j (rho(x_j) - d_j)^2 and its derivative in the nodal values of the unknown (collective).

    rho is the unknown, or exp(unknown) for a species in log-density variables (`log`).
    """
    data = observation.values[sampler.local]

    def evaluate(array: np.ndarray) -> tuple[float, np.ndarray]:
        unknown = sampler.values(array)
        rho = np.exp(unknown) if log else unknown
        slope = rho if log else np.ones_like(rho)
        residual = rho - data
        value = sampler.comm.allreduce(0.5 * observation.weight * float(residual @ residual), op=MPI.SUM)
        return value, sampler.scatter(observation.weight * residual * slope)

    return evaluate
