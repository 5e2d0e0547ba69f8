"""Model descriptions: plain data, validated, independent of DOLFINx."""

from fem_chemotaxis.model.boundary import BoundaryCondition
from fem_chemotaxis.model.flow import Flow, FlowBoundary
from fem_chemotaxis.model.model import LIMITERS, Model, Species, Taxis

__all__ = ["LIMITERS", "BoundaryCondition", "Flow", "FlowBoundary", "Model", "Species", "Taxis"]
