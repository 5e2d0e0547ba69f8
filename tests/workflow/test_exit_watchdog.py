"""A 2-rank command that finished but hangs on its way out (here: an atexit handler that
never returns on rank 0) is ended by the exit watchdog with a message naming the rank."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.workflow.helpers import QUICK_CONFIG, write_config

pytestmark = pytest.mark.serial  # starts its own mpiexec

_HANG_AT_EXIT = """
import atexit, sys, time
from mpi4py import MPI
if MPI.COMM_WORLD.rank == 0:
    atexit.register(time.sleep, 1000)
from fem_chemotaxis.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_watchdog_ends_a_rank_that_hangs_after_the_run(tmp_path: Path):
    config = write_config(tmp_path, QUICK_CONFIG)
    out = tmp_path / "run"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OMPI_COMM", "PMI", "PMIX"))}
    env["FEM_CHEMOTAXIS_EXIT_TIMEOUT"] = "3"
    start = time.monotonic()
    result = subprocess.run(
        ["mpiexec", "-n", "2", sys.executable, "-c", _HANG_AT_EXIT, "run", str(config), "--output", str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    elapsed = time.monotonic() - start
    assert "rank 0: the command finished (exit code 0) but the process had not exited 3 s later" in result.stderr
    assert json.loads((out / "summary.json").read_text())["status"] == "completed"
    print(f"\nhung rank ended by the watchdog; mpiexec returned {result.returncode} after {elapsed:.1f} s")
    assert elapsed < 60
