"""Fuzzing the config reader: configs mutated from the valid ones of demos/ and tests/ are
either accepted or refused with a one-line ConfigError (exit 2 from the CLI); never another
exception, a traceback, or a file written."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fem_chemotaxis.config.run_config import ConfigError, parse_config
from tests.conftest import run_cli
from tests.unit.config_mutations import RandomChooser, mutate, seed_configs

pytestmark = pytest.mark.serial  # one process; the hypothesis examples need not agree across ranks

SEEDS = seed_configs()
#: Generated configs of the in-process property test.
EXAMPLES = 1200


class _DrawChooser:
    """Choices drawn by hypothesis (shrinkable)."""

    def __init__(self, data: st.DataObject):
        self.data = data

    def pick(self, options):
        return options[self.data.draw(st.integers(0, len(options) - 1))]

    def integer(self, low: int, high: int) -> int:
        return self.data.draw(st.integers(low, high))


_outcomes = {"accepted": 0, "refused": 0}


@pytest.fixture(scope="module")
def quiet_directory(tmp_path_factory: pytest.TempPathFactory):
    """An empty working directory: nothing may appear in it, nor in demos/."""
    directory = tmp_path_factory.mktemp("fuzz")
    demos = sorted(p.name for p in (Path(__file__).resolve().parents[2] / "demos").iterdir())
    cwd = os.getcwd()
    os.chdir(directory)
    yield directory
    os.chdir(cwd)
    assert list(directory.iterdir()) == []
    assert sorted(p.name for p in (Path(__file__).resolve().parents[2] / "demos").iterdir()) == demos
    print(f"\nfuzzed configs: {_outcomes}")


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_mutated_configs_are_accepted_or_refused_in_one_line(quiet_directory, data):
    name = data.draw(st.sampled_from(sorted(SEEDS)))
    tables, base_dir = SEEDS[name]
    mutated = mutate(tables, _DrawChooser(data), data.draw(st.integers(1, 3)))
    try:
        parse_config(mutated, source=f"{name}.toml", base_dir=base_dir)
        _outcomes["accepted"] += 1
    except ConfigError as err:
        message = str(err)
        assert message.startswith(f"{name}.toml: ") and "\n" not in message and len(message) < 600, message
        _outcomes["refused"] += 1
    assert _outcomes["accepted"] + _outcomes["refused"] > 0


@pytest.mark.parametrize("seed", range(6))
def test_mutated_configs_through_the_command_line(seed, tmp_path):
    """A few mutated configs through `fem-chemotaxis run --dry-run`: exit 0, or exit 2 with
    one line on stderr; never a traceback; the run directory is never created."""
    names = sorted(SEEDS)
    chooser = RandomChooser(seed)
    tables, base_dir = SEEDS[chooser.pick(names)]
    mutated = mutate(tables, chooser, 1 + seed % 3)
    config = tmp_path / "fuzzed.toml"
    config.write_text(_to_toml(mutated))
    out = tmp_path / "run"
    result = run_cli("run", str(config), "--output", str(out), "--dry-run", cwd=base_dir)
    assert result.returncode in (0, 2), result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    if result.returncode == 2:
        assert result.stderr.count("\n") == 1 and result.stderr.startswith("fem-chemotaxis: error: "), result.stderr
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["fuzzed.toml"]


def _to_toml(tables: dict, prefix: str = "") -> str:
    """A TOML text of `tables` (inline values as JSON, which TOML reads for these types)."""
    lines, subtables = [], []
    for key, value in tables.items():
        if isinstance(value, dict):
            subtables.append((key, value))
        else:
            lines.append(f"{json.dumps(str(key))} = {_value(value)}")
    text = "\n".join(lines) + "\n"
    for key, value in subtables:
        name = f"{prefix}.{json.dumps(str(key))}" if prefix else json.dumps(str(key))
        text += f"\n[{name}]\n" + _to_toml(value, name)
    return text


def _value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return {"inf": "inf", "-inf": "-inf", "nan": "nan"}.get(repr(value), repr(value))
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(str(k))} = {_value(v)}" for k, v in value.items()) + "}"
    return json.dumps(value)
