"""Garbage collected at the same points on every rank.

PETSc solvers whose callbacks are bound methods of the object that owns them (a SNES calling
back into its Python solver, a matrix-free Jacobian) sit in reference cycles, which only
Python's cyclic collector frees.  When it runs depends on each rank's own allocations (rank 0
alone imports pyvista for a picture, or writes a summary), and DOLFINx's
``NonlinearProblem.__del__`` destroys its SNES with collective PETSc calls: a collection on
one rank then waits forever for the other.  Under MPI the automatic collector is therefore
paused once a simulation exists, and garbage is collected together at collective points
(the end of ``Simulation.advance_to``, each output time of a run). It lives in io/ so
that the exit teardown (io/teardown.py) can use it as well as the simulation.
"""

from __future__ import annotations

import gc

from mpi4py import MPI
from petsc4py import PETSc

__all__ = ["collect_together", "pause_automatic_collection"]


def pause_automatic_collection(comm: MPI.Comm) -> None:
    """Turn Python's automatic cyclic collector off when running on several ranks."""
    if comm.size > 1:
        gc.disable()


def collect_together(comm: MPI.Comm) -> None:
    """Collect garbage on every rank at this point, then PETSc's delayed-destroy objects (collective)."""
    gc.collect()
    PETSc.garbage_cleanup(comm)
    comm.Barrier()
