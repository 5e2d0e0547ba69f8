"""Extension of a boundary displacement into the interior of the mesh.

The displacement D from the reference mesh solves, componentwise, Laplace's equation
(``harmonic``) or the linear-elasticity equations with unit Lame constants (``elastic``) on the
*reference* mesh, with D given on every boundary node (zero on boundaries that do not move).
The operator therefore never changes: it is assembled and LU-factorised once, and each step
costs a matrix-vector product (the lifting of the boundary values) and a pair of triangular
solves. Extending the total displacement
from the reference (rather than each increment on the current mesh) makes the interior a
function of the boundary position alone: no drift over many steps.
"""

from __future__ import annotations

import dolfinx.fem
import dolfinx.fem.petsc
import dolfinx.mesh
import ufl

from petsc4py import PETSc

__all__ = ["MeshExtension"]


class MeshExtension:
    """Harmonic or elastic extension of boundary displacements, on the mesh as it is now.

    Args:
        space: The vector coordinate-element space (the mesh must be in its reference geometry).
        kind: "harmonic" or "elastic".
        prefix: Unique PETSc options prefix of the linear solver.
    """

    def __init__(self, space: dolfinx.fem.FunctionSpace, kind: str, prefix: str = "mesh_extension_"):
        mesh = space.mesh
        tdim = mesh.topology.dim
        mesh.topology.create_connectivity(tdim - 1, tdim)
        self.boundary_nodes = dolfinx.fem.locate_dofs_topological(
            space, tdim - 1, dolfinx.mesh.exterior_facet_indices(mesh.topology)
        )
        self.values = dolfinx.fem.Function(space)
        self.bcs = [dolfinx.fem.dirichletbc(self.values, self.boundary_nodes)]
        d, v = ufl.TrialFunction(space), ufl.TestFunction(space)
        if kind == "harmonic":
            a = ufl.inner(ufl.grad(d), ufl.grad(v)) * ufl.dx
        elif kind == "elastic":
            strain = ufl.sym(ufl.grad(d))
            a = (2 * ufl.inner(strain, ufl.sym(ufl.grad(v))) + ufl.div(d) * ufl.div(v)) * ufl.dx
        else:
            raise ValueError(f"unknown mesh extension {kind!r}; choose harmonic or elastic")
        form = dolfinx.fem.form(a)
        # Both matrices now, on the reference geometry: later assemblies would see the moved mesh.
        self._A = dolfinx.fem.petsc.assemble_matrix(form, self.bcs)
        self._A.assemble()
        self._lifting = dolfinx.fem.petsc.assemble_matrix(form)  # without conditions: b = -A0 g
        self._lifting.assemble()
        self._b = dolfinx.fem.petsc.create_vector(space)
        self._ksp = PETSc.KSP().create(mesh.comm)
        self._ksp.setOptionsPrefix(prefix)
        self._ksp.setOperators(self._A)
        self._ksp.setType("preonly")
        pc = self._ksp.getPC()
        pc.setType("lu")
        if mesh.comm.size > 1:
            pc.setFactorSolverType("mumps")
        self._ksp.setFromOptions()
        self.result = dolfinx.fem.Function(space)

    def extend(self) -> dolfinx.fem.Function:
        """The interior extension of the boundary values set in ``self.values`` (ghosts updated)."""
        self._lifting.mult(self.values.x.petsc_vec, self._b)
        self._b.scale(-1.0)
        dolfinx.fem.petsc.set_bc(self._b, self.bcs)
        self._ksp.solve(self._b, self.result.x.petsc_vec)
        self.result.x.scatter_forward()
        return self.result

    def destroy(self) -> None:
        """Free the PETSc objects."""
        self._ksp.destroy()
        self._A.destroy()
        self._lifting.destroy()
        self._b.destroy()
