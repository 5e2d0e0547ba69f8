"""Running a simulation through its output times into a run directory; restart; reading runs back."""

from fem_chemotaxis.io.run_directory import read_summary
from fem_chemotaxis.runner.execution import (
    FINISHED,
    INTERRUPTIONS,
    advance_with_progress,
    config_outputs,
    output_times,
    restart,
    run,
    run_simulation,
    versions,
)
from fem_chemotaxis.runner.stored_run import StoredRun

__all__ = [
    "FINISHED",
    "INTERRUPTIONS",
    "StoredRun",
    "advance_with_progress",
    "config_outputs",
    "output_times",
    "read_summary",
    "restart",
    "run",
    "run_simulation",
    "versions",
]
