"""Derived quantities ([[quantity]], fc.Integral/Flux/CentreOfMass) against closed forms; 1 vs 2 ranks.

The fields are linear, u = 1 + 2x + 3y and s = x on the unit square, which P1 holds exactly:
every integral below is then exact up to round-off, on any number of ranks.
"""

from __future__ import annotations

import csv
import json

import dolfinx.mesh
import numpy as np
import pytest

from mpi4py import MPI

import fem_chemotaxis as fc
from fem_chemotaxis.outputs import QuantityValues
from tests.conftest import run_cli

MODEL = {
    "species": {
        "u": {"diffusion": "D", "taxis": [{"towards": "s", "sensitivity": "chi*u"}]},
        "s": {"diffusion": "1"},
    },
    "parameters": {"D": 0.5, "chi": 0.2},
}
INITIAL = {"u": "1 + 2*x + 3*y", "s": "x"}


def _halves(comm: MPI.Comm) -> fc.TaggedMesh:
    """The unit square with cell groups left (x < 1/2) and right, sides west/east/south/north, and the
    interior line x = 1/2 as the facet group middle."""
    mesh = dolfinx.mesh.create_rectangle(comm, [[0, 0], [1, 1]], [8, 8])
    tdim, fdim = 2, 1
    cells = np.arange(
        mesh.topology.index_map(tdim).size_local + mesh.topology.index_map(tdim).num_ghosts, dtype=np.int32
    )
    left = dolfinx.mesh.compute_midpoints(mesh, tdim, cells)[:, 0] < 0.5
    cell_tags = dolfinx.mesh.meshtags(mesh, tdim, cells, np.where(left, 1, 2).astype(np.int32))
    sides = {
        "west": lambda x: np.isclose(x[0], 0),
        "east": lambda x: np.isclose(x[0], 1),
        "south": lambda x: np.isclose(x[1], 0),
        "north": lambda x: np.isclose(x[1], 1),
        "middle": lambda x: np.isclose(x[0], 0.5),
    }
    found = [dolfinx.mesh.locate_entities(mesh, fdim, where) for where in sides.values()]
    facets = np.concatenate(found)
    values = np.concatenate([np.full(len(f), k, dtype=np.int32) for k, f in enumerate(found, start=1)])
    order = np.argsort(facets)
    facet_tags = dolfinx.mesh.meshtags(mesh, fdim, facets[order], values[order])
    groups = {"left": (2, 1), "right": (2, 2), **{name: (1, k) for k, name in enumerate(sides, start=1)}}
    return fc.TaggedMesh(mesh, cell_tags, facet_tags, groups, "two halves")


@pytest.fixture
def simulation(comm) -> fc.Simulation:
    return fc.Simulation(fc.Model.from_dict(MODEL), _halves(comm), INITIAL, fc.TimeSettings(dt=0.01))


def test_quantities_of_linear_fields_equal_their_closed_forms(simulation):
    quantities = [
        fc.Integral("left_cells", "u", over="left"),  # int_0^1/2 int_0^1 u = 1/2 + 1/4 + 3/4
        fc.Integral("left_moment", "x*u", over="left"),  # 2.5/8 + 2/24 (quadratic: exact quadrature)
        fc.Integral("east_trace", "u", on="east"),  # int_0^1 (3 + 3y) dy
        fc.Flux("u_out_east", "u", on="east"),  # -D du/dx + chi u ds/dx on x = 1: -2D + 4.5 chi
        fc.Flux("s_out_west", "s", on="west"),  # -ds/dx . (-1) = 1
        fc.Flux("s_out_all", "s", on=["west", "east", "south", "north"]),  # div grad s = 0
        fc.CentreOfMass("centre", "u"),  # (23/12, 2) / 3.5
        fc.CentreOfMass("centre_right", "u", over="right"),
    ]
    values = QuantityValues(simulation, quantities).values()
    d, chi = MODEL["parameters"]["D"], MODEL["parameters"]["chi"]
    exact = {
        "left_cells": 1.5,
        "left_moment": 2.5 / 8 + 2 / 24,
        "east_trace": 4.5,
        "u_out_east": -2 * d + 4.5 * chi,
        "s_out_west": 1.0,
        "s_out_all": 0.0,
        "centre": [(23 / 12) / 3.5, 2.0 / 3.5],
        # right half: int u = 1/2 + 3/4 + 3/4 = 2, int x u = 2.5*3/8 + 2*7/24, int y u = int (3/2 + x) dx
        "centre_right": [(2.5 * 3 / 8 + 2 * 7 / 24) / 2.0, (1.5 / 2 + 3 / 8) / 2.0],
    }
    for name, value in exact.items():
        assert np.allclose(values[name], value, rtol=0, atol=1e-13), (name, values[name], value)  # measured 2e-15


def test_quantity_mistakes_name_the_quantity(simulation):
    with pytest.raises(ValueError, match="'centre'.*left, right"):
        QuantityValues(simulation, [fc.Integral("nowhere", "u", over="centre")])
    with pytest.raises(ValueError, match="middle' lies inside the domain"):
        QuantityValues(simulation, [fc.Flux("through", "u", on="middle")])
    with pytest.raises(ValueError, match=r"\[quantity.w\] species 'w' is not in the model"):
        QuantityValues(simulation, [fc.CentreOfMass("w", "w")])
    with pytest.raises(ValueError, match="'mass' is taken"):
        QuantityValues(simulation, [fc.Integral("mass", "u")])
    with pytest.raises(ValueError, match="unknown symbol 'k'"):
        QuantityValues(simulation, [fc.Integral("total", "k*u")])


def test_config_quantities_are_checked_with_the_config(tmp_path):
    base = {
        "mesh": {"builtin": "rectangle", "size": [1.0, 1.0], "cells": [4, 4]},
        "model": {"name": "keller-segel"},
        "initial": {"u": "1", "s": "1"},
        "time": {"t_end": 0.1, "dt": 0.05},
    }
    config = fc.ConfigDocument({**base, "quantity": [{"name": "release", "flux": "s", "on": "right"}]}).parse()
    assert config.quantities == (fc.Flux("release", "s", on=("right",)),)
    bad = {"name": "release", "flux": "s", "over": "domain"}
    with pytest.raises(fc.ConfigError, match=r"'over' in \[quantity\[0\]\]; allowed: flux, name, on"):
        fc.ConfigDocument({**base, "quantity": [bad]}).parse()
    with pytest.raises(fc.ConfigError, match="write \\[\\[quantity\\]\\]"):
        fc.ConfigDocument({**base, "quantity": {"name": "x"}}).parse()


class _Times(fc.Output):
    """An output of one's own: the times it was asked to write, and how the run ended."""

    def __init__(self) -> None:
        self.times: list[float] = []
        self.finished: bool | None = None

    def write(self, sim, records):
        assert records[-1]["time"] == sim.time
        self.times.append(sim.time)

    def close(self, sim, records, finished):
        self.finished = finished


def test_run_simulation_records_quantities_and_calls_every_output(simulation, shared_tmp_path):
    mine = _Times()
    summary = fc.run_simulation(
        simulation,
        0.02,
        0.01,
        shared_tmp_path / "run",
        quantities=[fc.Integral("total", "u")],
        outputs=[fc.TimeSeries(), mine],
    )
    assert summary["status"] == "completed" and mine.finished is True
    assert mine.times == pytest.approx([0.0, 0.01, 0.02])
    mass = [r["species"]["u"]["mass"] for r in summary["records"]]
    total = [r["quantities"]["total"] for r in summary["records"]]
    assert np.allclose(total, mass, rtol=1e-13)  # the same integral (measured 1e-15)
    assert total[0] == pytest.approx(3.5, rel=1e-14)
    if MPI.COMM_WORLD.rank == 0:
        rows = list(csv.DictReader((shared_tmp_path / "run" / "timeseries.csv").open()))
        assert [float(r["total"]) for r in rows] == total  # exactly the numbers of summary.json


CONFIG = """
[mesh]
builtin = "rectangle"
size = [1.0, 1.0]
cells = [12, 12]
[model]
name = "keller-segel"
[model.parameters]
chi = 2.0
[initial]
u = "1 + 0.3*cos(pi*x)*cos(pi*y)"
s = "1"
[[boundary]]
on = "right"
species = "s"
type = "flux"
value = "0.5"
[time]
t_end = 0.2
dt = 0.05
[output]
interval = 0.1
[[quantity]]
name = "right_release"
flux = "s"
on = "right"
[[quantity]]
name = "cells"
centre_of_mass = "u"
[[quantity]]
name = "left_cells"
integral = "u*heaviside(0.5 - x)"
"""


@pytest.mark.serial
def test_quantities_are_recorded_plotted_and_the_same_on_one_and_two_ranks(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text(CONFIG)
    summaries = []
    for ranks in (1, 2):
        out = tmp_path / f"np{ranks}"
        result = run_cli("run", str(config), "--output", str(out), nprocs=ranks)
        assert result.returncode == 0, result.stdout + result.stderr
        summaries.append(json.loads((out / "summary.json").read_text()))
        header = (out / "timeseries.csv").read_text().splitlines()[0].split(",")
        assert header[-4:] == ["right_release", "cells_x", "cells_y", "left_cells"]
        assert all((out / f"{name}.png").is_file() for name in ("right_release", "cells", "left_cells"))
    differences = [
        np.max(np.abs(np.subtract(value, two["quantities"][name])) / np.maximum(np.abs(value), 1.0))
        for one, two in zip(summaries[0]["records"], summaries[1]["records"])
        for name, value in one["quantities"].items()
    ]
    print(f"largest relative difference of a quantity, 1 vs 2 ranks: {max(differences):.1e}")
    assert max(differences) < 1e-9  # measured 1.1e-15
