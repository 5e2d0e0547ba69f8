"""Starting a run: a config's (:func:`run`) or a simulation built in Python (:func:`run_simulation`).

Everything that can reject the input (the config, mesh names, subdomains, quantities, the
initial values on the mesh) runs before the run directory is written. A species that starts
below zero is refused where ``negative_tolerance`` would reject every step from it, and
otherwise named in a warning and in ``summary.json`` (``"warnings"``). The directory is
locked while the run writes it, and a little disk space is kept aside to record a failure.
"""

from __future__ import annotations

import importlib
import logging
import platform
import time as wallclock
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import dolfinx

from mpi4py import MPI
from petsc4py import PETSc

from fem_chemotaxis.adaptivity import Adaptation
from fem_chemotaxis.config import ConfigDocument, RunConfig
from fem_chemotaxis.config.evaluation import check_interpolated
from fem_chemotaxis.io.console import LOGGER_NAME
from fem_chemotaxis.io.failures import release_space, reserve_space
from fem_chemotaxis.io.run_directory import prepare_run_directory
from fem_chemotaxis.io.run_lock import RunLock
from fem_chemotaxis.io.seed import read_initial_values
from fem_chemotaxis.mesh.tagged_mesh import TaggedMesh
from fem_chemotaxis.model.quantities import Quantity
from fem_chemotaxis.outputs import Checkpoints, Fields, Output, Pictures, QuantityValues, TimeSeries
from fem_chemotaxis.runner.loop import RunLoop
from fem_chemotaxis.simulation import Simulation
from fem_chemotaxis.version import __version__

__all__ = ["config_outputs", "execute_locked", "new_summary", "run", "run_simulation", "versions"]

_log = logging.getLogger(LOGGER_NAME)

#: Negative values of a species above this fraction of its largest magnitude are round-off.
NEGLIGIBLE_UNDERSHOOT = 1e-10


def versions() -> dict[str, str]:
    """Versions of the package and of the stack it runs on."""
    return {
        "fem_chemotaxis": __version__,
        "dolfinx": dolfinx.__version__,
        "petsc": ".".join(str(v) for v in PETSc.Sys.getVersion()),
        "adios4dolfinx": _version_of("adios4dolfinx"),
        "python": platform.python_version(),
    }


def _version_of(module: str) -> str:
    """A module's version, or "not installed"."""
    try:
        return importlib.import_module(module).__version__
    except ImportError:
        return "not installed"


def config_outputs(config: RunConfig, document: ConfigDocument, adaptation: Adaptation | None = None) -> list[Output]:
    """What a config's run writes: time series, fields, checkpoints, and pictures unless turned off."""
    outputs: list[Output] = [TimeSeries(), Fields(), Checkpoints(document, adaptation)]
    return [*outputs, Pictures()] if config.output.pictures else outputs


def run(
    document: ConfigDocument,
    output_dir: str | Path | None = None,
    force: bool = False,
    comm: MPI.Comm = MPI.COMM_WORLD,
    *,
    time_limit: float | None = None,
    mesh: TaggedMesh | None = None,
) -> dict[str, Any]:
    """Run a config from its start, writing the run directory described in the module doc.

    Args:
        document: The config (validated here; a mistake raises ConfigError before anything
            is written).
        output_dir: Run directory (default: the config's [output] dir).
        force: Replace an earlier run in the directory (never a non-run directory).
        comm: Communicator to run on.
        time_limit: Wall-clock seconds after which the run stops like on SIGTERM.
        mesh: The config's [mesh], built already (a sweep builds each distinct one once);
            by default it is built here. A config with [mesh.motion] moves it.

    Returns:
        The summary, as written to ``summary.json``.  Its ``status`` is "completed";
        "blow-up", "solver-failure" or "mesh-quality" with a ``stop`` report; or "interrupted" with an
        ``interruption`` (reason one of INTERRUPTIONS, time).
    """
    start = wallclock.perf_counter()
    config = document.parse()
    # Everything that can reject the input (mesh names, subdomains) runs before anything is written.
    sim = Simulation.from_config(config, comm, mesh=mesh)
    adaptation = None
    if config.adapt is not None:
        adaptation = Adaptation(config.adapt, sim.tagged_mesh)
        sim = adaptation.start(sim, read_initial_values(config.initial, comm))
    check_interpolated({name: u.x.array for name, u in sim.u.items()}, comm)
    warnings = sign_warnings(sim, "[initial] ")
    quantities = QuantityValues(sim, config.quantities)
    out = prepare_run_directory(output_dir or config.output.dir, force, comm)
    lock = RunLock.acquire(out, comm)
    summary = new_summary(sim, document, config, warnings)
    _log.info(
        f"fem-chemotaxis: model '{config.model.name}' on {sim.tagged_mesh.source}, {sim.num_dofs} dofs, "
        f"{comm.size} MPI rank(s) -> {out}"
    )
    outputs = config_outputs(config, document, adaptation)
    execution = RunLoop(
        sim,
        out,
        summary,
        outputs,
        quantities,
        config.t_end,
        config.output.interval,
        start,
        time_limit=time_limit,
        adaptation=adaptation,
    )
    return execute_locked(execution, lock)


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
    warnings = sign_warnings(sim)
    values = QuantityValues(sim, quantities)
    out = prepare_run_directory(directory, force, sim.comm)
    lock = RunLock.acquire(out, sim.comm)
    chosen = list(outputs) if outputs is not None else [TimeSeries(), Fields(), Pictures()]
    summary = new_summary(sim, warnings=warnings)
    execution = RunLoop(sim, out, summary, chosen, values, t_end, interval, start, time_limit=time_limit)
    return execute_locked(execution, lock)


def execute_locked(execution: RunLoop, lock: RunLock) -> dict[str, Any]:
    """Execute a run in its locked directory, with room kept aside to record a failure."""
    reserve_space(execution.out, execution.comm)
    summary = execution.execute()
    release_space(execution.out)
    lock.release()
    return summary


def sign_warnings(sim: Simulation, where: str = "") -> list[str]:
    """A warning for each species that starts below zero, logged (collective).

    Round-off (above -1e-10 of the species' largest magnitude) is not counted.

    Raises:
        ValueError: where a density is below ``-negative_tolerance``: every step from it would be rejected.
    """
    warnings = []
    for name, stats in sim.statistics().items():
        if stats["min"] >= -NEGLIGIBLE_UNDERSHOOT * max(abs(stats["min"]), abs(stats["max"])):
            continue
        value, location = sim.fields.extreme(name, largest=False)
        point = ", ".join(f"{c:.4g}" for c in location)
        negative = f"{where}{name} starts negative: {value:.4g} at ({point})"
        if sim.negative_tolerance is not None and value < -sim.negative_tolerance:
            raise ValueError(f"{negative}, below -negative_tolerance = {-sim.negative_tolerance:g}")
        warnings.append(f"{negative}; a density below zero has no meaning, and the run goes on from it")
        _log.warning(f"fem-chemotaxis: warning: {warnings[-1]}")
    return warnings


def new_summary(
    sim: Simulation,
    document: ConfigDocument | None = None,
    config: RunConfig | None = None,
    warnings: Sequence[str] = (),
) -> dict[str, Any]:
    """The summary of a run about to start (a config's run names its file and resolved config)."""
    summary = {
        "status": "running",
        "model": sim.model.name,
        "config_file": document.source if document is not None else None,
        "mesh": sim.tagged_mesh.source,
        "dofs": sim.num_dofs,
        "mpi_ranks": sim.comm.size,
        "versions": versions(),
        "config": config.resolved if config is not None else None,
        "warnings": list(warnings) or None,
        "records": [],
        "steps": [],
    }
    return {key: value for key, value in summary.items() if value is not None}
