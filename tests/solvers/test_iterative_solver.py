"""The field-split AMG preset: Krylov iterations nearly independent of the mesh size."""

from __future__ import annotations

import pytest

from fem_chemotaxis.config.settings import SolverSettings, TimeSettings
from fem_chemotaxis.library import builtin_model
from fem_chemotaxis.mesh import create_builtin
from fem_chemotaxis.simulation import Simulation


def _krylov_per_newton(comm, n: int, solver: str) -> tuple[float, float]:
    model = builtin_model("keller-segel").with_parameters({"d": 0.1, "chi": 5.0})
    mesh = create_builtin(comm, "rectangle", [1.0, 1.0], [n, n])
    sim = Simulation(
        model,
        mesh,
        {"u": "1 + 0.5*exp(-20*((x-0.4)^2 + (y-0.6)^2))", "s": "1"},
        TimeSettings(dt=0.02, scheme="backward-euler"),  # iterations per Newton step: a Newton scheme
        solver=SolverSettings(solver),
    )
    sim.advance_to(0.2)
    newton = sum(h.newton_iterations for h in sim.history)
    return sum(h.krylov_iterations for h in sim.history) / newton, sim.statistics()["u"]["max"]


def test_fieldsplit_iterations_nearly_mesh_independent(comm):
    counts = {}
    for n in (32, 64, 128):
        counts[n], peak = _krylov_per_newton(comm, n, "iterative")
        _, peak_direct = _krylov_per_newton(comm, n, "direct")
        assert peak == pytest.approx(peak_direct, rel=1e-7)  # same solution as LU
    print("Krylov iterations per Newton step:", counts)
    assert counts[128] <= 1.3 * counts[32]
