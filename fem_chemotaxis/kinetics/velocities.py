"""Velocity sets V with an equilibrium distribution M(v): quadrature and sampling.

A velocity-jump (run-and-tumble) cell runs with a velocity from V and, at each tumble,
draws a new one. The relaxation kernel ``T(v, w) = sigma M(v)`` of the cross-diffusion
file (37) draws it from the equilibrium M, a density with respect to the natural measure
of V:

- :class:`Sphere`: ``|v| = speed``, uniform directions (surface measure, ``M = 1/|V|``);
  chapter 7.3's ``V = s S^{n-1}``;
- :class:`DiscreteVelocities`: finitely many velocities with probabilities (counting
  measure);
- :class:`VelocityDensity`: a density ``M(v)`` on R^n given as an expression in
  ``vx, vy, vz`` (Lebesgue measure), integrated on the box ``|v_i| <= cutoff``;
- :class:`HeavyTailedEquilibrium`: a radial ``F(|v|) ~ K0 |v|^-(N+gamma+1)`` with infinite
  second moment (fractional file, eq. (2)); only its tail enters the fractional limit.

Each set gives a quadrature rule (nodes, measure weights and M at the nodes) so that
``sum_q weight_q f(v_q) M_q`` approximates ``int_V f(v) M(v) dv`` (exactly for discrete
sets, spectrally for the sphere), and samples of M for the particle simulator.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import scipy.integrate

from fem_chemotaxis.expressions import NUMPY_FUNCTIONS, Expression

__all__ = [
    "VELOCITY_SYMBOLS",
    "DiscreteVelocities",
    "HeavyTailedEquilibrium",
    "Quadrature",
    "Sphere",
    "VelocityDensity",
    "VelocitySet",
    "sphere_area",
]

#: Names of the velocity components in expressions, by axis.
VELOCITY_SYMBOLS = ("vx", "vy", "vz")


def sphere_area(dimension: int, radius: float = 1.0) -> float:
    """|R S^{n-1}|: 2 for n = 1 (two points), 2 pi R for n = 2, 4 pi R^2 for n = 3."""
    return 2 * math.pi ** (dimension / 2) / math.gamma(dimension / 2) * radius ** (dimension - 1)


@dataclass(frozen=True)
class Quadrature:
    """A quadrature rule on a velocity set.

    Attributes:
        nodes: Velocities, shape (Q, n).
        weights: Weights of the set's measure (surface, counting or Lebesgue), shape (Q,).
        density: The equilibrium M at the nodes, shape (Q,).
    """

    nodes: np.ndarray
    weights: np.ndarray
    density: np.ndarray

    def mean(self, values: np.ndarray) -> np.ndarray:
        """``int f(v) M(v) dv`` for f given at the nodes (first axis)."""
        return np.tensordot(self.weights * self.density, values, axes=(0, 0))

    def second_moment(self) -> np.ndarray:
        """``int v (x) v M(v) dv``, shape (n, n)."""
        return np.einsum("q,qi,qj->ij", self.weights * self.density, self.nodes, self.nodes)


class VelocitySet(ABC):
    """A set of velocities V in R^n with an equilibrium density M (normalised, zero mean)."""

    dimension: int

    @abstractmethod
    def quadrature(self) -> Quadrature:
        """The quadrature rule of this set."""

    @abstractmethod
    def sample(self, rng: np.random.Generator, count: int) -> np.ndarray:
        """`count` independent velocities drawn from M, shape (count, n)."""

    @property
    @abstractmethod
    def max_speed(self) -> float:
        """The largest |v| a sample can have."""

    @property
    @abstractmethod
    def measure(self) -> float:
        """|V|: the total measure of the set (surface area, number of velocities, box volume)."""

    @abstractmethod
    def describe(self) -> str:
        """One line for reports."""


@dataclass(frozen=True)
class Sphere(VelocitySet):
    """Constant speed, uniformly distributed directions: ``V = speed S^{n-1}``, ``M = 1/|V|``.

    Attributes:
        dimension: n in 1, 2, 3.
        speed: The run speed s (radius R of the sphere).
        nodes: Quadrature resolution: angles in 2-D (default 64); polar Gauss points in 3-D
            (default 16, with twice as many azimuths). Exact for (spherical) polynomials of
            degree below this number.
    """

    dimension: int
    speed: float
    nodes: int | None = None

    @property
    def resolution(self) -> int:
        """The quadrature resolution used (`nodes` or the default of the dimension)."""
        return self.nodes if self.nodes is not None else (64 if self.dimension == 2 else 16)

    def quadrature(self) -> Quadrature:
        n, s = self.dimension, self.speed
        if n == 1:
            nodes, weights = np.array([[s], [-s]]), np.ones(2)
        elif n == 2:
            m = self.resolution
            phi = 2 * np.pi * np.arange(m) / m
            nodes = s * np.column_stack([np.cos(phi), np.sin(phi)])
            weights = np.full(m, 2 * np.pi * s / m)
        else:
            m = self.resolution
            mu, wmu = np.polynomial.legendre.leggauss(m)
            phi = 2 * np.pi * np.arange(2 * m) / (2 * m)
            sin_theta = np.sqrt(1 - mu**2)
            nodes = s * np.column_stack(
                [
                    np.outer(sin_theta, np.cos(phi)).ravel(),
                    np.outer(sin_theta, np.sin(phi)).ravel(),
                    np.repeat(mu, phi.size),
                ]
            )
            weights = np.repeat(wmu, phi.size) * (np.pi / m) * s**2
        return Quadrature(nodes, weights, np.full(len(weights), 1 / self.measure))

    def sample(self, rng: np.random.Generator, count: int) -> np.ndarray:
        if self.dimension == 1:
            return self.speed * np.where(rng.random(count) < 0.5, 1.0, -1.0)[:, None]
        if self.dimension == 2:
            phi = 2 * np.pi * rng.random(count)
            return self.speed * np.column_stack([np.cos(phi), np.sin(phi)])
        g = rng.standard_normal((count, 3))
        return self.speed * g / np.linalg.norm(g, axis=1, keepdims=True)

    @property
    def max_speed(self) -> float:
        return self.speed

    @property
    def measure(self) -> float:
        return sphere_area(self.dimension, self.speed)

    def describe(self) -> str:
        return f"sphere |v| = {self.speed:g} (uniform directions)"


@dataclass(frozen=True, eq=False)
class DiscreteVelocities(VelocitySet):
    """Finitely many velocities with probabilities (e.g. a lattice of run directions).

    Attributes:
        vectors: The velocities, shape (m, n).
        weights: Their probabilities M_i (summing to 1).
    """

    vectors: np.ndarray
    weights: np.ndarray

    @property
    def dimension(self) -> int:  # type: ignore[override]
        return self.vectors.shape[1]

    def quadrature(self) -> Quadrature:
        return Quadrature(self.vectors, np.ones(len(self.weights)), self.weights)

    def sample(self, rng: np.random.Generator, count: int) -> np.ndarray:
        cumulative = np.cumsum(self.weights)
        index = np.minimum(
            np.searchsorted(cumulative, rng.random(count) * cumulative[-1], side="right"), len(self.weights) - 1
        )
        return self.vectors[index]

    @property
    def max_speed(self) -> float:
        return float(np.linalg.norm(self.vectors, axis=1).max())

    @property
    def measure(self) -> float:
        return float(len(self.weights))

    def describe(self) -> str:
        return f"{len(self.weights)} discrete velocities"


@dataclass(frozen=True, eq=False)
class VelocityDensity(VelocitySet):
    """A density M(v) on R^n, an expression in ``vx, vy, vz`` and parameters.

    Integrated with tensor Gauss-Legendre rules on ``[-cutoff, cutoff]^n`` (the mass outside
    must be negligible); sampled by rejection under a piecewise-constant envelope on a grid
    of that box (M must not vary much within a grid cell beyond its corners and centre).

    Attributes:
        dimension: n in 1, 2, 3.
        density: The expression of M.
        parameters: Values of the parameters it uses.
        cutoff: Half-width of the integration box.
        nodes: Gauss points per axis.
    """

    dimension: int
    density: Expression
    parameters: Mapping[str, float]
    cutoff: float
    nodes: int = 48

    def values(self, v: np.ndarray) -> np.ndarray:
        """M at the velocities v, shape (Q, n) -> (Q,)."""
        symbols = {**self.parameters, **{VELOCITY_SYMBOLS[i]: v[:, i] for i in range(self.dimension)}}
        return np.broadcast_to(self.density.evaluate(symbols, NUMPY_FUNCTIONS), v.shape[:1]).astype(float)

    def quadrature(self) -> Quadrature:
        return self._rule

    @cached_property
    def _rule(self) -> Quadrature:
        x, w = np.polynomial.legendre.leggauss(self.nodes)
        axes = [self.cutoff * x] * self.dimension
        grid = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, self.dimension)
        weights = np.prod(
            np.stack(np.meshgrid(*[self.cutoff * w] * self.dimension, indexing="ij"), axis=-1).reshape(
                -1, self.dimension
            ),
            axis=1,
        )
        return Quadrature(grid, weights, self.values(grid))

    @cached_property
    def _envelope(self) -> tuple[np.ndarray, float, np.ndarray, np.ndarray]:
        """A piecewise-constant envelope of M for rejection sampling, on a grid of cells of the box.

        Each cell's bound is 1.2 times the largest value of M at its corners and centre.
        Returns the cells' lower corners, their width, their bounds and the cumulative
        probability of choosing them.
        """
        n, m = self.dimension, 64 if self.dimension < 3 else 24
        width = 2 * self.cutoff / m
        edges = np.linspace(-self.cutoff, self.cutoff, m + 1)
        corners = self.values(np.stack(np.meshgrid(*[edges] * n, indexing="ij"), axis=-1).reshape(-1, n))
        corners = corners.reshape((m + 1,) * n)
        lower = np.stack(np.meshgrid(*[edges[:-1]] * n, indexing="ij"), axis=-1).reshape(-1, n)
        largest = self.values(lower + width / 2).reshape((m,) * n)
        for offset in np.ndindex(*(2,) * n):
            largest = np.maximum(largest, corners[tuple(slice(o, o + m) for o in offset)])
        bound = 1.2 * largest.ravel() + 1e-300
        return lower, width, bound, np.cumsum(bound) / bound.sum()

    def sample(self, rng: np.random.Generator, count: int) -> np.ndarray:
        lower, width, bound, cumulative = self._envelope
        out = np.empty((count, self.dimension))
        todo = np.arange(count)
        while todo.size:
            cell = np.minimum(np.searchsorted(cumulative, rng.random(todo.size), side="right"), len(bound) - 1)
            v = lower[cell] + width * rng.random((todo.size, self.dimension))
            accept = rng.random(todo.size) * bound[cell] < self.values(v)
            out[todo[accept]] = v[accept]
            todo = todo[~accept]
        return out

    @property
    def max_speed(self) -> float:
        return self.cutoff * math.sqrt(self.dimension)

    @property
    def measure(self) -> float:
        return (2 * self.cutoff) ** self.dimension

    def describe(self) -> str:
        return f"density M(v) = {self.density.text} (|v_i| <= {self.cutoff:g})"


@dataclass(frozen=True)
class HeavyTailedEquilibrium:
    """A radial equilibrium ``F(v) = profile(|v|)`` with ``F ~ K0 |v|^-(N+gamma+1)`` (0 < gamma < 1).

    Its kinetic energy is infinite: the diffusion limit is fractional, of order gamma + 1
    (fractional file, eq. (2) and the Lemma).

    Attributes:
        dimension: N in 1, 2, 3.
        gamma: The tail exponent gamma in (0, 1).
        profile: F as an expression in ``r = |v|``, or None for the normalised
            ``c (1 + r^2)^(-(N+gamma+1)/2)``.
        parameters: Values of the parameters the profile uses.
    """

    dimension: int
    gamma: float
    profile: Expression | None = None
    parameters: Mapping[str, float] | None = None

    @property
    def exponent(self) -> float:
        """N + gamma + 1."""
        return self.dimension + self.gamma + 1

    def default_constant(self) -> float:
        """c normalising ``c (1 + r^2)^(-(N+gamma+1)/2)``: Gamma(p)/(pi^(N/2) Gamma((gamma+1)/2))."""
        p = self.exponent / 2
        return math.gamma(p) / (math.pi ** (self.dimension / 2) * math.gamma((self.gamma + 1) / 2))

    def values(self, r: np.ndarray | float) -> np.ndarray:
        """F at radii r."""
        r = np.asarray(r, dtype=float)
        if self.profile is None:
            return self.default_constant() * (1 + r**2) ** (-self.exponent / 2)
        return np.broadcast_to(
            self.profile.evaluate({**(self.parameters or {}), "r": r}, NUMPY_FUNCTIONS), r.shape
        ).astype(float)

    def mass(self) -> float:
        """``int_{R^N} F dv`` by adaptive quadrature in r (with the sphere area |S^{N-1}|)."""
        area = sphere_area(self.dimension)
        f = lambda r: area * r ** (self.dimension - 1) * float(self.values(r))  # noqa: E731
        inner, _ = scipy.integrate.quad(f, 0.0, 1.0, epsabs=0.0, epsrel=1e-12, limit=200)
        outer, _ = scipy.integrate.quad(f, 1.0, np.inf, epsabs=0.0, epsrel=1e-12, limit=200)
        return inner + outer

    def tail_constant(self, radii: Sequence[float] = (1e4, 1e6, 1e8)) -> tuple[float, float]:
        """K0 = lim r^(N+gamma+1) F(r), and the relative change over the last two radii."""
        values = [float(r**self.exponent * self.values(r)) for r in radii]
        return values[-1], abs(values[-1] - values[-2]) / max(abs(values[-1]), 1e-300)

    def describe(self) -> str:
        text = self.profile.text if self.profile is not None else f"c (1 + r^2)^(-{self.exponent / 2:g})"
        return f"heavy-tailed F(|v|) = {text} in {self.dimension}-D, gamma = {self.gamma:g}"
