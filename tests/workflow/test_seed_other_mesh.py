"""A run seeded from a previous run on another mesh starts from the interpolant of the old
field (1e-12 at every new point), whether the old run was written on 1 or 2 ranks and the new
one reads it on 1 or 2 (the same values to 1e-12)."""

from __future__ import annotations

import json
from pathlib import Path

import dolfinx.fem
import dolfinx.geometry
import numpy as np
import pytest

from mpi4py import MPI

from fem_chemotaxis.io.checkpoint import CheckpointFile
from tests.conftest import run_cli
from tests.workflow.seeding import checkpoint_field, seed_config

pytestmark = pytest.mark.serial


def old_field_at(run_dir: Path, species: str, points: np.ndarray) -> np.ndarray:
    """The last checkpointed field of a run evaluated at `points` (one rank, point location)."""
    meta = json.loads((run_dir / "checkpoint.json").read_text())
    file = CheckpointFile(run_dir / "checkpoint.bp")
    mesh = file.read_mesh(MPI.COMM_SELF, meta["mesh"]).mesh
    u = dolfinx.fem.Function(dolfinx.fem.functionspace(mesh, ("Lagrange", meta["species"][species]["degree"])))
    file.read({meta["species"][species]["unknown"]: u}, meta["times"][-1])
    xyz = np.column_stack([points, np.zeros(len(points))])
    tree = dolfinx.geometry.bb_tree(mesh, mesh.topology.dim)
    candidates = dolfinx.geometry.compute_collisions_points(tree, xyz)
    colliding = dolfinx.geometry.compute_colliding_cells(mesh, candidates, xyz)
    cells = np.array([colliding.links(i)[0] for i in range(len(xyz))], dtype=np.int32)
    return u.eval(xyz, cells).ravel()


def test_seed_on_another_mesh_and_another_number_of_ranks(tmp_path: Path):
    written = {}
    for nprocs in (1, 2):
        config = seed_config(tmp_path, f"old_np{nprocs}")
        written[nprocs] = tmp_path / config.stem
        result = run_cli("run", str(config), "--output", str(written[nprocs]), nprocs=nprocs)
        assert result.returncode == 0, result.stdout + result.stderr

    fields = {}
    for old in (1, 2):
        initial = f'from_run = "old_np{old}"'
        seeded = seed_config(tmp_path, f"from_np{old}", initial=initial, t_end=0.05, cells=(27, 13))
        for new in (1, 2):
            out = tmp_path / f"new_np{new}_from_np{old}"
            result = run_cli("run", str(seeded), "--output", str(out), nprocs=new)
            assert result.returncode == 0, result.stdout + result.stderr
            fields[old, new] = {species: checkpoint_field(out, species, 0.0) for species in ("u", "s")}

    for species in ("u", "s"):
        points, seeded_values = fields[1, 1][species]
        assert all(np.allclose(fields[key][species][0], points, rtol=0, atol=1e-12) for key in fields)
        interpolant = old_field_at(written[1], species, points)
        at_points = np.abs(seeded_values - interpolant).max()
        ranks = max(np.abs(fields[old, 2][species][1] - fields[old, 1][species][1]).max() for old in (1, 2))
        print(
            f"\n{species}: seeded on a 27x13 mesh vs old 20x10 field at the new points {at_points:.1e}; "
            f"read on 2 vs 1 ranks {ranks:.1e}"
        )
        assert at_points < 1e-12 and ranks < 1e-12
