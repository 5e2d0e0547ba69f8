"""The species on a mesh: their spaces, unknowns, densities and earlier time levels.

One Lagrange space per species (of the species' degree), one unknown Function in it, and the
unknowns at the two accepted times before (t_n, t_{n-1}). A density solved in log variables
(``positivity = "log-density"``) has the unknown w and the density u = exp(w), kept for output
at every accepted step; everywhere else the unknown is the density.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeAlias

import dolfinx.fem
import dolfinx.mesh
import numpy as np
import ufl

from mpi4py import MPI

from fem_chemotaxis.expressions import Expression
from fem_chemotaxis.model.model import Model

__all__ = ["SpeciesFields"]

#: An initial value: an expression (or its text or a number), or a density on any mesh.
InitialValue: TypeAlias = Expression | float | str | dolfinx.fem.Function


class SpeciesFields:
    """The Functions of a model's species on a mesh, and their accepted time levels.

    Args:
        model: The model (its species, in order).
        mesh: The mesh.
        log_species: The species solved for w = log u.

    Attributes:
        spaces: Lagrange space per species.
        unknowns: The unknowns being solved for (named ``u``, or ``log_u`` in log variables).
        u: The densities (the unknowns themselves, except in log variables).
        old: The unknowns at the last accepted time t_n.
        older: The unknowns at t_{n-1} (two-step schemes).
        tests: A test function per species.
    """

    def __init__(self, model: Model, mesh: dolfinx.mesh.Mesh, log_species: set[str]):
        self.model, self.comm, self.log_species = model, mesh.comm, log_species
        self.spaces = {sp.name: dolfinx.fem.functionspace(mesh, ("Lagrange", sp.degree)) for sp in model.species}
        self.unknowns = {
            n: dolfinx.fem.Function(V, name=f"log_{n}" if n in log_species else n) for n, V in self.spaces.items()
        }
        self.u = {
            n: self.unknowns[n] if n not in log_species else dolfinx.fem.Function(V, name=n)
            for n, V in self.spaces.items()
        }
        self.old = {n: dolfinx.fem.Function(V) for n, V in self.spaces.items()}
        self.older = {n: dolfinx.fem.Function(V) for n, V in self.spaces.items()}
        self.tests = {n: ufl.TestFunction(V) for n, V in self.spaces.items()}
        self._mass_forms = {n: dolfinx.fem.form(self._mass_integrand(n)) for n in self.unknowns}

    def density(self, name: str, unknown: ufl.core.expr.Expr | None = None) -> ufl.core.expr.Expr:
        """The density of species `name` as a UFL expression of its unknown (exp(w) in log variables)."""
        f = self.unknowns[name] if unknown is None else unknown
        return ufl.exp(f) if name in self.log_species else f

    def densities(self, unknowns: Mapping[str, ufl.core.expr.Expr]) -> dict[str, ufl.core.expr.Expr]:
        """The densities of all species, from unknowns at one time level."""
        return {n: self.density(n, f) for n, f in unknowns.items()}

    def _mass_integrand(self, name: str, unknown: dolfinx.fem.Function | None = None) -> ufl.Form:
        """The mass of a species, integrated with the quadrature rule of its time-derivative term.

        Using the same rule as (u - u_n, v) makes the discrete mass exactly the conserved
        quantity, also for u = exp(w), which no quadrature integrates exactly.
        """
        density = self.density(name, unknown)
        degree = ufl.algorithms.estimate_total_polynomial_degree(density * self.tests[name])
        return density * ufl.dx(metadata={"quadrature_degree": degree})

    def mass(self, name: str) -> float:
        """The integral of a species' density over the domain (collective)."""
        return float(self.comm.allreduce(dolfinx.fem.assemble_scalar(self._mass_forms[name]), op=MPI.SUM))

    def mass_of(self, name: str, unknown: dolfinx.fem.Function) -> float:
        """The mass of species `name` for another unknown in its space (e.g. an earlier level; collective)."""
        form = dolfinx.fem.form(self._mass_integrand(name, unknown))
        return float(self.comm.allreduce(dolfinx.fem.assemble_scalar(form), op=MPI.SUM))

    def set_initial(self, initial: Mapping[str, InitialValue], parameters: Mapping[str, float], t: float) -> None:
        """Set every level from the initial densities (expressions interpolated, or Functions on any mesh).

        A Function is carried onto this mesh by :func:`~fem_chemotaxis.mesh.transfer.transfer`.
        """
        from fem_chemotaxis.mesh.transfer import transfer

        missing = [n for n in self.model.species_names if n not in initial]
        if missing:
            raise ValueError(f"[initial] has no value for species {', '.join(missing)}")
        for name, spec in initial.items():
            density = self.u[name]
            if isinstance(spec, dolfinx.fem.Function):
                transfer(spec, density, f"[initial] {name}")
            else:
                expr = spec if isinstance(spec, Expression) else Expression.parse(spec, f"[initial] {name}")
                density.interpolate(expr.at_points(parameters, t))
            density.x.scatter_forward()
            if name in self.log_species:
                smallest = self.comm.allreduce(density.x.array.min(initial=np.inf), op=MPI.MIN)
                if not smallest > 0:
                    raise ValueError(
                        f"[initial] {name} must be positive everywhere with positivity = \"log-density\" "
                        f"(its minimum is {smallest:g})"
                    )
                self.unknowns[name].x.array[:] = np.log(density.x.array)
            self.old[name].x.array[:] = self.unknowns[name].x.array
            self.older[name].x.array[:] = self.unknowns[name].x.array

    def accept(self) -> None:
        """The unknowns become the last accepted level; the densities follow them."""
        for name, f in self.unknowns.items():
            self.older[name].x.array[:] = self.old[name].x.array
            self.old[name].x.array[:] = f.x.array
            if name in self.log_species:
                self.u[name].x.array[:] = np.exp(f.x.array)

    def reject(self) -> None:
        """The unknowns go back to the last accepted level."""
        for name, f in self.unknowns.items():
            f.x.array[:] = self.old[name].x.array

    def continue_from(self, previous: Mapping[str, dolfinx.fem.Function]) -> None:
        """Take the current unknowns as accepted, and `previous` as the level before (a restart)."""
        for name, f in self.unknowns.items():
            self.old[name].x.array[:] = f.x.array
            self.older[name].x.array[:] = previous[name].x.array

    def owned_values(self) -> np.ndarray:
        """Owned nodal values of all unknowns, concatenated (for error estimates)."""
        return np.concatenate(
            [f.x.array[: f.function_space.dofmap.index_map.size_local] for f in self.unknowns.values()]
        )

    def finite(self) -> bool:
        """Whether every local value of the unknowns is finite (this rank only)."""
        return all(np.isfinite(f.x.array).all() for f in self.unknowns.values())

    def minimum_density(self) -> float:
        """The smallest nodal value of the densities not in log variables (collective)."""
        local = min(
            (f.x.array.min(initial=np.inf) for n, f in self.unknowns.items() if n not in self.log_species),
            default=np.inf,
        )
        return self.comm.allreduce(float(local), op=MPI.MIN)

    def maximum(self) -> dict[str, Any]:
        """The largest density value over all species, with its species and location (collective)."""
        value, location, name = max(((*self.extreme(n, largest=True), n) for n in self.u), key=lambda c: c[0])
        return {"max_value": value, "max_species": name, "max_location": location}

    def extreme(self, name: str, largest: bool) -> tuple[float, list[float]]:
        """The largest (or smallest) nodal value of a species' density and where it is (collective)."""
        u = self.u[name]
        owned = u.x.array[: u.function_space.dofmap.index_map.size_local]
        best: tuple[float, list[float]] = (-np.inf if largest else np.inf, [])
        if owned.size:
            i = int(np.argmax(owned) if largest else np.argmin(owned))
            gdim = u.function_space.mesh.geometry.dim
            best = (float(owned[i]), [float(c) for c in u.function_space.tabulate_dof_coordinates()[i, :gdim]])
        candidates = self.comm.allgather(best)
        return max(candidates, key=lambda b: b[0]) if largest else min(candidates, key=lambda b: b[0])

    def statistics(self) -> dict[str, dict[str, Any]]:
        """Per species: mass (integral over the domain), min and max of the nodal values (collective)."""
        stats = {}
        for name, u in self.u.items():
            owned = u.x.array[: u.function_space.dofmap.index_map.size_local]
            stats[name] = {
                "mass": self.mass(name),
                "min": float(self.comm.allreduce(owned.min(initial=np.inf), op=MPI.MIN)),
                "max": float(self.comm.allreduce(owned.max(initial=-np.inf), op=MPI.MAX)),
            }
        return stats

    @property
    def num_dofs(self) -> int:
        """Global number of unknowns of all species together."""
        return sum(V.dofmap.index_map.size_global * V.dofmap.index_map_bs for V in self.spaces.values())
