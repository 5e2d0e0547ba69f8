"""Boundary node velocities ``V n`` from a normal speed, by a lumped boundary projection.

For each node i of the moving boundaries Gamma, with phi_i its (scalar) basis function::

    V_i = (V, phi_i)_Gamma / (1, phi_i)_Gamma,      n_i = (n, phi_i)_Gamma / |(n, phi_i)_Gamma|

i.e. the boundary-averaged speed and the area-weighted averaged outward normal (the normal
of a corner is the bisector of its facets). The speed is any UFL expression (of the species
at t_n, parameters, x, t); everything is assembled on the mesh as it is when called.
"""

from __future__ import annotations

import dolfinx.fem
import numpy as np
import ufl
from dolfinx.la import InsertMode

__all__ = ["BoundaryNormalVelocity"]


class BoundaryNormalVelocity:
    """Node velocities on boundaries moving with a normal speed.

    Args:
        space: The vector coordinate-element space.
        ds: Measure of the moving boundaries (exterior facets).
        speed: The outward normal speed (UFL).
    """

    def __init__(self, space: dolfinx.fem.FunctionSpace, ds: ufl.Measure, speed: ufl.core.expr.Expr):
        mesh = space.mesh
        gdim = mesh.geometry.dim
        psi = ufl.TestFunction(space)
        ones = ufl.as_vector([1.0] * gdim)
        self.gdim = gdim
        self._speed = dolfinx.fem.form(speed * ufl.inner(ones, psi) * ds)
        self._weight = dolfinx.fem.form(ufl.inner(ones, psi) * ds)
        self._normal = dolfinx.fem.form(ufl.inner(ufl.FacetNormal(mesh), psi) * ds)

    def _assemble(self, form: dolfinx.fem.Form) -> np.ndarray:
        vector = dolfinx.fem.assemble_vector(form)
        vector.scatter_reverse(InsertMode.add)
        vector.scatter_forward()
        return vector.array.reshape(-1, self.gdim)

    def velocities(self) -> np.ndarray:
        """Velocity of every node (in dof order, shape (nodes, gdim)); zero off the boundaries."""
        weight = self._assemble(self._weight)[:, 0]
        speed = self._assemble(self._speed)[:, 0]
        normal = self._assemble(self._normal)
        length = np.linalg.norm(normal, axis=1)
        on = (weight > 0) & (length > 0)
        result = np.zeros_like(normal)
        result[on] = (speed[on] / weight[on])[:, None] * normal[on] / length[on, None]
        return result
