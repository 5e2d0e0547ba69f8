"""What a run leaves behind when it fails: room for the final summary, and a one-line report.

A run that fails (a full disk, an I/O error, a bug) still records ``status = "error"`` and
the message in ``summary.json``.  On a full disk that write needs room, so a run keeps a
reserve file (``.reserve``, :data:`RESERVE_BYTES`) in its run directory while it runs and
frees it before writing the failure (:func:`record_failure`).  The last checkpoint stays
readable because checkpoint writes are atomic (io/checkpoint.py).

:func:`record_failure` writes from the rank that failed (any rank holds the whole summary),
since under MPI the other ranks may be waiting in a collective call and never get there;
the command then ends every rank (commands/run.py).
"""

from __future__ import annotations

import errno
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mpi4py import MPI

from fem_chemotaxis.io.atomic import write_json_atomic
from fem_chemotaxis.io.run_directory import SUMMARY_NAME
from fem_chemotaxis.io.timeseries import TIMESERIES_NAME, write_timeseries

__all__ = [
    "RESERVE_BYTES",
    "RESERVE_NAME",
    "is_disk_full",
    "one_line",
    "record_failure",
    "release_space",
    "reserve_space",
]

RESERVE_NAME = ".reserve"
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
#: Bytes kept free for the final summary (a summary.json of about 5000 steps).
RESERVE_BYTES = 1 << 20


def reserve_space(directory: str | Path, comm: MPI.Comm, nbytes: int = RESERVE_BYTES) -> None:
    """Write the reserve file (rank 0; collective).

    Raises:
        OSError: on every rank, if the disk is already too full for it.
    """
    error = None
    if comm.rank == 0:
        try:
            with open(Path(directory) / RESERVE_NAME, "wb") as f:
                f.write(b"\0" * nbytes)
        except OSError as err:
            release_space(directory)
            error = err
    error = comm.bcast(error, root=0)
    if error is not None:
        raise error


def release_space(directory: str | Path) -> None:
    """Delete the reserve file, if it is there (any rank; never raises)."""
    try:
        (Path(directory) / RESERVE_NAME).unlink(missing_ok=True)
    except OSError:
        pass


def is_disk_full(err: BaseException) -> bool:
    """Whether `err` (an OSError, or a RuntimeError from ADIOS2) reports a full disk or quota."""
    if isinstance(err, OSError) and err.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    return "No space left on device" in str(err) or "Disk quota exceeded" in str(err)


def one_line(err: BaseException, width: int = 300) -> str:
    """``Type: message`` on one line, at most `width` characters."""
    text = " ".join(_ANSI.sub("", f"{type(err).__name__}: {err}").split())
    return text if len(text) <= width else text[: width - 3] + "..."


def record_failure(directory: str | Path, summary: Mapping[str, Any]) -> None:
    """Free the reserve, then write the summary and time series of a failed run (never raises)."""
    release_space(directory)
    directory = Path(directory)
    for write in (
        lambda: write_timeseries(directory / TIMESERIES_NAME, summary["records"]),
        lambda: write_json_atomic(directory / SUMMARY_NAME, summary),
    ):
        try:
            write()
        except OSError:
            pass
