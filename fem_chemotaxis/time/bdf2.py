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

from collections.abc import Mapping

import ufl

from fem_chemotaxis.model.model import Model
from fem_chemotaxis.terms.mesh_velocity import mesh_velocity_residual
from fem_chemotaxis.terms.spatial import SpatialOperator
from fem_chemotaxis.time.levels import TimeLevels

__all__ = ["BDF2"]


class BDF2:
    """Second-order backward differentiation with variable steps."""

    name = "bdf2"
    order = 2
    error_constant = 2.0 / 9.0

    @staticmethod
    def implicit_weight(dt: float, omega: float) -> float:
        """c of ``c u_{n+1}`` in the discrete time derivative: (1 + 2 omega)/((1 + omega) dt)."""
        return (1 + 2 * omega) / ((1 + omega) * dt)

    def residuals(
        self,
        model: Model,
        operator: SpatialOperator,
        levels: TimeLevels,
        tests: Mapping[str, ufl.Argument],
    ) -> list[ufl.Form]:
        """The residual of each species (in model order) for one step from t_n to t_n + dt."""
        g_new = operator.residuals(levels.new, tests, levels.t_old + levels.dt)
        w = levels.omega
        mesh = levels.mesh
        old, older = levels.old, levels.older
        if mesh is not None:
            old = {n: u * mesh.old_volume for n, u in old.items() if n in model.species_names}
            older = {n: u * mesh.older_volume for n, u in older.items() if n in model.species_names}
        forms = []
        for sp in model.species:
            name, v = sp.name, tests[sp.name]
            spatial = g_new[name]
            if not sp.time_derivative:
                assert spatial is not None  # a quasi-steady species has diffusion (Model.validate)
                forms.append(spatial)
                continue
            rate = (
                (1 + 2 * w) / (1 + w) * levels.new[name]
                - (1 + w) * old[name]
                + w**2 / (1 + w) * older[name]
            ) / levels.dt
            form = rate * v * ufl.dx
            if mesh is not None and mesh.relative:
                velocity = ((1 + w) * mesh.to_old - w**2 / (1 + w) * mesh.to_older) / levels.dt
                form += mesh_velocity_residual(levels.new[name], velocity, v)
            if spatial is not None:
                form += spatial
            forms.append(form)
        return forms
