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
(DOLFINx, UFL, PETSc, matplotlib: about 2.2e5 objects, 65 ms a collection). In a serial process
(a world of one rank) the objects alive when the first simulation is created are therefore frozen
(``gc.freeze``) after a collection: the collector skips them for the rest of the process, while
reference counting still frees any of them that is released. Under MPI they are not: a 2-rank
demo (demos/fit_chi_from_images.py) then hung at its exit, in whatever the interpreter's shutdown
did with the frozen objects. On a serial adaptive run of 25 steps and 20 outputs the collections
took 1.8 of 11 s, on a run of 1.0e4 DOFs advanced one output time a step about ten times the
step (bench/README.md, "Re-meshing and the collector").
"""

from __future__ import annotations

import gc

from mpi4py import MPI
from petsc4py import PETSc

__all__ = ["collect_together", "pause_automatic_collection"]


def pause_automatic_collection(comm: MPI.Comm) -> None:
    """Turn Python's automatic cyclic collector off when running on several ranks; in a serial
    process where nothing is frozen yet, freeze the objects alive so far (see the module doc)."""
    if MPI.COMM_WORLD.size == 1 and gc.get_freeze_count() == 0:
        gc.collect()
        gc.freeze()
    if comm.size > 1:
        gc.disable()


def collect_together(comm: MPI.Comm) -> None:
    """Collect garbage on every rank at this point, then PETSc's delayed-destroy objects (collective)."""
    gc.collect()
    PETSc.garbage_cleanup(comm)
    comm.Barrier()
