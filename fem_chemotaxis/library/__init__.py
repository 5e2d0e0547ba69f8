"""The built-in model library: each model is a plain :class:`~fem_chemotaxis.model.Model`.

A built-in model goes through exactly the same path as a user's TOML model; this module
only maps names to the functions that build them.
"""

from __future__ import annotations

from collections.abc import Callable

from fem_chemotaxis.library.keller_segel import keller_segel
from fem_chemotaxis.model.model import Model

__all__ = ["BUILTIN_MODELS", "builtin_model"]

BUILTIN_MODELS: dict[str, Callable[[], Model]] = {
    "keller-segel": keller_segel,
}


def builtin_model(name: str, where: str = "model") -> Model:
    """The built-in model called `name`; ValueError listing the available ones otherwise."""
    try:
        return BUILTIN_MODELS[name]()
    except KeyError:
        raise ValueError(
            f"[{where}] name = '{name}' is not a built-in model; built-in models: "
            f"{', '.join(BUILTIN_MODELS)} (or define species under [{where}.species])"
        ) from None
