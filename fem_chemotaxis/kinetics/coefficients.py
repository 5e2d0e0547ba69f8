"""Macroscopic coefficients of velocity-jump processes: by quadrature, and in closed form.

Every coefficient has a quadrature over the velocity set (the general case) and, where one
exists, a closed form the quadrature is checked against. ``sigma`` is the rate of new
velocities and ``sigma_d = sigma (1 - psi)`` the rate at which the velocity decorrelates
(psi: the mean cosine of the turning angle, 0 without persistence):

- diffusion tensor ``D = (1/sigma_d) int v (x) v M(v) dv`` (cross-diffusion file (35), (40));
  closed form ``s^2/(n lambda (1 - psi)) I`` on the sphere (chapter (7.3.14)), for 1-D
  reversals ``s^2/(2 lambda)`` (telegraph equation);
- taxis sensitivity chi, ``alpha = (1/sigma_d) int v T^1(M) dv = chi grad S`` (cross (36),
  (39)), a double integral over V x V; closed forms on the sphere ``k s^2/n I`` (run-length)
  and ``k (1 + psi) s^2/n I`` (direction), ``xi I`` for the kernel (41) (42);
- transduction sensitivity ``(b/lambda0) Khat(sigma_d) int v (x) v M dv g'(S)`` with
  ``Khat(p) = int_0^inf K(t) e^(-p t) dt``; closed form chapter (7.3.21) for 1-D reversals;
- fractional order and D_rho: the Lemma's integral in polar coordinates; Gamma functions.

The transduction sensitivity is the linear response of the tumbling rate
``lambda(y) = lambda0 - b y1`` to the excitation: along a run, ``y1`` is the signal
``g(S(x(t)))`` seen by the cell filtered by ``K(t) = tau_a/(tau_a - tau_e)
(e^(-t/tau_a) - e^(-t/tau_e))`` (7.3.18)-(7.3.19) applied to ``dg/dt = v.grad g``; velocities
decorrelate at rate sigma_d, so ``E[v] = (b/lambda0) E[y1 v] = (b/lambda0) Khat(sigma_d)
int v (x) v M dv grad g``. For 1-D reversals at rate lambda0 (``sigma = 2 lambda0``) this is
the chapter's ``b s^2 tau_a g'(S) / (lambda0 (1 + 2 lambda0 tau_a)(1 + 2 lambda0 tau_e))``
(7.3.21). The diffusion of the same process is ``s^2/(2 lambda0)``, the long-time limit of
the telegraph equation (7.3.4) whose flux relaxes at rate ``2 lambda0``; the chapter prints
``s^2/lambda0`` there, from its (7.3.5), which only fixes ``s^2/lambda`` in the limit. This
package, the library's ``keller-segel-transduction`` and the particles use ``s^2/(2 lambda0)``
(``lambda0`` the reversal rate).

For a heavy-tailed equilibrium ``F ~ K0 |v|^-(N+gamma+1)`` and relaxation at rate sigma the
limit is ``rho_t = -D_rho (-Lap)^((gamma+1)/2) rho`` (fractional file, Lemma), with
``D_rho = K0 sigma^-gamma int y1^2/(1 + y1^2) |y|^-(N+gamma+1) dy`` (the Lemma's integral
is the case ``K0 = sigma = 1``) and, in closed form,
``int ... dy = pi/(2 cos(pi gamma/2)) 2 pi^((N-1)/2) Gamma(1 + gamma/2)/Gamma((N+1+gamma)/2)``.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.integrate

from fem_chemotaxis.kinetics.turning import TaxisPerturbation, TurningLaw
from fem_chemotaxis.kinetics.velocities import HeavyTailedEquilibrium, VelocitySet

__all__ = [
    "chapter_transduction_sensitivity",
    "diffusion_tensor",
    "excitation_kernel",
    "excitation_response",
    "excitation_response_closed",
    "fractional_diffusion",
    "fractional_integral",
    "fractional_integral_closed",
    "fractional_order",
    "mechanism_sensitivity",
    "persistent_diffusion",
    "taxis_sensitivity",
    "telegraph_diffusion",
    "transduction_sensitivity",
    "uniform_turning_diffusion",
]

_QUAD = {"epsabs": 0.0, "epsrel": 1e-13, "limit": 500}

#: Pairs of velocities evaluated at once in double integrals (memory bound).
_CHUNK = 2_000_000


def uniform_turning_diffusion(speed: float, rate: float, dimension: int) -> float:
    """``d = s^2/(lambda n)``: uniform turning at speed s and rate lambda in n dimensions (7.3.14)."""
    return speed**2 / (rate * dimension)


def persistent_diffusion(speed: float, rate: float, dimension: int, psi: float) -> float:
    """``d = s^2/(n lambda (1 - psi))``: turning at rate lambda with mean cosine psi (persistence)."""
    return speed**2 / (dimension * rate * (1 - psi))


def telegraph_diffusion(speed: float, reversal_rate: float) -> float:
    """``d = s^2/(2 lambda)``: 1-D reversals at rate lambda, the telegraph equation's limit (7.3.1)-(7.3.4)."""
    return speed**2 / (2 * reversal_rate)


def diffusion_tensor(velocities: VelocitySet, sigma: float) -> np.ndarray:
    """``D = (1/sigma) int v (x) v M(v) dv`` by quadrature (cross-diffusion file (40)).

    With persistence, sigma is the decorrelation rate ``lambda (1 - psi)`` (the solution of
    ``L0 theta = v M`` is ``-v M/sigma``, cross-diffusion file (35)).
    """
    return velocities.quadrature().second_moment() / sigma


def taxis_sensitivity(law: TurningLaw, perturbation: TaxisPerturbation) -> np.ndarray:
    """chi (per unit of a level-dependent k) with ``alpha = chi grad S``, by double quadrature of (36)/(39).

    ``alpha = -int theta/M T^1(M) dv`` (cross-diffusion file (36)) with ``theta = -v M/sigma_d``,
    ``sigma_d = sigma (1 - psi)`` the decorrelation rate, and ``T^1(g)(v) = int T1(v, w) g(w) -
    T1(w, v) g(v) dw``: ``alpha = (1/sigma_d) int int (v - w) T1(v, w) M(w) dv dw`` ((39) for
    relaxation kernels); column j of chi is alpha at ``grad S = e_j``.
    """
    velocities, sigma, psi = law.velocities, law.relaxation_rate, law.persistence
    rule = velocities.quadrature()
    n, q = velocities.dimension, len(rule.weights)
    chi = np.zeros((n, n))
    rows_per_chunk = max(1, _CHUNK // q)
    for start in range(0, q, rows_per_chunk):
        i = np.arange(start, min(q, start + rows_per_chunk))
        vi, wj = np.repeat(i, q), np.tile(np.arange(q), i.size)
        v, w = rule.nodes[vi], rule.nodes[wj]
        t0 = law.turning_kernel(v, w, rule.density[vi])
        for j in range(n):
            t1 = perturbation.values(v, w, rule.density[vi], rule.density[wj], np.eye(n)[j], sigma, velocities, t0, psi)
            weight = t1 * rule.density[wj] * rule.weights[vi] * rule.weights[wj]
            chi[:, j] += weight @ (v - w)
    return perturbation.unit_strength * chi / law.decorrelation_rate


def mechanism_sensitivity(
    velocities: VelocitySet, strength: float, mechanism: str = "run-length", psi: float = 0.0
) -> np.ndarray:
    """chi of the named mechanisms: ``k int v (x) v M dv`` (run-length), ``k (1 + psi) int v (x) v M dv`` (direction).

    A longer run up the gradient (run-length) biases the flux by ``k int v (x) v M`` whatever
    the persistence; a biased choice of the new direction (direction) is kept for
    ``1/(sigma (1 - psi))`` and its bias ``(1 - psi^2)`` at a tumble gives the factor
    ``1 + psi``. On the sphere: ``k s^2/n I`` and ``k (1 + psi) s^2/n I``.
    """
    factor = 1 + psi if mechanism == "direction" else 1.0
    return strength * factor * velocities.quadrature().second_moment()


def excitation_kernel(t: np.ndarray | float, tau_a: float, tau_e: float) -> np.ndarray:
    """K(t): the excitation y1 produced by a unit step of dg/dt (7.3.18)-(7.3.19)."""
    t = np.asarray(t, dtype=float)
    if math.isclose(tau_a, tau_e, rel_tol=1e-9):
        return t / tau_e * np.exp(-t / tau_e)
    return tau_a / (tau_a - tau_e) * (np.exp(-t / tau_a) - np.exp(-t / tau_e))


def excitation_response(rate: float, tau_a: float, tau_e: float) -> float:
    """``Khat(rate) = int_0^inf K(t) e^(-rate t) dt`` by adaptive quadrature."""
    f = lambda t: float(excitation_kernel(t, tau_a, tau_e)) * math.exp(-rate * t)  # noqa: E731
    scale = max(tau_a, tau_e)
    head, _ = scipy.integrate.quad(f, 0.0, scale, **_QUAD)
    tail, _ = scipy.integrate.quad(f, scale, np.inf, **_QUAD)
    return head + tail


def excitation_response_closed(rate: float, tau_a: float, tau_e: float) -> float:
    """``Khat(rate) = tau_a / ((1 + rate tau_a)(1 + rate tau_e))``."""
    return tau_a / ((1 + rate * tau_a) * (1 + rate * tau_e))


def transduction_sensitivity(
    velocities: VelocitySet, sigma: float, lambda0: float, b: float, tau_a: float, tau_e: float
) -> np.ndarray:
    """chi0 with ``chi(S) = chi0 g'(S)``: ``(b/lambda0) Khat(sigma_d) int v (x) v M dv``, by quadrature.

    Args:
        velocities: The velocity set.
        sigma: Decorrelation rate of the velocities at rest, ``sigma_d``: lambda0, 2 lambda0 for
            reversals, ``lambda0 (1 - psi)`` with persistence.
        lambda0: The tumbling rate at rest.
        b: Gain of the tumbling rate on the excitation.
        tau_a: Adaptation time scale.
        tau_e: Excitation time scale.
    """
    return b / lambda0 * excitation_response(sigma, tau_a, tau_e) * velocities.quadrature().second_moment()


def chapter_transduction_sensitivity(speed: float, lambda0: float, b: float, tau_a: float, tau_e: float) -> float:
    """The chapter's (7.3.21) coefficient of ``g'(S)``.

    ``b s^2 tau_a / (lambda0 (1 + 2 lambda0 tau_a)(1 + 2 lambda0 tau_e))``.
    """
    return b * speed**2 * tau_a / (lambda0 * (1 + 2 * lambda0 * tau_a) * (1 + 2 * lambda0 * tau_e))


def fractional_order(gamma: float) -> float:
    """The order gamma + 1 of the fractional Laplacian ``(-Lap)^((gamma+1)/2)``."""
    return gamma + 1


def fractional_integral(dimension: int, gamma: float) -> float:
    """The Lemma's ``int_{R^N} y1^2/(1 + y1^2) |y|^-(N+gamma+1) dy`` by nested quadrature.

    In polar coordinates ``y = r omega`` it is ``int_{S^{N-1}} int_0^inf omega1^2 r^-gamma /
    (1 + r^2 omega1^2) dr domega``; the radial integral is split at ``r = 1/|omega1|`` and both
    parts mapped to (0, 1] (``r = t/|omega1|`` and ``r = 1/(t |omega1|)``), where Gauss-Jacobi
    type rules with the weights ``t^-gamma`` and ``t^gamma`` integrate them.
    """

    def radial(c: float) -> float:
        if c == 0.0:
            return 0.0
        scale = c ** (1 + gamma)  # knee^(1-gamma) c^2 with knee = 1/c
        f = lambda t: scale / (1 + t * t)  # noqa: E731
        head, _ = scipy.integrate.quad(f, 0.0, 1.0, weight="alg", wvar=(-gamma, 0.0), **_QUAD)
        tail, _ = scipy.integrate.quad(f, 0.0, 1.0, weight="alg", wvar=(gamma, 0.0), **_QUAD)
        return head + tail

    if dimension == 1:
        return 2 * radial(1.0)
    if dimension == 2:  # omega = (cos t, sin t), four symmetric quarters
        value, _ = scipy.integrate.quad(lambda t: radial(math.cos(t)), 0.0, math.pi / 2, **_QUAD)
        return 4 * value
    # omega1 = mu = cos(theta), d omega = d mu d phi
    value, _ = scipy.integrate.quad(radial, 0.0, 1.0, **_QUAD)
    return 4 * math.pi * value


def fractional_integral_closed(dimension: int, gamma: float) -> float:
    """``pi/(2 cos(pi gamma/2)) * 2 pi^((N-1)/2) Gamma(1 + gamma/2) / Gamma((N+1+gamma)/2)``."""
    radial = math.pi / (2 * math.cos(math.pi * gamma / 2))
    angular = 2 * math.pi ** ((dimension - 1) / 2) * math.gamma(1 + gamma / 2) / math.gamma((dimension + 1 + gamma) / 2)
    return radial * angular


def fractional_diffusion(equilibrium: HeavyTailedEquilibrium, sigma: float) -> float:
    """``D_rho = K0 sigma^-gamma int y1^2/(1 + y1^2) |y|^-(N+gamma+1) dy`` (fractional file, Lemma)."""
    k0, _ = equilibrium.tail_constant()
    return k0 * sigma**-equilibrium.gamma * fractional_integral(equilibrium.dimension, equilibrium.gamma)
