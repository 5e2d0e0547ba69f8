"""A model's boundary conditions on the species' spaces: Dirichlet values and flux boundaries.

Dirichlet conditions hold Functions whose values follow their expressions in time
(:meth:`SpeciesBoundaryConditions.update` before every step); flux and Robin conditions
become terms of the weak form over the measure of their boundaries. Everywhere else the
species have no flux.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import dolfinx.fem
import numpy as np
import ufl

from fem_chemotaxis.expressions import Expression
from fem_chemotaxis.mesh.tagged_mesh import TaggedMesh
from fem_chemotaxis.model.boundary import BoundaryCondition
from fem_chemotaxis.model.model import Model

__all__ = ["SpeciesBoundaryConditions"]


class SpeciesBoundaryConditions:
    """The conditions of a model on named boundaries of a mesh.

    Args:
        conditions: The conditions (checked against the model here).
        model: The model.
        mesh: The mesh with its named boundaries.
        spaces: Each species' space.
        log_species: Species solved in log variables (no Dirichlet condition on them).

    Attributes:
        dirichlet: The Dirichlet conditions of the solver.
        fluxes: Each flux or Robin condition with the measure of its boundaries.
    """

    def __init__(
        self,
        conditions: Sequence[BoundaryCondition],
        model: Model,
        mesh: TaggedMesh,
        spaces: Mapping[str, dolfinx.fem.FunctionSpace],
        log_species: set[str],
    ):
        self.parameters = model.parameters
        fdim = mesh.mesh.topology.dim - 1
        ds = ufl.Measure("ds", domain=mesh.mesh, subdomain_data=mesh.facet_tags)
        self.dirichlet: list[dolfinx.fem.DirichletBC] = []
        self.fluxes: list[tuple[BoundaryCondition, ufl.Measure]] = []
        self._values: list[tuple[dolfinx.fem.Function, Expression]] = []
        for k, bc in enumerate(conditions):
            bc.check(model.species_names, model.parameters, f"boundary[{k}]")
            tags = tuple(mesh.tag(name, fdim) for name in bc.on)
            if bc.kind != "dirichlet":
                self.fluxes.append((bc, ds(tags)))
                continue
            if bc.species in log_species:
                raise ValueError(
                    f"boundary[{k}]: a Dirichlet condition on '{bc.species}' is not supported with "
                    "positivity = \"log-density\"; use a flux or Robin condition"
                )
            V = spaces[bc.species]
            facets = np.concatenate([mesh.facet_tags.find(t) for t in tags])  # type: ignore[union-attr]
            dofs = dolfinx.fem.locate_dofs_topological(V, fdim, facets)
            value = dolfinx.fem.Function(V)
            self._values.append((value, bc.value))
            self.dirichlet.append(dolfinx.fem.dirichletbc(value, dofs))

    def update(self, t: float) -> None:
        """The Dirichlet values at time t."""
        for function, expr in self._values:
            function.interpolate(expr.at_points(self.parameters, t))
