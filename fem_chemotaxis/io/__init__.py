"""Outputs: run directories, atomic files, ParaView fields, time series, checkpoints, console."""

from fem_chemotaxis.io.atomic import write_json_atomic, write_text_atomic
from fem_chemotaxis.io.checkpoint import CheckpointError, CheckpointFile
from fem_chemotaxis.io.fields import FieldWriter
from fem_chemotaxis.io.run_directory import RunDirectoryError, prepare_run_directory
from fem_chemotaxis.io.timeseries import write_timeseries

__all__ = [
    "CheckpointError",
    "CheckpointFile",
    "FieldWriter",
    "RunDirectoryError",
    "prepare_run_directory",
    "write_json_atomic",
    "write_text_atomic",
    "write_timeseries",
]
