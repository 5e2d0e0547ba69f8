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

# # Cells drawn to a branching blood vessel, in 3-D
#
# A block of tissue is pierced by a Y-shaped vessel whose wall releases a chemoattractant
# $s$ at a constant rate $g$. The cells $u$ follow Keller-Segel dynamics (chemotaxis
# chapter, eqs. 7.2.1-7.2.2), producing a little $s$ themselves:
#
# $$ \partial_t u = \nabla\cdot\big(d\,\nabla u - \chi\, u\,\nabla s\big), \qquad
#    \partial_t s = d_s \Delta s + \alpha u - \beta s, $$
#
# with $d_s \nabla s\cdot n = g$ into the tissue on the vessel wall $\Gamma$ and no flux
# elsewhere. Integrating the second equation over the tissue gives the chemoattractant's
# budget, an ordinary differential equation for its total amount $S = \int s$:
#
# $$ \frac{dS}{dt} = g\,|\Gamma| + \alpha\, U - \beta S, \qquad U = \int u = \text{const}. $$
#
# The demo checks the finite-element solution against it, and shows the 3-D fields on
# three orthogonal slices. Run it with
# `docker/env.sh mpiexec -n 2 python demos/keller_segel_vessel_3d.py` (about a minute);
# with `CI` set it uses a coarser mesh and stops at t = 0.6.

# +
import json
import os
from pathlib import Path

import dolfinx.fem
import ufl

from mpi4py import MPI

import fem_chemotaxis as fc

comm = MPI.COMM_WORLD
fc.configure_logging(0, comm)
SHORT = bool(os.environ.get("CI"))
DEMOS = Path(__file__).resolve().parent if "__file__" in globals() else Path("demos").resolve()
OUTPUT = Path("results/keller_segel_vessel_3d")
# -

# ## Model, parameters and boundary condition
#
# `demos/vessel_block_3d.toml` holds the run: slow cells ($d = 0.1$) with a moderate
# sensitivity ($\chi = 0.3$), a weak own production $\alpha = 0.2$, decay $\beta = 1$
# (so the signal reaches about $\sqrt{d_s/\beta} = 1$, the size of the block), and the
# `[[boundary]]` table `on = "vessel_wall"`, `type = "flux"`, `value = "2"`: the wall
# releases $g = 2$ per unit area.

config = fc.load_config(DEMOS / "vessel_block_3d.toml")
model = config.model
release = config.boundary_conditions[0]
g = float(release.value.numeric(model.parameters))  # "2": a constant
t_end = 0.6 if SHORT else config.t_end
mesh_size = 0.15 if SHORT else config.mesh.parameters["size"]
if comm.rank == 0:
    for equation in model.equations():
        print("   ", equation)
    print(f"boundary: {release.kind} of {release.species} = {release.value} on {', '.join(release.on)}")

# ## The mesh
#
# The generator `vessel-block` builds the block and the vessel with gmsh (OpenCASCADE
# cylinders joined by a ball at the bifurcation), tetrahedra of size 0.1 in the tissue and
# a third of that on the wall. The wall is the physical group `vessel_wall`; we also need
# its area $|\Gamma|$ for the budget.

block = fc.generate("vessel-block", comm, size=mesh_size)
wall = ufl.Measure("ds", domain=block.mesh, subdomain_data=block.facet_tags)(block.tag("vessel_wall", 2))
wall_area = comm.allreduce(dolfinx.fem.assemble_scalar(dolfinx.fem.form(1.0 * wall)), op=MPI.SUM)
if comm.rank == 0:
    cells = block.mesh.topology.index_map(3).size_global
    print(f"mesh: {cells} tetrahedra; vessel wall area {wall_area:.4f}")

# ## Running it

sim = fc.Simulation.from_config(config, mesh=block)
records = [(sim.time, stats) for stats in fc.advance_with_progress(sim, t_end, config.output.interval)]

# ## A physical check: the chemoattractant budget
#
# The budget is linear: $S$ relaxes to $S^* = (g|\Gamma| + \alpha U)/\beta$, and a step of the
# scheme turns it into the recursion $S^{n+1} - S^* = R(-\beta\,\Delta t)\,(S^n - S^*)$ over the
# steps actually taken, with $R$ the scheme's stability function (`sim.scheme.amplification`:
# $1/(1 - z)$ for backward Euler; the default scheme here is ros34pw2). The finite-element
# totals must follow it to the solver tolerance (measured: 1.2e-15 relative): the wall flux,
# the production and the decay are integrated exactly.

parameters = model.parameters
U = records[0][1]["u"]["mass"]
S = records[0][1]["s"]["mass"]
S_star = (g * wall_area + parameters["alpha"] * U) / parameters["beta"]
for step in sim.history:
    S = S_star + complex(sim.scheme.amplification(-parameters["beta"] * step.dt)).real * (S - S_star)
computed = records[-1][1]["s"]["mass"]
if comm.rank == 0:
    print(
        f"total chemoattractant at t = {sim.time:g}: finite elements {computed:.10f}, budget ODE {S:.10f} "
        f"(relative difference {abs(computed - S) / S:.1e}); cell mass {U:.8f} -> {records[-1][1]['u']['mass']:.8f}"
    )
assert abs(computed - S) < 1e-8 * S

# ## Looking at the result: slices through the block
#
# A 3-D field is hard to see from outside. `save_species_png(..., view="slices")` shows it
# on three orthogonal planes through the centre of the block (the outline of the block and
# of the vessel in black); `view="clip"` cuts away the corner nearest the viewer instead,
# and `fem-chemotaxis plot RUN_DIR --view slices` does the same for any run directory.
# The cells gather in a sheath around the vessel, densest near the bifurcation, where the
# signal released by the trunk and both branches adds up.

if comm.rank == 0:
    OUTPUT.mkdir(parents=True, exist_ok=True)
comm.Barrier()
pictures = {view: OUTPUT / f"species-{view}.png" for view in ("slices", "clip")}
for view, path in pictures.items():
    fc.save_species_png(
        list(sim.u.values()), path, time=sim.time, title="Keller-Segel around a branching vessel", view=view
    )
if comm.rank == 0 and not SHORT:
    fc.save_small_copy(pictures["slices"], DEMOS / "images" / "keller_segel_vessel_3d.png")

# ## The stored quantity: the peak cell density at the end

if comm.rank == 0:
    result = {"quantity": "u_max", "value": records[-1][1]["u"]["max"], "time": sim.time, "short": SHORT}
    (OUTPUT / "demo.json").write_text(json.dumps(result, indent=2))
    print(f"peak cell density at t = {sim.time:g}: {result['value']:.6f} -> {pictures['slices']}")
