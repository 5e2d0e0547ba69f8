"""The machine's own 1 -> 2 rank scaling: the memory bandwidth of every rank streaming at once.

A step's phases stream matrices and vectors through memory; on cores that share one memory
system (and, on a shared host, its neighbours' load) the bandwidth two ranks get together
bounds what a second rank can gain. Run as ``[mpiexec -n R] python -m cases.bandwidth``: every
rank adds two vectors of :data:`SIZE` doubles into a third (STREAM's "add" kernel, counted as
24 bytes an element), :data:`REPEATS` times at once; the best time of each rank, its bandwidth
summed over the ranks (GB/s). Rank 0 prints one line ``BENCH-JSON {...}``.
"""

from __future__ import annotations

import json
import time

import numpy as np

from mpi4py import MPI

#: Doubles a vector (160 MB): far beyond any cache.
SIZE = 20_000_000
#: Timed additions; the fastest counts.
REPEATS = 10


def measure() -> dict:
    comm = MPI.COMM_WORLD
    a, b, c = np.zeros(SIZE), np.full(SIZE, 1.0), np.full(SIZE, 2.0)
    best = float("inf")
    for _ in range(REPEATS):
        comm.Barrier()
        start = time.perf_counter()
        np.add(b, c, out=a)
        best = min(best, time.perf_counter() - start)
    per_rank = 24 * SIZE / best / 1e9
    return {"ranks": comm.size, "bandwidth": comm.allreduce(per_rank), "per_rank": comm.allgather(per_rank)}


def main() -> None:
    result = measure()
    if MPI.COMM_WORLD.rank == 0:
        print("BENCH-JSON " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
