"""Restart of a moving-mesh run: continued on 1 -> 2 -> 1 ranks it reproduces the uninterrupted run.

Solution-driven motion moves the boundary from the positions of t_n and BDF2 uses those of
t_{n-1} too, so the checkpoint must hold both; the plotted mesh is the moved one.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import dolfinx.fem
import pytest
import ufl

from mpi4py import MPI

from fem_chemotaxis.io.checkpoint import CheckpointFile
from fem_chemotaxis.motion import POSITION, place_geometry
from tests.conftest import run_cli
from tests.workflow.helpers import largest_difference, uninterrupted_and_restarted, write_config

pytestmark = pytest.mark.serial

CONFIG = """
[mesh]
builtin = "rectangle"
size = [1.0, 1.0]
cells = [10, 10]
[mesh.motion]
kind = "solution-driven"
normal_speed = "0.5*u"
boundaries = ["right"]
extension = "harmonic"

[model]
name = "keller-segel"
[model.parameters]
chi = 2.0

[initial]
u = "1 + 0.3*cos(pi*x)*cos(pi*y)"
s = "1"

[time]
t_end = 0.3
dt = 0.05
scheme = "bdf2"

[output]
interval = 0.1
pictures = false
"""


def test_moving_mesh_restart_on_one_and_two_ranks_reproduces_uninterrupted_run(tmp_path: Path):
    reference, summary = uninterrupted_and_restarted(write_config(tmp_path, CONFIG), tmp_path)
    out = tmp_path / "restarted"
    assert summary["status"] == "completed"
    assert len(summary["steps"]) == len(reference["steps"])
    assert largest_difference(reference, summary) < 1e-8
    volumes = {r["time"]: r["mesh"]["volume"] for r in summary["records"]}
    assert reference["records"][-1]["mesh"]["volume"] > 1.05  # the right side has moved out
    assert max(abs(r["mesh"]["volume"] - volumes[r["time"]]) for r in reference["records"]) < 1e-10
    with open(out / "timeseries.csv") as table:  # the CSV carries the same volumes
        rows = list(csv.DictReader(table))
    assert [float(row["volume"]) for row in rows] == [r["mesh"]["volume"] for r in summary["records"]]

    # `plot` draws each output time on the stored positions: the reference mesh of the checkpoint
    # moved to them has the volume the run recorded.
    meta = json.loads((out / "checkpoint.json").read_text())
    assert meta["moving_mesh"] is True
    file = CheckpointFile(out / "checkpoint.bp")
    mesh = file.read_mesh(MPI.COMM_SELF, meta["mesh"]).mesh
    positions = dolfinx.fem.Function(dolfinx.fem.functionspace(mesh, ("Lagrange", 1, (2,))))
    file.read({POSITION: positions}, meta["times"][-1])
    place_geometry(mesh, positions)
    volume = dolfinx.fem.assemble_scalar(dolfinx.fem.form(dolfinx.fem.Constant(mesh, 1.0) * ufl.dx(domain=mesh)))
    assert abs(volume - summary["records"][-1]["mesh"]["volume"]) < 1e-12
    plotted = run_cli("plot", str(out), "--output", str(tmp_path / "pictures"), nprocs=2)
    assert plotted.returncode == 0, plotted.stdout + plotted.stderr
