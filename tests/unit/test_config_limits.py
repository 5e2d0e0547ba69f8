"""Configs that cannot run are refused at validation (and by --dry-run): non-finite numbers,
over-long or over-deep expressions, arithmetic that fails, meshes that cannot fit in memory."""

from __future__ import annotations

from pathlib import Path

import pytest
import tomllib

from fem_chemotaxis.config.run_config import ConfigError, parse_config
from tests.conftest import run_cli

VALID = """
[mesh]
builtin = "rectangle"
size = [1.0, 1.0]
cells = [8, 8]
[model]
name = "keller-segel"
[model.parameters]
chi = 1.0
[initial]
u = "1 + 0.1*cos(pi*x)"
s = "1"
[time]
t_end = 0.1
dt = 0.05
[output]
interval = 0.05
pictures = false
"""

USER_MODEL = """
[mesh]
builtin = "rectangle"
size = [1.0, 1.0]
cells = [8, 8]
[model]
name = "user"
[model.parameters]
chi = 1.0
[model.species.u]
diffusion = "0.1"
taxis = { towards = "s", sensitivity = "chi*u", limiter = "saturating", limiter_threshold = 1.0 }
[model.species.s]
diffusion = "1"
reaction = "u - s"
[initial]
u = "1"
s = "1"
[time]
t_end = 0.1
dt = 0.05
"""

_FLUX_BOUNDARY = '[[boundary]]\non = "left"\nspecies = "s"\ntype = "flux"\nvalue = "exp(chi*1000)"\n'
_GENERATOR = 'generator = "tissue-section"\n[mesh.parameters]\nsize = 1e-5'
_BUILTIN = 'builtin = "rectangle"\nsize = [1.0, 1.0]\ncells = [8, 8]'

# name: (config, replace this, with that, words the one-line message must contain)
REFUSED = {
    "infinite t_end": (VALID, "t_end = 0.1", "t_end = inf", ["[time] t_end", "inf", "finite"]),
    "nan dt": (VALID, "dt = 0.05", "dt = nan", ["[time] dt", "nan"]),
    "infinite parameter": (VALID, "chi = 1.0", "chi = -inf", ["[model.parameters] chi", "-inf"]),
    "negative dt": (VALID, "dt = 0.05", "dt = -0.05", ["[time] dt", "-0.05"]),
    "negative limiter_threshold": (
        USER_MODEL,
        "limiter_threshold = 1.0",
        "limiter_threshold = -1.0",
        ["limiter_threshold", "-1"],
    ),
    "division by zero": (VALID, 's = "1"', 's = "1/0"', ['[initial] s: division by zero in "1/0"']),
    "overflowing power": (VALID, 's = "1"', 's = "10^400"', ["[initial] s", "overflow", "10^400"]),
    "overflow on points": (VALID, 's = "1"', 's = "exp(1000*x)"', ["[initial] s", "overflow"]),
    "log of negative": (VALID, 's = "1"', 's = "log(-1)"', ["[initial] s", "log(-1)"]),
    "log of zero on the boundary": (VALID, 's = "1"', 's = "log(x)"', ["[initial] s", "logarithm of zero"]),
    "complex power": (VALID, 's = "1"', 's = "(-1)^0.5"', ["[initial] s", "not a real number"]),
    "huge integer literal": (VALID, 's = "1"', 's = "1' + "0" * 400 + '"', ["[initial] s", "too large"]),
    "over-long expression": (VALID, 's = "1"', 's = "' + "+".join(["1"] * 3000) + '"', ["[initial] s", "too long"]),
    "over-deep parentheses": (VALID, 's = "1"', 's = "' + "(" * 500 + "1" + ")" * 500 + '"', ["[initial] s", "nested"]),
    "long sum (deep tree)": (VALID, 's = "1"', 's = "' + "+".join(["x"] * 400) + '"', ["[initial] s", "nested"]),
    "reaction dividing by zero": (
        USER_MODEL,
        'reaction = "u - s"',
        'reaction = "u - s/(chi - 1)"',
        ["[model.species.s] reaction", "division by zero"],
    ),
    "boundary value overflow": (VALID, "[time]", _FLUX_BOUNDARY + "[time]", ["[boundary[0]] value", "overflow"]),
    "too many output times": (VALID, "interval = 0.05", "interval = 1e-300", ["[output] interval", "output times"]),
    "dt_min above dt_max": (VALID, "dt = 0.05", "dt = 0.05\ndt_min = 0.1\ndt_max = 0.01", ["dt_min", "dt_max"]),
    "mesh beyond memory": (VALID, "cells = [8, 8]", "cells = [1000000, 1000000]", ["[mesh] cells", "GiB", "available"]),
    "generated mesh beyond memory": (VALID, _BUILTIN, _GENERATOR, ["tissue-section", "size = 1e-05", "GiB"]),
    "unknown generator parameter": (VALID, _BUILTIN, _GENERATOR.replace("size", "sise"), ["sise", "size"]),
}


def _parse(text: str, tmp_path: Path):
    return parse_config(tomllib.loads(text), source="case.toml", base_dir=tmp_path)


def test_valid_configs_still_accepted(tmp_path):
    assert _parse(VALID, tmp_path).t_end == 0.1
    assert _parse(USER_MODEL, tmp_path).model.species[0].taxis[0].limiter_threshold == 1.0


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_refused_with_a_message_naming_key_and_value(case, tmp_path):
    text, old, new, words = REFUSED[case]
    assert old in text
    with pytest.raises(ConfigError) as err:
        _parse(text.replace(old, new, 1), tmp_path)
    message = str(err.value)
    assert "\n" not in message and len(message) < 400, message
    for word in words:
        assert word in message, f"{case}: {word!r} not in {message}"


@pytest.mark.serial
@pytest.mark.parametrize("case", ["infinite t_end", "division by zero", "over-long expression", "mesh beyond memory"])
def test_dry_run_shows_the_same_refusal(case, tmp_path):
    text, old, new, words = REFUSED[case]
    config = tmp_path / "bad.toml"
    config.write_text(text.replace(old, new, 1))
    result = run_cli("run", str(config), "--output", str(tmp_path / "run"), "--dry-run")
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.count("\n") == 1 and words[0] in result.stderr, result.stderr
    assert list(tmp_path.iterdir()) == [config]


@pytest.mark.serial
def test_non_finite_value_between_sample_points_refused_before_the_run_directory(tmp_path):
    """1/(x - 1/64) is infinite on a node of the 64-cell mesh that the validation lattice
    (33 points a side) does not visit: the interpolated values are checked before writing."""
    config = tmp_path / "bad.toml"
    config.write_text(VALID.replace("cells = [8, 8]", "cells = [64, 2]").replace('s = "1"', 's = "1/(x - 0.015625)"'))
    out = tmp_path / "run"
    result = run_cli("run", str(config), "--output", str(out))
    assert result.returncode == 2, result.stdout + result.stderr
    assert "[initial] s: value not finite at" in result.stderr and "Traceback" not in result.stderr
    assert not out.exists()
