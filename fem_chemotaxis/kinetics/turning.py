"""The turning law of run-and-tumble cells: plain validated data shared by derivation and particles.

A cell runs with velocity w and tumbles at rate ``lambda``; the new velocity v is drawn from
the equilibrium M of the velocity set (relaxation kernel ``T0(v, w) = sigma M(v)``,
cross-diffusion file (37)), or, with a turning-angle distribution
(:mod:`~fem_chemotaxis.kinetics.persistence`), turned from w by a random angle with mean
cosine psi. In 1-D, ``turning = "reversal"`` is the chapter's (7.3.1)-(7.3.2) instead: the cell
reverses at rate lambda, which is the same process as relaxation to
``M = (delta_s + delta_-s)/2`` at rate ``sigma = 2 lambda`` (or turning at rate lambda with
psi = -1). The velocity decorrelates at rate ``sigma (1 - psi)`` in every case.

The chemical S biases the turning at first order in grad S (chapter (7.3.15); cross-diffusion
file Assumption 3.1) in one of two ways:

- :class:`TaxisPerturbation`: a kernel ``T1(v, w)`` linear in grad S, towards a named field,
  either a named mechanism or an expression, times a strength k that may depend on the
  level of S (the chapter's k(S), (7.3.15)-(7.3.16), giving chi(S) = k(S) chi):

  - ``"run-length"``: tumbles from w happen at rate ``sigma (1 - k w.grad S)`` (runs up the
    gradient last longer, as in bacteria): ``T1 = -sigma k (w.grad S) T0(v, w)``;
  - ``"direction"``: the new velocity has density ``T0(v, w) (1 + k v.grad S)``, normalised:
    ``T1 = sigma k T0(v, w) (v - psi w).grad S`` (``M(v)(1 + k v.grad S)`` without persistence);
  - ``"kernel"``: ``k`` times any ``T1(v, w)`` in ``vx, vy, vz`` (new velocity), ``wx, wy,
    wz`` (previous), ``Sx, Sy, Sz`` (grad S), ``Mv, Mw`` (M at v and w), ``T0`` (the
    turning kernel at (v, w)), ``psi``, ``sigma``, ``measure`` (|V|), ``speed`` (largest
    |v|), ``dimension`` and parameters.

- :class:`Transduction`: internal excitation y1 and adaptation y2 follow
  ``tau_e y1' = g(S) - (y1 + y2)``, ``tau_a y2' = g(S) - y2`` (chapter (7.3.18)-(7.3.19)),
  and the tumbling rate is ``lambda(y) = lambda0 - b y1``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from fem_chemotaxis.expressions import NUMPY_FUNCTIONS, Expression
from fem_chemotaxis.kinetics.persistence import TurningAngle
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
    """The first-order turning kernel T1(v, w), linear in the gradient of the field `towards`.

    Attributes:
        mechanism: One of MECHANISMS.
        strength: k (units: 1/(speed x gradient)), a number or an expression in the level of
            `towards` and parameters: k(S). For mechanism "kernel" a factor of the kernel
            (default 1).
        kernel: The expression of T1 for mechanism "kernel".
        parameters: Values of the parameters the kernel and strength use.
        towards: The name of the field S whose gradient biases the turning.
    """

    mechanism: str
    strength: float | Expression = 1.0
    kernel: Expression | None = None
    parameters: Mapping[str, float] = field(default_factory=dict)
    towards: str = "s"

    def __post_init__(self) -> None:
        if self.mechanism not in MECHANISMS:
            raise ValueError(
                f"[cells.taxis] mechanism {self.mechanism!r} is unknown; choose one of: {', '.join(MECHANISMS)}"
            )
        if (self.mechanism == "kernel") != (self.kernel is not None):
            raise ValueError("[cells.taxis] give 'kernel' exactly when mechanism = \"kernel\" (else 'strength')")
        if isinstance(self.strength, Expression):
            self.strength.check_symbols(
                {self.towards, *self.parameters},
                f"the strength k({self.towards}) (the level of '{self.towards}' and parameters)",
            )

    @property
    def level_dependent(self) -> bool:
        """Whether k depends on the level of the field (the chapter's k(S))."""
        return isinstance(self.strength, Expression)

    def strength_at(self, level: np.ndarray) -> np.ndarray:
        """k at levels of the field."""
        level = np.asarray(level, dtype=float)
        if isinstance(self.strength, Expression):
            values = self.strength.evaluate({**self.parameters, self.towards: level}, NUMPY_FUNCTIONS)
            return np.broadcast_to(values, level.shape).astype(float)
        return np.full(level.shape, float(self.strength))

    @property
    def unit_strength(self) -> float:
        """The number k multiplies in chi: k itself when constant, 1 when k(S) is an expression."""
        return 1.0 if isinstance(self.strength, Expression) else float(self.strength)

    def symbols(self, dimension: int) -> set[str]:
        """The names a kernel expression may use in `dimension` dimensions."""
        axes = range(dimension)
        return (
            {VELOCITY_SYMBOLS[i] for i in axes}
            | {PREVIOUS_SYMBOLS[i] for i in axes}
            | {GRADIENT_SYMBOLS[i] for i in axes}
            | {"Mv", "Mw", "T0", "psi", "sigma", "measure", "speed", "dimension"}
            | set(self.parameters)
        )

    def values(
        self,
        v: np.ndarray,
        w: np.ndarray,
        mv: np.ndarray,
        mw: np.ndarray,
        gradient: np.ndarray,
        sigma: float,
        velocities: VelocitySet,
        t0: np.ndarray | None = None,
        psi: float = 0.0,
    ) -> np.ndarray:
        """T1(v, w) per unit k for pairs of velocities v, w (shape (P, n)) at a gradient (shape (n,)).

        `t0` is the turning kernel T0(v, w) (default: M(v), turning without persistence) and
        psi its mean cosine.
        """
        t0 = mv if t0 is None else t0
        if self.mechanism == "run-length":
            return -sigma * (w @ gradient) * t0
        if self.mechanism == "direction":
            return sigma * ((v - psi * w) @ gradient) * t0
        n = velocities.dimension
        symbols: dict[str, object] = {
            **self.parameters,
            "Mv": mv,
            "Mw": mw,
            "T0": t0,
            "psi": psi,
            "sigma": sigma,
            "measure": velocities.measure,
            "speed": velocities.max_speed,
            "dimension": float(n),
        }
        for i in range(n):
            symbols[VELOCITY_SYMBOLS[i]] = v[:, i]
            symbols[PREVIOUS_SYMBOLS[i]] = w[:, i]
            symbols[GRADIENT_SYMBOLS[i]] = gradient[i]
        values = self.kernel.evaluate(symbols, NUMPY_FUNCTIONS)  # type: ignore[union-attr]
        return np.broadcast_to(values, v.shape[:1]).astype(float)

    def describe(self) -> str:
        """One line for reports."""
        k = f"k({self.towards}) = {self.strength}" if self.level_dependent else f"k = {self.unit_strength:g}"
        if self.mechanism == "kernel":
            factor = "" if not self.level_dependent and self.unit_strength == 1 else f", times {k}"
            return f"towards '{self.towards}': T1(v, w) = {self.kernel}{factor}"
        law = (
            "tumble rate sigma (1 - k w.grad S)"
            if self.mechanism == "run-length"
            else "new velocity ~ T0(v, w)(1 + k v.grad S)"
        )
        return f"towards '{self.towards}', {self.mechanism}: {law}, {k}"


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
        self.g.check_symbols(
            {self.signal, *self.parameters}, f"the receptor law (signal '{self.signal}' and [parameters])"
        )

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
        return (
            f"lambda(y) = lambda0 - {self.b:g} y1, tau_e = {self.tau_e:g}, tau_a = {self.tau_a:g}, "
            f"g({self.signal}) = {self.g}"
        )


@dataclass(frozen=True)
class TurningLaw:
    """How a run-and-tumble cell turns: velocities, rate, persistence and the chemical biases.

    Attributes:
        velocities: The velocity set and its equilibrium M.
        rate: Tumbling rate lambda (lambda0 of the transduction model).
        turning: "uniform" (new velocity from M, or turned by `angle`) or "reversal" (1-D,
            chapter (7.3.1)).
        taxis: First-order kernel perturbations, one per field (a single one is accepted).
        transduction: Internal excitation/adaptation dynamics, or None.
        angle: The turning-angle distribution (persistence), or None for new velocities from M.
    """

    velocities: VelocitySet
    rate: float
    turning: str = "uniform"
    taxis: tuple[TaxisPerturbation, ...] = ()
    transduction: Transduction | None = None
    angle: TurningAngle | None = None

    def __post_init__(self) -> None:
        if not self.rate > 0:
            raise ValueError(f"[cells] turning_rate must be positive, got {self.rate!r}")
        if self.turning not in TURNING:
            raise ValueError(f"[cells] turning {self.turning!r} is unknown; choose one of: {', '.join(TURNING)}")
        if self.turning == "reversal" and not (isinstance(self.velocities, Sphere) and self.velocities.dimension == 1):
            raise ValueError("[cells] turning = \"reversal\" needs dimension = 1 and the sphere velocities (+-speed)")
        taxis: object = self.taxis
        if taxis is None:
            object.__setattr__(self, "taxis", ())
        elif isinstance(taxis, TaxisPerturbation):
            object.__setattr__(self, "taxis", (taxis,))
        else:
            object.__setattr__(self, "taxis", tuple(taxis))  # type: ignore[arg-type]
        if self.taxis and self.transduction is not None:
            raise ValueError("[cells] give either [cells.taxis] or [cells.transduction], not both")
        if self.angle is not None:
            if not isinstance(self.velocities, Sphere) or self.turning != "uniform":
                raise ValueError("[cells.turning_angle] needs the sphere velocities and turning = \"uniform\"")
            if self.angle.dimension != self.velocities.dimension:
                raise ValueError(
                    f"[cells.turning_angle] is {self.angle.dimension}-D but the velocities are "
                    f"{self.velocities.dimension}-D"
                )

    @property
    def dimension(self) -> int:
        """n."""
        return self.velocities.dimension

    @property
    def relaxation_rate(self) -> float:
        """sigma, the rate of new velocities: lambda, or 2 lambda for reversals (relaxation to M)."""
        return 2 * self.rate if self.turning == "reversal" else self.rate

    @property
    def persistence(self) -> float:
        """psi, the mean cosine between the velocities before and after a redraw (0 without an angle)."""
        return 0.0 if self.angle is None else self.angle.mean_cosine()

    @property
    def decorrelation_rate(self) -> float:
        """``sigma (1 - psi)``: the rate at which the velocity forgets itself (``L0 v = -that v``)."""
        return self.relaxation_rate * (1 - self.persistence)

    def turning_kernel(self, v: np.ndarray, w: np.ndarray, mv: np.ndarray) -> np.ndarray:
        """T0(v, w) for pairs of velocities: M(v), or the turning-angle kernel."""
        return mv if self.angle is None else self.angle.kernel(v, w)
