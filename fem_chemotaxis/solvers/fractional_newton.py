"""Newton steps with spectral fractional diffusion inside the implicit step (no splitting).

A species with ``u_t = -D (-Lap)^(a/2) u + (other terms)`` has, in a backward-Euler or BDF2
step, the residual (the rows of its test functions)::

    F_full(x) = F(x) + D M A^s u,      A = M^-1 K,  s = a/2,

where F is the assembled residual of every other term of the step, whose time derivative is
``c M u + (older levels)`` (c = 1/dt for backward Euler) and x all unknowns. A^s is not at
hand, but its resolvent ``R = (I + tau A^s)^-1``, tau = D/c, is (a sum of shifted solves,
:mod:`fem_chemotaxis.solvers.fractional_resolvent`). From ``R (I + tau A^s) = I`` the
fractional rows of ``Q F_full``, ``Q = (M + t K) R M^-1`` with any t >= 0, need only R::

    G = Q F_full = T(u, F),      T(u, y) = c (M + t K) (u - R (u - M^-1 y / c)).

G = 0 exactly where F_full = 0: every term is implicit at the new level, the step is the
scheme's own (order 1 or 2) with no splitting error. Newton on G is Newton on F_full
(``J_G = diag(Q, I) J_full``); T is linear, so ``J_G d = T(d, J_F d)`` on the fractional
rows with the assembled Jacobian J_F of F, applied matrix-free. The other rows are F and J_F
unchanged. ``1^T K = 0`` and R keeps the M-weighted mean, so the sum of the fractional rows of
G is that of F: a conservative model keeps its mass to the Newton tolerance.

Preconditioner: ``Q J_full`` differs from the assembled ``J_F + c t K`` (on the fractional
rows: the step's Jacobian with the fractional term replaced by classical diffusion c t) only
through ``r(lam) - r~(lam)``, the fractional resolvent ``1/(1 + tau lam^s)`` against the
classical ``1/(1 + t lam)``, times the taxis and reaction coupling. With ``t = tau^(1/s)``
both are 1/2 at the same lam and differ by at most 0.06 (a = 1.5; 0.25 at a = 0.6): GMRES
preconditioned by ``J_F + c t K`` (MUMPS LU, or the field split of the iterative preset)
needs 1-3 iterations per Newton iteration to the relative tolerance 1e-4. Each applies R
once, with a rule of tolerance :data:`JACOBIAN_TOLERANCE` (15-16 shifted solves instead of
about 39 at 1e-8); the residual uses the exact rule, so Newton converges to the same
solution. The preconditioner's matrix is the assembled J_F plus c t times each fractional
species' stiffness, assembled once (one matrix assembly a Newton iteration, not two: the
fractional Keller-Segel demo's Jacobians 3.35 -> 1.74 s of a 15 s run).

Supported: backward Euler and BDF2 (the weight c of :meth:`implicit_weight` of the scheme);
Crank-Nicolson would need ``A^s u_n`` at the old level, which R does not give.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import dolfinx.fem
import dolfinx.fem.petsc
import ufl

from petsc4py import PETSc

from fem_chemotaxis.solvers.blocks import BlockAssembler
from fem_chemotaxis.solvers.fractional_resolvent import FractionalDiffusion, factor_cholesky
from fem_chemotaxis.solvers.nonlinear import NonlinearSolver, SolveReport, block_index_sets
from fem_chemotaxis.terms.quadrature import pin_quadrature_degrees

__all__ = ["JACOBIAN_TOLERANCE", "FractionalNewtonSolver"]

#: Tolerance of the rational rule in the Jacobian's action (the residual uses the operator's own).
JACOBIAN_TOLERANCE = 1e-4

_SAME = PETSc.Mat.Structure.SAME_NONZERO_PATTERN

#: GMRES replacing a direct preset's single LU solve (preconditioned by that LU); relative
#: tolerance 1e-4: 2-3 Newton iterations a step in the tests.
_GMRES = {"ksp_type": "gmres", "ksp_rtol": 1e-4, "ksp_atol": 1e-14, "ksp_max_it": 300, "ksp_gmres_restart": 300}


class _FractionalRows:
    """T(u, y) = c (M + t K) (u - R (u - M^-1 y / c)) on the block of one fractional species,
    and the classical diffusion c t of the preconditioner, t = tau^(1/s), tau = D/c."""

    def __init__(self, operator: FractionalDiffusion, index_set: PETSc.IS):
        self.operator = operator
        self.jacobian_operator = FractionalDiffusion(
            operator.V,
            operator.order,
            operator.coefficient,
            JACOBIAN_TOLERANCE,
            solver="direct" if operator.direct else "iterative",
            spectrum=operator.spectrum,
        )
        self.index_set = index_set
        self.surrogate = 0.0  # c t
        self.weight, self.shift = 1.0, 0.0  # c, t
        self.mass_solver = PETSc.KSP().create(operator.M.getComm())
        self.mass_solver.setOperators(operator.M)
        if operator.direct:
            factor_cholesky(self.mass_solver, operator.V.mesh.topology.dim)
        else:  # M is well conditioned (independent of h): CG + Jacobi, a few tens of iterations
            self.mass_solver.setType(PETSc.KSP.Type.CG)
            self.mass_solver.getPC().setType(PETSc.PC.Type.JACOBI)
            self.mass_solver.setTolerances(rtol=1e-13, atol=0.0, max_it=500)
        self._work, self._product, self._stiffness = (operator.M.createVecRight() for _ in range(3))

    def set_weight(self, weight: float) -> None:
        """The step's c; then t = (D/c)^(1/s), where the two resolvents are both 1/2."""
        self.weight = weight
        self.shift = (self.operator.coefficient / weight) ** (2.0 / self.operator.order)
        self.surrogate = weight * self.shift

    def transform(self, u_all: PETSc.Vec, y_all: PETSc.Vec, jacobian: bool) -> None:
        """Overwrite the block of y_all with T(u, y), u and y this species' blocks (with the
        Jacobian's rule if `jacobian`)."""
        u = u_all.getSubVector(self.index_set)
        y = y_all.getSubVector(self.index_set)
        work, c = self._work, self.weight
        self.mass_solver.solve(y, work)  # M^-1 y
        work.aypx(-1.0 / c, u)  # w = u - M^-1 y / c
        (self.jacobian_operator if jacobian else self.operator).resolve(work, 1.0 / c)  # R w, tau = D/c
        work.aypx(-1.0, u)  # u - R w
        self.operator.M.mult(work, self._product)
        self.operator.K.mult(work, self._stiffness)
        self._product.axpy(self.shift, self._stiffness)
        self._product.scale(c)
        self._product.copy(y)
        u_all.restoreSubVector(self.index_set, u)
        y_all.restoreSubVector(self.index_set, y)

    def destroy(self) -> None:
        for obj in (self.mass_solver, self._work, self._product, self._stiffness):
            obj.destroy()


class _MatrixFreeJacobian:
    """PETSc Python matrix context: ``J_G d`` from the assembled J_F and the fractional rows."""

    def __init__(self, solver: FractionalNewtonSolver):
        self.solver = solver

    def mult(self, _mat: PETSc.Mat, x: PETSc.Vec, y: PETSc.Vec) -> None:
        self.solver.problem.A.mult(x, y)
        self.solver.transform(x, y, jacobian=True)


class FractionalNewtonSolver(NonlinearSolver):
    """Newton's method for a step whose species may have spectral fractional diffusion.

    Args:
        residuals: One UFL form per unknown, without the fractional terms.
        unknowns: The Functions solved for, in the same order.
        options: PETSc options (a preset with the user's overrides); a direct preset's
            single LU solve becomes GMRES preconditioned by that LU.
        bcs: Dirichlet conditions (none on a fractional species).
        fractional: Index of an unknown -> its fractional operator (its D, order, spaces).
        weight: The scheme's weight c of ``c M u_{n+1}`` for the current step (called at
            each solve: it depends on dt and, for BDF2, on the ratio of steps).
    """

    def __init__(
        self,
        residuals: Sequence[ufl.Form],
        unknowns: Sequence[dolfinx.fem.Function],
        options: Mapping[str, Any],
        bcs: Sequence[dolfinx.fem.DirichletBC],
        fractional: Mapping[int, FractionalDiffusion],
        weight: Callable[[], float],
    ):
        for bc in bcs:
            for i in fractional:
                if bc.function_space == unknowns[i].function_space._cpp_object:
                    raise ValueError(
                        f"a Dirichlet condition on '{unknowns[i].name}' is not supported with fractional "
                        "diffusion (the spectral operator has no-flux boundaries); use a flux or Robin condition"
                    )
        self.weight = weight
        index_sets = [index_set for _, index_set in block_index_sets(unknowns, unknowns[0].function_space.mesh.comm)]
        self._rows = {i: _FractionalRows(op, index_sets[i]) for i, op in fractional.items()}
        pinned = [pin_quadrature_degrees(F) for F in residuals]
        options = dict(options)
        if options.get("ksp_type") == "preonly":
            options.update(_GMRES)
        super().__init__(pinned, unknowns, options, bcs)  # pinned once

        problem, snes = self.problem, self.problem.solver
        self._bcs = list(bcs)
        self._preconditioner, self._stiffness = self._preconditioning_matrices(list(unknowns))
        sizes = problem.A.getSizes()
        self._jacobian = PETSc.Mat().createPython(sizes, _MatrixFreeJacobian(self), comm=snes.comm)
        self._jacobian.setUp()
        snes.setFunction(self._assemble_residual, problem.b)
        snes.setJacobian(self._assemble_jacobian, self._jacobian, self._preconditioner)

    def transform(self, x: PETSc.Vec, y: PETSc.Vec, jacobian: bool = False) -> None:
        """Replace the fractional rows of y (F(x), or J_F d with x = d) by T(x, y)."""
        for rows in self._rows.values():
            rows.transform(x, y, jacobian)

    def _assemble_residual(self, snes: PETSc.SNES, x: PETSc.Vec, b: PETSc.Vec) -> None:
        problem = self.problem
        dolfinx.fem.petsc.assemble_residual(
            snes, x, b, problem.u, problem.F, problem.J, self._bcs, problem.b.getAttr("_blocks")
        )
        self.transform(x, b)

    def _preconditioning_matrices(
        self, unknowns: list[dolfinx.fem.Function]
    ) -> tuple[PETSc.Mat, list[tuple[_FractionalRows, PETSc.Mat]]]:
        """The preconditioner's matrix (J_F's layout and sparsity) and each fractional species'
        stiffness K in its diagonal block of such a matrix, assembled once."""
        A = self.problem.A
        dolfinx.fem.petsc.assemble_matrix(A, self.problem.J)  # once: stores every entry of J_F's sparsity
        A.assemble()
        blocks = BlockAssembler([u.function_space for u in unknowns])
        stiffness = []
        for i, rows in self._rows.items():
            V = unknowns[i].function_space
            u, v = ufl.TrialFunction(V), ufl.TestFunction(V)
            forms: list[list[Any]] = [[None] * len(unknowns) for _ in unknowns]
            forms[i][i] = dolfinx.fem.form(ufl.inner(ufl.grad(u), ufl.grad(v)) * ufl.dx)
            K = A.duplicate()
            blocks.add(K, forms)
            stiffness.append((rows, K))
        return A.duplicate(), stiffness

    def _assemble_jacobian(self, snes: PETSc.SNES, x: PETSc.Vec, _J: PETSc.Mat, P: PETSc.Mat) -> None:
        """J_F assembled; the preconditioner P = J_F + c t K on the fractional blocks from it and the
        kept stiffness (one assembly a Newton iteration instead of two)."""
        problem = self.problem
        dolfinx.fem.petsc.assemble_jacobian(snes, x, problem.A, P, problem.u, problem.J, None, self._bcs)
        problem.A.copy(P, _SAME)
        for rows, K in self._stiffness:
            P.axpy(rows.surrogate, K, _SAME)
        self._jacobian.assemble()

    def solve(self) -> SolveReport:
        """As :meth:`NonlinearSolver.solve`, with the scheme's weight of this step."""
        c = self.weight()
        for rows in self._rows.values():
            rows.set_weight(c)
        return super().solve()

    def __del__(self) -> None:
        for rows in getattr(self, "_rows", {}).values():
            rows.destroy()
        for _, K in getattr(self, "_stiffness", []):
            K.destroy()
        if hasattr(self, "_preconditioner"):
            self._preconditioner.destroy()
        if hasattr(self, "_jacobian"):
            self._jacobian.destroy()
        # the options left in PETSc's database go with NonlinearSolver's OptionsPrefix
