"""Uniformly and logistically growing domains (the mesh follows the material).

On a domain growing as x = c + s(t) (X - c), the discrete step carries (u_n, v) from Omega_n
onto Omega_{n+1} exactly, so:

- the mass of a species without sources (Keller-Segel cells) is constant to round-off;
- |Omega(t)| = |Omega_0| s(t)^d to round-off;
- a spatially uniform density dilutes exactly like u0 |Omega_0| / |Omega(t)|.

A rejected step (here: every step after t = 0.25 sets a negative boundary value, which
``negative_tolerance`` rejects down to dt_min) must leave the mesh exactly where it was at
the last accepted time.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from fem_chemotaxis.config.settings import TimeSettings
from fem_chemotaxis.library import builtin_model
from fem_chemotaxis.mesh.builtin import create_builtin
from fem_chemotaxis.model.boundary import BoundaryCondition
from fem_chemotaxis.model.model import Model
from fem_chemotaxis.motion import MeshMotion
from fem_chemotaxis.simulation import Simulation, SolverFailure

GROWTH = {
    "uniform-growth": {"kind": "uniform-growth", "rate": 0.4, "centre": [0.5, 0.25]},
    "logistic-growth": {"kind": "logistic-growth", "rate": 1.5, "capacity": 1.6},
}


def _motion(table: dict, model: Model) -> MeshMotion:
    return MeshMotion.from_dict(table, model.species_names, model.parameters)


@pytest.mark.parametrize("kind", GROWTH)
@pytest.mark.parametrize("scheme", ["backward-euler", "bdf2"])
def test_mass_constant_and_volume_grows(comm, kind, scheme):
    model = builtin_model("keller-segel").with_parameters({"chi": 2.0, "d": 0.2})
    motion = _motion(GROWTH[kind], model)
    sim = Simulation(
        model,
        create_builtin(comm, "rectangle", [1.0, 0.5], [12, 6]),
        {"u": "1 + 0.5*exp(-30*((x - 0.3)^2 + (y - 0.2)^2))", "s": "1"},
        TimeSettings(dt=0.05, scheme=scheme),
        motion=motion,
    )
    volume0 = sim.mesh_statistics()["volume"]
    mass0 = sim.statistics()["u"]["mass"]
    masses = []
    sim.advance_to(1.0, lambda step: masses.append(sim.statistics()["u"]["mass"]))
    assert len(masses) == 20
    assert max(abs(m - mass0) for m in masses) < 1e-8 * mass0
    assert sim.mesh_statistics()["volume"] == pytest.approx(volume0 * motion.scale(1.0) ** 2, rel=1e-10)
    assert motion.scale(1.0) > 1.15  # the domain did grow
    assert sim.statistics()["u"]["max"] < 1.5 / motion.scale(1.0) ** 2 + 0.1  # and the cells diluted


@pytest.mark.parametrize("kind", GROWTH)
def test_uniform_density_dilutes_pointwise(comm, kind):
    model = Model.from_dict({"name": "diffusion", "parameters": {"D": 0.1}, "species": {"u": {"diffusion": "D"}}})
    motion = _motion(GROWTH[kind], model)
    sim = Simulation(
        model,
        create_builtin(comm, "rectangle", [1.0, 0.5], [8, 4]),
        {"u": "2"},
        TimeSettings(dt=0.1, scheme="bdf2"),
        motion=motion,
    )
    volume0 = sim.mesh_statistics()["volume"]
    sim.advance_to(1.0)
    volume = sim.mesh_statistics()["volume"]
    expected = 2.0 * volume0 / volume
    assert np.max(np.abs(sim.u["u"].x.array - expected)) < 1e-8
    assert volume / volume0 == pytest.approx(motion.scale(1.0) ** 2, rel=1e-10)


def test_growth_factors():
    uniform = MeshMotion(kind="uniform-growth", rate=0.3)
    logistic = MeshMotion(kind="logistic-growth", rate=2.0, capacity=3.0)
    assert uniform.scale(0.0) == logistic.scale(0.0) == 1.0
    assert uniform.scale(2.0) == pytest.approx(math.exp(0.6))
    assert logistic.scale(50.0) == pytest.approx(3.0)
    # s' = r s (1 - s/K): the logistic equation
    h, t = 1e-6, 0.7
    slope = (logistic.scale(t + h) - logistic.scale(t - h)) / (2 * h)
    assert slope == pytest.approx(2.0 * logistic.scale(t) * (1 - logistic.scale(t) / 3.0), rel=1e-8)


def test_rejected_steps_restore_the_geometry_exactly(comm):
    model = Model.from_dict({"name": "diffusion", "parameters": {"D": 0.1}, "species": {"u": {"diffusion": "D"}}})
    bc = BoundaryCondition.from_dict(
        {"on": "left", "species": "u", "type": "dirichlet", "value": "1 - 3*heaviside(t - 0.25)"}, "boundary[0]"
    )
    mesh = create_builtin(comm, "rectangle", [1.0, 1.0], [6, 6])
    sim = Simulation(
        model,
        mesh,
        {"u": "1"},
        TimeSettings(dt=0.05, dt_min=0.01, negative_tolerance=1e-6),
        boundary_conditions=[bc],
        motion=_motion({"kind": "uniform-growth", "rate": 1.0}, model),
    )
    accepted = []
    with pytest.raises(SolverFailure):
        sim.advance_to(1.0, lambda step: accepted.append((sim.time, mesh.mesh.geometry.x.copy())))
    time, geometry = accepted[-1]
    assert sim.time == time == pytest.approx(0.25)
    assert np.array_equal(mesh.mesh.geometry.x, geometry)  # bit for bit, after 3 rejected attempts
    assert not np.array_equal(geometry, accepted[0][1])  # (the mesh did move before)


def test_growth_in_three_dimensions_keeps_shapes(comm):
    model = Model.from_dict({"name": "diffusion", "parameters": {"D": 0.1}, "species": {"u": {"diffusion": "D"}}})
    motion = _motion({"kind": "logistic-growth", "rate": 2.0, "capacity": 1.4}, model)
    sim = Simulation(
        model,
        create_builtin(comm, "box", [1.0, 1.0, 1.0], [3, 3, 3]),
        {"u": "1 + 0.5*x*y*z"},
        TimeSettings(dt=0.1, scheme="bdf2"),
        motion=motion,
    )
    start, mass0 = sim.mesh_statistics(), sim.statistics()["u"]["mass"]
    sim.advance_to(0.5)
    end = sim.mesh_statistics()
    assert end["volume"] == pytest.approx(start["volume"] * motion.scale(0.5) ** 3, rel=1e-10)
    assert end["min_quality"] == pytest.approx(start["min_quality"], rel=1e-12)  # scaling keeps shapes
    assert 0 < start["min_quality"] < 1
    assert sim.statistics()["u"]["mass"] == pytest.approx(mass0, rel=1e-12)
