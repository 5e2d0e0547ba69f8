"""Exact balances after an inexact linear solve: a correction in a few given directions.

An iterative solve of ``A x = b`` stops with a residual ``r = b - A x`` of the Krylov
tolerance. The sum of r over one species' rows is that species' balance with the test
function 1 (the Lagrange basis sums to 1): for a species whose equation conserves its mass,
the mass the inexact solve loses. Adding to x a combination ``E c`` of given directions E
(one per species: ones on its free dofs) with ``(E^T A E) c = E^T r`` makes those sums zero
to round-off, whatever the Krylov tolerance: a Galerkin correction on the coarse space of
the constants. It costs one product with A per direction whenever A changes (and the
caller's product A x per solve).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from petsc4py import PETSc

__all__ = ["BalanceCorrection"]


class BalanceCorrection:
    """Removes the residual's components along `directions` after a solve (see the module).

    Args:
        directions: Vectors of the matrix's layout, nonzero, linearly independent.
    """

    def __init__(self, directions: Sequence[PETSc.Vec]):
        self.directions = list(directions)
        self._images = [d.duplicate() for d in self.directions]
        self._residual = self.directions[0].duplicate()
        self._coarse: np.ndarray | None = None

    def matrix_changed(self) -> None:
        """The matrix values changed: its coarse restriction E^T A E is formed again at the next use."""
        self._coarse = None

    def apply(self, A: PETSc.Mat, b: PETSc.Vec, x: PETSc.Vec, image: PETSc.Vec) -> None:
        """x += E c so that E^T (b - A x) = 0; `image` holds A x and is updated with it."""
        if self._coarse is None:
            for direction, direction_image in zip(self.directions, self._images):
                A.mult(direction, direction_image)
            self._coarse = np.column_stack([direction_image.mDot(self.directions) for direction_image in self._images])
        b.copy(self._residual)
        self._residual.axpy(-1.0, image)
        correction = np.linalg.solve(self._coarse, self._residual.mDot(self.directions))
        x.maxpy(correction, self.directions)
        image.maxpy(correction, self._images)
