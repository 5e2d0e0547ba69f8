"""Run a simulation through its output times, writing a run directory, with restart and clean stops.

A run directory holds, updated at every output time (the default outputs of a config):

    summary.json      status, resolved config, records (statistics at the output times; on a
                      moving mesh also its volume and minimum quality; derived quantities), steps
    timeseries.csv    the records as a table (TimeSeries)
    <species>.bp      VTX (ADIOS2) fields with time stamps, for ParaView (Fields)
    checkpoint.bp     the mesh once and the unknowns at the output times (adios4dolfinx),
    checkpoint.json   with the complete checkpoint times, the stepper state and the config (Checkpoints)
    *.png             pictures of the final state and of the time series (Pictures; [output] pictures)

:func:`run` starts a config's run; :func:`restart` continues one from its last checkpoint, on
any number of MPI ranks, taking the steps an uninterrupted run would have taken;
:func:`run_simulation` runs a simulation built in Python with the outputs it is given.
SIGINT, SIGTERM and SIGUSR1 (and an optional wall-clock limit) stop a run after the current
step with a final record and the status "interrupted"; a second signal stops it at once.
(Open MPI's mpiexec kills its ranks on SIGINT/SIGTERM but forwards SIGUSR1: signal the
ranks themselves, use SIGUSR1, or a time limit.)
"""

from __future__ import annotations

import logging
import os
import platform
import signal
import threading
import time as wallclock
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import FrameType
from typing import Any, ClassVar

import adios4dolfinx
import dolfinx
import numpy as np

from mpi4py import MPI
from petsc4py import PETSc

from fem_chemotaxis.config import ConfigDocument, RunConfig
from fem_chemotaxis.config.evaluation import check_interpolated
from fem_chemotaxis.io.atomic import write_json_atomic
from fem_chemotaxis.io.checkpoint import (
    CHECKPOINT_NAME,
    CheckpointError,
    CheckpointFile,
    read_metadata,
    recover_checkpoint,
    replace_directory,
)
from fem_chemotaxis.io.console import format_duration
from fem_chemotaxis.io.failures import one_line, record_failure, release_space, reserve_space
from fem_chemotaxis.io.run_directory import SUMMARY_NAME, prepare_run_directory, read_summary
from fem_chemotaxis.io.run_lock import RunLock
from fem_chemotaxis.io.seed import RunField
from fem_chemotaxis.io.teardown import collect_together
from fem_chemotaxis.model.quantities import Quantity
from fem_chemotaxis.outputs import Checkpoints, Fields, Output, Pictures, QuantityValues, TimeSeries
from fem_chemotaxis.outputs.state import current_functions, load_unknowns, restore, scratch_functions
from fem_chemotaxis.runner.progress import Progress
from fem_chemotaxis.simulation import RunStopped, Simulation, StepRecord
from fem_chemotaxis.version import __version__

__all__ = [
    "FINISHED",
    "INTERRUPTIONS",
    "advance_with_progress",
    "config_outputs",
    "output_times",
    "restart",
    "run",
    "run_simulation",
    "versions",
]

_log = logging.getLogger("fem_chemotaxis")

#: Statuses of runs that have ended: continuing or re-running them gives the same result.
FINISHED = ("completed", "blow-up", "solver-failure", "mesh-quality")
#: Why an interrupted run stopped (``summary["interruption"]["reason"]``).
INTERRUPTIONS = ("SIGINT", "SIGTERM", "SIGUSR1", "time-limit")


def versions() -> dict[str, str]:
    """Versions of the package and of the stack it runs on."""
    return {
        "fem_chemotaxis": __version__,
        "dolfinx": dolfinx.__version__,
        "petsc": ".".join(str(v) for v in PETSc.Sys.getVersion()),
        "adios4dolfinx": adios4dolfinx.__version__,
        "python": platform.python_version(),
    }


def config_outputs(config: RunConfig, document: ConfigDocument) -> list[Output]:
    """What a config's run writes: time series, fields, checkpoints, and pictures unless turned off."""
    outputs: list[Output] = [TimeSeries(), Fields(), Checkpoints(document)]
    return [*outputs, Pictures()] if config.output.pictures else outputs


def run(
    document: ConfigDocument,
    output_dir: str | Path | None = None,
    force: bool = False,
    comm: MPI.Comm = MPI.COMM_WORLD,
    *,
    time_limit: float | None = None,
) -> dict[str, Any]:
    """Run a config from its start, writing the run directory described in the module doc.

    Args:
        document: The config (validated here; a mistake raises ConfigError before anything
            is written).
        output_dir: Run directory (default: the config's [output] dir).
        force: Replace an earlier run in the directory (never a non-run directory).
        comm: Communicator to run on.
        time_limit: Wall-clock seconds after which the run stops like on SIGTERM.

    Returns:
        The summary, as written to ``summary.json``.  Its ``status`` is "completed";
        "blow-up", "solver-failure" or "mesh-quality" with a ``stop`` report; or "interrupted" with an
        ``interruption`` (reason one of INTERRUPTIONS, time).
    """
    start = wallclock.perf_counter()
    config = document.parse()
    # Everything that can reject the input (mesh names, subdomains) runs before anything is written.
    sim = Simulation.from_config(config, comm)
    check_interpolated({name: u.x.array for name, u in sim.u.items()}, comm)
    quantities = QuantityValues(sim, config.quantities)
    out = prepare_run_directory(output_dir or config.output.dir, force, comm)
    lock = RunLock.acquire(out, comm)
    summary = _summary(sim, {"config_file": document.source, "config": config.resolved})
    _log.info(
        f"fem-chemotaxis: model '{config.model.name}' on {sim.tagged_mesh.source}, {sim.num_dofs} dofs, "
        f"{comm.size} MPI rank(s) -> {out}"
    )
    outputs = config_outputs(config, document)
    execution = _Execution(sim, out, summary, outputs, quantities, config.t_end, config.output.interval, start,
                           time_limit=time_limit)
    return _execute_locked(execution, lock)


def run_simulation(
    sim: Simulation,
    t_end: float,
    interval: float,
    directory: str | Path,
    *,
    quantities: Sequence[Quantity] = (),
    outputs: Sequence[Output] | None = None,
    force: bool = False,
    time_limit: float | None = None,
) -> dict[str, Any]:
    """Run a simulation built in Python to `t_end`, recording every `interval` into `directory`.

    Args:
        sim: The simulation (its current state is the first record).
        t_end: When the run ends.
        interval: Simulated time between outputs.
        directory: The run directory (created; an earlier run there is replaced only with `force`).
        quantities: Derived quantities recorded at every output time.
        outputs: What is written (default: TimeSeries, Fields, Pictures; a run without a
            config has no restart checkpoints).
        force: Replace an earlier run in the directory.
        time_limit: Wall-clock seconds after which the run stops like on SIGTERM.

    Returns:
        The summary, as written to ``summary.json`` (see :func:`run`).
    """
    start = wallclock.perf_counter()
    values = QuantityValues(sim, quantities)
    out = prepare_run_directory(directory, force, sim.comm)
    lock = RunLock.acquire(out, sim.comm)
    chosen = list(outputs) if outputs is not None else [TimeSeries(), Fields(), Pictures()]
    execution = _Execution(sim, out, _summary(sim, {}), chosen, values, t_end, interval, start, time_limit=time_limit)
    return _execute_locked(execution, lock)


def _execute_locked(execution: _Execution, lock: RunLock) -> dict[str, Any]:
    """Execute a run in its locked directory, with room kept aside to record a failure."""
    reserve_space(execution.out, execution.comm)
    summary = execution.execute()
    release_space(execution.out)
    lock.release()
    return summary


def _summary(sim: Simulation, config: dict[str, Any]) -> dict[str, Any]:
    """The summary of a run about to start."""
    return {
        "status": "running",
        "model": sim.model.name,
        **({"config_file": config["config_file"]} if "config_file" in config else {}),
        "mesh": sim.tagged_mesh.source,
        "dofs": sim.num_dofs,
        "mpi_ranks": sim.comm.size,
        "versions": versions(),
        **({"config": config["config"]} if "config" in config else {}),
        "records": [],
        "steps": [],
    }


def restart(
    run_dir: str | Path, comm: MPI.Comm = MPI.COMM_WORLD, *, time_limit: float | None = None
) -> dict[str, Any]:
    """Continue a run from its last checkpoint, with the config stored in the run directory.

    Works on any number of MPI ranks.  The checkpoint and the VTX files are rewritten on the
    new distribution (holding all earlier output times), records and steps after the
    checkpoint (from a crash) are dropped, and the run appends to them as it goes.  A run
    that has ended (a FINISHED status) is returned unchanged.

    Raises:
        CheckpointError: if the directory holds no usable checkpoint.
    """
    start = wallclock.perf_counter()
    out = Path(run_dir)
    lock = RunLock.acquire(out, comm)
    recover_checkpoint(out, comm)
    release_space(out)  # a failed run's reserve, if it did not get to free it
    meta = read_metadata(out, comm)
    summary = read_summary(out, comm)
    if summary is None:
        raise CheckpointError(f"'{out}' has a checkpoint but no {SUMMARY_NAME}")
    if summary["status"] in FINISHED:
        _log.info(f"fem-chemotaxis: the run in {out} has ended ({summary['status']}); nothing to continue")
        lock.release()
        return summary
    document = ConfigDocument.from_json(meta["config"])
    config = document.parse()
    stepper, times = meta["stepper"], meta["times"]
    last = times[-1]

    old = CheckpointFile(out / CHECKPOINT_NAME)
    tagged_mesh = old.read_mesh(comm, meta["mesh"])
    # The state comes from this run's own checkpoint (restore below), not from a previous run.
    placeholders = {name: 1.0 if isinstance(value, RunField) else value for name, value in config.initial.items()}
    sim = Simulation.from_config(config, mesh=tagged_mesh, initial=placeholders, t_start=last)
    _log.info(
        f"fem-chemotaxis: continuing '{config.model.name}' in {out} from t = {last:.6g} "
        f"on {comm.size} MPI rank(s)"
    )
    # Copy every checkpoint time into a file of this distribution, re-writing the VTX files.
    new, mesh_description = CheckpointFile.create(out / f".{CHECKPOINT_NAME}.new", tagged_mesh)
    state = scratch_functions(sim, stepper)
    current = {name: state[name] for name in current_functions(sim)}
    fields = Fields(velocity=False)
    fields.open(sim, out)
    for time in times:
        functions = state if time == last else current
        old.read(functions, time)
        load_unknowns(sim, functions)
        sim.time = time
        fields.write(sim, [])
        new.write(functions, time)
    restore(sim, stepper, state)
    if sim.velocity is not None:
        sim.solve_flow()  # the checkpoint holds the species; the quasi-steady flow follows from them
    replace_directory(new.path, old.path, comm)  # `old` now names the new file
    checkpoints = Checkpoints(document)
    checkpoints.resume(out, old, mesh_description, times)

    summary["records"] = [r for r in summary["records"] if r["time"] <= last]
    summary["steps"] = summary["steps"][: stepper["steps"]]
    sim.history.extend(StepRecord(**s) for s in summary["steps"])
    for key in ("stop", "interruption", "message"):
        summary.pop(key, None)
    summary.update(status="running", mpi_ranks=comm.size, versions=versions())
    summary.setdefault("restarts", []).append({"time": last, "mpi_ranks": comm.size})
    outputs = [TimeSeries(), fields, checkpoints, *([Pictures()] if config.output.pictures else [])]
    execution = _Execution(
        sim, out, summary, outputs, QuantityValues(sim, config.quantities), config.t_end, config.output.interval,
        start, summary.get("wall_time", 0.0), time_limit,
    )
    return _execute_locked(execution, lock)


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


class _Interrupted(Exception):
    """A collective decision to stop after the current step."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class _StopRequests:
    """SIGINT/SIGTERM/SIGUSR1 and a wall-clock limit, turned into a decision all ranks agree on.

    The first signal only sets a flag (checked after every step); a second one of the same
    kind is handled as if this object were not there, i.e. it stops the process at once.
    """

    _SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGUSR1)
    _CODES: ClassVar[dict[int, str]] = {1: "time-limit", **{int(sig): sig.name for sig in _SIGNALS}}

    def __init__(self, comm: MPI.Comm, time_limit: float | None, started: float):
        self.comm, self.deadline = comm, None if time_limit is None else started + time_limit
        self.received = 0
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> _StopRequests:
        if threading.current_thread() is threading.main_thread():
            for sig in self._SIGNALS:
                self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        self._previous.clear()

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.received:
            self.__exit__()
            signal.raise_signal(signum)
            return
        self.received = signum
        if self.comm.rank == 0:
            name = signal.Signals(signum).name
            os.write(2, f"\nfem-chemotaxis: {name} received; stopping after the current step "
                        f"with a checkpoint (send it again to stop at once)\n".encode())

    def check(self) -> str | None:
        """The reason to stop now, the same on every rank (collective), or None."""
        code = self.received
        if not code and self.deadline is not None and wallclock.perf_counter() > self.deadline:
            code = 1
        code = self.comm.allreduce(code, op=MPI.MAX)
        return self._CODES.get(code) if code else None


class _Execution:
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
    ):
        self.sim, self.out, self.summary, self.quantities = sim, out, summary, quantities
        self.t_end, self.interval = t_end, interval
        self.started, self.earlier_wall_time = started, earlier_wall_time
        self.comm = sim.comm
        self.outputs = list(outputs)
        for output in self.outputs:
            if output.directory is None:
                output.open(sim, out)
        self.progress = Progress(sim.time, t_end, self.comm)
        self.stops = _StopRequests(self.comm, time_limit, started)

    def execute(self) -> dict[str, Any]:
        """Record the current state, step to t_end (or until stopped); returns the final summary."""
        sim, summary = self.sim, self.summary
        with self.stops:
            try:
                self.record()
                for target in output_times(sim.time, self.t_end, self.interval):
                    sim.advance_to(target, self._on_step)
                    self.record()
                summary["status"] = "completed"
            except RunStopped as stop:
                summary["status"], summary["stop"] = stop.kind, stop.report
                _log.warning(f"fem-chemotaxis: run stopped ({stop.kind}): {stop}")
                self.record()
            except _Interrupted as stop:
                summary["status"] = "interrupted"
                summary["interruption"] = {"reason": stop.reason, "time": sim.time}
                self.record()
            except BaseException as err:
                summary["status"], summary["message"] = "error", one_line(err)
                summary["wall_time"] = self.earlier_wall_time + wallclock.perf_counter() - self.started
                record_failure(self.out, summary)
                self._close_outputs()
                raise
            self.write_summary()
            self._close_outputs()
            self.write_summary()
        self._final_message()
        return summary

    def _close_outputs(self) -> None:
        finished = self.summary["status"] in FINISHED
        for output in self.outputs:
            output.close(self.sim, self.summary["records"], finished)

    def _on_step(self, step: StepRecord) -> None:
        self.summary["steps"].append(
            {"time": step.time, "dt": step.dt, "newton_iterations": step.newton_iterations,
             "krylov_iterations": step.krylov_iterations, "rejected": step.rejected, "error": step.error}
        )
        self.progress.step(step)
        reason = self.stops.check()
        if reason is not None:
            raise _Interrupted(reason)

    def record(self) -> None:
        """The record and the outputs of the current time (once per time), and the summary."""
        sim, records = self.sim, self.summary["records"]
        if not records or records[-1]["time"] != sim.time:
            record: dict[str, Any] = {"time": sim.time, "species": sim.statistics()}
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
        if self.comm.rank == 0:
            write_json_atomic(self.out / SUMMARY_NAME, self.summary)

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
        _log.info(
            f"fem-chemotaxis: {status} at t = {sim.time:.6g} ({len(summary['steps'])} steps) in "
            f"{format_duration(summary['wall_time'])}; results in {self.out}"
        )
