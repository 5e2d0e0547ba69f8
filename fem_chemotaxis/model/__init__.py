"""Model descriptions: plain data, validated, independent of DOLFINx."""

from fem_chemotaxis.model.boundary import BoundaryCondition
from fem_chemotaxis.model.flow import Flow, FlowBoundary
from fem_chemotaxis.model.model import LIMITERS, Model, Species, Taxis
from fem_chemotaxis.model.quantities import CentreOfMass, Flux, Integral, Quantity

__all__ = [
    "LIMITERS",
    "BoundaryCondition",
    "CentreOfMass",
    "Flow",
    "FlowBoundary",
    "Flux",
    "Integral",
    "Model",
    "Quantity",
    "Species",
    "Taxis",
]
