"""The theta method as a transformation of the semi-discrete form ``M du/dt + G(u, t) = 0``.

``theta = 1`` is backward Euler (BDF1), ``theta = 1/2`` Crank-Nicolson::

    (u - u_n)/dt + theta G(u, t_n + dt) + (1 - theta) G(u_n, t_n) = 0

Quasi-steady species (no time derivative) are always solved at the new time level.

On a moving mesh (``levels.mesh``; backward Euler only) the step is the ALE form of
:mod:`fem_chemotaxis.terms.mesh_velocity`, with the mesh velocity w = (x_{n+1} - x_n)/dt::

    (u - u_n det(I - grad(x_{n+1} - x_n)))/dt + (u w, grad v) + G(u, t_n + dt) = 0

on Omega_{n+1} (the convective term only where the mesh moves relative to the material).
Crank-Nicolson would need G(u_n) on Omega_n, i.e. a second geometry in one form: not
supported.
"""

from __future__ import annotations

from collections.abc import Mapping

import ufl

from fem_chemotaxis.terms.spatial import SpatialOperator
from fem_chemotaxis.time.levels import TimeLevels
from fem_chemotaxis.time.newton_scheme import NewtonScheme, SpatialResiduals

__all__ = ["ThetaMethod"]


class ThetaMethod(NewtonScheme):
    """Turns a spatial operator into the residuals of one time step.

    Args:
        theta: Implicitness, in [1/2, 1]; 1 is backward Euler, 1/2 Crank-Nicolson.
    """

    def __init__(self, theta: float = 1.0):
        if not 0.5 <= theta <= 1.0:
            raise ValueError(f"theta must be in [0.5, 1], got {theta}")
        self.theta = theta

    @property
    def name(self) -> str:
        """A short description for summaries."""
        return {1.0: "backward-euler", 0.5: "crank-nicolson"}.get(self.theta, f"theta={self.theta}")

    @property
    def order(self) -> int:
        """Order of accuracy."""
        return 2 if self.theta == 0.5 else 1

    @property
    def error_constant(self) -> float:
        """|C| in the local error C dt^(p+1) u^(p+1)."""
        return 1.0 / 12.0 if self.theta == 0.5 else 0.5

    def amplification(self, z: complex) -> complex:
        """R(z) = (1 + (1 - theta) z)/(1 - theta z): one step of ``y' = lambda y`` multiplies y by
        R(lambda dt)."""
        return (1.0 + (1.0 - self.theta) * z) / (1.0 - self.theta * z)

    def implicit_weight(self, dt: float, omega: float) -> float:
        """c of ``c u_{n+1}`` in the discrete time derivative when G is taken at t_{n+1} only.

        Defined for backward Euler (c = 1/dt); an operator that is only available through its
        resolvent (fractional diffusion) cannot be evaluated at t_n as Crank-Nicolson needs.
        """
        if self.theta != 1.0:
            raise ValueError(
                f"the time scheme {self.name} is not supported with fractional diffusion (its explicit "
                "half needs (-Lap)^(a/2) u_n, which the resolvent does not give); use backward-euler or bdf2"
            )
        return 1.0 / dt

    def _spatial(
        self, operator: SpatialOperator, levels: TimeLevels, tests: Mapping[str, ufl.Argument]
    ) -> tuple[SpatialResiduals, SpatialResiduals]:
        """The spatial residuals at t_{n+1} and, unless backward Euler, at t_n."""
        if levels.mesh is not None and self.theta < 1.0:
            raise ValueError(
                f"the time scheme {self.name} is not supported on a moving mesh; use backward-euler or bdf2"
            )
        g_new = operator.residuals(levels.new, tests, levels.t_old + levels.dt)
        g_old = operator.residuals(levels.old, tests, levels.t_old) if self.theta < 1.0 else {}
        return g_new, g_old

    def _rate(self, name: str, levels: TimeLevels) -> ufl.core.expr.Expr:
        """(u - u_n)/dt (u_n det F on a moving mesh)."""
        mesh = levels.mesh
        old = levels.old[name] if mesh is None else levels.old[name] * mesh.old_volume
        return (levels.new[name] - old) / levels.dt

    def _mesh_velocity(self, levels: TimeLevels) -> ufl.core.expr.Expr:
        """(x_{n+1} - x_n)/dt."""
        assert levels.mesh is not None
        return levels.mesh.to_old / levels.dt

    def _with_spatial(self, form: ufl.Form, spatial: ufl.Form | None, spatial_old: ufl.Form | None) -> ufl.Form:
        """theta G(u, t_{n+1}) + (1 - theta) G(u_n, t_n)."""
        if spatial is not None:
            form += self.theta * spatial
        if self.theta < 1.0 and spatial_old is not None:
            form += (1.0 - self.theta) * spatial_old
        return form
