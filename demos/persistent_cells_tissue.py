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

# # Persistent run-and-tumble cells on a tissue section, beside their derived PDE
#
# A swimming *E. coli* does not forget its heading at a tumble: the angle $\theta$ between
# the runs before and after has a mean cosine $\psi \approx 0.33$. With a von Mises
# turning-angle density $\propto e^{\kappa\cos\theta}$ the mean cosine is
# $\psi = I_1(\kappa)/I_0(\kappa)$ ($\kappa = 0.7$ gives 0.33), the velocity forgets itself
# at the rate $\lambda(1-\psi)$ instead of $\lambda$, and the derived diffusion is
#
# $$ d = \frac{s^2}{n\,\lambda\,(1-\psi)} \qquad (n = 2), $$
#
# half as large again as for tumbles that forget the heading. The vessels of the tissue
# section release a chemoattractant $c$ (fixed here), and the cells run longer up its gradient
# (tumbling rate $\lambda(1 - k(c)\, w\cdot\nabla c)$) with a receptor-like strength
# $k(c) = k_0/(1 + c/K)$ that weakens where $c$ is high: the chapter's $k(S)$ of
# (7.3.15)-(7.3.16), which makes the sensitivity depend on the level,
# $\chi(c) = k(c)\, s^2/n$ (for this mechanism the persistence cancels from $\chi$).
#
# `fem_chemotaxis.kinetics.derive` turns the SPEC into that model, solved with finite
# elements; `fem_chemotaxis.particles.RunAndTumble` runs the same cells one by one, the
# vessels reflecting them as the no-flux walls of the PDE do.
#
# Run with `docker/env.sh mpiexec -n 2 python demos/persistent_cells_tissue.py`; with `CI`
# set it runs to t = 0.8 with 8 000 particles instead of t = 3 with 60 000.

# +
import dataclasses
import json
import os
import time
from functools import reduce
from pathlib import Path

import dolfinx
import numpy as np
import ufl
from matplotlib.figure import Figure
from matplotlib.patches import Circle

from mpi4py import MPI

import fem_chemotaxis as fc

comm = MPI.COMM_WORLD
SHORT = bool(os.environ.get("CI"))
COUNT = 8_000 if SHORT else 60_000
T_END = 0.8 if SHORT else 3.0
DT = 0.02
DEMOS = Path(__file__).resolve().parent if "__file__" in globals() else Path("demos").resolve()
OUTPUT = Path("results/persistent_cells_tissue")
# -

# ## The tissue and the chemoattractant
#
# The section is the `tissue-section` geometry: 2 x 1 with three vessels (holes). Each vessel
# wall releases the attractant, which falls off over a distance $w = 0.1$ from the wall; its
# level and its gradient both vary across the section.

VESSELS = [(0.5, 0.5, 0.12), (1.3, 0.35, 0.1), (1.45, 0.72, 0.08)]
SECTION = {"length": 2.0, "height": 1.0, "vessels": [list(v) for v in VESSELS]}
AREA = 2.0 - np.pi * sum(r * r for _, _, r in VESSELS)  # cell densities are shown relative to uniform = 1
WALLS = [f"(sqrt((x - {x})^2 + (y - {y})^2) - {r})" for x, y, r in VESSELS]  # distance to each wall
ATTRACTANT = " + ".join(f"exp(-{wall}^2/0.02)" for wall in WALLS)

# ## The cells: a SPEC with a turning angle and a level-dependent taxis
#
# Speed 1, 20 tumbles per unit time, von Mises turning angles with $\kappa = 0.7$, run-length
# taxis with $k(c) = 0.12/(1 + c/0.3)$. The `run` table describes the continuum run the
# derivation emits (the attractant is an immobile species: it keeps its initial profile).

SPEC = {
    "cells": {
        "dimension": 2,
        "turning_rate": 20.0,
        "velocities": {"kind": "sphere", "speed": 1.0},
        "turning_angle": {"kind": "von-mises", "kappa": 0.7},
        "taxis": {"mechanism": "run-length", "strength": "k0/(1 + c/K)"},
    },
    "signal": {"name": "c", "description": "attractant released by the vessels (fixed)"},
    "parameters": {"k0": 0.12, "K": 0.3},
    "run": {
        "mesh": {"generator": "tissue-section", "parameters": {**SECTION, "size": 0.05}},
        "initial": {"u": "1", "c": ATTRACTANT},
        "time": {"t_end": T_END, "dt": DT, "scheme": "bdf2"},
    },
}

started = time.perf_counter()
derivation = fc.kinetics.derive(fc.kinetics.parse_spec(SPEC, source="persistent_cells_tissue"))
if comm.rank == 0:
    print(derivation.report(), flush=True)
for coefficient in derivation.coefficients.values():
    assert coefficient.relative_difference is not None and coefficient.relative_difference < 1e-8, coefficient
psi, d = derivation["psi"].value, derivation["D"].scalar

# ## Cells and continuum
#
# The finite-element model is solved with BDF2 steps. The particles start uniformly in the
# section (outside the vessels) with random headings; their random numbers do not depend on
# the number of MPI ranks.

config = fc.ConfigDocument(fc.kinetics.run_config(derivation)).parse()
config = dataclasses.replace(config, time=dataclasses.replace(config.time, dt=DT, scheme="bdf2"))
continuum = fc.Simulation.from_config(config, comm)
cells = fc.particles.RunAndTumble(
    derivation.spec.law,
    COUNT,
    box=[2.0, 1.0],
    obstacles=VESSELS,
    signal=fc.particles.ExpressionSignal(ATTRACTANT, 2),
    seed=2025,
    comm=comm,
)
tic = time.perf_counter()
continuum.advance_to(T_END)
toc = time.perf_counter()
cells.advance(T_END, DT)
if comm.rank == 0:
    print(f"t = {T_END}: FE model {toc - tic:.1f} s, {COUNT} particles {time.perf_counter() - toc:.1f} s", flush=True)

# ## A physical check: how close to the vessels the cells gathered
#
# The cells' mean "vessel proximity" $\langle e^{-\delta^2/(2 \cdot 0.1^2)} \rangle$, $\delta$ the
# distance to the nearest vessel wall (1 on a wall, 0 far away), from the particles and from
# the finite-element density. It started at its uniform value and rose as the cells climbed
# the attractant. The particles' value has a standard error $\sim 1/\sqrt N$; the diffusion
# limit is itself an approximation: the velocity relaxes at rate $\gamma = \lambda(1-\psi)$, so
# the drift builds up with a lag $1/\gamma$, which bounds the deterministic difference by
# (rise of the proximity) / ($\gamma t$). Tolerance: 4 standard errors plus that lag.

distance = fc.Expression.parse(reduce(lambda a, b: f"min({a}, {b})", WALLS), "distance to the nearest vessel wall")
x = ufl.SpatialCoordinate(continuum.mesh)
proximity_weight = ufl.exp(
    -(reduce(ufl.min_value, [ufl.sqrt((x[0] - a) ** 2 + (x[1] - b) ** 2) - r for a, b, r in VESSELS]) ** 2) / 0.02
)


def mean_over(weight, density) -> float:
    """The mean of a weight over a density on the tissue section."""
    integral = [
        comm.allreduce(dolfinx.fem.assemble_scalar(dolfinx.fem.form(f * ufl.dx)), op=MPI.SUM)
        for f in (weight * density, density)
    ]
    return integral[0] / integral[1]


proximity_fe = mean_over(proximity_weight, continuum.u["u"])
uniform = mean_over(proximity_weight, dolfinx.fem.Constant(continuum.mesh, 1.0))
depth = distance.numeric({"x": cells.x[:, 0], "y": cells.x[:, 1]})
proximity = cells.estimate(np.exp(-(depth**2) / 0.02))
gamma = 20.0 * (1 - psi)
lag = abs(proximity_fe - uniform) / (gamma * T_END)
tolerance = 4 * float(proximity.standard_error) + lag
if comm.rank == 0:
    print(
        f"vessel proximity: uniform {uniform:.4f}; finite elements {proximity_fe:.4f}; particles "
        f"{float(proximity.mean):.4f} +- {float(proximity.standard_error):.4f} (SE); tolerance {tolerance:.4f} "
        f"(4 SE + drift lag {lag:.4f})"
    )
assert abs(float(proximity.mean) - proximity_fe) <= tolerance
assert proximity_fe > uniform + 2 * tolerance  # the cells did gather at the vessels

# ## Looking at the result
#
# The particle density is estimated on a coarse mesh of the same section (cloud-in-cell onto
# P1); next to it, what that estimate would give on average for the finite-element density,
# and the particles themselves over the attractant.

coarse = fc.generate("tissue-section", comm, **SECTION, size=0.1).mesh
expected = fc.particles.expected_density(continuum.u["u"], coarse, mass=AREA)
estimate = cells.density(coarse, "P1", mass=AREA)
l1, statistical = expected.l1_distance(estimate) / AREA, expected.statistical_l1(COUNT) / AREA
expected.function.name, estimate.name = "finite elements", "particles"
grid = fc.gather_grid([expected.function, estimate])
positions = cells.gather()
if comm.rank == 0:
    OUTPUT.mkdir(parents=True, exist_ok=True)
    triangles = grid.cells.reshape(-1, 4)[:, 1:]
    figure = Figure(figsize=(16, 4.4), layout="constrained")
    axes = figure.subplots(1, 3)
    shown = positions[np.random.default_rng(0).permutation(len(positions))[:15_000]]
    level = fc.Expression.parse(ATTRACTANT, "c").numeric({"x": shown[:, 0], "y": shown[:, 1]})
    axes[0].scatter(shown[:, 0], shown[:, 1], s=0.5, c=level, cmap="Greens", vmin=-0.5, vmax=1.2)
    axes[0].set_title(f"{len(shown)} of {COUNT} cells (colour: attractant they sense)")
    top = max(grid.point_data["particles"].max(), grid.point_data["finite elements"].max())
    for ax, name in zip(axes[1:], ("particles", "finite elements")):
        image = ax.tripcolor(
            grid.points[:, 0],
            grid.points[:, 1],
            triangles,
            grid.point_data[name],
            shading="gouraud",
            vmin=0,
            vmax=top,
            cmap="viridis",
        )
        ax.set_title(
            f"{name}: cell density" + (" (P1 cloud-in-cell)" if name == "particles" else " (as the estimate sees it)")
        )
    figure.colorbar(image, ax=axes[1:], shrink=0.85, label="cell density (uniform = 1)")
    for ax in axes:
        for a, b, r in VESSELS:
            ax.add_patch(Circle((a, b), r, color="firebrick"))
        ax.set_aspect("equal")
        ax.set_xlim(0, 2)
        ax.set_ylim(0, 1)
    figure.suptitle(
        f"Persistent cells (psi = {psi:.2f}, d = s^2/(n lambda (1 - psi)) = {d:.4f}) at t = {T_END:g}: "
        f"relative L1 distance {l1:.3f} (statistical part expected {statistical:.3f})"
    )
    figure.savefig(OUTPUT / "comparison.png", dpi=100)
    if not SHORT:
        fc.save_small_copy(OUTPUT / "comparison.png", DEMOS / "images" / "persistent_cells_tissue.png")
    print(f"wrote {OUTPUT / 'comparison.png'} ({time.perf_counter() - started:.1f} s)")

# ## The stored quantity: the continuum's vessel proximity at the end

if comm.rank == 0:
    result = {"quantity": "vessel_proximity_continuum", "value": proximity_fe, "time": T_END, "short": SHORT}
    (OUTPUT / "demo.json").write_text(json.dumps(result, indent=2))
    print(f"vessel proximity of the continuum at t = {T_END:g}: {proximity_fe:.6f}")
