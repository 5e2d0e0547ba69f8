"""A three-species model written only in TOML runs through the command line, on a gmsh mesh."""

from __future__ import annotations

import json

import pytest

from tests.conftest import run_cli

CONFIG = """
[mesh]
generator = "tissue-section"
[mesh.parameters]
size = 0.1

[model]
name = "cells-signal-matrix"
description = "cells u follow a signal s (chemotaxis) and a matrix m (haptotaxis); cells degrade m"
[model.parameters]
chi = 2.0
xi = 0.5
k = 1.0
[model.species.u]
diffusion = "0.05"
taxis = [
  { towards = "s", sensitivity = "chi*u*(1 - u/4)" },
  { towards = "m", sensitivity = "xi*u", limiter = "mean-curvature" },
]
[model.species.s]
diffusion = "1"
reaction = "u/(1 + k*u) - s"
[model.species.m]                     # extracellular matrix: immobile
reaction = "-0.2*u*m"

[initial]
u = "1 + 0.1*noise(3)"
s = "0.5"
m = "1 - 0.3*x/2"

[time]
t_end = 1.0
dt = 0.05

[output]
interval = 0.5
pictures = false
"""


@pytest.mark.serial
def test_three_species_toml_model_runs(tmp_path):
    config = tmp_path / "user.toml"
    config.write_text(CONFIG)
    out = tmp_path / "run"
    result = run_cli("run", str(config), "--output", str(out), nprocs=2)
    assert result.returncode == 0, result.stdout + result.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "completed" and summary["model"] == "cells-signal-matrix"
    first, last = summary["records"][0]["species"], summary["records"][-1]["species"]
    assert abs(last["u"]["mass"] - first["u"]["mass"]) < 1e-10 * first["u"]["mass"]  # taxis conserves cells
    assert last["m"]["mass"] < first["m"]["mass"]  # the matrix is degraded
    assert last["m"]["max"] <= first["m"]["max"] + 1e-12  # and never produced
