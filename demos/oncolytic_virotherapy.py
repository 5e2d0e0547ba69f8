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

# # Oncolytic virotherapy: an infection ring clearing a tumour
#
# A tumour is treated with a virus that infects and kills its cells (cross-diffusion file,
# eqs. (4)/(48), here on a fixed domain). Uninfected tumour cells $u_1$, infected cells
# $u_2$, extracellular matrix $u_3$ (immobile) and virus $u_4$; cells and virus move up the
# matrix gradient (haptotaxis), infection follows a Beddington-DeAngelis law:
#
# $$ \begin{aligned}
# \partial_t u_1 &= \nabla\cdot(D_1 \nabla u_1 - \xi_1 u_1 \nabla u_3) + \mu_1 u_1 (1 - u_1^r) - I, \\
# \partial_t u_2 &= \nabla\cdot(D_2 \nabla u_2 - \xi_2 u_2 \nabla u_3) + I - \delta_2 u_2, \\
# \partial_t u_3 &= -u_3 (\alpha_1 u_1 + \alpha_2 u_2) + \mu_3 u_3 (1 - u_3), \\
# \partial_t u_4 &= \nabla\cdot(D_4 \nabla u_4 - \xi_4 u_4 \nabla u_3) + \beta u_2 - \delta_4 u_4 - I,
# \qquad I = \frac{\rho\, u_1 u_4}{k_{u_1} + \theta u_1}.
# \end{aligned} $$
#
# (Moving-boundary growth of the tumour, $\Omega(t)$ in the source, is left out here.)
# Run with `docker/env.sh mpiexec -n 2 python demos/oncolytic_virotherapy.py`; with `CI`
# set it stops at t = 1 instead of 3.

# +
import json
import os
from pathlib import Path

from mpi4py import MPI

import fem_chemotaxis as fc

comm = MPI.COMM_WORLD
fc.configure_logging(0, comm)
SHORT = bool(os.environ.get("CI"))
DEMOS = Path(__file__).resolve().parent if "__file__" in globals() else Path("demos").resolve()
OUTPUT = Path("results/oncolytic_virotherapy")
# -

# ## Model and parameters
#
# `demos/oncolytic_virus.toml`: the tissue section filled with tumour at its carrying
# capacity ($u_1 = 1$, matrix at its equilibrium $1 - \alpha_1/\mu_3 = 0.5$), and a dose
# of virus injected at the centre. Infection rate $\rho = 5$ and burst size $\beta = 5$.
# Will the virus take hold? In a tumour at $u_1 = 1$, one infected cell makes
# $\beta/\delta_2$ virions over its life, each of which infects before decaying with
# probability $\rho u_1/(k_{u_1} + \theta u_1) / (\delta_4 + \rho u_1/(k_{u_1} + \theta u_1))$:
# the reproduction number is their product.

config = fc.load_config(DEMOS / "oncolytic_virus.toml")
model = config.model
p = model.parameters
t_end = 1.0 if SHORT else config.t_end
infection = p["rho"] / (p["k_u1"] + p["theta"])
reproduction = p["beta"] / p["delta2"] * infection / (p["delta4"] + infection)
if comm.rank == 0:
    for sp, equation in zip(model.species, model.equations()):
        print(f"    {equation}    ({sp.description})")
    print(f"virus reproduction number in the untreated tumour: {reproduction:.3f} (> 1: the infection spreads)")

# ## Mesh and run

tissue = fc.generate("tissue-section", comm, **config.mesh.parameters)
sim = fc.Simulation.from_config(config, mesh=tissue)
history = list(fc.advance_with_progress(sim, t_end, config.output.interval))  # statistics per output time
first = history[0]

# ## A physical check: the infection takes hold
#
# With a reproduction number above 1 the number of infected cells must grow from zero and
# the tumour must shrink; with one below 1 the dose would die out.

last = sim.statistics()
if comm.rank == 0:
    print(
        f"t = 0 -> {sim.time:g}: infected cells {first['u2']['mass']:.4f} -> {last['u2']['mass']:.4f}, "
        f"virus {first['u4']['mass']:.4f} -> {last['u4']['mass']:.4f}, "
        f"uninfected tumour {first['u1']['mass']:.4f} -> {last['u1']['mass']:.4f}"
    )
assert last["u2"]["mass"] > 0.01 and last["u1"]["mass"] < first["u1"]["mass"]

# ## Looking at the result
#
# The virus spreads as an expanding ring of infected cells ($u_2$) with the virus ($u_4$)
# behind it; inside the ring the tumour is cleared and the matrix grows back.

if comm.rank == 0:
    OUTPUT.mkdir(parents=True, exist_ok=True)
comm.Barrier()
picture = OUTPUT / "species.png"
fc.save_species_png(list(sim.u.values()), picture, time=sim.time, title="Oncolytic virotherapy (haptotaxis)")
if comm.rank == 0 and not SHORT:
    fc.save_small_copy(picture, DEMOS / "images" / "oncolytic_virotherapy.png")

# ## The stored quantity: the uninfected tumour left at the end

if comm.rank == 0:
    result = {"quantity": "u1_mass", "value": last["u1"]["mass"], "time": sim.time, "short": SHORT}
    (OUTPUT / "demo.json").write_text(json.dumps(result, indent=2))
    print(f"uninfected tumour cells at t = {sim.time:g}: {result['value']:.6f} -> {picture}")
