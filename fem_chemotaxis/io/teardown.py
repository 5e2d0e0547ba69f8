"""How a command under MPI ends without hanging: garbage collected together, and an exit watchdog.

The cause of hangs after a completed run (reproduced by bench/hang_reproducer.py): DOLFINx's
``NonlinearProblem.__del__`` destroys its SNES, matrices and vectors with collective PETSc
calls (MUMPS's clean-up, for one, communicates).  Python's cyclic garbage collector runs
whenever allocation counts cross a threshold, and those differ between ranks (rank 0 also
prints and writes the summary); an object caught in a reference cycle can thus be destroyed
on one rank while the other has gone on into MPI_Finalize, and both wait forever.

Remedies:

- :func:`synchronised_garbage_collection`: while a run executes under MPI the automatic
  collector is off; :func:`collect_together` collects at the same points on every rank (each
  output time, and the end of the run), then cleans PETSc's delayed-destroy garbage
  collectively.
- :func:`arm_exit_watchdog`: once a command has finished, a small watchdog process ends this
  rank with a clear message if it has not exited :data:`EXIT_TIMEOUT` seconds later (a hang
  in MPI_Finalize, PETSc's or ADIOS2's finalisation, or an atexit handler).  It watches a pipe
  that closes when this process ends, however it ends, so it never signals another process.
"""

from __future__ import annotations

import gc
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from mpi4py import MPI

from fem_chemotaxis.io.collective_gc import collect_together

__all__ = ["EXIT_TIMEOUT", "arm_exit_watchdog", "collect_together", "synchronised_garbage_collection"]

#: Seconds a finished command may take to exit (environment: FEM_CHEMOTAXIS_EXIT_TIMEOUT).
EXIT_TIMEOUT = 120.0

# The watchdog: wait for the pipe to close (the process ended) or the timeout; then end it.
_WATCHDOG = """
import os, select, signal, sys, time
fd, pid, timeout, message = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
if not select.select([fd], [], [], timeout)[0]:
    os.write(2, message.encode())
    os.kill(pid, signal.SIGTERM)
    if not select.select([fd], [], [], 5.0)[0]:
        os.kill(pid, signal.SIGKILL)
"""


@contextmanager
def synchronised_garbage_collection(comm: MPI.Comm) -> Iterator[None]:
    """No automatic garbage collection inside (under MPI); a collective collection on success."""
    was_enabled = gc.isenabled()
    if comm.size > 1:
        gc.disable()
    try:
        yield
        collect_together(comm)
    finally:
        if was_enabled:
            gc.enable()


def arm_exit_watchdog(comm: MPI.Comm, exit_code: int, timeout: float | None = None) -> None:
    """End this process if it is still alive `timeout` seconds from now (under MPI only)."""
    if comm.size == 1:
        return
    if timeout is None:
        timeout = float(os.environ.get("FEM_CHEMOTAXIS_EXIT_TIMEOUT", EXIT_TIMEOUT))
    message = (
        f"fem-chemotaxis: rank {comm.rank}: the command finished (exit code {exit_code}) but the "
        f"process had not exited {timeout:g} s later (MPI/PETSc finalisation hangs); ending it\n"
    )
    read, write = os.pipe()
    subprocess.Popen(
        [sys.executable, "-I", "-S", "-c", _WATCHDOG, str(read), str(os.getpid()), str(timeout), message],
        pass_fds=(read,),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        start_new_session=True,
    )
    os.close(read)
    _KEEP_OPEN.append(write)  # closed by the kernel when this process ends


_KEEP_OPEN: list[int] = []
