"""Derived quantities (:mod:`fem_chemotaxis.model.quantities`) evaluated on a simulation.

:class:`QuantityValues` builds each quantity's integrals over the simulation's state once
(its densities, parameters, fluxes and the measures of named groups) and assembles them on
demand, summed over all ranks: every rank gets the same values.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import dolfinx.fem
import dolfinx.mesh
import numpy as np
import ufl

from mpi4py import MPI

from fem_chemotaxis.expressions import Expression
from fem_chemotaxis.model.quantities import Quantity, check_quantities
from fem_chemotaxis.simulation import Simulation
from fem_chemotaxis.terms.advection import VELOCITY

__all__ = ["QuantityValues"]


class _SimulationContext:
    """A :class:`~fem_chemotaxis.model.quantities.QuantityContext` over a simulation's state."""

    def __init__(self, sim: Simulation):
        self.sim = sim
        self.time = dolfinx.fem.Constant(sim.mesh, dolfinx.default_scalar_type(sim.time))
        self.states = {name: sim.density(name) for name in sim.model.species_names}
        if sim.velocity is not None:
            self.states[VELOCITY] = sim.velocity
        tagged = sim.tagged_mesh
        self._dx = ufl.Measure("dx", domain=sim.mesh, subdomain_data=tagged.cell_tags)
        self._ds = ufl.Measure("ds", domain=sim.mesh, subdomain_data=tagged.facet_tags)

    def value(self, expr: Expression) -> Any:
        symbols = self.sim.operator.symbols(self.states, self.time)
        return expr.evaluate(symbols, self.sim.operator.functions)

    def density(self, species: str) -> Any:
        return self.states[species]

    def outward_flux(self, species: str) -> Any:
        normal = ufl.FacetNormal(self.sim.mesh)
        return ufl.dot(self.sim.operator.flux(species, self.states, self.time), normal)

    def coordinates(self) -> Sequence[Any]:
        x = ufl.SpatialCoordinate(self.sim.mesh)
        return [x[i] for i in range(self.sim.mesh.geometry.dim)]

    def cells(self, names: Sequence[str]) -> Any:
        if not names:
            return self._dx
        tdim = self.sim.mesh.topology.dim
        return self._dx(tuple(self.sim.tagged_mesh.tag(name, tdim) for name in names))

    def facets(self, names: Sequence[str]) -> Any:
        tagged, fdim = self.sim.tagged_mesh, self.sim.mesh.topology.dim - 1
        tags = tuple(tagged.tag(name, fdim) for name in names)
        self._check_on_boundary(names, tags)
        return self._ds(tags)

    def _check_on_boundary(self, names: Sequence[str], tags: Sequence[int]) -> None:
        """ValueError if a named facet group has facets inside the domain (ds would miss them)."""
        mesh, facet_tags = self.sim.mesh, self.sim.tagged_mesh.facet_tags
        assert facet_tags is not None  # tag() found the names
        fdim = mesh.topology.dim - 1
        mesh.topology.create_connectivity(fdim, fdim + 1)
        exterior = dolfinx.mesh.exterior_facet_indices(mesh.topology)
        owned = mesh.topology.index_map(fdim).size_local
        for name, tag in zip(names, tags):
            facets = facet_tags.find(tag)
            inside = np.setdiff1d(facets[facets < owned], exterior).size
            if self.sim.comm.allreduce(inside, op=MPI.SUM):
                raise ValueError(
                    f"'{name}' lies inside the domain; boundary integrals and fluxes "
                    "are over boundaries (exterior facets)"
                )


class QuantityValues:
    """The values of derived quantities on a simulation's current state (collective).

    Args:
        sim: The simulation.
        quantities: The quantities (checked against the model here).
    """

    def __init__(self, sim: Simulation, quantities: Sequence[Quantity]):
        check_quantities(quantities, sim.model)
        self.sim = sim
        self.quantities = list(quantities)
        self._context = _SimulationContext(sim)
        self._forms = [[dolfinx.fem.form(i) for i in self._integrals(q)] for q in self.quantities]

    def _integrals(self, quantity: Quantity) -> list[Any]:
        """The quantity's integrals; a group the mesh does not have is named with the quantity."""
        try:
            return quantity.integrals(self._context)
        except ValueError as err:
            raise ValueError(f"{quantity.where} {err}") from None

    def values(self) -> dict[str, float | list[float]]:
        """Each quantity's value now, by name (the same on every rank)."""
        self._context.time.value = self.sim.time
        comm = self.sim.comm
        return {
            q.name: q.value([comm.allreduce(dolfinx.fem.assemble_scalar(f), op=MPI.SUM) for f in forms])
            for q, forms in zip(self.quantities, self._forms)
        }
