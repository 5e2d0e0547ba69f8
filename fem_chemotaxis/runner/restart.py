"""Continuing a run from its last checkpoint, on any number of MPI ranks.

The continued run takes the steps an uninterrupted run would have taken: the checkpoint
holds the unknowns, the previous solution, the stepper's scalars and the controller's
history (:mod:`fem_chemotaxis.outputs.state`), and the config stored with it is validated
again. A stored config that names no [time] scheme continues with the scheme the run started
with (summary.json; backward Euler for runs written before "auto" became the default).
"""

from __future__ import annotations

import logging
import time as wallclock
from pathlib import Path
from typing import Any

from mpi4py import MPI

from fem_chemotaxis.config import ConfigDocument, RunConfig
from fem_chemotaxis.io.checkpoint import (
    CheckpointError,
    CheckpointFile,
    checkpoint_path,
    read_metadata,
    recover_checkpoint,
    replace_directory,
)
from fem_chemotaxis.io.console import LOGGER_NAME
from fem_chemotaxis.io.failures import release_space
from fem_chemotaxis.io.run_directory import SUMMARY_NAME, read_summary
from fem_chemotaxis.io.run_lock import RunLock
from fem_chemotaxis.io.seed import placeholder_values
from fem_chemotaxis.outputs import Checkpoints, Fields, Pictures, QuantityValues, TimeSeries
from fem_chemotaxis.outputs.state import current_functions, load_unknowns, restore, scratch_functions
from fem_chemotaxis.runner.adapted_restart import continue_adapted
from fem_chemotaxis.runner.loop import FINISHED, RunLoop
from fem_chemotaxis.runner.start import execute_locked, versions
from fem_chemotaxis.simulation import Simulation, StepRecord

__all__ = ["restart"]

_log = logging.getLogger(LOGGER_NAME)


def restart(run_dir: str | Path, comm: MPI.Comm = MPI.COMM_WORLD, *, time_limit: float | None = None) -> dict[str, Any]:
    """Continue a run from its last checkpoint, with the config stored in the run directory.

    Works on any number of MPI ranks.  The checkpoint and the VTX files are rewritten on the
    new distribution (holding all earlier output times).  The records and steps are those
    stored with the checkpoint (summary.json may hold more, from a crash, or, killed between
    the two writes, fewer), and the run appends to them as it goes.  A run that has ended
    (a FINISHED status) is returned unchanged.

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
    document = _scheme_as_started(ConfigDocument.from_json(meta["config"]), summary)
    config = document.parse()
    stepper, times = meta["stepper"], meta["times"]
    last = times[-1]

    old = CheckpointFile(checkpoint_path(out, meta))
    _log.info(
        f"fem-chemotaxis: continuing '{config.model.name}' in {out} from t = {last:.6g} on {comm.size} MPI rank(s)"
    )
    adaptation = None
    if meta.get("adapted_mesh"):
        sim, adaptation, fields, checkpoints = continue_adapted(old, meta, document, config, comm)
    else:
        sim, fields, checkpoints = _continue_fixed(old, meta, document, config, comm)

    if "records" in meta:
        summary["records"], summary["steps"] = meta["records"], meta["steps"]
    else:  # a run directory written before checkpoint.json held them
        summary["records"] = [r for r in summary["records"] if r["time"] <= last]
        summary["steps"] = summary["steps"][: stepper["steps"]]
    sim.history.extend(StepRecord(**s) for s in summary["steps"])
    for key in ("stop", "interruption", "message"):
        summary.pop(key, None)
    summary.update(status="running", mpi_ranks=comm.size, versions=versions())
    summary.setdefault("restarts", []).append({"time": last, "mpi_ranks": comm.size})
    outputs = [TimeSeries(), fields, checkpoints, *([Pictures()] if config.output.pictures else [])]
    execution = RunLoop(
        sim,
        out,
        summary,
        outputs,
        QuantityValues(sim, config.quantities),
        config.t_end,
        config.output.interval,
        start,
        summary.get("wall_time", 0.0),
        time_limit,
        adaptation,
    )
    return execute_locked(execution, lock)


def _scheme_as_started(document: ConfigDocument, summary: dict[str, Any]) -> ConfigDocument:
    """The stored config, naming the scheme the run started with if it names none."""
    time = document.tables.get("time", {})
    if "scheme" in time:
        return document
    started = summary.get("config", {}).get("time", {}).get("scheme", "backward-euler")
    return document.with_value(("time", "scheme"), started)


def _continue_fixed(
    old: CheckpointFile, meta: dict[str, Any], document: ConfigDocument, config: RunConfig, comm: MPI.Comm
) -> tuple[Simulation, Fields, Checkpoints]:
    """The simulation in the checkpoint's last state, every checkpoint time copied into a file
    of this distribution (the VTX files re-written); its Fields and Checkpoints outputs."""
    stepper, times = meta["stepper"], meta["times"]
    last, out = times[-1], old.path.parent
    tagged_mesh = old.read_mesh(comm, meta["mesh"])
    sim = Simulation.from_config(config, mesh=tagged_mesh, initial=placeholder_values(config.initial), t_start=last)
    new, mesh_description = CheckpointFile.create(out / f".{old.path.name}.new", tagged_mesh)
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
    return sim, fields, checkpoints
