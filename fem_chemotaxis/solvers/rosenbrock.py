"""A Rosenbrock step as a solver of one time step: the Newton solver's counterpart for Simulation.

:class:`RosenbrockSolver` takes the step from t_n (``t_old``) to t_n + dt (``dt``) from the
unknowns' current values, leaves u_{n+1} in them and reports like
:class:`~fem_chemotaxis.solvers.nonlinear.NonlinearSolver` (no Newton iterations; the
Krylov iterations of all stages). Its embedded error estimate is :meth:`error_values`.

Jacobian and preconditioner: the exact methods assemble the Jacobian every step; the
W-methods keep it for up to :data:`JACOBIAN_REUSE` steps, and take a fresh one whenever the
preconditioner is set up again (its Krylov counts grew) or an unknown has moved by more than
:data:`JACOBIAN_DRIFT` of its largest value since the kept one was assembled. A retried step
(after a rejection or a failed solve) always starts with a fresh Jacobian and preconditioner.
Measured on the aggregating Keller-Segel run (96 x 96 cells, ros34pw2, dt = 0.05 to t = 1):
keeping the Jacobian for 1, 5, 10 steps gave time errors 3.5e-5, 1.9e-5, 1.9e-5 and CPU times
1.53, 1.49, 1.34 s (ros2: errors 6.3e-3, 7.0e-3, 7.5e-3, times 0.98, 0.90, 0.83 s).
A W-method keeps its order with any matrix in place of J, but not its stability: on the
volume-filling demo (fixed dt = 0.1) a Jacobian kept for 5 or 10 steps while the plateaus form
let the fronts blow up (u from -3.7 to 3.3 at t = 5, where 0 <= u <= 1), kept for 1-2 steps it
did not. The state had moved by 0.4-0.9 of its maximum by then (the benchmark's run, by 0.05-0.15
over 10 steps); with the drift rule at 0.1-0.5 every mesh of that demo tried (3 sizes, 100-200 steps)
stayed in [-0.03, 1.03], 0.2 refreshing on 44 of 200 steps and the main demo on 18 of 150 (15
without the rule).
"""

from __future__ import annotations

import dolfinx.fem
import numpy as np

from fem_chemotaxis.solvers.linearly_implicit import LinearlyImplicitSystem
from fem_chemotaxis.solvers.nonlinear import SolveReport
from fem_chemotaxis.time.rosenbrock import RosenbrockStepper, RosenbrockTableau

__all__ = ["JACOBIAN_DRIFT", "JACOBIAN_REUSE", "RosenbrockSolver", "jacobian_reuse"]

#: Accepted steps a W-method keeps its Jacobian for (bench/README.md: measured choice) ...
JACOBIAN_REUSE = 10
#: ... unless an unknown has moved by more than this fraction of its largest value since.
JACOBIAN_DRIFT = 0.2


def jacobian_reuse(tableau: RosenbrockTableau) -> int:
    """How many steps the method may use one Jacobian for (1: a fresh one every step)."""
    return JACOBIAN_REUSE if tableau.w_method else 1


class RosenbrockSolver:
    """One Rosenbrock step per :meth:`solve`, on an assembled system.

    Args:
        tableau: The method.
        system: The assembled system of the unknowns.
        t_old: Constant holding t_n.
        dt: Constant holding the step size.
    """

    def __init__(
        self,
        tableau: RosenbrockTableau,
        system: LinearlyImplicitSystem,
        t_old: dolfinx.fem.Constant,
        dt: dolfinx.fem.Constant,
    ):
        self.tableau, self.system = tableau, system
        self.stepper = RosenbrockStepper(tableau, system)
        self._t_old, self._dt = t_old, dt
        self._last_start: float | None = None

    def solve(self) -> SolveReport:
        """Step from the unknowns' values at t_old to t_old + dt; never raises on failure."""
        t, h = float(self._t_old.value), float(self._dt.value)
        if self._last_start == t:  # a retry: the last attempt from here failed or was rejected
            self.system.invalidate_jacobian()
        self._last_start = t
        before = self.system.solver.statistics.iterations
        converged = self.stepper.step(t, h)
        self.system.solver.end_step()
        iterations = self.system.solver.statistics.iterations - before
        return SolveReport(converged, 1 if converged else -3, 0, iterations)

    @property
    def failure(self) -> str | None:
        """Why the last step failed (None if it did not)."""
        return self.stepper.failure

    def kept_jacobian(self) -> tuple[int, float, np.ndarray] | None:
        """The W-method's kept Jacobian: (steps served, t and owned state it was assembled at)."""
        return self.system.kept_jacobian()

    def restore_jacobian(self, age: int, t: float, state: np.ndarray) -> None:
        """Rebuild the kept Jacobian of an interrupted run (see :meth:`kept_jacobian`)."""
        self.system.restore_jacobian(age, t, state)

    def error_values(self) -> np.ndarray:
        """Owned values of the embedded error estimate of the last step (in unknown order)."""
        return self.stepper.error.array_r.copy()
