"""Run a validated configuration: mesh -> simulation -> outputs (summary, fields, pictures)."""

from __future__ import annotations

import platform
import time as wallclock
from collections.abc import Callable
from pathlib import Path
from typing import Any

import dolfinx
import numpy as np
from mpi4py import MPI
from petsc4py import PETSc

import fem_chemotaxis
from fem_chemotaxis.config.run_config import MeshConfig, RunConfig
from fem_chemotaxis.io.atomic import write_json_atomic
from fem_chemotaxis.io.fields import FieldWriter
from fem_chemotaxis.io.run_directory import prepare_run_directory
from fem_chemotaxis.mesh.builtin import create_builtin
from fem_chemotaxis.mesh.geometries import generate
from fem_chemotaxis.mesh.gmsh_file import read_gmsh
from fem_chemotaxis.mesh.tagged_mesh import TaggedMesh
from fem_chemotaxis.simulation import RunStopped, Simulation, StepRecord

__all__ = ["build_mesh", "run", "versions"]


def build_mesh(config: MeshConfig, comm: MPI.Comm) -> TaggedMesh:
    """The mesh a [mesh] table describes, distributed over `comm`."""
    if config.builtin is not None:
        return create_builtin(comm, config.builtin, config.size, config.cells)
    if config.file is not None:
        return read_gmsh(config.file, comm)
    assert config.generator is not None
    return generate(config.generator, comm, **config.parameters)


def versions() -> dict[str, str]:
    """Versions of the package and of the stack it runs on."""
    return {
        "fem_chemotaxis": fem_chemotaxis.__version__,
        "dolfinx": dolfinx.__version__,
        "petsc": ".".join(str(v) for v in PETSc.Sys.getVersion()),
        "python": platform.python_version(),
    }


def run(
    config: RunConfig,
    output_dir: str | Path | None = None,
    force: bool = False,
    comm: MPI.Comm = MPI.COMM_WORLD,
    log: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Run `config`, writing summary.json, VTX fields and pictures into the run directory.

    Returns:
        The summary (also written to ``summary.json``); its ``status`` is "completed", or
        "blow-up" / "solver-failure" with a ``stop`` report (time, message, and the value,
        species and location of the largest density).
    """
    say = (log or (lambda msg: print(msg, flush=True))) if comm.rank == 0 else (lambda msg: None)
    start = wallclock.perf_counter()
    # Everything that can reject the input (mesh names, subdomains) runs before anything is written.
    tagged_mesh = build_mesh(config.mesh, comm)
    sim = Simulation(
        config.model,
        tagged_mesh,
        config.initial,
        dt=config.dt,
        scheme=config.scheme,
        solver=config.solver,
        petsc_options=config.petsc_options,
        dt_min=config.dt_min,
        dt_max=config.dt_max,
        adaptive=config.adaptive,
        positivity=config.positivity,
        negative_tolerance=config.negative_tolerance,
        blowup_threshold=config.blowup_threshold,
        boundary_conditions=config.boundary_conditions,
        subdomain_parameters=config.subdomain_parameters,
    )
    out = prepare_run_directory(output_dir or config.output_dir, force, comm)
    summary: dict[str, Any] = {
        "status": "running",
        "model": config.model.name,
        "config_file": config.source,
        "mesh": tagged_mesh.source,
        "dofs": sim.num_dofs,
        "mpi_ranks": comm.size,
        "versions": versions(),
        "config": config.resolved,
        "records": [],
        "steps": [],
    }
    say(
        f"fem-chemotaxis: model '{config.model.name}' on {tagged_mesh.source}, {sim.num_dofs} dofs, "
        f"{comm.size} MPI rank(s) -> {out}"
    )
    fields = FieldWriter(sim.u.values(), out)

    def record() -> None:
        if summary["records"] and summary["records"][-1]["time"] == sim.time:
            return
        stats = sim.statistics()
        summary["records"].append({"time": sim.time, "species": stats})
        fields.write(sim.time)
        summary["wall_time"] = wallclock.perf_counter() - start
        if comm.rank == 0:
            write_json_atomic(out / "summary.json", summary)
        steps = summary["steps"]
        newton = np.mean([s["newton_iterations"] for s in steps]) if steps else 0.0
        text = "  ".join(f"{n}: [{s['min']:.4g}, {s['max']:.4g}] mass {s['mass']:.6g}" for n, s in stats.items())
        say(f"  t = {sim.time:<10.5g} steps {len(steps):<5d} Newton/step {newton:4.1f}  {text}")

    def on_step(step: StepRecord) -> None:
        summary["steps"].append(
            {"time": step.time, "dt": step.dt, "newton_iterations": step.newton_iterations,
             "krylov_iterations": step.krylov_iterations, "rejected": step.rejected, "error": step.error}
        )

    record()
    n_outputs = max(1, int(np.ceil(config.t_end / config.output_interval - 1e-9)))
    try:
        for k in range(1, n_outputs + 1):
            sim.advance_to(min(k * config.output_interval, config.t_end), on_step)
            record()
        summary["status"] = "completed"
    except RunStopped as stop:
        summary["status"] = stop.kind
        summary["stop"] = stop.report
        say(f"fem-chemotaxis: run stopped ({stop.kind}): {stop}")
        record()
    finally:
        fields.close()

    if config.pictures:
        _pictures(sim, out, summary)
    summary["wall_time"] = wallclock.perf_counter() - start
    if comm.rank == 0:
        write_json_atomic(out / "summary.json", summary)
    say(f"fem-chemotaxis: {summary['status']} in {summary['wall_time']:.1f} s; results in {out}")
    return summary


def _pictures(sim: Simulation, out: Path, summary: dict[str, Any]) -> None:
    """Final-time picture of every species, and the time series of mass/min/max."""
    from fem_chemotaxis.viz import save_species_png, save_time_series_png

    save_species_png(list(sim.u.values()), out / "species.png", time=sim.time, title=sim.model.name)
    for name, u in sim.u.items():
        save_species_png([u], out / f"{name}.png", time=sim.time, title=sim.model.name)
    times = [r["time"] for r in summary["records"]]
    for quantity in ("mass", "max", "min"):
        series = {n: [r["species"][n][quantity] for r in summary["records"]] for n in sim.u}
        save_time_series_png(times, series, out / f"{quantity}.png", ylabel=quantity, comm=sim.comm)
