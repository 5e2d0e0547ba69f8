"""The same config on 1 and 2 MPI ranks gives the same summary numbers (to 1e-9) and pictures."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from tests.conftest import run_on_one_and_two_ranks

CONFIG = """
[mesh]
generator = "tissue-section"
[mesh.parameters]
size = 0.1

[model]
name = "keller-segel"
[model.parameters]
d = 0.1
chi = 3.0

[initial]
u = "1 + 0.2*cos(pi*x/2)*cos(pi*y) + 0.01*noise(1)"
s = "1"

[time]
t_end = 1.0
dt = 0.05

[output]
interval = 0.25
"""


@pytest.mark.serial
def test_summary_identical_on_one_and_two_ranks(tmp_path):
    serial, parallel = run_on_one_and_two_ranks(CONFIG, tmp_path)
    for out in (tmp_path / "np1", tmp_path / "np2"):
        for name in ("species.png", "u.png", "s.png", "summary.json"):
            assert (out / name).is_file(), name
        assert (out / "u.bp").is_dir() and (out / "s.bp").is_dir()
    # The pictures, drawn by rank 0 alone or by both ranks in turn, differ in no pixel by more than
    # 2 of 255 but where a value at a colour boundary moved by round-off (measured: none).
    for name in ("species.png", "u.png", "s.png", "mass.png", "min.png", "max.png"):
        one, two = (np.asarray(Image.open(tmp_path / d / name).convert("RGB"), dtype=int) for d in ("np1", "np2"))
        assert one.shape == two.shape and np.mean(np.abs(one - two).max(axis=-1) > 2) < 1e-3, name
    assert serial["mpi_ranks"] == 1 and parallel["mpi_ranks"] == 2
    assert serial["dofs"] == parallel["dofs"]
    assert len(serial["records"]) == len(parallel["records"]) == 5
    worst = 0.0
    for a, b in zip(serial["records"], parallel["records"]):
        assert a["time"] == pytest.approx(b["time"], abs=1e-14)
        for name in ("u", "s"):
            for key in ("mass", "min", "max"):
                x, y = a["species"][name][key], b["species"][name][key]
                worst = max(worst, abs(x - y) / max(1.0, abs(x)))
    print(f"largest serial/parallel difference: {worst:.2e}")
    assert worst < 1e-9
    u = serial["records"]
    assert abs(u[-1]["species"]["u"]["mass"] - u[0]["species"]["u"]["mass"]) < 1e-10 * u[0]["species"]["u"]["mass"]
    assert u[-1]["species"]["u"]["max"] > u[0]["species"]["u"]["max"]  # aggregation has begun
