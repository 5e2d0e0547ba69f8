"""Newton's Krylov tolerance chosen per iteration ("forcing terms"): as loose as the Newton step
allows, as tight as finishing needs.

Newton stops when ``|F_k| <= T = max(atol, rtol |F_0|)``. On a time step the first Newton
step only reaches about ``rho |F_0|`` however exactly its linear system is solved (``rho``,
the step's contraction, 5e-4 to 2e-3 on the benchmark's Keller-Segel: the nonlinearity), so
solving it to the preset's 1e-5 is wasted work; the last step must bring ``|F_k|`` below
``T``, and at a fixed 1e-5 it sometimes ends just above (a third Newton iteration: one more
Jacobian, residual and Krylov solve). So:

- the first iteration solves to a fraction :data:`FIRST_FRACTION` of the previous solve's
  contraction (never tighter than the configured tolerance, never looser than
  :data:`FIRST_MAX`);
- an iteration after a strong contraction (``|F_k| < QUADRATIC |F_(k-1)|``: Newton is in its
  quadratic range, the linear error decides) solves to :data:`SAFETY` ``T / |F_k|``, at most
  the configured tolerance and at least :data:`MIN_RTOL`;
- any other iteration, and the first iteration after a failed solve, uses the configured one.

Keller-Segel, backward Euler, the benchmark's steps 2-7 (bench/README.md "Newton's Krylov
tolerance per iteration"): 2-D 1.0e6 DOFs 2.87 -> 2.71 s a step (8-9 instead of 10 Krylov
iterations a step once the run is under way), 2 ranks 1.89 -> 1.77 s; 2.0e6 5.40 -> 5.27 s, 2
ranks 3.38 -> 3.29 s; 3-D 5.0e5 unchanged (3.25 / 2.08 s). A user's ``ksp_rtol`` is kept as
given (:func:`chooses_forcing`: the solvers then do not choose).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from petsc4py import PETSc

__all__ = ["FIRST_FRACTION", "FIRST_MAX", "MIN_RTOL", "QUADRATIC", "SAFETY", "ForcingTerms", "chooses_forcing"]

#: The first iteration's Krylov tolerance, as a fraction of the last solve's contraction |F_1|/|F_0|.
FIRST_FRACTION = 0.2
#: The first iteration's Krylov tolerance at most.
FIRST_MAX = 1e-2
#: A contraction below this marks Newton's quadratic range.
QUADRATIC = 1e-2
#: The last iteration's linear residual as a fraction of Newton's stopping line.
SAFETY = 0.5
#: No Krylov tolerance below this.
MIN_RTOL = 1e-8


def chooses_forcing(options: Mapping[str, Any], user_options: Mapping[str, Any]) -> bool:
    """Whether Newton chooses its Krylov tolerance per iteration: whenever a Krylov method iterates
    (`options`, the preset with the user's options; the iterative presets, and the flows' direct
    preset's GMRES on its kept LU), unless the user's options fix it (``ksp_rtol``: it is then kept
    as given)."""
    return options.get("ksp_type") != "preonly" and "ksp_rtol" not in user_options


class ForcingTerms:
    """The Krylov tolerance of each Newton iteration of `snes` (PETSc's SNES update callback).

    Args:
        snes: The Newton solver; its KSP's relative tolerance at call time is the configured one.
    """

    def __init__(self, snes: PETSc.SNES):
        self.ksp = snes.getKSP()
        self.configured = float(self.ksp.getTolerances()[0])
        self.contraction: float | None = None  # |F_1| / |F_0| of the last solve
        self._first = self._previous = 0.0
        snes.setUpdate(self)

    def __call__(self, snes: PETSc.SNES, iteration: int) -> None:
        norm = float(snes.getFunctionNorm())
        rtol = self.configured
        if iteration == 0:
            self._first = norm
            if self.contraction is not None:
                rtol = min(FIRST_MAX, max(self.configured, FIRST_FRACTION * self.contraction))
        else:
            if iteration == 1 and self._first > 0.0:
                self.contraction = norm / self._first
            if norm < QUADRATIC * self._previous:
                newton_rtol, newton_atol = snes.getTolerances()[:2]
                line = max(newton_atol, newton_rtol * self._first)
                rtol = min(self.configured, max(MIN_RTOL, SAFETY * line / norm))
        self._previous = norm
        self.ksp.setTolerances(rtol=rtol)

    def failed(self) -> None:
        """The last solve failed: its contraction says nothing about the next one."""
        self.contraction = None
