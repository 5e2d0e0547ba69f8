"""Cost per time step of the package on the benchmark problem, one mesh size, one solver.

Run as ``[mpiexec -n R] python -m cases.fem_step_cost --dim 2 --n 500 --solver iterative``
(with bench/ on PYTHONPATH). Phases are timed with perf_counter (mesh, set-up including form
compilation, the warm-up step) and, within the measured steps, with PETSc log events
(residual and Jacobian assembly, preconditioner set-up, Krylov solve). Rank 0 prints one
line ``BENCH-JSON {...}``.
"""

from __future__ import annotations

import argparse
import json
import time

from mpi4py import MPI
from petsc4py import PETSc

from cases import problem

#: PETSc log events reported per measured step: phase name -> event.
EVENTS = {
    "residual_assembly": "SNESFunctionEval",
    "jacobian_assembly": "SNESJacobianEval",
    "preconditioner_setup": "PCSetUp",
    "krylov_solve": "KSPSolve",
}


def event_times(comm: MPI.Comm) -> dict[str, float]:
    """Accumulated time of each event, the maximum over ranks."""
    return {phase: comm.allreduce(PETSc.Log.Event(name).getPerfInfo()["time"], op=MPI.MAX)
            for phase, name in EVENTS.items()}


def measure(dim: int, n: int, solver: str) -> dict:
    from fem_chemotaxis import Simulation, SolverSettings, TimeSettings, builtin_model, create_builtin

    comm = MPI.COMM_WORLD
    PETSc.Log.begin()
    model = builtin_model("keller-segel").with_parameters(problem.PARAMETERS)
    clock = time.perf_counter
    comm.Barrier()
    t0 = clock()
    kind, initial = ("rectangle", problem.INITIAL_2D) if dim == 2 else ("box", problem.INITIAL_3D)
    mesh = create_builtin(comm, kind, [1.0] * dim, [n] * dim)
    comm.Barrier()
    t1 = clock()
    sim = Simulation(model, mesh, initial, TimeSettings(dt=problem.DT),
                     solver=SolverSettings(solver, petsc={"snes_rtol": problem.NEWTON_RTOL}))
    comm.Barrier()
    t2 = clock()
    for _ in range(problem.WARMUP_STEPS):
        _checked(sim.step(problem.DT))
    comm.Barrier()
    t3 = clock()
    before = event_times(comm)
    steps = []
    for _ in range(problem.MEASURED_STEPS):
        start = clock()
        report = _checked(sim.step(problem.DT))
        comm.Barrier()
        steps.append({"wall_time": clock() - start, "newton_iterations": report.newton_iterations,
                      "krylov_iterations": report.krylov_iterations})
    after = event_times(comm)
    per_step = sorted(s["wall_time"] for s in steps)[len(steps) // 2]
    measured = sum(s["wall_time"] for s in steps)
    phases = {k: (after[k] - before[k]) / len(steps) for k in EVENTS}
    phases["other"] = measured / len(steps) - sum(phases[k] for k in ("residual_assembly", "jacobian_assembly",
                                                                      "preconditioner_setup", "krylov_solve"))
    return {
        "dim": dim, "n": n, "solver": solver, "ranks": comm.size,
        "dofs": sim.num_dofs, "expected_dofs": problem.fem_dofs(dim, n),
        "time_per_step": per_step,
        "phases": {"mesh": t1 - t0, "setup": t2 - t1, "warmup_steps": t3 - t2,
                   "measured_steps": measured, "per_measured_step": phases},
        "steps": steps,
        "peak_u": sim.statistics()["u"]["max"],
        "time": sim.time,
    }


def _checked(report):
    if not report.converged:
        raise RuntimeError(f"Newton did not converge (SNES reason {report.reason})")
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dim", type=int, choices=(2, 3), required=True)
    parser.add_argument("--n", type=int, required=True, help="cells per side")
    parser.add_argument("--solver", choices=("iterative", "direct"), required=True)
    args = parser.parse_args()
    result = measure(args.dim, args.n, args.solver)
    if MPI.COMM_WORLD.rank == 0:
        print("BENCH-JSON " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
