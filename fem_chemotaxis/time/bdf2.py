"""Variable-step BDF2 as a transformation of ``M du/dt + G(u, t) = 0``.

With omega = dt_n / dt_{n-1}::

    [ (1+2w)/(1+w) u - (1+w) u_n + w^2/(1+w) u_{n-1} ] / dt + G(u, t_{n+1}) = 0

On the first step omega = 0 and this is backward Euler.

On a moving mesh (``levels.mesh``) the same combination is applied to (u, v) on the three
domains, carried onto Omega_{n+1} (:class:`~fem_chemotaxis.time.levels.MeshLevels`), and the
mesh velocity is the BDF2 derivative of the node positions::

    w = [ (1+w) (x_{n+1} - x_n) - w^2/(1+w) (x_{n+1} - x_{n-1}) ] / dt

so the step is second order for any smooth mesh motion (the convective term (u w, grad v)
only where the mesh moves relative to the material).
"""

from __future__ import annotations

import ufl

from fem_chemotaxis.time.levels import TimeLevels
from fem_chemotaxis.time.newton_scheme import NewtonScheme

__all__ = ["BDF2"]


class BDF2(NewtonScheme):
    """Second-order backward differentiation with variable steps."""

    name = "bdf2"
    order = 2
    error_constant = 2.0 / 9.0

    @staticmethod
    def implicit_weight(dt: float, omega: float) -> float:
        """c of ``c u_{n+1}`` in the discrete time derivative: (1 + 2 omega)/((1 + omega) dt)."""
        return (1 + 2 * omega) / ((1 + omega) * dt)

    def _rate(self, name: str, levels: TimeLevels) -> ufl.core.expr.Expr:
        """The BDF2 derivative of the amounts u (u det F on a moving mesh) at the three levels."""
        w, mesh = levels.omega, levels.mesh
        old, older = levels.old[name], levels.older[name]
        if mesh is not None:
            old, older = old * mesh.old_volume, older * mesh.older_volume
        return ((1 + 2 * w) / (1 + w) * levels.new[name] - (1 + w) * old + w**2 / (1 + w) * older) / levels.dt

    def _mesh_velocity(self, levels: TimeLevels) -> ufl.core.expr.Expr:
        """The BDF2 derivative of the node positions."""
        w, mesh = levels.omega, levels.mesh
        assert mesh is not None
        return ((1 + w) * mesh.to_old - w**2 / (1 + w) * mesh.to_older) / levels.dt
