"""Incompressible (Navier-)Stokes flow: residuals of the momentum and continuity equations.

Momentum, tested with v::

    (eta grad w, grad v) - (p, div v) [+ (rho (grad w) w, v)] - (f, v)

continuity, tested with q: ``-(div w, q)``. The Jacobian is the symmetric saddle point
``[A B^T; B 0]`` (plus the convection part), whose Schur complement ``-B A^-1 B^T`` is
spectrally equivalent to ``-(1/(eta + gamma)) M_p``, the scaled pressure mass matrix of
:func:`pressure_mass` (gamma: the optional grad-div stabilisation). The natural boundary condition is ``eta dw/dn - p n = 0`` ("do nothing"
outflow); on walls perpendicular to an axis it gives zero shear stress where only ``w.n`` is
prescribed (free slip).
"""

from __future__ import annotations

import ufl

__all__ = ["continuity_residual", "momentum_residual", "pressure_mass"]


def momentum_residual(
    w: ufl.core.expr.Expr,
    p: ufl.core.expr.Expr,
    v: ufl.Argument,
    viscosity: ufl.core.expr.Expr,
    body_force: ufl.core.expr.Expr | None = None,
    density: ufl.core.expr.Expr | float | None = None,
    grad_div: float = 0.0,
) -> ufl.Form:
    """Weak form of ``[rho (w.grad) w] - div(eta grad w) + grad p - f`` tested with `v`.

    Args:
        w, p: Velocity and pressure.
        v: Vector test function.
        viscosity: eta (may depend on the species).
        body_force: f, a vector, or None.
        density: rho of the convection term (Navier-Stokes), or None for Stokes.
        grad_div: gamma of the consistent stabilisation ``gamma (div w, div v)`` (0: none).
    """
    form = viscosity * ufl.inner(ufl.grad(w), ufl.grad(v)) * ufl.dx - p * ufl.div(v) * ufl.dx
    if grad_div:
        form += grad_div * ufl.div(w) * ufl.div(v) * ufl.dx
    if density is not None:
        form += density * ufl.inner(ufl.grad(w) * w, v) * ufl.dx
    if body_force is not None:
        form -= ufl.inner(body_force, v) * ufl.dx
    return form


def continuity_residual(w: ufl.core.expr.Expr, q: ufl.Argument) -> ufl.Form:
    """Weak form of ``div w = 0`` tested with `q` (sign chosen for a symmetric Jacobian)."""
    return -ufl.div(w) * q * ufl.dx


def pressure_mass(p: ufl.Argument, q: ufl.Argument, viscosity: ufl.core.expr.Expr, grad_div: float = 0.0) -> ufl.Form:
    """``-(1/(eta + gamma)) (p, q)``: the preconditioner of the Schur complement of the Stokes block."""
    return -(1.0 / (viscosity + grad_div)) * p * q * ufl.dx
