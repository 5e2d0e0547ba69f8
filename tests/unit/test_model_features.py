"""Non-local terms, reproducible noise, anisotropic diffusion and config tables for BCs/subdomains."""

from __future__ import annotations

import tomllib

import numpy as np
import pytest
from mpi4py import MPI

from fem_chemotaxis.config.settings import TimeSettings
from fem_chemotaxis.config.run_config import ConfigError, parse_config
from fem_chemotaxis.mesh import create_builtin
from fem_chemotaxis.model import Model
from fem_chemotaxis.simulation import Simulation
from tests.unit.test_config import VALID


def test_nonlocal_integral_follows_its_discrete_recursion(comm):
    """du/dt = u (a - int u): with the integral lagged, M_{n+1} = M_n / (1 - dt (a - M_n))."""
    a, dt, steps = 2.0, 0.05, 10
    model = Model.from_dict({"species": {"u": {"reaction": "u*(a - integral(u))"}}, "parameters": {"a": a}})
    mesh = create_builtin(comm, "rectangle", [1.0, 1.0], [8, 8])
    sim = Simulation(model, mesh, {"u": "0.1*(1 + x)"}, TimeSettings(dt=dt))
    mass = mass0 = sim.statistics()["u"]["mass"]
    for _ in range(steps):
        sim.step(dt)
        mass = mass / (1 - dt * (a - mass))
    assert sim.statistics()["u"]["mass"] == pytest.approx(mass, rel=1e-10)
    assert mass > 2 * mass0  # growing towards the carrying capacity a


def test_noise_is_reproducible_and_bounded(comm):
    model = Model.from_dict({"species": {"u": {"diffusion": "1"}}})
    mesh = create_builtin(comm, "rectangle", [1.0, 1.0], [16, 16])
    first = Simulation(model, mesh, {"u": "1 + 0.1*noise(7)"}, TimeSettings(dt=0.1)).u["u"].x.array.copy()
    again = Simulation(model, mesh, {"u": "1 + 0.1*noise(7)"}, TimeSettings(dt=0.1)).u["u"].x.array
    other = Simulation(model, mesh, {"u": "1 + 0.1*noise(8)"}, TimeSettings(dt=0.1)).u["u"].x.array
    assert np.array_equal(first, again)
    assert np.abs(first - 1).max() <= 0.1 and np.std(first) > 0.04  # uniform in [-0.1, 0.1]: std 0.058
    assert np.abs(first - other).max() > 0.05


def test_anisotropic_diffusion_decays_each_direction_at_its_rate(comm):
    """u = 1 + eps cos(pi x) cos(pi y) under D = diag(Dx, Dy) decays at pi^2 (Dx + Dy)."""
    dx, dy, eps, t_end = 1.0, 0.1, 1e-3, 0.2
    model = Model.from_dict({"species": {"u": {"diffusion": [["Dx", 0], [0, "Dy"]]}}, "parameters": {"Dx": dx, "Dy": dy}})
    mesh = create_builtin(comm, "rectangle", [1.0, 1.0], [48, 48])
    sim = Simulation(
        model,
        mesh,
        {"u": f"1 + {eps}*cos(pi*x)*cos(pi*y)"},
        TimeSettings(dt=0.002, scheme="crank-nicolson"),
    )
    sim.advance_to(t_end)
    amplitude = sim.statistics()["u"]["max"] - 1
    rate = -np.log(amplitude / eps) / t_end
    expected = np.pi**2 * (dx + dy)
    assert rate == pytest.approx(expected, rel=1e-2)


CASES = {
    "boundary species": ('[output]', '[[boundary]]\non = "left"\nspecies = "w"\ntype = "flux"\nvalue = 1\n[output]', "species 'w'"),
    "boundary type": ('[output]', '[[boundary]]\non = "left"\nspecies = "u"\ntype = "neumann"\nvalue = 1\n[output]', "'neumann'"),
    "boundary not an array": ('[output]', '[boundary]\non = "left"\n[output]', "[[boundary]]"),
    "robin without rate": ('[output]', '[[boundary]]\non = "left"\nspecies = "u"\ntype = "robin"\nvalue = 1\n[output]', "rate"),
    "dirichlet on a species": ('[output]', '[[boundary]]\non = "left"\nspecies = "s"\ntype = "dirichlet"\nvalue = "u"\n[output]', "'u'"),
    "subdomain parameter": ('[output]', '[subdomains.tumour]\nkhi = 1\n[output]', "khi"),
    "noise outside [initial]": ('chi = 2.0', 'chi = 2.0\n[model.species.u]\ndiffusion = "noise(1)"', "noise"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_boundary_and_subdomain_tables(case, tmp_path):
    old, new, word = CASES[case]
    with pytest.raises(ConfigError) as err:
        parse_config(tomllib.loads(VALID.replace(old, new, 1)), "case.toml", tmp_path)
    assert word in str(err.value)


def test_unknown_boundary_name_lists_the_mesh_groups(comm):
    config = parse_config(
        tomllib.loads(VALID.replace("[output]", '[[boundary]]\non = "vessel"\nspecies = "u"\ntype = "flux"\nvalue = 1\n[output]')),
    )
    mesh = create_builtin(MPI.COMM_WORLD, "rectangle", [1.0, 1.0], [4, 4])
    with pytest.raises(ValueError, match="'vessel'.*bottom, left, right, top"):
        Simulation.from_config(config, mesh=mesh)
