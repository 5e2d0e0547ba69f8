"""Initial guesses for a sequence of solves with one matrix: the best combination of earlier solutions.

For right-hand sides that change smoothly (the stages of successive Rosenbrock steps), the
solution of the next system is nearly a combination of the last few: the guess
``x0 = X c`` with c minimising ``|b - A X c|`` (Fischer, "Projection techniques for iterative
solution of Ax = b with successive right-hand sides", CMAME 163, 1998) starts the Krylov
solve close to its tolerance, often within it. X holds the last :data:`WINDOW` solutions and
``A X`` their images; when the matrix changes the images are formed again (the solutions
remain good directions: A changes little between steps).

Measured on 2-D Keller-Segel (2.5e5 DOFs, ros34pw2, fixed dt, stages to 1e-4): 2.3 instead of
8.7 Krylov iterations a step at steady state (each stage extrapolated from the last two
steps); windows of 8, 12, 16 solutions, emptied at each new Jacobian, gave 3.8, 3.3, 3.3.
"""

from __future__ import annotations

import numpy as np

from petsc4py import PETSc

__all__ = ["WINDOW", "PreviousSolutions"]

#: Solutions kept (three steps of a four-stage method).
WINDOW = 12


class PreviousSolutions:
    """The last solutions of ``A x = b`` and their images, for the least-squares initial guess."""

    def __init__(self, window: int = WINDOW):
        self.window = window
        self.clear()

    def clear(self) -> None:
        """Forget every kept solution."""
        self._solutions: list[PETSc.Vec] = []
        self._images: list[PETSc.Vec] = []
        self._gram = np.zeros((0, 0))  # images^T images
        self._stale = False

    def matrix_changed(self) -> None:
        """The matrix values changed: the images are formed again before the next guess."""
        self._stale = bool(self._solutions)

    def guess(self, A: PETSc.Mat, b: PETSc.Vec, x: PETSc.Vec, image: PETSc.Vec) -> bool:
        """x = the combination of the kept solutions with the smallest residual, `image` = A x from
        the kept images (no product with A); False (x and image unchanged) if none is kept."""
        if not self._solutions:
            return False
        if self._stale:
            n = len(self._images)
            self._gram = np.empty((n, n))
            for j, (solution, kept_image) in enumerate(zip(self._solutions, self._images)):
                A.mult(solution, kept_image)
                self._gram[j, : j + 1] = self._gram[: j + 1, j] = kept_image.mDot(self._images[: j + 1])
            self._stale = False
        projections = np.asarray(b.mDot(self._images))
        if not (np.isfinite(self._gram).all() and np.isfinite(projections).all()):
            self.clear()  # products beyond the floating-point range (a diverging run): no guess
            return False
        weights = np.linalg.lstsq(self._gram, projections, rcond=1e-12)[0]
        x.zeroEntries()
        x.maxpy(weights, self._solutions)
        image.zeroEntries()
        image.maxpy(weights, self._images)
        return True

    def add(self, x: PETSc.Vec, image: PETSc.Vec) -> None:
        """Keep x and its image A x (copied; the oldest pair goes when the window is full)."""
        if len(self._solutions) == self.window:  # reuse the oldest pair's vectors
            kept_solution, kept_image = self._solutions.pop(0), self._images.pop(0)
            self._gram = self._gram[1:, 1:]
        else:
            kept_solution, kept_image = x.duplicate(), image.duplicate()
        x.copy(kept_solution)
        image.copy(kept_image)
        n = len(self._images)
        gram = np.empty((n + 1, n + 1))
        gram[:n, :n] = self._gram
        if n:
            gram[n, :n] = gram[:n, n] = kept_image.mDot(self._images)
        gram[n, n] = kept_image.dot(kept_image)
        self._gram = gram
        self._solutions.append(kept_solution)
        self._images.append(kept_image)
