"""Shared fixtures. The suite runs serially and under ``mpiexec -n 2`` (see tests/run_all.sh)."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
from pathlib import Path

import pytest
from mpi4py import MPI

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def comm() -> MPI.Comm:
    """The world communicator."""
    return MPI.COMM_WORLD


@pytest.fixture
def shared_tmp_path(tmp_path: Path) -> Path:
    """A temporary directory that is the same on every rank (rank 0's)."""
    return MPI.COMM_WORLD.bcast(tmp_path if MPI.COMM_WORLD.rank == 0 else None, root=0)


@pytest.fixture(autouse=True)
def _collect_and_synchronise():
    """Free PETSc objects and keep ranks in step between tests."""
    yield
    gc.collect()
    MPI.COMM_WORLD.Barrier()


def run_cli(*args: str, nprocs: int = 1, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run the fem-chemotaxis command (under mpiexec when nprocs > 1) and capture its output."""
    cmd = [sys.executable, "-m", "fem_chemotaxis.cli", *args]
    if nprocs > 1:
        cmd = ["mpiexec", "-n", str(nprocs), *cmd]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OMPI_COMM", "PMI", "PMIX"))}
    return subprocess.run(cmd, cwd=cwd or REPO, capture_output=True, text=True, env=env, timeout=900)
