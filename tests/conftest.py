"""Shared fixtures. The suite runs serially and under ``mpiexec -n 2`` (see tests/run_all.sh)."""

from __future__ import annotations

import gc
import json
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


def run_on_one_and_two_ranks(config_text: str, tmp_path: Path) -> tuple[dict, dict]:
    """Run a config with `fem-chemotaxis run` on 1 and on 2 ranks; return both summaries.

    The run directories are ``tmp_path/np1`` and ``tmp_path/np2``.
    """
    config = tmp_path / "config.toml"
    config.write_text(config_text)
    summaries = []
    for nprocs in (1, 2):
        out = tmp_path / f"np{nprocs}"
        result = run_cli("run", str(config), "--output", str(out), nprocs=nprocs)
        assert result.returncode == 0, result.stdout + result.stderr
        summaries.append(json.loads((out / "summary.json").read_text()))
    return summaries[0], summaries[1]
