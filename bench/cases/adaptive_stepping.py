"""Adaptive vs fixed time steps to a fixed end time on a pattern-forming Keller-Segel run.

The volume-filling Keller-Segel model (built-in ``keller-segel-volume-filling``) on a 2 x 1
rectangle starts near its unstable uniform state: plateaus of cells form by t ~ 5, merge
until t ~ 40, and then hardly move. The adaptive run takes small steps only while the
pattern changes; a fixed dt small enough for those phases is wasted on the quiet one, so the
advantage grows with the end time (measured step ratio 1.06, 0.99, 0.60, 0.24 for T = 10, 20,
40, 100 at rtol = atol = 1e-5). BDF2 with the adaptive controller
(``adaptive = (rtol, atol)``) is compared with BDF2 at fixed steps T/N, all on the same mesh,
against a reference with a much smaller fixed step (so the error is the time error only):
error = max |u - u_ref| / max |u_ref| at the end time. The best fixed dt reaching the adaptive
run's error is found by log-log interpolation along the ladder of N. Serial; prints one line
``BENCH-JSON {...}``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import time

import numpy as np

from mpi4py import MPI

INITIAL = {"u": "0.5 + 0.05*noise(1)", "s": "0.5"}


def run(cells: tuple[int, int], end: float, dt: float, adaptive: tuple[float, float] | None) -> dict:
    from fem_chemotaxis import Simulation, SolverSettings, TimeSettings, builtin_model, create_builtin

    mesh = create_builtin(MPI.COMM_SELF, "rectangle", [2.0, 1.0], list(cells))
    model = builtin_model("keller-segel-volume-filling")
    start = time.perf_counter()
    stepping = TimeSettings(dt=dt, scheme="bdf2", dt_min=1e-8)
    if adaptive is not None:
        rtol, atol = adaptive
        stepping = TimeSettings(dt=dt, scheme="bdf2", dt_min=1e-8, dt_max=end / 10, adaptive=True, rtol=rtol, atol=atol)
    sim = Simulation(model, mesh, INITIAL, stepping, solver=SolverSettings("direct"))
    sim.advance_to(end)
    return {
        "u": sim.u["u"].x.array.copy(),
        "accepted_steps": len(sim.history),
        "rejected_steps": sum(h.rejected for h in sim.history),
        "newton_iterations": sum(h.newton_iterations for h in sim.history),
        "wall_time": time.perf_counter() - start,
        "peak_u": float(sim.u["u"].x.array.max()),
    }


def error(u: np.ndarray, reference: np.ndarray) -> float:
    return float(np.max(np.abs(u - reference)) / np.max(np.abs(reference)))


def steps_for_error(ladder: list[dict], target: float) -> float | None:
    """Fixed steps needed for `target` error: log-log interpolation between the ladder's runs."""
    for coarse, fine in itertools.pairwise(ladder):
        if fine["error"] <= target < coarse["error"]:
            slope = math.log(fine["error"] / coarse["error"]) / math.log(fine["steps"] / coarse["steps"])
            return coarse["steps"] * (target / coarse["error"]) ** (1.0 / slope)
    if ladder and ladder[0]["error"] <= target:
        return float(ladder[0]["steps"])
    return None


def step_ratio(adaptive_solves: int, ladder: list[dict], adaptive_error: float) -> tuple[float | None, float | None]:
    """(N*, ratio): the fixed steps N* giving the adaptive run's error, and adaptive solves / N*.

    `adaptive_solves` counts accepted and rejected steps (each costs a solve); N* is None
    (and so is the ratio) when the ladder does not reach the adaptive run's error.
    """
    fixed_needed = steps_for_error(ladder, adaptive_error)
    return fixed_needed, (adaptive_solves / fixed_needed if fixed_needed else None)


def measure(
    cells: tuple[int, int], end: float, ladder_steps: list[int], reference_steps: int, rtol: float, atol: float
) -> dict:
    reference = run(cells, end, end / reference_steps, None)
    adaptive = run(cells, end, end / ladder_steps[-1], (rtol, atol))
    ladder = []
    for n in ladder_steps:
        fixed = run(cells, end, end / n, None)
        ladder.append(
            {
                "steps": n,
                "dt": end / n,
                "error": error(fixed["u"], reference["u"]),
                "wall_time": fixed["wall_time"],
                "accepted_steps": fixed["accepted_steps"],
            }
        )
    adaptive_error = error(adaptive["u"], reference["u"])
    fixed_needed, ratio = step_ratio(adaptive["accepted_steps"] + adaptive["rejected_steps"], ladder, adaptive_error)
    return {
        "model": "keller-segel-volume-filling (built-in defaults)",
        "domain": "[0, 2] x [0, 1]",
        "cells": list(cells),
        "initial": INITIAL,
        "scheme": "bdf2",
        "end_time": end,
        "error_measure": "max|u - u_ref| / max|u_ref| at the end time, same mesh",
        "reference": {
            "steps": reference_steps,
            "dt": end / reference_steps,
            "peak_u": reference["peak_u"],
            "wall_time": reference["wall_time"],
        },
        "adaptive": {
            "rtol": rtol,
            "atol": atol,
            "accepted_steps": adaptive["accepted_steps"],
            "rejected_steps": adaptive["rejected_steps"],
            "error": adaptive_error,
            "wall_time": adaptive["wall_time"],
            "peak_u": adaptive["peak_u"],
        },
        "fixed": ladder,
        "fixed_steps_for_same_error": fixed_needed,
        "adaptive_step_ratio": ratio,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cells", type=int, nargs=2, default=(40, 20))
    parser.add_argument("--end", type=float, default=100.0)
    parser.add_argument("--ladder", type=int, nargs="+", default=(200, 400, 800, 1600, 3200))
    parser.add_argument("--reference-steps", type=int, default=12800)
    parser.add_argument("--rtol", type=float, default=1e-5)
    parser.add_argument("--atol", type=float, default=1e-5)
    args = parser.parse_args()
    result = measure(tuple(args.cells), args.end, list(args.ladder), args.reference_steps, args.rtol, args.atol)
    print("BENCH-JSON " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
