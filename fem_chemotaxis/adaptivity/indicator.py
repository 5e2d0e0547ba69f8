"""A per-cell error indicator from the jumps of the gradient across facets (Kelly).

For a density u, eta_K^2 = sum over the interior facets F of K of (h_F / 2) ||[grad u . n]||_F^2,
with h_F the mean diameter of the two cells. Each species' indicator is divided by its
largest value over all ranks, and a cell's indicator is the largest over the species, so
that a threshold is a fraction in [0, 1] whatever the scale of each species.
"""

from __future__ import annotations

from collections.abc import Sequence

import dolfinx.fem
import numpy as np
import ufl

from mpi4py import MPI

__all__ = ["gradient_jump_indicator"]


def gradient_jump_indicator(densities: Sequence[ufl.core.expr.Expr], mesh: dolfinx.mesh.Mesh) -> np.ndarray:
    """The normalised indicator (in [0, 1]) of each owned cell of `mesh` (collective)."""
    space = dolfinx.fem.functionspace(mesh, ("DG", 0))
    test = ufl.TestFunction(space)
    n, h = ufl.FacetNormal(mesh), ufl.CellDiameter(mesh)
    owned = mesh.topology.index_map(mesh.topology.dim).size_local
    combined = np.zeros(owned)
    for density in densities:
        jump = ufl.jump(ufl.grad(density), n)
        form = dolfinx.fem.form(0.5 * ufl.avg(h) * jump**2 * (test("+") + test("-")) * ufl.dS)
        vector = dolfinx.fem.assemble_vector(form)
        vector.scatter_reverse(dolfinx.la.InsertMode.add)
        eta = np.sqrt(np.maximum(vector.array[:owned], 0.0))
        largest = mesh.comm.allreduce(float(eta.max(initial=0.0)), op=MPI.MAX)
        if largest > 0:
            combined = np.maximum(combined, eta / largest)
    return combined
