"""Rosenbrock steps with different linear-solver options side by side in one process, and their floor.

Run inside the environment from the repository root::

    PYTHONPATH=bench python bench/side_by_side.py DIM N SCHEME OPTIONS.json [STEPS]

OPTIONS.json maps a label to PETSc options merged over the iterative preset, e.g.
``{"gmres": {"ksp_type": "gmres"}, "fgmres": {}}``. After one warm-up step each, the
Simulations take STEPS (default 10) steps of the benchmark problem in turn (so the load of a
shared machine falls on all alike); then the floor (cases/floor.py) is measured at the state
of the first. Prints CPU and wall time per step, the floor ratios, Krylov iterations,
preconditioner applications and PETSc event times per step, and the peak of u.
"""

from __future__ import annotations

import json
import sys
import time

from cases import problem
from cases.floor import measure_floor

from mpi4py import MPI
from petsc4py import PETSc

EVENTS = ("FCResidual", "FCJacobian", "FCStageMatrix", "KSPSolve", "PCApply", "PCSetUp", "MatMult")


def main() -> None:
    from fem_chemotaxis import Simulation, SolverSettings, TimeSettings, builtin_model, create_builtin
    from fem_chemotaxis.solvers.linear import STAGE_RTOL

    dim, n, scheme = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    with open(sys.argv[4]) as file:
        configs = json.load(file)
    steps = int(sys.argv[5]) if len(sys.argv) > 5 else 10
    comm = MPI.COMM_WORLD
    PETSc.Log.begin()
    model = builtin_model("keller-segel").with_parameters(problem.PARAMETERS)
    kind, initial = ("rectangle", problem.INITIAL_2D) if dim == 2 else ("box", problem.INITIAL_3D)
    mesh = create_builtin(comm, kind, [1.0] * dim, [n] * dim)
    stepping = TimeSettings(dt=problem.DT, scheme=scheme)
    sims = {
        k: Simulation(model, mesh, initial, stepping, solver=SolverSettings("iterative", petsc=v))
        for k, v in configs.items()
    }
    records = {
        k: {"cpu": 0.0, "wall": 0.0, "krylov": 0, "PCApply count": 0, **dict.fromkeys(EVENTS, 0.0)} for k in sims
    }
    for sim in sims.values():
        sim.step(problem.DT)
    for _ in range(steps):
        for label, sim in sims.items():
            record = records[label]
            before = {e: PETSc.Log.Event(e).getPerfInfo() for e in EVENTS}
            comm.Barrier()
            cpu, wall = time.process_time(), time.perf_counter()
            report = sim.step(problem.DT)
            comm.Barrier()
            record["cpu"] += comm.allreduce(time.process_time() - cpu, op=MPI.MAX) / steps
            record["wall"] += (time.perf_counter() - wall) / steps
            record["krylov"] += report.krylov_iterations / steps
            after = {e: PETSc.Log.Event(e).getPerfInfo() for e in EVENTS}
            for e in EVENTS:
                record[e] += (after[e]["time"] - before[e]["time"]) / steps
            record["PCApply count"] += (after["PCApply"]["count"] - before["PCApply"]["count"]) / steps
    first = next(iter(sims.values()))
    gamma = getattr(first.scheme, "gamma", 1.0)
    floor = measure_floor(mesh.mesh, first.u["u"], first.u["s"], gamma * problem.DT, STAGE_RTOL)
    if comm.rank == 0:
        with open("/proc/loadavg") as file:
            print("load", file.read().split()[:3], "dofs", first.num_dofs, "scheme", scheme, "ranks", comm.size)
        parts = {k: round(v["cpu"], 3) for k, v in floor["parts"].items()}
        print(f"floor cpu {floor['cpu']:.3f} wall {floor['wall']:.3f} parts (cpu) {parts} its {floor['iterations']}")
    for label, r in records.items():
        peak = sims[label].statistics()["u"]["max"]
        if comm.rank == 0:
            print(
                f"{label:10s} cpu/step {r['cpu']:.3f} (floor ratio cpu {r['cpu'] / floor['cpu']:.2f})  "
                f"wall/step {r['wall']:.3f} (ratio {r['wall'] / floor['wall']:.2f})  krylov/step {r['krylov']:.1f}  "
                f"PCApply/step {r['PCApply count']:.1f}  "
                + " ".join(f"{e}={r[e]:.3f}" for e in EVENTS)
                + f"  peak u {peak:.12f}"
            )


if __name__ == "__main__":
    main()
