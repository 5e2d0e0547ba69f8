"""Invalid configurations stop with a clear message naming the key, and write nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fem_chemotaxis.config.run_config import ConfigError, parse_config
from tests.conftest import run_cli

VALID = """
[mesh]
builtin = "rectangle"
size = [1.0, 1.0]
cells = [4, 4]
[model]
name = "keller-segel"
[model.parameters]
chi = 2.0
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

# (replace this, with that, the words the error message must contain)
INVALID = {
    "unknown key": ('dt = 0.05', 'dt = 0.05\ndtt = 1', ["dtt", "[time]"]),
    "unknown top-level table": ('[output]', '[outputs]\n[output]', ["outputs", "top level"]),
    "missing species initial value": ('s = "1"', '', ["[initial]", "species s"]),
    "bad number": ('chi = 2.0', 'chi = "two"', ["[model.parameters] chi", "'two'"]),
    "non-positive dt": ('dt = 0.05', 'dt = -0.05', ["[time] dt", "-0.05"]),
    "zero dt": ('dt = 0.05', 'dt = 0', ["[time] dt", "positive"]),
    "missing mesh file": (
        'builtin = "rectangle"\nsize = [1.0, 1.0]\ncells = [4, 4]',
        'file = "no/such.msh"',
        ["[mesh] file", "no/such.msh"],
    ),
    "unknown parameter": ('chi = 2.0', 'khi = 2.0', ["khi", "chi"]),
    "unknown symbol in initial value": ('s = "1"', 's = "1 + w"', ["[initial] s", "'w'"]),
    "unknown model": ('name = "keller-segel"', 'name = "keller"', ["keller", "keller-segel"]),
    "bad cells": ("cells = [4, 4]", "cells = [4, 0]", ["[mesh] cells", "[4, 0]"]),
    "unknown scheme": ("dt = 0.05", 'dt = 0.05\nscheme = "ros4"', ["[time] scheme", "ros4", "ros34pw2"]),
    "rosenbrock with log-density": (
        "dt = 0.05",
        'dt = 0.05\nscheme = "ros2"\n[discretisation]\npositivity = "log-density"',
        ['[time] scheme = "ros2"', "log-density"],
    ),
}


def _parse(text: str, tmp_path: Path):
    import tomllib

    return parse_config(tomllib.loads(text), source="case.toml", base_dir=tmp_path)


def test_valid_config_resolves_defaults(tmp_path):
    config = _parse(VALID, tmp_path)
    assert config.model.parameters["chi"] == 2.0 and config.model.parameters["d"] == 0.25
    assert config.time.dt == 0.05 and config.time.scheme == "auto" and config.solver.preset == "auto"
    # the default scheme "auto" runs ros34pw2 on Keller-Segel, recorded with no fallback note
    assert config.resolved["time"]["scheme"] == "ros34pw2" and config.resolved["time"]["scheme_requested"] == "auto"
    assert "scheme_note" not in config.resolved["time"]
    assert config.resolved["model"]["equations"][0].startswith("du/dt")


@pytest.mark.parametrize("case", sorted(INVALID))
def test_invalid_config_names_the_key(case, tmp_path):
    old, new, words = INVALID[case]
    assert old in VALID
    with pytest.raises(ConfigError) as err:
        _parse(VALID.replace(old, new), tmp_path)
    for word in words:
        assert word in str(err.value), f"{case}: {word!r} not in {err.value}"


@pytest.mark.serial
@pytest.mark.parametrize(
    "case",
    [
        "unknown key",
        "missing species initial value",
        "bad number",
        "non-positive dt",
        "missing mesh file",
        "rosenbrock with log-density",
    ],
)
def test_cli_rejects_invalid_config_and_writes_nothing(case, tmp_path):
    old, new, words = INVALID[case]
    config = tmp_path / "bad.toml"
    config.write_text(VALID.replace(old, new))
    out = tmp_path / "run"
    result = run_cli("run", str(config), "--output", str(out))
    assert result.returncode == 2, result.stderr
    assert words[0] in result.stderr and "Traceback" not in result.stderr
    assert not out.exists()


@pytest.mark.serial
def test_cli_refuses_to_overwrite_a_run_without_force(tmp_path):
    config = tmp_path / "ok.toml"
    config.write_text(VALID)
    out = tmp_path / "run"
    assert run_cli("run", str(config), "--output", str(out)).returncode == 0
    first = json.loads((out / "summary.json").read_text())
    assert "warnings" not in first  # nothing starts negative
    again = run_cli("run", str(config), "--output", str(out))
    assert again.returncode == 2 and "--force" in again.stderr
    assert json.loads((out / "summary.json").read_text()) == first
    assert run_cli("run", str(config), "--output", str(out), "--force").returncode == 0


@pytest.mark.serial
def test_a_negative_start_is_refused_below_the_negative_tolerance_and_named_otherwise(tmp_path):
    negative = VALID.replace('u = "1 + 0.1*cos(pi*x)"', 'u = "0.5 - x"')  # -0.5 along x = 1
    refused = tmp_path / "refused.toml"
    refused.write_text(negative.replace("dt = 0.05", "dt = 0.05\nnegative_tolerance = 1e-8"))
    result = run_cli("run", str(refused), "--output", str(tmp_path / "refused"))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert (
        "[initial] u starts negative: -0.5 at (1, " in result.stderr and "-negative_tolerance = -1e-08" in result.stderr
    )
    assert not (tmp_path / "refused").exists()

    warned = tmp_path / "warned.toml"
    warned.write_text(negative)
    out = tmp_path / "warned"
    result = run_cli("run", str(warned), "--output", str(out), nprocs=2)
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stderr.splitlines() if "starts negative" in line]
    assert len(lines) == 1 and lines[0].startswith("fem-chemotaxis: warning: [initial] u starts negative: -0.5 at (1, ")
    (warning,) = json.loads((out / "summary.json").read_text())["warnings"]
    assert lines[0].endswith(warning)
