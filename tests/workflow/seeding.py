"""Configs and checkpoint readers shared by the tests of runs seeded from a previous run."""

from __future__ import annotations

import json
from pathlib import Path

import dolfinx.fem
import numpy as np

from mpi4py import MPI

from fem_chemotaxis.io.checkpoint import CheckpointFile
from tests.workflow.helpers import write_config

#: Keller-Segel aggregation with fixed steps: {cells}, {t_end} and the [initial] table vary.
#: Backward Euler: a seeded run continues an uninterrupted one exactly only with a scheme whose
#: step depends on the state alone; the default ros34pw2 (a W-method) keeps its Jacobian for up to
#: 10 steps and a seeded run starts a fresh one (continuation then within 2.6e-6, not 1e-8).
SEED_CONFIG = """
[mesh]
builtin = "rectangle"
size = [2.0, 1.0]
cells = {cells}

[model]
name = "keller-segel"
[model.parameters]
d = 0.1
chi = 3.0

[initial]
{initial}

[time]
t_end = {t_end}
dt = 0.05
scheme = "backward-euler"

[discretisation]
positivity = "{positivity}"

[output]
interval = 0.15
pictures = false
"""

EXPRESSIONS = 'u = "1 + 0.2*cos(pi*x/2)*cos(pi*y) + 0.01*noise(1)"\ns = "1"'


def seed_config(
    directory: Path,
    name: str,
    initial: str = EXPRESSIONS,
    t_end: float = 0.3,
    cells: tuple[int, int] = (20, 10),
    positivity: str = "none",
) -> Path:
    """Write ``directory/name.toml`` from SEED_CONFIG."""
    text = SEED_CONFIG.format(cells=list(cells), t_end=t_end, initial=initial, positivity=positivity)
    return write_config(directory, text, f"{name}.toml")


def checkpoint_field(run_dir: Path, species: str, time: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """A species' density in a run's checkpoint (the last time unless given), read in this
    process: its dof coordinates and values, sorted by coordinates (so that runs on other
    distributions compare value by value)."""
    meta = json.loads((run_dir / "checkpoint.json").read_text())
    file = CheckpointFile(run_dir / "checkpoint.bp")
    mesh = file.read_mesh(MPI.COMM_SELF, meta["mesh"]).mesh
    info = meta["species"][species]
    u = dolfinx.fem.Function(dolfinx.fem.functionspace(mesh, ("Lagrange", info["degree"])))
    file.read({info["unknown"]: u}, meta["times"][-1] if time is None else time)
    values = np.exp(u.x.array) if info["log"] else u.x.array.copy()
    x = u.function_space.tabulate_dof_coordinates()[:, :2]
    order = np.lexsort(np.round(x, 10).T)
    return x[order], values[order]
