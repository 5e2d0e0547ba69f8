"""The NumPy implementations of the expression functions: values on points and plain numbers."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = ["NUMPY_FUNCTIONS", "point_noise"]

#: NumPy implementations of the functions, for values on points and plain numbers.
NUMPY_FUNCTIONS: dict[str, Callable] = {
    "exp": np.exp,
    "log": np.log,
    "sqrt": np.sqrt,
    "sin": np.sin,
    "cos": np.cos,
    "tan": np.tan,
    "sinh": np.sinh,
    "cosh": np.cosh,
    "tanh": np.tanh,
    "atan": np.arctan,
    "abs": np.abs,
    "min": np.minimum,
    "max": np.maximum,
    "heaviside": lambda a: np.heaviside(a, 0.0),
}


def point_noise(x: np.ndarray, seed: float) -> np.ndarray:
    """Uniform pseudo-random values in [-1, 1], a hash of the coordinates and the seed.

    The same point gets the same value whatever the MPI partition, so runs are reproducible
    on any number of ranks.
    """
    phase = np.sin(12.9898 * x[0] + 78.233 * x[1] + 37.719 * x[2] + 0.61803 * seed) * 43758.5453
    return 2.0 * (phase - np.floor(phase)) - 1.0
