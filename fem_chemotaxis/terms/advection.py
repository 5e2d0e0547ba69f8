"""Advection by a fluid velocity w, in conservative form: ``+div(u w)`` on the left-hand side.

The weak form ``-(u w, grad v)`` vanishes for v = 1 whatever w is, so the mass of an advected
species is conserved exactly on walls (the total flux through them is zero, as for the other
terms). On outflow boundaries the species leaves with the fluid: ``(u max(w.n, 0), v)_ds``.
"""

from __future__ import annotations

from dataclasses import dataclass

import ufl

__all__ = ["VELOCITY", "Advection", "advection_residual", "outflow_residual"]

#: Key of the advecting velocity in a mapping of states (never a species name: not an identifier).
VELOCITY = "<velocity>"


def advection_residual(u: ufl.core.expr.Expr, w: ufl.core.expr.Expr, v: ufl.Argument) -> ufl.Form:
    """Weak form of ``div(u w)`` tested with `v`, integrated by parts (no boundary term)."""
    return -ufl.inner(u * w, ufl.grad(v)) * ufl.dx


def outflow_residual(u: ufl.core.expr.Expr, w: ufl.core.expr.Expr, v: ufl.Argument, ds: ufl.Measure) -> ufl.Form:
    """The advective flux ``u w.n`` out through the boundary part `ds` (none where w.n < 0)."""
    normal = ufl.FacetNormal(ds.ufl_domain())
    return u * ufl.max_value(ufl.dot(w, normal), 0.0) * v * ds


@dataclass(frozen=True)
class Advection:
    """Which species the velocity carries, and where they may leave the domain.

    Attributes:
        species: Names of the advected species.
        outflow: Measure of the outflow boundaries, or None (walls everywhere).
    """

    species: frozenset[str]
    outflow: ufl.Measure | None = None

    def residual(self, u: ufl.core.expr.Expr, w: ufl.core.expr.Expr, v: ufl.Argument) -> ufl.Form:
        """All advective terms of one species."""
        form = advection_residual(u, w, v)
        if self.outflow is not None:
            form += outflow_residual(u, w, v, self.outflow)
        return form
