"""The time levels a one-step or two-step method sees: states at t_{n+1}, t_n, t_{n-1}.

On a moving mesh (see :mod:`fem_chemotaxis.motion`) they also hold where the mesh was:
every form is assembled on Omega_{n+1}, and an integral over an older domain is carried onto
it with the Jacobian of x_{n+1} -> x_k = x_{n+1} - (x_{n+1} - x_k). With the same nodal
basis on every level, for P1 (affine) cells exactly::

    (u_k, v)_{Omega_k} = (u_k det(I - grad(x_{n+1} - x_k)), v)_{Omega_{n+1}}
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import ufl

__all__ = ["MeshLevels", "TimeLevels"]


@dataclass(frozen=True)
class MeshLevels:
    """Where a moving mesh was: displacements of the nodes to their positions at t_{n+1}.

    Attributes:
        to_old: x_{n+1} - x_n (a vector Function of the coordinate-element space).
        to_older: x_{n+1} - x_{n-1}.
        relative: Whether the mesh moves relative to the material (then the species are
            convected relative to the mesh, see :mod:`fem_chemotaxis.terms.mesh_velocity`);
            False when the mesh follows the material (growth).
    """

    to_old: ufl.core.expr.Expr
    to_older: ufl.core.expr.Expr
    relative: bool

    @staticmethod
    def carried(shift: ufl.core.expr.Expr) -> ufl.core.expr.Expr:
        """det(I - grad shift): the factor carrying an integral over an older domain onto Omega_{n+1}."""
        dim = shift.ufl_shape[0]
        return ufl.det(ufl.Identity(dim) - ufl.grad(shift))

    @property
    def old_volume(self) -> ufl.core.expr.Expr:
        """The factor of the level t_n."""
        return self.carried(self.to_old)

    @property
    def older_volume(self) -> ufl.core.expr.Expr:
        """The factor of the level t_{n-1}."""
        return self.carried(self.to_older)


@dataclass(frozen=True)
class TimeLevels:
    """States (UFL expressions per species) and step sizes around the step being taken.

    Attributes:
        new: States at t_{n+1} (depend on the unknowns).
        old: States at t_n.
        older: States at t_{n-1} (used by two-step methods).
        dt: t_{n+1} - t_n.
        t_old: t_n.
        omega: dt_n / dt_{n-1}; 0 on the first step (two-step methods then reduce to one step).
        mesh: Positions of a moving mesh, or None on a fixed mesh (forms unchanged).
    """

    new: Mapping[str, ufl.core.expr.Expr]
    old: Mapping[str, ufl.core.expr.Expr]
    older: Mapping[str, ufl.core.expr.Expr]
    dt: ufl.core.expr.Expr
    t_old: ufl.core.expr.Expr
    omega: ufl.core.expr.Expr
    mesh: MeshLevels | None = None
