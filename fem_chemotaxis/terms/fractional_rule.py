"""The rational rule r(lam) ~ g(lam) = 1/(1 + tau lam^s) behind the fractional step.

Method. g is a Stieltjes function, ``g(lam) = int_0^inf rho(t)/(lam + t) dt`` with
``rho(t) = tau t^s sin(pi s) / (pi (1 + 2 tau t^s cos(pi s) + tau^2 t^2s))``. With t = e^y
the trapezoidal (sinc) rule on a lattice y_j = (j + offset) k gives
``g(A_h) u' ~ sum_j W_j (K + t_j M)^-1 M u'``: one real, SPD shifted solve per node. The
integrand ``rho(e^y) e^y/(lam + e^y)`` is analytic in the strip |Im y| < pi except for one
pair of poles of rho at ``y0 +- i beta``, ``y0 = -log(tau)/s``, ``beta = pi (1 - s)/s``,
which approach the real axis as a -> 2 (rho tends to a delta at t = 1/tau: the classical
resolvent), so that a plain sinc rule would need k < beta. Their contribution to the
trapezoidal error is known in closed form, ``2 Re[(E/s) z/(lam + z)]`` with
``z = e^(y0 + i beta)``, ``E = w/(1 - w)``, ``w = exp(2 pi i (y0 - offset k + i beta)/k)``, and
is subtracted, in real arithmetic, as a Chebyshev polynomial in ``X = c (K + c M)^-1 M``
(c = |z|: one more shifted operator and a few solves with it; the polynomial converges
geometrically on the spectrum since z is not real). The offset is 1/2 when y0 would lie
within k/4 of a node (no cancellation as a -> 2). What remains converges like
``exp(-2 pi^2 / k)`` for every a in (0, 2), uniformly as a -> 2. The nodes are truncated
where the dropped terms, bounded on the spectrum [lam_1/2, 2 lam_max] (lam_1, lam_max
estimated once with SLEPc), fall below the tolerance; the terms beyond the last node are
replaced by (their weights' sum) times the identity when that needs fewer nodes.

Accuracy knob: ``tolerance``. It sets ``k = 2 pi^2 / log(8/tolerance)`` and the truncation;
the scalar rule r is then compared with g on a fine grid of the spectrum and k is refined
until ``max |r - g| <= tolerance`` (measured 0.1-0.6 x tolerance; a in (0, 2), tau from 1e-5
to 100). The operator error in the M-norm of the mean-free part is at most
``tolerance ||u'||_M`` plus the linear-solver error (measured against an eigen-expansion:
0.01-0.15 x tolerance, i.e. proportional to the tolerance, log-log slope 0.95-1.02). The
number of shifted operators grows like ``log(1/tol) (log(lam_max/lam_1) + log(1/tol))``: at
the default 1e-8, tau = 0.01, lam_max/lam_1 = 4e4, there are 38, 33, 29, 26 operators (38,
45, 39, 33 solves) for a = 0.6, 1.2, 1.5, 1.8, and 20 (22 solves) for a = 1.999.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from numpy.polynomial import chebyshev

__all__ = ["RationalRule", "rational_rule"]

_TAIL = 46.0  # exp(-46) ~ 1e-20: where the lattice sums are cut off when choosing the truncation


def _density(y: np.ndarray, s: float, y0: float) -> np.ndarray:
    """rho(e^y) = ``sin(pi s) / (2 pi (cosh(x) + cos(pi s)))``, x = s (y - y0), evaluated as
    ``sin(pi s) e / (pi ((1 - e)^2 + 4 cos(pi s/2)^2 e))`` with e = exp(-|x|): no overflow, and
    no cancellation at the peak as s -> 1 (where cosh(x) + cos(pi s) ~ 0)."""
    x = np.abs(s * (y - y0))
    half = np.sin(np.pi * (1 - s) / 2)  # cos(pi s / 2), accurate as s -> 1
    e = np.exp(-x)
    return np.sin(np.pi * (1 - s)) * e / (np.pi * (np.expm1(-x) ** 2 + 4 * half**2 * e))


@dataclass(frozen=True)
class RationalRule:
    """A real rational approximation ``r(lam) ~ 1/(1 + tau lam^s)`` for lam in `spectrum`::

        r(lam) = identity + sum_j weights[j]/(lam + shifts[j]) + sum_n chebyshev[n] T_n(xi(lam))

    with ``xi = (2 x - x0 - x1)/(x1 - x0)``, ``x = center/(lam + center)`` and
    ``(x0, x1) = interval``.

    Attributes:
        order: a (the power of the Laplacian is a/2).
        tau: dt times the diffusion coefficient.
        tolerance: Requested bound of |r - g| on the spectrum.
        spectrum: (lam_lo, lam_hi) on which the bound holds.
        step: Lattice step k in log t.
        shifts: t_j = exp((j + offset) k), offset 0 or 1/2, increasing.
        weights: W_j > 0.
        identity: Coefficient of the identity (right tail).
        center: c of the pole correction, or 0.0 if there is none.
        interval: (x0, x1) of the Chebyshev variable.
        chebyshev: Chebyshev coefficients of the pole correction (empty if none).
        error: max |r - g| measured on a fine grid of the spectrum.
    """

    order: float
    tau: float
    tolerance: float
    spectrum: tuple[float, float]
    step: float
    shifts: np.ndarray
    weights: np.ndarray
    identity: float
    center: float
    interval: tuple[float, float]
    chebyshev: np.ndarray
    error: float

    def __call__(self, lam: np.ndarray | float) -> np.ndarray:
        """r(lam), elementwise."""
        lam = np.asarray(lam, dtype=float)
        value = (self.weights / (lam[..., None] + self.shifts)).sum(-1) + self.identity
        if self.chebyshev.size:
            x0, x1 = self.interval
            x = self.center / (lam + self.center)
            value = value + chebyshev.chebval((2 * x - x0 - x1) / (x1 - x0), self.chebyshev)
        return value

    def exact(self, lam: np.ndarray | float) -> np.ndarray:
        """The function approximated, ``1/(1 + tau lam^s)``."""
        return 1.0 / (1.0 + self.tau * np.asarray(lam, dtype=float) ** (self.order / 2))

    @property
    def shifted_operators(self) -> list[float]:
        """Every shift t of a matrix K + t M the rule solves with (nodes, then the center)."""
        return [float(t) for t in self.shifts] + ([self.center] if self.chebyshev.size > 1 else [])

    @property
    def num_operators(self) -> int:
        """Number of distinct shifted matrices (factorisations / preconditioners)."""
        return len(self.shifted_operators)

    @property
    def num_solves(self) -> int:
        """Linear solves per application: one per node, one per Chebyshev degree."""
        return len(self.shifts) + max(self.chebyshev.size - 1, 0)

    @property
    def amplification(self) -> float:
        """Bound of the sum of |coefficient x operator norm|: how much solver errors can grow."""
        lo = self.spectrum[0]
        nodes = (self.weights / (lo + self.shifts)).sum()
        return float(nodes + abs(self.identity) + np.abs(self.chebyshev).sum())


def _pole_correction(
    s: float, y0: float, k: float, offset: float, spectrum: tuple[float, float], budget: float
) -> tuple[float, tuple[float, float], np.ndarray]:
    """Center, Chebyshev interval and coefficients of ``-2 Re[(E/s) z/(lam + z)]`` (or none)."""
    beta = np.pi * (1 - s) / s
    w = np.exp(-2 * np.pi * beta / k + 2j * np.pi * ((y0 / k - offset) % 1.0))
    factor = w / (1 - w) / s
    if 2 * abs(factor) / min(1.0, np.sin(beta)) <= budget:
        return 0.0, (0.0, 1.0), np.zeros(0)
    center = float(np.exp(y0))  # |z|: the best center for the Chebyshev rate
    lo, hi = spectrum
    x0, x1 = center / (hi + center), center / (lo + center)
    phase = np.exp(1j * beta)

    def correction(xi: np.ndarray) -> np.ndarray:
        x = (xi * (x1 - x0) + x0 + x1) / 2  # z/(lam + z) = x e^(i beta) / (1 - x + x e^(i beta))
        return -2 * (factor * x * phase / (1 - x + x * phase)).real

    for degree in (16, 64, 256, 1024):
        coefficients = chebyshev.chebinterpolate(correction, degree)  # type: ignore[type-var]  # numpy's stub: scalar functions only
        tail = np.cumsum(np.abs(coefficients[::-1]))[::-1]  # tail[n] = sum_{m >= n} |a_m|
        if np.abs(coefficients[-8:]).max() <= max(budget / 64, 1e-13 * tail[0]):  # converged or round-off
            keep = int(np.nonzero(tail > budget)[0].max()) + 1 if tail[0] > budget else 0
            return center, (x0, x1), coefficients[:keep]
    raise RuntimeError(f"fractional diffusion: the pole correction did not converge (a = {2 * s:g})")


def _sigmoid(x: np.ndarray) -> np.ndarray:
    """1/(1 + e^-x) without overflow."""
    return np.exp(-np.logaddexp(0.0, -x))


def _build_rule(order: float, tau: float, spectrum: tuple[float, float], tolerance: float, k: float) -> RationalRule:
    """The rule with lattice step k, truncated for `tolerance`, with its measured error."""
    s = order / 2
    y0 = -np.log(tau) / s
    lo, hi = spectrum
    budget = tolerance / 4
    # Lattice y_j = (j + offset) k; offset 1/2 if the peak of rho at y0 is within k/4 of a node
    # (for a -> 2 a node on the peak would make the sum and the pole correction cancel).
    offset = 0.5 if s > 0.5 and abs((y0 / k + 0.5) % 1.0 - 0.5) < 0.25 else 0.0
    right_end = max(y0 + _TAIL / s, np.log(hi) + _TAIL)
    j = np.arange(np.floor((np.log(lo) - _TAIL) / k), np.ceil(right_end / k) + 1)
    y = k * (j + offset)
    kr = k * _density(y, s, y0)
    # Left truncation: a dropped node contributes kr t/(lam + t) <= kr t/(lo + t).
    at_lo = kr * _sigmoid(y - np.log(lo))
    dropped_left = np.concatenate([[0.0], np.cumsum(at_lo)[:-1]])
    first = int(np.nonzero(dropped_left <= budget)[0].max())

    # Right truncation: either drop the tail (error <= sum kr t/(lo + t)), or replace it by
    # identity * sum(kr) (error sum kr lam/(lam + t) <= sum kr hi/(hi + t)).
    def after(v: np.ndarray) -> np.ndarray:
        return np.concatenate([np.cumsum(v[::-1])[::-1][1:], [0.0]])

    last_drop = int(np.nonzero(after(at_lo) <= budget)[0].min())
    last_identity = int(np.nonzero(after(kr * _sigmoid(np.log(hi) - y)) <= budget)[0].min())
    last = min(last_drop, last_identity)
    identity = float(kr[last + 1 :].sum()) if last_identity < last_drop else 0.0
    if y[last] > 700:
        raise ValueError(
            f"fractional diffusion: shifts beyond e^700 needed (a = {order:g}, tau = {tau:g}); increase the tolerance"
        )
    nodes = slice(first, last + 1)
    shifts = np.exp(y[nodes])
    center, interval, coefficients = (0.0, (0.0, 1.0), np.zeros(0))
    if s > 0.5:  # else the poles of rho are no closer to the real axis than those of 1/(lam + e^y)
        center, interval, coefficients = _pole_correction(s, y0, k, offset, spectrum, budget)
    rule = RationalRule(
        order,
        tau,
        tolerance,
        spectrum,
        k,
        shifts,
        kr[nodes] * shifts,
        identity,
        center,
        interval,
        coefficients,
        error=np.inf,
    )
    grid = np.exp(np.arange(np.log(lo), np.log(hi) + k / 16, k / 16))
    return replace(rule, error=float(np.abs(rule(grid) - rule.exact(grid)).max()))


def rational_rule(order: float, tau: float, spectrum: tuple[float, float], tolerance: float = 1e-8) -> RationalRule:
    """The rule for ``1/(1 + tau lam^(order/2))`` with error <= tolerance on `spectrum` (lo > 0).

    Pure numpy; see the module docstring for the construction and its rate.
    """
    if not 0 < order < 2:
        raise ValueError(f"fractional order must be in (0, 2), got {order:g}")
    if not (tau > 0 and 0 < spectrum[0] < spectrum[1] and 0 < tolerance < 1):
        raise ValueError(f"need tau > 0, 0 < lam_lo < lam_hi and 0 < tolerance < 1; got {tau}, {spectrum}, {tolerance}")
    k = 2 * np.pi**2 / np.log(8 / tolerance)
    for _ in range(12):
        rule = _build_rule(order, tau, spectrum, tolerance, k)
        if rule.error <= tolerance:
            return rule
        k *= 0.85
    raise RuntimeError(f"fractional diffusion: no rule reached tolerance {tolerance:g} (a = {order:g}, tau = {tau:g})")
