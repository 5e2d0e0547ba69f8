"""A checkpoint file written at many times (io/checkpoint.py): once a part holds PART_GROWTH
times the bytes of its first write, the next times go into a new part, the earlier parts are
hard links from one write to the next (not copied: the cost of a write stays bounded instead of
growing with the number of times), and every time reads back what was written (to the
interpolation's round-off, on another distribution under MPI). Serial and 2 ranks."""

from __future__ import annotations

import os

import dolfinx.fem
import numpy as np
import pytest

from fem_chemotaxis import create_builtin
from fem_chemotaxis.io import checkpoint
from fem_chemotaxis.io.checkpoint import CheckpointFile


def _values(t: float, x: np.ndarray) -> np.ndarray:
    return 1.0 + t * x[0] + np.sin(3.0 * t + x[1])


def test_times_in_parts_read_back_exactly_and_earlier_parts_are_not_copied(comm, shared_tmp_path, monkeypatch):
    monkeypatch.setattr(checkpoint, "PART_GROWTH", 1.3)  # a new part after every second write or so
    tagged = create_builtin(comm, "rectangle", [1.0, 1.0], [12, 12])
    space = dolfinx.fem.functionspace(tagged.mesh, ("Lagrange", 1))
    u, s = dolfinx.fem.Function(space), dolfinx.fem.Function(space)
    file, description = CheckpointFile.create(shared_tmp_path / "checkpoint.bp", tagged)
    times = [0.1 * k for k in range(12)]
    inodes: dict[str, int] = {}
    for t in times:
        u.interpolate(lambda x, t=t: _values(t, x))
        s.interpolate(lambda x, t=t: 2.0 * _values(t, x))
        file.write({"u": u, "s": s}, t)
        if comm.rank == 0:  # every part but the one written last is the same file as before
            parts = checkpoint._Parts.read(file.path).parts
            for part in parts[:-1]:
                data = file.path / part["dir"] / "data.0"
                assert inodes.setdefault(part["dir"], os.stat(data).st_ino) == os.stat(data).st_ino
    if comm.rank == 0:
        parts = checkpoint._Parts.read(file.path).parts
        assert len(parts) >= 4 and [t for part in parts for t in part["times"]] == times
    stored = file.read_mesh(comm, description).mesh  # as a restart reads it (on its own numbering)
    space = dolfinx.fem.functionspace(stored, ("Lagrange", 1))
    u, s, expected = dolfinx.fem.Function(space), dolfinx.fem.Function(space), dolfinx.fem.Function(space)
    for t in times:
        file.read({"u": u, "s": s}, t)
        expected.interpolate(lambda x, t=t: _values(t, x))
        owned = space.dofmap.index_map.size_local  # the values at the nodes, to the interpolation's round-off
        assert np.allclose(u.x.array[:owned], expected.x.array[:owned], rtol=1e-15, atol=1e-15)
        assert np.allclose(s.x.array[:owned], 2.0 * expected.x.array[:owned], rtol=1e-15, atol=1e-15)


def test_a_time_no_part_holds_is_an_error(comm, shared_tmp_path):
    tagged = create_builtin(comm, "rectangle", [1.0, 1.0], [4, 4])
    u = dolfinx.fem.Function(dolfinx.fem.functionspace(tagged.mesh, ("Lagrange", 1)))
    file, description = CheckpointFile.create(shared_tmp_path / "checkpoint.bp", tagged)
    file.write({"u": u}, 0.5)
    u = dolfinx.fem.Function(dolfinx.fem.functionspace(file.read_mesh(comm, description).mesh, ("Lagrange", 1)))
    with pytest.raises(checkpoint.CheckpointError, match="holds no 'u' at t = 0.25"):
        file.read({"u": u}, 0.25)
