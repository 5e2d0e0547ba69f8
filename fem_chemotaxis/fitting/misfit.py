"""The weighted L2 misfit of a run against observed densities at chosen times.

An observation is a species' density at one time, given as a Function on the species'
space (a checkpoint of an earlier run, an image or point data carried onto the mesh); it
contributes ``weight/2 * integral (u(t) - observed)^2 dx`` to the misfit at the step that
reaches its time. The misfit and its derivative with respect to the unknowns (the adjoint's
source) are compiled once per observation.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import dolfinx.fem
import dolfinx.la
import numpy as np
import ufl

from mpi4py import MPI

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
    """

    def __init__(
        self,
        observations: Sequence[FieldObservation],
        densities: Mapping[str, ufl.core.expr.Expr],
        unknowns: Mapping[str, dolfinx.fem.Function],
        step_of: Callable[[float], int],
    ):
        self.comm = next(iter(unknowns.values())).function_space.mesh.comm
        self._spaces = [u.function_space for u in unknowns.values()]
        self._by_step: dict[int, list[tuple[dolfinx.fem.Form, list[dolfinx.fem.Form | None]]]] = {}
        for obs in observations:
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
        return sorted(self._by_step)

    def value(self, step: int) -> float:
        """The misfit of the observations at `step` for the current unknowns (collective)."""
        local = sum(dolfinx.fem.assemble_scalar(f) for f, _ in self._by_step.get(step, []))
        return float(self.comm.allreduce(local, op=MPI.SUM))

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
        return result
