"""Flux and Robin boundary conditions: the inward flux ``g`` on a boundary, ``-(g, v)_ds``."""

from __future__ import annotations

import ufl

__all__ = ["boundary_flux_residual"]


def boundary_flux_residual(inward_flux: ufl.core.expr.Expr, v: ufl.Argument, ds: ufl.Measure) -> ufl.Form:
    """Weak form of a prescribed inward flux through the boundary part `ds`."""
    return -inward_flux * v * ds
