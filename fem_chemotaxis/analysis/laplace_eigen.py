"""The first eigenpairs of the no-flux (Neumann) Laplacian on a mesh, with SLEPc.

``-Lap phi = mu phi`` in the domain with ``grad phi . n = 0`` on its boundary is discretised
with Lagrange elements as the generalised symmetric problem ``K x = mu M x`` (``K`` the
stiffness, ``M`` the mass matrix). SLEPc finds the eigenvalues nearest a shift just below 0
by shift-and-invert, each inverse applied with a MUMPS LU factorisation of the (positive
definite) ``K - sigma M``; everything is distributed over the mesh's communicator.

The constant mode (``mu = 0``, one per connected component of the domain) is recognised by
its eigenvalue and left out unless asked for, in which case it is flagged and its eigenvalue
set to exactly 0. Eigenfunctions are normalised in L2 (``x^T M x = 1``, so M-orthonormal)
with a sign fixed by a weighted mean, so that the same mesh gives the same functions
whatever the partition. Within a repeated eigenvalue the basis is whatever SLEPc returns.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import dolfinx.fem
import dolfinx.fem.petsc
import numpy as np
import ufl

from mpi4py import MPI
from petsc4py import PETSc
from slepc4py import SLEPc

from fem_chemotaxis.mesh.tagged_mesh import TaggedMesh

__all__ = ["NeumannModes", "neumann_modes"]

#: An eigenvalue below this fraction of |shift| is a constant mode (mu = 0). The shift is
#: -(pi/diameter)^2, a lower bound of the first non-zero eigenvalue of a convex domain.
_ZERO_FRACTION = 1e-8

#: Direction of the weight exp(w . (x - x_min)/diameter) whose mean fixes an eigenfunction's
#: sign; generic so that no product of cosines on a box is orthogonal to it.
_SIGN_DIRECTION = np.array([1.0, 0.7071067811865476, 0.5773502691896258])


@dataclass(frozen=True)
class NeumannModes:
    """Eigenpairs of the Neumann Laplacian on a mesh, by increasing eigenvalue.

    Attributes:
        eigenvalues: ``mu_k`` (``-Lap phi_k = mu_k phi_k``); exactly 0 for constant modes.
        functions: The eigenfunctions, L2-orthonormal, named ``phi_1``, ``phi_2``, ... from
            the first non-constant mode on (constant modes: ``phi_0``, or ``phi_0_1``,
            ``phi_0_2``, ... on a domain of several components).
        constant: True for the constant modes (present only if they were asked for).
        degree: Lagrange degree of the discretisation.
    """

    eigenvalues: np.ndarray
    functions: tuple[dolfinx.fem.Function, ...]
    constant: np.ndarray
    degree: int


def _diameter(mesh: dolfinx.mesh.Mesh) -> tuple[float, np.ndarray]:
    """The diagonal of the mesh's bounding box and its lowest corner (over all ranks)."""
    x = mesh.geometry.x
    low, high = x.min(axis=0, initial=np.inf), x.max(axis=0, initial=-np.inf)
    mesh.comm.Allreduce(MPI.IN_PLACE, low, op=MPI.MIN)
    mesh.comm.Allreduce(MPI.IN_PLACE, high, op=MPI.MAX)
    return float(np.linalg.norm(high - low)), low


def _solver(comm: MPI.Comm, stiffness: PETSc.Mat, mass: PETSc.Mat, nev: int, shift: float, tol: float) -> SLEPc.EPS:
    """A Krylov-Schur eigensolver for K x = mu M x near `shift`, by shift-and-invert with MUMPS."""
    eps = SLEPc.EPS().create(comm)
    eps.setOperators(stiffness, mass)
    eps.setProblemType(SLEPc.EPS.ProblemType.GHEP)
    eps.setType(SLEPc.EPS.Type.KRYLOVSCHUR)
    eps.setDimensions(nev=nev)
    eps.setTolerances(tol=tol, max_it=1000)
    eps.setWhichEigenpairs(SLEPc.EPS.Which.TARGET_REAL)
    eps.setTarget(shift)
    st = eps.getST()
    st.setType(SLEPc.ST.Type.SINVERT)
    st.setShift(shift)
    ksp = st.getKSP()
    ksp.setType(PETSc.KSP.Type.PREONLY)
    pc = ksp.getPC()
    pc.setType(PETSc.PC.Type.LU)
    pc.setFactorSolverType("mumps")
    return eps


def neumann_modes(
    mesh: TaggedMesh | dolfinx.mesh.Mesh,
    num_modes: int,
    *,
    degree: int = 1,
    include_constant: bool = False,
    tol: float = 1e-12,
) -> NeumannModes:
    """The first `num_modes` non-constant eigenpairs of the no-flux Laplacian on `mesh`.

    Collective over the mesh's communicator.

    Args:
        mesh: The mesh (a TaggedMesh or a plain DOLFINx mesh).
        num_modes: How many non-constant modes to compute.
        degree: Lagrange degree of the eigenfunctions.
        include_constant: Also return the constant mode(s), first, flagged in
            ``NeumannModes.constant`` and with eigenvalue exactly 0.
        tol: Relative residual tolerance of SLEPc.

    Returns:
        The eigenvalues, eigenfunctions and constant-mode flags, by increasing eigenvalue.

    Raises:
        ValueError: if `num_modes` or `degree` is not a positive integer, or the mesh has
            fewer degrees of freedom than the modes asked for.
        RuntimeError: if SLEPc does not converge.
    """
    if isinstance(num_modes, bool) or not isinstance(num_modes, (int, np.integer)) or num_modes < 1:
        raise ValueError(f"the number of modes must be a positive integer, got {num_modes!r}")
    if isinstance(degree, bool) or not isinstance(degree, (int, np.integer)) or degree < 1:
        raise ValueError(f"the Lagrange degree must be a positive integer, got {degree!r}")
    domain = mesh.mesh if isinstance(mesh, TaggedMesh) else mesh
    comm = domain.comm
    V = dolfinx.fem.functionspace(domain, ("Lagrange", int(degree)))
    size = V.dofmap.index_map.size_global
    if num_modes >= size:
        raise ValueError(
            f"{num_modes} modes asked for, but the P{degree} space of this mesh has only "
            f"{size} degrees of freedom (one of them the constant mode)"
        )

    phi, psi = ufl.TrialFunction(V), ufl.TestFunction(V)
    assemble = dolfinx.fem.petsc.assemble_matrix
    stiffness = assemble(dolfinx.fem.form(ufl.inner(ufl.grad(phi), ufl.grad(psi)) * ufl.dx))
    mass = assemble(dolfinx.fem.form(phi * psi * ufl.dx))
    stiffness.assemble()
    mass.assemble()

    diameter, low = _diameter(domain)
    shift = -((np.pi / diameter) ** 2)
    eps = None
    try:
        eps, values, order, zero = _solve_eigenproblem(comm, stiffness, mass, num_modes, shift, tol)
        constant = order[zero] if include_constant else order[:0]
        chosen = np.concatenate([constant, order[~zero][:num_modes]])
        names = [f"phi_0_{j + 1}" if constant.size > 1 else "phi_0" for j in range(constant.size)]
        names += [f"phi_{k + 1}" for k in range(num_modes)]
        functions = _eigenfunctions(eps, V, stiffness, mass, zip(chosen, names), low, diameter)
    finally:
        if eps is not None:
            eps.destroy()
        stiffness.destroy()
        mass.destroy()
    is_constant = np.arange(chosen.size) < constant.size
    eigenvalues = np.where(is_constant, 0.0, values[chosen])
    return NeumannModes(eigenvalues, tuple(functions), is_constant, int(degree))


def _solve_eigenproblem(
    comm: MPI.Comm, stiffness: PETSc.Mat, mass: PETSc.Mat, num_modes: int, shift: float, tol: float
) -> tuple[SLEPc.EPS, np.ndarray, np.ndarray, np.ndarray]:
    """Solve until at least `num_modes` non-constant eigenpairs converged.

    Returns the solver (the caller destroys it), the converged eigenvalues, their increasing
    order and which of them (in that order) are the constant modes.
    """
    nev = int(num_modes) + 1
    while True:
        eps = _solver(comm, stiffness, mass, nev, shift, tol)
        try:
            eps.solve()
            converged = eps.getConverged()
            if converged < nev:
                raise RuntimeError(
                    f"SLEPc found {converged} of the {nev} Laplacian eigenpairs asked "
                    f"for (reason {eps.getConvergedReason()})"
                )
        except Exception:
            eps.destroy()
            raise
        values = np.array([eps.getEigenvalue(i).real for i in range(converged)])
        order = np.argsort(values, kind="stable")
        zero = values[order] < _ZERO_FRACTION * abs(shift)
        missing = num_modes - int(np.count_nonzero(~zero))
        if missing <= 0:
            return eps, values, order, zero
        # A domain of several components has several constant modes: ask for more.
        eps.destroy()
        nev += missing


def _eigenfunctions(
    eps: SLEPc.EPS,
    V: dolfinx.fem.FunctionSpace,
    stiffness: PETSc.Mat,
    mass: PETSc.Mat,
    chosen: Iterable[tuple[int, str]],
    low: np.ndarray,
    diameter: float,
) -> list[dolfinx.fem.Function]:
    """The chosen eigenvectors as functions of unit L2 norm, signed by a fixed weight."""
    # x^T b, b_i = (weight, psi_i), fixes the sign; x^T M x the norm.
    domain = V.mesh
    psi = ufl.TestFunction(V)
    x = ufl.SpatialCoordinate(domain)
    direction = _SIGN_DIRECTION[: domain.geometry.dim]
    weight = ufl.exp(sum(w * (x[i] - low[i]) / diameter for i, w in enumerate(direction.tolist())))
    weights = dolfinx.fem.petsc.assemble_vector(dolfinx.fem.form(weight * psi * ufl.dx))
    weights.ghostUpdate(addv=PETSc.InsertMode.ADD, mode=PETSc.ScatterMode.REVERSE)
    functions = []
    vector, product = stiffness.createVecRight(), stiffness.createVecRight()
    n_owned = V.dofmap.index_map.size_local
    try:
        for i, name in chosen:
            eps.getEigenpair(int(i), vector)
            mass.mult(vector, product)
            scale = (1.0 if vector.dot(weights) >= 0 else -1.0) / np.sqrt(vector.dot(product))
            f = dolfinx.fem.Function(V, name=name)
            f.x.array[:n_owned] = scale * vector.array_r
            f.x.scatter_forward()
            functions.append(f)
    finally:
        for work in (vector, product, weights):
            work.destroy()
    return functions
