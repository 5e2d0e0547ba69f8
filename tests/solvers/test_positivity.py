"""Log-density variables keep densities positive where plain Galerkin undershoots, conserving mass."""

from __future__ import annotations

import pytest

from fem_chemotaxis.config.settings import Discretisation, TimeSettings
from fem_chemotaxis.library import builtin_model
from fem_chemotaxis.mesh import create_builtin
from fem_chemotaxis.simulation import Simulation

INITIAL = {"u": "1 + 0.5*exp(-20*((x-0.3)^2 + (y-0.4)^2))", "s": "1"}


@pytest.fixture(scope="module")
def steep_aggregation():
    """Strong aggregation (d = 0.01) on a coarse 16 x 16 mesh, to t = 2.9."""
    return builtin_model("keller-segel").with_parameters({"d": 0.01, "chi": 1.0})


def _run(model, comm, positivity):
    mesh = create_builtin(comm, "rectangle", [1.0, 1.0], [16, 16])
    # Both with backward Euler (what log-density runs): the comparison is of the space discretisation.
    stepping = TimeSettings(dt=0.02, scheme="backward-euler")
    sim = Simulation(model, mesh, INITIAL, stepping, discretisation=Discretisation(positivity))
    before = sim.statistics()["u"]
    sim.advance_to(2.9)
    return before, sim.statistics()["u"]


def test_galerkin_goes_clearly_negative(steep_aggregation, comm):
    before, after = _run(steep_aggregation, comm, "none")
    print(f"Galerkin: min {after['min']:.4g}, max {after['max']:.4g}")
    assert after["min"] < -0.5
    assert abs(after["mass"] - before["mass"]) < 1e-10 * before["mass"]


def test_log_density_stays_positive_and_conserves_mass(steep_aggregation, comm):
    before, after = _run(steep_aggregation, comm, "log-density")
    drift = abs(after["mass"] - before["mass"]) / before["mass"]
    print(f"log-density: min {after['min']:.4g}, max {after['max']:.4g}, relative mass change {drift:.2e}")
    assert after["min"] >= -1e-12
    assert after["max"] > 20  # the aggregate is as steep as in the Galerkin run
    assert drift < 1e-10
