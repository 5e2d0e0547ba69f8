"""The built-in model library: each model is a plain :class:`~fem_chemotaxis.model.Model`.

A built-in model goes through exactly the same path as a user's TOML model; this module
only maps names to the functions that build them.
"""

from __future__ import annotations

from collections.abc import Callable

from fem_chemotaxis.library.cancer_invasion import cancer_invasion
from fem_chemotaxis.library.forager_scrounger import forager_scrounger
from fem_chemotaxis.library.fractional_keller_segel import FRACTIONAL_KELLER_SEGEL_MODELS
from fem_chemotaxis.library.keller_segel import keller_segel
from fem_chemotaxis.library.keller_segel_elliptic import keller_segel_elliptic
from fem_chemotaxis.library.keller_segel_transduction import keller_segel_transduction
from fem_chemotaxis.library.keller_segel_volume_filling import keller_segel_volume_filling
from fem_chemotaxis.library.may_nowak_chemotaxis import may_nowak_chemotaxis
from fem_chemotaxis.library.nonlinear_diffusion_log_sensitivity import nonlinear_diffusion_log_sensitivity
from fem_chemotaxis.library.oncolytic_virus import oncolytic_virus
from fem_chemotaxis.model.model import Model

__all__ = ["BUILTIN_MODELS", "builtin_model"]

BUILTIN_MODELS: dict[str, Callable[[], Model]] = {
    "keller-segel": keller_segel,
    "keller-segel-elliptic": keller_segel_elliptic,
    "keller-segel-transduction": keller_segel_transduction,
    "keller-segel-volume-filling": keller_segel_volume_filling,
    "may-nowak-chemotaxis": may_nowak_chemotaxis,
    "cancer-invasion": cancer_invasion,
    "oncolytic-virus": oncolytic_virus,
    "forager-scrounger": forager_scrounger,
    "nonlinear-diffusion-log-sensitivity": nonlinear_diffusion_log_sensitivity,
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
