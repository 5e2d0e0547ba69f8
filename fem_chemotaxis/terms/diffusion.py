"""Diffusion: the flux ``-D grad u`` and its weak form ``(D grad u, grad v)``."""

from __future__ import annotations

import ufl

__all__ = ["diffusion_residual"]


def diffusion_residual(u: ufl.core.expr.Expr, v: ufl.Argument, coefficient: ufl.core.expr.Expr) -> ufl.Form:
    """Weak form of ``-div(D grad u)`` tested with `v` (D scalar, tensor or nonlinear in u)."""
    return ufl.inner(coefficient * ufl.grad(u), ufl.grad(v)) * ufl.dx
