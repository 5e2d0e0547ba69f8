"""A mesh that moves during a run: node positions per time level, propose / restore / accept.

The node positions of the accepted levels t_n and t_{n-1} are kept. A step first *proposes*
the positions at t_{n+1} (moving ``mesh.geometry.x`` before the nonlinear solve, so that every
form is assembled on Omega_{n+1}); a rejected step *restores* the positions of t_n exactly; an
accepted one shifts the levels. The time schemes see the motion through :attr:`levels`: the
displacements x_{n+1} - x_n and x_{n+1} - x_{n-1} as Functions of the vector coordinate-element
space (see :class:`~fem_chemotaxis.time.levels.MeshLevels`).
"""

from __future__ import annotations

from collections.abc import Mapping

import dolfinx.fem
import dolfinx.mesh
import numpy as np
import ufl

from mpi4py import MPI

from fem_chemotaxis.expressions import NUMPY_FUNCTIONS
from fem_chemotaxis.mesh.tagged_mesh import TaggedMesh
from fem_chemotaxis.motion.extension import MeshExtension
from fem_chemotaxis.motion.mesh_motion import MeshMotion
from fem_chemotaxis.motion.normal_velocity import BoundaryNormalVelocity
from fem_chemotaxis.motion.quality import MeshQuality, cell_orientation, mesh_quality
from fem_chemotaxis.time.levels import MeshLevels

__all__ = ["POSITION", "MovingMesh", "place_geometry"]

#: Checkpoint name of the node positions of a moving mesh (a vector coordinate-element Function).
POSITION = "mesh_position"


def place_geometry(mesh: dolfinx.mesh.Mesh, positions: dolfinx.fem.Function) -> None:
    """Put the nodes of `mesh` at `positions`, a Function of its vector coordinate-element space."""
    node_dof = np.empty(mesh.geometry.x.shape[0], dtype=np.int64)
    node_dof[mesh.geometry.dofmaps[0]] = positions.function_space.dofmap.list
    gdim = mesh.geometry.dim
    mesh.geometry.x[:, :gdim] = positions.x.array.reshape(-1, gdim)[node_dof]


class MovingMesh:
    """Node positions of a mesh moving as `motion` says (created with the mesh at t_start).

    Args:
        motion: The kind of motion.
        mesh: The mesh, in its reference geometry (the positions at t_start).
        parameters: Model parameter values (for prescribed displacements).
        normal_speed: The normal speed as UFL in the states at t_n (solution-driven motion).
    """

    def __init__(
        self,
        motion: MeshMotion,
        mesh: TaggedMesh,
        parameters: Mapping[str, float],
        normal_speed: ufl.core.expr.Expr | None = None,
    ):
        self.motion = motion
        self.mesh = mesh.mesh
        self.parameters = dict(parameters)
        geometry = self.mesh.geometry
        self.gdim = gdim = geometry.dim
        degree = geometry.cmaps[0].degree
        self.space = dolfinx.fem.functionspace(self.mesh, ("Lagrange", degree, (gdim,)))
        n_dofs = self.space.dofmap.index_map.size_local + self.space.dofmap.index_map.num_ghosts
        if n_dofs != geometry.x.shape[0]:
            raise ValueError(
                f"mesh motion: the coordinate space has {n_dofs} nodes, the geometry {geometry.x.shape[0]}"
            )
        # Geometry node -> node of the coordinate space (same element, same cell-local order).
        self._node_dof = np.empty(geometry.x.shape[0], dtype=np.int64)
        self._node_dof[geometry.dofmaps[0]] = self.space.dofmap.list
        self.reference = np.empty((n_dofs, gdim))
        self.reference[self._node_dof] = geometry.x[:, :gdim]
        self.current = self.reference.copy()  # positions at t_n (node order of the space)
        self.previous = self.reference.copy()  # at t_{n-1}
        self.proposed: np.ndarray | None = None
        self.orientation = cell_orientation(self.mesh)
        self._volume_form = dolfinx.fem.form(dolfinx.fem.Constant(self.mesh, 1.0) * ufl.dx(domain=self.mesh))
        self.reference_volume = self.volume()

        self.to_old = dolfinx.fem.Function(self.space, name="mesh_step")
        self.to_older = dolfinx.fem.Function(self.space, name="mesh_two_steps")
        self.levels = MeshLevels(self.to_old, self.to_older, relative=not motion.is_growth)

        self.centre = np.array(motion.centre) if motion.centre else self._centroid()
        if motion.is_growth and len(self.centre) != gdim:
            raise ValueError(
                f"[mesh.motion] centre must have {gdim} coordinates on this mesh, got {list(motion.centre)}"
            )
        if motion.kind == "prescribed" and len(motion.displacement) != gdim:
            raise ValueError(
                f"[mesh.motion] displacement must have {gdim} expressions on this {gdim}-D mesh, "
                f"got {len(motion.displacement)}"
            )
        self.moving_nodes = self._boundary_nodes(mesh, motion.boundaries)
        self.extension = MeshExtension(self.space, motion.extension) if motion.needs_extension else None
        self.normal_velocity = None
        if motion.kind == "solution-driven":
            if normal_speed is None:
                raise ValueError("solution-driven mesh motion needs the normal speed")
            if degree != 1:
                raise ValueError("[mesh.motion] kind = \"solution-driven\" needs a mesh of straight cells (order 1)")
            fdim = self.mesh.topology.dim - 1
            tags = tuple(mesh.tag(name, fdim) for name in motion.boundaries)
            ds = ufl.Measure("ds", domain=self.mesh, subdomain_data=mesh.facet_tags)(tags)
            self.normal_velocity = BoundaryNormalVelocity(self.space, ds, normal_speed)

    def _centroid(self) -> np.ndarray:
        x = ufl.SpatialCoordinate(self.mesh)
        moments = [dolfinx.fem.assemble_scalar(dolfinx.fem.form(x[i] * ufl.dx)) for i in range(self.gdim)]
        return np.array(self.mesh.comm.allreduce(np.array(moments), op=MPI.SUM)) / self.reference_volume

    def _boundary_nodes(self, mesh: TaggedMesh, names: tuple[str, ...]) -> np.ndarray:
        """Nodes on the named boundaries (which must be on the domain boundary)."""
        fdim = self.mesh.topology.dim - 1
        self.mesh.topology.create_connectivity(fdim, fdim + 1)
        exterior = dolfinx.mesh.exterior_facet_indices(self.mesh.topology)
        facets = []
        for name in names:
            try:
                tag = mesh.tag(name, fdim)
            except ValueError as err:
                raise ValueError(f"[mesh.motion] boundaries: {err}") from None
            found = mesh.facet_tags.find(tag)  # type: ignore[union-attr]
            owned = found[found < self.mesh.topology.index_map(fdim).size_local]
            inner = self.mesh.comm.allreduce(int(np.setdiff1d(owned, exterior).size), op=MPI.SUM)
            if inner:
                raise ValueError(
                    f"[mesh.motion] boundaries: '{name}' has {inner} facets inside the domain; only the "
                    "domain boundary can move"
                )
            facets.append(found)
        if not facets:
            return np.empty(0, dtype=np.int32)
        return dolfinx.fem.locate_dofs_topological(self.space, fdim, np.unique(np.concatenate(facets)))

    def _positions(self, t_new: float, dt: float) -> np.ndarray:
        """Node positions at t_new (from the accepted state at t_new - dt)."""
        motion, X = self.motion, self.reference
        if motion.is_growth:
            return self.centre + motion.scale(t_new) * (X - self.centre)
        if motion.kind == "prescribed":
            displacement = self._prescribed(t_new, self.moving_nodes if motion.boundaries else slice(None))
            if not motion.boundaries:
                return X + displacement
        else:
            assert self.normal_velocity is not None
            velocity = self.normal_velocity.velocities()[self.moving_nodes]
            displacement = self.current[self.moving_nodes] + dt * velocity - X[self.moving_nodes]
        assert self.extension is not None
        values = self.extension.values.x.array.reshape(-1, self.gdim)
        values[:] = 0.0
        values[self.moving_nodes] = displacement
        return X + self.extension.extend().x.array.reshape(-1, self.gdim)

    def _prescribed(self, t: float, nodes: np.ndarray | slice) -> np.ndarray:
        X = self.reference[nodes]
        coords = {name: X[:, i] if i < self.gdim else np.zeros(len(X)) for i, name in enumerate("xyz")}
        symbols = {**self.parameters, **coords, "t": t}
        return np.stack(
            [np.broadcast_to(e.evaluate(symbols, NUMPY_FUNCTIONS), (len(X),)) for e in self.motion.displacement],
            axis=1,
        )

    def _place(self, positions: np.ndarray) -> None:
        self.mesh.geometry.x[:, : self.gdim] = positions[self._node_dof]

    def propose(self, t_new: float, dt: float) -> MeshQuality:
        """Move the mesh to its positions at t_new; return the quality of the moved mesh (collective)."""
        self.proposed = self._positions(t_new, dt)
        self._place(self.proposed)
        self.to_old.x.array[:] = (self.proposed - self.current).ravel()
        self.to_older.x.array[:] = (self.proposed - self.previous).ravel()
        return mesh_quality(self.mesh, self.orientation)

    def restore(self) -> None:
        """Put the mesh back exactly where it was at t_n."""
        self._place(self.current)
        self.proposed = None

    def accept(self) -> None:
        """The proposed positions become those of t_n."""
        assert self.proposed is not None
        self.previous, self.current, self.proposed = self.current, self.proposed, None

    def positions(self, previous: bool = False) -> dolfinx.fem.Function:
        """Node positions at t_n (or t_{n-1}) as a Function of the coordinate space (checkpoints)."""
        function = dolfinx.fem.Function(self.space, name=POSITION)
        function.x.array[:] = (self.previous if previous else self.current).ravel()
        return function

    def set_positions(self, current: dolfinx.fem.Function, previous: dolfinx.fem.Function) -> None:
        """Continue from stored positions of t_n and t_{n-1} (a restart); the mesh moves to t_n."""
        self.current = current.x.array.reshape(-1, self.gdim).copy()
        self.previous = previous.x.array.reshape(-1, self.gdim).copy()
        self.proposed = None
        self._place(self.current)

    def volume(self) -> float:
        """|Omega| of the mesh as it is now (collective)."""
        return float(self.mesh.comm.allreduce(dolfinx.fem.assemble_scalar(self._volume_form), op=MPI.SUM))

    def quality(self) -> MeshQuality:
        """Minimum scaled Jacobian of the mesh as it is now (collective)."""
        return mesh_quality(self.mesh, self.orientation)
