"""The built-in model library: each model is a plain :class:`~fem_chemotaxis.model.Model`.

A built-in model is a model description like a user's: ``keller_segel.toml`` here holds the
tables a run file's ``[model]`` would (its comments: the equations, the sources and why the
default parameters), read by the same :meth:`~fem_chemotaxis.model.Model.from_dict`. The
fractional Keller-Segel family (four variants of one definition) is built in Python, in
``fractional_keller_segel.py``. Nothing downstream treats a built-in model specially.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path

import tomllib

from fem_chemotaxis.library.fractional_keller_segel import FRACTIONAL_KELLER_SEGEL_MODELS
from fem_chemotaxis.model.model import Model

__all__ = ["BUILTIN_MODELS", "builtin_model"]

#: The models described in files here, in the order `fem-chemotaxis list-models` shows them
#: (file ``<name with underscores>.toml``).
_FILES = (
    "keller-segel",
    "keller-segel-elliptic",
    "keller-segel-transduction",
    "keller-segel-volume-filling",
    "may-nowak-chemotaxis",
    "cancer-invasion",
    "oncolytic-virus",
    "forager-scrounger",
    "nonlinear-diffusion-log-sensitivity",
)


def _from_file(name: str) -> Model:
    """The model described in the library file of `name`."""
    path = Path(__file__).with_name(f"{name.replace('-', '_')}.toml")
    return Model.from_dict(tomllib.loads(path.read_text()))


BUILTIN_MODELS: dict[str, Callable[[], Model]] = {
    **{name: functools.partial(_from_file, name) for name in _FILES},
    **FRACTIONAL_KELLER_SEGEL_MODELS,
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
