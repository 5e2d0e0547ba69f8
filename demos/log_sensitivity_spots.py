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

# # Spots from nonlinear diffusion and logarithmic sensitivity
#
# Cells $u_1$ respond to the logarithm of a signal $u_2$ (sensitivity $u_1/u_2$: they
# sense relative changes, Weber's law) and diffuse faster where they are crowded relative
# to the signal (cross-diffusion file, eq. (62)):
#
# $$ \begin{aligned}
# \partial_t u_1 &= \nabla\cdot\Big(d\big(1 + a\,\tfrac{u_1}{u_2}\big)\nabla u_1 - \tfrac{u_1}{u_2}\nabla u_2\Big) - u_1 u_2 + h,\\
# \partial_t u_2 &= \eta\,\Delta u_2 - u_2 + u_1 u_2 + k .
# \end{aligned} $$
#
# The uniform state $(u_1, u_2) = (h/(h + k), h + k) = (0.5, 2)$ is unstable: linearising
# about it, a Laplacian mode $\cos(q x)$ grows like $e^{\lambda(q^2) t}$, with
# $\lambda(q^2)$ the largest eigenvalue of $J - q^2 M$ ($J$ the Jacobian of the
# reactions, $M$ the linearised diffusion and taxis). From 5 % noise, spots of cells form
# on signal peaks. Run with
# `docker/env.sh mpiexec -n 2 python demos/log_sensitivity_spots.py`; with `CI` set it
# stops at t = 4.5 instead of 15.

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
OUTPUT = Path("results/log_sensitivity_spots")
# -

# ## Model, parameters and linear theory
#
# `demos/nonlinear_diffusion_log_sensitivity.toml` uses the defaults $d = 0.05$, $a = 4$,
# $\eta = 0.05$, $h = k = 1$. `fem_chemotaxis.analysis` finds the uniform steady state
# and evaluates the dispersion relation $\lambda(q^2)$; its maximum is the mode that
# should dominate the early pattern.

config = fc.load_config(DEMOS / "nonlinear_diffusion_log_sensitivity.toml")
model = config.model
t_end = 4.5 if SHORT else config.t_end
state = fc.analysis.homogeneous_steady_state(model, {"u1": 0.5, "u2": 2.0})
q2 = np.linspace(0.01, 200.0, 4000)
rates = np.array([fc.analysis.growth_rates(model, state, value)[0].real for value in q2])
fastest = q2[np.argmax(rates)]
unstable = q2[rates > 0]
if comm.rank == 0:
    for equation in model.equations():
        print("   ", equation)
    print(f"uniform steady state: u1 = {state['u1']:.4f}, u2 = {state['u2']:.4f}")
    wavelength = 2 * np.pi / np.sqrt([unstable.max(), unstable.min(), fastest])
    print(
        f"unstable wavelengths {wavelength[0]:.2f} to {wavelength[1]:.2f}; "
        f"fastest {wavelength[2]:.2f}, growth rate {rates.max():.4f}"
    )

# ## Mesh and run
#
# Every output time we record the pattern's amplitude, $\max u_1 - \min u_1$.

tissue = fc.generate("tissue-section", comm, **config.mesh.parameters)
sim = fc.Simulation.from_config(config, mesh=tissue)
amplitude = [
    (sim.time, stats["u1"]["max"] - stats["u1"]["min"])
    for stats in fc.advance_with_progress(sim, t_end, config.output.interval)
]

# ## A physical check: growth at the rate of linear theory
#
# While the pattern is small it grows exponentially. The noise excites every mode; the
# damped ones die out within the first output interval or two, after which the amplitude
# grows at close to the largest rate of the dispersion relation (a little below it: the
# modes of the section near the fastest one grow a little slower). A step of the scheme
# multiplies a mode by $R(\lambda\Delta t)$, $R$ its stability function
# (`sim.scheme.amplification`: $1/(1 - z)$ for backward Euler, which speeds growth up by
# 2.8 % here; the default ros34pw2's is $e^{z}$ to 2e-7 a step), so the predicted rate is
# $\log R(\lambda\Delta t)/\Delta t$ (measured: the observed rate is 0.935 of it).

(t0, a0), (t1, a1) = amplitude[1], amplitude[3]
observed = np.log(a1 / a0) / (t1 - t0)
dt = config.time.dt
predicted = np.log(complex(sim.scheme.amplification(rates.max() * dt)).real) / dt  # the fastest mode, as stepped
if comm.rank == 0:
    print("amplitude of u1: " + ", ".join(f"{a:.4g} (t = {t:g})" for t, a in amplitude))
    print(
        f"observed growth rate between t = {t0:g} and {t1:g}: {observed:.4f}; linear theory: fastest mode "
        f"{rates.max():.4f}, {predicted:.4f} after {sim.scheme.name} (ratio observed/theory {observed / predicted:.3f})"
    )
assert abs(observed / predicted - 1) < 0.1

# ## Looking at the result
#
# By t = 15 a few stationary spots of cells (up to $u_1 \approx 7$) sit on peaks of the
# signal. The crowding term $a u_1/u_2$ in the diffusion is what stops them from
# sharpening further.

if comm.rank == 0:
    OUTPUT.mkdir(parents=True, exist_ok=True)
comm.Barrier()
picture = OUTPUT / "species.png"
fc.save_species_png(list(sim.u.values()), picture, time=sim.time, title="Nonlinear diffusion, logarithmic sensitivity")
if comm.rank == 0 and not SHORT:
    fc.save_small_copy(picture, DEMOS / "images" / "log_sensitivity_spots.png")

# ## The stored quantity: the pattern's amplitude at the end

if comm.rank == 0:
    result = {"quantity": "u1_amplitude", "value": amplitude[-1][1], "time": sim.time, "short": SHORT}
    (OUTPUT / "demo.json").write_text(json.dumps(result, indent=2))
    print(f"amplitude of u1 at t = {sim.time:g}: {result['value']:.6f} -> {picture}")
