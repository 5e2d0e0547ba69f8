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

# # Cancer invasion of tissue: chemotaxis and haptotaxis
#
# Cancer cells $u_1$ secrete a matrix-degrading enzyme (MDE) $u_2$ that digests the
# extracellular matrix (ECM) $u_3$. The cells climb the gradients of both the enzyme
# (chemotaxis) and the matrix (haptotaxis); the matrix does not move. In the consistent
# form (55) of the cross-diffusion file, with a length unit $\ell$:
#
# $$ \begin{aligned}
# \partial_t u_1 &= \ell^2\,\nabla\cdot\big(\nabla u_1 - \chi u_1 \nabla u_2 - \xi u_1 \nabla u_3\big)
#                   + \mu u_1 (r - u_1 - u_3),\\
# \sigma\,\partial_t u_2 &= \ell^2 \Delta u_2 - (u_2 - u_1),\\
# \partial_t u_3 &= -u_2 u_3 + \eta\, u_3 (1 - u_1 - u_3).
# \end{aligned} $$
#
# Cells cannot proliferate in intact matrix ($r - u_1 - u_3 < 0$ where $u_3 = 1$), so the
# tumour grows only as fast as its enzyme clears the way. Run with
# `docker/env.sh mpiexec -n 2 python demos/cancer_invasion_front.py`; with `CI` set it stops
# at t = 2 instead of 8.

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
OUTPUT = Path("results/cancer_invasion_front")
# -

# ## Model and parameters
#
# `demos/cancer_invasion.toml` keeps the built-in defaults (chemotaxis $\chi = 0.5$,
# haptotaxis $\xi = 1$, proliferation $\mu = 10$, $r = 1$, fast enzyme $\sigma = 0.1$,
# matrix remodelling $\eta = 0.5$) and sets $\ell = 0.05$: the 2 x 1 section is 40 x 20
# length units of (55), so the enzyme's range $\ell$ is small compared with the tissue.
# A small tumour (radius about 0.1) sits between the vessels, in a hole of the matrix.

config = fc.load_config(DEMOS / "cancer_invasion.toml")
model = config.model
t_end = 2.0 if SHORT else config.t_end
if comm.rank == 0:
    for sp, equation in zip(model.species, model.equations()):
        print(f"    {equation}    ({sp.description})")

# ## Mesh and run
#
# The ECM has no diffusion: at every point it is an ordinary differential equation, solved
# together with the other two species in one coupled system at every step.

tissue = fc.generate("tissue-section", comm, **config.mesh.parameters)
sim = fc.Simulation.from_config(config, mesh=tissue)
history = list(fc.advance_with_progress(sim, t_end, config.output.interval))  # statistics per output time
stats = history[-1]

# ## A physical check: the matrix is only degraded
#
# Where no cells are, $\partial_t u_3 = \eta u_3 (1 - u_3) \le 0$ for $u_3 \ge 1$ and the
# enzyme only removes matrix, so the ECM can never exceed 1 (its initial maximum); it
# must stay in $[0, 1]$ up to the discretisation's small over- and undershoots. The
# degraded area (where $u_3 < 1/2$) measures the invasion.

degraded = ufl.conditional(ufl.lt(sim.u["u3"], 0.5), 1.0, 0.0)
area = comm.allreduce(dolfinx.fem.assemble_scalar(dolfinx.fem.form(degraded * ufl.dx)), op=MPI.SUM)
if comm.rank == 0:
    print(
        f"ECM range at t = {sim.time:g}: [{stats['u3']['min']:.4f}, {stats['u3']['max']:.4f}] (must stay in [0, 1]); "
        f"degraded area {area:.4f}; tumour cells {stats['u1']['mass']:.5f}"
    )
assert -1e-3 < stats["u3"]["min"] and stats["u3"]["max"] < 1 + 1e-3

# ## Looking at the result
#
# A roughly circular invasion front: cells near $u_1 = 1$ inside, the enzyme just inside
# the front, and a hole of degraded matrix that grows towards the vessels.

if comm.rank == 0:
    OUTPUT.mkdir(parents=True, exist_ok=True)
comm.Barrier()
picture = OUTPUT / "species.png"
fc.save_species_png(list(sim.u.values()), picture, time=sim.time, title="Cancer invasion (chemotaxis + haptotaxis)")
if comm.rank == 0 and not SHORT:
    fc.save_small_copy(picture, DEMOS / "images" / "cancer_invasion_front.png")

# ## The stored quantity: the total of cancer cells at the end

if comm.rank == 0:
    result = {"quantity": "u1_mass", "value": stats["u1"]["mass"], "time": sim.time, "short": SHORT}
    (OUTPUT / "demo.json").write_text(json.dumps(result, indent=2))
    print(f"cancer cells at t = {sim.time:g}: {result['value']:.6f} -> {picture}")
