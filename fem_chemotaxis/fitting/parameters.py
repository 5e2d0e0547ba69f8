"""The parameters a fit estimates: start value, bounds, and the variable the optimiser sees.

The optimiser works on scaled variables x: ``x = log(p)`` for a log-scaled parameter (bounds
must then be positive), else ``x = p / |p_start|`` (so that every variable is of order one).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from fem_chemotaxis.checks import boolean, number, numbers, only_keys

__all__ = ["FittedParameter", "Scaling"]


@dataclass(frozen=True)
class FittedParameter:
    """A model parameter to estimate.

    Attributes:
        name: The model parameter.
        start: The optimiser's starting value.
        lower, upper: Bounds (inclusive).
        log: Whether the optimiser varies log(p).
    """

    name: str
    start: float
    lower: float
    upper: float
    log: bool = False

    def __post_init__(self) -> None:
        where = f"[parameters.{self.name}]"
        if not self.lower < self.upper:
            raise ValueError(f"{where} bounds = [{self.lower:g}, {self.upper:g}] must have lower < upper")
        if not self.lower <= self.start <= self.upper:
            raise ValueError(f"{where} start = {self.start:g} is outside bounds [{self.lower:g}, {self.upper:g}]")
        if self.log and not self.lower > 0:
            raise ValueError(f"{where} log = true needs positive bounds, got lower = {self.lower:g}")
        if not self.log and self.start == 0:
            raise ValueError(f"{where} start = 0 needs log = false and a nonzero start (it sets the scale)")

    @classmethod
    def from_table(cls, name: str, table: Any, default_start: float) -> FittedParameter:
        """From ``[parameters.NAME]``: bounds = [lo, hi], start (default: the model's value), log."""
        where = f"parameters.{name}"
        only_keys(table, ("start", "bounds", "log"), where)
        if "bounds" not in table:
            raise ValueError(f"[{where}] is missing 'bounds' (e.g. bounds = [0.1, 10.0])")
        lower, upper = numbers(table["bounds"], 2, f"[{where}] bounds")
        start = number(table.get("start", default_start), f"[{where}] start")
        return cls(name, start, lower, upper, boolean(table.get("log", False), f"[{where}] log"))


class Scaling:
    """Maps parameters p to the optimiser's variables x and back, with the chain rule for gradients."""

    def __init__(self, parameters: Sequence[FittedParameter]):
        self.parameters = list(parameters)
        self._scale = np.array([abs(p.start) if not p.log else 1.0 for p in self.parameters])
        self._log = np.array([p.log for p in self.parameters])

    def to_variables(self, p: npt.ArrayLike) -> np.ndarray:
        """x of parameter values p."""
        values = np.asarray(p, dtype=float)
        return np.where(self._log, np.log(np.where(self._log, values, 1.0)), values / self._scale)

    def to_parameters(self, x: npt.ArrayLike) -> np.ndarray:
        """p of variables x."""
        values = np.asarray(x, dtype=float)
        return np.where(self._log, np.exp(values), values * self._scale)

    def derivative(self, x: npt.ArrayLike) -> np.ndarray:
        """dp/dx (diagonal): to turn dM/dp into dM/dx = dM/dp * dp/dx."""
        return np.where(self._log, self.to_parameters(x), self._scale)

    def bounds(self) -> list[tuple[float, float]]:
        """Bounds of the variables."""
        return [
            (math.log(p.lower), math.log(p.upper)) if p.log else (p.lower / s, p.upper / s)
            for p, s in zip(self.parameters, self._scale)
        ]

    def start(self) -> np.ndarray:
        """The variables of the start values."""
        return self.to_variables([p.start for p in self.parameters])

    def named(self, p: npt.ArrayLike) -> Mapping[str, float]:
        """Parameter values by name."""
        return {q.name: float(v) for q, v in zip(self.parameters, np.asarray(p, dtype=float))}
