"""The weighted L2 misfit of a run against observed densities at chosen times.

An observation is a species' density at one time, given as a Function on the species'
space (a checkpoint of an earlier run, a picture carried onto the mesh); it contributes
``weight/2 * integral (u(t) - observed)^2 dx`` to the misfit at the step that reaches its
time. The misfit and its derivative with respect to the unknowns (the adjoint's source) are
compiled once per observation. Observations at points
(:class:`~fem_chemotaxis.fitting.point_samples.PointObservation`) contribute
``weight/2 * sum_j (u(x_j, t) - observed_j)^2``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import dolfinx.fem
import dolfinx.la
import numpy as np
import ufl

from mpi4py import MPI

from fem_chemotaxis.fitting.point_samples import PointObservation, PointSampler, point_misfit

__all__ = ["FieldObservation", "Misfit"]


@dataclass(frozen=True)
class FieldObservation:
    """A species' observed density at a time, with its weight in the misfit."""

    time: float
    species: str
    values: dolfinx.fem.Function
    weight: float = 1.0


class Misfit:
    """Sum over observations of weight/2 * ||u(t) - observed||^2 (L2 over the domain).

    Args:
        observations: The observations.
        densities: Each species' density as a UFL expression of its unknown.
        unknowns: The unknowns (the derivative is taken with respect to them).
        step_of: Maps an observation time to the index of the step that reaches it.
        log_species: Species whose unknown is log(density) (for observations at points).
    """

    def __init__(
        self,
        observations: Sequence[FieldObservation | PointObservation],
        densities: Mapping[str, ufl.core.expr.Expr],
        unknowns: Mapping[str, dolfinx.fem.Function],
        step_of: Callable[[float], int],
        log_species: frozenset[str] | set[str] = frozenset(),
    ):
        self.comm = next(iter(unknowns.values())).function_space.mesh.comm
        self._spaces = [u.function_space for u in unknowns.values()]
        self._arrays = [u.x.array for u in unknowns.values()]  # the unknowns' current values (views)
        self._by_step: dict[int, list[tuple[dolfinx.fem.Form, list[dolfinx.fem.Form | None]]]] = {}
        self._points_by_step: dict[int, list[tuple[int, Callable[[np.ndarray], tuple[float, np.ndarray]]]]] = {}
        names = list(unknowns)
        for obs in observations:
            if isinstance(obs, PointObservation):
                if obs.species not in unknowns:
                    raise ValueError(f"observation of '{obs.species}': not a species ({', '.join(unknowns)})")
                where = f"observation of {obs.species} at t = {obs.time:g}"
                sampler = PointSampler(unknowns[obs.species].function_space, obs.points, where)
                evaluate = point_misfit(sampler, obs, obs.species in log_species)
                self._points_by_step.setdefault(step_of(obs.time), []).append((names.index(obs.species), evaluate))
                continue
            if obs.species not in densities:
                raise ValueError(f"observation of '{obs.species}': not a species ({', '.join(densities)})")
            functional = 0.5 * obs.weight * (densities[obs.species] - obs.values) ** 2 * ufl.dx
            sources = []
            for _name, u in unknowns.items():
                derivative = ufl.algorithms.expand_derivatives(
                    ufl.derivative(functional, u, ufl.TestFunction(u.function_space))
                )
                sources.append(None if derivative.empty() else dolfinx.fem.form(derivative))
            self._by_step.setdefault(step_of(obs.time), []).append((dolfinx.fem.form(functional), sources))

    @property
    def steps(self) -> list[int]:
        """The steps at which something is observed, in order."""
        return sorted(set(self._by_step) | set(self._points_by_step))

    def value(self, step: int) -> float:
        """The misfit of the observations at `step` for the current unknowns (collective)."""
        local = sum(dolfinx.fem.assemble_scalar(f) for f, _ in self._by_step.get(step, []))
        points = sum(evaluate(self._arrays[i])[0] for i, evaluate in self._points_by_step.get(step, []))
        return float(self.comm.allreduce(local, op=MPI.SUM)) + points

    def source(self, step: int) -> list[np.ndarray | None]:
        """d misfit(step) / d unknowns, per species (None where nothing is observed); owned entries summed."""
        result: list[np.ndarray | None] = [None] * len(self._spaces)
        for _, sources in self._by_step.get(step, []):
            for i, form in enumerate(sources):
                if form is None:
                    continue
                vector = dolfinx.fem.assemble_vector(form)
                vector.scatter_reverse(dolfinx.la.InsertMode.add)
                previous = result[i]
                result[i] = vector.array.copy() if previous is None else previous + vector.array
        for i, evaluate in self._points_by_step.get(step, []):
            previous, source = result[i], evaluate(self._arrays[i])[1]
            result[i] = source if previous is None else previous + source
        return result
