"""Safe mathematical expressions from configuration files (the lowest layer of the package).

A user's string such as ``"chi*u/(1 + alpha*s)**2"`` is parsed with Python's own parser
into a syntax tree, every node of which is checked against a whitelist (numbers, the four
arithmetic operations and powers, named symbols, and a fixed set of maths functions). The
checked tree is then *interpreted* with a backend: UFL for weak forms
(:mod:`~fem_chemotaxis.expressions.ufl_backend`, imported on its own so that model
descriptions never need UFL), NumPy for values on points
(:mod:`~fem_chemotaxis.expressions.numpy_backend`). Nothing is ever passed to
``eval``/``exec``.
"""

from fem_chemotaxis.expressions.expression import (
    CONSTANTS,
    FUNCTION_NAMES,
    SPECIAL_FUNCTIONS,
    Expression,
    ExpressionError,
)
from fem_chemotaxis.expressions.numpy_backend import NUMPY_FUNCTIONS, point_noise

__all__ = [
    "CONSTANTS",
    "FUNCTION_NAMES",
    "NUMPY_FUNCTIONS",
    "SPECIAL_FUNCTIONS",
    "Expression",
    "ExpressionError",
    "point_noise",
]
