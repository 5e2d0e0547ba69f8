"""Recovering Keller-Segel's chi and d on the tissue section (issue 18's criterion, full size).

Truth chi = 2.5, d = 0.2; the cell density at 10 times (every 2 steps of dt = 0.02) with 1%
relative noise (a pseudo-random function of position and time); the fit starts from
chi = 1, d = 0.5 (L-BFGS-B, log-scaled, adjoint gradients). Records the fitted values,
their relative errors and standard errors, iterations, evaluations and wall time. The test
suite runs the same on a coarse section (tests/fitting/test_recovery.py). Rank 0 prints one
line ``BENCH-JSON {...}``.
"""

from __future__ import annotations

import argparse
import json
import time

import dolfinx.fem
import numpy as np

from mpi4py import MPI

TRUTH = {"chi": 2.5, "d": 0.2}
START = {"chi": 1.0, "d": 0.5}
INITIAL = {"u": "1 + 0.5*exp(-((x - 0.35)**2 + (y - 0.6)**2)/0.02)", "s": "1"}
DT, EVERY, TIMES, NOISE = 0.02, 2, 10, 0.01


def _noise(x: np.ndarray, k: int) -> np.ndarray:
    phase = np.sin(12.9898 * x[0] + 78.233 * x[1] + 37.719 * k) * 43758.5453
    return NOISE * np.sqrt(3.0) * (2.0 * (phase - np.floor(phase)) - 1.0)


def measure(size: float) -> dict:
    import fem_chemotaxis as fc

    comm = MPI.COMM_WORLD
    mesh = fc.generate("tissue-section", comm, size=size)

    def simulation(values: dict) -> fc.Simulation:
        model = fc.builtin_model("keller-segel").with_parameters(values)
        return fc.Simulation(model, mesh, INITIAL, fc.TimeSettings(dt=DT, scheme="backward-euler"))

    truth, observations = simulation(TRUTH), []
    for k in range(1, TIMES + 1):
        truth.advance_to(k * EVERY * DT)
        noise = dolfinx.fem.Function(truth.spaces["u"])
        noise.interpolate(lambda x, k=k: _noise(x, k))
        observed = dolfinx.fem.Function(truth.spaces["u"])
        observed.x.array[:] = truth.u["u"].x.array * (1.0 + noise.x.array)
        observations.append(fc.FieldObservation(truth.time, "u", observed))
    parameters = [fc.FittedParameter(n, START[n], 0.01, 10.0, log=True) for n in TRUTH]
    start = time.perf_counter()
    result = fc.fit_simulation(simulation(START), parameters, observations, on_iteration=None)
    wall = comm.allreduce(time.perf_counter() - start, op=MPI.MAX)
    return {
        "case": "fit_recovery",
        "size": size,
        "dofs": truth.num_dofs,
        "ranks": comm.size,
        "fitted": result.parameters,
        "relative_error": {n: result.parameters[n] / TRUTH[n] - 1 for n in TRUTH},
        "standard_error": result.standard_errors,
        "covered": {n: abs(result.parameters[n] - TRUTH[n]) <= 2 * result.standard_errors[n] for n in TRUTH},
        "iterations": result.iterations,
        "evaluations": len(result.history),
        "wall_time": wall,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=float, default=0.04)
    result = measure(parser.parse_args().size)
    if MPI.COMM_WORLD.rank == 0:
        print("BENCH-JSON " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
