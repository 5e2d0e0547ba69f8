"""Where the steps' time goes, from PETSc's log events: assembly, preconditioner set-up, Krylov solves.

Newton (SNES) assembles in ``SNESFunctionEval`` and ``SNESJacobianEval`` and sets the field
split's blocks (AMG) up inside ``KSPSolve`` (``PCSetUpOnBlocks``); the Rosenbrock stages
assemble in the package's own events (``FC*``, :mod:`~fem_chemotaxis.solvers.linearly_implicit`)
and set their preconditioner up before ``KSPSolve``. `make bench` reads the same phases.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from mpi4py import MPI
from petsc4py import PETSc

__all__ = ["EVENTS", "PHASES", "PhaseClock", "event_times", "phase_times"]

#: The PETSc log events the phases are made of.
EVENTS = (
    "SNESFunctionEval",
    "SNESJacobianEval",
    "PCSetUp",
    "PCSetUpOnBlocks",
    "KSPSolve",
    "FCResidual",
    "FCJacobian",
    "FCStageMatrix",
)
PHASES = ("residual_assembly", "jacobian_assembly", "preconditioner_setup", "krylov_solve")


def event_times(comm: MPI.Comm) -> dict[str, float]:
    """Accumulated seconds of each event, the maximum over ranks (collective: one reduction)."""
    seconds = np.array([PETSc.Log.Event(name).getPerfInfo()["time"] for name in EVENTS])
    comm.Allreduce(MPI.IN_PLACE, seconds, op=MPI.MAX)
    return dict(zip(EVENTS, seconds.tolist()))


def phase_times(events: Mapping[str, float], newton: bool) -> dict[str, float]:
    """The phases of steps from their events' seconds (Newton's or Rosenbrock's, module doc)."""
    setup = events["PCSetUp"] + events["PCSetUpOnBlocks"]
    if newton:
        return {
            "residual_assembly": events["SNESFunctionEval"],
            "jacobian_assembly": events["SNESJacobianEval"],
            "preconditioner_setup": setup,
            "krylov_solve": events["KSPSolve"] - events["PCSetUpOnBlocks"],
        }
    return {
        "residual_assembly": events["FCResidual"],
        "jacobian_assembly": events["FCJacobian"] + events["FCStageMatrix"],
        "preconditioner_setup": setup,
        "krylov_solve": events["KSPSolve"],
    }


class PhaseClock:
    """The seconds spent in each phase since the clock was made (PETSc logging is turned on)."""

    def __init__(self, comm: MPI.Comm, newton: bool):
        PETSc.Log.begin()
        self.comm, self.newton = comm, newton
        self._start = event_times(comm)

    def spent(self) -> dict[str, float]:
        """Each phase's seconds so far (collective)."""
        now = event_times(self.comm)
        return phase_times({name: now[name] - self._start[name] for name in EVENTS}, self.newton)
