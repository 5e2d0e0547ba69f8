"""The coupled flow run gives the same summary.json numbers on 1 and 2 MPI ranks (to 1e-8)."""

from __future__ import annotations

import pytest

from tests.conftest import run_on_one_and_two_ranks
from tests.flow.models import BIOCONVECTION_TOML


@pytest.mark.serial
def test_flow_summary_identical_on_one_and_two_ranks(tmp_path):
    serial, parallel = run_on_one_and_two_ranks(BIOCONVECTION_TOML, tmp_path)
    assert serial["mpi_ranks"] == 1 and parallel["mpi_ranks"] == 2
    assert serial["dofs"] == parallel["dofs"] == 2 * 325 + 2 * 49 * 25 + 325  # n, c; P2 velocity; P1 pressure
    assert len(serial["records"]) == len(parallel["records"]) == 4
    worst = 0.0
    for a, b in zip(serial["records"], parallel["records"]):
        assert a["time"] == pytest.approx(b["time"], abs=1e-14)
        for name in ("n", "c"):
            for key in ("mass", "min", "max"):
                x, y = a["species"][name][key], b["species"][name][key]
                worst = max(worst, abs(x - y) / max(1.0, abs(x)))
    print(f"\nlargest serial/parallel difference: {worst:.2e}")
    assert worst < 1e-8
    n = [r["species"]["n"] for r in serial["records"]]
    assert abs(n[-1]["mass"] - n[0]["mass"]) < 1e-10 * n[0]["mass"]
    assert n[-1]["max"] != pytest.approx(n[0]["max"], rel=1e-3)  # the flow has moved the cells
