"""Time to solution of an aggregating Keller-Segel run: the package's default vs a hand-written script.

The benchmark problem (cases/problem.py: Keller-Segel, chi = 5, a bump of cells that
aggregates) on the unit square with n x n cells (``--dim 3``: the unit cube, n^3 cells), to
the end time T:

- ``default``: what the package does when asked for speed: ``scheme = "auto"`` (a Rosenbrock
  scheme for this model), ``solver = "auto"``, adaptive steps with the config defaults
  (rtol = 1e-3, atol = 1e-6), first step T/20, no cap on the step (dt_max = T); also at
  rtol = 1e-1 and 1e-2 (atol = rtol/1000);
- ``hand-written``: backward Euler + Newton (rtol 1e-8) + MUMPS LU at fixed dt = T/N, the way a
  FEniCS script does it, for a ladder of N. ``--hand-solver iterative`` solves the ladder with
  the package's iterative preset instead (3-D at 5e5 DOFs, where MUMPS takes minutes a step):
  the same discrete solutions (Newton to 1e-8), so the same errors; the ladder's own times then
  give the speed-up over backward Euler with that preset, and the summary prices the steps the
  script needs with MUMPS's time per Newton iteration from the per-step case
  (``summary.time_to_solution``).

Errors are max |u - u_ref| / max |u_ref| at T against a reference on the same mesh (ros34pw2,
fixed dt = T/reference_steps): the time error alone. Times at a given error come from
log-log interpolation of time against error along the default's tolerance ladder; for the
fixed-step backward-Euler ladder from its step count at that error (first order: N err = const
beyond the finest run, ``extrapolated``: true) times its time per step (a line through the
ladder). ``speedup`` = the hand-written time at the
default's error / the default's wall time (set-up included for both);
``steps_at_default_error`` is the ladder's step count at the default's error, found the same way.
``speedup_at_hand_written_error`` compares at the error of the finest hand-written run
instead (the default's time interpolated along its tolerance ladder; if every default run is
more accurate than that, the cheapest one's time: ``lower_bound``, a lower bound of the speed-up). Prints one line
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

from cases import problem

DEFAULT_TOLERANCES = (1e-3, 1e-6)
HAND_SOLVERS = {"direct": "MUMPS", "iterative": "the package's iterative preset"}
TOLERANCE_LADDER = (1e-1, 1e-2, 1e-3)


def run(
    dim: int, n: int, end: float, dt: float, scheme: str, solver: str, adaptive: tuple[float, float] | None
) -> dict:
    from fem_chemotaxis import Simulation, SolverSettings, TimeSettings, builtin_model, create_builtin

    comm = MPI.COMM_WORLD
    model = builtin_model("keller-segel").with_parameters(problem.PARAMETERS)
    kind, initial = ("rectangle", problem.INITIAL_2D) if dim == 2 else ("box", problem.INITIAL_3D)
    mesh = create_builtin(comm, kind, [1.0] * dim, [n] * dim)
    comm.Barrier()
    start, cpu = time.perf_counter(), time.process_time()
    rtol, atol = adaptive if adaptive is not None else DEFAULT_TOLERANCES
    stepping = TimeSettings(
        dt=dt, scheme=scheme, adaptive=adaptive is not None, rtol=rtol, atol=atol, dt_max=end if adaptive else None
    )
    sim = Simulation(
        model,
        mesh,
        initial,
        stepping,
        solver=SolverSettings(solver, petsc={"snes_rtol": problem.NEWTON_RTOL}),
    )
    sim.advance_to(end)
    comm.Barrier()
    u = sim.u["u"].x.array[: sim.u["u"].function_space.dofmap.index_map.size_local]
    return {
        "scheme": sim.scheme.name,
        "u": u.copy(),
        "accepted_steps": len(sim.history),
        "newton_iterations": sum(h.newton_iterations for h in sim.history),
        "rejected_steps": sum(h.rejected for h in sim.history),
        "wall_time": comm.allreduce(time.perf_counter() - start, op=MPI.MAX),
        "cpu_time": comm.allreduce(time.process_time() - cpu, op=MPI.MAX),
        "peak_u": sim.statistics()["u"]["max"],
    }


def error(u: np.ndarray, reference: np.ndarray) -> float:
    comm = MPI.COMM_WORLD
    diff = comm.allreduce(float(np.max(np.abs(u - reference), initial=0.0)), op=MPI.MAX)
    return diff / comm.allreduce(float(np.max(np.abs(reference), initial=0.0)), op=MPI.MAX)


def fixed_steps_time_for_error(ladder: list[dict], target: float, key: str) -> tuple[float | None, bool]:
    """`key` time of a fixed-step first-order run at `target` error; extrapolated?

    Inside the ladder: log-log interpolation between the runs around the target. Beyond its
    finest run: N = N_finest err_finest / target (first order) at the finest run's time per
    step (``extrapolated``). A fixed-step run's time grows linearly in N; a power law fitted
    through two rungs turns one slow (loaded) rung into a wrong exponent, and that error grows
    with the distance extrapolated.
    """
    runs = sorted((r for r in ladder if r["error"] > 0), key=lambda r: r["error"])
    if len(runs) < 2 or target >= runs[0]["error"]:
        return time_for_error(runs, target, key)
    finest = runs[0]
    return finest[key] * finest["error"] / target, True


def time_for_error(ladder: list[dict], target: float, key: str) -> tuple[float | None, bool]:
    """`key` time at `target` error, log-log interpolated along the ladder; extrapolated?

    A target looser than every run's error is met by each of them: the time of the cheapest,
    an upper bound (not extrapolated: a nearly flat error ladder, as an adaptive run's
    tolerances can give, sends a power law anywhere).
    """
    runs = sorted((r for r in ladder if r["error"] > 0), key=lambda r: r["error"])
    if len(runs) < 2:
        return None, False
    if target >= runs[-1]["error"]:
        return min(r[key] for r in runs), False
    inside = [(a, b) for a, b in itertools.pairwise(runs) if a["error"] <= target <= b["error"]]
    if inside:
        a, b = inside[0]
    else:
        a, b = (runs[0], runs[1]) if target < runs[0]["error"] else (runs[-2], runs[-1])
    if a["error"] == b["error"]:
        return min(a[key], b[key]), not inside
    slope = math.log(b[key] / a[key]) / math.log(b["error"] / a["error"])
    return a[key] * (target / a["error"]) ** slope, not inside


def measure(
    n: int, end: float, ladder_steps: list[int], reference_steps: int, dim: int = 2, hand_solver: str = "direct"
) -> dict:
    reference = run(dim, n, end, end / reference_steps, "ros34pw2", "auto", None)
    defaults = []
    for rtol in TOLERANCE_LADDER:
        tolerances = DEFAULT_TOLERANCES if rtol == DEFAULT_TOLERANCES[0] else (rtol, rtol / 1000)
        result = run(dim, n, end, end / 20, "auto", "auto", tolerances)
        defaults.append(
            {
                **{k: v for k, v in result.items() if k != "u"},
                "tolerances": tolerances,
                "error": error(result["u"], reference["u"]),
            }
        )
    default = next(d for d in defaults if d["tolerances"] == DEFAULT_TOLERANCES)
    ladder = []
    for steps in ladder_steps:
        fixed = run(dim, n, end, end / steps, "backward-euler", hand_solver, None)
        ladder.append(
            {
                "steps": steps,
                "error": error(fixed["u"], reference["u"]),
                **{k: fixed[k] for k in ("wall_time", "cpu_time", "peak_u", "newton_iterations")},
            }
        )
    hand_wall, extrapolated = fixed_steps_time_for_error(ladder, default["error"], "wall_time")
    hand_cpu, _ = fixed_steps_time_for_error(ladder, default["error"], "cpu_time")
    hand_steps, _ = fixed_steps_time_for_error(ladder, default["error"], "steps")
    finest = ladder[-1]
    default_wall, default_extrapolated = time_for_error(defaults, finest["error"], "wall_time")
    default_cpu, _ = time_for_error(defaults, finest["error"], "cpu_time")
    return {
        "problem": f"keller-segel (bench problem), unit {'square' if dim == 2 else 'cube'}",
        "dim": dim,
        "n": n,
        "dofs": problem.fem_dofs(dim, n),
        "end_time": end,
        "error_measure": "max|u - u_ref| / max|u_ref| at the end time, same mesh",
        "reference": {"scheme": "ros34pw2", "steps": reference_steps, "peak_u": reference["peak_u"]},
        "default": default,
        "default_tolerance_ladder": defaults,
        "hand_written": {
            "scheme": "backward-euler",
            "hand_solver": hand_solver,
            "solver": f"{hand_solver} ({HAND_SOLVERS[hand_solver]}), Newton rtol 1e-8",
            "ladder": ladder,
            "steps_at_default_error": hand_steps,
            "wall_time_at_default_error": hand_wall,
            "cpu_time_at_default_error": hand_cpu,
            "extrapolated": extrapolated,
        },
        "speedup": hand_wall / default["wall_time"] if hand_wall else None,
        "speedup_cpu": hand_cpu / default["cpu_time"] if hand_cpu else None,
        "speedup_at_hand_written_error": {
            "error": finest["error"],
            "hand_written_steps": finest["steps"],
            "default_wall_time": default_wall,
            "extrapolated": default_extrapolated,
            "lower_bound": finest["error"] >= max(d["error"] for d in defaults),
            "value": finest["wall_time"] / default_wall if default_wall else None,
            "cpu": finest["cpu_time"] / default_cpu if default_cpu else None,
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dim", type=int, choices=(2, 3), default=2)
    parser.add_argument("--n", type=int, required=True, help="cells per side")
    parser.add_argument("--end", type=float, required=True)
    parser.add_argument("--ladder", type=int, nargs="+", required=True, help="backward-Euler step counts")
    parser.add_argument("--reference-steps", type=int, required=True)
    parser.add_argument("--hand-solver", choices=tuple(HAND_SOLVERS), default="direct")
    args = parser.parse_args()
    result = measure(args.n, args.end, sorted(args.ladder), args.reference_steps, args.dim, args.hand_solver)
    if MPI.COMM_WORLD.rank == 0:
        print("BENCH-JSON " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
