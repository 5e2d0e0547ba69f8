"""Mutations of valid configs for the fuzz tests: values replaced, keys removed or added,
expressions cut and spliced, numbers pushed to extremes.

The choices come from a :class:`Chooser`: hypothesis's ``data.draw`` for the property test
(shrinkable), or a seeded ``random.Random`` for the few configs run through the CLI.
"""

from __future__ import annotations

import copy
import math
import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import tomllib

REPO = Path(__file__).resolve().parents[2]

#: Values a key may be given: the edges of every type TOML has.
VALUES: list[Any] = [
    0,
    1,
    -1,
    2,
    10**18,
    -(2**63),
    2**63 - 1,
    0.0,
    -0.0,
    1e-300,
    -1e-300,
    1e300,
    -1e300,
    5e-324,
    math.inf,
    -math.inf,
    math.nan,
    True,
    False,
    "",
    " ",
    "x",
    "u",
    "s",
    "1",
    "-1",
    "1/0",
    "0/0",
    "log(-1)",
    "log(x)",
    "sqrt(-1)",
    "(-1)^0.5",
    "exp(1000)",
    "10^400",
    "2^2^2^2^2",
    "1e999",
    "((((1",
    "1))",
    "u*",
    "__import__('os').system('true')",
    "x.real",
    "lambda: 1",
    "integral(u)",
    "noise(1)",
    "noise(x)",
    "min(1)",
    "max(1, 2, 3)",
    "heaviside(x)",
    "pi",
    "nan",
    "inf",
    "+".join(["x"] * 300),
    "(" * 150 + "1" + ")" * 150,
    "a" * 3000,
    "rectangle",
    "box",
    "tissue-section",
    "keller-segel",
    "bdf2",
    "ros3p",
    "auto",
    "dirichlet",
    "left",
    "last",
    "/etc/passwd",
    "../../..",
    "ascii:/tmp/fuzz-view",
    "python",
    [],
    [1],
    [1.0, 1.0],
    [0, 0],
    [-1.0, 2.0],
    [1, 2, 3, 4],
    ["a", "b"],
    [[1, 2], [3, 4]],
    [{}],
    {},
    {"a": 1},
    {"x": "1"},
    {"from_run": "nowhere"},
]
#: Names a new key may get: real keys of other tables, and junk.
KEYS = [
    "dt",
    "t_end",
    "scheme",
    "adaptive",
    "rtol",
    "size",
    "cells",
    "builtin",
    "file",
    "generator",
    "name",
    "parameters",
    "species",
    "diffusion",
    "taxis",
    "reaction",
    "degree",
    "limiter",
    "limiter_threshold",
    "from_run",
    "time",
    "interval",
    "pictures",
    "dir",
    "preset",
    "petsc",
    "value",
    "on",
    "type",
    "rate",
    "motion",
    "flow",
    "positivity",
    "ksp_view",
    "options_file",
    "snes_monitor",
    "",
    "é",
    "x y",
    "__class__",
]
#: Fragments spliced into expressions.
FRAGMENTS = ["*", "/", "^", "(", ")", "0", "/0", "-", "+", "1e308", "log(", "exp(", ",", "u", "x", " ", "**"]


class Chooser(Protocol):
    def pick(self, options: Sequence[Any]) -> Any: ...
    def integer(self, low: int, high: int) -> int: ...


class RandomChooser:
    """Choices from a seeded random generator."""

    def __init__(self, seed: int):
        self.rng = random.Random(seed)

    def pick(self, options: Sequence[Any]) -> Any:
        return options[self.rng.randrange(len(options))]

    def integer(self, low: int, high: int) -> int:
        return self.rng.randint(low, high)


def seed_configs() -> dict[str, tuple[dict[str, Any], Path]]:
    """Valid run configs: the demos' and the tests' (name -> (tables, base directory))."""
    from tests.unit.test_config_limits import USER_MODEL, VALID
    from tests.workflow.helpers import QUICK_CONFIG, RESTART_CONFIG

    seeds = {}
    for path in sorted((REPO / "demos").glob("*.toml")):
        tables = tomllib.loads(path.read_text())
        if "mesh" in tables and "model" in tables:
            seeds[path.name] = (tables, path.parent)
    for name, text in [
        ("valid", VALID),
        ("user_model", USER_MODEL),
        ("quick", QUICK_CONFIG),
        ("restart", RESTART_CONFIG),
    ]:
        seeds[name] = (tomllib.loads(text), REPO / "tests")
    return seeds


def mutate(tables: dict[str, Any], choose: Chooser, rounds: int) -> dict[str, Any]:
    """A deep copy of `tables` with `rounds` random mutations applied."""
    tables = copy.deepcopy(tables)
    for _ in range(rounds):
        paths = list(_paths(tables))
        parent, key = choose.pick(paths)
        _mutate_entry(parent, key, choose)
    return tables


def _paths(node: Any) -> list[tuple[Any, Any]]:
    """(container, key) of every entry, tables and arrays included."""
    found = []
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else []
    for key, value in items:
        found.append((node, key))
        found.extend(_paths(value))
    return found


def _mutate_entry(parent: Any, key: Any, choose: Chooser) -> None:
    value = parent[key]
    action = choose.pick(["replace", "delete", "add", "splice", "extreme"])
    if action == "replace":
        parent[key] = copy.deepcopy(choose.pick(VALUES))
    elif action == "delete":
        del parent[key]
    elif action == "add":
        target = value if isinstance(value, dict) else parent
        if isinstance(target, dict):
            target[choose.pick(KEYS)] = copy.deepcopy(choose.pick(VALUES))
        else:
            target.append(copy.deepcopy(choose.pick(VALUES)))
    elif action == "splice" and isinstance(value, str):
        at = choose.integer(0, len(value))
        parent[key] = value[:at] + choose.pick(FRAGMENTS) + value[at + choose.integer(0, 3) :]
    elif isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        parent[key] = choose.pick([-value, value * 1e300, value * 1e-300, 0, value + 0.5, int(value) * 10**12])
    else:
        parent[key] = copy.deepcopy(choose.pick(VALUES))
