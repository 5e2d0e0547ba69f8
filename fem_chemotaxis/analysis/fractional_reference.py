"""Reference functions of the discrete Neumann Laplacian by eigen-expansion, for small problems.

``A_h = M^-1 K`` (stiffness K, mass M of a scalar Lagrange space) has M-orthonormal
eigenvectors phi_i with eigenvalues lam_i >= 0, so for any function g::

    g(A_h) u = sum_i g(lam_i) (phi_i^T M u) phi_i

All eigenpairs are computed with SLEPc's dense (LAPACK) solver: O(N^3) work and N vectors
of memory, i.e. a few thousand unknowns at most. The result does not depend on how the mesh
is partitioned (up to round-off), which makes it the reference for parallel tests of
:class:`fem_chemotaxis.solvers.fractional_resolvent.FractionalDiffusion`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import dolfinx.fem
import dolfinx.fem.petsc
import numpy as np
import ufl

from petsc4py import PETSc

__all__ = ["DiscreteSpectrum", "discrete_spectrum", "eigen_expansion"]

#: Largest space (global unknowns) the dense eigen-solver is used for.
MAX_DOFS = 5000


@dataclass
class DiscreteSpectrum:
    """All eigenpairs of ``K x = lam M x`` on a space.

    Attributes:
        V: The Lagrange space.
        eigenvalues: lam_i, increasing; the constant mode's is exactly 0.
        eigenvectors: phi_i (distributed PETSc vectors), M-orthonormal.
        M: The mass matrix.
    """

    V: dolfinx.fem.FunctionSpace
    eigenvalues: np.ndarray
    eigenvectors: list[PETSc.Vec]
    M: PETSc.Mat


def discrete_spectrum(V: dolfinx.fem.FunctionSpace) -> DiscreteSpectrum:
    """Every eigenpair of the no-flux Laplacian on V (dense SLEPc solve; small V only)."""
    from slepc4py import SLEPc

    size = V.dofmap.index_map.size_global * V.dofmap.index_map_bs
    if size > MAX_DOFS:
        raise ValueError(f"eigen-expansion is for small problems: {size} unknowns > {MAX_DOFS}")
    u, v = ufl.TrialFunction(V), ufl.TestFunction(V)
    K = dolfinx.fem.petsc.assemble_matrix(dolfinx.fem.form(ufl.inner(ufl.grad(u), ufl.grad(v)) * ufl.dx))
    M = dolfinx.fem.petsc.assemble_matrix(dolfinx.fem.form(u * v * ufl.dx))
    K.assemble()
    M.assemble()
    eps = SLEPc.EPS().create(V.mesh.comm)
    eps.setOperators(K, M)
    eps.setProblemType(SLEPc.EPS.ProblemType.GHEP)
    eps.setType(SLEPc.EPS.Type.LAPACK)
    eps.setDimensions(size)
    eps.solve()
    if eps.getConverged() != size:
        raise RuntimeError(f"dense eigen-solve returned {eps.getConverged()} of {size} eigenpairs")
    pairs = []
    for i in range(size):
        vec = K.createVecRight()
        lam = eps.getEigenpair(i, vec).real
        vec.scale(1.0 / np.sqrt(vec.dot(M * vec)))
        pairs.append((lam, vec))
    pairs.sort(key=lambda pair: pair[0])
    eigenvalues = np.array([lam for lam, _ in pairs])
    if abs(eigenvalues[0]) > 1e-9 * eigenvalues[-1] or eigenvalues[1] < 1e-9 * eigenvalues[-1]:
        raise ValueError("the discrete Laplacian must have exactly one zero eigenvalue (connected mesh)")
    eigenvalues[0] = 0.0
    K.destroy()
    eps.destroy()
    return DiscreteSpectrum(V, eigenvalues, [vec for _, vec in pairs], M)


def eigen_expansion(
    u: dolfinx.fem.Function,
    g: Callable[[np.ndarray], np.ndarray],
    spectrum: DiscreteSpectrum | None = None,
) -> dolfinx.fem.Function:
    """A new Function ``g(A_h) u`` on u's space, by summing over all eigenpairs.

    Args:
        u: The function to apply g(A_h) to.
        g: Vectorised scalar function of the eigenvalues (lam = 0 included).
        spectrum: Eigenpairs from :func:`discrete_spectrum` (computed if not given).
    """
    spectrum = spectrum if spectrum is not None else discrete_spectrum(u.function_space)
    values = np.asarray(g(spectrum.eigenvalues), dtype=float)
    Mu = spectrum.M.createVecLeft()
    spectrum.M.mult(u.x.petsc_vec, Mu)
    out = dolfinx.fem.Function(u.function_space, name=u.name)
    target = out.x.petsc_vec
    for value, phi in zip(values, spectrum.eigenvectors):
        target.axpy(value * phi.dot(Mu), phi)
    out.x.scatter_forward()
    Mu.destroy()
    return out
