"""Fractional Keller-Segel models from a kinetic (Levy-flight) derivation (fractional-file eqs. 5-7).

Cells ``rho`` whose run lengths are heavy-tailed spread by the fractional Laplacian of order
alpha = gamma + 1 in (1, 2) (here the spectral one with no-flux boundaries) and drift up the
gradient of a chemoattractant ``S`` that they produce::

    drho/dt = -d (-Lap)^(alpha/2) rho - div( chi rho Q(grad S) ) + Gamma(rho)
    dS/dt   = div( ds grad S ) + beta rho - mu S

Variants, one built-in id each:

- ``fractional-keller-segel``: Gamma = 0, Q(y) = y (eq. 6); the cell mass is conserved.
- ``fractional-keller-segel-logistic``: Gamma = r rho (1 - rho), growing bacteria.
- ``fractional-keller-segel-nonlocal``: Gamma = rho (a0 + a1 rho - a2 integral(rho)),
  Malthusian growth, local competition and competition with the total population.
- ``fractional-keller-segel-flux-limited``: Q the saturating limiter of eq. (7), Q(y) = y
  for |y| <= y* and ``((|y| - y*)/sqrt(1 + (|y| - y*)^2) + y*) y/|y|`` beyond, bounded by
  y* + 1 (``limiter_threshold`` y* = 1; y* = 0 is the mean-curvature flux
  y/sqrt(1 + |y|^2)); see :mod:`fem_chemotaxis.model.limiters`.

All use alpha = 1.5; :func:`fractional_keller_segel_model` builds any order and variant, and
``order=None`` gives the classical counterpart (``-div(d grad rho)``) with the same species
and parameters, for comparisons.
"""

from __future__ import annotations

from typing import Any

from fem_chemotaxis.model.model import LIMITERS, Model

__all__ = [
    "FRACTIONAL_KELLER_SEGEL_MODELS",
    "VARIANTS",
    "fractional_keller_segel",
    "fractional_keller_segel_flux_limited",
    "fractional_keller_segel_logistic",
    "fractional_keller_segel_model",
    "fractional_keller_segel_nonlocal",
]

#: Growth terms Gamma(rho), their extra parameters and a description.
VARIANTS: dict[str, tuple[str | None, dict[str, float], str]] = {
    "basic": (None, {}, "no growth, cell mass conserved"),
    "logistic": ("r*rho*(1 - rho)", {"r": 1.0}, "logistic growth r rho (1 - rho)"),
    "nonlocal": (
        "rho*(a0 + a1*rho - a2*integral(rho))",
        {"a0": 1.0, "a1": 0.0, "a2": 0.5},
        "non-local growth rho (a0 + a1 rho - a2 integral(rho))",
    ),
}

DEFAULT_ORDER = 1.5
PARAMETERS = {"d": 0.25, "chi": 1.0, "ds": 1.0, "beta": 1.0, "mu": 1.0}


def fractional_keller_segel_model(
    order: float | None = DEFAULT_ORDER,
    variant: str = "basic",
    limiter: str = "none",
    limiter_threshold: float = 1.0,
) -> Model:
    """A fractional Keller-Segel model.

    Args:
        order: alpha in (0, 2) of ``(-Lap)^(alpha/2)``; None for classical diffusion.
        variant: One of VARIANTS ("basic", "logistic", "nonlocal").
        limiter: Flux limiter Q of the drift, one of LIMITERS.
        limiter_threshold: y* >= 0 of the saturating limiter.
    """
    if variant not in VARIANTS:
        raise ValueError(f"variant = {variant!r} is unknown; choose one of: {', '.join(VARIANTS)}")
    if limiter not in LIMITERS:
        raise ValueError(f"limiter = {limiter!r} is unknown; choose one of: {', '.join(LIMITERS)}")
    growth, extra, about = VARIANTS[variant]
    name = ("fractional-keller-segel" if order is not None else "classical-keller-segel") + (
        "" if variant == "basic" else f"-{variant}"
    )
    kind = f"Fractional Keller-Segel, alpha = {order:g}" if order is not None else "Classical Keller-Segel"
    description = f"{kind} (fractional file, eq. {6 if limiter == 'none' else 7}): {about}"
    if limiter != "none":
        name += "-flux-limited"
        description += f", {limiter} drift limiter"
    cells: dict[str, Any] = {
        "description": "cell density",
        "diffusion": "d",
        "taxis": [
            {"towards": "S", "sensitivity": "chi*rho", "limiter": limiter, "limiter_threshold": limiter_threshold}
        ],
    }
    if order is not None:
        cells["fractional_order"] = order
    if growth is not None:
        cells["reaction"] = growth
    return Model.from_dict(
        {
            "name": name,
            "description": description,
            "parameters": {**PARAMETERS, **extra},
            "species": {
                "rho": cells,
                "S": {"description": "chemoattractant concentration", "diffusion": "ds", "reaction": "beta*rho - mu*S"},
            },
        }
    )


def fractional_keller_segel() -> Model:
    """Fractional Keller-Segel (eq. 6), alpha = 1.5, no growth: cell mass conserved."""
    return fractional_keller_segel_model()


def fractional_keller_segel_logistic() -> Model:
    """Fractional Keller-Segel with logistic growth r rho (1 - rho)."""
    return fractional_keller_segel_model(variant="logistic")


def fractional_keller_segel_nonlocal() -> Model:
    """Fractional Keller-Segel with the non-local growth rho (a0 + a1 rho - a2 integral(rho))."""
    return fractional_keller_segel_model(variant="nonlocal")


def fractional_keller_segel_flux_limited() -> Model:
    """Fractional Keller-Segel with the saturating drift limiter Q (eq. 7), y* = 1."""
    return fractional_keller_segel_model(limiter="saturating")


#: Built-in ids of the variants (merged into fem_chemotaxis.library.BUILTIN_MODELS).
FRACTIONAL_KELLER_SEGEL_MODELS = {
    "fractional-keller-segel": fractional_keller_segel,
    "fractional-keller-segel-logistic": fractional_keller_segel_logistic,
    "fractional-keller-segel-nonlocal": fractional_keller_segel_nonlocal,
    "fractional-keller-segel-flux-limited": fractional_keller_segel_flux_limited,
}
