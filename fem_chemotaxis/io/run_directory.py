"""Run directories: created fresh, never silently overwritten."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

from mpi4py import MPI

from fem_chemotaxis.io.run_lock import LOCK_NAME, RunDirectoryError, holder_of

__all__ = ["SUMMARY_NAME", "RunDirectoryError", "prepare_run_directory", "read_summary"]

#: A directory holding this file is recognised as an earlier run (and may be replaced with force).
SUMMARY_NAME = "summary.json"


def prepare_run_directory(path: str | Path, force: bool, comm: MPI.Comm) -> Path:
    """Create `path` for a new run; replace an earlier run there only if `force`.

    A non-empty directory that does not hold a ``summary.json`` is never removed, even with
    `force`, so that a mistyped ``--output`` cannot delete unrelated files; nor is a run
    directory that another run holds locked (io/run_lock.py).
    """

    path = Path(path)
    error = None
    if comm.rank == 0:
        holder = holder_of(path) if path.is_dir() else None
        if holder is not None:
            error = f"run directory '{path}' is in use by another run ({holder}); choose another --output"
        elif path.exists() and (not path.is_dir() or any(p.name != LOCK_NAME for p in path.iterdir())):
            if not path.is_dir() or not (path / SUMMARY_NAME).exists():
                error = f"output '{path}' exists and is not a run directory; choose another --output"
            elif not force:
                error = f"output directory '{path}' already holds a run; use --force to replace it"
            else:
                error = _remove(path)
        if error is None:
            try:
                path.mkdir(parents=True, exist_ok=True)
            except OSError as err:
                error = f"cannot create the run directory '{path}': {os.strerror(err.errno or 0)}"
    error = comm.bcast(error, root=0)
    if error is not None:
        raise RunDirectoryError(error)
    return path


def _remove(path: Path) -> str | None:
    """Remove an earlier run (rank 0); an error message if that fails."""
    try:
        shutil.rmtree(path)
    except OSError as err:
        return f"cannot replace the run in '{path}': {os.strerror(err.errno or 0)}"
    return None


def read_summary(run_dir: str | Path, comm: MPI.Comm = MPI.COMM_WORLD) -> dict[str, Any] | None:
    """The ``summary.json`` of a run directory (read on rank 0, broadcast), or None if absent."""
    summary = None
    if comm.rank == 0:
        path = Path(run_dir) / SUMMARY_NAME
        if path.is_file():
            summary = json.loads(path.read_text())
    return comm.bcast(summary, root=0)
