"""Turning-angle distributions: run-and-tumble cells that keep part of their direction.

At a tumble a cell with velocity w on the sphere ``V = s S^{n-1}`` (n = 2, 3) turns by an
angle theta, ``cos theta = v.w/s^2``, drawn from a distribution that depends on theta only:
the turning kernel ``T0(v, w) = h(v.w/s^2)`` of the chapter's (7.3.6)-(7.3.14) is rotation
invariant. Its mean cosine ``psi = E[cos theta]`` measures persistence (E. coli: about 0.33).

By the Funk-Hecke theorem each spherical harmonic is an eigenfunction of such a kernel, and
the velocity itself (degree 1) has the eigenvalue psi: the turning operator
``L0 = lambda (T0 - I)`` maps v to ``-lambda (1 - psi) v``. The velocity thus decorrelates at
rate ``lambda (1 - psi)``, the pseudo-inverse of (7.3.14) is ``F v = -v/(lambda (1 - psi))``
(the solution theta of the cross-diffusion file's Lemma 1 iii), and

    d = s^2 / (n lambda (1 - psi)).

Distributions:

- :class:`VonMises`: density proportional to ``exp(kappa cos theta)`` on the circle (2-D,
  von Mises) or the sphere (3-D, Fisher); ``psi = I_{n/2}(kappa)/I_{n/2-1}(kappa)``, i.e.
  ``I1/I0`` in 2-D and ``coth kappa - 1/kappa`` in 3-D;
- :class:`TabulatedAngle`: a measured turning-angle distribution, the density of theta in
  [0, 180] degrees (per unit angle, as histograms of tracked cells give it), piecewise
  linear between the tabulated angles; in the plane left and right turns are equally
  likely, in space the azimuth of the turn is uniform.

Each gives psi by adaptive quadrature over theta and in closed form, draws new directions for
the particle simulator, and evaluates ``T0`` (per unit surface measure of V) for kernel
expressions.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from itertools import pairwise

import numpy as np
import scipy.integrate
import scipy.special

__all__ = ["ANGLE_KINDS", "TabulatedAngle", "TurningAngle", "VonMises"]

#: Kinds of [cells.turning_angle].
ANGLE_KINDS = ("von-mises", "table")

_QUAD = {"epsabs": 1e-13, "epsrel": 1e-13, "limit": 500}


class TurningAngle(ABC):
    """A rotation-invariant distribution of the turning angle theta in 2-D or 3-D."""

    dimension: int

    @abstractmethod
    def angle_density(self, theta: np.ndarray) -> np.ndarray:
        """The (unnormalised) density of theta in [0, pi] per unit angle."""

    @abstractmethod
    def mean_cosine_closed(self) -> float:
        """psi in closed form."""

    @abstractmethod
    def sample_angles(self, rng: np.random.Generator, count: int) -> np.ndarray:
        """`count` turning angles theta in [0, pi]."""

    @abstractmethod
    def sphere_density(self, cosine: np.ndarray) -> np.ndarray:
        """The density of the new direction on the unit circle/sphere at ``cos theta``, normalised."""

    @abstractmethod
    def describe(self) -> str:
        """One line for reports."""

    def _breakpoints(self) -> Sequence[float]:
        """Angles where the density is not smooth (for the quadrature)."""
        return ()

    @cached_property
    def _moments(self) -> tuple[float, float]:
        """``int_0^pi p dtheta`` and ``int_0^pi cos(theta) p dtheta`` by adaptive quadrature."""

        def density(t: float) -> float:
            return float(self.angle_density(np.array([t]))[0])

        points = sorted({0.0, math.pi, *self._breakpoints()})
        mass = sum(scipy.integrate.quad(density, a, b, **_QUAD)[0] for a, b in pairwise(points))
        first = sum(
            scipy.integrate.quad(lambda t: math.cos(t) * density(t), a, b, **_QUAD)[0] for a, b in pairwise(points)
        )
        return mass, first

    def mean_cosine(self) -> float:
        """psi = E[cos theta] by adaptive quadrature over theta."""
        mass, first = self._moments
        return first / mass

    def kernel(self, v: np.ndarray, w: np.ndarray) -> np.ndarray:
        """``T0(v, w)`` for pairs (shape (P, n)) on a sphere of any radius, per unit surface measure."""
        if self.singular:
            raise ValueError(
                f"[cells.turning_angle] the kernel T0 of {self.describe()} is singular at "
                "theta = 0 or 180 degrees in 3-D (density/sin(theta)); give zero density there "
                "to use T0 in a kernel expression"
            )
        speed = np.linalg.norm(w, axis=1)
        cosine = np.clip(np.einsum("ij,ij->i", v, w) / (np.linalg.norm(v, axis=1) * speed), -1.0, 1.0)
        return self.sphere_density(cosine) / speed ** (self.dimension - 1)

    @property
    def singular(self) -> bool:
        """Whether T0 is unbounded somewhere (then it has no point values for kernel expressions)."""
        return False

    def turn(self, rng: np.random.Generator, w: np.ndarray) -> np.ndarray:
        """New velocities for the previous velocities w (shape (m, n)): same speed, turned by theta."""
        m = len(w)
        theta = self.sample_angles(rng, m)
        speed = np.linalg.norm(w, axis=1, keepdims=True)
        unit = w / speed
        if self.dimension == 2:
            theta = np.where(rng.random(m) < 0.5, theta, -theta)
            c, s = np.cos(theta), np.sin(theta)
            turned = np.column_stack([c * unit[:, 0] - s * unit[:, 1], s * unit[:, 0] + c * unit[:, 1]])
            return speed * turned
        azimuth = 2 * np.pi * rng.random(m)
        first, second = _orthonormal_frame(unit)
        c, s = np.cos(theta)[:, None], np.sin(theta)[:, None]
        return speed * (c * unit + s * (np.cos(azimuth)[:, None] * first + np.sin(azimuth)[:, None] * second))


def _orthonormal_frame(unit: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Two unit vectors orthogonal to each row of `unit` (shape (m, 3)) and to each other."""
    helper = np.where(np.abs(unit[:, :1]) < 0.9, [[1.0, 0.0, 0.0]], [[0.0, 1.0, 0.0]])
    first = np.cross(unit, helper)
    first /= np.linalg.norm(first, axis=1, keepdims=True)
    return first, np.cross(unit, first)


def _check_dimension(dimension: int) -> None:
    if dimension not in (2, 3):
        raise ValueError(
            f"[cells.turning_angle] needs dimension 2 or 3 (in 1-D use turning = \"reversal\"), got {dimension!r}"
        )


@dataclass(frozen=True)
class VonMises(TurningAngle):
    """Turning angles with density proportional to ``exp(kappa cos theta)`` on the circle or sphere.

    Attributes:
        dimension: 2 (von Mises) or 3 (Fisher).
        kappa: Concentration, > 0 (kappa -> 0: uniform turning; large: small turns).
    """

    dimension: int
    kappa: float

    def __post_init__(self) -> None:
        _check_dimension(self.dimension)
        if not (math.isfinite(self.kappa) and self.kappa > 0):
            raise ValueError(f"[cells.turning_angle] kappa must be a positive number, got {self.kappa!r}")

    def angle_density(self, theta: np.ndarray) -> np.ndarray:
        density = np.exp(self.kappa * (np.cos(theta) - 1))
        return density if self.dimension == 2 else density * np.sin(theta)

    def mean_cosine_closed(self) -> float:
        k = self.kappa
        if self.dimension == 2:
            return float(scipy.special.i1e(k) / scipy.special.i0e(k))
        if k < 1e-3:  # coth k - 1/k by its series, where the difference cancels
            return k / 3 - k**3 / 45 + 2 * k**5 / 945
        return 1 / math.tanh(k) - 1 / k

    def sample_angles(self, rng: np.random.Generator, count: int) -> np.ndarray:
        if self.dimension == 2:
            return np.abs(rng.vonmises(0.0, self.kappa, count))
        u = rng.random(count)  # inverse of the distribution of cos theta, e^(kappa c) on [-1, 1]
        cosine = 1 + np.log1p((1 - u) * np.expm1(-2 * self.kappa)) / self.kappa
        return np.arccos(np.clip(cosine, -1.0, 1.0))

    def sphere_density(self, cosine: np.ndarray) -> np.ndarray:
        k = self.kappa
        if self.dimension == 2:
            return np.exp(k * (cosine - 1)) / (2 * np.pi * scipy.special.i0e(k))
        return k * np.exp(k * (cosine - 1)) / (2 * np.pi * -np.expm1(-2 * k))

    def describe(self) -> str:
        name = "von Mises" if self.dimension == 2 else "Fisher (von Mises-Fisher)"
        return f"{name} turning angles, kappa = {self.kappa:g}"


@dataclass(frozen=True, eq=False)
class TabulatedAngle(TurningAngle):
    """A turning-angle density tabulated at angles (degrees), piecewise linear in between.

    Attributes:
        dimension: 2 or 3.
        angles: Increasing angles from 0 to 180 degrees.
        density: Non-negative density of theta per unit angle at those angles (any scale).
    """

    dimension: int
    angles: np.ndarray
    density: np.ndarray

    def __post_init__(self) -> None:
        _check_dimension(self.dimension)
        a, p = np.asarray(self.angles, dtype=float), np.asarray(self.density, dtype=float)
        where = "[cells.turning_angle]"
        if a.ndim != 1 or len(a) < 2 or a[0] != 0 or a[-1] != 180 or (np.diff(a) <= 0).any():
            raise ValueError(f"{where} angles must increase from 0 to 180 (degrees), got {a.tolist()}")
        if p.shape != a.shape or (p < 0).any() or not np.isfinite(p).all() or not p.any():
            raise ValueError(f"{where} density must be {len(a)} non-negative numbers, not all zero, got {p.tolist()}")

    @property
    def _radians(self) -> np.ndarray:
        return np.radians(np.asarray(self.angles, dtype=float))

    def angle_density(self, theta: np.ndarray) -> np.ndarray:
        return np.interp(theta, self._radians, np.asarray(self.density, dtype=float))

    def _breakpoints(self) -> Sequence[float]:
        return self._radians.tolist()

    @property
    def singular(self) -> bool:
        """In 3-D, T0 = p/(2 pi sin theta) is unbounded unless p vanishes at 0 and 180 degrees."""
        return self.dimension == 3 and bool(self.density[0] > 0 or self.density[-1] > 0)

    @cached_property
    def _cumulative(self) -> np.ndarray:
        """``int_0^theta_i p`` at the tabulated angles (trapezoids: exact for the linear pieces)."""
        p = np.asarray(self.density, dtype=float)
        return np.concatenate([[0.0], np.cumsum(0.5 * (p[1:] + p[:-1]) * np.diff(self._radians))])

    def mean_cosine_closed(self) -> float:
        """Exact integrals of ``cos(theta) (p_a + m (theta - a))`` over each linear piece."""
        a, b = self._radians[:-1], self._radians[1:]
        p = np.asarray(self.density, dtype=float)
        slope = (p[1:] - p[:-1]) / (b - a)
        first = p[:-1] * (np.sin(b) - np.sin(a)) + slope * ((b - a) * np.sin(b) + np.cos(b) - np.cos(a))
        return float(first.sum() / self._cumulative[-1])

    def sample_angles(self, rng: np.random.Generator, count: int) -> np.ndarray:
        """Exact inverse of the piecewise-quadratic distribution function."""
        cumulative, nodes = self._cumulative, self._radians
        p = np.asarray(self.density, dtype=float)
        target = rng.random(count) * cumulative[-1]
        piece = np.clip(np.searchsorted(cumulative, target, side="right") - 1, 0, len(nodes) - 2)
        start, rest = p[piece], target - cumulative[piece]
        slope = (p[piece + 1] - start) / (nodes[piece + 1] - nodes[piece])
        root = np.sqrt(np.maximum(start**2 + 2 * slope * rest, 0.0))
        step = np.divide(2 * rest, start + root, out=np.zeros_like(rest), where=start + root > 0)
        return np.minimum(nodes[piece] + step, nodes[piece + 1])

    def sphere_density(self, cosine: np.ndarray) -> np.ndarray:
        theta = np.arccos(cosine)
        p = self.angle_density(theta) / self._cumulative[-1]
        if self.dimension == 2:
            return p / 2
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(p > 0, p / (2 * np.pi * np.sin(theta)), 0.0)  # bounded unless `singular`

    def describe(self) -> str:
        return f"tabulated turning angles ({len(self.angles)} angles, 0-180 degrees)"
