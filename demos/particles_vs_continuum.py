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

# # From run-and-tumble cells to Keller-Segel: particles beside the continuum
#
# Bacteria such as *E. coli* swim in straight runs at speed $s$ and tumble at rate
# $\lambda$, choosing a new direction. If after a tumble they prefer directions up the
# gradient of a chemical, with the new velocity density $M(v)(1 + k\, v\cdot\nabla c)$,
# the cell density obeys, on scales long compared with a run (chemotaxis chapter 7.3), a
# Keller-Segel equation with
#
# $$ d = \frac{s^2}{\lambda n}, \qquad \chi = \frac{k s^2}{n} \qquad (n = 2 \text{ dimensions}). $$
#
# `fem_chemotaxis.kinetics.derive` computes these coefficients by quadrature from a
# description of the cells (the SPEC; `fem-chemotaxis derive SPEC.toml` on the command
# line) and writes the macroscopic model, which we solve with finite elements. The cells
# produce the chemical, which diffuses and decays. Next to it, `fem_chemotaxis.particles`
# simulates the individual cells (exact tumble times, reflecting walls) in the
# finite-element chemical field $c(t)$ (named `s` in the code), from the same initial density. Aggregates form in
# both; the picture compares particles, their density, the finite-element density and a
# cut through the largest aggregate.
#
# Run with `docker/env.sh mpiexec -n 2 python demos/particles_vs_continuum.py`; with `CI`
# set it runs to t = 0.5 with 10 000 particles instead of t = 3.3 with 100 000.

# +
import dataclasses
import json
import os
import time
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from mpi4py import MPI

import fem_chemotaxis as fc

comm = MPI.COMM_WORLD
SHORT = bool(os.environ.get("CI"))
COUNT = 10_000 if SHORT else 100_000
T_END = 0.5 if SHORT else 3.3
DT = 0.02
DEMOS = Path(__file__).resolve().parent if "__file__" in globals() else Path("demos").resolve()
OUTPUT = Path("results/particles_vs_continuum")
# -

# ## The cells: a SPEC
#
# Speed 1, 25 tumbles per unit time, taxis strength $k = 0.3$ ("direction": the new
# direction is biased up the gradient). The same keys as in a SPEC TOML file
# (`demos/derive_run_and_tumble.toml` is one, in micrometres and seconds), here as a Python
# dictionary. The `run` table describes the continuum run the derivation emits.

INITIAL = "1 + 0.4*exp(-((x - 0.3)^2 + (y - 0.65)^2)/0.02) + 0.3*exp(-((x - 0.7)^2 + (y - 0.35)^2)/0.02)"
SPEC = {
    "cells": {
        "dimension": 2,
        "turning_rate": 25.0,
        "velocities": {"kind": "sphere", "speed": 1.0},
        "taxis": {"mechanism": "direction", "strength": 0.3},
    },
    "signal": {"name": "s", "diffusion": "0.05", "reaction": "alpha*u - beta*s"},
    "parameters": {"alpha": 1.0, "beta": 1.0},
    "run": {
        "mesh": {"builtin": "rectangle", "size": [1.0, 1.0], "cells": [48, 48]},
        "initial": {"u": INITIAL, "s": "1"},
        "time": {"t_end": T_END, "dt": DT, "scheme": "bdf2"},
    },
}
GRID = [97, 97]  # where the particles sense s, and where the pictures sample the fields


def initial_positions(rng: np.random.Generator, count: int) -> np.ndarray:
    """Positions drawn from the initial density (rejection from the unit square)."""
    density = fc.Expression.parse(INITIAL, "initial u")
    bound = 1.75
    out = np.empty((count, 2))
    todo = np.arange(count)
    while todo.size:
        x = rng.random((todo.size, 2))
        values = density.numeric({"x": x[:, 0], "y": x[:, 1]})
        accept = rng.random(todo.size) * bound < values
        out[todo[accept]] = x[accept]
        todo = todo[~accept]
    return out


# A picture with four panels (matplotlib, drawn on rank 0 from gathered samples).


def picture(
    fields: dict[str, np.ndarray],
    positions: np.ndarray,
    derivation: fc.kinetics.Derivation,
    l1: float,
    statistical: float,
) -> None:
    """Four panels: particles over the chemical, particle density, FE density, a cut through the peak."""
    figure = Figure(figsize=(17, 4.6), layout="constrained")
    axes = figure.subplots(1, 4, gridspec_kw={"width_ratios": [1, 1, 1, 1.25]})
    extent = (0, 1, 0, 1)
    top = max(fields["fe"].max(), fields["particles"].max())

    shown = positions[np.random.default_rng(0).permutation(len(positions))[:15_000]]
    ax = axes[0]
    chemical = ax.imshow(fields["s"].T, origin="lower", extent=extent, cmap="Greens", alpha=0.9)
    ax.scatter(shown[:, 0], shown[:, 1], s=0.4, c="black", alpha=0.7, linewidths=0)
    ax.set_title(f"run-and-tumble cells ({len(shown)} of {len(positions)} shown)\nin the chemical s of the FE solution")
    figure.colorbar(chemical, ax=axes[0], shrink=0.85, label="chemical s", location="left")

    for ax, key, title in (
        (axes[1], "particles", "particle density\n(P1 cloud-in-cell, 24 x 24 mesh)"),
        (axes[2], "fe", "finite elements: derived Keller-Segel\ncell density u (48 x 48 mesh, P1)"),
    ):
        image = ax.imshow(fields[key].T, origin="lower", extent=extent, vmin=0, vmax=top, cmap="viridis")
        ax.set_title(title)
    figure.colorbar(image, ax=axes[1:3], shrink=0.85, label="cell density")
    for ax in axes[:3]:
        ax.set_aspect("equal")
        ax.set_xlabel("x")
        ax.set_ylabel("y")
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)

    row = np.unravel_index(np.argmax(fields["fe"]), fields["fe"].shape)[1]
    x = np.linspace(0, 1, GRID[0])
    ax = axes[3]
    ax.plot(x, fields["fe"][:, row], color="C0", lw=2, label="finite elements u")
    ax.plot(x, fields["expected"][:, row], color="C0", lw=1, ls="--", label="FE, as the particle estimate sees it")
    ax.plot(x, fields["particles"][:, row], color="C3", lw=1.5, marker=".", ms=3, label="particles (cloud-in-cell)")
    ax.set_xlabel("x")
    ax.set_ylabel(f"density along y = {row / (GRID[1] - 1):.2f}")
    ax.set_title("cut through the largest aggregate")
    ax.legend(fontsize=8, loc="upper right")
    d, chi = derivation["D"].scalar, derivation["chi"].scalar
    figure.suptitle(
        f"Particles vs continuum at t = {T_END:g}: derived d = s^2/(lambda n) = {d:.4g}, chi = k s^2/n = {chi:.4g};  "
        f"relative L1 difference {l1:.3f} (statistical part expected {statistical:.3f})",
        fontsize=12,
    )
    OUTPUT.mkdir(parents=True, exist_ok=True)
    figure.savefig(OUTPUT / "comparison.png", dpi=110)


# ## Deriving the continuum model
#
# The report lists each coefficient by quadrature next to its closed form.

started = time.perf_counter()
derivation = fc.kinetics.derive(fc.kinetics.parse_spec(SPEC, source="particles_vs_continuum"))
if comm.rank == 0:
    print(derivation.report(), flush=True)
for coefficient in derivation.coefficients.values():
    if coefficient.relative_difference is not None:
        assert coefficient.relative_difference < 1e-8, coefficient

# ## Cells and continuum, stepped together
#
# The finite-element model is solved with BDF2 steps; after each step the particles move
# in the chemical of the step's start and then sense the new one. The particles are split
# across the MPI ranks; their random numbers do not depend on how many ranks there are.

config = fc.ConfigDocument(fc.kinetics.run_config(derivation)).parse()
config = dataclasses.replace(config, time=dataclasses.replace(config.time, dt=DT, scheme="bdf2"))
continuum = fc.Simulation.from_config(config, comm)
mass = continuum.statistics()["u"]["mass"]
sampler = fc.particles.FunctionSampler(continuum.mesh, [0, 0], [1, 1], GRID)
cells = fc.particles.RunAndTumble(
    derivation.spec.law,
    COUNT,
    box=[1.0, 1.0],
    initial=initial_positions,
    signal=sampler(continuum.u["s"]),
    seed=2024,
    comm=comm,
)
clock = {"continuum": 0.0, "particles": 0.0}
while continuum.time < T_END - 1e-12:
    tic = time.perf_counter()
    continuum.advance_to(min(continuum.time + DT, T_END))
    toc = time.perf_counter()
    cells.advance(continuum.time, DT)  # in the chemical of the step's start, then resensed
    cells.signal = sampler(continuum.u["s"])
    clock["continuum"] += toc - tic
    clock["particles"] += time.perf_counter() - toc
if comm.rank == 0:
    print(
        f"t = {T_END}: FE model {clock['continuum']:.1f} s, {COUNT} particles {clock['particles']:.1f} s "
        f"(total {time.perf_counter() - started:.1f} s)",
        flush=True,
    )

# ## A physical check: particles and continuum agree up to sampling noise
#
# The particle density is estimated on a coarse mesh (cloud-in-cell onto P1); the same
# estimate applied to the finite-element density gives what the particles should show.
# Their relative $L^1$ distance should be close to the part expected from counting
# $N$ particles alone (it shrinks like $1/\sqrt N$): within 20 % of it (measured: 1.11 times
# it with 10 000 particles at t = 0.5, 1.05 times with 100 000 at t = 3.3). The rest is the
# difference between the kinetic model and its diffusion limit (mean free path 0.04). This
# check is only as sharp as the noise allows: at t = 0.5 even the continuum without taxis
# would pass it, and in the full run the distance to that one is 1.16 times the noise part.

coarse = fc.create_builtin(comm, "rectangle", [1.0, 1.0], [24, 24]).mesh
expected = fc.particles.expected_density(continuum.u["u"], coarse, mass=mass)
estimate = cells.density(coarse, "P1", mass=mass)
l1, statistical = expected.l1_distance(estimate) / mass, expected.statistical_l1(COUNT) / mass
if comm.rank == 0:
    print(
        f"relative L1(particle density, FE) = {l1:.4f} (statistical part expected {statistical:.4f}, "
        f"ratio {l1 / statistical:.3f})"
    )
assert l1 < 1.2 * statistical, (l1, statistical)

# ## Looking at the result

fields = {
    name: fc.particles.sample_function(f, [0, 0], [1, 1], GRID).values
    for name, f in (
        ("fe", continuum.u["u"]),
        ("particles", estimate),
        ("expected", expected.function),
        ("s", continuum.u["s"]),
    )
}
positions = cells.gather()
if comm.rank == 0:
    picture(fields, positions, derivation, l1, statistical)
    if not SHORT:
        fc.save_small_copy(OUTPUT / "comparison.png", DEMOS / "images" / "particles_vs_continuum.png")
    print(f"wrote {OUTPUT / 'comparison.png'}")

# ## The stored quantity: the peak of the finite-element cell density at the end

peak = continuum.statistics()["u"]["max"]
if comm.rank == 0:
    result = {"quantity": "u_max_continuum", "value": peak, "time": T_END, "short": SHORT}
    (OUTPUT / "demo.json").write_text(json.dumps(result, indent=2))
    print(f"peak continuum cell density at t = {T_END:g}: {peak:.6f}")
