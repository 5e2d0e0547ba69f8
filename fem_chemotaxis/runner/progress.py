"""A run's progress report: a line per output time, and per step (verbose or a live line).

On a terminal (default level) a live progress line is redrawn after every step in between
the output lines; ``--verbose`` logs every step instead.
"""

from __future__ import annotations

import logging
import sys
import time as wallclock
from collections.abc import Mapping
from typing import Any

from mpi4py import MPI

from fem_chemotaxis.io.console import LOGGER_NAME, format_duration
from fem_chemotaxis.simulation import StepRecord

__all__ = ["Progress"]

_log = logging.getLogger(LOGGER_NAME)


class Progress:
    """Reports a run's progress: per step (verbose or live line) and per output time.

    Args:
        t_start: Simulated time the run (or its continuation) starts from.
        t_end: Simulated end time.
        comm: Only its rank 0 reports.
    """

    def __init__(self, t_start: float, t_end: float, comm: MPI.Comm):
        self.t_start, self.t_end = t_start, t_end
        self.started = wallclock.perf_counter()
        # Under mpiexec stdout may be a pseudo-terminal while stderr is a pipe: no live line there.
        terminal = sys.stdout.isatty() and sys.stderr.isatty()
        self.live = comm.rank == 0 and terminal and _log.getEffectiveLevel() == logging.INFO
        self._last_draw = 0.0
        self._since_output: list[StepRecord] = []

    def eta(self, time: float) -> float | None:
        """Estimated wall time to t_end, from the simulated-time rate since the start."""
        done = time - self.t_start
        if done <= 0:
            return None
        return (wallclock.perf_counter() - self.started) / done * (self.t_end - time)

    def _position(self, time: float) -> str:
        percent = 100.0 * time / self.t_end if self.t_end > 0 else 100.0
        return f"t = {time:<10.5g} [{percent:3.0f}%]"

    def _eta(self, time: float) -> str:
        eta = self.eta(time)
        return f"ETA {format_duration(eta) if eta is not None else '-':<9s}"

    def step(self, step: StepRecord) -> None:
        """Report one accepted step."""
        self._since_output.append(step)
        rejected = f", {step.rejected} rejected" if step.rejected else ""
        _log.debug(
            f"    step t = {step.time:<10.6g} dt {step.dt:<9.3g} Newton {step.newton_iterations:2d} "
            f"Krylov {step.krylov_iterations:4d}{rejected}"
        )
        now = wallclock.perf_counter()
        if self.live and now - self._last_draw > 0.2:
            self._last_draw = now
            sys.stdout.write(
                f"\r\033[K  {self._position(step.time)}  dt {step.dt:.3g}  Newton {step.newton_iterations}"
                f"  Krylov {step.krylov_iterations}  {self._eta(step.time)}"
            )
            sys.stdout.flush()

    def output(self, time: float, dt: float, stats: Mapping[str, Mapping[str, Any]], total_steps: int) -> None:
        """Report an output time: steps, current dt, mean iterations since the last output, ETA, statistics."""
        if self.live:
            sys.stdout.write("\r\033[K")
        steps, self._since_output = self._since_output, []
        if steps:
            newton = sum(s.newton_iterations for s in steps) / len(steps)
            krylov = sum(s.krylov_iterations for s in steps) / len(steps)
            stepping = f"steps {total_steps:<5d} dt {dt:<8.3g} Newton {newton:4.1f} Krylov {krylov:5.1f}"
        else:
            stepping = f"steps {total_steps:<5d}" + " " * 36
        values = "  ".join(f"{n}: [{s['min']:.4g}, {s['max']:.4g}] mass {s['mass']:.6g}" for n, s in stats.items())
        _log.info(f"  {self._position(time)}  {stepping}  {self._eta(time)}  {values}")
