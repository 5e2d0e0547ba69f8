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

# # Oncolytic virotherapy on a growing tumour section (moving mesh)
#
# The oncolytic-virus model of the cross-diffusion file, eq. (4), is posed on a domain
# $\Omega(t)$ that evolves in time: uninfected tumour cells $u_1$, infected cells $u_2$,
# extracellular matrix $u_3$ (immobile) and virus $u_4$,
#
# $$ \begin{aligned}
# \partial_t u_1 &= \nabla\cdot(D_1 \nabla u_1 - \xi_1 u_1 \nabla u_3) + \mu_1 u_1 (1 - u_1^r)
#   - \frac{\rho\, u_1 u_4}{k + \theta u_1}, \\
# \partial_t u_2 &= \nabla\cdot(D_2 \nabla u_2 - \xi_2 u_2 \nabla u_3) + \frac{\rho\, u_1 u_4}{k + \theta u_1} - \delta_2 u_2, \\
# \partial_t u_3 &= -u_3 (\alpha_1 u_1 + \alpha_2 u_2) + \mu_3 u_3 (1 - u_3), \\
# \partial_t u_4 &= \nabla\cdot(D_4 \nabla u_4 - \xi_4 u_4 \nabla u_3) + \beta u_2 - \delta_4 u_4
#   - \frac{\rho\, u_1 u_4}{k + \theta u_1}
# \end{aligned} $$
#
# (`fem-chemotaxis show-model oncolytic-virus` prints the exact form and the defaults).
# The file gives no law for $\Omega(t)$. Here the tissue grows logistically about the
# tumour's centre $c$: a material point moves as $x = c + s(t) (X - c)$ with
# $s = K / (1 + (K - 1) e^{-r t})$, so the material velocity is $a = (\dot s / s)(x - c)$
# and every species is carried and diluted by it: (4) holds in the Eulerian form with an
# added $\nabla\cdot(u_i a)$. The mesh follows the material (arbitrary Lagrangian-Eulerian
# with mesh velocity $w = a$), and the package discretises
# $\frac{d}{dt}(u, v)_{\Omega(t)} + (u (w - a), \nabla v) + G(u; v) = 0$ on the mesh of
# each new time level, with the old level's integral carried over exactly
# (`fem_chemotaxis/terms/mesh_velocity.py`).
#
# Run with `docker/env.sh mpiexec -n 2 python demos/oncolytic_virus_growing.py` (a few
# seconds); with `CI` set it stops at t = 0.6.

# +
import json
import os
from pathlib import Path

import numpy as np

from mpi4py import MPI

import fem_chemotaxis as fc

comm = MPI.COMM_WORLD
fc.configure_logging(0, comm)
SHORT = bool(os.environ.get("CI"))
DEMOS = Path(__file__).resolve().parent if "__file__" in globals() else Path("demos").resolve()
OUTPUT = Path("results/oncolytic_virus_growing")
# -

# ## The growing domain and the model
#
# `demos/oncolytic_virus_growing.toml` puts the tumour (an ellipse, cells at capacity,
# matrix half degraded) into stroma on the tumour-stroma geometry and injects a dose of
# virus at its centre. Its `[mesh.motion]` table is all it takes to make the domain grow:
#
# ```toml
# [mesh.motion]
# kind = "logistic-growth"
# rate = 1.0          # r
# capacity = 1.3      # K: the final linear scale
# centre = [1.0, 0.5]
# ```

config = fc.load_config(DEMOS / "oncolytic_virus_growing.toml")
model, motion = config.model, config.motion
t_end = 0.6 if SHORT else config.t_end
if comm.rank == 0:
    print(f"growth: {motion.kind}, r = {motion.rate:g}, K = {motion.capacity:g}, centre {list(motion.centre)}")
    for sp, equation in zip(model.species, model.equations()):
        print(f"    {equation}    ({sp.description})")

# ## Mesh and run
#
# The section is meshed once (gmsh on rank 0, distributed). Before each step the mesh is
# moved to its positions at the new time; its quality (smallest scaled Jacobian) is
# checked on every proposed mesh, and a rejected step puts it back.

section = config.mesh.build(comm)
sim = fc.Simulation.from_config(config, mesh=section)
start = fc.gather_grid([sim.u["u1"]])  # the section at t = 0 (rank 0), for its outline
initial_volume = sim.mesh_statistics()["volume"]
history = list(fc.advance_with_progress(sim, t_end, config.output.interval))  # statistics per output time

# ## A physical check: the domain grows as prescribed
#
# Under uniform scaling by $s(t)$ the area is $|\Omega(t)| = s(t)^2 |\Omega_0|$ exactly,
# also for the discrete mesh. The mesh keeps its quality, since growth only rescales it.

scale = motion.capacity / (1 + (motion.capacity - 1) * np.exp(-motion.rate * sim.time))
mesh_now = sim.mesh_statistics()
expected = scale**2 * initial_volume
if comm.rank == 0:
    print(
        f"|Omega(t = {sim.time:g})| = {mesh_now['volume']:.12f}, s^2 |Omega_0| = {expected:.12f} "
        f"(relative difference {abs(mesh_now['volume'] - expected) / expected:.1e}); "
        f"minimum scaled Jacobian {mesh_now['min_quality']:.3f}"
    )
assert abs(mesh_now["volume"] - expected) < 1e-10 * expected

# ## Looking at the result
#
# All four species on the grown section, with the outline of the section at t = 0 in red:
# the virus clears the tumour from the inside out while the ring of remaining tumour cells
# is carried outwards by the growing tissue.

outline = None
if comm.rank == 0:
    OUTPUT.mkdir(parents=True, exist_ok=True)
    outline = start.extract_feature_edges(boundary_edges=True, feature_edges=False, manifold_edges=False)
comm.Barrier()
picture = OUTPUT / "species.png"
fc.save_species_png(
    list(sim.u.values()), picture, time=sim.time, title="oncolytic virotherapy on a growing section", outline=outline
)
if comm.rank == 0 and not SHORT:
    fc.save_small_copy(picture, DEMOS / "images" / "oncolytic_virus_growing.png")

# ## The stored quantity
#
# The tests run this demo with `CI=1` and compare the amount of uninfected tumour cells at
# the end with `demos/reference.json`.

final = history[-1]
if comm.rank == 0:
    result = {"quantity": "u1_mass", "value": final["u1"]["mass"], "time": sim.time, "short": SHORT}
    (OUTPUT / "demo.json").write_text(json.dumps(result, indent=2))
    print(f"uninfected tumour cells at t = {sim.time:g}: {final['u1']['mass']:.6f} -> {picture}")
