"""One run at a time in a run directory: an exclusive lock on ``<run dir>/.lock``.

Rank 0 takes ``fcntl.flock`` on the lock file and writes its host and process id into it;
the outcome is broadcast, so every rank raises the same :class:`RunDirectoryError` when
another process holds the lock or when the directory cannot be written (a read-only
directory or file system is refused here, before anything else is written).  The kernel
releases the lock when the process ends, however it ends (``kill -9`` included), so a
crashed run never leaves a stale lock behind.
"""

from __future__ import annotations

import errno
import fcntl
import os
import socket
from pathlib import Path

from mpi4py import MPI

__all__ = ["LOCK_NAME", "RunDirectoryError", "RunLock", "holder_of"]

LOCK_NAME = ".lock"
#: Lock files this process holds, by directory: a run that ended by an exception before
#: releasing its lock is not "another run" to a later run of the same process.
_HELD: dict[Path, int] = {}


class RunDirectoryError(RuntimeError):
    """A run directory that cannot be used: another run's, locked by a run, or not writable."""


class RunLock:
    """The lock of one run directory, held from :meth:`acquire` until :meth:`release`."""

    def __init__(self, directory: Path, comm: MPI.Comm, fd: int | None):
        self.directory, self.comm, self._fd = directory, comm, fd

    @classmethod
    def acquire(cls, directory: str | Path, comm: MPI.Comm) -> RunLock:
        """Lock `directory` (which exists) for this run (collective).

        Raises:
            RunDirectoryError: if another run holds the lock, or the directory is not writable.
        """
        directory = Path(directory)
        fd, error = None, None
        if comm.rank == 0:
            stale = _HELD.pop(directory.resolve(), None)
            if stale is not None:
                os.close(stale)
            fd, error = _lock(directory)
            if fd is not None:
                _HELD[directory.resolve()] = fd
        error = comm.bcast(error, root=0)
        if error is not None:
            raise RunDirectoryError(error)
        return cls(directory, comm, fd)

    def release(self) -> None:
        """Give the lock up (rank 0 closes the lock file; idempotent)."""
        if self._fd is not None and _HELD.get(self.directory.resolve()) == self._fd:
            del _HELD[self.directory.resolve()]
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
        self._fd = None


def holder_of(directory: str | Path) -> str | None:
    """A description of the process holding `directory`'s lock, or None if it is free."""
    path = Path(directory) / LOCK_NAME
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return _describe(path)
    finally:
        os.close(fd)
    return None


def _lock(directory: Path) -> tuple[int | None, str | None]:
    """Open and lock the lock file (rank 0): (descriptor, None) or (None, error message)."""
    path = directory / LOCK_NAME
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as err:
        return None, _not_writable(directory, err)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None, (
            f"run directory '{directory}' is in use by another run ({_describe(path)}); "
            f"wait for it to end or choose another --output"
        )
    try:
        os.ftruncate(fd, 0)
        os.write(fd, f"{socket.gethostname()} {os.getpid()}\n".encode())
    except OSError as err:
        os.close(fd)
        return None, _not_writable(directory, err)
    return fd, None


def _describe(path: Path) -> str:
    try:
        host, pid = path.read_text().split()
        return f"process {pid} on {host}"
    except (OSError, ValueError):
        return "a process whose id is unknown"


def _not_writable(directory: Path, err: OSError) -> str:
    if err.errno == errno.ENOENT:
        return f"run directory '{directory}' does not exist"
    reason = "read-only" if err.errno in (errno.EROFS, errno.EACCES, errno.EPERM) else "not writable"
    return f"run directory '{directory}' is {reason} ({os.strerror(err.errno or 0)}); choose another --output"
