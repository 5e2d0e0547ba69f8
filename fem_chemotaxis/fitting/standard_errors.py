"""Approximate standard errors of fitted parameters from the Gauss-Newton Hessian.

The sensitivities S_j = du/dp_j of the run come from the tangent-linear model of the
discrete steps (one linear run per parameter, the same forms as the adjoint's, untransposed;
the runs of all parameters share each step's matrix):

    (dF_n/du_n) S_n = -(dF_n/du_{n-1}) S_{n-1} - dF_n/dp_j,   S_0 = 0.

With r the residual of the observed densities and W their weights, the Gauss-Newton Hessian
of the misfit is H = sum_k w_k (S_k, S_k)_L2. Nodal observation noise of variance sigma^2
(estimated from the residual at the fit: sum of squared nodal residuals over
(number of observed nodal values - number of parameters)) gives the covariance of the
estimate sigma^2 H^-1 B H^-1 with B = sum_k w_k^2 (M S_k)^T (M S_k), M the mass matrix
(the estimate weights the data through M; for observations at points M is the identity and
S_k the sensitivities at the points). One noise level is estimated for all observations.
Valid for small noise and a fit near the truth; a Tikhonov term is left out. A parameter the
observations do not determine (H singular in its direction) gets an infinite standard error
and a warning; the others' come from H's inverse on the directions the observations determine.
"""

from __future__ import annotations

import functools
import logging
import operator

import dolfinx.fem
import dolfinx.la
import numpy as np
import ufl

from mpi4py import MPI

from fem_chemotaxis.fitting.linearised_solver import LinearisedSolver
from fem_chemotaxis.fitting.misfit import FieldObservation
from fem_chemotaxis.fitting.point_samples import PointObservation, PointSampler
from fem_chemotaxis.fitting.reduced_misfit import ReducedMisfit, State
from fem_chemotaxis.fitting.step_linearisation import assembled, constant_derivative
from fem_chemotaxis.io.console import LOGGER_NAME
from fem_chemotaxis.time import ThetaMethod

__all__ = ["IDENTIFIED", "standard_errors"]

_log = logging.getLogger(LOGGER_NAME)

#: Eigenvalues of the relative Gauss-Newton Hessian below this fraction of the largest are taken
#: as zero: the tangent-linear solves are accurate to about 1e-10 of the sensitivities.
IDENTIFIED = 1e-8


def _form(form: ufl.Form) -> dolfinx.fem.Form | None:
    form = ufl.algorithms.expand_derivatives(form)
    return None if form.empty() else dolfinx.fem.form(form)


class _Tangent:
    """The tangent-linear step: Jacobian blocks (shared by the parameters), and per parameter the
    right-hand side and S_{n-1}."""

    def __init__(self, reduced: ReducedMisfit):
        sim = reduced.sim
        assert isinstance(sim.scheme, ThetaMethod)
        fields, species = sim.fields, list(sim.model.species_names)
        self.unknowns = [fields.unknowns[s] for s in species]
        old = [fields.old[s] for s in species]
        residuals = sim.scheme.residuals(sim.model, sim.operator, sim.levels, fields.tests)
        trials = [ufl.TrialFunction(u.function_space) for u in self.unknowns]
        self.jacobian = [[_form(ufl.derivative(F, u, du)) for u, du in zip(self.unknowns, trials)] for F in residuals]
        self.previous = {
            name: [dolfinx.fem.Function(u.function_space) for u in self.unknowns] for name in reduced.names
        }
        self.rhs = {
            name: [
                _form(
                    -functools.reduce(operator.add, (ufl.derivative(F, f, s) for f, s in zip(old, previous)))
                    - constant_derivative(F, sim.parameters[name])
                )
                for F in residuals
            ]
            for name, previous in self.previous.items()
        }


def _sensitivities(reduced: ReducedMisfit, states: dict[int, list[np.ndarray]]) -> dict[str, dict[int, State]]:
    """Per parameter, S_n per observed step n: the tangent-linear runs of all parameters side by
    side, one Jacobian assembled (and factorised, or its preconditioner judged) a step."""
    sim, tangent = reduced.sim, _Tangent(reduced)
    solver = LinearisedSolver(sim, tangent.jacobian, tangent.unknowns, sim.boundary_conditions.dirichlet)
    observed = set(reduced.misfit.steps)
    result: dict[str, dict[int, State]] = {name: {} for name in reduced.names}
    solution = [dolfinx.fem.Function(u.function_space) for u in tangent.unknowns]
    for n in range(1, reduced.num_steps + 1):
        reduced.set_step_state(n, states[n], states[n - 1])
        solver.assemble()
        for name, forms in tangent.rhs.items():
            solver.solve(
                [assembled(form) for form in forms], solution, f"the tangent-linear solve of step {n} for '{name}'"
            )
            for s, f in zip(solution, tangent.previous[name]):
                f.x.array[:] = s.x.array
            if n in observed:
                result[name][n] = [s.x.array.copy() for s in solution]
    return result


def standard_errors(reduced: ReducedMisfit) -> np.ndarray:
    """Approximate standard errors of the parameters at their current values (collective)."""
    sim = reduced.sim
    states = reduced.states_at(range(reduced.num_steps + 1))
    sensitivities = _sensitivities(reduced, states)
    sens = [sensitivities[name] for name in reduced.names]
    species = list(sim.model.species_names)
    count = len(reduced.names)
    H, B = np.zeros((count, count)), np.zeros((count, count))
    squares, values = 0.0, 0
    for obs in reduced.observations:
        n, k = reduced.step_of(obs.time), species.index(obs.species)
        if isinstance(obs, PointObservation):
            terms = _point_terms(reduced, obs, states[n][k], [s[n][k] for s in sens])
        else:
            terms = _field_terms(reduced, obs, states[n][k], [s[n][k] for s in sens])
        H, B = H + terms[0], B + terms[1]
        squares, values = squares + terms[2], values + terms[3]
    variance = squares / max(values - count, 1)
    inverse, unidentified = _inverse_where_identified(H, reduced.values)
    errors = np.sqrt(np.abs(np.diag(variance * inverse @ B @ inverse)))
    errors[unidentified] = np.inf
    if unidentified.any():
        names = ", ".join(n for n, weak in zip(reduced.names, unidentified) if weak)
        _log.warning(
            f"fem-chemotaxis: the observations do not determine {names} (the Gauss-Newton Hessian is "
            f"singular in their direction, relative to {IDENTIFIED:g}): standard error inf"
        )
    return errors


def _inverse_where_identified(H: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """H's inverse on the directions the observations determine, and which parameters they do not.

    H is scaled to relative parameter changes (H_ij |p_i p_j|); its eigenvectors with eigenvalues
    below :data:`IDENTIFIED` times the largest are left out of the inverse (a pseudo-inverse),
    and a parameter with a component above 0.1 in one of them is not determined.
    """
    scale = np.where(values != 0.0, np.abs(values), 1.0)
    eigenvalues, vectors = np.linalg.eigh(H * np.outer(scale, scale))
    kept = eigenvalues > IDENTIFIED * max(eigenvalues.max(), 0.0)
    unidentified = np.any(np.abs(vectors[:, ~kept]) > 0.1, axis=1)
    relative = vectors[:, kept] @ np.diag(1.0 / eigenvalues[kept]) @ vectors[:, kept].T
    return relative * np.outer(scale, scale), unidentified


Terms = tuple[np.ndarray, np.ndarray, float, int]


def _field_terms(reduced: ReducedMisfit, obs: FieldObservation, state: np.ndarray, sens: list[np.ndarray]) -> Terms:
    """An observed field's parts of H and B, its squared nodal residuals and their number (collective)."""
    sim, count = reduced.sim, len(sens)
    comm = sim.comm
    u = sim.fields.unknowns[obs.species]
    V = u.function_space
    u.x.array[:] = state
    density = sim.fields.density(obs.species)
    directions = [dolfinx.fem.Function(V) for _ in range(count)]
    for d, s in zip(directions, sens):
        d.x.array[:] = s
    changes = [ufl.derivative(density, u, d) for d in directions]
    v = ufl.TestFunction(V)
    owned = V.dofmap.index_map.size_local
    H, B, weighted = np.zeros((count, count)), np.zeros((count, count)), []
    for i in range(count):
        vector = dolfinx.fem.assemble_vector(dolfinx.fem.form(obs.weight * changes[i] * v * ufl.dx))
        vector.scatter_reverse(dolfinx.la.InsertMode.add)
        weighted.append(vector.array[:owned].copy())
        for j in range(count):
            form = dolfinx.fem.form(obs.weight * changes[i] * changes[j] * ufl.dx)
            H[i, j] = comm.allreduce(dolfinx.fem.assemble_scalar(form), op=MPI.SUM)
    for i in range(count):
        for j in range(count):
            B[i, j] = comm.allreduce(float(weighted[i] @ weighted[j]), op=MPI.SUM)
    nodal = np.exp(state[:owned]) if obs.species in sim.fields.log_species else state[:owned]
    squares = comm.allreduce(float(np.sum((nodal - obs.values.x.array[:owned]) ** 2)), op=MPI.SUM)
    return H, B, squares, comm.allreduce(owned, op=MPI.SUM)


def _point_terms(reduced: ReducedMisfit, obs: PointObservation, state: np.ndarray, sens: list[np.ndarray]) -> Terms:
    """Observations at points: their parts of H and B (identity in place of the mass matrix), residuals."""
    sim = reduced.sim
    sampler = PointSampler(sim.fields.spaces[obs.species], obs.points, f"observation of {obs.species}")
    log = obs.species in sim.fields.log_species
    rho = np.exp(sampler.values(state)) if log else sampler.values(state)
    changes = np.array([(rho if log else 1.0) * sampler.values(s) for s in sens])  # (parameters, local points)
    H = sim.comm.allreduce(obs.weight * changes @ changes.T, op=MPI.SUM)
    B = sim.comm.allreduce(obs.weight**2 * changes @ changes.T, op=MPI.SUM)
    squares = sim.comm.allreduce(float(np.sum((rho - obs.values[sampler.local]) ** 2)), op=MPI.SUM)
    return H, B, squares, len(obs.points)
