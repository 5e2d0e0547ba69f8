"""Cost per time step of FiPy on the same 2-D Keller-Segel problem (run with FiPy's venv).

Cell-centred finite volumes on an n x n grid of the unit square, the two equations coupled
in one matrix, backward Euler with the problem's dt, SciPy's LU solver, and two sweeps per
step (the taxis coefficient chi u is lagged by a sweep). More sweeps change nothing: the
peak after 2, 3 and 6 sweeps agrees to all digits (FiPy's sweeps stall at a small residual,
so its mesh-converged peak differs from the fully implicit FEM one by ~3.5e-4, see
bench/README.md). Prints one line ``BENCH-JSON {...}``.
"""

from __future__ import annotations

import argparse
import json
import os
import time

os.environ.setdefault("FIPY_SOLVERS", "scipy")  # before importing fipy

import fipy
import numpy as np

from cases import problem

SWEEPS = 2


def measure(n: int) -> dict:
    p = problem.PARAMETERS
    clock = time.perf_counter
    t0 = clock()
    mesh = fipy.Grid2D(nx=n, ny=n, dx=1.0 / n, dy=1.0 / n)
    x, y = mesh.cellCenters
    u = fipy.CellVariable(
        mesh=mesh, name="u", hasOld=True, value=[problem.initial_u(a, b) for a, b in zip(np.asarray(x), np.asarray(y))]
    )
    s = fipy.CellVariable(mesh=mesh, name="s", hasOld=True, value=1.0)
    eq_u = fipy.TransientTerm(var=u) == fipy.DiffusionTerm(coeff=p["d"], var=u) - fipy.DiffusionTerm(
        coeff=p["chi"] * u.faceValue, var=s
    )
    eq_s = fipy.TransientTerm(var=s) == fipy.DiffusionTerm(coeff=p["ds"], var=s) + fipy.ImplicitSourceTerm(
        coeff=p["alpha"], var=u
    ) - fipy.ImplicitSourceTerm(coeff=p["beta"], var=s)
    equations = eq_u & eq_s
    solver = fipy.LinearLUSolver()
    t1 = clock()

    def step() -> list[float]:
        u.updateOld()
        s.updateOld()
        return [float(equations.sweep(dt=problem.DT, solver=solver)) for _ in range(SWEEPS)]

    for _ in range(problem.WARMUP_STEPS):
        step()
    t2 = clock()
    steps = []
    for _ in range(problem.MEASURED_STEPS):
        start = clock()
        residuals = step()
        steps.append({"wall_time": clock() - start, "sweeps": SWEEPS, "sweep_residuals": residuals})
    measured = sum(st["wall_time"] for st in steps)
    return {
        "code": "fipy",
        "fipy_version": fipy.__version__,
        "solver": "scipy LinearLUSolver, coupled, 2 sweeps",
        "n": n,
        "dofs": 2 * n * n,
        "ranks": 1,
        "time_per_step": sorted(st["wall_time"] for st in steps)[len(steps) // 2],
        "phases": {"setup": t1 - t0, "warmup_steps": t2 - t1, "measured_steps": measured},
        "steps": steps,
        "peak_u": float(np.max(u.value)),
        "time": (problem.WARMUP_STEPS + problem.MEASURED_STEPS) * problem.DT,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, required=True, help="cells per side")
    print("BENCH-JSON " + json.dumps(measure(parser.parse_args().n)), flush=True)


if __name__ == "__main__":
    main()
