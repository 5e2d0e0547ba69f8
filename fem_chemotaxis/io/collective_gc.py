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

A full collection walks every object the collector tracks, most of them the imported modules'
(DOLFINx, UFL, PETSc, matplotlib: about 2.2e5 objects, 65 ms a collection). When the first
simulation of a process is made, the objects alive are therefore frozen (``gc.freeze``) after a
collection: the collector skips them for the rest of the process, while reference counting still
frees any of them that is released. At the interpreter's exit they are unfrozen again (an
``atexit`` handler: it runs before the shutdown collects garbage and clears the modules), so the
shutdown sees the objects as in a process that never froze them. Without that a 2-rank demo
(demos/fit_chi_from_images.py) hung at its exit: DOLFINx's ``NonlinearProblem.__del__``, called by
the shutdown, destroyed the SNES objects in a different order on each rank (one rank in a MUMPS
clean-up's ``MPI_Comm_dup``, the other in another's ``MPI_Bcast``). On a serial adaptive run of 25
steps and 20 outputs the collections took 1.8 of 11 s, on a run of 1.0e4 DOFs advanced one output
time a step about ten times the step (bench/README.md, "Re-meshing and the collector").
"""

from __future__ import annotations

import atexit
import gc

from mpi4py import MPI
from petsc4py import PETSc

__all__ = ["collect_together", "pause_automatic_collection"]


def pause_automatic_collection(comm: MPI.Comm) -> None:
    """Freeze the objects alive so far, once per process (see the module doc); turn Python's
    automatic cyclic collector off when running on several ranks."""
    if gc.get_freeze_count() == 0:
        gc.collect()
        gc.freeze()
        atexit.register(gc.unfreeze)
    if comm.size > 1:
        gc.disable()


def collect_together(comm: MPI.Comm) -> None:
    """Collect garbage on every rank at this point, then PETSc's delayed-destroy objects (collective)."""
    gc.collect()
    PETSc.garbage_cleanup(comm)
    comm.Barrier()
