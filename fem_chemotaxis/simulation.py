"""A model on a mesh: function spaces, unknowns, the discrete step, and managed stepping.

The sequence is explicit: spaces -> unknowns -> initial values -> residuals -> solver.
Solver state (Functions, constants) lives here, never on the user's model objects.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import dolfinx.fem
import numpy as np
import ufl
from mpi4py import MPI

from fem_chemotaxis.config.expressions import NUMPY_FUNCTIONS, Expression
from fem_chemotaxis.mesh.tagged_mesh import TaggedMesh
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

        # Parameters and time as constants: changing them never recompiles a form.
        scalar = dolfinx.default_scalar_type
        self.parameters = {k: dolfinx.fem.Constant(self.mesh, scalar(v)) for k, v in model.parameters.items()}
        self._dt = dolfinx.fem.Constant(self.mesh, scalar(dt))
        self._t_old = dolfinx.fem.Constant(self.mesh, scalar(t_start))

        self.set_initial_values(initial)

        operator = SpatialOperator(model, self.parameters, ufl.SpatialCoordinate(self.mesh), sources)
        residuals = self.stepper.residuals(model, operator, self.u, self.u_old, tests, self._dt, self._t_old)
        self.solver = NonlinearSolver(residuals, [self.u[n] for n in model.species_names], petsc_options)
        self.history: list[StepRecord] = []
        self._mass_forms = {name: dolfinx.fem.form(u * ufl.dx) for name, u in self.u.items()}

    @property
    def num_dofs(self) -> int:
        """Global number of unknowns of all species together."""
        return sum(V.dofmap.index_map.size_global * V.dofmap.index_map_bs for V in self.spaces.values())

    def set_initial_values(self, initial: Mapping[str, Expression | float | str]) -> None:
        """Interpolate the initial expressions (in x, y, z, t and the parameters) into the unknowns."""
        missing = [n for n in self.model.species_names if n not in initial]
        if missing:
            raise ValueError(f"[initial] has no value for species {', '.join(missing)}")
        values = {k: float(c.value) for k, c in self.parameters.items()}
        for name, spec in initial.items():
            expr = spec if isinstance(spec, Expression) else Expression.parse(spec, f"[initial] {name}")

            def evaluate(x: np.ndarray, expr: Expression = expr) -> np.ndarray:
                symbols = {"x": x[0], "y": x[1], "z": x[2], "t": self.time, **values}
                return np.broadcast_to(expr.evaluate(symbols, NUMPY_FUNCTIONS), x.shape[1:]).copy()

            self.u[name].interpolate(evaluate)
            self.u[name].x.scatter_forward()
            self.u_old[name].x.array[:] = self.u[name].x.array

    def step(self, dt: float) -> SolveReport:
        """Try one step of size dt from the current time; on failure the state is restored."""
        self._dt.value = dt
        self._t_old.value = self.time
        for name in self.u:
            self.u_old[name].x.array[:] = self.u[name].x.array
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
