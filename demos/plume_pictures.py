# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: light
#       format_version: '1.5'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# # Bioconvection plumes: Keller-Segel coupled to Stokes flow
#
# *Bacillus subtilis* in water under an air-water surface (Tuval et al., PNAS 102, 2005).
# Oxygen $c$ enters through the surface and is consumed by the cells $n$, which swim up its
# gradient and collect in a dense layer under the surface. The cells are heavier than
# water: the layer is unstable, sinks in plumes, and drives a flow $w$ that carries cells
# and oxygen (Keller-Segel-Stokes; the flow adjusts instantly, it is quasi-steady):
#
# $$ \begin{aligned}
# \partial_t n + w\cdot\nabla n &= \nabla\cdot\big(D_n \nabla n - \chi\, n\, H(c) \nabla c\big), \\
# \partial_t c + w\cdot\nabla c &= D_c \Delta c - \kappa\, n\, H(c), \\
# -\eta \Delta w + \nabla p &= -G\, n\, e_y, \qquad \nabla\cdot w = 0,
# \end{aligned} $$
#
# where $H(c) = \tfrac12 (1 + \tanh((c - c^*)/\delta))$ switches the cells off where
# oxygen runs out. Oxygen is held at 1 on the surface (free slip for the water); the other
# walls are no-slip and no-flux.
#
# Two uses:
#
# * `docker/env.sh mpiexec -n 2 python demos/plume_pictures.py` runs
#   `demos/plume_2d.toml` itself (into `results/plume_pictures`) and draws it; with `CI`
#   set on a coarser mesh, to t = 0.3 instead of 1.5 (and without the run's own pictures).
# * `... python demos/plume_pictures.py RUN_DIR [--species n] [--times all]` draws an
#   existing run with a flow, e.g. of `demos/plume_3d.toml`, from its checkpoint.
#
# For every chosen output time the flow is solved again for the stored state (it is
# determined by it), and `flow.png` (the last time chosen) and `flow-t<time>.png` are
# written into the run directory, with the velocities in `flow_velocity.bp` (ParaView).

# +
import argparse
import json
import os
import shutil
import sys
from pathlib import Path

import dolfinx.fem
import dolfinx.io
import ufl

from mpi4py import MPI

import fem_chemotaxis as fc

comm = MPI.COMM_WORLD
fc.configure_logging(0, comm)
SHORT = bool(os.environ.get("CI"))
DEMOS = Path(__file__).resolve().parent if "__file__" in globals() else Path("demos").resolve()
OUTPUT = Path("results/plume_pictures")

parser = argparse.ArgumentParser(description="Density and streamlines of a run with a flow.")
parser.add_argument(
    "run_dir",
    type=Path,
    nargs="?",
    help="a run directory of a model with [model.flow] (default: run demos/plume_2d.toml first)",
)
parser.add_argument("--species", help="the species drawn in colour (default: the first one)")
parser.add_argument("--times", default="last", help="'last' (default), 'all', or comma-separated times")
args = parser.parse_args(sys.argv[1:] if "__file__" in globals() else [])
# -

# ## Running the 2-D plume (unless a run directory was given)
#
# The run goes through `fc.run`, exactly what `fem-chemotaxis run`
# does: progress lines, `summary.json`, VTX files and a checkpoint in the run directory.
# A `ConfigDocument` is the TOML file as data; `with_value` changes an entry, here to
# shorten the run under `CI`.

demo_mode = args.run_dir is None
if demo_mode:
    document = fc.ConfigDocument.read(DEMOS / "plume_2d.toml")
    if SHORT:
        shorter = {
            ("mesh", "cells"): [48, 24],
            ("time", "t_end"): 0.3,
            ("output", "interval"): 0.15,
            ("output", "pictures"): False,
        }
        for key, value in shorter.items():
            document = document.with_value(key, value)
    fc.run(document, OUTPUT, force=True, comm=comm)
run_dir = OUTPUT if demo_mode else args.run_dir

# ## Reading the run back
#
# The checkpoint holds the mesh and the unknowns at every output time, readable on any
# number of MPI ranks; the config stored with it describes the model. `StoredRun` reads
# them back.

# +
stored = fc.StoredRun(run_dir, comm)
config = stored.config
model = config.model
if model.flow is None:
    raise SystemExit(f"{run_dir}: model '{model.name}' has no [model.flow]")
shown = args.species or model.species_names[0]
if shown not in model.species_names:
    raise SystemExit(f"--species {shown}: not a species of '{model.name}' ({', '.join(model.species_names)})")
# -

# ## Density and streamlines at the chosen times
#
# The flow is solved for each stored state (`FluidFlow.for_state`), drawn as streamlines
# over the density (in 3-D: tubes from a seed plane, the density on the far walls and an
# isosurface), and its largest speed and the $L^2$ norm of $\nabla\cdot w$ are printed.
# In the full 2-D run the layer under the surface has broken up by t = 1.5: cells sink in
# plumes between counter-rotating convection cells, at speeds up to about 1 (the cells
# themselves swim at most $\chi |\nabla c| \approx 0.01$).

times = stored.select_times(args.times)
description = next(sp.description for sp in model.species if sp.name == shown)
title = f"{model.name}: {shown}{f' ({description})' if description else ''} and streamlines"
vtx_path = run_dir / "flow_velocity.bp"
velocity_out: dolfinx.fem.Function | None = None
writer: dolfinx.io.VTXWriter | None = None
for time in times:
    densities = stored.load(time)
    fluid = fc.FluidFlow.for_state(
        model.flow, stored.mesh, model.parameters, densities, time, preset=config.solver.preset
    )
    if writer is None:  # the velocity space exists once the first flow does
        velocity_out = dolfinx.fem.Function(fluid.V, name="velocity")
        writer = dolfinx.io.VTXWriter(comm, vtx_path, [velocity_out], engine="BP4")
    velocity_out.x.array[:] = fluid.velocity.x.array  # type: ignore[union-attr]
    writer.write(time)
    path = run_dir / f"flow-t{time:.6g}.png"
    fc.save_flow_png(densities[shown], fluid.velocity, path, time=time, title=title)
    flow_stats = fluid.statistics()
    if comm.rank == 0:
        print(
            f"t = {time:<8.4g} max |w| = {flow_stats['max_speed']:.4g}  "
            f"||div w||_L2 = {flow_stats['divergence_l2']:.2e}  -> {path}",
            flush=True,
        )
if writer is not None:
    writer.close()
if comm.rank == 0:
    shutil.copyfile(path, run_dir / "flow.png")
    print(f"wrote {run_dir / 'flow.png'} and {vtx_path}", flush=True)

# ## A physical check: the flow moves the cells but does not create them
#
# The cell equation has no reaction and no flux through the walls, and the advection
# term $w\cdot\nabla n = \nabla\cdot(n w)$ (for $\nabla\cdot w = 0$) is written in
# conservative form: the cell mass in `summary.json` must stay at its initial value. (For
# a run given on the command line, whose model may have reactions, it is only printed.)

summary = fc.read_summary(run_dir, comm)
masses = [record["species"][shown]["mass"] for record in summary["records"]]
drift = abs(masses[-1] - masses[0]) / masses[0]
if comm.rank == 0:
    print(f"{shown} mass {masses[0]:.10f} -> {masses[-1]:.10f} (relative change {drift:.1e})")
assert drift < 1e-8 or not demo_mode, drift

# ## A physical check: the cells' last step, from their fluxes
#
# Testing the cell equation with the height $y$ gives the velocity of the cells' centre of
# mass from the fluxes alone (no flux through the walls, $w\cdot n = 0$ there):
#
# $$ \frac{d}{dt}\int y\, n = \int \big(n\, w_y - D_n \partial_y n + \chi\, n H(c)\, \partial_y c\big), $$
#
# and backward Euler keeps it exactly between the last two states (the checkpoint holds the
# state one step before the last output time, and the quasi-steady flow of the last state is
# the one solved above). Written here from the equations at the top, the right-hand side
# must equal the change of $\int y\, n$ over that step divided by the step to 1e-6 (measured
# 9e-12 at t = 0.3 on the short run). The advective part is negative (the fluid sinks where
# the cells are heavy), already a tenth of the total at t = 0.3, and grows as the plumes fall;
# with the sign of the advection term reversed in the solver the identity fails by 3e-3 (and
# the plumes do not form), with that of the taxis term by 0.7.

if demo_mode:
    n_now, c_now = densities["n"], densities["c"]
    n_before = stored.load_previous(times[-1])["n"]
    p = model.parameters
    y = ufl.SpatialCoordinate(stored.mesh.mesh)[1]
    switch = 0.5 * (1 + ufl.tanh((c_now - p["c_star"]) / p["delta"]))
    parts = {
        "advection": n_now * fluid.velocity[1],
        "diffusion": -p["Dn"] * n_now.dx(1),
        "taxis": p["chi"] * n_now * switch * c_now.dx(1),
    }
    fluxes = {
        k: comm.allreduce(dolfinx.fem.assemble_scalar(dolfinx.fem.form(f * ufl.dx)), op=MPI.SUM)
        for k, f in parts.items()
    }
    change = (
        comm.allreduce(dolfinx.fem.assemble_scalar(dolfinx.fem.form(y * (n_now - n_before) * ufl.dx)), op=MPI.SUM)
        / stored.dt_previous
    )
    total = sum(fluxes.values())
    if comm.rank == 0:
        print(
            f"d/dt int y n over the last step {change:.8e}; fluxes "
            + ", ".join(f"{k} {v:.4e}" for k, v in fluxes.items())
            + f", total {total:.8e} (relative difference "
            f"{abs(change - total) / abs(total):.1e})"
        )
    assert abs(change - total) < 1e-6 * abs(total)

# ## The stored quantity: the largest flow speed at the last output time

if demo_mode and comm.rank == 0:
    if not SHORT:
        fc.save_small_copy(run_dir / "flow.png", DEMOS / "images" / "plume_2d.png")
    result = {"quantity": "max_speed", "value": flow_stats["max_speed"], "time": times[-1], "short": SHORT}
    (run_dir / "demo.json").write_text(json.dumps(result, indent=2))
    print(f"largest flow speed at t = {times[-1]:g}: {result['value']:.6f}")
