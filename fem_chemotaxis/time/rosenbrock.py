"""Linearly implicit Rosenbrock(-W) methods for ``M du/dt = F(u, t)`` (here F = -G).

A step of s stages solves s linear systems with ONE matrix, in the transformed variables
U_i of Hairer & Wanner (Solving ODEs II, IV.7)::

    (M/(gamma h) - J) U_i = F(t + alpha_i h, u_n + sum_{j<i} a_ij U_j)
                            + M sum_{j<i} (c_ij/h) U_j + gamma_i h dF/dt(t_n, u_n)

    u_{n+1} = u_n + sum_i m_i U_i,     error estimate  e = sum_i (m_i - mhat_i) U_i

with J = dF/du at (t_n, u_n). A W-method keeps its order for any matrix in place of J, so
J (and the preconditioner built from the stage matrix) may be reused over several steps.
The methods are given by their classical coefficients (alpha_ij, gamma_ij, b_i, bhat_i);
the transformed ones follow: Gamma = (gamma_ij) with diagonal gamma,
a = alpha Gamma^-1, c = diag(1/gamma) - Gamma^-1, m = b Gamma^-1, mhat = bhat Gamma^-1.

- ``ros2``: 2 stages, order 2 (embedded 1), L-stable, a W-method (Verwer, Spee, Blom,
  Hundsdorfer 1999; gamma = 1 + 1/sqrt 2).
- ``ros3p``: 3 stages, order 3 (embedded 2), A-stable, built for parabolic problems (Lang &
  Verwer 2001); needs the exact Jacobian, so J is assembled every step.
- ``ros34pw2``: 4 stages, order 3 (embedded 2), L-stable and stiffly accurate, a W-method
  (Rang & Angermann 2005).

:class:`RosenbrockStepper` runs the stages on any :class:`StageSystem`: the assembled operators
live in :mod:`fem_chemotaxis.solvers.linearly_implicit`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

__all__ = [
    "ROSENBROCK_SCHEMES",
    "RosenbrockStepper",
    "RosenbrockTableau",
    "StageSystem",
    "rosenbrock_tableau",
    "unresolved",
]


@dataclass(frozen=True)
class RosenbrockTableau:
    """A Rosenbrock method by its classical coefficients (strictly lower alpha and gamma)."""

    name: str
    order: int
    embedded_order: int
    gamma: float
    alpha: np.ndarray
    gammas: np.ndarray
    b: np.ndarray
    b_embedded: np.ndarray
    w_method: bool
    transformed: dict[str, np.ndarray] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        s = len(self.b)
        full = self.gammas + self.gamma * np.eye(s)
        inverse = np.linalg.inv(full)
        object.__setattr__(
            self,
            "transformed",
            {
                "a": self.alpha @ inverse,
                "c": np.diag(np.full(s, 1.0 / self.gamma)) - inverse,
                "m": self.b @ inverse,
                "m_embedded": self.b_embedded @ inverse,
                "stage_times": self.alpha.sum(axis=1),
                "stage_gammas": full.sum(axis=1),
            },
        )

    @property
    def stages(self) -> int:
        """Number of stages (linear solves per step)."""
        return len(self.b)

    def amplification(self, z: complex) -> complex:
        """R(z), the stability function: one step of ``y' = lambda y`` multiplies y by R(lambda h)
        (z = lambda h; the stages with the exact Jacobian). Also the factor of every linear
        mode of a finite-element run whose Jacobian is exact on it."""
        s = self.stages
        stages = np.linalg.solve(np.eye(s) - z * (self.alpha + self.gammas + self.gamma * np.eye(s)), np.ones(s))
        return complex(1.0 + z * (self.b @ stages))


def _tableau(
    name: str,
    order: int,
    embedded: int,
    gamma: float,
    alpha: Sequence[Sequence[float]],
    gammas: Sequence[Sequence[float]],
    b: Sequence[float],
    bhat: Sequence[float],
    w_method: bool,
) -> RosenbrockTableau:
    return RosenbrockTableau(
        name,
        order,
        embedded,
        gamma,
        np.array(alpha, float),
        np.array(gammas, float),
        np.array(b, float),
        np.array(bhat, float),
        w_method,
    )


_G2 = 1.0 + 1.0 / math.sqrt(2.0)
_G3 = 0.5 + math.sqrt(3.0) / 6.0
_G34 = 4.3586652150845900e-01

_TABLEAUX = {
    "ros2": _tableau("ros2", 2, 1, _G2, [[0, 0], [1, 0]], [[0, 0], [-2 * _G2, 0]], [0.5, 0.5], [1.0, 0.0], True),
    "ros3p": _tableau(
        "ros3p",
        3,
        2,
        _G3,
        [[0, 0, 0], [1, 0, 0], [1, 0, 0]],
        [[0, 0, 0], [-1, 0, 0], [-_G3, -(0.5 + math.sqrt(3.0) / 3.0), 0]],
        [2 / 3, 0, 1 / 3],
        [1 / 3, 1 / 3, 1 / 3],
        False,
    ),
    "ros34pw2": _tableau(
        "ros34pw2",
        3,
        2,
        _G34,
        [
            [0, 0, 0, 0],
            [8.7173304301691801e-01, 0, 0, 0],
            [8.4457060015369423e-01, -1.1299064236484185e-01, 0, 0],
            [0, 0, 1.0, 0],
        ],
        [
            [0, 0, 0, 0],
            [-8.7173304301691801e-01, 0, 0, 0],
            [-9.0338057013044082e-01, 5.4180672388095326e-02, 0, 0],
            [2.4212380706095346e-01, -1.2232505839045147e00, 5.4526025533510214e-01, 0],
        ],
        [2.4212380706095346e-01, -1.2232505839045147e00, 1.5452602553351020e00, 4.3586652150845900e-01],
        [3.7810903145819369e-01, -9.6042292212423178e-02, 0.5, 2.1793326075422950e-01],
        True,
    ),
}

#: Rosenbrock scheme names accepted in configs and by Simulation.
ROSENBROCK_SCHEMES = tuple(_TABLEAUX)


def rosenbrock_tableau(name: str) -> RosenbrockTableau:
    """The Rosenbrock method called `name` (one of ROSENBROCK_SCHEMES)."""
    if name not in _TABLEAUX:
        raise ValueError(f"unknown Rosenbrock scheme '{name}'; choose one of: {', '.join(_TABLEAUX)}")
    return _TABLEAUX[name]


class StageSystem(Protocol):
    """What the stages need from an assembled system; vectors are PETSc Vecs (or alike)."""

    def begin_step(self, t: float, h: float, gamma: float, exact_jacobian: bool) -> bool:
        """Set up the stage matrix M/(gamma h) - J at the current state; False if that failed."""

    def new_vector(self) -> Any:
        """A zero vector of the system's layout."""

    def state(self, out: Any) -> None:
        """Copy the current state u into out."""

    def set_state(self, u: Any) -> None:
        """Make u the state at which F is evaluated."""

    def rhs(self, t: float, mass_term: Any | None, time_factor: float, out: Any) -> None:
        """out = F(t, current state) + M mass_term + time_factor dF/dt(t_n, u_n) (None: no mass term)."""

    def solve(self, rhs: Any, out: Any, stage: int) -> bool:
        """out = (M/(gamma h) - J)^-1 rhs; False if the linear solver failed."""


class RosenbrockStepper:
    """Steps of one method on one system, with the work vectors allocated once.

    After a converged :meth:`step` the system's state is u_{n+1} and :attr:`error` holds the
    embedded error estimate u_{n+1} - uhat_{n+1}; after a failed one :attr:`failure` says why.

    The stage solves start from whatever the system's solver guesses (the iterative solver: the
    best combination of its last solutions, :mod:`fem_chemotaxis.solvers.previous_solutions`).
    """

    def __init__(self, tableau: RosenbrockTableau, system: StageSystem):
        self.tableau, self.system = tableau, system
        self.stages = [system.new_vector() for _ in range(tableau.stages)]
        self.start, self.work, self.mass_term = system.new_vector(), system.new_vector(), system.new_vector()
        self.rhs, self.error = system.new_vector(), system.new_vector()
        self.failure: str | None = None

    def step(self, t: float, h: float) -> bool:
        """Advance the system's state from t to t + h; False (state unchanged) if a stage solve
        failed or the step is unresolved (:func:`unresolved`), with :attr:`failure` saying which."""
        self.failure = None
        tableau, system = self.tableau, self.system
        coeffs = tableau.transformed
        a, c = coeffs["a"], coeffs["c"]
        system.state(self.start)
        if not system.begin_step(t, h, tableau.gamma, exact_jacobian=not tableau.w_method):
            self.failure = "the stage matrix could not be set up"
            return False
        for i in range(tableau.stages):
            if i > 0:
                _combine(self.work, self.start, a[i, :i], self.stages[:i])
                system.set_state(self.work)
            mass_term = None
            if np.any(c[i, :i] != 0.0):
                mass_term = self.mass_term
                _combine(mass_term, None, c[i, :i] / h, self.stages[:i])
            system.rhs(t + coeffs["stage_times"][i] * h, mass_term, coeffs["stage_gammas"][i] * h, self.rhs)
            if not system.solve(self.rhs, self.stages[i], i):
                system.set_state(self.start)
                self.failure = f"the linear solve of stage {i + 1} diverged"
                return False
        _combine(self.work, self.start, coeffs["m"], self.stages)
        _combine(self.error, None, coeffs["m"] - coeffs["m_embedded"], self.stages)
        self.failure = unresolved(self.error.norm(), self.start.norm())
        system.set_state(self.start if self.failure else self.work)
        return self.failure is None


def unresolved(error: float, start: float) -> str | None:
    """Why a step whose embedded error estimate has the norm `error` is no result, from a state
    of norm `start` (None: it is one). The estimate is the difference between two solutions of
    orders p and p - 1; where it exceeds the state the step started from, not one digit of the
    step is right: the step size does not resolve the dynamics (an aggregate collapsing faster
    than the step, say). Such a step is rejected whether or not the run controls its error, as
    a Newton step that diverges is; a zero start cannot be judged and passes."""
    if start > 0.0 and not error <= start:
        return f"error estimate {error:.3g} larger than the state it started from ({start:.3g}): no digit of the step is right"
    return None


def _combine(out: Any, base: Any, weights: np.ndarray, vectors: list[Any]) -> None:
    """out = base + sum_j weights_j vectors_j (base None: zero)."""
    if base is None:
        out.zeroEntries()
    else:
        base.copy(out)
    used = [(w, v) for w, v in zip(weights, vectors) if w != 0.0]
    if used:
        out.maxpy([w for w, _ in used], [v for _, v in used])
