"""``fem-chemotaxis sweep``: one run directory per combination, resumable, with a table."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.workflow.helpers import QUICK_CONFIG, load_summary, write_config

pytestmark = pytest.mark.serial


def test_sweep_runs_grid_resumes_and_tabulates(tmp_path: Path):
    config = write_config(tmp_path, QUICK_CONFIG)
    root = tmp_path / "sweep"
    sweep = ("sweep", str(config), "--vary", "chi=1,2", "--vary", "mesh.cells=[8, 8],[6,6]", "--output", str(root))
    names = ["chi=1_cells=8x8", "chi=1_cells=6x6", "chi=2_cells=8x8", "chi=2_cells=6x6"]

    # Stopped by its time limit after the first step of the first run.
    stopped = run_cli(*sweep, "--time-limit", "0")
    assert stopped.returncode == 124, stopped.stdout + stopped.stderr
    assert load_summary(root / names[0])["status"] == "interrupted"
    assert not (root / names[1]).exists()

    # Resumed: the interrupted run continues from its checkpoint, the others run.
    resumed = run_cli(*sweep)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert f"[1/4] {names[0]}: continuing from its checkpoint" in resumed.stdout
    assert all(f"{name}: running" in resumed.stdout for name in names[1:])
    # Three runs on two meshes: each built once, for the first run on it.
    assert resumed.stdout.count(" built in ") == 2, resumed.stdout
    assert f"[2/4] {names[1]}: mesh " in resumed.stdout and f"[3/4] {names[2]}: mesh " in resumed.stdout
    summaries = {name: load_summary(root / name) for name in names}
    assert all(s["status"] == "completed" for s in summaries.values())
    assert summaries[names[0]]["restarts"][0]["time"] == pytest.approx(0.05)
    assert summaries[names[3]]["config"]["model"]["parameters"]["chi"] == 2
    assert summaries[names[3]]["dofs"] == 2 * 7 * 7

    # The last run, on the mesh the second built, gives the numbers of the same config run alone.
    alone = run_cli(
        "run",
        str(
            write_config(
                tmp_path, QUICK_CONFIG.replace("chi = 1.0", "chi = 2").replace("[8, 8]", "[6, 6]"), "alone.toml"
            )
        ),
        "--output",
        str(tmp_path / "alone"),
    )
    assert alone.returncode == 0, alone.stdout + alone.stderr
    assert load_summary(tmp_path / "alone")["records"] == summaries[names[3]]["records"]

    # Again: everything has ended, nothing runs, nothing is rewritten.
    mtimes = {name: (root / name / "summary.json").stat().st_mtime_ns for name in names}
    again = run_cli(*sweep, "--table", "u.max,steps,time,stop.reason")
    assert again.returncode == 0, again.stdout + again.stderr
    assert again.stdout.count("skipped (completed)") == 4 and ": running" not in again.stdout
    assert {name: (root / name / "summary.json").stat().st_mtime_ns for name in names} == mtimes

    with open(root / "sweep.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["chi", "mesh.cells", "run", "u.max", "steps", "time", "stop.reason"]
    assert [(r["chi"], r["mesh.cells"], r["run"]) for r in rows] == [
        ("1", "[8, 8]", names[0]),
        ("1", "[6,6]", names[1]),
        ("2", "[8, 8]", names[2]),
        ("2", "[6,6]", names[3]),
    ]
    for row in rows:
        summary = summaries[row["run"]]
        assert float(row["u.max"]) == summary["records"][-1]["species"]["u"]["max"]
        assert int(row["steps"]) == len(summary["steps"]) == 2
        assert float(row["time"]) == pytest.approx(0.1) and row["stop.reason"] == ""

    # A changed base config does not silently reuse (or replace) the earlier runs.
    config.write_text(QUICK_CONFIG.replace("t_end = 0.1", "t_end = 0.2"))
    changed = run_cli(*sweep)
    assert changed.returncode == 2 and "different config" in changed.stderr and "--force" in changed.stderr
    assert json.loads((root / names[0] / "summary.json").read_text())["config"]["time"]["t_end"] == 0.1


def test_sweep_builds_its_own_mesh_for_a_run_that_moves_it():
    from mpi4py import MPI

    from fem_chemotaxis.commands.sweep import _SharedMeshes
    from fem_chemotaxis.config import ConfigDocument

    growing = ConfigDocument.read(Path(__file__).parents[2] / "demos" / "oncolytic_virus_growing.toml").parse()
    assert growing.motion is not None
    assert _SharedMeshes(MPI.COMM_WORLD).get(growing) is None
