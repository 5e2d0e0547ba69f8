"""The turning law of run-and-tumble cells: plain validated data shared by derivation and particles.

A cell runs with velocity w and tumbles at rate ``lambda``; the new velocity v is drawn from
the equilibrium M of the velocity set (relaxation kernel ``T0(v, w) = sigma M(v)``,
cross-diffusion file (37)). In 1-D, ``turning = "reversal"`` is the chapter's (7.3.1)-(7.3.2)
instead: the cell reverses at rate lambda, which is the same process as relaxation to
``M = (delta_s + delta_-s)/2`` at rate ``sigma = 2 lambda``.

The chemical S biases the turning at first order in grad S (chapter (7.3.15); cross-diffusion
file Assumption 3.1) in one of two ways:

- :class:`TaxisPerturbation`: a kernel ``T1(v, w)`` linear in grad S, either a named
  mechanism or an expression:

  - ``"run-length"``: tumbles from w happen at rate ``sigma (1 - k w.grad S)`` (runs up the
    gradient last longer, as in bacteria): ``T1 = -sigma k (w.grad S) M(v)``;
  - ``"direction"``: the new velocity has density ``M(v) (1 + k v.grad S)``:
    ``T1 = sigma k (v.grad S) M(v)``;
  - ``"kernel"``: any ``T1(v, w)`` in ``vx, vy, vz`` (new velocity), ``wx, wy, wz``
    (previous), ``Sx, Sy, Sz`` (grad S), ``Mv, Mw`` (M at v and w), ``sigma``, ``measure``
    (|V|), ``speed`` (largest |v|), ``dimension`` and parameters.

- :class:`Transduction`: internal excitation y1 and adaptation y2 follow
  ``tau_e y1' = g(S) - (y1 + y2)``, ``tau_a y2' = g(S) - y2`` (chapter (7.3.18)-(7.3.19)),
  and the tumbling rate is ``lambda(y) = lambda0 - b y1``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from fem_chemotaxis.expressions import NUMPY_FUNCTIONS, Expression
from fem_chemotaxis.kinetics.symbolic import derivative
from fem_chemotaxis.kinetics.velocities import VELOCITY_SYMBOLS, Sphere, VelocitySet

__all__ = [
    "GRADIENT_SYMBOLS",
    "MECHANISMS",
    "PREVIOUS_SYMBOLS",
    "TURNING",
    "TaxisPerturbation",
    "Transduction",
    "TurningLaw",
]

#: Ways the chemical biases the turning (see the module docstring).
MECHANISMS = ("run-length", "direction", "kernel")
#: How a tumble picks the new velocity: from M, or (1-D) the reverse of the old one.
TURNING = ("uniform", "reversal")
#: Names of the previous velocity's and the signal gradient's components in kernel expressions.
PREVIOUS_SYMBOLS = ("wx", "wy", "wz")
GRADIENT_SYMBOLS = ("Sx", "Sy", "Sz")


@dataclass(frozen=True)
class TaxisPerturbation:
    """The first-order turning kernel T1(v, w), linear in grad S.

    Attributes:
        mechanism: One of MECHANISMS.
        strength: k of the named mechanisms (units: 1/(speed x gradient)).
        kernel: The expression of T1 for mechanism "kernel".
        parameters: Values of the parameters the kernel uses.
    """

    mechanism: str
    strength: float = 0.0
    kernel: Expression | None = None
    parameters: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.mechanism not in MECHANISMS:
            raise ValueError(f"[cells.taxis] mechanism {self.mechanism!r} is unknown; "
                             f"choose one of: {', '.join(MECHANISMS)}")
        if (self.mechanism == "kernel") != (self.kernel is not None):
            raise ValueError("[cells.taxis] give 'kernel' exactly when mechanism = \"kernel\" (else 'strength')")

    def symbols(self, dimension: int) -> set[str]:
        """The names a kernel expression may use in `dimension` dimensions."""
        axes = range(dimension)
        return ({VELOCITY_SYMBOLS[i] for i in axes} | {PREVIOUS_SYMBOLS[i] for i in axes}
                | {GRADIENT_SYMBOLS[i] for i in axes} | {"Mv", "Mw", "sigma", "measure", "speed", "dimension"}
                | set(self.parameters))

    def values(self, v: np.ndarray, w: np.ndarray, mv: np.ndarray, mw: np.ndarray, gradient: np.ndarray,
               sigma: float, velocities: VelocitySet) -> np.ndarray:
        """T1(v, w) for pairs of velocities v, w (shape (P, n)) at a signal gradient (shape (n,))."""
        if self.mechanism == "run-length":
            return -sigma * self.strength * (w @ gradient) * mv
        if self.mechanism == "direction":
            return sigma * self.strength * (v @ gradient) * mv
        n = velocities.dimension
        symbols: dict[str, object] = {
            **self.parameters, "Mv": mv, "Mw": mw, "sigma": sigma, "measure": velocities.measure,
            "speed": velocities.max_speed, "dimension": float(n),
        }
        for i in range(n):
            symbols[VELOCITY_SYMBOLS[i]] = v[:, i]
            symbols[PREVIOUS_SYMBOLS[i]] = w[:, i]
            symbols[GRADIENT_SYMBOLS[i]] = gradient[i]
        values = self.kernel.evaluate(symbols, NUMPY_FUNCTIONS)  # type: ignore[union-attr]
        return np.broadcast_to(values, v.shape[:1]).astype(float)

    def describe(self) -> str:
        """One line for reports."""
        if self.mechanism == "kernel":
            return f"T1(v, w) = {self.kernel}"
        law = ("tumble rate sigma (1 - k w.grad S)" if self.mechanism == "run-length"
               else "new velocity ~ M(v)(1 + k v.grad S)")
        return f"{self.mechanism}: {law}, k = {self.strength:g}"


@dataclass(frozen=True)
class Transduction:
    """Excitation/adaptation signal transduction (chapter (7.3.17)-(7.3.21)).

    Attributes:
        b: Gain of the tumbling rate on the excitation: ``lambda(y) = lambda0 - b y1``.
        tau_e: Excitation time scale.
        tau_a: Adaptation time scale.
        g: The receptor law g(S), an expression in the signal's name and parameters.
        signal: The signal's name (the variable of g).
        parameters: Values of the parameters g uses.
    """

    b: float
    tau_e: float
    tau_a: float
    g: Expression
    signal: str = "s"
    parameters: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for key in ("tau_e", "tau_a"):
            if not getattr(self, key) > 0:
                raise ValueError(f"[cells.transduction] {key} must be positive, got {getattr(self, key)!r}")
        self.g.check_symbols({self.signal, *self.parameters},
                             f"the receptor law (signal '{self.signal}' and [parameters])")

    @property
    def g_prime(self) -> Expression:
        """g'(S), exact."""
        return derivative(self.g, self.signal)

    def receptor(self, signal: np.ndarray) -> np.ndarray:
        """g(S) at signal values."""
        return self._evaluate(self.g, signal)

    def _evaluate(self, expr: Expression, signal: np.ndarray) -> np.ndarray:
        signal = np.asarray(signal, dtype=float)
        values = expr.evaluate({**self.parameters, self.signal: signal}, NUMPY_FUNCTIONS)
        return np.broadcast_to(values, signal.shape).astype(float)

    def describe(self) -> str:
        """One line for reports."""
        return (f"lambda(y) = lambda0 - {self.b:g} y1, tau_e = {self.tau_e:g}, tau_a = {self.tau_a:g}, "
                f"g({self.signal}) = {self.g}")


@dataclass(frozen=True)
class TurningLaw:
    """How a run-and-tumble cell turns: velocities, rate and the chemical bias.

    Attributes:
        velocities: The velocity set and its equilibrium M.
        rate: Tumbling rate lambda (lambda0 of the transduction model).
        turning: "uniform" (new velocity from M) or "reversal" (1-D, chapter (7.3.1)).
        taxis: A first-order kernel perturbation, or None.
        transduction: Internal excitation/adaptation dynamics, or None.
    """

    velocities: VelocitySet
    rate: float
    turning: str = "uniform"
    taxis: TaxisPerturbation | None = None
    transduction: Transduction | None = None

    def __post_init__(self) -> None:
        if not self.rate > 0:
            raise ValueError(f"[cells] turning_rate must be positive, got {self.rate!r}")
        if self.turning not in TURNING:
            raise ValueError(f"[cells] turning {self.turning!r} is unknown; choose one of: {', '.join(TURNING)}")
        if self.turning == "reversal" and not (isinstance(self.velocities, Sphere) and self.velocities.dimension == 1):
            raise ValueError("[cells] turning = \"reversal\" needs dimension = 1 and the sphere velocities (+-speed)")
        if self.taxis is not None and self.transduction is not None:
            raise ValueError("[cells] give either [cells.taxis] or [cells.transduction], not both")

    @property
    def dimension(self) -> int:
        """n."""
        return self.velocities.dimension

    @property
    def relaxation_rate(self) -> float:
        """sigma of the relaxation kernel sigma M(v): lambda, or 2 lambda for reversals."""
        return 2 * self.rate if self.turning == "reversal" else self.rate
