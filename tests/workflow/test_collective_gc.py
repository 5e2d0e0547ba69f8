"""Garbage collection once a simulation exists (io/collective_gc.py): the objects alive before
the first simulation are frozen, so a collection no longer walks the imported modules; garbage
made afterwards (reference cycles) is still freed at the collective points, and frozen garbage at
the interpreter's exit. Serial and 2 ranks."""

from __future__ import annotations

import gc
import subprocess
import sys
import weakref

import pytest

from fem_chemotaxis import Simulation, TimeSettings, builtin_model, create_builtin
from fem_chemotaxis.io.collective_gc import collect_together


class _Node:
    """One half of a reference cycle."""

    other: _Node | None = None


def test_frozen_before_the_first_simulation_and_later_cycles_still_freed(comm):
    mesh = create_builtin(comm, "rectangle", [1.0, 1.0], [8, 8])
    sim = Simulation(builtin_model("keller-segel"), mesh, {"u": "1", "s": "1"}, TimeSettings(dt=0.01))
    assert gc.get_freeze_count() > 100_000  # the modules of DOLFINx, UFL, PETSc, ... (2.2e5 objects)
    a, b = _Node(), _Node()
    a.other, b.other = b, a
    alive = weakref.ref(a)
    del a, b
    sim.step(0.01)
    assert alive() is not None or comm.size == 1  # under MPI only the collective points collect
    collect_together(comm)
    assert alive() is None


# A reference cycle alive when the first simulation is made (frozen with the imports), garbage
# afterwards: the collective points skip it, the interpreter's exit must still destroy it (as it
# destroys a forgotten PETSc solver, before MPI and PETSc are finalised).
_FROZEN_GARBAGE = """
import gc
from mpi4py import MPI
from fem_chemotaxis import Simulation, TimeSettings, builtin_model, create_builtin
from fem_chemotaxis.io.collective_gc import collect_together

class Loud:
    def __del__(self):
        print("destroyed", flush=True)

cycle = Loud()
cycle.me = cycle
mesh = create_builtin(MPI.COMM_WORLD, "rectangle", [1.0, 1.0], [4, 4])
sim = Simulation(builtin_model("keller-segel"), mesh, {"u": "1", "s": "1"}, TimeSettings(dt=0.01))
del cycle
collect_together(MPI.COMM_WORLD)
print("collected", flush=True)
"""


@pytest.mark.serial
def test_frozen_garbage_is_destroyed_at_exit():
    out = subprocess.run([sys.executable, "-c", _FROZEN_GARBAGE], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["collected", "destroyed"]
