"""Convection relative to a moving mesh (ALE), in conservative form.

For ``u_t + div(J(u) + u a) = f`` (a: material velocity) on a mesh whose nodes move with
velocity w, the basis functions move with the mesh, so by Reynolds' transport theorem::

    (u_t, v) = d/dt (u, v)_{Omega(t)} + (u w, grad v) - <u v w.n>

and the weak form becomes::

    d/dt (u, v)_{Omega(t)} + (u (w - a), grad v) + G(u; v) = 0

where the boundary term ``<(J + u a - u w).n v>`` was dropped on every boundary: the
natural condition on a moving boundary is *no species flux relative to the boundary*
(the boundary carries the cells with it); flux and Robin conditions keep their meaning as
the flux relative to the boundary. With v = 1 the convective term vanishes, so the mass of
a species without sources is conserved exactly, whatever the mesh motion. The time
derivative of ``(u, v)_{Omega(t)}`` is left to :mod:`fem_chemotaxis.time`.
"""

from __future__ import annotations

import ufl

__all__ = ["mesh_velocity_residual"]


def mesh_velocity_residual(u: ufl.core.expr.Expr, w: ufl.core.expr.Expr, v: ufl.Argument) -> ufl.Form:
    """``(u w, grad v)``: the species seen from a mesh moving with velocity w relative to the material."""
    return ufl.inner(u * w, ufl.grad(v)) * ufl.dx
