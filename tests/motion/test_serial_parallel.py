"""A growing-domain run gives the same summary numbers on 1 and 2 MPI ranks (to 1e-9)."""

from __future__ import annotations

import math

import pytest

from tests.conftest import run_on_one_and_two_ranks

CONFIG = """
[mesh]
generator = "tumour-stroma"
[mesh.parameters]
size = 0.15
[mesh.motion]
kind = "logistic-growth"
rate = 2.0
capacity = 1.3
centre = [1.0, 0.5]

[model]
name = "keller-segel"
[model.parameters]
d = 0.1
chi = 3.0

[initial]
u = "1 + 0.2*cos(pi*x/2)*cos(pi*y) + 0.01*noise(1)"
s = "1"

[time]
t_end = 0.6
dt = 0.05
scheme = "bdf2"

[output]
interval = 0.2
pictures = false
"""


@pytest.mark.serial
def test_growing_domain_identical_on_one_and_two_ranks(tmp_path):
    serial, parallel = run_on_one_and_two_ranks(CONFIG, tmp_path)
    assert serial["status"] == parallel["status"] == "completed"
    assert len(serial["records"]) == len(parallel["records"]) == 4
    mass0 = serial["records"][0]["species"]["u"]["mass"]
    for one, two in zip(serial["records"], parallel["records"]):
        assert one["time"] == two["time"]
        for name in ("u", "s"):
            for quantity in ("mass", "min", "max"):
                assert one["species"][name][quantity] == pytest.approx(two["species"][name][quantity], rel=1e-9)
        assert one["mesh"]["volume"] == pytest.approx(two["mesh"]["volume"], rel=1e-12)
        assert one["mesh"]["min_quality"] == pytest.approx(two["mesh"]["min_quality"], rel=1e-12)
        assert one["species"]["u"]["mass"] == pytest.approx(mass0, rel=1e-10)
    growth = serial["records"][-1]["mesh"]["volume"] / serial["records"][0]["mesh"]["volume"]
    assert growth == pytest.approx((1.3 / (1 + 0.3 * math.exp(-1.2))) ** 2, rel=1e-10)
