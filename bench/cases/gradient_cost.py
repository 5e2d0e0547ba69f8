"""The cost of a misfit gradient by the discrete adjoint, in forward runs.

The benchmark problem (cases/problem.py: Keller-Segel, a bump of cells that aggregates) on
the unit square with n x n cells, ``--steps`` backward-Euler steps of DT, the cell density
observed every 5 steps (observations: the run's own states scaled by 1.01). The gradient
with respect to all five parameters (d, chi, ds, alpha, beta) is one forward run plus one
adjoint run; ``ratio`` = (forward + adjoint wall time) / (forward wall time), each the best
of ``--repeats`` after a warm-up (form compilation), with the ``direct`` preset (Newton's and
the adjoint's solves by MUMPS LU). ``ratio_store_every_4`` keeps every 4th state only (the
adjoint recomputes the others: about one more forward run). ``default`` measures the same
with the ``auto`` preset a user gets (at this size the iterative one, for the forward and
the adjoint solves). Rank 0 prints one line ``BENCH-JSON {...}``.
"""

from __future__ import annotations

import argparse
import json
import time

import dolfinx.fem

from mpi4py import MPI

from cases import problem

OBSERVE_EVERY = 5


def _best(call, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        MPI.COMM_WORLD.barrier()
        start = time.perf_counter()
        call()
        times.append(MPI.COMM_WORLD.allreduce(time.perf_counter() - start, op=MPI.MAX))
    return min(times)


def measure(n: int, steps: int, repeats: int) -> dict:
    import fem_chemotaxis as fc

    comm = MPI.COMM_WORLD
    mesh = fc.create_builtin(comm, "rectangle", [1.0, 1.0], [n, n])
    model = fc.builtin_model("keller-segel").with_parameters(problem.PARAMETERS)
    time_settings = fc.TimeSettings(dt=problem.DT, scheme=problem.SCHEME)
    direct = fc.SolverSettings("direct")
    truth = fc.Simulation(model, mesh, problem.INITIAL_2D, time_settings, solver=direct)
    observations = []
    for k in range(OBSERVE_EVERY, steps + 1, OBSERVE_EVERY):
        truth.advance_to(k * problem.DT)
        values = dolfinx.fem.Function(truth.spaces["u"])
        values.x.array[:] = 1.01 * truth.u["u"].x.array
        observations.append(fc.FieldObservation(truth.time, "u", values))
    names = list(problem.PARAMETERS)
    forward, gradient, recomputing = _costs(
        fc.Simulation(model, mesh, problem.INITIAL_2D, time_settings, solver=direct),
        names,
        observations,
        repeats,
        store_every_4=True,
    )
    default = _costs(fc.Simulation(model, mesh, problem.INITIAL_2D, time_settings), names, observations, repeats)
    return {
        "case": "gradient_cost",
        "n": n,
        "dofs": problem.fem_dofs(2, n),
        "ranks": comm.size,
        "steps": steps,
        "parameters": names,
        "forward_time": forward,
        "gradient_time": gradient,
        "ratio": gradient / forward,
        "ratio_store_every_4": recomputing / forward,
        "default": {"forward_time": default[0], "gradient_time": default[1], "ratio": default[1] / default[0]},
    }


def _costs(sim, names: list[str], observations: list, repeats: int, store_every_4: bool = False) -> tuple[float, ...]:
    """Wall times of a forward run and of a gradient (and of a gradient keeping every 4th state)."""
    from fem_chemotaxis.fitting import ReducedMisfit

    reduced = ReducedMisfit(sim, names, observations)
    p = reduced.values
    reduced.value_and_gradient(p)  # warm-up: every form compiled
    times = [_best(lambda: reduced(p), repeats), _best(lambda: reduced.value_and_gradient(p), repeats)]
    if store_every_4:
        reduced.store_every = 4
        times.append(_best(lambda: reduced.value_and_gradient(p), repeats))
    return tuple(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=64)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    result = measure(args.n, args.steps, args.repeats)
    if MPI.COMM_WORLD.rank == 0:
        print("BENCH-JSON " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
