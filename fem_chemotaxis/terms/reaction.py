"""Reactions and sources: ``f(u, x, t)`` on the right-hand side, ``-(f, v)`` in the residual."""

from __future__ import annotations

import ufl

__all__ = ["reaction_residual"]


def reaction_residual(rate: ufl.core.expr.Expr, v: ufl.Argument) -> ufl.Form:
    """Weak form of the reaction/source term `rate`, moved to the residual side."""
    return -rate * v * ufl.dx
