"""Mesh quality (minimum scaled Jacobian) and the clean stop before cells invert.

- The built-in rectangle has right isosceles triangles: quality 2/sqrt(3) sin(45 deg) (the
  worst corner); a mirrored copy of the mesh is inverted: every corner is negative, the
  most negative one, -2/sqrt(3) sin(90 deg), at the right angle.
- A prescribed shear ``x + 0.3 t sin(2 pi x)`` folds the mesh at t = 1/(0.6 pi) ~ 0.53
  (dx/dX = 0); the run must stop with status "mesh-quality" before that, on a mesh whose
  quality is still above min_quality, and keep its output.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import tomllib

from fem_chemotaxis.commands.run import exit_code
from fem_chemotaxis.config import ConfigDocument
from fem_chemotaxis.mesh.builtin import create_builtin
from fem_chemotaxis.motion import cell_orientation, mesh_quality
from fem_chemotaxis.runner import run

RIGHT_ISOSCELES = 2 / math.sqrt(3) * math.sin(math.pi / 4)


def test_quality_of_right_triangles_and_of_a_mirrored_mesh(comm):
    mesh = create_builtin(comm, "rectangle", [2.0, 2.0], [5, 5]).mesh
    orientation = cell_orientation(mesh)
    quality = mesh_quality(mesh, orientation)
    assert quality.minimum == pytest.approx(RIGHT_ISOSCELES, rel=1e-12)
    mesh.geometry.x[:, 0] *= -1.0
    assert mesh_quality(mesh, orientation).minimum == pytest.approx(-2 / math.sqrt(3), rel=1e-12)
    assert np.all(cell_orientation(mesh) == -orientation)


CONFIG = """
[mesh]
builtin = "rectangle"
size = [1.0, 1.0]
cells = [10, 10]
[mesh.motion]
kind = "prescribed"
displacement = ["0.3*t*sin(2*pi*x)", "0"]
min_quality = 0.2

[model]
name = "keller-segel"

[initial]
u = "1"
s = "1"

[time]
t_end = 1.0
dt = 0.05

[output]
interval = 0.1
pictures = false
"""


def test_run_stops_before_cells_invert(comm, shared_tmp_path):
    out = shared_tmp_path / "run"
    summary = run(ConfigDocument(tomllib.loads(CONFIG), "fold.toml", str(shared_tmp_path)), out, comm=comm)
    assert summary["status"] == "mesh-quality" and exit_code(summary) == 3
    stop = summary["stop"]
    assert stop["reason"] == "mesh-quality"
    assert 0.2 <= stop["min_quality"] and stop["proposed_min_quality"] < 0.2
    assert stop["time"] < 1 / (0.6 * math.pi) and stop["proposed_time"] == pytest.approx(stop["time"] + 0.05)
    assert len(stop["location"]) == 2
    last = summary["records"][-1]
    assert last["time"] == stop["time"] and last["mesh"]["min_quality"] == stop["min_quality"]
    for name in ("summary.json", "u.bp", "checkpoint.bp"):
        assert (out / name).exists(), name
