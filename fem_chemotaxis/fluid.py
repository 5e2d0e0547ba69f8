"""A :class:`~fem_chemotaxis.model.flow.Flow` on a mesh: Taylor-Hood spaces, velocity and
pressure, boundary conditions by name, and the forms of the flow equations.

The velocity is continuous P2 (vector), the pressure continuous P1 (Taylor-Hood, inf-sup
stable). A prescribed velocity is interpolated into the same P2 space at every step. The
:class:`~fem_chemotaxis.simulation.Simulation` decides how the flow is solved (with the
species in one Newton solve, or before them); this class holds the state of the flow at the
new and the previous time level, and restores it when a step is rejected.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import dolfinx.fem
import dolfinx.mesh
import numpy as np
import ufl

from mpi4py import MPI

from fem_chemotaxis.config.settings import SolverSettings
from fem_chemotaxis.expressions import NUMPY_FUNCTIONS, Expression
from fem_chemotaxis.expressions.ufl_backend import UFL_FUNCTIONS
from fem_chemotaxis.mesh.tagged_mesh import TaggedMesh
from fem_chemotaxis.model.flow import Flow
from fem_chemotaxis.solvers.flow import FlowSolver, flow_preset_options
from fem_chemotaxis.solvers.forcing import chooses_forcing
from fem_chemotaxis.solvers.nonlinear import NonlinearSolver, SolveReport, Split, preset_options
from fem_chemotaxis.terms.advection import Advection
from fem_chemotaxis.terms.stokes import continuity_residual, momentum_residual, pressure_mass

__all__ = ["FluidFlow"]

#: Evaluates a model expression to UFL at one time level (species, parameters, x, t).
Evaluate = Callable[[Expression], ufl.core.expr.Expr]


class FluidFlow:
    """Velocity (P2) and pressure (P1) of a flow on a mesh, with their boundary conditions.

    Args:
        flow: The flow description.
        mesh: The mesh with its named physical groups.
        parameters: The model's parameter values (for boundary and prescribed velocities).
        t_start: Initial time.

    Attributes:
        velocity: The velocity at the new time level (name "velocity").
        pressure: The pressure at the new time level (name "pressure"); mean zero when no
            boundary fixes its level.
        bcs: Dirichlet conditions on the velocity (empty for a prescribed flow).
        null_space: Whether the pressure is determined only up to a constant.
        solver: The solver of the flow alone (for solved flows; set by the simulation, or by
            :meth:`for_state`).
    """

    def __init__(self, flow: Flow, mesh: TaggedMesh, parameters: Mapping[str, float], t_start: float = 0.0):
        self.flow = flow
        self.tagged_mesh = mesh
        self.mesh = mesh.mesh
        self.comm: MPI.Comm = self.mesh.comm
        self.parameters = dict(parameters)
        gdim = self.mesh.geometry.dim
        if flow.dimension is not None and flow.dimension != gdim:
            raise ValueError(
                f"[model.flow] vectors have {flow.dimension} components but the mesh is {gdim}-D; "
                f"give {gdim} (one per direction)"
            )
        self.V = dolfinx.fem.functionspace(self.mesh, ("Lagrange", 2, (gdim,)))
        self.Q = dolfinx.fem.functionspace(self.mesh, ("Lagrange", 1))
        self.velocity = dolfinx.fem.Function(self.V, name="velocity")
        self.pressure = dolfinx.fem.Function(self.Q, name="pressure")
        self.velocity_old = dolfinx.fem.Function(self.V, name="velocity_old")
        self._pressure_old = dolfinx.fem.Function(self.Q)
        self.null_space = flow.solved and not flow.has_outflow()
        self.solver: FlowSolver | None = None
        fdim = self.mesh.topology.dim - 1
        self.mesh.topology.create_connectivity(fdim, fdim + 1)
        self._ds = ufl.Measure("ds", domain=self.mesh, subdomain_data=mesh.facet_tags)
        self._boundary_values: list[tuple[dolfinx.fem.Function, Sequence[Expression]]] = []
        self.bcs = self._boundary_conditions() if flow.solved else []
        self._prescribed = self._prescribed_values()
        if flow.file is not None:
            self._read_velocity_file()
        self._volume = self.comm.allreduce(
            dolfinx.fem.assemble_scalar(dolfinx.fem.form(1.0 * ufl.dx(domain=self.mesh))), op=MPI.SUM
        )
        self._pressure_integral = dolfinx.fem.form(self.pressure * ufl.dx)
        self._divergence = dolfinx.fem.form(ufl.div(self.velocity) ** 2 * ufl.dx)
        self.prepare(t_start)
        if self.null_space and self._boundary_values:
            self._check_net_inflow()

    @classmethod
    def for_state(
        cls,
        flow: Flow,
        mesh: TaggedMesh,
        parameters: Mapping[str, float],
        species: Mapping[str, ufl.core.expr.Expr],
        t: float,
        preset: str = "direct",
    ) -> FluidFlow:
        """The flow of given species values at time t (e.g. to draw a stored state).

        Args:
            flow: The flow description.
            mesh: The mesh with its named physical groups.
            parameters: Parameter values (subdomain values are not applied).
            species: Values of every species the flow's expressions use (e.g. Functions).
            t: The time.
            preset: Solver preset of the flow ("direct", "iterative" or "auto").

        Raises:
            RuntimeError: if the flow solve does not converge.
        """
        fluid = cls(flow, mesh, parameters, t)
        if flow.solved:
            x = ufl.SpatialCoordinate(fluid.mesh)
            symbols = {**parameters, **{n: x[i] for i, n in enumerate("xyz"[: x.ufl_shape[0]])}, **species, "t": t}
            fluid.attach_solver(lambda expr: expr.evaluate(symbols, UFL_FUNCTIONS), preset)
            report = fluid.solve()
            if not report.converged:
                raise RuntimeError(f"the flow at t = {t:.6g} did not converge (SNES reason {report.reason})")
        fluid.accept()
        return fluid

    def attach_solver(
        self,
        value: Evaluate,
        preset: str,
        petsc_options: Mapping[str, Any] | None = None,
        split: Split | None = None,
    ) -> None:
        """Build :attr:`solver`, the solver of the flow alone.

        Args:
            value: Evaluates the model's expressions (the species at the state the flow is for).
            preset: Solver preset ("direct", "iterative" or "auto").
            petsc_options: PETSc options merged over the preset.
            split: Inputs to keep the step-constant part of its Jacobian (the Stokes blocks).
        """
        options = {
            **flow_preset_options(
                preset,
                [],
                self.num_dofs,
                self.null_space,
                self.mesh.topology.dim,
                exact_factors=self.coupling == "split",
            ),
            **(petsc_options or {}),
        }
        self.solver = FlowSolver(
            self.residuals(value),
            self.unknowns,
            options,
            self.bcs,
            self.pressure_preconditioner(value),
            self.null_space,
            split,
            forcing=chooses_forcing(options, petsc_options or {}),
        )

    def step_solver(
        self,
        residuals: Sequence[ufl.Form],
        unknowns: Sequence[dolfinx.fem.Function],
        bcs: Sequence[dolfinx.fem.DirichletBC],
        start: Evaluate,
        new: Evaluate,
        solver: SolverSettings,
        split: Split | None = None,
    ) -> NonlinearSolver | FlowSolver:
        """The solver of a step of the species (residuals, unknowns, bcs) in this flow.

        It also attaches the solver of the flow alone (:attr:`solver`), which sees the species
        at the start of the step (expressions evaluated by `start`): it gives the initial flow
        and, with ``coupling = "split"``, the flow of each step before the species are solved
        with it. A monolithic step solves species, velocity and pressure in one Newton
        iteration (expressions evaluated by `new`, at the new time level). Either Newton solver
        keeps the part of its Jacobian that changes only with the step size if `split` is given
        (see :class:`~fem_chemotaxis.solvers.flow.FlowSolver`).
        """
        self.attach_solver(start, solver.preset, solver.petsc, split)
        names = [f.name for f in unknowns]
        species_dofs = sum(f.function_space.dofmap.index_map.size_global for f in unknowns)
        if self.coupling == "split":
            tdim = unknowns[0].function_space.mesh.topology.dim
            options = {**preset_options(solver.preset, names, species_dofs, tdim), **solver.petsc}
            forcing = chooses_forcing(options, solver.petsc)  # as for species without a flow
            return NonlinearSolver(residuals, unknowns, options, bcs, split=split, forcing=forcing)
        options = {
            **flow_preset_options(
                solver.preset, names, species_dofs + self.num_dofs, self.null_space, self.mesh.topology.dim
            ),
            **solver.petsc,
        }
        return FlowSolver(
            [*residuals, *self.residuals(new)],
            [*unknowns, *self.unknowns],
            options,
            [*bcs, *self.bcs],
            self.pressure_preconditioner(new),
            self.null_space,
            split,
            forcing=chooses_forcing(options, solver.petsc),
        )

    @property
    def coupling(self) -> str:
        """ "monolithic" or "split" (see :data:`~fem_chemotaxis.model.flow.FLOW_COUPLINGS`)."""
        return self.flow.coupling

    @property
    def unknowns(self) -> list[dolfinx.fem.Function]:
        """Velocity and pressure, in the order of the flow's residuals."""
        return [self.velocity, self.pressure]

    @property
    def num_dofs(self) -> int:
        """Global number of velocity and pressure unknowns."""
        return sum(V.dofmap.index_map.size_global * V.dofmap.index_map_bs for V in (self.V, self.Q))

    def advection(self, species: Sequence[str]) -> Advection:
        """The advective terms: the advected species and the outflow boundaries."""
        return Advection(frozenset(self.flow.advected_species(species)), self._measure("outflow"))

    def residuals(self, value: Evaluate) -> list[ufl.Form]:
        """Momentum and continuity residuals, with `value` evaluating the model's expressions."""
        v, q = ufl.TestFunction(self.V), ufl.TestFunction(self.Q)
        force = ufl.as_vector([value(e) for e in self.flow.body_force]) if self.flow.body_force else None
        density = None
        if self.flow.kind == "navier-stokes":
            density = value(self.flow.density) if self.flow.density is not None else 1.0
        momentum = momentum_residual(
            self.velocity, self.pressure, v, value(self.flow.eta), force, density, self.flow.grad_div
        )
        return [momentum, continuity_residual(self.velocity, q)]

    def pressure_preconditioner(self, value: Evaluate) -> ufl.Form:
        """The scaled pressure mass matrix that preconditions the Schur complement."""
        q = ufl.TestFunction(self.Q)
        return pressure_mass(ufl.TrialFunction(self.Q), q, value(self.flow.eta), self.flow.grad_div)

    def prepare(self, t: float) -> None:
        """Boundary velocities (and a prescribed velocity) at time t."""
        for function, vector in self._boundary_values:
            function.interpolate(self._pointwise(vector, t))
        prescribed = self._prescribed
        if prescribed is not None:
            self.velocity.interpolate(lambda x: prescribed(x, t))

    def solve(self) -> SolveReport:
        """Solve the flow alone (for the species at the start of the step).

        With ``coupling = "monolithic"`` this gives only the initial flow (and the flow after a
        restart or re-meshing): the solver's LU factors are freed afterwards, so that they do not
        stay beside the coupled system's for the whole run."""
        if self.solver is None:
            raise RuntimeError("this flow has no solver of its own (prescribed, or not attached to a simulation)")
        report = self.solver.solve()
        if self.coupling == "monolithic":
            self.solver.release_factors()
        return report

    def accept(self) -> None:
        """Make the new state the old one (after fixing the pressure level if it is free)."""
        if self.null_space:
            mean = self.comm.allreduce(dolfinx.fem.assemble_scalar(self._pressure_integral), op=MPI.SUM) / self._volume
            self.pressure.x.array[:] -= mean
        self.velocity_old.x.array[:] = self.velocity.x.array
        self._pressure_old.x.array[:] = self.pressure.x.array

    def reject(self) -> None:
        """Restore the state of the last accepted step."""
        self.velocity.x.array[:] = self.velocity_old.x.array
        self.pressure.x.array[:] = self._pressure_old.x.array

    def statistics(self) -> dict[str, float]:
        """Largest nodal speed and the L2 norm of div w."""
        values = self.velocity.x.array.reshape(-1, self.V.dofmap.index_map_bs)
        owned = values[: self.V.dofmap.index_map.size_local]
        speed = float(np.sqrt((owned**2).sum(axis=1)).max(initial=0.0))
        divergence = self.comm.allreduce(dolfinx.fem.assemble_scalar(self._divergence), op=MPI.SUM)
        return {
            "max_speed": float(self.comm.allreduce(speed, op=MPI.MAX)),
            "divergence_l2": float(np.sqrt(max(divergence, 0.0))),
        }

    def _pointwise(self, vector: Sequence[Expression], t: float) -> Callable[[np.ndarray], np.ndarray]:
        """A vector of expressions (x, y, z, t, parameters) as a function of points (3, N)."""

        def evaluate(x: np.ndarray) -> np.ndarray:
            symbols = {"x": x[0], "y": x[1], "z": x[2], "t": t, **self.parameters}
            return np.vstack([np.broadcast_to(e.evaluate(symbols, NUMPY_FUNCTIONS), x.shape[1:]) for e in vector])

        return evaluate

    def _facets(self, names: Sequence[str]) -> np.ndarray:
        fdim = self.mesh.topology.dim - 1
        tags = [self.tagged_mesh.tag(name, fdim) for name in names]
        found = [self.tagged_mesh.facet_tags.find(t) for t in tags]  # type: ignore[union-attr]
        return np.unique(np.concatenate(found)).astype(np.int32)

    def _measure(self, kind: str) -> ufl.Measure | None:
        """The boundary measure of all flow boundaries of one kind, or None if there are none."""
        fdim = self.mesh.topology.dim - 1
        tags = tuple(self.tagged_mesh.tag(n, fdim) for b in self.flow.boundaries if b.kind == kind for n in b.on)
        return self._ds(tags) if tags else None

    def _boundary_conditions(self) -> list[dolfinx.fem.DirichletBC]:
        """Dirichlet conditions of the named boundaries; no-slip on every boundary not named."""
        fdim = self.mesh.topology.dim - 1
        gdim = self.mesh.geometry.dim
        bcs, named = [], []
        zero = np.zeros(gdim, dtype=dolfinx.default_scalar_type)
        for k, b in enumerate(self.flow.boundaries):
            facets = self._facets(b.on)
            named.append(facets)
            if b.kind == "no-slip":
                bcs.append(
                    dolfinx.fem.dirichletbc(zero, dolfinx.fem.locate_dofs_topological(self.V, fdim, facets), self.V)
                )
            elif b.kind == "velocity":
                value = dolfinx.fem.Function(self.V)
                self._boundary_values.append((value, b.value))  # type: ignore[arg-type]
                bcs.append(dolfinx.fem.dirichletbc(value, dolfinx.fem.locate_dofs_topological(self.V, fdim, facets)))
            elif b.kind == "free-slip":
                for axis, part in self._facets_by_normal_axis(facets, f"model.flow.boundary[{k}]").items():
                    sub = self.V.sub(axis)
                    dofs = dolfinx.fem.locate_dofs_topological(sub, fdim, part)
                    bcs.append(dolfinx.fem.dirichletbc(dolfinx.default_scalar_type(0), dofs, sub))
        exterior = dolfinx.mesh.exterior_facet_indices(self.mesh.topology)
        walls = np.setdiff1d(exterior, np.concatenate(named) if named else np.empty(0, np.int32)).astype(np.int32)
        # No-slip first: where a wall meets a named boundary, the named condition wins.
        return [dolfinx.fem.dirichletbc(zero, dolfinx.fem.locate_dofs_topological(self.V, fdim, walls), self.V), *bcs]

    def _facets_by_normal_axis(self, facets: np.ndarray, where: str) -> dict[int, np.ndarray]:
        """Facets grouped by the coordinate axis they are perpendicular to (free slip)."""
        fdim = self.mesh.topology.dim - 1
        nodes = dolfinx.mesh.entities_to_geometry(self.mesh, fdim, facets)
        coordinates = self.mesh.geometry.x[nodes][:, :, : self.mesh.geometry.dim]
        spread = np.ptp(coordinates, axis=1)  # (facets, gdim): extent of each facet along each axis
        axis = np.argmin(spread, axis=1)
        size = np.max(spread, axis=1)
        oblique = bool(np.any(spread[np.arange(len(facets)), axis] > 1e-8 * size))
        if self.comm.allreduce(oblique, op=MPI.LOR):
            raise ValueError(
                f"[{where}] type = \"free-slip\" needs boundaries perpendicular to a coordinate axis "
                "(w.n = 0 is imposed on one velocity component); use \"no-slip\" on curved or oblique walls"
            )
        return {a: facets[axis == a] for a in range(self.mesh.geometry.dim)}

    def _check_net_inflow(self) -> None:
        """A closed domain (no outflow) cannot take a net inflow of an incompressible fluid."""
        normal = ufl.FacetNormal(self.mesh)
        fdim = self.mesh.topology.dim - 1
        tags = tuple(self.tagged_mesh.tag(n, fdim) for b in self.flow.boundaries if b.kind == "velocity" for n in b.on)
        flux = sum(ufl.dot(function, normal) for function, _ in self._boundary_values)
        net = dolfinx.fem.form(flux * self._ds(tags))
        speed = sum(ufl.sqrt(ufl.dot(function, function)) for function, _ in self._boundary_values)
        scale = dolfinx.fem.form(speed * self._ds(tags))
        net_value = self.comm.allreduce(dolfinx.fem.assemble_scalar(net), op=MPI.SUM)
        scale_value = self.comm.allreduce(dolfinx.fem.assemble_scalar(scale), op=MPI.SUM)
        if abs(net_value) > 1e-6 * scale_value:
            raise ValueError(
                f"[model.flow.boundary] the \"velocity\" boundaries carry a net inflow of {net_value:.3g} "
                "into a closed domain; an incompressible flow needs an \"outflow\" boundary"
            )

    def _prescribed_values(self) -> Callable[[np.ndarray, float], np.ndarray] | None:
        """A prescribed velocity given by expressions or a function, of points (3, N) and time."""
        velocity = self.flow.velocity
        if isinstance(velocity, tuple):
            return lambda x, t: self._pointwise(velocity, t)(x)
        if velocity is not None:
            gdim = self.mesh.geometry.dim
            return lambda x, t: np.asarray(velocity(x, t), dtype=float).reshape(gdim, -1)
        return None

    def _read_velocity_file(self) -> None:
        """Set the (steady) velocity by sampling the point data of a VTK file at the nodes, linearly."""
        import pyvista

        flow, gdim = self.flow, self.mesh.geometry.dim
        where = f"[model.flow] file = '{flow.file}'"
        try:
            data = pyvista.read(str(flow.file))
        except Exception as err:  # pyvista raises many kinds for unreadable files
            raise ValueError(f"{where} cannot be read: {err}") from None
        if isinstance(data, pyvista.MultiBlock):
            data = data.combine()
        array = data.point_data.get(flow.file_array)
        if array is None or array.ndim != 2 or array.shape[1] < gdim:
            raise ValueError(
                f"{where} has no point array '{flow.file_array}' (file_array) with {gdim} components; "
                f"its point arrays: {', '.join(data.point_data.keys()) or '(none)'}"
            )
        nodes = self.V.tabulate_dof_coordinates()
        probe = pyvista.PolyData(np.ascontiguousarray(nodes)).sample(
            data, tolerance=1e-6 * data.length, snap_to_closest_point=True
        )
        outside = self.comm.allreduce(int(np.count_nonzero(probe.point_data["vtkValidPointMask"] == 0)), op=MPI.SUM)
        if outside:
            raise ValueError(f"{where} does not cover the mesh ({outside} mesh nodes lie outside it)")
        self.velocity.x.array[:] = np.asarray(probe.point_data[flow.file_array])[:, :gdim].ravel()
