"""The UFL implementations of the expression functions, for weak forms."""

from __future__ import annotations

from collections.abc import Callable

import ufl

__all__ = ["UFL_FUNCTIONS"]

UFL_FUNCTIONS: dict[str, Callable] = {
    "exp": ufl.exp,
    "log": ufl.ln,
    "sqrt": ufl.sqrt,
    "sin": ufl.sin,
    "cos": ufl.cos,
    "tan": ufl.tan,
    "sinh": ufl.sinh,
    "cosh": ufl.cosh,
    "tanh": ufl.tanh,
    "atan": ufl.atan,
    "abs": abs,
    "min": ufl.min_value,
    "max": ufl.max_value,
    "heaviside": lambda a: ufl.conditional(ufl.gt(a, 0), 1.0, 0.0),
}
