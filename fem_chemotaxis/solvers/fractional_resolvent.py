"""Implicit fractional diffusion with no-flux boundaries: ``u <- (I + dt D A_h^(a/2))^(-1) u``.

``A_h = M^-1 K`` is the discrete Neumann Laplacian (stiffness K, mass M of a Lagrange space)
and ``A_h^(a/2)``, 0 < a < 2, its spectral fractional power. With s = a/2 and tau = dt D a
step applies ``g(A_h)``, ``g(lam) = 1/(1 + tau lam^s)``. The constant mode (lam = 0, g = 1)
is split off exactly, u = mean + u' with the M-weighted mean, and the result is projected
back onto mean-free functions, so mass is conserved to round-off whatever the solver error.

The rule that approximates g is built in :mod:`fem_chemotaxis.terms.fractional_rule`.

Solvers: one PETSc KSP per shifted matrix (a sparse Cholesky factorisation up to
DIRECT_MAX_DOFS unknowns, :func:`factor_cholesky`; else CG with BoomerAMG, or Jacobi for
shifts beyond lam_max, warm-started, with a relative tolerance scaled from `tolerance`),
kept across steps. The lattice depends on dt only through its offset (0 or 1/2), so a
changed dt reuses the solvers of the shifts it shares with the cached rules.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence

import dolfinx.fem
import dolfinx.fem.petsc
import ufl

from petsc4py import PETSc

from fem_chemotaxis.solvers.options_prefix import OptionsPrefix
from fem_chemotaxis.terms.fractional_rule import RationalRule, rational_rule

__all__ = ["SOLVERS", "FractionalDiffusion", "estimate_spectrum", "factor_cholesky"]

#: Solvers of the shifted systems: "auto" (direct up to DIRECT_MAX_DOFS), "direct", "iterative".
SOLVERS = ("auto", "direct", "iterative")
DIRECT_MAX_DOFS = 20_000

_SAFETY = 2.0  # the spectrum used for the rule is [lam_1/_SAFETY, lam_max*_SAFETY]
_CACHED_STEPS = 4  # rules (time steps) whose solvers are kept


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


def factor_cholesky(ksp: PETSc.KSP, tdim: int) -> None:
    """Make `ksp` (its operator symmetric positive definite and set) solve by a sparse Cholesky
    factorisation, factored now: on a mesh of topological dimension 1 or 2 PETSc's own, in
    nested-dissection order (under MPI every rank factors a whole copy, PCREDUNDANT: these
    systems have at most about DIRECT_MAX_DOFS unknowns, and a solve gathers the right-hand
    side); on a 3-D mesh MUMPS's.

    A step applies the resolvent's 15-40 shifted solves one right-hand side at a time. In 2-D
    MUMPS's solve phase costs 4-7 times PETSc's (2e3 - 2e4 unknowns: 0.19 - 5.4 ms a solve against
    0.05 - 0.77 ms); in 3-D the two solve alike and PETSc's factorisation, which is not
    supernodal, costs 4-9 times MUMPS's (bench/README.md "Fractional diffusion's shifted solves").
    PCREDUNDANT's inner solver is configured only through PETSc's options: set under a prefix of
    this KSP's own and removed once it is set up.
    """
    if tdim == 3:
        options = {"pc_type": "cholesky", "pc_factor_mat_solver_type": "mumps"}
    else:
        options = {"pc_type": "cholesky", "pc_factor_mat_solver_type": "petsc", "pc_factor_mat_ordering_type": "nd"}
        if ksp.getComm().getSize() > 1:
            options = {"pc_type": "redundant"} | {f"redundant_{key}": value for key, value in options.items()}
    prefix = OptionsPrefix("fem_chemotaxis_cholesky_", options)
    try:
        ksp.setOptionsPrefix(prefix.prefix)
        ksp.setType(PETSc.KSP.Type.PREONLY)
        ksp.setFromOptions()
        ksp.setUp()
    finally:
        prefix.clear()


def _configure(ksp: PETSc.KSP, direct: bool, rtol: float, mass_dominated: bool = False) -> None:
    """MUMPS LU (the spectrum's shift-and-invert, once a run), or CG with an unpreconditioned-residual
    test and BoomerAMG (GAMG without hypre), or Jacobi if the shift dominates the spectrum
    (K + t M ~ t M, t > lam_max)."""
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

    def __init__(self, K: PETSc.Mat, M: PETSc.Mat, shift: float, direct: bool, mass_dominated: bool, tdim: int):
        self.matrix = K.copy()
        self.matrix.axpy(shift, M, structure=PETSc.Mat.Structure.SAME_NONZERO_PATTERN)
        self.ksp = PETSc.KSP().create(K.getComm())
        self.ksp.setOperators(self.matrix)
        if direct:
            factor_cholesky(self.ksp, tdim)
        else:
            _configure(self.ksp, direct=False, rtol=1e-10, mass_dominated=mass_dominated)
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
        solver: "auto", "direct" (sparse Cholesky) or "iterative" (CG + AMG, relative tolerance
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
            tdim = self.V.mesh.topology.dim
            self._solvers[shift] = _ShiftedSolver(self.K, self.M, shift, self.direct, mass_dominated, tdim)
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
