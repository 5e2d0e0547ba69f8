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

# # Virus infection spreading from a blood vessel: May-Nowak dynamics with chemotaxis
#
# Healthy cells $u_1$, infected cells $u_2$ and free virus $u_3$ (cross-diffusion file,
# eq. (2)). Healthy cells are produced at rate $r_0$ and die at rate $d_1$, are infected by
# the virus at rate $\beta u_1 u_3$, and move up the gradient of the infected cells:
#
# $$ \begin{aligned}
# \partial_t u_1 &= D_1 \Delta u_1 - \chi \nabla\cdot(u_1 \nabla u_2) + r_0 - d_1 u_1 - \beta u_1 u_3,\\
# \partial_t u_2 &= D_2 \Delta u_2 + \beta u_1 u_3 - d_2 u_2,\\
# \partial_t u_3 &= D_3 \Delta u_3 + k u_2 - d_3 u_3 .
# \end{aligned} $$
#
# Without virus the tissue rests at $u_1 = r_0/d_1 = 3$. The infection spreads if the
# basic reproduction number $R_0 = \beta k r_0/(d_1 d_2 d_3) = 3$ exceeds 1, and then
# settles to the infected steady state
# $u_1^* = d_2 d_3/(\beta k) = 1$, $u_2^* = (r_0 - d_1 u_1^*)/d_2 = 2$, $u_3^* = k u_2^*/d_3 = 2$.
#
# Virus enters through the wall of the left vessel during the first time unit (a flux
# boundary condition). Run with `docker/env.sh mpiexec -n 2 python demos/may_nowak_infection.py`;
# with `CI` set it stops at t = 1.5 instead of 4.

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
OUTPUT = Path("results/may_nowak_infection")
# -

# ## Model and parameters
#
# `demos/may_nowak_chemotaxis.toml` uses the built-in defaults ($D_1 = D_3 = 0.05$,
# $D_2 = 0.1$, all rates 1, $r_0 = 3$) and a gentle attraction $\chi = 0.2$: above
# $\chi \approx 0.275$ the infected state itself becomes unstable and forms hotspots.
# The virus source is the `[[boundary]]` table: an inward flux
# `0.5*heaviside(1 - t)` of $u_3$ on `vessel_1`.

config = fc.load_config(DEMOS / "may_nowak_chemotaxis.toml")
model = config.model
t_end = 1.5 if SHORT else config.t_end
p = model.parameters
if comm.rank == 0:
    for equation in model.equations():
        print("   ", equation)
    r0_number = p["beta"] * p["k"] * p["r0"] / (p["d1"] * p["d2"] * p["d3"])
    print(
        f"basic reproduction number R0 = {r0_number:g}; virus source: {config.boundary_conditions[0].value} "
        f"on {', '.join(config.boundary_conditions[0].on)}"
    )

# ## Linear theory: how fast should the infection spread?
#
# Ahead of the front the tissue is healthy ($u_1 = 3$) and the infected cells and virus
# are few, so they obey the linearised equations
# $\partial_t (u_2, u_3) = \mathrm{diag}(D_2, D_3) \Delta (u_2, u_3) + A (u_2, u_3)$ with
# $A = \begin{pmatrix} -d_2 & \beta u_1 \\ k & -d_3 \end{pmatrix}$. Such a "pulled" front
# travels at the linear spreading speed $c^* = \min_{s > 0} \lambda(s)/s$, where
# $\lambda(s)$ is the largest eigenvalue of $A + s^2\,\mathrm{diag}(D_2, D_3)$ (a profile
# $e^{-s x}$ moving at $\lambda(s)/s$), the system version of Fisher's $2\sqrt{D r}$.

healthy = p["r0"] / p["d1"]
decay = np.linspace(0.2, 20.0, 2000)
speeds = [
    np.linalg.eigvals(
        np.array([[p["D2"] * s_**2 - p["d2"], p["beta"] * healthy], [p["k"], p["D3"] * s_**2 - p["d3"]]])
    ).real.max()
    / s_
    for s_ in decay
]
linear_speed = min(speeds)
if comm.rank == 0:
    print(
        f"linear spreading speed c* = {linear_speed:.4f} (decay rate of the front s = {decay[np.argmin(speeds)]:.3f})"
    )

# ## Mesh and run
#
# The tissue section of `fem_chemotaxis.mesh.generate("tissue-section")`: 2 x 1 with three
# vessel holes whose walls are the physical groups `vessel_1`, `vessel_2`, `vessel_3`.
# At every output time we record the front's position: the largest $x$ where
# $u_2 > 0.2$ (a tenth of $u_2^*$), reduced over the MPI ranks.

tissue = fc.generate("tissue-section", comm, **config.mesh.parameters)
sim = fc.Simulation.from_config(config, mesh=tissue)
infected = sim.u["u2"]
x_nodes = infected.function_space.tabulate_dof_coordinates()[:, 0]
owned = infected.function_space.dofmap.index_map.size_local


def front_position() -> float:
    behind = infected.x.array[:owned] > 0.2
    return comm.allreduce(float(x_nodes[:owned][behind].max(initial=0.0)), op=MPI.MAX)


front = [(sim.time, front_position()) for _ in fc.advance_with_progress(sim, t_end, config.output.interval)][1:]

# ## A physical check: the front speed
#
# From t = 0.5 to 1.5 the front runs from the source vessel towards the middle of the
# section with nothing in its way (later the other two vessels stand in it, and by
# t = 3.5 it has reached the right edge). Over that stretch it should move at close to
# $c^*$: within 10 %, because the front is young and curved (a pulled front settles to
# $c^*$ slowly), and the virus entering at the vessel until t = 1 pushes it (measured: 0.995
# $c^*$). The chemotaxis of the healthy cells acts behind the front.

(t0, x0), (t1, x1) = front[0], front[2]  # t = 0.5 and 1.5
observed = (x1 - x0) / (t1 - t0)
if comm.rank == 0:
    print("front position: " + ", ".join(f"{x:.3f} (t = {t:g})" for t, x in front))
    print(
        f"front speed between t = {t0:g} and {t1:g}: {observed:.4f}; linear spreading speed {linear_speed:.4f} "
        f"(ratio {observed / linear_speed:.3f})"
    )
assert abs(observed / linear_speed - 1) < 0.1

# ## Looking at the result
#
# The infection front (infected cells $u_2$, virus $u_3$) sweeps from the left vessel
# across the section; healthy cells are depleted behind it, and chemotaxis draws healthy
# cells towards the infected zone (the ridge of $u_1$ around the front).

if comm.rank == 0:
    OUTPUT.mkdir(parents=True, exist_ok=True)
comm.Barrier()
picture = OUTPUT / "species.png"
fc.save_species_png(list(sim.u.values()), picture, time=sim.time, title="May-Nowak infection with chemotaxis")
if comm.rank == 0 and not SHORT:
    fc.save_small_copy(picture, DEMOS / "images" / "may_nowak_infection.png")

# ## The stored quantity: the total of infected cells at the end

infected_total = sim.statistics()["u2"]["mass"]
if comm.rank == 0:
    result = {"quantity": "u2_mass", "value": infected_total, "time": sim.time, "short": SHORT}
    (OUTPUT / "demo.json").write_text(json.dumps(result, indent=2))
    print(f"infected cells at t = {sim.time:g}: {infected_total:.6f} -> {picture}")
