"""Files of a run: run directories, atomic writes, checkpoints, timeseries.csv, seeds from a previous run, logging."""

from fem_chemotaxis.io.atomic import write_json_atomic, write_text_atomic
from fem_chemotaxis.io.checkpoint import CheckpointError, CheckpointFile
from fem_chemotaxis.io.run_directory import prepare_run_directory
from fem_chemotaxis.io.run_lock import RunDirectoryError
from fem_chemotaxis.io.timeseries import write_timeseries

__all__ = [
    "CheckpointError",
    "CheckpointFile",
    "RunDirectoryError",
    "prepare_run_directory",
    "write_json_atomic",
    "write_text_atomic",
    "write_timeseries",
]
