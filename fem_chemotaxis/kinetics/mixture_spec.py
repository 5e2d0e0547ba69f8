"""Read a multi-species SPEC: several cell populations and the fields they respond to.

The cross-diffusion file's kinetic system (7): each population ``i`` moves by its own
velocity-jump process (velocity set ``V_i``, equilibrium ``M_i``, turning rate, persistence)
and biases its turning towards the gradients of named fields (``T_i^1``, Assumption 3.1);
the macroscopic reactions ``psi_i = int G_i dv`` (34) are given directly. A species without
velocities is a field: with ``diffusion`` a chemical described macroscopically, without it
immobile (the extracellular matrix of (43), (55); a ``q > 1`` species of (9))::

    dimension = 2
    [species.u1]                      # a cell population
    description = "cancer cells"
    turning_rate = 1.0                # lambda (sigma_1 of (37))
    reaction = "mu*u1*(r - u1 - u3)"  # psi_1
    [species.u1.velocities]           # as [cells.velocities]
    [species.u1.turning_angle]        # optional persistence, as [cells.turning_angle]
    [[species.u1.taxis]]              # one table per field: towards = its name
    towards = "u3"                    # and the keys of [cells.taxis]; k(S) uses the field's name
    mechanism = "run-length"
    strength = "xi/(1 + u3)"
    [species.u1.transduction]         # or excitation/adaptation to one field: towards, b, tau_e, tau_a, g
    [species.u3]                      # a field: immobile (no diffusion), with its reaction
    reaction = "-u2*u3"
    [species.c]
    diffusion = "1"                   # a chemical with a given diffusion
    [parameters], [units], [run.*]    # as in the single-cell SPEC

Every key is checked; a mistake raises ValueError naming the table and key.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from fem_chemotaxis.expressions import Expression
from fem_chemotaxis.kinetics import cells as movement
from fem_chemotaxis.kinetics import tables
from fem_chemotaxis.kinetics.tables import Units
from fem_chemotaxis.kinetics.turning import TaxisPerturbation, TurningLaw

__all__ = ["RUN_TABLES", "MixtureSpec", "Population", "parse_mixture"]

#: Run-config tables a SPEC may carry in [run].
RUN_TABLES = ("mesh", "initial", "time", "output", "solver", "boundary", "subdomains", "discretisation")
_MOVEMENT_KEYS = {"turning_rate", "turning", "velocities", "turning_angle", "taxis", "transduction"}
_COORDINATES = {"x", "y", "z", "t"}


@dataclass(frozen=True)
class Population:
    """One species of a multi-species SPEC: cells, a chemical with a given diffusion, or an immobile field.

    Attributes:
        name: Its species name in the emitted model.
        description: A human-readable name.
        law: The cells' turning law (taxis and transduction name their fields), or None for a field.
        diffusion: A field's macroscopic diffusion (an expression), or None.
        reaction: The macroscopic reaction psi (an expression), or None.
    """

    name: str
    description: str
    law: TurningLaw | None = None
    diffusion: str | None = None
    reaction: str | None = None

    @property
    def kind(self) -> str:
        """ "cells", "field" (given diffusion) or "immobile"."""
        if self.law is not None:
            return "cells"
        return "field" if self.diffusion is not None else "immobile"


@dataclass(frozen=True)
class MixtureSpec:
    """A validated multi-species SPEC.

    Attributes:
        source: Where it was read from.
        dimension: Space dimension n.
        species: The populations and fields, in the SPEC's order.
        parameters: Parameter values for the expressions.
        units: Unit names for printing.
        run: Run-config tables copied into the emitted config.
    """

    source: str
    dimension: int
    species: tuple[Population, ...]
    parameters: Mapping[str, float] = field(default_factory=dict)
    units: Units = field(default_factory=Units)
    run: Mapping[str, Any] = field(default_factory=dict)

    def __getitem__(self, name: str) -> Population:
        for population in self.species:
            if population.name == name:
                return population
        raise KeyError(name)

    @property
    def names(self) -> list[str]:
        """The species names in order."""
        return [p.name for p in self.species]


def parse_mixture(data: Mapping[str, Any], source: str = "<spec>") -> MixtureSpec:
    """Validate a multi-species SPEC already read into a dict."""
    tables.only_keys(data, {"dimension", "species", "parameters", "units", "run"}, "top level")
    dimension = data.get("dimension")
    if dimension not in (1, 2, 3) or isinstance(dimension, bool):
        raise ValueError(f"[top level] dimension must be 1, 2 or 3, got {dimension!r}")
    parameters = tables.parameters(data)
    entries = tables.table(data, "species", "top level", required=True)
    names = [tables.name(key, f"[species] name '{key}'") for key in entries]
    clash = sorted(set(names) & set(parameters))
    if clash:
        raise ValueError(f"[parameters] {', '.join(repr(c) for c in clash)}: also a species name")
    species = tuple(
        _population(key, tables.table(entries, key, "species"), dimension, parameters, names) for key in names
    )
    if not any(p.kind == "cells" for p in species):
        raise ValueError("[species] has no cell population: give one [species.NAME.velocities] table")
    run = tables.table(data, "run", "top level")
    tables.only_keys(run, set(RUN_TABLES), "run")
    return MixtureSpec(source, dimension, species, parameters, tables.units(data), dict(run))


def _population(
    name: str, entry: Mapping[str, Any], dimension: int, parameters: Mapping[str, float], names: list[str]
) -> Population:
    where = f"species.{name}"
    tables.only_keys(entry, {"description", "reaction", "diffusion", *_MOVEMENT_KEYS}, where)
    description = tables.string(entry.get("description", name), f"[{where}] description")
    allowed = {*names, *parameters, *_COORDINATES}
    reaction = _expression(entry, "reaction", where, allowed)
    if "velocities" not in entry:
        given = sorted(_MOVEMENT_KEYS & set(entry))
        if given:
            raise ValueError(
                f"[{where}] {', '.join(repr(g) for g in given)} need a [{where}.velocities] table "
                "(a species without velocities is a field: immobile, or with 'diffusion')"
            )
        return Population(name, description, None, _expression(entry, "diffusion", where, allowed), reaction)
    if "diffusion" in entry:
        raise ValueError(f"[{where}] 'diffusion' is derived from the velocities; remove it (or the velocities)")
    return Population(name, description, _law(name, entry, dimension, parameters, names), None, reaction)


def _law(
    name: str, entry: Mapping[str, Any], dimension: int, parameters: Mapping[str, float], names: list[str]
) -> TurningLaw:
    where = f"species.{name}"
    rate, turning = movement.turning(entry, where)
    velocity_table = tables.table(entry, "velocities", where)
    if velocity_table.get("kind") == "heavy-tailed":
        raise ValueError(f"[{where}.velocities] kind \"heavy-tailed\" is only available for single cells ([cells])")
    velocities = movement.velocity_set(velocity_table, f"{where}.velocities", dimension, parameters)
    angle = None
    if "turning_angle" in entry:
        angle = movement.turning_angle(
            tables.table(entry, "turning_angle", where), f"{where}.turning_angle", dimension, velocities, turning
        )
    taxis: list[TaxisPerturbation] = []
    raw = entry.get("taxis", [])
    for i, item in enumerate([raw] if isinstance(raw, Mapping) else raw):
        item_where = f"{where}.taxis" if isinstance(raw, Mapping) else f"{where}.taxis[{i}]"
        if not isinstance(item, Mapping):
            raise ValueError(f"[{where}.taxis] must be a table or an array of tables ([[{where}.taxis]])")
        towards = _towards(item, item_where, name, names)
        if any(t.towards == towards for t in taxis):
            raise ValueError(f"[{item_where}] towards = \"{towards}\" twice: one table per field")
        taxis.append(movement.taxis(item, item_where, dimension, parameters, towards, frozenset({"towards"})))
    transduction = None
    if "transduction" in entry:
        item = tables.table(entry, "transduction", where)
        towards = _towards(item, f"{where}.transduction", name, names)
        transduction = movement.transduction(item, f"{where}.transduction", towards, parameters, frozenset({"towards"}))
    if taxis and transduction is not None:
        raise ValueError(f"[{where}] give either taxis or transduction, not both")
    return TurningLaw(velocities, rate, turning, tuple(taxis), transduction, angle)


def _towards(item: Mapping[str, Any], where: str, name: str, names: list[str]) -> str:
    towards = item.get("towards")
    if towards not in names or towards == name:
        others = ", ".join(n for n in names if n != name)
        raise ValueError(f"[{where}] towards must name another species ({others}), got {towards!r}")
    return str(towards)


def _expression(entry: Mapping[str, Any], key: str, where: str, allowed: set[str]) -> str | None:
    """An expression of the species names, parameters and coordinates, as text (or None)."""
    if key not in entry:
        return None
    value = entry[key]
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = repr(float(tables.number(value, f"[{where}] {key}")))
    expression = Expression.parse(value, f"[{where}] {key}")
    expression.check_symbols(allowed, "the species, [parameters] and x, y, z, t")
    return str(value)
