"""The time levels a one-step or two-step method sees: states at t_{n+1}, t_n, t_{n-1}."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import ufl

__all__ = ["TimeLevels"]


@dataclass(frozen=True)
class TimeLevels:
    """States (UFL expressions per species) and step sizes around the step being taken.

    Attributes:
        new: States at t_{n+1} (depend on the unknowns).
        old: States at t_n.
        older: States at t_{n-1} (used by two-step methods).
        dt: t_{n+1} - t_n.
        t_old: t_n.
        omega: dt_n / dt_{n-1}; 0 on the first step (two-step methods then reduce to one step).
    """

    new: Mapping[str, ufl.core.expr.Expr]
    old: Mapping[str, ufl.core.expr.Expr]
    older: Mapping[str, ufl.core.expr.Expr]
    dt: ufl.core.expr.Expr
    t_old: ufl.core.expr.Expr
    omega: ufl.core.expr.Expr
