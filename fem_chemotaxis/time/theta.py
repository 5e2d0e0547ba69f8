"""The theta method as a transformation of the semi-discrete form ``M du/dt + G(u, t) = 0``.

``theta = 1`` is backward Euler (BDF1), ``theta = 1/2`` Crank-Nicolson::

    (u - u_n)/dt + theta G(u, t_n + dt) + (1 - theta) G(u_n, t_n) = 0

Quasi-steady species (no time derivative) are always solved at the new time level.
"""

from __future__ import annotations

from collections.abc import Mapping

import ufl

from fem_chemotaxis.model.model import Model
from fem_chemotaxis.terms.spatial import SpatialOperator

__all__ = ["ThetaMethod"]


class ThetaMethod:
    """Turns a spatial operator into the residuals of one time step.

    Args:
        theta: Implicitness, in (0, 1]; 1 is backward Euler.
    """

    def __init__(self, theta: float = 1.0):
        if not 0.0 < theta <= 1.0:
            raise ValueError(f"theta must be in (0, 1], got {theta}")
        self.theta = theta

    @property
    def name(self) -> str:
        """A short description for summaries."""
        return {1.0: "backward-euler", 0.5: "crank-nicolson"}.get(self.theta, f"theta={self.theta}")

    def residuals(
        self,
        model: Model,
        operator: SpatialOperator,
        new: Mapping[str, ufl.Coefficient],
        old: Mapping[str, ufl.Coefficient],
        tests: Mapping[str, ufl.Argument],
        dt: ufl.core.expr.Expr,
        t_old: ufl.core.expr.Expr,
    ) -> list[ufl.Form]:
        """The residual of each species (in model order) for one step from t_old to t_old + dt."""
        g_new = operator.residuals(new, tests, t_old + dt)
        g_old = operator.residuals(old, tests, t_old) if self.theta < 1.0 else {}
        forms = []
        for sp in model.species:
            name, v = sp.name, tests[sp.name]
            if not sp.time_derivative:
                forms.append(g_new[name])
                continue
            form = (new[name] - old[name]) / dt * v * ufl.dx
            if g_new[name] is not None:
                form += self.theta * g_new[name]
            if self.theta < 1.0 and g_old[name] is not None:
                form += (1.0 - self.theta) * g_old[name]
            forms.append(form)
        return forms
