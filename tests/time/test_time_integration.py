"""Time integration: observed orders, step rejection and retry, blow-up stops, adaptivity."""

from __future__ import annotations

import json
import math

import dolfinx.fem
import numpy as np
import pytest
import ufl

from mpi4py import MPI

from fem_chemotaxis.config.settings import TimeSettings
from fem_chemotaxis.expressions import Expression
from fem_chemotaxis.expressions.ufl_backend import UFL_FUNCTIONS
from fem_chemotaxis.mesh import create_builtin
from fem_chemotaxis.model import Model
from fem_chemotaxis.simulation import BlowUp, Simulation
from tests.conftest import run_cli

# Cubic profiles with zero slope at 0 and 1: no-flux holds, and P3 represents them exactly,
# so the only error left is that of the time discretisation.
P = "({v}*{v}*(3 - 2*{v}))"
EXACT = {
    "u": f"1 + 0.3*{P.format(v='x')}*exp(-t)",
    "s": f"1 + 0.2*{P.format(v='y')}*cos(t)",
}
PARAMS = {"d": 0.5, "chi": 0.8, "ds": 1.2, "alpha": 1.1, "beta": 0.7}


def _exact(name, x, t):
    return Expression.parse(EXACT[name], "exact").evaluate({"x": x[0], "y": x[1], "t": t}, UFL_FUNCTIONS)


def _sources():
    p = PARAMS

    def time_derivative(name, x, t):  # d/dt of the exact solution, by hand
        if name == "u":
            return -0.3 * x[0] ** 2 * (3 - 2 * x[0]) * ufl.exp(-t)
        return -0.2 * x[1] ** 2 * (3 - 2 * x[1]) * ufl.sin(t)

    def f_u(x, t):
        u, s = _exact("u", x, t), _exact("s", x, t)
        return time_derivative("u", x, t) - ufl.div(p["d"] * ufl.grad(u) - p["chi"] * u * ufl.grad(s))

    def f_s(x, t):
        u, s = _exact("u", x, t), _exact("s", x, t)
        return time_derivative("s", x, t) - ufl.div(p["ds"] * ufl.grad(s)) - p["alpha"] * u + p["beta"] * s

    return {"u": f_u, "s": f_s}


@pytest.mark.parametrize("scheme", ["crank-nicolson", "bdf2", "backward-euler"])
def test_observed_time_order(scheme, comm):
    model = Model.from_dict(
        {
            "parameters": PARAMS,
            "species": {
                "u": {"diffusion": "d", "taxis": [{"towards": "s", "sensitivity": "chi*u"}], "degree": 3},
                "s": {"diffusion": "ds", "reaction": "alpha*u - beta*s", "degree": 3},
            },
        }
    )
    mesh = create_builtin(comm, "rectangle", [1.0, 1.0], [3, 3])
    steps = [4, 8, 16, 32]
    t_end = 1.0
    errors = []
    for n in steps:
        sim = Simulation(model, mesh, EXACT, TimeSettings(dt=t_end / n, scheme=scheme), sources=_sources())
        sim.advance_to(t_end)
        x = ufl.SpatialCoordinate(mesh.mesh)
        total = 0.0
        for name in ("u", "s"):
            form = dolfinx.fem.form(
                (sim.u[name] - _exact(name, x, t_end)) ** 2 * ufl.dx(metadata={"quadrature_degree": 8})
            )
            total += comm.allreduce(dolfinx.fem.assemble_scalar(form), op=MPI.SUM)
        errors.append(math.sqrt(total))
    order = np.polyfit(np.log(steps), np.log(errors), 1)[0] * -1
    print(f"{scheme}: errors {errors}, observed order {order:.3f}")
    expected = 1 if scheme == "backward-euler" else 2
    assert order >= expected - 0.1
    assert order <= expected + 0.3


def test_failed_step_is_retried_and_the_run_completes(comm):
    """u' = u^2, u(0) = 1: a backward-Euler step of dt > 1/4 has no solution, so Newton fails."""
    model = Model.from_dict({"species": {"u": {"reaction": "u^2"}}})
    mesh = create_builtin(comm, "rectangle", [1.0, 1.0], [2, 2])
    sim = Simulation(model, mesh, {"u": 1.0}, TimeSettings(dt=0.4, scheme="backward-euler"))
    sim.advance_to(0.5)
    assert sim.history[0].rejected >= 1  # the first attempt at dt = 0.4 failed
    assert sim.time == pytest.approx(0.5)
    u = 1.0  # replay the accepted steps: u_new - dt u_new^2 = u (the root that tends to u as dt -> 0)
    for step in sim.history:
        u = (1 - math.sqrt(1 - 4 * step.dt * u)) / (2 * step.dt)
    assert sim.statistics()["u"]["max"] == pytest.approx(u, rel=1e-10)


def test_blowup_stops_with_time_location_and_value(comm):
    model = Model.from_dict({"species": {"u": {"reaction": "u^2"}}})
    mesh = create_builtin(comm, "rectangle", [1.0, 1.0], [4, 4])
    # Backward Euler runs ahead of the growth, so it stops before the exact blow-up at t = 2/3
    # (ros34pw2 at this fixed dt lags near the singularity and stops at 0.67).
    stepping = TimeSettings(dt=0.01, scheme="backward-euler", blowup_threshold=50.0)
    sim = Simulation(model, mesh, {"u": "1 + 0.5*x*y"}, stepping)
    with pytest.raises(BlowUp) as stop:
        sim.advance_to(2.0)
    report = stop.value.report
    # The peak is at the corner (1, 1), where u(0) = 1.5 blows up at t = 1/1.5.
    assert report["max_location"] == pytest.approx([1.0, 1.0])
    assert report["max_value"] > 50 and report["max_species"] == "u"
    assert 0.6 < report["time"] < 1 / 1.5


def test_adaptive_error_follows_the_tolerance(comm):
    """u' = u^2 towards its blow-up: the error of adaptive BDF2 falls with the tolerance."""
    model = Model.from_dict({"species": {"u": {"reaction": "u^2"}}})
    mesh = create_builtin(comm, "rectangle", [1.0, 1.0], [2, 2])
    results = []
    for rtol in (1e-2, 1e-3, 1e-4):
        sim = Simulation(
            model,
            mesh,
            {"u": 1.0},
            TimeSettings(dt=1e-3, scheme="bdf2", dt_max=0.2, adaptive=True, rtol=rtol, atol=rtol),
        )
        sim.advance_to(0.9)
        error = abs(sim.statistics()["u"]["max"] - 10.0) / 10.0
        results.append((rtol, error, len(sim.history)))
    print("rtol, relative error, steps:", results)
    (_, e1, n1), (_, e2, n2), (_, e3, n3) = results
    assert e3 < e2 < e1 and e3 < 0.05 and e1 / e3 > 10
    assert n1 < n2 < n3
    assert n3 < 900  # a fixed step of 1e-3 would take 900 steps


@pytest.mark.serial
def test_cli_blowup_run_stops_cleanly_with_report(tmp_path):
    config = tmp_path / "blowup.toml"
    config.write_text(
        """
[mesh]
builtin = "rectangle"
size = [1.0, 1.0]
cells = [24, 24]
[model]
name = "keller-segel"
[model.parameters]
d = 0.5
chi = 40.0
[initial]
u = "1 + 2*exp(-30*((x-0.5)^2 + (y-0.5)^2))"
s = "1"
[time]
t_end = 5.0
dt = 0.01
blowup_threshold = 30.0
[output]
interval = 0.5
"""
    )
    out = tmp_path / "run"
    result = run_cli("run", str(config), "--output", str(out))
    assert result.returncode == 0, result.stderr
    assert "blow-up" in result.stdout
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "blow-up"
    stop = summary["stop"]
    assert stop["max_value"] > 30 and stop["max_location"] == pytest.approx([0.5, 0.5], abs=0.05)
    assert summary["records"][-1]["time"] == pytest.approx(stop["time"])
    assert (out / "species.png").is_file() and (out / "u.bp").is_dir()
