"""Stopping a run cleanly: SIGINT, SIGTERM, SIGUSR1 and a wall-clock limit, agreed on by all ranks.

The first signal only sets a flag, checked after every step (collectively, so that every
rank stops after the same step); the run then writes its last record and the status
"interrupted". A second signal of the same kind stops the process at once. (Open MPI's
mpiexec kills its ranks on SIGINT/SIGTERM but forwards SIGUSR1: signal the ranks
themselves, use SIGUSR1, or a time limit.)
"""

from __future__ import annotations

import os
import signal
import threading
import time as wallclock
from types import FrameType
from typing import Any, ClassVar

from mpi4py import MPI

__all__ = ["INTERRUPTIONS", "Interruption", "StopRequests"]

#: Why an interrupted run stopped (``summary["interruption"]["reason"]``).
INTERRUPTIONS = ("SIGINT", "SIGTERM", "SIGUSR1", "time-limit")


class Interruption(Exception):
    """A collective decision to stop after the current step."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class StopRequests:
    """SIGINT/SIGTERM/SIGUSR1 and a wall-clock limit, turned into a decision all ranks agree on.

    The first signal only sets a flag (checked after every step); a second one of the same
    kind is handled as if this object were not there, i.e. it stops the process at once.
    """

    _SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGUSR1)
    _CODES: ClassVar[dict[int, str]] = {1: "time-limit", **{int(sig): sig.name for sig in _SIGNALS}}

    def __init__(self, comm: MPI.Comm, time_limit: float | None, started: float):
        self.comm, self.deadline = comm, None if time_limit is None else started + time_limit
        self.received = 0
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> StopRequests:
        if threading.current_thread() is threading.main_thread():
            for sig in self._SIGNALS:
                self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        self._previous.clear()

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.received:
            self.__exit__()
            signal.raise_signal(signum)
            return
        self.received = signum
        if self.comm.rank == 0:
            name = signal.Signals(signum).name
            os.write(
                2,
                f"\nfem-chemotaxis: {name} received; stopping after the current step "
                f"with a checkpoint (send it again to stop at once)\n".encode(),
            )

    def check(self) -> str | None:
        """The reason to stop now, the same on every rank (collective), or None."""
        code = self.received
        if not code and self.deadline is not None and wallclock.perf_counter() > self.deadline:
            code = 1
        code = self.comm.allreduce(code, op=MPI.MAX)
        return self._CODES.get(code) if code else None
