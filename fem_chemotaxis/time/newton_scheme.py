"""What the Newton schemes (theta method, BDF2) share: the residual of each species.

A species without a time derivative (quasi-steady) is its spatial residual at t_{n+1}. Any
other is ``rate * v dx``, plus ``(u w, grad v)`` where a moving mesh moves relative to the
material (w the mesh velocity, :mod:`fem_chemotaxis.terms.mesh_velocity`), plus the scheme's
combination of the spatial residuals. A scheme gives the discrete time derivative, the mesh
velocity and that combination.
"""

from __future__ import annotations

from collections.abc import Mapping

import ufl

from fem_chemotaxis.model.model import Model
from fem_chemotaxis.terms.mesh_velocity import mesh_velocity_residual
from fem_chemotaxis.terms.spatial import SpatialOperator
from fem_chemotaxis.time.levels import TimeLevels

__all__ = ["NewtonScheme", "SpatialResiduals"]

#: Spatial residual of each species (None: the species has no spatial terms).
SpatialResiduals = Mapping[str, ufl.Form | None]


class NewtonScheme:
    """A time scheme whose step is a nonlinear system in u_{n+1} (solved by Newton)."""

    def residuals(
        self,
        model: Model,
        operator: SpatialOperator,
        levels: TimeLevels,
        tests: Mapping[str, ufl.Argument],
    ) -> list[ufl.Form]:
        """The residual of each species (in model order) for one step from t_n to t_n + dt."""
        g_new, g_old = self._spatial(operator, levels, tests)
        mesh = levels.mesh
        forms = []
        for sp in model.species:
            name, v = sp.name, tests[sp.name]
            spatial = g_new[name]
            if not sp.time_derivative:
                assert spatial is not None  # a quasi-steady species has diffusion (Model.validate)
                forms.append(spatial)
                continue
            form = self._rate(name, levels) * v * ufl.dx
            if mesh is not None and mesh.relative:
                form += mesh_velocity_residual(levels.new[name], self._mesh_velocity(levels), v)
            forms.append(self._with_spatial(form, spatial, g_old.get(name)))
        return forms

    def _spatial(
        self, operator: SpatialOperator, levels: TimeLevels, tests: Mapping[str, ufl.Argument]
    ) -> tuple[SpatialResiduals, SpatialResiduals]:
        """The spatial residuals at t_{n+1} and, if the scheme uses them, at t_n."""
        return operator.residuals(levels.new, tests, levels.t_old + levels.dt), {}

    def _rate(self, name: str, levels: TimeLevels) -> ufl.core.expr.Expr:
        """The discrete time derivative of species `name`."""
        raise NotImplementedError

    def _mesh_velocity(self, levels: TimeLevels) -> ufl.core.expr.Expr:
        """The velocity of a moving mesh over the step."""
        raise NotImplementedError

    def _with_spatial(self, form: ufl.Form, spatial: ufl.Form | None, spatial_old: ufl.Form | None) -> ufl.Form:
        """`form` plus the scheme's combination of the spatial residuals (at t_{n+1}, t_n)."""
        return form + spatial if spatial is not None else form
