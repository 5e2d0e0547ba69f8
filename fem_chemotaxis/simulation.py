"""A model on a mesh: function spaces, unknowns, the discrete step, and managed stepping.

The sequence is explicit: spaces -> unknowns -> initial values -> residuals -> solver.
Solver state (Functions, constants) lives here, never on the user's model objects.

A step is rejected and retried with a smaller dt when Newton diverges (any negative SNES
reason, or non-finite values), when the local error estimate of an adaptive run is too
large, or when a density falls below ``-negative_tolerance``. Below ``dt_min`` the run stops
with :class:`SolverFailure`; above ``blowup_threshold`` with :class:`BlowUp`.

On a moving mesh (``motion``) every step first moves the mesh to its positions at the new
time (so that the forms are assembled there); a rejected step puts it back exactly. If the
moved mesh would have a cell of scaled Jacobian below ``motion.min_quality``, the run stops
with :class:`MeshQualityStop` on the last accepted mesh, before any cell inverts.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import dolfinx.fem
import numpy as np
import ufl

from mpi4py import MPI

from fem_chemotaxis.config import RunConfig
from fem_chemotaxis.config.settings import Discretisation, SolverSettings, TimeSettings
from fem_chemotaxis.expressions import Expression
from fem_chemotaxis.fluid import FluidFlow
from fem_chemotaxis.io.seed import read_initial_values
from fem_chemotaxis.mesh.tagged_mesh import TaggedMesh
from fem_chemotaxis.model.boundary import BoundaryCondition
from fem_chemotaxis.model.model import Model
from fem_chemotaxis.motion import MeshMotion, MovingMesh
from fem_chemotaxis.solvers.flow import FlowSolver
from fem_chemotaxis.solvers.linear import linear_preset_options
from fem_chemotaxis.solvers.linearly_implicit import LinearlyImplicitSystem
from fem_chemotaxis.solvers.nonlinear import NonlinearSolver, SolveReport, preset_options
from fem_chemotaxis.solvers.rosenbrock import RosenbrockSolver, jacobian_reuse
from fem_chemotaxis.terms.advection import VELOCITY
from fem_chemotaxis.terms.spatial import Source, SpatialOperator
from fem_chemotaxis.time import RosenbrockTableau, StepController, TimeLevels, choose_scheme, make_scheme

__all__ = ["BlowUp", "MeshQualityStop", "RunStopped", "Simulation", "SolverFailure", "StepRecord"]


class RunStopped(RuntimeError):
    """The run cannot go on; `report` says when, where and why (for summary.json)."""

    kind = "stopped"

    def __init__(self, message: str, report: dict[str, Any]):
        super().__init__(message)
        self.report = {"reason": self.kind, "message": message, **report}


class SolverFailure(RunStopped):
    """The step kept failing down to the smallest allowed time step."""

    kind = "solver-failure"


class BlowUp(RunStopped):
    """A density exceeded the blow-up threshold (finite-time concentration)."""

    kind = "blow-up"


class MeshQualityStop(RunStopped):
    """Moving the mesh further would make a cell too distorted (or inverted)."""

    kind = "mesh-quality"


@dataclass(frozen=True)
class StepRecord:
    """One accepted time step."""

    time: float
    dt: float
    newton_iterations: int
    krylov_iterations: int
    rejected: int
    error: float | None = None


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
            ``scheme_note``).
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
    velocity Function); they are None otherwise.
    """

    def __init__(
        self,
        model: Model,
        mesh: TaggedMesh,
        initial: Mapping[str, Expression | float | str | dolfinx.fem.Function],
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
        solver = solver or SolverSettings()
        discretisation = discretisation or Discretisation()
        self.model = model
        self.tagged_mesh = mesh
        self.mesh = mesh.mesh
        self.comm: MPI.Comm = self.mesh.comm
        self.dt = time.dt
        self.dt_max = time.dt_max if time.dt_max is not None else self.dt
        self.dt_min = time.dt_min if time.dt_min is not None else self.dt / 1024
        self.time = float(t_start)
        name, self.scheme_note = choose_scheme(time.scheme, model, discretisation.positivity, motion)
        self.scheme = make_scheme(name)
        self.negative_tolerance = time.negative_tolerance
        self.blowup_threshold = time.blowup_threshold
        log_density = discretisation.positivity == "log-density"
        self.log_species = {sp.name for sp in model.species if sp.taxis} if log_density else set()

        # Spaces and unknowns: one Function per species in its own Lagrange space. Densities
        # solved in log variables have an unknown w and a density u = exp(w) (for output).
        self.spaces = {
            sp.name: dolfinx.fem.functionspace(self.mesh, ("Lagrange", sp.degree)) for sp in model.species
        }
        self.unknowns = {
            n: dolfinx.fem.Function(V, name=f"log_{n}" if n in self.log_species else n) for n, V in self.spaces.items()
        }
        self.u = {n: self.unknowns[n] if n not in self.log_species else dolfinx.fem.Function(V, name=n)
                  for n, V in self.spaces.items()}
        self._old = {n: dolfinx.fem.Function(V) for n, V in self.spaces.items()}
        self._older = {n: dolfinx.fem.Function(V) for n, V in self.spaces.items()}
        tests = {n: ufl.TestFunction(V) for n, V in self.spaces.items()}

        # Parameters and time as constants (changing them never recompiles a form); parameters
        # that differ between subdomains are piecewise-constant (DG0) functions instead.
        scalar = dolfinx.default_scalar_type
        self.parameters = self._parameters(subdomain_parameters or {})
        self._dt = dolfinx.fem.Constant(self.mesh, scalar(self.dt))
        self._t_old = dolfinx.fem.Constant(self.mesh, scalar(t_start))
        self._omega = dolfinx.fem.Constant(self.mesh, scalar(0.0))
        self._dt_previous = 0.0
        self._mass_forms = {n: dolfinx.fem.form(self._mass_integrand(n, tests[n])) for n in self.unknowns}
        self.integrals = {n: dolfinx.fem.Constant(self.mesh, scalar(0.0)) for n in model.integrated_species()}

        self.set_initial_values(initial)

        bcs, boundary_fluxes = self._boundary_conditions(boundary_conditions)
        self.flow = FluidFlow(model.flow, mesh, model.parameters, self.time) if model.flow is not None else None
        self.velocity = self.flow.velocity if self.flow is not None else None
        self.operator = operator = SpatialOperator(
            model, self.parameters, ufl.SpatialCoordinate(self.mesh), sources, boundary_fluxes, self.integrals,
            advection=self.flow.advection(model.species_names) if self.flow is not None else None,
        )
        old_states = {n: self._density(n, f) for n, f in self._old.items()}
        self.moving = None
        if motion is not None:
            motion.check_supported(model, time.scheme)
            self.moving = self._moving_mesh(motion, operator, old_states)
        levels = TimeLevels(
            new={n: self._density(n, f) for n, f in self.unknowns.items()},
            old=old_states,
            older={n: self._density(n, f) for n, f in self._older.items()},
            dt=self._dt,
            t_old=self._t_old,
            omega=self._omega,
            mesh=self.moving.levels if self.moving is not None else None,
        )
        if self.flow is not None:  # the velocity that advects the species at each level
            levels = dataclasses.replace(
                levels,
                new={**levels.new, VELOCITY: self.flow.velocity},
                old={**levels.old, VELOCITY: self.flow.velocity_old},
                older={**levels.older, VELOCITY: self.flow.velocity_old},
            )
        unknowns = [self.unknowns[n] for n in model.species_names]
        self.solver: NonlinearSolver | FlowSolver | RosenbrockSolver
        if isinstance(self.scheme, RosenbrockTableau):
            self.solver = self._rosenbrock_solver(operator, tests, bcs, solver)
        elif self.flow is not None and self.flow.flow.solved:
            residuals = self.scheme.residuals(model, operator, levels, tests)
            t_new = levels.t_old + levels.dt  # the flow alone is solved at the new time, too
            start, new = (self._evaluator(operator, states, t_new) for states in (levels.old, levels.new))
            self.solver = self.flow.step_solver(residuals, unknowns, bcs, start, new, solver)
        else:
            residuals = self.scheme.residuals(model, operator, levels, tests)
            options = {**preset_options(solver.preset, [f.name for f in unknowns], self.num_dofs), **solver.petsc}
            self.solver = NonlinearSolver(residuals, unknowns, options, bcs)
        self.fractional = self._fractional_operators()
        tolerances = time.tolerances
        self.controller = self._step_controller(tolerances) if tolerances else None
        if self.controller is not None:
            self.controller.accept(self.time, self._owned_values())
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
        initial: Mapping[str, Expression | float | dolfinx.fem.Function] | None = None,
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

    def _rosenbrock_solver(
        self,
        operator: SpatialOperator,
        tests: Mapping[str, ufl.Argument],
        bcs: list[dolfinx.fem.DirichletBC],
        solver: SolverSettings,
    ) -> RosenbrockSolver:
        """The assembled system and stepper of a Rosenbrock scheme (a Newton solver's counterpart)."""
        assert isinstance(self.scheme, RosenbrockTableau)
        names = self.model.species_names
        t_stage = dolfinx.fem.Constant(self.mesh, dolfinx.default_scalar_type(self.time))
        t_variable = ufl.variable(t_stage)
        residuals = operator.residuals(self.unknowns, tests, t_variable)
        fixed = list(self.parameters.values())
        options = {**linear_preset_options(solver.preset, names, self.num_dofs),
                   **{k: v for k, v in solver.petsc.items() if not k.startswith("snes_")}}
        system = LinearlyImplicitSystem(
            [residuals[n] for n in names], [self.unknowns[n] for n in names], t_stage, t_variable,
            lambda f: any(f is p for p in fixed), options, bcs,
            jacobian_reuse=jacobian_reuse(self.scheme),
        )
        return RosenbrockSolver(self.scheme, system, self._t_old, self._dt)

    def _step_controller(self, adaptive: tuple[float, float]) -> StepController:
        """Error control from the scheme's embedded estimate (Rosenbrock) or from past steps."""
        if isinstance(self.scheme, RosenbrockTableau):
            return StepController(self.scheme.embedded_order, 1.0, *adaptive, self.comm)
        return StepController(self.scheme.order, self.scheme.error_constant, *adaptive, self.comm)

    def _step_error(self, t_new: float) -> float | None:
        """The controller's measure of the local error of the step just taken (None: not yet known)."""
        assert self.controller is not None
        if isinstance(self.solver, RosenbrockSolver):
            return self.controller.embedded_error(self._owned_values(), self.solver.error_values())
        return self.controller.error(t_new, self._owned_values())

    def _moving_mesh(
        self, motion: MeshMotion, operator: SpatialOperator, old_states: Mapping[str, ufl.core.expr.Expr]
    ) -> MovingMesh:
        """The moving mesh, with the normal speed of solution-driven motion as a UFL expression."""
        speed = None
        if motion.normal_speed is not None:  # explicit: the accepted state at t_n, on Omega_n
            speed = motion.normal_speed.evaluate(operator.symbols(old_states, self._t_old), operator.functions)
        return MovingMesh(motion, self.tagged_mesh, self.model.parameters, speed)

    def _move_mesh(self, dt: float) -> None:
        """Move the mesh to its positions at time + dt, or stop the run if it would be too distorted."""
        assert self.moving is not None
        proposed = self.moving.propose(self.time + dt, dt)
        if proposed.minimum < self.moving.motion.min_quality:
            self.moving.restore()
            current = self.moving.quality()
            raise MeshQualityStop(
                f"moving the mesh to t = {self.time + dt:.6g} would bring its minimum scaled Jacobian to "
                f"{proposed.minimum:.3g} < min_quality = {self.moving.motion.min_quality:g} near x = "
                f"{[round(c, 6) for c in proposed.location]}; stopped at t = {self.time:.6g} "
                f"(minimum quality {current.minimum:.3g})",
                {"time": self.time, "min_quality": current.minimum, "proposed_time": self.time + dt,
                 "proposed_min_quality": proposed.minimum, "location": list(proposed.location)},
            )

    def mesh_statistics(self) -> dict[str, float]:
        """Volume |Omega| and minimum scaled Jacobian of a moving mesh now (collective).

        Raises:
            ValueError: if the mesh does not move.
        """
        if self.moving is None:
            raise ValueError("mesh statistics are kept for moving meshes only")
        return {"volume": self.moving.volume(), "min_quality": self.moving.quality().minimum}

    def _evaluator(self, operator: SpatialOperator, states: Mapping[str, ufl.core.expr.Expr],
                   t: ufl.core.expr.Expr) -> Callable[[Expression], ufl.core.expr.Expr]:
        """Evaluates the model's expressions to UFL for the given states and time."""
        symbols = operator.symbols(states, t)
        return lambda expr: expr.evaluate(symbols, operator.functions)

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

    def _mass_integrand(self, name: str, test: ufl.Argument) -> ufl.Form:
        """The mass of a species, integrated with the quadrature rule of its time-derivative term.

        Using the same rule as (u - u_n, v) makes the discrete mass exactly the conserved
        quantity, also for u = exp(w), which no quadrature integrates exactly.
        """
        density = self._density(name, self.unknowns[name])
        degree = ufl.algorithms.estimate_total_polynomial_degree(density * test)
        return density * ufl.dx(metadata={"quadrature_degree": degree})

    def _fractional_operators(self) -> dict[str, Any]:
        """Implicit solvers of ``u_t = -D (-Lap)^(a/2) u`` for species with fractional diffusion.

        The fractional term is applied after the Newton step of the other terms (Lie
        splitting, first order in time, unconditionally stable for the fractional part).
        """
        species = [sp for sp in self.model.species if sp.fractional_order is not None]
        if not species:
            return {}
        from fem_chemotaxis.terms.fractional import FractionalDiffusion

        operators = {}
        for sp in species:
            if sp.name in self.log_species:
                raise ValueError(f"species '{sp.name}': fractional diffusion is not available with log-density variables")
            coefficient = float(sp.diffusion.numeric(self.model.parameters))  # type: ignore[union-attr]
            operators[sp.name] = FractionalDiffusion(self.spaces[sp.name], sp.fractional_order, coefficient)  # type: ignore[arg-type]
        return operators

    def density(self, name: str) -> ufl.core.expr.Expr:
        """The density of species `name` as a UFL expression of its unknown (exp(w) in log-density variables)."""
        return self._density(name, self.unknowns[name])

    def _density(self, name: str, f: ufl.core.expr.Expr) -> ufl.core.expr.Expr:
        """The density as a UFL expression of its unknown (exp(w) in log variables)."""
        return ufl.exp(f) if name in self.log_species else f

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
            if bc.species in self.log_species:
                raise ValueError(
                    f"boundary[{k}]: a Dirichlet condition on '{bc.species}' is not supported with "
                    "positivity = \"log-density\"; use a flux or Robin condition"
                )
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
            function.interpolate(expr.at_points(self.model.parameters, t))

    @property
    def num_dofs(self) -> int:
        """Global number of unknowns of all species together."""
        species = sum(V.dofmap.index_map.size_global * V.dofmap.index_map_bs for V in self.spaces.values())
        return species + (self.flow.num_dofs if self.flow is not None else 0)

    def set_initial_values(self, initial: Mapping[str, Expression | float | str | dolfinx.fem.Function]) -> None:
        """Set the unknowns from the initial densities of the species.

        Each value is an expression (in x, y, z, t and the parameters), interpolated, or a
        density Function on any mesh (e.g. a previous run's, see io/seed.py), interpolated
        onto this one with :func:`~fem_chemotaxis.mesh.transfer.transfer`.
        """
        from fem_chemotaxis.mesh.transfer import transfer

        missing = [n for n in self.model.species_names if n not in initial]
        if missing:
            raise ValueError(f"[initial] has no value for species {', '.join(missing)}")
        for name, spec in initial.items():
            density = self.u[name]
            if isinstance(spec, dolfinx.fem.Function):
                transfer(spec, density, f"[initial] {name}")
            else:
                expr = spec if isinstance(spec, Expression) else Expression.parse(spec, f"[initial] {name}")
                density.interpolate(expr.at_points(self.model.parameters, self.time))
            density.x.scatter_forward()
            if name in self.log_species:
                smallest = self.comm.allreduce(density.x.array.min(initial=np.inf), op=MPI.MIN)
                if not smallest > 0:
                    raise ValueError(
                        f"[initial] {name} must be positive everywhere with positivity = \"log-density\" "
                        f"(its minimum is {smallest:g})"
                    )
                self.unknowns[name].x.array[:] = np.log(density.x.array)
            self._old[name].x.array[:] = self.unknowns[name].x.array
            self._older[name].x.array[:] = self.unknowns[name].x.array

    def _owned_values(self) -> np.ndarray:
        """Owned nodal values of all unknowns, concatenated (for error estimates)."""
        return np.concatenate([
            f.x.array[: f.function_space.dofmap.index_map.size_local] for f in self.unknowns.values()
        ])

    def _try_step(self, dt: float) -> SolveReport:
        """Solve for the state at time + dt from the accepted state at `time` (not committed)."""
        self._dt.value = dt
        self._t_old.value = self.time
        self._omega.value = dt / self._dt_previous if self._dt_previous > 0 else 0.0
        for name, value in self.integrals.items():
            value.value = self.comm.allreduce(dolfinx.fem.assemble_scalar(self._mass_forms[name]), op=MPI.SUM)
        if self.moving is not None:
            self._move_mesh(dt)
        self._update_dirichlet(self.time + dt)
        flow = self._step_flow(self.time + dt) if self.flow is not None else None
        report = self.solver.solve() if flow is None or flow.converged else flow
        if flow is not None and report is not flow:
            report = SolveReport(
                report.converged, report.reason, report.newton_iterations + flow.newton_iterations,
                report.krylov_iterations + flow.krylov_iterations,
            )
        if report.converged:
            for name, fractional in self.fractional.items():  # Lie splitting: implicit fractional diffusion
                fractional.apply(self.unknowns[name], dt)
        finite = all(np.isfinite(f.x.array).all() for f in self.unknowns.values())
        converged = self.comm.allreduce(report.converged and finite, op=MPI.LAND)
        return SolveReport(converged, report.reason, report.newton_iterations, report.krylov_iterations)

    def _accept(self, dt: float) -> None:
        if self.flow is not None:
            self.flow.accept()
        if self.moving is not None:
            self.moving.accept()
        for name, f in self.unknowns.items():
            self._older[name].x.array[:] = self._old[name].x.array
            self._old[name].x.array[:] = f.x.array
            if name in self.log_species:
                self.u[name].x.array[:] = np.exp(f.x.array)
        self.time += dt
        self._dt_previous = dt
        if self.controller is not None:
            self.controller.accept(self.time, self._owned_values())

    def _reject(self) -> None:
        if self.flow is not None:
            self.flow.reject()
        if self.moving is not None:
            self.moving.restore()
        for name, f in self.unknowns.items():
            f.x.array[:] = self._old[name].x.array

    def step(self, dt: float) -> SolveReport:
        """One step of size dt, accepted if Newton converges (else the state is restored)."""
        report = self._try_step(dt)
        self._accept(dt) if report.converged else self._reject()
        return report

    def _minimum_density(self) -> float:
        local = min((f.x.array.min(initial=np.inf) for n, f in self.unknowns.items() if n not in self.log_species),
                    default=np.inf)
        return self.comm.allreduce(float(local), op=MPI.MIN)

    def advance_to(self, t_target: float, on_step: Callable[[StepRecord], None] | None = None) -> None:
        """Step to exactly t_target, rejecting and retrying steps as described in the module doc.

        Raises:
            SolverFailure: if a step fails even at dt_min.
            BlowUp: if a density maximum passes the blow-up threshold.
            MeshQualityStop: if the moving mesh would become too distorted.
        """
        while t_target - self.time > 1e-12 * max(1.0, abs(t_target)):
            rejected, why = 0, ""
            while True:
                h = min(self.dt, t_target - self.time)
                report = self._try_step(h)
                error = None
                if not report.converged:
                    why = ("a stage solve diverged" if isinstance(self.solver, RosenbrockSolver)
                           else f"Newton diverged (SNES reason {report.reason})")
                    proposal = h / 2
                elif self.negative_tolerance is not None and self._minimum_density() < -self.negative_tolerance:
                    why, proposal = f"a density fell below -{self.negative_tolerance:g}", h / 2
                else:
                    if self.controller is not None:
                        error = self._step_error(self.time + h)
                    if error is None or error <= 1.0:
                        break
                    assert self.controller is not None  # only a controller estimates errors
                    why, proposal = f"local error estimate {error:.3g} > 1", self.controller.next_dt(h, error)
                self._reject()
                rejected += 1
                self.dt = proposal
                if self.dt < self.dt_min:
                    raise SolverFailure(
                        f"step rejected at t = {self.time:.6g} with dt = {h:.3g} ({why}); "
                        f"dt would fall below dt_min = {self.dt_min:.3g}",
                        {"time": self.time, "dt": h, **self._maximum_report()},
                    )
            self._accept(h)
            if self.controller is not None:
                self.dt = min(self.controller.next_dt(h, error) if h >= self.dt else self.dt, self.dt_max)
            elif rejected == 0:
                self.dt = min(2 * self.dt, self.dt_max)
            record = StepRecord(self.time, h, report.newton_iterations, report.krylov_iterations, rejected, error)
            self.history.append(record)
            if on_step is not None:
                on_step(record)
            if self.blowup_threshold is not None:
                peak = self._maximum_report()
                if peak["max_value"] > self.blowup_threshold:
                    raise BlowUp(
                        f"{peak['max_species']} = {peak['max_value']:.4g} > {self.blowup_threshold:g} "
                        f"at t = {self.time:.6g}, x = {peak['max_location']}",
                        {"time": self.time, **peak},
                    )

    def _maximum_report(self) -> dict[str, Any]:
        """The largest density value over all species, with its species and location."""
        best: tuple[float, str, list[float]] = (-np.inf, "", [])
        for name, u in self.u.items():
            n_owned = u.function_space.dofmap.index_map.size_local
            if n_owned:
                i = int(np.argmax(u.x.array[:n_owned]))
                if u.x.array[i] > best[0]:
                    coords = u.function_space.tabulate_dof_coordinates()[i, : self.mesh.geometry.dim]
                    best = (float(u.x.array[i]), name, [float(c) for c in coords])
        value, name, location = max(self.comm.allgather(best), key=lambda b: b[0])
        return {"max_value": value, "max_species": name, "max_location": location}

    @property
    def previous_unknowns(self) -> dict[str, dolfinx.fem.Function]:
        """The unknowns one accepted step before the current state (t_{n-1}; BDF2 uses them)."""
        return dict(self._older)

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
        for name, f in self.unknowns.items():
            self._old[name].x.array[:] = f.x.array
            self._older[name].x.array[:] = previous[name].x.array
        self.time, self.dt, self._dt_previous = float(time), float(dt), float(dt_previous)

    def statistics(self) -> dict[str, dict[str, Any]]:
        """Per species: mass (integral over the domain), min and max of the nodal values."""
        stats = {}
        for name, u in self.u.items():
            mass = self.comm.allreduce(dolfinx.fem.assemble_scalar(self._mass_forms[name]), op=MPI.SUM)
            owned = u.x.array[: u.function_space.dofmap.index_map.size_local]
            stats[name] = {
                "mass": float(mass),
                "min": float(self.comm.allreduce(owned.min(initial=np.inf), op=MPI.MIN)),
                "max": float(self.comm.allreduce(owned.max(initial=-np.inf), op=MPI.MAX)),
            }
        return stats
