"""A model on a mesh: function spaces, unknowns, the discrete step, and managed stepping.

The sequence is explicit: spaces -> unknowns -> initial values -> residuals -> solver.
Solver state (Functions, constants) lives here, never on the user's model objects.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import dolfinx.fem
import numpy as np
import ufl
from mpi4py import MPI

from fem_chemotaxis.config.expressions import NUMPY_FUNCTIONS, Expression, point_noise
from fem_chemotaxis.mesh.tagged_mesh import TaggedMesh
from fem_chemotaxis.model.boundary import BoundaryCondition
from fem_chemotaxis.model.model import Model
from fem_chemotaxis.solvers.nonlinear import NonlinearSolver, SolveReport
from fem_chemotaxis.terms.spatial import Source, SpatialOperator
from fem_chemotaxis.time.theta import ThetaMethod

__all__ = ["Simulation", "StepRecord", "SolverFailure"]


class SolverFailure(RuntimeError):
    """The nonlinear solve kept failing down to the smallest allowed time step."""


@dataclass(frozen=True)
class StepRecord:
    """One accepted time step."""

    time: float
    dt: float
    newton_iterations: int
    krylov_iterations: int
    rejected: int


class Simulation:
    """A model discretised on a mesh, advanced in time with managed step failures.

    Args:
        model: The model description.
        mesh: The mesh with its named physical groups.
        initial: Initial value of every species (expressions in x, y, z and parameters).
        dt: Time step.
        t_start: Initial time.
        theta: Time discretisation parameter (1 = backward Euler).
        petsc_options: Overrides of the solver defaults.
        sources: Extra Python-defined sources per species (e.g. manufactured solutions).
        dt_min: Smallest step allowed when retrying failed solves (default dt/1024).
        boundary_conditions: Dirichlet/flux/Robin conditions on named boundaries (no-flux elsewhere).
        subdomain_parameters: Subdomain name -> parameter values that differ there.

    Non-local terms ``integral(u)`` are evaluated at the start of each step (explicitly).
    """

    def __init__(
        self,
        model: Model,
        mesh: TaggedMesh,
        initial: Mapping[str, Expression | float | str],
        *,
        dt: float,
        t_start: float = 0.0,
        theta: float = 1.0,
        petsc_options: Mapping[str, Any] | None = None,
        sources: Mapping[str, Source] | None = None,
        dt_min: float | None = None,
        boundary_conditions: Sequence[BoundaryCondition] = (),
        subdomain_parameters: Mapping[str, Mapping[str, float]] | None = None,
    ):
        if not dt > 0:
            raise ValueError(f"dt must be positive, got {dt}")
        self.model = model
        self.tagged_mesh = mesh
        self.mesh = mesh.mesh
        self.comm: MPI.Comm = self.mesh.comm
        self.dt_max = float(dt)
        self.dt_min = float(dt_min) if dt_min is not None else dt / 1024
        self.time = float(t_start)
        self.stepper = ThetaMethod(theta)

        # Spaces and unknowns: one Function per species, each in its own Lagrange space.
        self.spaces = {
            sp.name: dolfinx.fem.functionspace(self.mesh, ("Lagrange", sp.degree)) for sp in model.species
        }
        self.u = {name: dolfinx.fem.Function(V, name=name) for name, V in self.spaces.items()}
        self.u_old = {name: dolfinx.fem.Function(V, name=f"{name}_old") for name, V in self.spaces.items()}
        tests = {name: ufl.TestFunction(V) for name, V in self.spaces.items()}

        # Parameters and time as constants (changing them never recompiles a form); parameters
        # that differ between subdomains are piecewise-constant (DG0) functions instead.
        scalar = dolfinx.default_scalar_type
        self.parameters = self._parameters(subdomain_parameters or {})
        self._dt = dolfinx.fem.Constant(self.mesh, scalar(dt))
        self._t_old = dolfinx.fem.Constant(self.mesh, scalar(t_start))
        self._mass_forms = {name: dolfinx.fem.form(u * ufl.dx) for name, u in self.u.items()}
        self.integrals = {
            name: dolfinx.fem.Constant(self.mesh, scalar(0.0)) for name in model.integrated_species()
        }

        self.set_initial_values(initial)

        bcs, boundary_fluxes = self._boundary_conditions(boundary_conditions)
        operator = SpatialOperator(
            model, self.parameters, ufl.SpatialCoordinate(self.mesh), sources, boundary_fluxes, self.integrals
        )
        residuals = self.stepper.residuals(model, operator, self.u, self.u_old, tests, self._dt, self._t_old)
        self.solver = NonlinearSolver(residuals, [self.u[n] for n in model.species_names], petsc_options, bcs)
        self.history: list[StepRecord] = []

    def _parameters(self, subdomains: Mapping[str, Mapping[str, float]]) -> dict[str, Any]:
        """A Constant per parameter, or a DG0 Function where subdomains override its value."""
        scalar = dolfinx.default_scalar_type
        params: dict[str, Any] = {
            k: dolfinx.fem.Constant(self.mesh, scalar(v)) for k, v in self.model.parameters.items()
        }
        tdim = self.mesh.topology.dim
        for subdomain, values in subdomains.items():
            tag = self.tagged_mesh.tag(subdomain, tdim)
            cells = self.tagged_mesh.cell_tags.find(tag)  # type: ignore[union-attr]
            for name, value in values.items():
                if name not in params:
                    raise ValueError(
                        f"[subdomains.{subdomain}] '{name}' is not a parameter of model '{self.model.name}'; "
                        f"its parameters: {', '.join(self.model.parameters)}"
                    )
                if isinstance(params[name], dolfinx.fem.Constant):
                    field = dolfinx.fem.Function(dolfinx.fem.functionspace(self.mesh, ("DG", 0)), name=name)
                    field.x.array[:] = self.model.parameters[name]
                    params[name] = field
                dofs = params[name].function_space.dofmap.list[cells].ravel()
                params[name].x.array[dofs] = value
        for field in params.values():
            if isinstance(field, dolfinx.fem.Function):
                field.x.scatter_forward()
        return params

    def _boundary_conditions(
        self, conditions: Sequence[BoundaryCondition]
    ) -> tuple[list[dolfinx.fem.DirichletBC], list[tuple[BoundaryCondition, ufl.Measure]]]:
        """Dirichlet conditions (values updated every step) and measures of the flux/Robin boundaries."""
        fdim = self.mesh.topology.dim - 1
        ds = ufl.Measure("ds", domain=self.mesh, subdomain_data=self.tagged_mesh.facet_tags)
        bcs, fluxes = [], []
        self._dirichlet_values: list[tuple[dolfinx.fem.Function, Expression]] = []
        for k, bc in enumerate(conditions):
            bc.check(self.model.species_names, self.model.parameters, f"boundary[{k}]")
            tags = tuple(self.tagged_mesh.tag(name, fdim) for name in bc.on)
            if bc.kind != "dirichlet":
                fluxes.append((bc, ds(tags)))
                continue
            V = self.spaces[bc.species]
            facets = np.concatenate([self.tagged_mesh.facet_tags.find(t) for t in tags])  # type: ignore[union-attr]
            dofs = dolfinx.fem.locate_dofs_topological(V, fdim, facets)
            value = dolfinx.fem.Function(V)
            self._dirichlet_values.append((value, bc.value))
            bcs.append(dolfinx.fem.dirichletbc(value, dofs))
        self._update_dirichlet(self.time)
        return bcs, fluxes

    def _update_dirichlet(self, t: float) -> None:
        for function, expr in self._dirichlet_values:
            function.interpolate(self._pointwise(expr, t))

    @property
    def num_dofs(self) -> int:
        """Global number of unknowns of all species together."""
        return sum(V.dofmap.index_map.size_global * V.dofmap.index_map_bs for V in self.spaces.values())

    def set_initial_values(self, initial: Mapping[str, Expression | float | str]) -> None:
        """Interpolate the initial expressions (in x, y, z, t and the parameters) into the unknowns."""
        missing = [n for n in self.model.species_names if n not in initial]
        if missing:
            raise ValueError(f"[initial] has no value for species {', '.join(missing)}")
        for name, spec in initial.items():
            expr = spec if isinstance(spec, Expression) else Expression.parse(spec, f"[initial] {name}")
            self.u[name].interpolate(self._pointwise(expr, self.time))
            self.u[name].x.scatter_forward()
            self.u_old[name].x.array[:] = self.u[name].x.array

    def _pointwise(self, expr: Expression, t: float) -> Callable[[np.ndarray], np.ndarray]:
        """`expr` (in x, y, z, t, parameters and noise(seed)) as a function of points, for interpolation."""
        values = dict(self.model.parameters)

        def evaluate(x: np.ndarray) -> np.ndarray:
            symbols = {"x": x[0], "y": x[1], "z": x[2], "t": t, **values}
            functions = {**NUMPY_FUNCTIONS, "noise": lambda seed: point_noise(x, seed)}
            return np.broadcast_to(expr.evaluate(symbols, functions), x.shape[1:]).copy()

        return evaluate

    def step(self, dt: float) -> SolveReport:
        """Try one step of size dt from the current time; on failure the state is restored."""
        self._dt.value = dt
        self._t_old.value = self.time
        for name in self.u:
            self.u_old[name].x.array[:] = self.u[name].x.array
        for name, value in self.integrals.items():
            value.value = self.comm.allreduce(dolfinx.fem.assemble_scalar(self._mass_forms[name]), op=MPI.SUM)
        self._update_dirichlet(self.time + dt)
        report = self.solver.solve()
        finite = all(np.isfinite(u.x.array).all() for u in self.u.values())
        if self.comm.allreduce(report.converged and finite, op=MPI.LAND):
            self.time += dt
            return report
        for name in self.u:
            self.u[name].x.array[:] = self.u_old[name].x.array
        return SolveReport(False, report.reason, report.newton_iterations, report.krylov_iterations)

    def advance_to(self, t_target: float, on_step: Callable[[StepRecord], None] | None = None) -> None:
        """Step to exactly t_target, halving dt after a failed solve and growing it back after.

        Raises:
            SolverFailure: if a step fails even at dt_min.
        """
        dt = self.dt_max
        while t_target - self.time > 1e-12 * max(1.0, abs(t_target)):
            rejected = 0
            while True:
                h = min(dt, t_target - self.time)
                report = self.step(h)
                if report.converged:
                    break
                rejected += 1
                dt = h / 2
                if dt < self.dt_min:
                    raise SolverFailure(
                        f"Newton failed at t = {self.time:.6g} (SNES reason {report.reason}) "
                        f"with dt = {h:.3g}, the smallest step allowed (dt_min = {self.dt_min:.3g})"
                    )
            record = StepRecord(self.time, h, report.newton_iterations, report.krylov_iterations, rejected)
            self.history.append(record)
            if on_step is not None:
                on_step(record)
            if rejected == 0:
                dt = min(2 * dt, self.dt_max)

    def statistics(self) -> dict[str, dict[str, float]]:
        """Per species: mass (integral over the domain), min and max of the nodal values."""
        stats = {}
        for name, u in self.u.items():
            mass = self.comm.allreduce(dolfinx.fem.assemble_scalar(self._mass_forms[name]), op=MPI.SUM)
            owned = u.x.array[: u.function_space.dofmap.index_map.size_local]
            local_min = owned.min() if owned.size else np.inf
            local_max = owned.max() if owned.size else -np.inf
            stats[name] = {
                "mass": float(mass),
                "min": float(self.comm.allreduce(local_min, op=MPI.MIN)),
                "max": float(self.comm.allreduce(local_max, op=MPI.MAX)),
            }
        return stats

