"""Analysis of models without solving them: homogeneous steady states and dispersion relations.

Also the Neumann eigenpairs of a mesh (:func:`neumann_modes`, :class:`NeumannModes`), imported
on first use since they need SLEPc.
"""

from typing import Any

from fem_chemotaxis.analysis.dispersion import (
    growth_modes,
    growth_rates,
    homogeneous_steady_state,
    linearisation,
    reaction_values,
)

__all__ = [
    "NeumannModes",
    "growth_modes",
    "growth_rates",
    "homogeneous_steady_state",
    "linearisation",
    "neumann_modes",
    "reaction_values",
]


def __getattr__(name: str) -> Any:
    """``neumann_modes`` and ``NeumannModes``, from :mod:`.laplace_eigen` (SLEPc) on first use."""
    if name in ("neumann_modes", "NeumannModes"):
        from fem_chemotaxis.analysis import laplace_eigen

        return getattr(laplace_eigen, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
