"""``[mesh.motion]`` in configs: mistakes name the key; runs refuse what they cannot do."""

from __future__ import annotations

import pytest
import tomllib

from fem_chemotaxis.config import ConfigDocument
from fem_chemotaxis.config.run_config import ConfigError, parse_config
from fem_chemotaxis.runner import run

BASE = """
[mesh]
builtin = "rectangle"
size = [1.0, 1.0]
cells = [4, 4]

[model]
name = "keller-segel"

[initial]
u = "1"
s = "1"

[time]
t_end = 0.2
dt = 0.05

[output]
pictures = false
"""


def config(motion: str, time: str = "") -> dict:
    tables = tomllib.loads(BASE)
    tables["mesh"]["motion"] = tomllib.loads(motion)
    tables["time"].update(tomllib.loads(time))
    return tables


@pytest.mark.parametrize(
    ("motion", "message"),
    [
        ('kind = "wobble"', "[mesh.motion] kind = 'wobble' is unknown; choose one of: uniform-growth"),
        ('kind = "uniform-growth"\nrate = 1\nspeed = 2', "unknown key 'speed' in [mesh.motion]"),
        ('kind = "uniform-growth"', "[mesh.motion] needs rate"),
        ('kind = "uniform-growth"\nrate = "fast"', "[mesh.motion] rate must be a number, got 'fast'"),
        ('kind = "prescribed"\ndisplacement = ["u*t", "0"]', "[mesh.motion] displacement[0]: unknown symbol 'u'"),
        ('kind = "prescribed"\ndisplacement = "t"', "[mesh.motion] displacement must be a list"),
        (
            'kind = "solution-driven"\nnormal_speed = "q*u"\nboundaries = ["right"]',
            "[mesh.motion] normal_speed: unknown symbol 'q'",
        ),
        ('kind = "solution-driven"\nnormal_speed = "u"', "[mesh.motion] needs boundaries"),
        (
            'kind = "prescribed"\ndisplacement = ["t", "0"]\nextension = "magic"',
            "[mesh.motion] extension = 'magic' is unknown",
        ),
        ('kind = "logistic-growth"\nrate = 1\nmin_quality = 1.5', "[mesh.motion] min_quality must lie in (0, 1)"),
    ],
)
def test_bad_motion_tables_name_the_key(motion, message):
    with pytest.raises(ConfigError) as error:
        parse_config(config(motion), source="moving.toml")
    assert message in str(error.value)
    assert "moving.toml" in str(error.value)


def test_crank_nicolson_is_refused_on_moving_meshes():
    with pytest.raises(ConfigError, match=r"crank-nicolson\" is not supported with \[mesh.motion\]"):
        parse_config(config('kind = "uniform-growth"\nrate = 1', 'scheme = "crank-nicolson"'))
    parse_config(config('kind = "uniform-growth"\nrate = 1', 'scheme = "bdf2"'))


def test_unknown_boundary_fails_before_anything_is_written(comm, shared_tmp_path):
    tables = config('kind = "solution-driven"\nnormal_speed = "u"\nboundaries = ["rim"]')
    with pytest.raises(ValueError, match=r"\[mesh.motion\] boundaries: boundary 'rim' is not a physical group"):
        run(ConfigDocument(tables, "moving.toml", str(shared_tmp_path)), shared_tmp_path / "run", comm=comm)
    assert not (shared_tmp_path / "run").exists()


def test_an_interface_inside_the_domain_cannot_move(comm, shared_tmp_path):
    tables = config('kind = "solution-driven"\nnormal_speed = "u"\nboundaries = ["interface"]')
    tables["mesh"] = {"generator": "tumour-stroma", "parameters": {"size": 0.3}, "motion": tables["mesh"]["motion"]}
    with pytest.raises(ValueError, match=r"'interface' has \d+ facets inside the domain"):
        run(ConfigDocument(tables, "moving.toml", str(shared_tmp_path)), shared_tmp_path / "run", comm=comm)
