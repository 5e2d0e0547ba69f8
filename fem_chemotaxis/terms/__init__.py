"""Weak-form terms, one module per physics term, and the spatial operator that sums them."""

from fem_chemotaxis.terms.diffusion import diffusion_residual
from fem_chemotaxis.terms.mesh_velocity import mesh_velocity_residual
from fem_chemotaxis.terms.reaction import reaction_residual
from fem_chemotaxis.terms.spatial import Source, SpatialOperator
from fem_chemotaxis.terms.taxis import limited_gradient, taxis_residual

__all__ = [
    "Source",
    "SpatialOperator",
    "diffusion_residual",
    "limited_gradient",
    "mesh_velocity_residual",
    "reaction_residual",
    "taxis_residual",
]
