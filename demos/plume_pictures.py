"""Density and streamlines of a run with a flow, drawn from its checkpoint.

    docker/env.sh mpiexec -n 2 python demos/plume_pictures.py results/plume_2d [--species n] [--times last]

For every chosen output time the flow is solved for the stored species (it is quasi-steady:
the flow of a state is determined by the state; for a prescribed flow it is evaluated) and
``flow.png`` (the last time chosen) and ``flow-t<time>.png`` are written into the run
directory, with the velocities at those times in ``flow_velocity.bp`` (ParaView, VTX). Works
on any number of MPI ranks, also while the run goes on.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import dolfinx.fem
import dolfinx.io
import numpy as np
from mpi4py import MPI

from fem_chemotaxis.commands.plot import select_times
from fem_chemotaxis.fluid import FluidFlow
from fem_chemotaxis.io.checkpoint import CHECKPOINT_NAME, CheckpointFile, read_metadata
from fem_chemotaxis.runner import ConfigDocument
from fem_chemotaxis.viz.flow import save_flow_png


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run_dir", type=Path, help="a run directory of a model with [model.flow]")
    parser.add_argument("--species", help="the species drawn in colour (default: the first one)")
    parser.add_argument("--times", default="last", help="'last' (default), 'all', or comma-separated times")
    args = parser.parse_args()
    comm = MPI.COMM_WORLD

    meta = read_metadata(args.run_dir, comm)
    config = ConfigDocument.from_json(meta["config"]).parse()
    model = config.model
    if model.flow is None:
        raise SystemExit(f"{args.run_dir}: model '{model.name}' has no [model.flow]")
    shown = args.species or model.species_names[0]
    if shown not in model.species_names:
        raise SystemExit(f"--species {shown}: not a species of '{model.name}' ({', '.join(model.species_names)})")

    file = CheckpointFile(args.run_dir / CHECKPOINT_NAME)
    mesh = file.read_mesh(comm, meta["mesh"])
    unknowns, densities = {}, {}
    for name, info in meta["species"].items():
        V = dolfinx.fem.functionspace(mesh.mesh, ("Lagrange", info["degree"]))
        unknowns[info["unknown"]] = dolfinx.fem.Function(V)
        densities[name] = dolfinx.fem.Function(V, name=name)

    times = select_times(meta["times"], args.times)
    description = next(sp.description for sp in model.species if sp.name == shown)
    title = f"{model.name}: {shown}{f' ({description})' if description else ''} and streamlines"
    vtx_path = args.run_dir / "flow_velocity.bp"
    velocity_out: dolfinx.fem.Function | None = None
    writer: dolfinx.io.VTXWriter | None = None
    for time in times:
        file.read(unknowns, time)
        for name, info in meta["species"].items():
            values = unknowns[info["unknown"]].x.array
            densities[name].x.array[:] = np.exp(values) if info["log"] else values
        fluid = FluidFlow.for_state(model.flow, mesh, model.parameters, densities, time, preset=config.solver)
        if writer is None:  # the velocity space exists once the first flow does
            velocity_out = dolfinx.fem.Function(fluid.V, name="velocity")
            writer = dolfinx.io.VTXWriter(comm, vtx_path, [velocity_out], engine="BP4")
        velocity_out.x.array[:] = fluid.velocity.x.array  # type: ignore[union-attr]
        writer.write(time)
        path = args.run_dir / f"flow-t{time:.6g}.png"
        save_flow_png(densities[shown], fluid.velocity, path, time=time, title=title)
        stats = fluid.statistics()
        if comm.rank == 0:
            print(f"t = {time:<8.4g} max |w| = {stats['max_speed']:.4g}  ||div w||_L2 = {stats['divergence_l2']:.2e}"
                  f"  -> {path}", flush=True)
    if writer is not None:
        writer.close()
    if comm.rank == 0:
        shutil.copyfile(path, args.run_dir / "flow.png")
        print(f"wrote {args.run_dir / 'flow.png'} and {vtx_path}", flush=True)


if __name__ == "__main__":
    main()
