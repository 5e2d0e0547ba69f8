"""Taxis (chemotaxis and haptotaxis alike): the flux ``S Q(grad w)`` up the gradient of w.

Whether ``w`` diffuses (a chemical signal) or not (extracellular matrix) makes no
difference here. ``Q`` is a flux limiter, written here in UFL; the formulas and where they
come from are in :mod:`fem_chemotaxis.model.limiters`.
"""

from __future__ import annotations

import math

import ufl

__all__ = ["limited_gradient", "taxis_residual"]

#: Added to |y|^2 under the square root of the saturating limiter: keeps |y| and its
#: derivative y/|y| finite at y = 0 (the branch that divides by |y| is then never 0/0),
#: and changes |y| only where |y| < 1e-150.
_NORM_FLOOR = 1e-300


def limited_gradient(grad_w: ufl.core.expr.Expr, limiter: str, threshold: float = 1.0) -> ufl.core.expr.Expr:
    """Q(grad w) for a limiter of LIMITERS and its threshold y* (saturating only).

    ``saturating`` is ``y`` for ``|y| <= y*`` and ``((|y| - y*)/sqrt(1 + (|y| - y*)^2) + y*) y/|y|``
    beyond (continuous with its Jacobian at ``|y| = y*``, so Newton sees a smooth flux);
    ``mean-curvature`` is ``y/sqrt(1 + |y|^2)``. An infinite y* is no limiter.
    """
    if limiter == "none" or (limiter == "saturating" and math.isinf(threshold)):
        return grad_w
    if limiter == "mean-curvature":
        return grad_w / ufl.sqrt(1.0 + ufl.inner(grad_w, grad_w))
    if limiter == "saturating":
        norm = ufl.sqrt(ufl.inner(grad_w, grad_w) + _NORM_FLOOR)
        excess = norm - threshold
        saturated = (excess / ufl.sqrt(1.0 + excess**2) + threshold) / norm
        return grad_w * ufl.conditional(ufl.le(norm, threshold), 1.0, saturated)
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
