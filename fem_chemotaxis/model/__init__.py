"""Model descriptions: plain data, validated, independent of DOLFINx."""

from fem_chemotaxis.model.model import LIMITERS, Model, Species, Taxis

__all__ = ["LIMITERS", "Model", "Species", "Taxis"]
