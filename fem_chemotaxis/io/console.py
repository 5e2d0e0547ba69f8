"""What the package prints: the ``fem_chemotaxis`` logger, shown on rank 0.

Levels: ``--quiet`` shows warnings and errors only; the default adds one line per output
time and a final line; ``--verbose`` adds one line per time step.  Informational lines go to
stdout, warnings and errors to stderr.
"""

from __future__ import annotations

import logging
import sys

from mpi4py import MPI

__all__ = ["LOGGER_NAME", "configure_logging", "format_duration"]

LOGGER_NAME = "fem_chemotaxis"
_log = logging.getLogger(LOGGER_NAME)


class _Below(logging.Filter):
    def __init__(self, level: int):
        super().__init__()
        self.level = level

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno < self.level


def configure_logging(verbosity: int, comm: MPI.Comm = MPI.COMM_WORLD) -> None:
    """Show the package's messages on rank 0: verbosity -1 quiet, 0 default, 1 verbose."""
    _log.handlers.clear()
    _log.propagate = False
    if comm.rank != 0:
        _log.addHandler(logging.NullHandler())
        _log.setLevel(logging.CRITICAL + 1)
        return
    _log.setLevel({-1: logging.WARNING, 0: logging.INFO}.get(verbosity, logging.DEBUG))
    info = logging.StreamHandler(sys.stdout)
    info.addFilter(_Below(logging.WARNING))
    problems = logging.StreamHandler(sys.stderr)
    problems.setLevel(logging.WARNING)
    for handler in (info, problems):
        handler.setFormatter(logging.Formatter("%(message)s"))
        _log.addHandler(handler)


def format_duration(seconds: float) -> str:
    """A short human duration: ``42 s``, ``3 min 05 s``, ``2 h 07 min``."""
    seconds = max(0.0, seconds)
    if seconds < 60:
        return f"{seconds:.0f} s" if seconds >= 10 else f"{seconds:.1f} s"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"
