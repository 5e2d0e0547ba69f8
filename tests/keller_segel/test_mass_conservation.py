"""The cell mass of Keller-Segel is conserved under no-flux boundaries, also while aggregating."""

from __future__ import annotations

from fem_chemotaxis.config.settings import TimeSettings
from fem_chemotaxis.library import builtin_model
from fem_chemotaxis.mesh.builtin import create_builtin
from fem_chemotaxis.simulation import Simulation


def test_cell_mass_conserved_during_aggregation(comm):
    model = builtin_model("keller-segel").with_parameters({"d": 0.1, "chi": 5.0})
    mesh = create_builtin(comm, "rectangle", [1.0, 1.0], [32, 32])
    sim = Simulation(model, mesh, {"u": "1 + 0.5*exp(-20*((x-0.4)^2 + (y-0.6)^2))", "s": "1"}, TimeSettings(dt=0.02))
    before = sim.statistics()["u"]
    sim.advance_to(1.0)
    after = sim.statistics()["u"]
    assert after["max"] > 2 * before["max"], "the test case must aggregate"
    assert abs(after["mass"] - before["mass"]) / before["mass"] < 1e-10
