"""Checks of plain input values, each raising ValueError that names where the value came from.

`where` is the place in the user's words: a config key such as ``"[time] dt"``, a table such
as ``"mesh.motion"`` (for :func:`only_keys`), or a generator parameter
(``"tissue-section: size"``). Every layer that reads user input (models, configs, mesh
generators, kinetic SPECs) checks with these, so the same mistake reads the same everywhere.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from typing import Any

__all__ = [
    "boolean",
    "choice",
    "integer",
    "is_number",
    "names",
    "number",
    "numbers",
    "only_keys",
    "positive",
    "required",
]


def is_number(value: Any) -> bool:
    """Whether `value` is a finite int or float (not a bool)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def number(value: Any, where: str) -> float:
    """`value` as a float; ValueError unless it is a finite number."""
    if not is_number(value):
        raise ValueError(f"{where} must be a number, got {value!r}")
    return float(value)


def positive(value: Any, where: str) -> float:
    """`value` as a float; ValueError unless it is a positive finite number."""
    if not is_number(value) or not value > 0:
        raise ValueError(f"{where} must be a positive number, got {value!r}")
    return float(value)


def numbers(value: Any, count: int, where: str) -> tuple[float, ...]:
    """`value` as `count` finite floats; ValueError otherwise."""
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence) or len(value) != count:
        raise ValueError(f"{where} must be {count} numbers, got {value!r}")
    return tuple(number(v, where) for v in value)


def integer(value: Any, allowed: Collection[int], where: str) -> int:
    """`value` as an int; ValueError unless it is one of `allowed`."""
    if isinstance(value, bool) or not isinstance(value, int) or value not in allowed:
        raise ValueError(f"{where} must be one of {', '.join(map(str, allowed))}, got {value!r}")
    return value


def boolean(value: Any, where: str) -> bool:
    """`value` itself; ValueError unless it is true or false."""
    if not isinstance(value, bool):
        raise ValueError(f"{where} must be true or false, got {value!r}")
    return value


def choice(value: Any, choices: Sequence[str], where: str) -> str:
    """`value` itself; ValueError listing `choices` unless it is one of them."""
    if value not in choices:
        raise ValueError(f"{where} = {value!r} is unknown; choose one of: {', '.join(choices)}")
    return str(value)


def only_keys(table: Any, allowed: Collection[str], where: str) -> Mapping[str, Any]:
    """`table` itself; ValueError unless it is a table whose keys are all in `allowed`."""
    if not isinstance(table, Mapping):
        raise ValueError(f"[{where}] must be a table")
    unknown = sorted(set(table) - set(allowed))
    if unknown:
        raise ValueError(
            f"unknown key{'s' if len(unknown) > 1 else ''} {', '.join(repr(u) for u in unknown)} "
            f"in [{where}]; allowed: {', '.join(sorted(allowed))}"
        )
    return table


def required(table: Mapping[str, Any], keys: Collection[str], where: str) -> None:
    """ValueError naming the first of `keys` that `table` lacks."""
    for key in keys:
        if key not in table:
            raise ValueError(f"[{where}] is missing '{key}'")


def names(value: Any, where: str) -> tuple[str, ...]:
    """One name (a physical group's, say) or a list of names, as a tuple; ValueError otherwise."""
    found = (value,) if isinstance(value, str) else tuple(value) if isinstance(value, (list, tuple)) else None
    if found is None or not all(isinstance(n, str) for n in found):
        raise ValueError(f"{where} must be a name or a list of names, got {value!r}")
    return found
