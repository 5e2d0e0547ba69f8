"""Running a config: mesh -> simulation -> outputs, with checkpoints, restart and clean stops."""

from fem_chemotaxis.runner.execution import (
    FINISHED,
    INTERRUPTIONS,
    advance_with_progress,
    build_mesh,
    output_times,
    read_summary,
    restart,
    run,
    time_series_pictures,
    versions,
)

__all__ = [
    "FINISHED",
    "INTERRUPTIONS",
    "advance_with_progress",
    "build_mesh",
    "output_times",
    "read_summary",
    "restart",
    "run",
    "time_series_pictures",
    "versions",
]
