"""Checked reading of SPEC tables: each mistake is a ValueError naming the table and key.

Shared by the single-cell SPEC (:mod:`~fem_chemotaxis.kinetics.spec`), the movement tables
of a cell population (:mod:`~fem_chemotaxis.kinetics.cells`) and the multi-species SPEC
(:mod:`~fem_chemotaxis.kinetics.mixture_spec`). ``where`` is the table's name without
brackets (``"cells.velocities"``, ``"species.u1.taxis"``), ``"top level"`` for the document.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = [
    "Units",
    "array",
    "integer",
    "name",
    "number",
    "only_keys",
    "parameters",
    "positive",
    "string",
    "table",
    "units",
]

#: Names a species or field cannot have (coordinates, time, constants of expressions).
RESERVED_NAMES = ("x", "y", "z", "t", "pi", "e")


@dataclass(frozen=True)
class Units:
    """Names of the units, only for printing (e.g. ``um``, ``s``, ``uM``)."""

    length: str = "L"
    time: str = "T"
    signal: str = "C"


def units(data: Mapping[str, Any]) -> Units:
    """The [units] table of a SPEC document."""
    entries = table(data, "units", "top level")
    only_keys(entries, {"length", "time", "signal"}, "units")
    return Units(**{k: string(v, f"[units] {k}") for k, v in entries.items()})


def parameters(data: Mapping[str, Any]) -> dict[str, float]:
    """The [parameters] table of a SPEC document: names to numbers."""
    values = {k: number(v, f"[parameters] {k}") for k, v in table(data, "parameters", "top level").items()}
    for key in values:
        if not key.isidentifier():
            raise ValueError(f"[parameters] '{key}' is not a valid name")
    return values


def table(data: Mapping[str, Any], key: str, where: str, required: bool = False) -> Mapping[str, Any]:
    """The sub-table `key` of `data` (empty if absent and not required)."""
    full = key if where == "top level" else f"{where}.{key}"
    if key not in data:
        if required:
            raise ValueError(f"missing table [{full}]")
        return {}
    value = data[key]
    if not isinstance(value, Mapping):
        raise ValueError(f"[{full}] must be a table")
    return value


def only_keys(data: Mapping[str, Any], allowed: set[str], where: str) -> None:
    """Reject keys of `data` that are not in `allowed`."""
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise ValueError(
            f"[{where}] unknown key{'s' if len(unknown) > 1 else ''} {', '.join(repr(u) for u in unknown)}; "
            f"allowed: {', '.join(sorted(allowed))}"
        )


def number(value: Any, where: str) -> float:
    """A finite number."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"{where} must be a number, got {value!r}" if value is not None else f"{where} is missing")
    return float(value)


def positive(value: Any, where: str) -> float:
    """A positive finite number."""
    result = number(value, where)
    if not result > 0:
        raise ValueError(f"{where} must be a positive number, got {value!r}")
    return result


def integer(value: Any, where: str, minimum: int) -> int:
    """An integer >= minimum."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{where} must be an integer >= {minimum}, got {value!r}")
    return value


def string(value: Any, where: str) -> str:
    """A string."""
    if not isinstance(value, str):
        raise ValueError(f"{where} must be a string, got {value!r}")
    return value


def name(value: Any, where: str) -> str:
    """A species or field name: an identifier other than the reserved ones."""
    if not isinstance(value, str) or not value.isidentifier() or value in RESERVED_NAMES:
        raise ValueError(f"{where} must be a name like \"u\" (not x, y, z, t, pi or e), got {value!r}")
    return value


def array(value: Any, where: str, ndim: int) -> np.ndarray:
    """A finite array of numbers with `ndim` axes (a list, or a list of lists)."""
    message = f"{where} must be {'a list of lists' if ndim == 2 else 'a list'} of numbers, got {value!r}"
    try:
        result = np.array(value, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(message) from None
    if result.ndim != ndim or not np.isfinite(result).all():
        raise ValueError(message)
    return result
