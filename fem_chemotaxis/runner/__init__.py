"""Running a simulation through its output times into a run directory; restarting; reading runs back.

- start.py: :func:`run` (a config) and :func:`run_simulation` (a simulation built in Python);
- loop.py: the run loop (records, outputs, summary.json, stops) and :func:`advance_with_progress`;
- restart.py: :func:`restart` from the last checkpoint, on any number of ranks;
- stops.py: signals and a wall-clock limit, agreed on by all ranks;
- progress.py: the progress lines; stored_run.py: :class:`StoredRun`, a run directory read back.
"""

from fem_chemotaxis.io.run_directory import read_summary
from fem_chemotaxis.runner.loop import FINISHED, advance_with_progress, output_times
from fem_chemotaxis.runner.restart import restart
from fem_chemotaxis.runner.start import config_outputs, run, run_simulation, versions
from fem_chemotaxis.runner.stops import INTERRUPTIONS
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
