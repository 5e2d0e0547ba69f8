"""The solver of one time step of a simulation and its error estimate.

Which solver depends on the scheme and the model: a linearly implicit Rosenbrock stepper
(:mod:`fem_chemotaxis.solvers.rosenbrock`), Newton for the species and a fluid flow
together or split (:meth:`~fem_chemotaxis.fluid.FluidFlow.step_solver`), or Newton for the
species (with fractional diffusion inside the implicit step,
:mod:`fem_chemotaxis.solvers.fractional_newton`). An adaptive run estimates the local error
from the Rosenbrock scheme's embedded solution, or from the past steps of a Newton scheme.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

import dolfinx.fem
import numpy as np
import ufl

from fem_chemotaxis.config.settings import SolverSettings
from fem_chemotaxis.fluid import FluidFlow
from fem_chemotaxis.model.model import Model
from fem_chemotaxis.simulation.species_fields import SpeciesFields
from fem_chemotaxis.solvers.flow import FlowSolver
from fem_chemotaxis.solvers.forcing import chooses_forcing
from fem_chemotaxis.solvers.linear import linear_preset_options
from fem_chemotaxis.solvers.linearly_implicit import LinearlyImplicitSystem
from fem_chemotaxis.solvers.nonlinear import NonlinearSolver, SolveReport, Split, preset_options
from fem_chemotaxis.solvers.rosenbrock import JACOBIAN_DRIFT, RosenbrockSolver, jacobian_reuse
from fem_chemotaxis.terms.partition import changing_inputs
from fem_chemotaxis.terms.spatial import SpatialOperator
from fem_chemotaxis.time import BDF2, RosenbrockTableau, StepController, ThetaMethod, TimeLevels

__all__ = ["StepSolver"]


class StepSolver:
    """Solves a step of the species from the accepted state, and judges it.

    Args:
        scheme: The time scheme (a Newton scheme or a Rosenbrock tableau).
        fields: The species' Functions.
        operator: The spatial operator of the model.
        levels: The time levels the scheme sees (their dt and t_old are the step's constants).
        bcs: Dirichlet conditions on the species.
        flow: The fluid flow, or None.
        settings: Solver preset and PETSc options.
        tolerances: (rtol, atol) of an adaptive run, or None for fixed steps.
        time: The time of the initial state (the controller's first point).
        moving: Whether the mesh moves (every form then changes from step to step).

    Attributes:
        controller: The adaptive step controller, or None.
    """

    def __init__(
        self,
        scheme: ThetaMethod | BDF2 | RosenbrockTableau,
        fields: SpeciesFields,
        operator: SpatialOperator,
        levels: TimeLevels,
        bcs: Sequence[dolfinx.fem.DirichletBC],
        flow: FluidFlow | None,
        settings: SolverSettings,
        tolerances: tuple[float, float] | None,
        time: float,
        moving: bool = False,
    ):
        self.fields, self.scheme, self._levels = fields, scheme, levels
        model = operator.model
        self._names = list(model.species_names)
        unknowns = [fields.unknowns[n] for n in model.species_names]
        num_dofs = fields.num_dofs + (flow.num_dofs if flow is not None else 0)
        tdim = unknowns[0].function_space.mesh.topology.dim
        self.fractional = self._fractional_operators(operator, flow)
        self._solver: NonlinearSolver | FlowSolver | RosenbrockSolver
        if isinstance(scheme, RosenbrockTableau):
            self._solver = self._rosenbrock(scheme, operator, levels, bcs, settings, num_dofs, time, tolerances)
        else:
            residuals = scheme.residuals(model, operator, levels, fields.tests)
            if flow is not None and flow.flow.solved:
                t_new = levels.t_old + levels.dt  # the flow alone is solved at the new time, too
                start, new = (operator.evaluator(states, t_new) for states in (levels.old, levels.new))
                split = None if moving else self._split(list(operator.parameters.values()))
                self._solver = flow.step_solver(residuals, unknowns, bcs, start, new, settings, split)
            else:
                options = {
                    **preset_options(settings.preset, [f.name for f in unknowns], num_dofs, tdim),
                    **settings.petsc,
                }
                fixed = None if moving else list(operator.parameters.values())  # a moving mesh changes every form
                forcing = chooses_forcing(options, settings.petsc)
                self._solver = self._newton(residuals, options, bcs, fixed, _taxis_targets_first(model), forcing)
        self.controller = self._controller(tolerances) if tolerances else None
        if self.controller is not None:
            self.controller.accept(time, fields.owned_values())

    def _rosenbrock(
        self,
        scheme: RosenbrockTableau,
        operator: SpatialOperator,
        levels: TimeLevels,
        bcs: Sequence[dolfinx.fem.DirichletBC],
        settings: SolverSettings,
        num_dofs: int,
        time: float,
        tolerances: tuple[float, float] | None,
    ) -> RosenbrockSolver:
        """The assembled system and stepper of a Rosenbrock scheme (a Newton solver's counterpart)."""
        names = operator.model.species_names
        unknowns = self.fields.unknowns
        mesh = unknowns[names[0]].function_space.mesh
        t_stage = dolfinx.fem.Constant(mesh, dolfinx.default_scalar_type(time))
        t_variable = ufl.variable(t_stage)
        residuals = operator.residuals(unknowns, self.fields.tests, t_variable)
        fixed = list(operator.parameters.values())
        options = {
            **linear_preset_options(
                settings.preset, names, num_dofs, mesh.topology.dim, tolerances[0] if tolerances else None
            ),
            **{k: v for k, v in settings.petsc.items() if not k.startswith("snes_")},
        }
        system = LinearlyImplicitSystem(
            [residuals[n] for n in names],
            [unknowns[n] for n in names],
            t_stage,
            t_variable,
            lambda f: any(f is p for p in fixed),
            options,
            list(bcs),
            jacobian_reuse=jacobian_reuse(scheme),
            split_order=_taxis_targets_first(operator.model),
            jacobian_drift=JACOBIAN_DRIFT,
        )
        return RosenbrockSolver(scheme, system, levels.t_old, levels.dt)

    def _newton(
        self,
        residuals: list[ufl.Form],
        options: Mapping[str, Any],
        bcs: Sequence[dolfinx.fem.DirichletBC],
        fixed: list[Any] | None,
        split_order: Sequence[str],
        forcing: bool,
    ) -> NonlinearSolver:
        """Newton for the species; with fractional diffusion inside the implicit step. Its
        Krylov tolerance is chosen per Newton iteration if `forcing` (not with fractional terms).

        Without it, the Jacobian's part that depends only on the `fixed` coefficients (None: on
        a moving mesh, none) and dt is assembled again only when dt or the value of a parameter
        Constant changes (see ``NonlinearSolver``; a fit changes parameters between runs).
        """
        unknowns = [self.fields.unknowns[n] for n in self._names]
        if not self.fractional:
            split = None if fixed is None else self._split(fixed)
            return NonlinearSolver(
                residuals, unknowns, options, bcs, split=split, split_order=split_order, forcing=forcing
            )
        from fem_chemotaxis.solvers.fractional_newton import FractionalNewtonSolver

        names = self._names
        operators = {names.index(n): op for n, op in self.fractional.items()}
        scheme = self.scheme
        assert not isinstance(scheme, RosenbrockTableau)  # refused with the fractional operators
        dt, omega = cast(dolfinx.fem.Constant, self._levels.dt), cast(dolfinx.fem.Constant, self._levels.omega)

        def weight() -> float:
            return scheme.implicit_weight(float(dt.value), float(omega.value))

        return FractionalNewtonSolver(residuals, unknowns, options, bcs, operators, weight)

    def _split(self, fixed: list[Any]) -> Split:
        """What a Newton solver needs to keep the part of its residual and Jacobian that changes
        only with the step size (:class:`~fem_chemotaxis.solvers.kept_part.KeptPart`): which inputs
        are `fixed`, the step constants (dt, omega and the parameter Constants, which a fit
        changes) and the inputs that change from step to step."""
        levels = self._levels
        constants = [p for p in fixed if isinstance(p, dolfinx.fem.Constant)]
        return (lambda f: any(f is p for p in fixed), [levels.dt, levels.omega, *constants], _step_inputs(levels))

    def _fractional_operators(self, operator: SpatialOperator, flow: FluidFlow | None) -> dict[str, Any]:
        """The spectral fractional operators ``D (-Lap)^(a/2)`` of the species that have one.

        They act inside the implicit step (:mod:`fem_chemotaxis.solvers.fractional_newton`),
        so backward Euler and BDF2 only.
        """
        model = operator.model
        species = [sp for sp in model.species if sp.fractional_order is not None]
        if not species:
            return {}
        from fem_chemotaxis.solvers.fractional_resolvent import FractionalDiffusion

        if isinstance(self.scheme, RosenbrockTableau):
            raise ValueError(
                f"fractional diffusion of '{species[0].name}' needs a Newton scheme (backward-euler or bdf2)"
            )
        self.scheme.implicit_weight(
            float(cast(dolfinx.fem.Constant, self._levels.dt).value), 0.0
        )  # refuses Crank-Nicolson
        if flow is not None and flow.flow.solved:
            raise ValueError(
                "[model.flow]: a solved flow is not supported with fractional diffusion (the flow's "
                "solvers have no fractional rows); a prescribed flow is"
            )

        operators = {}
        for sp in species:
            if sp.name in self.fields.log_species:
                raise ValueError(
                    f"species '{sp.name}': fractional diffusion is not available with log-density variables"
                )
            coefficient = float(sp.diffusion.numeric(model.parameters))  # type: ignore[union-attr]
            operators[sp.name] = FractionalDiffusion(self.fields.spaces[sp.name], sp.fractional_order, coefficient)  # type: ignore[arg-type]
        return operators

    def _controller(self, tolerances: tuple[float, float]) -> StepController:
        """Error control from the scheme's embedded estimate (Rosenbrock) or from past steps."""
        comm = self.fields.comm
        if isinstance(self.scheme, RosenbrockTableau):
            return StepController(self.scheme.embedded_order, 1.0, *tolerances, comm, pi=True)
        return StepController(self.scheme.order, self.scheme.error_constant, *tolerances, comm)

    def solve(self) -> SolveReport:
        """Solve the step (the levels' constants dt, t_old and omega are set)."""
        return self._solver.solve()

    def failure(self, report: SolveReport) -> str:
        """Why a step failed, in a few words."""
        if isinstance(self._solver, RosenbrockSolver):
            failure = self._solver.failure
            assert failure is not None, "a failed Rosenbrock step says why"
            return failure
        return f"Newton diverged (SNES reason {report.reason})"

    def error(self, t_new: float) -> float | None:
        """The controller's measure of the local error of the step just taken (None: no control, or not yet known)."""
        if self.controller is None:
            return None
        values = self.fields.owned_values()
        if isinstance(self._solver, RosenbrockSolver):
            return self.controller.embedded_error(values, self._solver.error_values())
        return self.controller.error(t_new, values)

    def kept_jacobian(self) -> tuple[int, float, np.ndarray] | None:
        """A Rosenbrock W-method's kept Jacobian (steps served, t and owned state it was assembled at);
        None for Newton schemes, which assemble theirs in every step."""
        return self._solver.kept_jacobian() if isinstance(self._solver, RosenbrockSolver) else None

    def restore_jacobian(self, age: int, t: float, state: np.ndarray) -> None:
        """Rebuild the kept Jacobian recorded by :meth:`kept_jacobian` (a restart)."""
        if isinstance(self._solver, RosenbrockSolver):
            self._solver.restore_jacobian(age, t, state)

    def accept(self, time: float) -> None:
        """The step was accepted: the controller remembers the new state."""
        if self.controller is not None:
            self.controller.accept(time, self.fields.owned_values())


def _step_inputs(levels: TimeLevels) -> list[Any]:
    """The form inputs that change only from one step to the next: those of the old time levels and t_n."""
    expressions = [*levels.old.values(), *levels.older.values(), levels.t_old]
    return list({f for e in expressions for f in changing_inputs(e, lambda _: False)})


def _taxis_targets_first(model: Model) -> list[str]:
    """The species in field-split order: those that others move up the gradient of come first.

    The multiplicative split then solves for the signal before the cells, so the large taxis
    coupling of the cells to the signal sits below the diagonal, where the split accounts for it
    (2-D Keller-Segel, 1.0e6 DOFs: Krylov iterations 12 -> 11 a backward-Euler step, 10%
    fewer in the Rosenbrock stages).
    """
    targets = {tx.towards for sp in model.species for tx in sp.taxis}
    return sorted(model.species_names, key=lambda n: n not in targets)
