"""The run loop: a simulation stepped through its output times, each recorded and written.

At every output time (and at the start) the loop records the state (the statistics of every
species, a moving mesh's volume and quality, derived quantities) and hands the records to
the outputs; ``summary.json`` holds them with the run's status, rewritten atomically each
time. A run with adaptive refinement (an :class:`~fem_chemotaxis.adaptivity.Adaptation`)
re-meshes between steps; the loop then follows the new simulation (outputs are told with
:meth:`Output.mesh_changed`) and records the mesh's cells and unknowns. Stops (a solver failure, a blow-up, a distorted mesh, a signal) end the loop with a
final record and their report; any other error is recorded with the status "error".
Where the wall time went is kept as ``wall_time_split`` (:data:`WALL_TIME_PARTS`), the steps'
part of it as ``stepping_split`` (assembly, preconditioner set-ups, Krylov solves, the rest;
:mod:`~fem_chemotaxis.solvers.phases`); a restart adds to both, and the final lines say them.
"""

from __future__ import annotations

import dataclasses
import logging
import time as wallclock
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from fem_chemotaxis.adaptivity import Adaptation
from fem_chemotaxis.io.atomic import write_text_atomic
from fem_chemotaxis.io.collective_gc import collect_together
from fem_chemotaxis.io.console import LOGGER_NAME, format_duration
from fem_chemotaxis.io.failures import one_line, record_failure
from fem_chemotaxis.io.growing_json import GrowingJSON
from fem_chemotaxis.io.run_directory import SUMMARY_NAME
from fem_chemotaxis.outputs import Output, QuantityValues
from fem_chemotaxis.runner.progress import Progress
from fem_chemotaxis.runner.stops import Interruption, StopRequests
from fem_chemotaxis.simulation import RunStopped, Simulation, StepRecord
from fem_chemotaxis.solvers.phases import PHASES, PhaseClock
from fem_chemotaxis.time import RosenbrockTableau

__all__ = ["FINISHED", "WALL_TIME_PARTS", "RunLoop", "advance_with_progress", "output_times"]

_log = logging.getLogger(LOGGER_NAME)

#: Statuses of runs that have ended: continuing or re-running them gives the same result.
FINISHED = ("completed", "blow-up", "solver-failure", "mesh-quality")
#: What a run's wall time went to: building the simulation, its steps, the records and outputs
#: of the output times (files, summary), and the pictures drawn at the end.
WALL_TIME_PARTS = ("set_up", "stepping", "outputs", "pictures")
_PHASE_NAMES = {
    "residual_assembly": "residuals",
    "jacobian_assembly": "Jacobians",
    "preconditioner_setup": "preconditioner set-ups",
    "krylov_solve": "linear solves",
    "other": "the rest",
}


def output_times(now: float, t_end: float, interval: float) -> list[float]:
    """The output times after `now`: the multiples of `interval` below `t_end`, and `t_end`."""
    count = max(1, int(np.ceil(t_end / interval - 1e-9)))
    ahead = now + 1e-12 * max(1.0, abs(now))
    return [t for t in (min(k * interval, t_end) for k in range(1, count + 1)) if t > ahead]


def advance_with_progress(sim: Simulation, t_end: float, interval: float) -> Iterator[dict[str, dict[str, Any]]]:
    """Advance `sim` to `t_end` from Python, with the progress report of ``fem-chemotaxis run``.

    Yields the statistics of :meth:`Simulation.statistics` now and at every output time
    (multiples of `interval`, and `t_end`), after the progress line of that time::

        for stats in advance_with_progress(sim, t_end=10.0, interval=1.0):
            masses.append(stats["u"]["mass"])
    """
    progress = Progress(sim.time, t_end, sim.comm)
    stats = sim.statistics()
    progress.output(sim.time, sim.dt, stats, len(sim.history))
    yield stats
    for target in output_times(sim.time, t_end, interval):
        sim.advance_to(target, progress.step)
        stats = sim.statistics()
        progress.output(sim.time, sim.dt, stats, len(sim.history))
        yield stats


class RunLoop:
    """Stepping a simulation through its output times, recording each and writing the outputs."""

    def __init__(
        self,
        sim: Simulation,
        out: Path,
        summary: dict[str, Any],
        outputs: Sequence[Output],
        quantities: QuantityValues,
        t_end: float,
        interval: float,
        started: float,
        earlier_wall_time: float = 0.0,
        time_limit: float | None = None,
        adaptation: Adaptation | None = None,
    ):
        self.sim, self.out, self.summary, self.quantities = sim, out, summary, quantities
        self.adaptation = adaptation
        self.t_end, self.interval = t_end, interval
        self.started, self.earlier_wall_time = started, earlier_wall_time
        earlier = summary.get("wall_time_split", {})
        self.split = {part: float(earlier.get(part, 0.0)) for part in WALL_TIME_PARTS}
        earlier = summary.get("stepping_split", {})
        self.earlier_phases = {phase: float(earlier.get(phase, 0.0)) for phase in PHASES}
        self.comm = sim.comm
        self.phases = PhaseClock(self.comm, newton=not isinstance(sim.scheme, RosenbrockTableau))
        self.outputs = list(outputs)
        self._summary_json = GrowingJSON("records", "steps")
        for output in self.outputs:
            if output.directory is None:
                output.open(sim, out)
        self.progress = Progress(sim.time, t_end, self.comm)
        self.stops = StopRequests(self.comm, time_limit, started)
        if sim.scheme_note:  # "auto" fell back to a Newton scheme, or snes_* options unused: say so, once per run
            _log.info(f"  time: {sim.scheme_note}")

    def execute(self) -> dict[str, Any]:
        """Record the current state, step to t_end (or until stopped); returns the final summary."""
        summary = self.summary
        self.split["set_up"] += wallclock.perf_counter() - self.started
        with self.stops:
            try:
                with self._spending("outputs"):
                    self.record()
                for target in output_times(self.sim.time, self.t_end, self.interval):
                    with self._spending("stepping"):
                        self._advance_to(target)
                    with self._spending("outputs"):
                        self.record()
                summary["status"] = "completed"
            except RunStopped as stop:
                summary["status"], summary["stop"] = stop.kind, stop.report
                _log.warning(f"fem-chemotaxis: run stopped ({stop.kind}): {stop}")
                with self._spending("outputs"):
                    self.record()
            except Interruption as stop:
                summary["status"] = "interrupted"
                summary["interruption"] = {"reason": stop.reason, "time": self.sim.time}
                with self._spending("outputs"):
                    self.record()
            except BaseException as err:
                summary["status"], summary["message"] = "error", one_line(err)
                summary["wall_time"] = self.earlier_wall_time + wallclock.perf_counter() - self.started
                record_failure(self.out, summary)
                self._close_outputs()
                raise
            with self._spending("outputs"):
                self.write_summary()
            with self._spending("pictures"):
                self._close_outputs()
            self.write_summary()
        self._final_message()
        return summary

    @contextmanager
    def _spending(self, part: str) -> Iterator[None]:
        """Add the wall time of the block to `part` of the split (also when it raises)."""
        start = wallclock.perf_counter()
        try:
            yield
        finally:
            self.split[part] += wallclock.perf_counter() - start

    def _advance_to(self, target: float) -> None:
        if self.adaptation is None:
            self.sim.advance_to(target, self._on_step)
        else:
            self.adaptation.advance_to(self.sim, target, self._on_step, self._remeshed)

    def _remeshed(self, sim: Simulation) -> None:
        """Follow the simulation on a new mesh: its quantities and outputs."""
        self.sim = sim
        self.quantities = QuantityValues(sim, self.quantities.quantities)
        for output in self.outputs:
            output.mesh_changed(sim)

    def _close_outputs(self) -> None:
        finished = self.summary["status"] in FINISHED
        for output in self.outputs:
            output.close(self.sim, self.summary["records"], finished)

    def _on_step(self, step: StepRecord) -> None:
        self.summary["steps"].append(dataclasses.asdict(step))
        self.progress.step(step)
        reason = self.stops.check()
        if reason is not None:
            raise Interruption(reason)

    def record(self) -> None:
        """The record and the outputs of the current time (once per time), and the summary."""
        sim, records = self.sim, self.summary["records"]
        if not records or records[-1]["time"] != sim.time:
            record: dict[str, Any] = {"time": sim.time, "species": sim.statistics()}
            if self.adaptation is not None:
                adaptation = self.adaptation
                record["mesh"] = {
                    "cells": adaptation.current.num_cells,
                    "dofs": sim.num_dofs,
                    "imbalance": adaptation.current.imbalance,
                    "rebalances": adaptation.rebalances,
                }
            if sim.moving is not None:
                record["mesh"] = geometry = sim.mesh_statistics()
                _log.info(f"  mesh: volume {geometry['volume']:.6g}, minimum quality {geometry['min_quality']:.3f}")
            if self.quantities.quantities:
                record["quantities"] = self.quantities.values()
            records.append(record)
            for output in self.outputs:
                output.write(sim, records)
            self.progress.output(sim.time, sim.dt, record["species"], len(self.summary["steps"]))
            collect_together(self.comm)  # garbage collected at the same point on every rank
        self.write_summary()

    def write_summary(self) -> None:
        """Write summary.json atomically (rank 0)."""
        self.summary["wall_time"] = self.earlier_wall_time + wallclock.perf_counter() - self.started
        self.summary["wall_time_split"] = dict(self.split)
        spent = self.phases.spent()
        phases = {phase: self.earlier_phases[phase] + spent[phase] for phase in PHASES}
        self.summary["stepping_split"] = {**phases, "other": max(0.0, self.split["stepping"] - sum(phases.values()))}
        if self.comm.rank == 0:
            write_text_atomic(self.out / SUMMARY_NAME, self._summary_json.dumps(self.summary))

    def _final_message(self) -> None:
        summary, sim = self.summary, self.sim
        status = summary["status"]
        if status == "interrupted":
            reason = summary["interruption"]["reason"]
            _log.warning(
                f"fem-chemotaxis: interrupted ({reason}) at t = {sim.time:.6g} after "
                f"{format_duration(summary['wall_time'])}; the last record is written. "
                f"Continue a config's run with: fem-chemotaxis run --restart {self.out}"
            )
            return
        split = ", ".join(f"{part.replace('_', '-')} {format_duration(t)}" for part, t in self.split.items())
        phases = ", ".join(f"{_PHASE_NAMES[p]} {format_duration(t)}" for p, t in summary["stepping_split"].items())
        _log.info(
            f"fem-chemotaxis: {status} at t = {sim.time:.6g} ({len(summary['steps'])} steps) in "
            f"{format_duration(summary['wall_time'])} ({split}); results in {self.out}\n"
            f"  stepping: {phases}"
        )
