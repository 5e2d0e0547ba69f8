"""Cost per time step of the package on the benchmark problem, one mesh size, one solver.

Run as ``[mpiexec -n R] python -m cases.fem_step_cost --dim 2 --n 500 --solver iterative
[--scheme ros2] [--steps 3] [--warmup-steps 1]`` (with bench/ on PYTHONPATH; the scheme
defaults to the problem's backward Euler). Phases are timed with perf_counter (mesh, set-up
including form compilation, the warm-up steps) and, within the measured steps, with PETSc log
events (residual and Jacobian assembly, preconditioner set-up including the AMG set-up of
every block, Krylov solve without it: ``fem_chemotaxis/solvers/phases.py``, which a run's
``summary.json`` reports too). Peak memory: the peak resident set size (``ru_maxrss``) summed over ranks, at
the end of the measured steps (before the floor), and the same less the peak after the
imports (interpreter, DOLFINx, PETSc), per DOF. Rank 0 prints one line ``BENCH-JSON {...}``.
"""

from __future__ import annotations

import argparse
import json
import resource
import time

from mpi4py import MPI
from petsc4py import PETSc

from cases import problem
from fem_chemotaxis.solvers.phases import EVENTS, PHASES, event_times, phase_times


def measure(
    dim: int,
    n: int,
    solver: str,
    scheme: str = problem.SCHEME,
    floor: bool = False,
    newton_steps: int = problem.MEASURED_STEPS,
    warmup_steps: int = problem.WARMUP_STEPS,
) -> dict:
    """One size: the warm-up steps, then the measured steps.

    - Newton, direct: `newton_steps` steps, the median is the time per step.
    - Newton, iterative: `newton_steps` steps and more until the preconditioner, kept for
      PRECONDITIONER_LAG Newton iterations, was built again once; the mean.
    - Rosenbrock: JACOBIAN_REUSE + 1 steps of the run's start (timed apart, ``start_steps``),
      then JACOBIAN_REUSE steps; the mean, which includes one Jacobian renewal.

    The peak of u (the accuracy measure) is taken after the `newton_steps` steps (Newton).
    """
    from fem_chemotaxis import Simulation, SolverSettings, TimeSettings, builtin_model, create_builtin
    from fem_chemotaxis.solvers.nonlinear import PRECONDITIONER_LAG
    from fem_chemotaxis.solvers.rosenbrock import JACOBIAN_REUSE

    comm = MPI.COMM_WORLD
    PETSc.Log.begin()
    baseline = _peak_memory(comm)
    model = builtin_model("keller-segel").with_parameters(problem.PARAMETERS)
    clock = time.perf_counter
    comm.Barrier()
    t0 = clock()
    kind, initial = ("rectangle", problem.INITIAL_2D) if dim == 2 else ("box", problem.INITIAL_3D)
    mesh = create_builtin(comm, kind, [1.0] * dim, [n] * dim)
    comm.Barrier()
    t1 = clock()
    sim = Simulation(
        model,
        mesh,
        initial,
        TimeSettings(dt=problem.DT, scheme=scheme),
        solver=SolverSettings(solver, petsc={"snes_rtol": problem.NEWTON_RTOL}),
    )
    comm.Barrier()
    t2 = clock()
    warmup = [_checked(sim.step(problem.DT)) for _ in range(warmup_steps)]
    newton = not sim.scheme.name.startswith("ros")

    def timed_step() -> dict:
        start, cpu = clock(), time.process_time()
        report = _checked(sim.step(problem.DT))
        comm.Barrier()
        return {
            "wall_time": clock() - start,
            "cpu_time": time.process_time() - cpu,
            "newton_iterations": report.newton_iterations,
            "krylov_iterations": report.krylov_iterations,
        }

    comm.Barrier()
    t3 = clock()
    # Rosenbrock: the run's start (the kept solutions fill, the first steps settle, the Jacobian
    # is renewed once) is timed apart; the measured steps are a whole Jacobian period after it.
    start_steps = [] if newton else [timed_step() for _ in range(JACOBIAN_REUSE + 1)]
    before = event_times(comm)
    steps = [timed_step() for _ in range(newton_steps if newton else JACOBIAN_REUSE)]
    peak_u, end_time = sim.statistics()["u"]["max"], sim.time  # the accuracy measure at a fixed time
    lagged = newton and solver == "iterative"
    if lagged:  # until the preconditioner has been built again once: its set-up amortised
        done = sum(r.newton_iterations for r in warmup) + sum(s["newton_iterations"] for s in steps)
        while done <= PRECONDITIONER_LAG:
            steps.append(timed_step())
            done += steps[-1]["newton_iterations"]
    after = event_times(comm)
    walls, cpus = [s["wall_time"] for s in steps], [s["cpu_time"] for s in steps]
    measured = sum(walls)
    # Newton with a direct solver: the median step; otherwise the mean, which pays for one
    # Jacobian renewal (Rosenbrock) or one preconditioner set-up (Newton, iterative)
    median = newton and not lagged
    per_step = sorted(walls)[len(walls) // 2] if median else measured / len(walls)
    phases = {k: v / len(steps) for k, v in phase_times({k: after[k] - before[k] for k in EVENTS}, newton).items()}
    phases["other"] = measured / len(steps) - sum(phases[k] for k in PHASES)
    record = {
        "dim": dim,
        "n": n,
        "solver": solver,
        "scheme": sim.scheme.name,
        "ranks": comm.size,
        "dofs": sim.num_dofs,
        "expected_dofs": problem.fem_dofs(dim, n),
        "warmup_step_count": warmup_steps,  # 0: the first measured step is the run's first
        "time_per_step": per_step,
        "cpu_time_per_step": sorted(cpus)[len(cpus) // 2] if median else sum(cpus) / len(cpus),
        "phases": {
            "mesh": t1 - t0,
            "setup": t2 - t1,
            "warmup_steps": t3 - t2,
            "measured_steps": measured,
            "per_measured_step": phases,
        },
        "steps": steps,
        "peak_u": peak_u,
        "time": end_time,
    }
    if start_steps:
        record["start_steps"] = start_steps
        record["time_per_step_start"] = sum(s["wall_time"] for s in start_steps) / len(start_steps)
    peak = _peak_memory(comm)
    record["peak_memory"] = {
        "bytes": peak,
        "after_imports": baseline,
        "per_dof": peak / sim.num_dofs,
        "per_dof_above_imports": (peak - baseline) / sim.num_dofs,
    }
    if floor:  # the floor of the same step, in the same process (bench/cases/floor.py)
        from cases.floor import measure_floor
        from fem_chemotaxis.solvers.linear import STAGE_RTOL

        gamma = getattr(sim.scheme, "gamma", 1.0)
        record["floor"] = measure_floor(mesh.mesh, sim.u["u"], sim.u["s"], gamma * problem.DT, STAGE_RTOL)
        record["floor_ratio"] = per_step / record["floor"]["wall"]
        record["floor_ratio_cpu"] = record["cpu_time_per_step"] / record["floor"]["cpu"]
    return record


def _peak_memory(comm: MPI.Comm) -> int:
    """Peak resident set size so far, in bytes, summed over ranks (Linux reports kB)."""
    return comm.allreduce(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024, op=MPI.SUM)


def _checked(report):
    if not report.converged:
        raise RuntimeError(f"Newton did not converge (SNES reason {report.reason})")
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dim", type=int, choices=(2, 3), required=True)
    parser.add_argument("--n", type=int, required=True, help="cells per side")
    parser.add_argument("--solver", choices=("iterative", "direct"), required=True)
    parser.add_argument("--scheme", default=problem.SCHEME)
    parser.add_argument("--floor", action="store_true", help="also measure the floor of a step (cases/floor.py)")
    parser.add_argument("--steps", type=int, default=problem.MEASURED_STEPS, help="measured Newton steps")
    parser.add_argument("--warmup-steps", type=int, default=problem.WARMUP_STEPS)
    args = parser.parse_args()
    result = measure(args.dim, args.n, args.solver, args.scheme, args.floor, args.steps, args.warmup_steps)
    if MPI.COMM_WORLD.rank == 0:
        print("BENCH-JSON " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
