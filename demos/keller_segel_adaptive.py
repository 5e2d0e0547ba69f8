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

# # A Keller-Segel aggregate followed by an adapted mesh
#
# Cells $u$ climb the gradient of the chemoattractant $s$ they secrete (chemotaxis chapter,
# eqs. 7.2.1-7.2.2):
#
# $$ \partial_t u = \nabla\cdot\big(d\,\nabla u - \chi\, u\,\nabla s\big), \qquad
#    \partial_t s = \Delta s + u - s. $$
#
# With strong chemotaxis a bump of cells collapses into an ever sharper peak (in 2-D it
# blows up in finite time when its mass is large enough). A uniform mesh fine enough for the
# peak spends almost all its unknowns on the flat tissue around it. Here the mesh adapts:
# every few steps an error indicator marks the cells to split or merge, and the mesh is
# rebuilt from the coarse base mesh of the tissue section, with every species' mass carried
# over exactly.
#
# Run it from the repository root with
# `docker/env.sh mpiexec -n 2 python demos/keller_segel_adaptive.py`; with the environment
# variable `CI` set it stops early (t = 0.2 instead of 0.5).

# +
import json
import os
from pathlib import Path

import dolfinx.mesh
import numpy as np

from mpi4py import MPI

import fem_chemotaxis as fc

comm = MPI.COMM_WORLD
fc.configure_logging(0, comm)
SHORT = bool(os.environ.get("CI"))
DEMOS = Path(__file__).resolve().parent if "__file__" in globals() else Path("demos").resolve()
OUTPUT = Path("results/keller_segel_adaptive")
# -

# ## The run file
#
# `demos/keller_segel_adaptive.toml` is an ordinary run file (`fem-chemotaxis run` takes it)
# with one more table, `[mesh.adapt]`:
#
# * `every = 5`: re-mesh after every 5 accepted steps;
# * `refine = 0.02`, `coarsen = 0.002`: a cell is split when its estimated error (the jump of
#   the gradient across its facets times the cell size, relative to the largest density)
#   is above 2 %, and merged back (re-refined from the base to one level less) below 0.2 %;
# * `max_level = 3`: a cell of the base mesh is split at most three times (8 times smaller);
# * `rebalance = 1.2`: the refined cells stay on the MPI rank of their base cell, so the rank
#   holding the aggregate gets more of them; when it holds more than 1.2 times the mean, the
#   base mesh is repartitioned by the fine cells each base cell holds, and the same mesh rebuilt.
#
# The base mesh is the tissue section with three vessels (holes) at a coarse size 0.1.

config = fc.load_config(DEMOS / "keller_segel_adaptive.toml")
t_end = 0.2 if SHORT else config.t_end
base = fc.generate("tissue-section", comm, **config.mesh.parameters)
base_cells = base.mesh.topology.index_map(2).size_global

# ## The adapted run
#
# `Adaptation.start` refines the base mesh to the initial bump (setting the initial values
# anew on each finer mesh); `Adaptation.advance_to` steps like `Simulation.advance_to` and
# hands back the simulation on the newest mesh.

sim = fc.Simulation.from_config(config, mesh=base)
adaptation = fc.Adaptation(config.adapt, base)
sim = adaptation.start(sim, config.initial)
initial = sim.statistics()
rows = []
for k in range(1, 11):
    sim = adaptation.advance_to(sim, k * t_end / 10)
    current = adaptation.current
    rows.append((sim.time, current.num_cells, sim.num_dofs, current.imbalance, sim.statistics()["u"]))
if comm.rank == 0:
    print(f"base mesh: {base_cells} triangles")
    for time, cells, dofs, imbalance, u in rows:
        print(
            f"t = {time:5.3f}: {cells:6d} cells, {dofs:6d} unknowns (largest rank share / mean {imbalance:.2f}), "
            f"peak u = {u['max']:8.4f}, mass {u['mass']:.12f}"
        )

# ## A physical check: the cells are conserved
#
# No cell is born, dies or leaves, so $\int u$ must keep its initial value: through every
# step (the scheme) and through every re-mesh (the transfer scales each species by the ratio
# of its masses on the old and the new mesh, which keeps it positive).

drift = abs(sim.statistics()["u"]["mass"] - initial["u"]["mass"]) / initial["u"]["mass"]
if comm.rank == 0:
    print(f"relative change of the cell mass over {len(sim.history)} steps and the re-meshes: {drift:.1e}")
assert drift < 1e-10, drift

# ## A check of the refinement: the finest cells sit on the peak
#
# The deepest cells (split `max_level` times) must surround the maximum of $u$; the flat
# tissue far from it keeps the base mesh.

mesh, current = sim.mesh, adaptation.current
owned = mesh.topology.index_map(2).size_local
finest = np.flatnonzero(current.depth[:owned] == config.adapt.max_level).astype(np.int32)
centres = dolfinx.mesh.compute_midpoints(mesh, 2, finest)[:, :2]
peak = np.array(sim.fields.maximum()["max_location"][:2])
nearest = comm.allreduce(float(np.linalg.norm(centres - peak, axis=1).min(initial=np.inf)), op=MPI.MIN)
finest_share = comm.allreduce(finest.size, op=MPI.SUM) / current.num_cells
if comm.rank == 0:
    print(
        f"nearest finest cell to the peak at {peak.round(3)}: {nearest:.3f}; {finest_share:.0%} of the cells are finest"
    )
assert nearest < 0.05, nearest

# ## Looking at the result
#
# Both species at the end (`species.png`), and the cell density with the edges of the
# adapted mesh drawn thinly over it (`mesh.png`): small cells around the aggregate, the base mesh
# elsewhere (the vessel walls keep the finer cells gmsh gave them).

if comm.rank == 0:
    OUTPUT.mkdir(parents=True, exist_ok=True)
comm.Barrier()
fc.save_species_png(list(sim.u.values()), OUTPUT / "species.png", time=sim.time, title="Keller-Segel aggregation")
picture = OUTPUT / "mesh.png"
fc.save_species_png(
    [sim.u["u"]], picture, time=sim.time, title="The adapted mesh", window_size=(1200, 760), mesh_edges=True
)
if comm.rank == 0 and not SHORT:
    fc.save_small_copy(picture, DEMOS / "images" / "keller_segel_adaptive.png")

# ## The stored quantity
#
# The tests run this demo with `CI=1` and compare the peak cell density at the end with
# `demos/reference.json`.

peak_value = sim.statistics()["u"]["max"]  # collective: every rank computes it
if comm.rank == 0:
    result = {"quantity": "u_max", "value": peak_value, "time": sim.time, "short": SHORT}
    (OUTPUT / "demo.json").write_text(json.dumps(result, indent=2))
    print(f"peak cell density at t = {sim.time:g}: {result['value']:.6f} -> {picture}")

# ## The same from the command line
#
# `fem-chemotaxis run demos/keller_segel_adaptive.toml` runs the file with the same
# adaptation; it writes one VTX file per mesh (`u.bp`, `u_mesh1.bp`, ...), the number of
# cells and unknowns at every output time in `summary.json` and `timeseries.csv`, and
# checkpoints from which `--restart` rebuilds the mesh from the base on any number of ranks.
