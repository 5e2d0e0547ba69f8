"""A model on a mesh, advanced in time: the explicit set-up sequence and managed stepping.

The sequence is explicit: species fields (spaces, unknowns) -> parameters -> initial values
-> boundary conditions -> flow -> spatial operator -> moving mesh -> time levels -> the
solver of a step -> step control. Solver state (Functions, constants) lives here, never on
the user's model objects.

A step is rejected and retried with a smaller dt when Newton diverges (any negative SNES
reason, or non-finite values), when a Rosenbrock stage solve fails or the step's error
estimate exceeds the state it started from (adaptive or not: no digit of it is right), when
the local error estimate of an adaptive run is too large, or when a density falls below
``-negative_tolerance``. Below ``dt_min`` the run stops
with :class:`SolverFailure`; above ``blowup_threshold`` with :class:`BlowUp`.

On a moving mesh (``motion``) every step first moves the mesh to its positions at the new
time (so that the forms are assembled there); a rejected step puts it back exactly. If the
moved mesh would have a cell of scaled Jacobian below ``motion.min_quality``, the run stops
with :class:`MeshQualityStop` on the last accepted mesh, before any cell inverts.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import dolfinx.fem
import ufl

from mpi4py import MPI

from fem_chemotaxis.config import RunConfig
from fem_chemotaxis.config.settings import Discretisation, SolverSettings, TimeSettings
from fem_chemotaxis.fluid import FluidFlow
from fem_chemotaxis.io.collective_gc import collect_together, pause_automatic_collection
from fem_chemotaxis.io.seed import read_initial_values
from fem_chemotaxis.mesh.tagged_mesh import TaggedMesh
from fem_chemotaxis.model.boundary import BoundaryCondition
from fem_chemotaxis.model.model import Model
from fem_chemotaxis.motion import MeshMotion, MovingMesh
from fem_chemotaxis.simulation.boundary_conditions import SpeciesBoundaryConditions
from fem_chemotaxis.simulation.outcomes import BlowUp, MeshQualityStop, SolverFailure, StepRecord
from fem_chemotaxis.simulation.parameters import parameter_values
from fem_chemotaxis.simulation.species_fields import InitialValue, SpeciesFields
from fem_chemotaxis.simulation.step_solver import StepSolver
from fem_chemotaxis.solvers.nonlinear import SolveReport
from fem_chemotaxis.terms.advection import VELOCITY
from fem_chemotaxis.terms.spatial import Source, SpatialOperator
from fem_chemotaxis.time import RosenbrockTableau, StepController, TimeLevels, choose_scheme, make_scheme

__all__ = ["Simulation"]


class Simulation:
    """A model discretised on a mesh, advanced in time with managed step failures.

    Args:
        model: The model description.
        mesh: The mesh with its named physical groups.
        initial: Initial density of every species: an expression (in x, y, z and parameters) or a
            Function on any mesh (see :meth:`set_initial_values`).
        time: Time stepping: the first step, scheme, step limits, adaptivity, stop criteria.
            A Rosenbrock scheme ("ros2", "ros3p", "ros34pw2") is linearly implicit;
            "auto" is resolved by :func:`~fem_chemotaxis.time.choose_scheme` (its note:
            ``scheme_note``, which also names [solver.petsc] snes_* options a Rosenbrock scheme does not use).
        solver: Solver preset and PETSc options (default: "auto").
        discretisation: Positivity-preserving variables or not (default: plain Galerkin).
        boundary_conditions: Dirichlet/flux/Robin conditions on named boundaries (no-flux elsewhere).
        subdomain_parameters: Subdomain name -> parameter values that differ there.
        motion: How the mesh moves (growing or moving domain), or None for a fixed mesh.
        sources: Extra Python-defined sources per species (e.g. manufactured solutions).
        t_start: Initial time.

    :meth:`from_config` builds the one a run file describes. Non-local terms ``integral(u)``
    are evaluated at the start of each step (explicitly). A model with a flow (``model.flow``)
    has ``flow`` (a :class:`~fem_chemotaxis.fluid.FluidFlow`) and ``velocity`` (its P2
    velocity Function); they are None otherwise. ``levels`` are the time levels the step's
    forms see (its Constants dt and t_old are set before every step).
    """

    def __init__(
        self,
        model: Model,
        mesh: TaggedMesh,
        initial: Mapping[str, InitialValue],
        time: TimeSettings,
        *,
        solver: SolverSettings | None = None,
        discretisation: Discretisation | None = None,
        boundary_conditions: Sequence[BoundaryCondition] = (),
        subdomain_parameters: Mapping[str, Mapping[str, float]] | None = None,
        motion: MeshMotion | None = None,
        sources: Mapping[str, Source] | None = None,
        t_start: float = 0.0,
    ):
        discretisation, solver = discretisation or Discretisation(), solver or SolverSettings()
        self._settings: dict[str, Any] = {  # to build the same problem on another mesh (on_mesh)
            "time": time,
            "solver": solver,
            "discretisation": discretisation,
            "boundary_conditions": boundary_conditions,
            "subdomain_parameters": subdomain_parameters,
            "sources": sources,
        }
        self.model, self.tagged_mesh, self.mesh = model, mesh, mesh.mesh
        self.comm: MPI.Comm = self.mesh.comm
        pause_automatic_collection(self.comm)  # see io/collective_gc.py
        self.time, self.dt, self._dt_previous = float(t_start), time.dt, 0.0
        self.dt_max = time.dt_max if time.dt_max is not None else self.dt
        self.dt_min = time.dt_min if time.dt_min is not None else self.dt / 1024
        self.negative_tolerance, self.blowup_threshold = time.negative_tolerance, time.blowup_threshold
        name, self.scheme_note = choose_scheme(time.scheme, model, discretisation.positivity, motion)
        self.scheme = make_scheme(name)
        unused = sorted(k for k in (solver.petsc if solver else {}) if k.startswith("snes_"))
        if unused and isinstance(self.scheme, RosenbrockTableau):
            note = f"[solver.petsc] {', '.join(unused)} not used: {name} takes no Newton iterations"
            self.scheme_note = f"{self.scheme_note}; {note}" if self.scheme_note else note
        log_density = discretisation.positivity == "log-density"
        self.fields = SpeciesFields(
            model, self.mesh, {sp.name for sp in model.species if sp.taxis} if log_density else set()
        )
        self.parameters = parameter_values(model, mesh, subdomain_parameters or {})
        scalar = dolfinx.default_scalar_type
        self._dt, self._t_old, self._omega = (
            dolfinx.fem.Constant(self.mesh, scalar(v)) for v in (self.dt, t_start, 0.0)
        )
        self.integrals = {n: dolfinx.fem.Constant(self.mesh, scalar(0.0)) for n in model.integrated_species()}
        self.set_initial_values(initial)
        self.boundary_conditions = SpeciesBoundaryConditions(
            boundary_conditions, model, mesh, self.fields.spaces, self.fields.log_species
        )
        self.boundary_conditions.update(self.time)
        self.flow = FluidFlow(model.flow, mesh, model.parameters, self.time) if model.flow is not None else None
        self.velocity = self.flow.velocity if self.flow is not None else None
        self.operator = SpatialOperator(
            model,
            self.parameters,
            ufl.SpatialCoordinate(self.mesh),
            sources,
            self.boundary_conditions.fluxes,
            self.integrals,
            advection=self.flow.advection(model.species_names) if self.flow is not None else None,
        )
        self.moving = None
        if motion is not None:
            motion.check_supported(model, time.scheme)
            self.moving = self._moving_mesh(motion)
        self.levels = self._time_levels()
        self.solver = StepSolver(
            self.scheme,
            self.fields,
            self.operator,
            self.levels,
            self.boundary_conditions.dirichlet,
            self.flow,
            solver,
            time.tolerances,
            self.time,
            moving=motion is not None,
        )
        self.history: list[StepRecord] = []
        if self.flow is not None:
            self.solve_flow()

    @classmethod
    def from_config(
        cls,
        config: RunConfig,
        comm: MPI.Comm = MPI.COMM_WORLD,
        *,
        mesh: TaggedMesh | None = None,
        initial: Mapping[str, InitialValue] | None = None,
        t_start: float = 0.0,
    ) -> Simulation:
        """The simulation a run file describes (what ``fem-chemotaxis run`` solves).

        Args:
            config: The validated config (:func:`~fem_chemotaxis.config.load_config`).
            comm: Communicator to build the mesh on.
            mesh: A mesh to use instead of the config's (e.g. a coarser one for a quick look).
            initial: Initial values instead of the config's (whose previous runs are read here).
            t_start: Initial time.
        """
        if mesh is None:
            mesh = config.mesh.build(comm)
        if initial is None:
            initial = read_initial_values(config.initial, mesh.mesh.comm)
        return cls(
            config.model,
            mesh,
            initial,
            config.time,
            solver=config.solver,
            discretisation=config.discretisation,
            boundary_conditions=config.boundary_conditions,
            subdomain_parameters=config.subdomain_parameters,
            motion=config.motion,
            t_start=t_start,
        )

    def on_mesh(self, mesh: TaggedMesh, initial: Mapping[str, InitialValue]) -> Simulation:
        """The same problem (model, settings, conditions) on another mesh, from `initial` at the current time.

        Used by adaptive refinement (fem_chemotaxis/adaptivity), which then moves the step state.

        Raises:
            ValueError: for a moving mesh, which is not re-meshed.
        """
        if self.moving is not None:
            raise ValueError("a moving mesh ([mesh.motion]) cannot be re-meshed")
        return Simulation(self.model, mesh, initial, t_start=self.time, **self._settings)

    @property
    def spaces(self) -> dict[str, dolfinx.fem.FunctionSpace]:
        """Each species' Lagrange space."""
        return self.fields.spaces

    @property
    def unknowns(self) -> dict[str, dolfinx.fem.Function]:
        """The unknowns solved for (``log_u`` for a species in log-density variables)."""
        return self.fields.unknowns

    @property
    def u(self) -> dict[str, dolfinx.fem.Function]:
        """The densities of the species at the current time."""
        return self.fields.u

    @property
    def log_species(self) -> set[str]:
        """The species solved for w = log u."""
        return self.fields.log_species

    @property
    def solver_settings(self) -> SolverSettings:
        """The solver preset and PETSc options of the steps."""
        return self._settings["solver"]

    @property
    def num_dofs(self) -> int:
        """Global number of unknowns of all species (and of the flow) together."""
        return self.fields.num_dofs + (self.flow.num_dofs if self.flow is not None else 0)

    def density(self, name: str) -> ufl.core.expr.Expr:
        """The density of species `name` as a UFL expression of its unknown (exp(w) in log-density variables)."""
        return self.fields.density(name)

    def set_initial_values(self, initial: Mapping[str, InitialValue]) -> None:
        """Set the unknowns from the initial densities of the species.

        Each value is an expression (in x, y, z, t and the parameters), interpolated, or a
        density Function on any mesh (e.g. a previous run's, see io/seed.py), interpolated
        onto this one with :func:`~fem_chemotaxis.mesh.transfer.transfer`.
        """
        self.fields.set_initial(initial, self.model.parameters, self.time)

    def statistics(self) -> dict[str, dict[str, float]]:
        """Per species: mass (integral over the domain), min and max of the nodal values."""
        return self.fields.statistics()

    def _time_levels(self) -> TimeLevels:
        """The states a step sees at t_{n+1}, t_n, t_{n-1} (with a flow's velocity and a moving mesh)."""
        fields = self.fields
        levels = TimeLevels(
            new=fields.densities(fields.unknowns),
            old=fields.densities(fields.old),
            older=fields.densities(fields.older),
            dt=self._dt,
            t_old=self._t_old,
            omega=self._omega,
            mesh=self.moving.levels if self.moving is not None else None,
        )
        if self.flow is None:
            return levels
        return dataclasses.replace(  # the velocity that advects the species at each level
            levels,
            new={**levels.new, VELOCITY: self.flow.velocity},
            old={**levels.old, VELOCITY: self.flow.velocity_old},
            older={**levels.older, VELOCITY: self.flow.velocity_old},
        )

    def _moving_mesh(self, motion: MeshMotion) -> MovingMesh:
        """The moving mesh, with the normal speed of solution-driven motion as a UFL expression."""
        speed = None
        if motion.normal_speed is not None:  # explicit: the accepted state at t_n, on Omega_n
            speed = self.operator.evaluator(self.fields.densities(self.fields.old), self._t_old)(motion.normal_speed)
        return MovingMesh(motion, self.tagged_mesh, self.model.parameters, speed)

    def solve_flow(self) -> None:
        """Solve the (quasi-steady) flow for the accepted state at the current time.

        Done at construction, so that outputs at t_start show the flow; call it again after
        setting the species of the accepted state by hand (e.g. when restarting a run).

        Raises:
            ValueError: if the model has no flow.
            SolverFailure: if the flow solve does not converge.
        """
        if self.flow is None:
            raise ValueError(f"model '{self.model.name}' has no flow ([model.flow])")
        self.flow.prepare(self.time)
        if self.flow.flow.solved:
            self._t_old.value = self.time
            self._dt.value = 0.0  # the flow alone is evaluated at t_old + dt = the current time
            report = self.flow.solve()
            self._dt.value = self.dt
            if not report.converged:
                raise SolverFailure(
                    f"the flow at t = {self.time:.6g} did not converge (SNES reason {report.reason})",
                    {"time": self.time},
                )
        self.flow.accept()

    def _step_flow(self, t: float) -> SolveReport | None:
        """Boundary (or prescribed) velocities at t; with split coupling, also the flow of the step."""
        assert self.flow is not None
        self.flow.prepare(t)
        if self.flow.flow.solved and self.flow.coupling == "split":
            return self.flow.solve()
        return None

    def mesh_statistics(self) -> dict[str, float]:
        """Volume ``|Omega|`` and minimum scaled Jacobian of a moving mesh now (collective).

        Raises:
            ValueError: if the mesh does not move.
        """
        if self.moving is None:
            raise ValueError("mesh statistics are kept for moving meshes only")
        return {"volume": self.moving.volume(), "min_quality": self.moving.quality().minimum}

    def _move_mesh(self, dt: float) -> None:
        """Move the mesh to its positions at time + dt, or stop the run if it would be too distorted."""
        assert self.moving is not None
        proposed = self.moving.propose(self.time + dt, dt)
        if proposed.minimum < self.moving.motion.min_quality:
            self.moving.restore()
            raise MeshQualityStop.before(self.time, dt, proposed, self.moving.quality(), self.moving.motion.min_quality)

    def _try_step(self, dt: float) -> SolveReport:
        """Solve for the state at time + dt from the accepted state at `time` (not committed)."""
        self._dt.value = dt
        self._t_old.value = self.time
        self._omega.value = dt / self._dt_previous if self._dt_previous > 0 else 0.0
        for name, value in self.integrals.items():
            value.value = self.fields.mass(name)
        if self.moving is not None:
            self._move_mesh(dt)
        self.boundary_conditions.update(self.time + dt)
        flow = self._step_flow(self.time + dt) if self.flow is not None else None
        report = self.solver.solve() if flow is None or flow.converged else flow
        if flow is not None and report is not flow:
            report = SolveReport(
                report.converged,
                report.reason,
                report.newton_iterations + flow.newton_iterations,
                report.krylov_iterations + flow.krylov_iterations,
            )
        converged = self.comm.allreduce(report.converged and self.fields.finite(), op=MPI.LAND)
        return SolveReport(converged, report.reason, report.newton_iterations, report.krylov_iterations)

    def _accept(self, dt: float) -> None:
        if self.flow is not None:
            self.flow.accept()
        if self.moving is not None:
            self.moving.accept()
        self.fields.accept()
        self.time += dt
        self._dt_previous = dt
        self.solver.accept(self.time)

    def _reject(self) -> None:
        if self.flow is not None:
            self.flow.reject()
        if self.moving is not None:
            self.moving.restore()
        self.fields.reject()

    def step(self, dt: float) -> SolveReport:
        """One step of size dt, accepted if Newton converges (else the state is restored)."""
        report = self._try_step(dt)
        self._accept(dt) if report.converged else self._reject()
        return report

    def advance_to(
        self, t_target: float, on_step: Callable[[StepRecord], None] | None = None, max_steps: int | None = None
    ) -> None:
        """Step to exactly t_target, rejecting and retrying steps as described in the module doc.

        With `max_steps`, return earlier, after that many accepted steps (adaptive refinement
        re-meshes between such calls).

        Raises:
            SolverFailure: if a step fails even at dt_min.
            BlowUp: if a density maximum passes the blow-up threshold.
            MeshQualityStop: if the moving mesh would become too distorted.
        """
        taken = 0
        while t_target - self.time > 1e-12 * max(1.0, abs(t_target)) and (max_steps is None or taken < max_steps):
            taken += 1
            h, report, error, rejected = self._accepted_step(t_target)
            self._accept(h)
            controller = self.solver.controller
            if controller is not None:
                self.dt = min(controller.next_dt(h, error) if h >= self.dt else self.dt, self.dt_max)
            elif rejected == 0:
                self.dt = min(2 * self.dt, self.dt_max)
            record = StepRecord(self.time, h, report.newton_iterations, report.krylov_iterations, rejected, error)
            self.history.append(record)
            if on_step is not None:
                on_step(record)
            if self.blowup_threshold is not None:
                peak = self.fields.maximum()
                if peak["max_value"] > self.blowup_threshold:
                    raise BlowUp(
                        f"{peak['max_species']} = {peak['max_value']:.4g} > {self.blowup_threshold:g} "
                        f"at t = {self.time:.6g}, x = {peak['max_location']}",
                        {"time": self.time, **peak},
                    )
        collect_together(self.comm)

    def _accepted_step(self, t_target: float) -> tuple[float, SolveReport, float | None, int]:
        """Try steps towards t_target, halving (or as the error controller says) until one is
        acceptable: its size, solve report, error estimate and the number of rejections.

        Raises:
            SolverFailure: if the step size would fall below dt_min.
        """
        rejected = 0
        while True:
            h = min(self.dt, t_target - self.time)
            report = self._try_step(h)
            error = None
            if not report.converged:
                why, proposal = self.solver.failure(report), h / 2
            elif self.negative_tolerance is not None and self.fields.minimum_density() < -self.negative_tolerance:
                why, proposal = f"a density fell below -{self.negative_tolerance:g}", h / 2
            else:
                error = self.solver.error(self.time + h)
                if error is None or error <= 1.0:
                    return h, report, error, rejected
                assert self.solver.controller is not None  # only a controller estimates errors
                why, proposal = f"local error estimate {error:.3g} > 1", self.solver.controller.next_dt(h, error)
            self._reject()
            rejected += 1
            self.dt = proposal
            if self.dt < self.dt_min:
                raise SolverFailure(
                    f"step rejected at t = {self.time:.6g} with dt = {h:.3g} ({why}); "
                    f"dt would fall below dt_min = {self.dt_min:.3g}",
                    {"time": self.time, "dt": h, **self.fields.maximum()},
                )

    @property
    def controller(self) -> StepController | None:
        """The adaptive step controller (None for fixed steps)."""
        return self.solver.controller

    @property
    def previous_unknowns(self) -> dict[str, dolfinx.fem.Function]:
        """The unknowns one accepted step before the current state (t_{n-1}; BDF2 uses them)."""
        return dict(self.fields.older)

    @property
    def dt_previous(self) -> float:
        """The size of the last accepted step (0 before the first one)."""
        return self._dt_previous

    def continue_from(
        self, time: float, dt: float, dt_previous: float, previous: Mapping[str, dolfinx.fem.Function]
    ) -> None:
        """Take the current unknowns as the accepted state at `time` of an earlier run (a restart).

        Args:
            time: Simulated time of the state.
            dt: The step size the run would have tried next.
            dt_previous: The size of the step that led to the state.
            previous: The unknowns one step earlier, per species (as :attr:`previous_unknowns`).
        """
        self.fields.continue_from(previous)
        self.time, self.dt, self._dt_previous = float(time), float(dt), float(dt_previous)
