"""The misfit as a function of model parameters, with its exact gradient by the discrete adjoint.

A forward run takes the simulation's own steps (its Newton solver, fixed dt, theta method)
from the initial state to the last observed time. The gradient is that of the discrete
problem: with F_n(u_n, u_{n-1}; p) = 0 the residual of step n and M the misfit, the adjoint
states solve, backwards from the last step,

    (dF_n/du_n)^T lambda_n = -(dM/du_n + (dF_{n+1}/du_n)^T lambda_{n+1})

and dM/dp = sum_n <lambda_n, dF_n/dp>. Dirichlet dofs have lambda = 0 (their rows are
u - g, and g does not depend on the parameters). Each adjoint step is one assembly and one
linear solve of the transposed Jacobian, cheaper than a Newton solve, with the forward
run's preset (:mod:`~fem_chemotaxis.fitting.linearised_solver`).

Memory: the forward states are kept every ``store_every`` steps (1: all of them); the
backward pass recomputes the states between two kept ones (one more forward run when
``store_every`` > 1), so about N/K + K states are held for N steps.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import cast

import dolfinx.fem
import numpy as np
import numpy.typing as npt

from mpi4py import MPI

from fem_chemotaxis.fitting.linearised_solver import LinearisedSolver
from fem_chemotaxis.fitting.misfit import FieldObservation, Misfit
from fem_chemotaxis.fitting.point_samples import PointObservation
from fem_chemotaxis.fitting.step_linearisation import StepLinearisation, assembled
from fem_chemotaxis.simulation import Simulation, SolverFailure
from fem_chemotaxis.time import ThetaMethod

__all__ = ["ReducedMisfit"]

State = list[np.ndarray]


def check_supported(sim: Simulation, names: Sequence[str]) -> None:
    """Refuse what the adjoint does not cover, naming it.

    Raises:
        ValueError: for an adaptive or multistep scheme, a flow, a moving mesh, fractional
            diffusion, non-local integrals, or a parameter that is not a model Constant.
    """
    if not isinstance(sim.scheme, ThetaMethod) or sim.controller is not None:
        raise ValueError(f"fitting needs fixed steps of backward-euler or crank-nicolson, not {sim.scheme.name}")
    for what, present in (
        ("a flow", sim.flow is not None),
        ("a moving mesh", sim.moving is not None),
        ("fractional diffusion", bool(sim.solver.fractional)),
        ("non-local integrals", bool(sim.integrals)),
    ):
        if present:
            raise ValueError(f"fitting does not support models with {what}")
    for name in names:
        if not isinstance(sim.parameters.get(name), dolfinx.fem.Constant):
            raise ValueError(
                f"parameter '{name}' is not a model parameter with one value (subdomain values are not fitted)"
            )


class ReducedMisfit:
    """M(p): run the simulation with parameters p and sum the misfit of the observations.

    Args:
        sim: A simulation at its initial state (fixed dt, theta method); it is reset to that
            state before every run.
        names: The parameters (model Constants) to vary, in the order of p.
        observations: Observed densities; each time must be a whole number of steps from the start
            (those at the start are left out: the initial state does not depend on the parameters).
        store_every: Keep every K-th forward state for the adjoint (see the module doc).
    """

    def __init__(
        self,
        sim: Simulation,
        names: Sequence[str],
        observations: Sequence[FieldObservation | PointObservation],
        store_every: int = 1,
    ):
        check_supported(sim, names)
        self.sim, self.names, self.store_every = sim, list(names), max(1, int(store_every))
        self.t_start, self.dt = sim.time, sim.dt
        fields = sim.fields
        self._species = list(sim.model.species_names)
        self._unknowns = [fields.unknowns[n] for n in self._species]
        self._initial = self._state()
        self.observations = [obs for obs in observations if self.step_of(obs.time) > 0]  # t_start: fixed by p
        self.misfit = Misfit(
            self.observations, fields.densities(fields.unknowns), fields.unknowns, self.step_of, fields.log_species
        )
        self.num_steps = max(self.misfit.steps) if self.misfit.steps else 0
        self._adjoints = [dolfinx.fem.Function(u.function_space) for u in self._unknowns]
        assert isinstance(sim.scheme, ThetaMethod)  # check_supported
        residuals = sim.scheme.residuals(sim.model, sim.operator, sim.levels, fields.tests)
        old = [fields.old[n] for n in self._species]
        constants = {n: sim.parameters[n] for n in self.names}
        self._linearisation = StepLinearisation(residuals, self._unknowns, old, constants, self._adjoints)
        self._bcs = list(sim.boundary_conditions.dirichlet)
        self._transposed = LinearisedSolver(sim, self._linearisation.transposed_jacobian, self._unknowns, self._bcs)
        self.forward_runs = 0

    def step_of(self, t: float) -> int:
        """The index of the step that reaches time t (ValueError unless t is a whole number of steps)."""
        steps = (t - self.t_start) / self.dt
        n = round(steps)
        if n < 0 or abs(steps - n) > 1e-8 * max(1.0, steps):
            raise ValueError(
                f"observation time {t:g} is not a whole number of steps dt = {self.dt:g} from t = {self.t_start:g}"
            )
        return n

    @property
    def values(self) -> np.ndarray:
        """The current parameter values, in the order of ``names``."""
        return np.array([float(self.sim.parameters[n].value) for n in self.names])

    def _set(self, p: npt.ArrayLike) -> None:
        values = np.asarray(p, dtype=float).ravel()
        if len(values) != len(self.names):
            raise ValueError(
                f"expected {len(self.names)} parameter values ({', '.join(self.names)}), got {len(values)}"
            )
        for name, value in zip(self.names, values):
            self.sim.parameters[name].value = float(value)

    def _state(self) -> State:
        return [u.x.array.copy() for u in self._unknowns]

    def _restore(self, state: State, step: int) -> None:
        """Make `state` the accepted state of the simulation at step `step`."""
        for u, values in zip(self._unknowns, state):
            u.x.array[:] = values
        previous = dict(zip(self._species, self._unknowns))
        self.sim.continue_from(self.t_start + step * self.dt, self.dt, self.dt if step else 0.0, previous)

    def _advance(self, step: int) -> None:
        """One step of the simulation (from step - 1 to step), which must converge."""
        report = self.sim.step(self.dt)
        if not report.converged:
            raise SolverFailure(
                f"the forward run diverged at step {step} (t = {self.t_start + step * self.dt:.6g}; "
                f"parameters {dict(zip(self.names, self.values.tolist()))})",
                {"time": self.sim.time},
            )

    def __call__(self, p: npt.ArrayLike) -> float:
        """M(p) (collective)."""
        return self._forward(p)[0]

    def _forward(self, p: npt.ArrayLike) -> tuple[float, dict[int, State]]:
        """M(p) and the kept states (every ``store_every`` steps, and the last)."""
        self._set(p)
        self._restore(self._initial, 0)
        kept, total = {0: self._initial}, 0.0
        for n in range(1, self.num_steps + 1):
            self._advance(n)
            total += self.misfit.value(n)
            if n % self.store_every == 0 or n == self.num_steps:
                kept[n] = self._state()
        self.forward_runs += 1
        return total, kept

    def states_at(self, steps: Sequence[int]) -> dict[int, State]:
        """The states at the given steps of the run with the current parameters (one forward run)."""
        wanted = set(steps)
        self._restore(self._initial, 0)
        states = {0: self._initial} if 0 in wanted else {}
        for n in range(1, max(wanted, default=0) + 1):
            self._advance(n)
            if n in wanted:
                states[n] = self._state()
        return states

    def value_and_gradient(self, p: npt.ArrayLike) -> tuple[float, np.ndarray]:
        """M(p) and dM/dp (collective): one forward run and one adjoint run."""
        value, kept = self._forward(p)
        gradient = np.zeros(len(self.names))
        coupling: list[np.ndarray | None] = [None] * len(self._species)  # (dF_{n+1}/du_n)^T lambda_{n+1}
        end = self.num_steps
        while end > 0:
            start = (end - 1) // self.store_every * self.store_every  # the kept state before `end`
            states = self._segment(kept, start, end)
            for n in range(end, start, -1):
                coupling = self._adjoint_step(n, states[n], states[n - 1], coupling, gradient)
            end = start
        return value, gradient

    def _segment(self, kept: Mapping[int, State], start: int, end: int) -> dict[int, State]:
        """The states from `start` (kept) to `end`, recomputed from the kept one where not kept."""
        states = {start: kept[start]}
        if all(n in kept for n in range(start + 1, end + 1)):
            return {**states, **{n: kept[n] for n in range(start + 1, end + 1)}}
        self._restore(kept[start], start)
        for n in range(start + 1, end + 1):
            self._advance(n)
            states[n] = self._state()
        return states

    def _adjoint_step(
        self, n: int, new: State, old: State, coupling: list[np.ndarray | None], gradient: np.ndarray
    ) -> list[np.ndarray | None]:
        """Solve for lambda_n, add its part of the gradient; return (dF_n/du_{n-1})^T lambda_n."""
        self.set_step_state(n, new, old)
        rhs = [np.zeros_like(u.x.array) for u in self._unknowns]
        for i, source in enumerate(self.misfit.source(n)):
            if source is not None:
                rhs[i] -= source
            if coupling[i] is not None:
                rhs[i] -= coupling[i]
        # lambda_n from (dF/du)^T lambda = rhs, zero on Dirichlet dofs
        self._transposed.assemble()
        self._transposed.solve(rhs, self._adjoints, f"the adjoint solve of step {n}")
        lin = self._linearisation
        for k, form in enumerate(lin.parameter_pairings.values()):
            if form is not None:
                gradient[k] += self.sim.comm.allreduce(dolfinx.fem.assemble_scalar(form), op=MPI.SUM)
        return [assembled(form) for form in lin.old_transposed_action]

    def set_step_state(self, n: int, new: State, old: State) -> None:
        """Put the forms of step n (from t_{n-1} to t_n) at the states `new` (solved for) and `old`, and at its times."""
        sim = self.sim
        for u, f, values, before in zip(self._unknowns, (sim.fields.old[s] for s in self._species), new, old):
            u.x.array[:] = values
            f.x.array[:] = before
        dt, t_old = (cast(dolfinx.fem.Constant, c) for c in (sim.levels.dt, sim.levels.t_old))
        dt.value, t_old.value = self.dt, self.t_start + (n - 1) * self.dt
        sim.boundary_conditions.update(self.t_start + n * self.dt)
