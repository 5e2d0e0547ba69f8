"""Adaptive mesh refinement vs a uniform fine mesh on a Keller-Segel aggregation with a sharp peak.

Keller-Segel (``d = 0.1, chi = 10``) on [0, 2]^2 from ``u0 = 0.2 + 2 exp(-30 |x - (1, 1)|^2)``,
``s0 = 0.2``: the bump aggregates into a peak that would blow up at t ~ 0.53; at the end time
(0.4 in the full plan) the peak is about 50 times the background. BDF2 with the adaptive
step controller and MUMPS, on

- a uniform mesh of ``fine`` x ``fine`` cells, and
- a ``base`` x ``base`` mesh adapted every 5 steps up to ``levels`` = log2(fine / base) levels
  (the same smallest cells as the uniform mesh; ``[mesh.adapt]`` refine = 0.02, coarsen = 0.002),

both stopping at the same 20 output times.

Each run is its own process (``--mode uniform|adapted``, one line ``BENCH-JSON {...}``);
``main`` (``--mode both``) runs both and reports the peak difference, the unknowns (the
adapted run's largest over the run) and the wall-time ratio. Serial.
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import time

from mpi4py import MPI

INITIAL = {"u": "0.2 + 2*exp(-30*((x-1)^2 + (y-1)^2))", "s": "0.2"}
SIDE = 2.0
OUTPUTS = 20


def run(cells: int, end: float, levels: int) -> dict:
    """One run (adapted when `levels` > 0): peak of u at `end`, unknowns, steps, wall time."""
    from fem_chemotaxis import Simulation, SolverSettings, TimeSettings, builtin_model, create_builtin
    from fem_chemotaxis.adaptivity import Adaptation
    from fem_chemotaxis.config.settings import AdaptSettings

    start = time.perf_counter()
    model = builtin_model("keller-segel").with_parameters({"d": 0.1, "chi": 10.0})
    mesh = create_builtin(MPI.COMM_SELF, "rectangle", [SIDE, SIDE], [cells, cells])
    stepping = TimeSettings(dt=0.01, scheme="bdf2", adaptive=True, rtol=1e-3, atol=1e-6, dt_max=0.1)
    sim = Simulation(model, mesh, INITIAL, stepping, solver=SolverSettings("direct"))
    adaptation = None
    if levels > 0:
        adaptation = Adaptation(AdaptSettings(every=5, refine=0.02, coarsen=0.002, max_level=levels), mesh)
        sim = adaptation.start(sim, INITIAL)
    dofs = [sim.num_dofs]
    for k in range(1, OUTPUTS + 1):  # the same output times for both runs
        if adaptation is None:
            sim.advance_to(k * end / OUTPUTS)
        else:
            sim = adaptation.advance_to(sim, k * end / OUTPUTS, on_remesh=lambda new: dofs.append(new.num_dofs))
    return {
        "cells": cells,
        "levels": levels,
        "peak_u": sim.statistics()["u"]["max"],
        "max_dofs": max(dofs),
        "final_dofs": sim.num_dofs,
        "steps": len(sim.history),
        "wall_time": time.perf_counter() - start,
    }


def measure(mode: str, fine: int, base: int, end: float) -> dict:
    """Run one mode in a process of its own; its record."""
    command = [sys.executable, "-m", "cases.adaptive_mesh", "--mode", mode]
    command += ["--fine", str(fine), "--base", str(base), "--end", str(end)]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    line = [x for x in done.stdout.splitlines() if x.startswith("BENCH-JSON ")][-1]
    return json.loads(line[len("BENCH-JSON ") :])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mode", choices=("uniform", "adapted", "both"), default="both")
    parser.add_argument("--fine", type=int, default=128)
    parser.add_argument("--base", type=int, default=16)
    parser.add_argument("--end", type=float, default=0.4)
    args = parser.parse_args()
    levels = round(math.log2(args.fine / args.base))
    if args.mode == "uniform":
        record = run(args.fine, args.end, 0)
    elif args.mode == "adapted":
        record = run(args.base, args.end, levels)
    else:
        uniform = measure("uniform", args.fine, args.base, args.end)
        adapted = measure("adapted", args.fine, args.base, args.end)
        record = {
            "uniform": uniform,
            "adapted": adapted,
            "peak_difference": abs(adapted["peak_u"] - uniform["peak_u"]) / uniform["peak_u"],
            "dofs_ratio": adapted["max_dofs"] / uniform["max_dofs"],
            "wall_time_ratio": adapted["wall_time"] / uniform["wall_time"],
            "time_per_step": adapted["wall_time"] / max(adapted["steps"], 1),
        }
    print("BENCH-JSON " + json.dumps(record), flush=True)


if __name__ == "__main__":
    main()
