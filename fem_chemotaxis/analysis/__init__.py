"""Analysis of models without solving them: homogeneous steady states and dispersion relations."""

from fem_chemotaxis.analysis.dispersion import (
    growth_modes,
    growth_rates,
    homogeneous_steady_state,
    linearisation,
    reaction_values,
)

__all__ = ["growth_modes", "growth_rates", "homogeneous_steady_state", "linearisation", "reaction_values"]
