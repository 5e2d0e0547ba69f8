"""Taxis (chemotaxis and haptotaxis alike): the flux ``S Q(grad w)`` up the gradient of w.

Whether ``w`` diffuses (a chemical signal) or not (extracellular matrix) makes no
difference here. ``Q`` is a flux limiter (fractional-file eq. 7).
"""

from __future__ import annotations

import ufl

__all__ = ["limited_gradient", "taxis_residual"]


def limited_gradient(grad_w: ufl.core.expr.Expr, limiter: str, threshold: float = 1.0) -> ufl.core.expr.Expr:
    """Q(grad w): "none" (identity), "saturating" (|Q| <= y*), "mean-curvature" (y/sqrt(1+|y|^2))."""
    if limiter == "none":
        return grad_w
    norm = ufl.sqrt(ufl.inner(grad_w, grad_w) + 1e-300)
    if limiter == "saturating":
        return grad_w * ufl.conditional(ufl.le(norm, threshold), 1.0, threshold / norm)
    if limiter == "mean-curvature":
        return grad_w / ufl.sqrt(1.0 + ufl.inner(grad_w, grad_w))
    raise ValueError(f"unknown flux limiter '{limiter}'")


def taxis_residual(
    sensitivity: ufl.core.expr.Expr,
    w: ufl.core.expr.Expr,
    v: ufl.Argument,
    limiter: str = "none",
    threshold: float = 1.0,
) -> ufl.Form:
    """Weak form of ``+div(S Q(grad w))`` moved to the residual side, tested with `v`."""
    return -ufl.inner(sensitivity * limited_gradient(ufl.grad(w), limiter, threshold), ufl.grad(v)) * ufl.dx
