"""Garbage collection once a simulation exists (io/collective_gc.py): in a serial process the
objects alive before the first simulation are frozen, so a collection no longer walks the imported
modules, and under MPI they are not; garbage made afterwards (reference cycles) is still freed at
the collective points. Serial and 2 ranks."""

from __future__ import annotations

import gc
import weakref

from mpi4py import MPI

from fem_chemotaxis import Simulation, TimeSettings, builtin_model, create_builtin
from fem_chemotaxis.io.collective_gc import collect_together


class _Node:
    """One half of a reference cycle."""

    other: _Node | None = None


def test_frozen_before_the_first_simulation_and_later_cycles_still_freed(comm):
    mesh = create_builtin(comm, "rectangle", [1.0, 1.0], [8, 8])
    sim = Simulation(builtin_model("keller-segel"), mesh, {"u": "1", "s": "1"}, TimeSettings(dt=0.01))
    if MPI.COMM_WORLD.size == 1:  # the modules of DOLFINx, UFL, PETSc, ... (2.2e5 objects)
        assert gc.get_freeze_count() > 100_000
    else:  # frozen objects made a 2-rank demo hang at its exit
        assert gc.get_freeze_count() == 0
    a, b = _Node(), _Node()
    a.other, b.other = b, a
    alive = weakref.ref(a)
    del a, b
    sim.step(0.01)
    assert alive() is not None or comm.size == 1  # under MPI only the collective points collect
    collect_together(comm)
    assert alive() is None
