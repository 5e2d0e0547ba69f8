"""Implicit fractional diffusion with no-flux boundaries: ``u <- (I + dt D A_h^(a/2))^(-1) u``.

``A_h = M^-1 K`` is the discrete Neumann Laplacian (stiffness K, mass M of a Lagrange space)
and ``A_h^(a/2)``, 0 < a < 2, its spectral fractional power. With s = a/2 and tau = dt D a
step applies ``g(A_h)``, ``g(lam) = 1/(1 + tau lam^s)``. The constant mode (lam = 0, g = 1)
is split off exactly, u = mean + u' with the M-weighted mean, and the result is projected
back onto mean-free functions, so mass is conserved to round-off whatever the solver error.

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

Solvers: one PETSc KSP per shifted matrix (MUMPS LU up to DIRECT_MAX_DOFS unknowns, else CG
with BoomerAMG, or Jacobi for shifts beyond lam_max, warm-started, with a relative
tolerance scaled from `tolerance`), kept across steps. The lattice depends on dt only
through its offset (0 or 1/2), so a changed dt reuses the solvers of the shifts it shares
with the cached rules.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, replace

import dolfinx.fem
import dolfinx.fem.petsc
import numpy as np
import ufl
from numpy.polynomial import chebyshev

from petsc4py import PETSc

__all__ = ["SOLVERS", "FractionalDiffusion", "RationalRule", "estimate_spectrum", "rational_rule"]

#: Solvers of the shifted systems: "auto" (direct up to DIRECT_MAX_DOFS), "direct", "iterative".
SOLVERS = ("auto", "direct", "iterative")
DIRECT_MAX_DOFS = 20_000

_TAIL = 46.0  # exp(-46) ~ 1e-20: where the lattice sums are cut off when choosing the truncation
_SAFETY = 2.0  # the spectrum used for the rule is [lam_1/_SAFETY, lam_max*_SAFETY]
_CACHED_STEPS = 4  # rules (time steps) whose solvers are kept


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


def estimate_spectrum(K: PETSc.Mat, M: PETSc.Mat, direct: bool) -> tuple[float, float]:
    """(lam_1, lam_max) of ``K x = lam M x``: smallest non-zero and largest eigenvalue (SLEPc).

    lam_1 by shift-and-invert about a negative target with the constant deflated, lam_max
    by Krylov-Schur with M-solves (CG + Jacobi). Ritz values: lam_1 from above, lam_max from
    below, accurate to about 1e-4 relative; the rule adds a safety factor.
    """
    from slepc4py import SLEPc

    def solve(which: SLEPc.EPS.Which, invert: bool) -> float:
        eps = SLEPc.EPS().create(K.getComm())
        eps.setOperators(K, M)
        eps.setProblemType(SLEPc.EPS.ProblemType.GHEP)
        eps.setDimensions(1, 8)
        eps.setTolerances(1e-2, 200)
        ksp = eps.getST().getKSP()
        if invert:
            ones = K.createVecRight()
            ones.set(1.0)
            eps.setDeflationSpace([ones])
            eps.setTarget(-1.0)
            eps.getST().setType(SLEPc.ST.Type.SINVERT)
            _configure(ksp, direct, rtol=1e-8)
        else:
            ksp.setType(PETSc.KSP.Type.CG)
            ksp.getPC().setType(PETSc.PC.Type.JACOBI)
            ksp.setTolerances(rtol=1e-10)
        eps.setWhichEigenpairs(which)
        eps.solve()
        if eps.getConverged() < 1:
            raise RuntimeError("fractional diffusion: SLEPc did not converge while estimating the spectrum")
        value = float(eps.getEigenvalue(0).real)
        eps.destroy()
        return value

    lam_max = solve(SLEPc.EPS.Which.LARGEST_REAL, invert=False)
    lam_1 = solve(SLEPc.EPS.Which.TARGET_MAGNITUDE, invert=True)
    if not lam_1 > 1e-10 * lam_max:
        raise ValueError(f"fractional diffusion: smallest non-zero eigenvalue {lam_1:.3g} ~ 0; is the mesh connected?")
    return lam_1, lam_max


def _configure(ksp: PETSc.KSP, direct: bool, rtol: float, mass_dominated: bool = False) -> None:
    """MUMPS LU, or CG with an unpreconditioned-residual test and BoomerAMG (GAMG without
    hypre), or Jacobi if the shift dominates the spectrum (K + t M ~ t M, t > lam_max)."""
    pc = ksp.getPC()
    if direct:
        ksp.setType(PETSc.KSP.Type.PREONLY)
        pc.setType(PETSc.PC.Type.LU)
        pc.setFactorSolverType("mumps")
        return
    ksp.setType(PETSc.KSP.Type.CG)
    ksp.setNormType(PETSc.KSP.NormType.UNPRECONDITIONED)
    ksp.setTolerances(rtol=rtol, atol=0.0, max_it=1000)
    if mass_dominated:
        pc.setType(PETSc.PC.Type.JACOBI)
    elif PETSc.Sys.hasExternalPackage("hypre"):
        pc.setType(PETSc.PC.Type.HYPRE)
        pc.setHYPREType("boomeramg")
    else:
        pc.setType(PETSc.PC.Type.GAMG)


class _ShiftedSolver:
    """A KSP for ``(K + t M) x = b``, with the last solution as the next initial guess (iterative)."""

    def __init__(self, K: PETSc.Mat, M: PETSc.Mat, shift: float, direct: bool, mass_dominated: bool):
        self.matrix = K.copy()
        self.matrix.axpy(shift, M, structure=PETSc.Mat.Structure.SAME_NONZERO_PATTERN)
        self.ksp = PETSc.KSP().create(K.getComm())
        self.ksp.setOperators(self.matrix)
        _configure(self.ksp, direct, rtol=1e-10, mass_dominated=mass_dominated)
        self.direct = direct
        self.solution = self.matrix.createVecRight()
        if not direct:
            self.ksp.setInitialGuessNonzero(True)

    def solve(self, b: PETSc.Vec, rtol: float) -> PETSc.Vec:
        if not self.direct:
            self.ksp.setTolerances(rtol=rtol)
        self.ksp.solve(b, self.solution)
        reason = self.ksp.getConvergedReason()
        if reason < 0:
            raise RuntimeError(f"fractional diffusion: shifted solve failed (KSP reason {reason})")
        return self.solution

    def destroy(self) -> None:
        for obj in (self.ksp, self.matrix, self.solution):
            obj.destroy()


class FractionalDiffusion:
    """The implicit step of ``u_t = -D (-Lap)^(a/2) u`` with no-flux boundaries on a Lagrange space.

    Args:
        V: Scalar Lagrange space (any degree) of the species.
        order: a in (0, 2).
        coefficient: The constant diffusion coefficient D > 0.
        tolerance: Bound of the approximation error of ``(I + dt D A_h^(a/2))^-1`` relative to
            the M-norm of the mean-free part (see the module docstring for the rate).
        solver: "auto", "direct" (MUMPS) or "iterative" (CG + AMG, relative tolerance
            chosen from `tolerance`).
        spectrum: (lam_1, lam_max) of the discrete Laplacian, if known; else estimated with SLEPc.
    """

    def __init__(
        self,
        V: dolfinx.fem.FunctionSpace,
        order: float,
        coefficient: float,
        tolerance: float = 1e-8,
        *,
        solver: str = "auto",
        spectrum: Sequence[float] | None = None,
    ):
        if not 0 < order < 2:
            raise ValueError(f"fractional order must be in (0, 2), got {order:g}")
        if not coefficient > 0:
            raise ValueError(f"fractional diffusion coefficient must be positive, got {coefficient:g}")
        if solver not in SOLVERS:
            raise ValueError(f"solver = {solver!r} is unknown; choose one of: {', '.join(SOLVERS)}")
        self.V = V
        self.order = float(order)
        self.coefficient = float(coefficient)
        self.tolerance = float(tolerance)
        size = V.dofmap.index_map.size_global * V.dofmap.index_map_bs
        self.direct = solver == "direct" or (solver == "auto" and size <= DIRECT_MAX_DOFS)
        u, v = ufl.TrialFunction(V), ufl.TestFunction(V)
        stiffness = dolfinx.fem.form(ufl.inner(ufl.grad(u), ufl.grad(v)) * ufl.dx)
        self.K = dolfinx.fem.petsc.assemble_matrix(stiffness)
        self.M = dolfinx.fem.petsc.assemble_matrix(dolfinx.fem.form(u * v * ufl.dx))
        self.K.assemble()
        self.M.assemble()
        lam_1, lam_max = estimate_spectrum(self.K, self.M, self.direct) if spectrum is None else spectrum
        self.spectrum = (float(lam_1), float(lam_max))
        self._ones = self.M.createVecRight()
        self._ones.set(1.0)
        self._mass_weights = self.M.createVecLeft()  # M 1: the mass of u is (M 1) . u
        self.M.mult(self._ones, self._mass_weights)
        self._volume = self._mass_weights.sum()
        self._rhs, self._work, self._result, self._chebyshev = (self.M.createVecRight() for _ in range(4))
        self._rules: OrderedDict[float, RationalRule] = OrderedDict()
        self._solvers: dict[float, _ShiftedSolver] = {}

    def rule(self, dt: float) -> RationalRule:
        """The rational rule for this time step (cached for the last few steps).

        dt is rounded to 12 digits, so that a step shortened by round-off (e.g. to hit an
        output time) reuses the rule and the solvers of the regular step.
        """
        dt = float(f"{dt:.12g}")
        if dt in self._rules:
            self._rules.move_to_end(dt)
            return self._rules[dt]
        lam_1, lam_max = self.spectrum
        spectrum = (lam_1 / _SAFETY, lam_max * _SAFETY)
        rule = rational_rule(self.order, dt * self.coefficient, spectrum, self.tolerance)
        self._rules[dt] = rule
        if len(self._rules) > _CACHED_STEPS:
            self._rules.popitem(last=False)
        used = {t for r in self._rules.values() for t in r.shifted_operators}
        for t in [t for t in self._solvers if t not in used]:
            self._solvers.pop(t).destroy()
        return rule

    def _solver(self, shift: float) -> _ShiftedSolver:
        if shift not in self._solvers:
            mass_dominated = shift > self.spectrum[1]
            self._solvers[shift] = _ShiftedSolver(self.K, self.M, shift, self.direct, mass_dominated)
        return self._solvers[shift]

    def _mean(self, x: PETSc.Vec) -> float:
        return self._mass_weights.dot(x) / self._volume

    def apply(self, u: dolfinx.fem.Function, dt: float) -> None:
        """Overwrite u with ``(I + dt D A_h^(a/2))^-1 u``; its mass is unchanged (to round-off)."""
        self.resolve(u.x.petsc_vec, dt)
        u.x.scatter_forward()

    def resolve(self, x: PETSc.Vec, dt: float) -> None:
        """Overwrite the nodal values x (the owned dofs of the space, in its order) with
        ``(I + dt D A_h^(a/2))^-1 x``; the M-weighted mean is unchanged (to round-off)."""
        rule = self.rule(dt)
        rtol = max(1e-14, 0.1 * self.tolerance / (rule.amplification * (1 + rule.chebyshev.size)))
        mean = self._mean(x)
        deviation, rhs, result = self._work, self._rhs, self._result
        x.copy(deviation)
        deviation.axpy(-mean, self._ones)  # u' = u - mean, so M u' = M u - mean M 1
        self.M.mult(deviation, rhs)
        deviation.copy(result)
        result.scale(rule.identity)
        for t, weight in zip(rule.shifts, rule.weights):
            result.axpy(weight, self._solver(float(t)).solve(rhs, rtol))
        if rule.chebyshev.size:
            self._add_chebyshev(rule, deviation, result, rtol)
        result.axpy(-self._mean(result), self._ones)  # exactly mean-free (solver round-off)
        result.copy(x)
        x.axpy(mean, self._ones)

    def _add_chebyshev(self, rule: RationalRule, v0: PETSc.Vec, result: PETSc.Vec, rtol: float) -> None:
        """result += sum_n a_n T_n(xi(X)) v0 with X = c (K + c M)^-1 M, by the three-term recurrence."""
        x0, x1 = rule.interval
        rhs = self._chebyshev

        def xi(v: PETSc.Vec) -> PETSc.Vec:
            self.M.mult(v, rhs)
            out = self._solver(rule.center).solve(rhs, rtol).copy()
            out.scale(2 * rule.center / (x1 - x0))
            out.axpy(-(x0 + x1) / (x1 - x0), v)
            return out

        previous, current = v0.copy(), None
        result.axpy(rule.chebyshev[0], previous)
        for n, a_n in enumerate(rule.chebyshev[1:], start=1):
            if n == 1:
                current = xi(previous)
            else:
                following = xi(current)
                following.scale(2.0)
                following.axpy(-1.0, previous)
                previous.destroy()
                previous, current = current, following
            result.axpy(a_n, current)
        for vec in (previous, current):
            if vec is not None:
                vec.destroy()
