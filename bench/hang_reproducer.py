"""Reproduces the hang after a run: a collective destructor run by Python's garbage collector
on one rank only.

    mpiexec -n 2 python bench/hang_reproducer.py together   # exits at once
    mpiexec -n 2 python bench/hang_reproducer.py rank0      # hangs (rank 0 never returns)

A nonlinear problem solved with MUMPS is left in a reference cycle, so only the cyclic
collector frees it; its ``__del__`` (DOLFINx) destroys the SNES and matrices, and MUMPS's
clean-up communicates.  With ``rank0`` only rank 0 collects, as an automatic collection
triggered by rank 0's extra allocations (printing, writing the summary) would: it waits in
MUMPS for rank 1, which waits in MPI_Finalize.  ``together`` collects on both ranks at the
same point, as fem_chemotaxis/io/teardown.py does.  Measured on this machine: ``together``
exits in 5 s; ``rank0`` is still waiting when ``timeout 30`` ends it.
"""

import gc
import sys

import dolfinx
import dolfinx.fem.petsc
import ufl

from mpi4py import MPI

comm = MPI.COMM_WORLD
mesh = dolfinx.mesh.create_unit_square(comm, 16, 16)
V = dolfinx.fem.functionspace(mesh, ("Lagrange", 1))
u, v = dolfinx.fem.Function(V), ufl.TestFunction(V)
F = (ufl.inner(ufl.grad(u), ufl.grad(v)) + (u**2 - 1) * v) * ufl.dx


class Holder:
    """Keeps the problem in a reference cycle."""


holder = Holder()
holder.problem = dolfinx.fem.petsc.NonlinearProblem(
    F,
    u,
    petsc_options_prefix="reproducer_",
    petsc_options={"ksp_type": "preonly", "pc_type": "lu", "pc_factor_mat_solver_type": "mumps"},
)
holder.problem.solve()
holder.itself = holder
del holder
gc.disable()
if sys.argv[1:] == ["rank0"]:
    if comm.rank == 0:
        gc.collect()
else:
    gc.collect()
    comm.Barrier()
print(f"rank {comm.rank} leaving", flush=True)
