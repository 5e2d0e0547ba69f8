"""[model.flow] in configs: valid tables resolve, each mistake names its key and writes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
import tomllib

from fem_chemotaxis.config.run_config import ConfigError, parse_config
from fem_chemotaxis.mesh.builtin import create_builtin
from fem_chemotaxis.simulation import Simulation
from tests.conftest import run_cli
from tests.flow.models import BIOCONVECTION_TOML

# (replace this, with that, the words the error message must contain)
INVALID = {
    "unknown flow key": ('kind = "stokes"', 'kind = "stokes"\nviscosty = "1"', ["[model.flow]", "viscosty"]),
    "unknown kind": ('kind = "stokes"', 'kind = "darcy"', ["[model.flow] kind", "darcy", "navier-stokes"]),
    "unknown symbol in force": ('["0", "-G*n"]', '["0", "-G*m"]', ["[model.flow] body_force[1]", "'m'"]),
    "force not a vector": ('["0", "-G*n"]', '"-G*n"', ["[model.flow] body_force", "list of 2 or 3"]),
    "unknown advected species": (
        'viscosity = "eta"',
        'viscosity = "eta"\nadvected = ["m"]',
        ["[model.flow] advected", "'m'"],
    ),
    "velocity without value": ('type = "free-slip"', 'type = "velocity"', ["[model.flow.boundary[0]]", "value"]),
    "unknown boundary type": ('type = "free-slip"', 'type = "slip"', ["[model.flow.boundary[0]] type", "free-slip"]),
    "prescribed with a force": (
        'kind = "stokes"',
        'kind = "prescribed"\nvelocity = ["y", "0"]',
        ["[model.flow]", "'viscosity'", "prescribed"],
    ),
    "negative viscosity": ('eta = 1.0', 'eta = -1.0', ["[model.flow] viscosity", "positive"]),
    "negative grad-div": ('viscosity = "eta"', 'viscosity = "eta"\ngrad_div = -1', ["[model.flow] grad_div", "-1"]),
    "bad coupling": (
        'viscosity = "eta"',
        'viscosity = "eta"\ncoupling = "staggered"',
        ["[model.flow] coupling", "split"],
    ),
    "missing velocity file": (
        'kind = "stokes"\nviscosity = "eta"\nbody_force = ["0", "-G*n"]\n[[model.flow.boundary]]\non = "top"\n'
        'type = "free-slip"',
        'kind = "prescribed"\nfile = "no/flow.vtu"',
        ["[model.flow] file", "no/flow.vtu"],
    ),
}

# Mistakes found when the flow meets the mesh (before anything is written).
INVALID_ON_MESH = {
    "3-D force on a 2-D mesh": ('["0", "-G*n"]', '["0", "0", "-G*n"]', ["[model.flow]", "3 components", "2-D"]),
    "unknown boundary name": (
        'on = "top"\ntype = "free-slip"',
        'on = "surface"\ntype = "free-slip"',
        ["'surface'", "bottom", "top"],
    ),
    "net inflow into a closed box": (
        'type = "free-slip"',
        'type = "velocity"\nvalue = ["0", "-1"]',
        ["net inflow", "outflow"],
    ),
}


def _parse(text: str, tmp_path: Path):
    return parse_config(tomllib.loads(text), source="case.toml", base_dir=tmp_path)


def test_flow_config_resolves(tmp_path):
    config = _parse(BIOCONVECTION_TOML, tmp_path)
    flow = config.model.flow
    assert flow is not None and flow.kind == "stokes" and flow.coupling == "monolithic"
    assert [b.kind for b in flow.boundaries] == ["free-slip"] and flow.advected_species(["n", "c"]) == ["n", "c"]
    assert config.resolved["model"]["flow"]["body_force"] == ["0", "-G*n"]
    assert any("grad p" in line for line in config.resolved["model"]["equations"])


def test_builtin_model_takes_a_flow(tmp_path):
    text = """
[mesh]
builtin = "rectangle"
size = [1.0, 1.0]
cells = [4, 4]
[model]
name = "keller-segel"
[model.flow]
kind = "prescribed"
velocity = ["0.1*sin(pi*x)*cos(pi*y)", "-0.1*cos(pi*x)*sin(pi*y)"]
advected = ["u"]
[initial]
u = "1"
s = "1"
[time]
t_end = 0.1
dt = 0.05
"""
    model = _parse(text, tmp_path).model
    assert model.flow is not None and model.flow.advected_species(model.species_names) == ["u"]


@pytest.mark.parametrize("case", sorted(INVALID))
def test_invalid_flow_config_names_the_key(case, tmp_path):
    old, new, words = INVALID[case]
    assert old in BIOCONVECTION_TOML
    with pytest.raises(ConfigError) as err:
        _parse(BIOCONVECTION_TOML.replace(old, new, 1), tmp_path)
    for word in words:
        assert word in str(err.value), (word, str(err.value))


@pytest.mark.parametrize("case", sorted(INVALID_ON_MESH))
def test_flow_mistakes_found_on_the_mesh(comm, case, tmp_path):
    old, new, words = INVALID_ON_MESH[case]
    assert old in BIOCONVECTION_TOML
    config = _parse(BIOCONVECTION_TOML.replace(old, new, 1), tmp_path)
    mesh = create_builtin(comm, "rectangle", [2.0, 1.0], [4, 2])
    with pytest.raises(ValueError) as err:
        Simulation.from_config(config, mesh=mesh)
    for word in words:
        assert word in str(err.value), (word, str(err.value))


def test_free_slip_needs_axis_aligned_walls(comm, tmp_path):
    config = _parse(BIOCONVECTION_TOML, tmp_path)
    mesh = create_builtin(comm, "rectangle", [2.0, 1.0], [4, 2])
    x = mesh.mesh.geometry.x
    x[:, 1] += 0.2 * x[:, 0]  # shear: the top is no longer horizontal
    with pytest.raises(
        ValueError, match=r"\[model.flow.boundary\[0\]\] type = \"free-slip\" needs boundaries perpendicular"
    ):
        Simulation.from_config(config, mesh=mesh)


@pytest.mark.serial
def test_cli_exit_code_2_and_nothing_written(tmp_path):
    config = tmp_path / "bad.toml"
    config.write_text(BIOCONVECTION_TOML.replace('["0", "-G*n"]', '["0", "0", "-G*n"]'))
    out = tmp_path / "out"
    result = run_cli("run", str(config), "--output", str(out))
    assert result.returncode == 2, result.stdout + result.stderr
    assert "3 components" in result.stderr + result.stdout
    assert not out.exists()
