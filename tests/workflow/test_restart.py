"""Restart: a run continued from its checkpoint, on another number of MPI ranks or after
SIGTERM, reproduces the uninterrupted run to 1e-8."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import REPO, run_cli
from tests.workflow.helpers import (
    QUICK_CONFIG,
    RESTART_CONFIG,
    largest_difference,
    load_summary,
    uninterrupted_and_restarted,
    write_config,
)

pytestmark = pytest.mark.serial


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_config(tmp_path_factory.mktemp("restart"), RESTART_CONFIG)


@pytest.fixture(scope="module")
def reference(config: Path) -> dict:
    """The uninterrupted run on one rank."""
    out = config.parent / "uninterrupted"
    result = run_cli("run", str(config), "--output", str(out))
    assert result.returncode == 0, result.stdout + result.stderr
    summary = load_summary(out)
    assert summary["status"] == "completed"
    return summary


def test_restart_on_one_and_two_ranks_reproduces_uninterrupted_run(config: Path, reference: dict):
    """Stop after one step on each of 1, 2, 1 ranks (--time-limit 0), then finish on 2 ranks.

    By the third stop the adaptive BDF2 controller holds three levels, so every part of the
    stepper state (dt, previous dt, previous solution, controller history) is restored.
    """
    out = config.parent / "restarted"
    first = run_cli("run", str(config), "--output", str(out), "--time-limit", "0")
    assert first.returncode == 124, first.stdout + first.stderr
    assert "--restart" in first.stderr
    for nprocs in (2, 1):
        again = run_cli("run", "--restart", str(out), "--time-limit", "0", nprocs=nprocs)
        assert again.returncode == 124, again.stdout + again.stderr
        assert load_summary(out)["status"] == "interrupted"
    final = run_cli("run", "--restart", str(out), nprocs=2)
    assert final.returncode == 0, final.stdout + final.stderr

    summary = load_summary(out)
    assert summary["status"] == "completed" and summary["mpi_ranks"] == 2
    assert [r["mpi_ranks"] for r in summary["restarts"]] == [2, 1, 2]
    assert len(summary["steps"]) == len(reference["steps"])
    dt_difference = max(abs(a["dt"] - b["dt"]) for a, b in zip(summary["steps"], reference["steps"]))
    difference = largest_difference(reference, summary)
    print(f"\nrestarted 1->2->1->2 ranks vs uninterrupted: records {difference:.2e}, step sizes {dt_difference:.2e}")
    assert difference < 1e-8 and dt_difference < 1e-8
    # The wall time of all four parts of the run is accounted for, and split (set-up, steps, outputs, pictures).
    split = summary["wall_time_split"]
    assert sorted(split) == sorted(["set_up", "stepping", "outputs", "pictures"]) and min(split.values()) >= 0.0
    assert sum(split.values()) == pytest.approx(summary["wall_time"], rel=0.01, abs=0.05)
    phases = summary["stepping_split"]  # Newton's (BDF2): assembly, set-ups, solves, added over the parts
    assert min(phases.values()) >= 0.0 and phases["jacobian_assembly"] > 0 and phases["krylov_solve"] > 0
    # The checkpoint holds every output time (rewritten on each new distribution).
    meta = json.loads((out / "checkpoint.json").read_text())
    assert meta["times"] == [r["time"] for r in summary["records"]]


def test_sigterm_leaves_checkpoint_and_valid_summary(config: Path, reference: dict):
    out = config.parent / "terminated"
    process = subprocess.Popen(
        [sys.executable, "-m", "fem_chemotaxis.cli", "run", str(config), "--output", str(out)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if json.loads((out / "summary.json").read_text())["records"]:
                break
        except (FileNotFoundError, json.JSONDecodeError):
            pass
        time.sleep(0.02)
    process.send_signal(signal.SIGTERM)
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 143, stdout + stderr

    summary = load_summary(out)
    assert summary["status"] == "interrupted"
    assert summary["interruption"]["reason"] == "SIGTERM"
    stopped_at = summary["interruption"]["time"]
    assert 0 < stopped_at < 1.2 and summary["records"][-1]["time"] == stopped_at
    csv_rows = (out / "timeseries.csv").read_text().splitlines()
    assert len(csv_rows) == 1 + len(summary["records"])

    # The checkpoint is readable and holds the state the summary reports.
    meta = json.loads((out / "checkpoint.json").read_text())
    assert meta["times"][-1] == stopped_at
    u_max = _checkpointed_maximum(out, meta, "u")
    assert u_max == summary["records"][-1]["species"]["u"]["max"]

    result = run_cli("run", "--restart", str(out))
    assert result.returncode == 0, result.stdout + result.stderr
    difference = largest_difference(reference, load_summary(out))
    print(f"\nSIGTERM at t = {stopped_at:.4g}, restarted vs uninterrupted: {difference:.2e}")
    assert difference < 1e-8


def test_run_written_before_the_default_scheme_changed_continues_with_backward_euler(tmp_path: Path):
    """A run directory whose stored config names no scheme ran backward Euler (the default until
    "auto"): restarted, it continues with backward Euler, not with what "auto" picks now, and
    ends where the uninterrupted backward-Euler run ends (1e-8; measured 0, and 6e-4 when it continues with ros34pw2)."""
    config = write_config(tmp_path, QUICK_CONFIG.replace("dt = 0.05", 'dt = 0.05\nscheme = "backward-euler"'))
    reference = run_cli("run", str(config), "--output", str(tmp_path / "uninterrupted"))
    assert reference.returncode == 0, reference.stdout + reference.stderr
    out = tmp_path / "old"
    stopped = run_cli("run", str(config), "--output", str(out), "--time-limit", "0")
    assert stopped.returncode == 124, stopped.stdout + stopped.stderr
    meta = json.loads((out / "checkpoint.json").read_text())
    del meta["config"]["tables"]["time"]["scheme"]  # as stored by a run of the old default
    (out / "checkpoint.json").write_text(json.dumps(meta))
    finished = run_cli("run", "--restart", str(out))
    assert finished.returncode == 0, finished.stdout + finished.stderr
    difference = largest_difference(load_summary(tmp_path / "uninterrupted"), load_summary(out))
    print(f"\nold run restarted vs uninterrupted backward Euler: {difference:.1e}")
    assert difference < 1e-8


def _checkpointed_maximum(run_dir: Path, meta: dict, species: str) -> float:
    """Read the mesh and one species from the checkpoint, in this process; its maximum."""
    import dolfinx.fem

    from mpi4py import MPI

    from fem_chemotaxis.io.checkpoint import CheckpointFile

    file = CheckpointFile(run_dir / "checkpoint.bp")
    mesh = file.read_mesh(MPI.COMM_SELF, meta["mesh"]).mesh
    info = meta["species"][species]
    u = dolfinx.fem.Function(dolfinx.fem.functionspace(mesh, ("Lagrange", info["degree"])))
    file.read({info["unknown"]: u}, meta["times"][-1])
    values = np.exp(u.x.array) if info["log"] else u.x.array
    return float(values.max())


@pytest.mark.parametrize("adaptive", [False, True])
def test_restart_on_the_default_rosenbrock_scheme(tmp_path: Path, adaptive: bool):
    """The default scheme (ros34pw2, a W-method keeping its Jacobian for up to 10 steps) stopped
    after one step on 1, 2 and 1 ranks and finished on 2: equal to the uninterrupted run
    (1e-10; the checkpoint restores the kept Jacobian and the PI controller's memory)."""
    text = RESTART_CONFIG.replace('scheme = "bdf2"\n', "")
    if not adaptive:
        text = text.replace("adaptive = true", "adaptive = false")
    reference, summary = uninterrupted_and_restarted(write_config(tmp_path, text), tmp_path)
    assert reference["config"]["time"]["scheme"] == "ros34pw2"
    assert len(summary["steps"]) == len(reference["steps"])
    difference = largest_difference(reference, summary)
    print(f"\nros34pw2 (adaptive={adaptive}) restarted vs uninterrupted: {difference:.1e}")
    assert difference < 1e-10  # measured 1.4e-14 (fixed), 8.3e-14 (adaptive); Jacobian not restored: 2.1e-4, 1.6e-5
