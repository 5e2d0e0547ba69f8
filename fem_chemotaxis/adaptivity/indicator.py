"""A per-cell error indicator from the jumps of the gradient across facets (Kelly type).

For a density u and a cell K, eta_K^2 = sum over the interior facets F of K of
h_F^(1-d) int_F (h_F [grad u . n])^2 (about the mean over F, h_F^(d-1) ~ |F|), with h_F the
mean diameter of the two cells, d the dimension and [.] the jump.
h_F [grad u . n] ~ h^2 |D^2 u| estimates the interpolation error near F, so eta_K / max|u|
is the estimated error of the density on K relative to its largest value: dimensionless,
comparable between species, and falling by about 4 when K is split (so that refinement
stops where the error is small, not at a fixed fraction of cells). A cell's indicator is
the largest over the species; a species that is zero everywhere carries none.
"""

from __future__ import annotations

from collections.abc import Sequence

import dolfinx.fem
import dolfinx.la
import numpy as np
import ufl

from mpi4py import MPI

__all__ = ["gradient_jump_indicator"]


def gradient_jump_indicator(densities: Sequence[dolfinx.fem.Function], mesh: dolfinx.mesh.Mesh) -> np.ndarray:
    """The relative error indicator of each owned cell of `mesh` from the densities (collective)."""
    space = dolfinx.fem.functionspace(mesh, ("DG", 0))
    test = ufl.TestFunction(space)
    n, h = ufl.FacetNormal(mesh), ufl.CellDiameter(mesh)
    owned = mesh.topology.index_map(mesh.topology.dim).size_local
    combined = np.zeros(owned)
    for density in densities:
        magnitude = mesh.comm.allreduce(float(np.abs(density.x.array).max(initial=0.0)), op=MPI.MAX)
        if magnitude == 0:
            continue
        jump = ufl.avg(h) * ufl.jump(ufl.grad(density), n)
        area = ufl.avg(h) ** (mesh.topology.dim - 1)
        form = dolfinx.fem.form(jump**2 / area * (test("+") + test("-")) * ufl.dS)
        vector = dolfinx.fem.assemble_vector(form)
        vector.scatter_reverse(dolfinx.la.InsertMode.add)
        combined = np.maximum(combined, np.sqrt(np.maximum(vector.array[:owned], 0.0)) / magnitude)
    return combined
