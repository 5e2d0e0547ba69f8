"""Running a config: mesh -> simulation -> outputs, with checkpoints, restart and clean stops."""

from fem_chemotaxis.io.run_directory import read_summary
from fem_chemotaxis.runner.execution import (
    FINISHED,
    INTERRUPTIONS,
    advance_with_progress,
    output_times,
    restart,
    run,
    time_series_pictures,
    versions,
)
from fem_chemotaxis.runner.stored_run import StoredRun

__all__ = [
    "FINISHED",
    "INTERRUPTIONS",
    "StoredRun",
    "advance_with_progress",
    "output_times",
    "read_summary",
    "restart",
    "run",
    "time_series_pictures",
    "versions",
]
