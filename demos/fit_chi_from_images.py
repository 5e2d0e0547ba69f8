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

# # Fitting the chemotactic sensitivity to "microscopy" pictures of an aggregation
#
# Two clusters of cells on a tissue section attract each other's cells by Keller-Segel
# chemotaxis (chapter eqs. 7.2.1-7.2.2) while they diffuse:
#
# $$ \partial_t u = \nabla\cdot(d\,\nabla u - \chi\, u\,\nabla s), \qquad
#    \partial_t s = \Delta s + u - s . $$
#
# A time-lapse microscope gives grayscale pictures of the cell density. How fast the
# clusters spread depends on how strongly chemotaxis holds them together: which $\chi$
# explains the pictures? Here the pictures are synthetic: a run with $\chi = 2.5$, rendered into
# 8-bit PNG files with 2 % pixel noise. `fem-chemotaxis fit` (here `fc.fit`, the same in
# Python) reads them, places them on the mesh by its bounding box, and minimises the
# weighted L2 misfit over $\chi$ with L-BFGS-B, the gradient coming from the adjoint of the
# discrete time steps (one backward run per gradient, whatever the number of parameters).
# Run with `docker/env.sh mpiexec -n 2 python demos/fit_chi_from_images.py`; with `CI` set
# it uses a coarser mesh and fewer pictures.

# +
import json
import os
from pathlib import Path

import imageio.v3 as iio
import numpy as np

from mpi4py import MPI

import fem_chemotaxis as fc

comm = MPI.COMM_WORLD
fc.configure_logging(0, comm)
SHORT = bool(os.environ.get("CI"))
DEMOS = Path(__file__).resolve().parent if "__file__" in globals() else Path("demos").resolve()
OUTPUT = Path("results/fit_chi_from_images").resolve()
TRUE_CHI, START_CHI = 2.5, 1.0
SIZE, PICTURES = (0.08, 5) if SHORT else (0.04, 10)
DT, EVERY = 0.05, 4  # a picture every 4 steps
# -

# ## The experiment: a run with the true $\chi$, photographed
#
# The run config is written out, as a study would keep it; the fit will use it with its
# own start value of $\chi$.

RUN = f"""
[mesh]
generator = "tissue-section"
[mesh.parameters]
size = {SIZE}

[model]
name = "keller-segel"
[model.parameters]
d = 0.2
chi = {START_CHI}

[initial]
u = "1 + 0.5*exp(-((x - 0.35)**2 + (y - 0.6)**2)/0.02) + 0.4*exp(-((x - 1.5)**2 + (y - 0.4)**2)/0.03)"
s = "1"

[time]
t_end = {PICTURES * EVERY * DT}
dt = {DT}
scheme = "backward-euler"
"""
if comm.rank == 0:
    (OUTPUT / "pictures").mkdir(parents=True, exist_ok=True)
    (OUTPUT / "run.toml").write_text(RUN)
comm.Barrier()
config = fc.load_config(OUTPUT / "run.toml")
document = fc.ConfigDocument.read(OUTPUT / "run.toml")
truth = fc.Simulation.from_config(document.with_value(("model", "parameters", "chi"), TRUE_CHI).parse(), comm)

# The microscope sees the bounding box of the section (2 x 1) in 100 x 200 pixels; a gray
# level g in [0, 1] is the density 4 g. The holes (vessels) show the nearest tissue.

BOX, SHAPE, WHITE = fc.fitting.bounding_box(truth.mesh), (100, 200), 4.0
rng = np.random.default_rng(2026)  # the same noise on every rank
pictures, times = [], []
for k in range(1, PICTURES + 1):
    truth.advance_to(k * EVERY * DT)
    gray = fc.fitting.sample_field(truth.u["u"], BOX, SHAPE) / WHITE
    gray = np.clip(gray * (1 + 0.02 * rng.standard_normal(SHAPE)), 0.0, 1.0)  # 2 % noise
    path = OUTPUT / "pictures" / f"cells_{k:02d}.png"
    if comm.rank == 0:
        iio.imwrite(path, np.round(255 * gray).astype(np.uint8))
    pictures.append(path.name)
    times.append(round(truth.time, 12))
comm.Barrier()
peak = truth.statistics()["u"]["max"]
if comm.rank == 0:
    print(f"{len(pictures)} pictures of t = {times[0]:g} ... {times[-1]:g}; peak density at the end {peak:.3f}")

# ## The fit
#
# The fit file names the run config, the parameter (bounds, optimised in log scale), the
# pictures with their times, species and gray-level range, and the optimiser. The same file
# runs with `fem-chemotaxis fit fit.toml`.

FIT = f"""
run = "run.toml"
output = "{OUTPUT / 'fit'}"

[parameters.chi]
bounds = [0.1, 4.0]                 # chi above about 5 blows up within the run
log = true

[[observations]]
images = {json.dumps([f"pictures/{name}" for name in pictures])}
times = {json.dumps(times)}
species = "u"
range = [0.0, {WHITE}]

[optimiser]
max_iterations = 30
"""
if comm.rank == 0:
    (OUTPUT / "fit.toml").write_text(FIT)
comm.Barrier()
result = fc.fit(OUTPUT / "fit.toml", comm)

# ## How good is it?
#
# The standard error comes from the Gauss-Newton Hessian of the misfit and the noise
# level estimated from the residual; the true value should lie within about two of them.

chi, error = result.parameters["chi"], result.standard_errors["chi"]
if comm.rank == 0:
    print(
        f"chi = {chi:.4f} +- {error:.4f} (truth {TRUE_CHI}, start {START_CHI}; relative error "
        f"{chi / TRUE_CHI - 1:+.2%}) after {result.iterations} iterations, misfit {result.misfit:.4e}"
    )
assert abs(chi - TRUE_CHI) < 0.05 * TRUE_CHI
assert abs(chi - TRUE_CHI) < 3 * error

# `results/fit_chi_from_images/fit/` holds `fit.json`, the misfit history `history.csv`
# and `observed_vs_fitted.png`: the last picture as the mesh sees it, beside the fitted run.

if comm.rank == 0 and not SHORT:
    fc.save_small_copy(OUTPUT / "fit" / "observed_vs_fitted.png", DEMOS / "images" / "fit_chi_from_images.png")

# ## The stored quantity: the fitted chi

if comm.rank == 0:
    OUTPUT.mkdir(parents=True, exist_ok=True)
    stored = {"quantity": "chi_fitted", "value": chi, "time": times[-1], "short": SHORT}
    (Path("results/fit_chi_from_images") / "demo.json").write_text(json.dumps(stored, indent=2))
