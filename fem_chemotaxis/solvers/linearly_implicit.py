"""The semi-discrete system ``M du/dt = F(u, t) = -G(u, t)`` assembled for linearly implicit stages.

Implements the :class:`~fem_chemotaxis.time.rosenbrock.StageSystem` of the Rosenbrock
methods. Each part is assembled only as often as it changes
(:mod:`fem_chemotaxis.terms.partition` finds the parts):

- once: the mass matrices M (one block per species), the matrix K_lin of the terms of G that
  are linear with fixed coefficients (diffusion with a constant coefficient, linear
  reactions, ...), the fixed part of the Jacobian and the vector of fixed sources;
- when the Jacobian is refreshed: its changing blocks (e.g. the taxis blocks), then
  K = dG/du = changing + fixed;
- when the step size or K changes: the stage matrix W = M/(gamma h) + K (a copy and an
  addition of matrices with the same sparsity);
- per stage: the changing part of G (forms) and K_lin u (a matrix-vector product);
- per step, only if G depends on time explicitly: dG/dt at (t_n, u_n) (UFL derivative).

A restart restores the kept Jacobian (:meth:`LinearlyImplicitSystem.restore_jacobian`: assembled
again at the recorded state and time, with its age), so that a continued run forms the same stage
matrices as an uninterrupted one: with a direct solver it takes the same steps to round-off; an
iterative one rebuilds its preconditioner, so the stages agree to the Krylov tolerance.

Dirichlet rows: on a constrained dof the stage equation is replaced by
U_i = gamma_i (g(t_{n+1}) - u_n), the stages of the ODE u' = (g(t_{n+1}) - u_n)/h, which
every consistent method integrates exactly: u_{n+1} = g(t_{n+1}) there.

Per-phase times go to PETSc log events ``FCJacobian``, ``FCResidual``, ``FCStageMatrix``
(and PETSc's own ``PCSetUp``/``PCSetUpOnBlocks``/``KSPSolve``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import dolfinx.fem
import dolfinx.fem.petsc
import dolfinx.la
import numpy as np
import ufl

from mpi4py import MPI
from petsc4py import PETSc

from fem_chemotaxis.solvers.blocks import BlockAssembler, CSRBlocks, compile_forms
from fem_chemotaxis.solvers.linear import ReusedKrylovSolver
from fem_chemotaxis.terms.partition import (
    IsFixed,
    changing_inputs,
    partition_bilinear,
    partition_residuals,
)
from fem_chemotaxis.terms.quadrature import jacobian_block, pin_quadrature_degrees

__all__ = ["LinearlyImplicitSystem"]

EVENTS = {name: PETSc.Log.Event(name) for name in ("FCJacobian", "FCResidual", "FCStageMatrix")}
_SAME = PETSc.Mat.Structure.SAME_NONZERO_PATTERN


class LinearlyImplicitSystem:
    """Assembled operators of ``M du/dt = -G(u, t)`` and the stage solves.

    Args:
        residuals: G_i(u, t; v_i) per unknown (UFL), written with `time_variable` for t.
        unknowns: The Functions u_i; they hold the state at which G is evaluated.
        time: The Constant inside `time_variable`; set to each stage time.
        time_variable: ``ufl.variable(time)``, for dG/dt.
        is_fixed: Which form inputs never change during the run (the model's parameters).
        options: PETSc options of the linear solver (:func:`~fem_chemotaxis.solvers.linear.linear_preset_options`).
        bcs: Dirichlet conditions on the unknowns (values at t_{n+1} when a step begins).
        jacobian_reuse: A W-method keeps its Jacobian for up to this many steps ...
        jacobian_drift: ... while no unknown has moved by more than this fraction of its largest
            value since the Jacobian was assembled (max norms; :meth:`drift`).
        split_order: Order of the unknowns in the field split of the iterative solver.
    """

    def __init__(
        self,
        residuals: Sequence[ufl.Form | None],
        unknowns: Sequence[dolfinx.fem.Function],
        time: dolfinx.fem.Constant,
        time_variable: ufl.core.expr.Expr,
        is_fixed: IsFixed,
        options: dict[str, Any],
        bcs: Sequence[dolfinx.fem.DirichletBC] = (),
        jacobian_reuse: int = 1,
        split_order: Sequence[str] | None = None,
        jacobian_drift: float = math.inf,
    ):
        self.unknowns = list(unknowns)
        self.time = time
        self.jacobian_reuse, self.jacobian_drift = jacobian_reuse, jacobian_drift
        spaces = [u.function_space for u in self.unknowns]
        trials = [ufl.TrialFunction(V) for V in spaces]
        tests = [ufl.TestFunction(V) for V in spaces]
        n = len(spaces)
        parts = partition_residuals(residuals, self.unknowns, trials, is_fixed)
        changing = [None if F is None else pin_quadrature_degrees(F) for F in parts.changing]  # J gets G's rule
        jacobian = [
            [None if F is None else jacobian_block(F, u, du) for u, du in zip(self.unknowns, trials)] for F in changing
        ]
        jacobian_fixed, jacobian_changing = partition_bilinear(jacobian, is_fixed)
        mass = [[trials[i] * tests[i] * ufl.dx if i == j else None for j in range(n)] for i in range(n)]
        used = [
            [
                any(f[i][j] is not None for f in (mass, parts.linear, jacobian_fixed, jacobian_changing))
                for j in range(n)
            ]
            for i in range(n)
        ]
        pattern = compile_forms(
            [[trials[j] * tests[i] * ufl.dx if used[i][j] else None for j in range(n)] for i in range(n)]
        )
        self._changing = compile_forms(changing)
        self._jacobian_changing = compile_forms(jacobian_changing)
        time_derivative = [_time_derivative(f, time_variable) for f in changing]
        self._time_derivative = compile_forms(time_derivative) if any(f is not None for f in time_derivative) else None

        self._blocks = BlockAssembler(spaces)
        self._offsets = self._blocks.offsets
        self.W = dolfinx.fem.petsc.create_matrix(pattern)
        self._blocks.add(self.W, pattern)  # every entry of the sparsity present (zeros after)
        self.W.zeroEntries()
        self.W.setOption(PETSc.Mat.Option.KEEP_NONZERO_PATTERN, True)
        self.mass = self._assembled(compile_forms(mass))
        self.linear = self._assembled(compile_forms(parts.linear))
        fixed = compile_forms(jacobian_fixed)
        self.jacobian_fixed = self.linear
        if any(f is not None for row in fixed for f in row):
            self.jacobian_fixed = self.linear.copy()
            self.jacobian_fixed.axpy(1.0, self._assembled(fixed), _SAME)
        self.jacobian = self.W.duplicate()
        self._jacobian_blocks = CSRBlocks(self._jacobian_changing, self._blocks)
        self.constant = self.new_vector()
        self._blocks.assemble_vector(compile_forms(parts.constant), self.constant)
        self._dirichlet = self._dirichlet_rows(bcs)
        self.solver = ReusedKrylovSolver(self.W, self.unknowns, options, split_order, self._balances())
        self._current, self._work, self._time_rate = self.new_vector(), self.new_vector(), self.new_vector()
        self._jump = self.new_vector()
        self._h = self._shift = self._first_rhs_norm = self._round_off = 0.0
        self._jacobian_row_sum = 0.0  # |K|_inf of the kept Jacobian
        self._jacobian_age = jacobian_reuse  # assemble at the first step
        self._jacobian_at: tuple[float, np.ndarray] | None = None  # (t, owned state) of the last assembly

    def new_vector(self) -> PETSc.Vec:
        """A zero vector of the block layout (owned dofs of each unknown in turn)."""
        v = self.W.createVecLeft()
        v.zeroEntries()
        return v

    def invalidate_jacobian(self) -> None:
        """Assemble the Jacobian and set the preconditioner up again at the next step."""
        self._jacobian_age = self.jacobian_reuse
        self.solver.request_setup()

    def kept_jacobian(self) -> tuple[int, float, np.ndarray] | None:
        """(steps it has served, t and owned state it was assembled at) of the kept Jacobian; None before the first."""
        if self._jacobian_at is None:
            return None
        return self._jacobian_age, *self._jacobian_at

    def restore_jacobian(self, age: int, t: float, state: np.ndarray) -> None:
        """Assemble the Jacobian at a recorded (t, owned state) and give it its age (a restart)."""
        current = self.new_vector()
        self.state(current)
        recorded = self.new_vector()
        recorded.array[:] = state
        self.set_state(recorded)
        self.time.value = t
        self._assemble_jacobian()
        self._jacobian_age = age
        self.set_state(current)
        self._shift = 0.0  # the stage matrix is formed again at the next step

    def begin_step(self, t: float, h: float, gamma: float, exact_jacobian: bool) -> bool:
        """Jacobian (if due) and stage matrix at the current state u_n; dG/dt; Dirichlet jumps."""
        self._h = h
        self.time.value = t
        # a preconditioner due for a new set-up (Krylov counts grew) gets a fresh Jacobian too
        refresh = (
            exact_jacobian
            or self._jacobian_age >= self.jacobian_reuse
            or self.solver.setup_requested
            or (self.jacobian_drift < math.inf and self.drift() > self.jacobian_drift)
        )
        if refresh:
            self._assemble_jacobian()
        if refresh or 1.0 / (gamma * h) != self._shift:
            self._shift = 1.0 / (gamma * h)
            EVENTS["FCStageMatrix"].begin()
            self.jacobian.copy(self.W, _SAME)
            self.W.axpy(self._shift, self.mass, _SAME)
            if self._dirichlet.conditions:  # the same list on every rank
                self.W.zeroRows(self._dirichlet.global_rows, diag=1.0)
            EVENTS["FCStageMatrix"].end()
            self.solver.matrix_changed()
        self._jacobian_age += 1
        if self._time_derivative is not None:
            self._blocks.assemble_vector(self._time_derivative, self._time_rate)
        for rows, dofs, value in self._dirichlet.conditions:
            self._jump.array[rows] = value.x.array[dofs] - self._current.array[rows]
        return True

    def drift(self) -> float:
        """How far the state has moved since the kept Jacobian was assembled: the largest over the
        unknowns of |u_i - u_i at the Jacobian|_inf / |u_i at the Jacobian|_inf (inf before the
        first Jacobian; an unknown zero then and not now counts as moved entirely)."""
        if self._jacobian_at is None:
            return math.inf
        at, now = self._jacobian_at[1], self._current.array_r
        local = np.zeros(2 * len(self.unknowns))
        for i, (start, stop) in enumerate(zip(self._offsets, self._offsets[1:])):
            if stop > start:
                local[2 * i] = np.abs(now[start:stop] - at[start:stop]).max()
                local[2 * i + 1] = np.abs(at[start:stop]).max()
        largest = np.empty_like(local)
        self.W.comm.tompi4py().Allreduce(local, largest, op=MPI.MAX)
        moved, size = largest.reshape(-1, 2).T
        return float(max((m / s if s > 0.0 else (math.inf if m > 0.0 else 0.0)) for m, s in zip(moved, size)))

    def state(self, out: PETSc.Vec) -> None:
        """Copy the unknowns' owned values into out (and remember them as the current state)."""
        for u, start, stop in zip(self.unknowns, self._offsets, self._offsets[1:]):
            self._current.array[start:stop] = u.x.array[: stop - start]
        self._current.copy(out)

    def set_state(self, u: PETSc.Vec) -> None:
        """Make u the current state: copied into the unknowns, ghosts updated."""
        u.copy(self._current)
        for f, start, stop in zip(self.unknowns, self._offsets, self._offsets[1:]):
            f.x.array[: stop - start] = u.array_r[start:stop]
            f.x.scatter_forward()

    def rhs(self, t: float, mass_term: PETSc.Vec | None, time_factor: float, out: PETSc.Vec) -> None:
        """out = -G(t, current state) + M mass_term - time_factor dG/dt (mass_term None: no such
        term, the first stage); Dirichlet rows: the jumps."""
        EVENTS["FCResidual"].begin()
        self.time.value = t
        self._blocks.assemble_vector(self._changing, out)
        self.linear.multAdd(self._current, out, out)
        out.axpy(1.0, self.constant)
        if self._time_derivative is not None and time_factor != 0.0:
            out.axpy(time_factor, self._time_rate)
        out.scale(-1.0)
        if mass_term is not None:
            self.mass.multAdd(mass_term, out, out)
        rows = self._dirichlet.rows
        if rows.size:
            out.array[rows] = time_factor / self._h * self._jump.array[rows]
        EVENTS["FCResidual"].end()

    def solve(self, rhs: PETSc.Vec, out: PETSc.Vec, stage: int) -> bool:
        """out = W^-1 rhs; on failure out is zeroed. The stages of a step are solved to one
        residual, the Krylov tolerance of the first stage's right-hand side: a later, smaller
        stage (the last of ros34pw2 is of the size of the error estimate) needs no more accuracy
        than the first (2.5e5 DOFs: 3.3 instead of 4.0 iterations a step, the same end state),
        and none beyond the round-off of G itself (:meth:`round_off_floor`)."""
        if stage == 0:
            self._first_rhs_norm = rhs.norm()
            self._round_off = self.round_off_floor()
        if self.solver.solve(rhs, out, self._first_rhs_norm, self._round_off):
            return True
        out.zeroEntries()
        return False

    def round_off_floor(self) -> float:
        """What the round-off of G at the current state amounts to: eps |K|_inf |u|_2 (as for
        Newton's absolute tolerance, :mod:`fem_chemotaxis.solvers.nonlinear`). Near a
        steady state the stages' right-hand sides shrink to it; solved to a fraction of their own
        size, the stages then took 3-4 Krylov iterations each to resolve round-off (3.5e4 DOFs
        after 2000 steps: 16 a step instead of 0)."""
        return float(np.finfo(dolfinx.default_scalar_type).eps) * self._jacobian_row_sum * self._current.norm()

    def _assemble_jacobian(self) -> None:
        EVENTS["FCJacobian"].begin()
        self.jacobian.zeroEntries()
        self._jacobian_blocks.add(self.jacobian)
        self.jacobian.axpy(1.0, self.jacobian_fixed, _SAME)
        self._jacobian_row_sum = self.jacobian.norm(PETSc.NormType.NORM_INFINITY)
        self._jacobian_age = 0
        self._jacobian_at = (float(self.time.value), self._current.array_r.copy())
        EVENTS["FCJacobian"].end()

    def _assembled(self, forms: list[list[Any]]) -> PETSc.Mat:
        """A matrix of the stage matrix's sparsity holding the given blocks."""
        A = self.W.duplicate()
        A.zeroEntries()
        self._blocks.add(A, forms)
        return A

    def _balances(self) -> list[PETSc.Vec]:
        """Per unknown: ones on its free rows (its balance with test function 1), if it has any."""
        directions = []
        for start, stop in zip(self._offsets, self._offsets[1:]):
            direction = self.new_vector()
            direction.array[start:stop] = 1.0
            direction.array[self._dirichlet.rows] = 0.0
            if direction.norm(PETSc.NormType.NORM_INFINITY) > 0.0:
                directions.append(direction)
        return directions

    def _dirichlet_rows(self, bcs: Sequence[dolfinx.fem.DirichletBC]) -> _DirichletRows:
        conditions = []
        for bc in bcs:
            rows, dofs = self._blocks.dirichlet_rows(bc)
            conditions.append((rows, dofs, bc.g))
        rows = np.concatenate([r for r, _, _ in conditions]) if conditions else np.zeros(0, dtype=np.int32)
        start = self.W.getOwnershipRange()[0]
        return _DirichletRows(rows, (start + rows).astype(PETSc.IntType), conditions)


@dataclass(frozen=True)
class _DirichletRows:
    """Constrained owned dofs: rows of the block vector, global rows, (rows, dofs, value) per condition."""

    rows: np.ndarray
    global_rows: np.ndarray
    conditions: list[tuple[np.ndarray, np.ndarray, dolfinx.fem.Function]]


def _time_derivative(form: ufl.Form | None, time_variable: ufl.core.expr.Expr) -> ufl.Form | None:
    """dG/dt of the integrals that depend on t explicitly (None if none does)."""
    if form is None:
        return None
    time = time_variable.ufl_operands[0]
    integrals = []
    for integral in form.integrals():
        if time in changing_inputs(integral.integrand(), lambda f: False):
            rate = ufl.algorithms.expand_derivatives(ufl.diff(integral.integrand(), time_variable))
            if not isinstance(rate, ufl.classes.Zero):
                integrals.append(integral.reconstruct(integrand=rate))
    return ufl.Form(integrals) if integrals else None
