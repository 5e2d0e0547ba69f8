"""Krylov solves with one matrix for many right-hand sides, its preconditioner reused while it works.

Presets (``solver = ...``, as for Newton in :mod:`fem_chemotaxis.solvers.nonlinear`):

- ``direct``: MUMPS LU, refactorised whenever the matrix changes.
- ``iterative``: FGMRES (relative tolerance :data:`STAGE_RTOL` of the true residual, or a
  tenth of an adaptive run's time tolerance if tighter) preconditioned by a multiplicative
  field split with one block per species, one V-cycle of BoomerAMG (hypre; GAMG where PETSc has
  no hypre) each, in the order given
  (Simulation puts the species that others move towards first: on Keller-Segel, s before u
  saves 10% of the Krylov iterations). After each solve the residual's sum over each
  species' rows is removed (:mod:`fem_chemotaxis.solvers.balance`), so the stages conserve
  what the model conserves to round-off, not to the Krylov tolerance.
  Why 1e-4 (with the initial guesses below): at 2.5e5 DOFs (ros34pw2, 10 steps of
  dt = 0.02) the stages took 8.2, 5.6, 4.0 iterations a step at 1e-6, 1e-5, 1e-4 (0.55, 0.45,
  0.37 s CPU) and moved the end state by 4e-9, 2e-7, 1.2e-6 against tightly solved stages,
  with a time error of 1.3e-5. On the 24 x 24 aggregating test case, adaptive, the solver
  error with a tenth of the time tolerance was 1.9e-5, 1.1e-5, 3.4e-7 against time errors of
  3.4e-4, 1.2e-4, 3.3e-5 (time rtol 1e-3, 1e-4, 1e-6); with the time tolerance itself
  1.0e-3, 4.6e-5, 5.8e-6.
  In 2-D BoomerAMG's defaults were the fastest of those tried (HMIS/PMIS coarsening with ext+i
  interpolation, aggressive coarsening, a strong threshold of 0.5: 15-70% slower a step at
  1e-4; GAMG 20% slower, bench/README.md); on 3-D meshes it coarsens aggressively
  (:mod:`fem_chemotaxis.solvers.amg`: 1.38 -> 1.17 s a step at 5.0e5 DOFs).
  FGMRES rather than GMRES: a stage takes only 2-4 iterations, and left-preconditioned GMRES
  applies the preconditioner once more than it iterates (to the initial residual), FGMRES
  (right-preconditioned, keeping the preconditioned directions) once per iteration (1e6
  DOFs, stages to 1e-6: 16.9 instead of 21.8 preconditioner applications, 3.87 instead of
  4.68 s CPU a step).
  The preconditioner is set up once and reused for later solves, also after the matrix
  changed (a new step size or Jacobian), as long as the Krylov counts stay low: when the
  mean count of a step exceeds ``max(2 x, 5 +)`` the mean right after the last set-up, the
  next step sets it up again. Each solve starts from the best combination of the last
  solutions (:mod:`fem_chemotaxis.solvers.previous_solutions`).
- ``auto``: ``direct`` below :data:`~fem_chemotaxis.solvers.nonlinear.AUTO_DIRECT_LIMIT`
  unknowns, ``iterative`` above.

Options are set under a unique prefix (the user's ``petsc_options`` merged over the preset)
and removed once the solver and its sub-solvers have read them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import dolfinx.fem

from petsc4py import PETSc

from fem_chemotaxis.solvers.amg import species_preconditioner_options
from fem_chemotaxis.solvers.balance import BalanceCorrection
from fem_chemotaxis.solvers.nonlinear import AUTO_DIRECT_LIMIT, PRESETS, block_index_sets
from fem_chemotaxis.solvers.options_prefix import OptionsPrefix
from fem_chemotaxis.solvers.previous_solutions import PreviousSolutions

__all__ = ["STAGE_RTOL", "LinearStatistics", "ReusedKrylovSolver", "linear_preset_options"]

#: Relative tolerance of the iterative stage solves (see the module docstring for the measurement).
STAGE_RTOL = 1e-4
#: The preconditioner is set up again when the Krylov count grows by this factor ...
GROWTH_FACTOR = 2.0
#: ... and by at least this many iterations.
GROWTH_MARGIN = 5


def linear_preset_options(
    preset: str, species: Sequence[str], num_dofs: int, tdim: int, time_rtol: float | None = None
) -> dict[str, Any]:
    """PETSc options of a preset for the linear solves (field-split block names = species) on a
    mesh of topological dimension `tdim`.

    The Krylov tolerance of an adaptive run is a tenth of its relative time tolerance
    `time_rtol`, at most :data:`STAGE_RTOL`.
    """
    if preset not in PRESETS:
        raise ValueError(f"unknown solver preset '{preset}'; choose one of: {', '.join(PRESETS)}")
    if preset == "auto":
        preset = "direct" if num_dofs < AUTO_DIRECT_LIMIT else "iterative"
    if preset == "direct":
        return {"ksp_type": "preonly", "pc_type": "lu", "pc_factor_mat_solver_type": "mumps"}
    options: dict[str, Any] = {
        "ksp_type": "fgmres",
        "ksp_rtol": min(STAGE_RTOL, time_rtol / 10) if time_rtol is not None else STAGE_RTOL,
        "ksp_atol": 1e-30,
        "ksp_max_it": 300,
        "ksp_initial_guess_nonzero": True,
    }
    return {**options, **species_preconditioner_options(species, tdim)}


@dataclass
class LinearStatistics:
    """Counts since the solver was made."""

    solves: int = 0
    iterations: int = 0
    setups: int = 0
    failures: int = 0
    iterations_per_step: list[float] = field(default_factory=list)


class ReusedKrylovSolver:
    """A KSP for one matrix (changing in place) whose preconditioner is rebuilt only when needed.

    Args:
        matrix: The operator; its values may change between solves (same layout).
        unknowns: Functions giving the field-split blocks (their names), in block order.
        options: PETSc options (a preset with the user's overrides).
        split_order: Names of the unknowns in the order of the field split (default: block order).
        balances: Directions in which an iterative solve's residual is made exactly zero
            (:class:`~fem_chemotaxis.solvers.balance.BalanceCorrection`; a direct solve needs none).
    """

    def __init__(
        self,
        matrix: PETSc.Mat,
        unknowns: Sequence[dolfinx.fem.Function],
        options: Mapping[str, Any],
        split_order: Sequence[str] | None = None,
        balances: Sequence[PETSc.Vec] = (),
    ):
        self._options = OptionsPrefix("fem_chemotaxis_linear_", options)
        self.prefix = self._options.prefix
        self.ksp = PETSc.KSP().create(matrix.comm)
        self.ksp.setOptionsPrefix(self.prefix)
        self.ksp.setOperators(matrix, matrix)
        self.ksp.setFromOptions()
        pc = self.ksp.getPC()
        if pc.getType() == PETSc.PC.Type.FIELDSPLIT:
            pc.setFieldSplitIS(*block_index_sets(list(unknowns), matrix.comm, split_order))
        self.direct = self.ksp.getType() == PETSc.KSP.Type.PREONLY
        self._rtol, self._atol = self.ksp.getTolerances()[:2]
        self._balance = BalanceCorrection(balances) if balances and not self.direct else None
        guessing = not self.direct and self.ksp.getInitialGuessNonzero()
        self._previous = PreviousSolutions() if guessing else None
        self._image = matrix.createVecLeft() if self._balance or self._previous else None  # A x after a solve
        self._correction = (matrix.createVecLeft(), matrix.createVecRight()) if self._previous else None  # b - A x0, d
        self.statistics = LinearStatistics()
        self._needs_setup = True
        self._matrix_changed = True
        self._baseline: float | None = None
        self._step_iterations: list[int] = []

    def request_setup(self) -> None:
        """Set the preconditioner up again before the next solve (e.g. after a failure)."""
        self._needs_setup = True

    @property
    def setup_requested(self) -> bool:
        """Whether the next solve sets the preconditioner up again (after a failure, growing Krylov
        counts or :meth:`request_setup`); the first set-up of a new solver is not requested."""
        return self._needs_setup and self.statistics.setups > 0

    def matrix_changed(self) -> None:
        """The matrix values changed: a direct solver refactorises, an iterative one may reuse."""
        self._matrix_changed = True
        for kept in (self._balance, self._previous):
            if kept is not None:
                kept.matrix_changed()

    def solve(self, rhs: PETSc.Vec, solution: PETSc.Vec, scale: float = 0.0, floor: float = 0.0) -> bool:
        """solution = matrix^-1 rhs. An iterative solve starts from the best combination of the
        last solutions (:mod:`~fem_chemotaxis.solvers.previous_solutions`; before the first, from
        solution as given if nonzero guesses are on), stops at the relative tolerance of |rhs|
        or of `scale` if larger (a norm that sets the size of the answer), or at a residual of
        `floor` (the round-off of rhs itself) if that is larger, and ends with the balance
        correction.

        From a guess x0 the Krylov method solves for the correction, ``A d = b - A x0`` from
        zero, with A x0 combined from the kept images: the same Krylov space as a solve from
        x0, without its product for the initial residual, and without the product A x after
        it when the guess already meets the tolerance (most stages of a run at steady state).
        """
        if self._needs_setup or (self.direct and self._matrix_changed):
            self._setup()
        matrix = self.ksp.getOperators()[0]
        if not self.direct:
            self.ksp.setTolerances(atol=max(self._atol, floor, self._rtol * max(scale, rhs.norm())))
        if self._previous is not None and self._previous.guess(matrix, rhs, solution, self._image):
            converged = self._solve_correction(matrix, rhs, solution)
        else:
            converged = self._solve_from(matrix, rhs, solution)
        if converged and self._image is not None:
            if self._balance is not None:
                self._balance.apply(matrix, rhs, solution, self._image)
            if self._previous is not None:
                self._previous.add(solution, self._image)
        if not converged:
            self.statistics.failures += 1
            self._needs_setup = True
        return converged

    def _solve_from(self, matrix: PETSc.Mat, rhs: PETSc.Vec, solution: PETSc.Vec) -> bool:
        """A Krylov solve from solution as it is (or the direct solve); the image A x after it."""
        self.ksp.solve(rhs, solution)
        converged = self._count()
        if converged and self._image is not None:
            matrix.mult(solution, self._image)
        return converged

    def _solve_correction(self, matrix: PETSc.Mat, rhs: PETSc.Vec, solution: PETSc.Vec) -> bool:
        """solution (the guess x0, with A x0 in the image) += d, ``A d = rhs - A x0`` solved from zero."""
        assert self._image is not None and self._correction is not None
        residual, correction = self._correction
        rhs.copy(residual)
        residual.axpy(-1.0, self._image)
        self.ksp.setInitialGuessNonzero(False)
        self.ksp.solve(residual, correction)
        self.ksp.setInitialGuessNonzero(True)
        converged = self._count()
        if converged and self.ksp.getIterationNumber() > 0:
            solution.axpy(1.0, correction)
            matrix.multAdd(correction, self._image, self._image)
        return converged

    def _count(self) -> bool:
        """Record the last Krylov solve's iterations; whether it converged."""
        iterations = self.ksp.getIterationNumber()
        self.statistics.solves += 1
        self.statistics.iterations += iterations
        self._step_iterations.append(iterations)
        return self.ksp.getConvergedReason() > 0

    def end_step(self) -> None:
        """Judge the preconditioner by the Krylov counts of the step's solves."""
        if not self._step_iterations:
            return
        mean = sum(self._step_iterations) / len(self._step_iterations)
        self.statistics.iterations_per_step.append(mean)
        self._step_iterations = []
        if self._baseline is None:
            self._baseline = mean
        elif mean > max(GROWTH_FACTOR * self._baseline, self._baseline + GROWTH_MARGIN):
            self._needs_setup = True

    def _setup(self) -> None:
        """Build the preconditioner for the matrix as it is now (all blocks, outside the solve)."""
        self.ksp.getPC().setReusePreconditioner(False)
        self.ksp.setOperators(*self.ksp.getOperators())  # marks the operator as new: a full set-up
        self.ksp.setUp()
        self.ksp.getPC().setUpOnBlocks()
        self.ksp.getPC().setReusePreconditioner(True)
        self.statistics.setups += 1
        self._needs_setup = self._matrix_changed = False
        self._baseline = None
        self._options.clear()  # read by now
