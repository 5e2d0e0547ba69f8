"""Chemical fields the particles sense: their values and gradients at particle positions.

- :class:`LinearSignal`: ``S = value + gradient . x``;
- :class:`ExpressionSignal`: an expression in ``x, y, z`` and parameters, with its exact
  gradient (symbolic derivatives);
- :class:`GridSignal`: values on a regular grid, multilinear interpolation (the gradient is
  the interpolant's);
- :func:`sample_function` / :class:`FunctionSampler`: a finite-element solution (a DOLFINx
  Function, e.g. the signal species of a :class:`~fem_chemotaxis.simulation.Simulation`)
  sampled onto a grid that every rank holds, so particles on any rank can sense it; the
  sampler locates the grid once and resamples cheaply as the solution evolves.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence

import dolfinx
import numpy as np

from mpi4py import MPI

from fem_chemotaxis.expressions import NUMPY_FUNCTIONS, Expression
from fem_chemotaxis.kinetics.symbolic import derivative
from fem_chemotaxis.particles.density import locate_points

__all__ = ["ExpressionSignal", "FunctionSampler", "GridSignal", "LinearSignal", "SignalField", "sample_function"]

_COORDINATES = ("x", "y", "z")


class SignalField(ABC):
    """A chemical concentration S(x) in n dimensions."""

    dimension: int

    @abstractmethod
    def evaluate(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """S and grad S at positions x (shape (N, n)): shapes (N,) and (N, n)."""


class LinearSignal(SignalField):
    """``S(x) = value + gradient . x``: a uniform gradient.

    Args:
        gradient: grad S, shape (n,).
        value: S at the origin.
    """

    def __init__(self, gradient: Sequence[float], value: float = 0.0):
        self.gradient = np.asarray(gradient, dtype=float)
        self.value = float(value)
        self.dimension = len(self.gradient)

    def evaluate(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return self.value + x @ self.gradient, np.broadcast_to(self.gradient, x.shape)


class ExpressionSignal(SignalField):
    """S given as an expression in ``x, y, z`` (up to the dimension) and parameters.

    Args:
        text: The expression, e.g. ``"exp(-((x - 0.5)^2 + (y - 0.5)^2)/0.02)"``.
        dimension: n.
        parameters: Values of its other symbols.
    """

    def __init__(self, text: str, dimension: int, parameters: Mapping[str, float] | None = None):
        self.dimension = dimension
        self.parameters = dict(parameters or {})
        self.expression = Expression.parse(text, "signal")
        self.expression.check_symbols(
            set(_COORDINATES[:dimension]) | set(self.parameters), "the signal (coordinates and parameters)"
        )
        self.gradient = [derivative(self.expression, c) for c in _COORDINATES[:dimension]]

    def evaluate(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        symbols = {**self.parameters, **{_COORDINATES[i]: x[:, i] for i in range(self.dimension)}}
        shape = x.shape[:1]
        value = np.broadcast_to(self.expression.evaluate(symbols, NUMPY_FUNCTIONS), shape).astype(float)
        gradient = np.column_stack(
            [np.broadcast_to(g.evaluate(symbols, NUMPY_FUNCTIONS), shape) for g in self.gradient]
        )
        return value, gradient.astype(float)


class GridSignal(SignalField):
    """Values on the regular grid of ``[lower, upper]`` with multilinear interpolation.

    Positions outside the grid are clamped to it.

    Args:
        lower: Lower corner, shape (n,).
        upper: Upper corner, shape (n,).
        values: Values at the grid points, shape (m_1, ..., m_n) with every m_i >= 2.
    """

    def __init__(self, lower: Sequence[float], upper: Sequence[float], values: np.ndarray):
        self.lower = np.asarray(lower, dtype=float)
        self.upper = np.asarray(upper, dtype=float)
        self.values = np.asarray(values, dtype=float)
        self.dimension = len(self.lower)
        if self.values.ndim != self.dimension or min(self.values.shape) < 2:
            raise ValueError(
                f"grid values must have {self.dimension} axes of >= 2 points, got shape {self.values.shape}"
            )
        self.spacing = (self.upper - self.lower) / (np.array(self.values.shape) - 1)

    def evaluate(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        n = self.dimension
        shape = np.array(self.values.shape)
        local = np.clip((x - self.lower) / self.spacing, 0.0, shape - 1)
        base = np.minimum(np.floor(local).astype(int), shape - 2)
        frac = local - base
        value = np.zeros(len(x))
        gradient = np.zeros((len(x), n))
        for corner in range(2**n):
            bits = [(corner >> i) & 1 for i in range(n)]
            node = self.values[tuple(base[:, i] + bits[i] for i in range(n))]
            factors = [frac[:, i] if bits[i] else 1 - frac[:, i] for i in range(n)]
            value += node * np.prod(factors, axis=0)
            for i in range(n):
                others = np.prod([factors[j] for j in range(n) if j != i], axis=0) if n > 1 else 1.0
                gradient[:, i] += node * (1.0 if bits[i] else -1.0) * others / self.spacing[i]
        return value, gradient


class FunctionSampler:
    """Samples scalar finite-element functions on one mesh onto a regular grid held by every rank.

    The grid points are located in the mesh once; each call then only evaluates the function
    there and sums over the ranks. Collective.

    Args:
        mesh: The mesh of the functions to sample.
        lower: Lower corner of the grid.
        upper: Upper corner of the grid (inside the mesh).
        points: Grid points per axis.
    """

    def __init__(self, mesh: dolfinx.mesh.Mesh, lower: Sequence[float], upper: Sequence[float], points: Sequence[int]):
        self.mesh, self.lower, self.upper, self.points = mesh, list(lower), list(upper), tuple(points)
        axes = [np.linspace(a, b, m) for a, b, m in zip(lower, upper, points)]
        grid = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, len(axes))
        self._size = len(grid)
        self._location = locate_points(mesh, grid)
        self._points = np.zeros((len(self._location.index), 3))
        self._points[:, : len(axes)] = grid[self._location.index]

    def __call__(self, function: dolfinx.fem.Function) -> GridSignal:
        """The grid signal of `function` (a scalar function on the sampler's mesh)."""
        if function.function_space.mesh is not self.mesh:
            raise ValueError("the function lives on another mesh than the sampler's")
        values = np.zeros(self._size)
        if len(self._location.index):
            values[self._location.index] = function.eval(self._points, self._location.cells)[:, 0]
        self.mesh.comm.Allreduce(MPI.IN_PLACE, values, op=MPI.SUM)
        return GridSignal(self.lower, self.upper, values.reshape(self.points))


def sample_function(
    function: dolfinx.fem.Function, lower: Sequence[float], upper: Sequence[float], points: Sequence[int]
) -> GridSignal:
    """A scalar finite-element function sampled on a regular grid held by every rank; collective.

    Args:
        function: The field, e.g. ``simulation.u["s"]``.
        lower: Lower corner of the grid.
        upper: Upper corner of the grid (inside the mesh).
        points: Grid points per axis.
    """
    return FunctionSampler(function.function_space.mesh, lower, upper, points)(function)
