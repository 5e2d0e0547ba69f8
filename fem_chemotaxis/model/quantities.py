"""Derived quantities a run records: integrals over named regions, fluxes, centres of mass.

Each is plain data (a ``[[quantity]]`` table or a Python object), checked against the model.
It says which integrals make it (:meth:`Quantity.integrals`, built over a
:class:`QuantityContext` that the simulation provides: its states, parameters and measures
of named regions) and how they combine into its value (:meth:`Quantity.value`); a new kind
of quantity is a small subclass. ::

    [[quantity]]                        fc.Integral("tumour_cells", "u", over="tumour")
    name = "tumour_cells"
    integral = "u"                      # species, parameters, x, y, z, t
    over = "tumour"                     # cell groups (default: the whole domain);
                                        # on = [...] instead: an integral over boundaries

    [[quantity]]                        fc.Flux("release", "s", on=["vessel_1", "vessel_2"])
    name = "release"
    flux = "s"                          # outward flux of s: int J.n ds, where
    on = ["vessel_1", "vessel_2"]       # J = -D grad s + S Q(grad w) (+ s w in a flow)

    [[quantity]]                        fc.CentreOfMass("cells", "u")
    name = "cells"
    centre_of_mass = "u"                # int x u / int u (over = ...: in cell groups)

Values are recorded at every output time in ``summary.json`` (``records[k]["quantities"]``)
and ``timeseries.csv`` (a column per scalar, ``<name>_x``, ``<name>_y``, ... for vectors),
and plotted at the end of a run (``<name>.png``).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

from fem_chemotaxis.checks import names, only_keys
from fem_chemotaxis.expressions import Expression
from fem_chemotaxis.model.model import COORDINATES, TIME, Model

__all__ = [
    "QUANTITY_KINDS",
    "RESERVED_NAMES",
    "CentreOfMass",
    "Flux",
    "Integral",
    "Quantity",
    "QuantityContext",
    "check_quantities",
    "quantity_from_table",
]


class QuantityContext(Protocol):
    """What a quantity's integrals are built from (the simulation provides it)."""

    def value(self, expr: Expression) -> Any:
        """The UFL value of an expression in species, parameters, x, y, z, t."""

    def density(self, species: str) -> Any:
        """The UFL density of a species."""

    def outward_flux(self, species: str) -> Any:
        """J.n: the species' flux (diffusion, taxis, advection) through the outward normal."""

    def coordinates(self) -> Sequence[Any]:
        """The UFL coordinates x, y (, z)."""

    def cells(self, names: Sequence[str]) -> Any:
        """The cell measure over the named cell groups (the whole domain if empty)."""

    def facets(self, names: Sequence[str]) -> Any:
        """The facet measure over the named boundary groups."""


@dataclass(frozen=True)
class Quantity(ABC):
    """A number (or vector) derived from the state, recorded at every output time.

    Attributes:
        name: Its name in records, columns and pictures (an identifier).
    """

    name: str
    #: The key of its ``[[quantity]]`` table that gives its kind (and its main value).
    KIND: ClassVar[str]

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.isidentifier():
            raise ValueError(f"[quantity] name must be an identifier (letters, digits, _), got {self.name!r}")

    @property
    def where(self) -> str:
        """How messages name it."""
        return f"[quantity.{self.name}]"

    @abstractmethod
    def check(self, model: Model) -> None:
        """Raise ValueError unless the quantity makes sense for `model`."""

    @abstractmethod
    def integrals(self, context: QuantityContext) -> list[Any]:
        """The UFL integrals (forms) it is made of."""

    @abstractmethod
    def value(self, integrals: Sequence[float]) -> float | list[float]:
        """Its value from the values of its integrals (summed over all ranks)."""


@dataclass(frozen=True)
class Integral(Quantity):
    """The integral of an expression over cell groups (`over`) or boundary groups (`on`).

    Attributes:
        expression: In species, parameters, x, y, z and t (a string is parsed).
        over: Cell groups (empty: the whole domain).
        on: Boundary (exterior facet) groups; exclusive with `over`.
    """

    KIND: ClassVar[str] = "integral"

    expression: Expression | str | float = "0"
    over: tuple[str, ...] | str = ()
    on: tuple[str, ...] | str = ()

    def __post_init__(self) -> None:
        super().__post_init__()
        if not isinstance(self.expression, Expression):
            object.__setattr__(self, "expression", Expression.parse(self.expression, f"{self.where} integral"))
        object.__setattr__(self, "over", names(self.over, f"{self.where} over"))
        object.__setattr__(self, "on", names(self.on, f"{self.where} on"))
        if self.over and self.on:
            raise ValueError(f"{self.where} give over (cell groups) or on (boundaries), not both")

    def check(self, model: Model) -> None:
        """Symbols: species, parameters, x, y, z, t; no integral() or noise()."""
        assert isinstance(self.expression, Expression)
        self.expression.check_symbols(
            model.symbols(), f"a quantity (species, parameters, {', '.join(COORDINATES)}, {TIME})"
        )
        for function in ("integral", "noise"):
            if self.expression.calls(function):
                raise ValueError(f"{self.where}: {function}() is not allowed in a quantity")

    def integrals(self, context: QuantityContext) -> list[Any]:
        """One integral."""
        assert isinstance(self.expression, Expression)  # parsed in __post_init__
        measure = context.facets(self.on) if self.on else context.cells(self.over)
        return [context.value(self.expression) * measure]

    def value(self, integrals: Sequence[float]) -> float:
        """The integral."""
        return float(integrals[0])


@dataclass(frozen=True)
class _OfSpecies(Quantity):
    """A quantity of one species over named groups (`on` boundaries or `over` cell groups)."""

    species: str = ""

    def check(self, model: Model) -> None:
        """The species is one of the model's."""
        if self.species not in model.species_names:
            raise ValueError(
                f"{self.where} species '{self.species}' is not in the model; species: {', '.join(model.species_names)}"
            )


@dataclass(frozen=True)
class Flux(_OfSpecies):
    """The outward flux of a species through boundary groups: int J.n ds.

    J = -D grad u + sum_j S_j Q(grad w_j) (+ u w when a fluid carries the species): the flux
    of the species' equation d_t u + div J = f. A positive value leaves the domain.

    Attributes:
        species: The species.
        on: Boundary (exterior facet) groups.
    """

    KIND: ClassVar[str] = "flux"

    on: tuple[str, ...] | str = ()

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(self, "on", names(self.on, f"{self.where} on"))
        if not self.on:
            raise ValueError(f"{self.where} needs on = [...]: the boundaries the flux goes through")

    def check(self, model: Model) -> None:
        """A species with a local flux (not fractional diffusion)."""
        super().check(model)
        if any(sp.name == self.species and sp.fractional_order is not None for sp in model.species):
            raise ValueError(f"{self.where} the flux of '{self.species}' is not local (fractional diffusion)")

    def integrals(self, context: QuantityContext) -> list[Any]:
        """One integral."""
        return [context.outward_flux(self.species) * context.facets(self.on)]

    def value(self, integrals: Sequence[float]) -> float:
        """The flux."""
        return float(integrals[0])


@dataclass(frozen=True)
class CentreOfMass(_OfSpecies):
    """The centre of mass of a species: int x u / int u, over cell groups or the whole domain.

    Attributes:
        species: The species.
        over: Cell groups (empty: the whole domain).
    """

    KIND: ClassVar[str] = "centre_of_mass"

    over: tuple[str, ...] | str = ()

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(self, "over", names(self.over, f"{self.where} over"))

    def integrals(self, context: QuantityContext) -> list[Any]:
        """The first moments, one per coordinate, then the mass."""
        u, dx = context.density(self.species), context.cells(self.over)
        return [x * u * dx for x in context.coordinates()] + [u * dx]

    def value(self, integrals: Sequence[float]) -> list[float]:
        """The coordinates of the centre."""
        *moments, mass = integrals
        return [float(m / mass) for m in moments]


#: Quantity classes by the table key that names their kind.
QUANTITY_KINDS: dict[str, type[Quantity]] = {q.KIND: q for q in (Integral, Flux, CentreOfMass)}
_KEYS = {Integral: ("expression", {"over", "on"}), Flux: ("species", {"on"}), CentreOfMass: ("species", {"over"})}


def quantity_from_table(table: Any, where: str) -> Quantity:
    """A quantity from a ``[[quantity]]`` table: name, one of integral | flux | centre_of_mass, over/on.

    Raises:
        ValueError: naming the table and key of a mistake.
    """
    if not isinstance(table, Mapping):
        raise ValueError(f"[{where}] must be a table, e.g. {{ name = \"total\", integral = \"u\" }}")
    kinds = [kind for kind in QUANTITY_KINDS if kind in table]
    if len(kinds) != 1 or "name" not in table:
        raise ValueError(f"[{where}] needs name = \"...\" and exactly one of {', '.join(QUANTITY_KINDS)}")
    cls = QUANTITY_KINDS[kinds[0]]
    main, extra = _KEYS[cls]
    only_keys(table, {"name", cls.KIND, *extra}, where)
    values = {key: table[key] for key in extra if key in table}
    return cls(name=table["name"], **{main: table[cls.KIND]}, **values)


#: Names a quantity cannot take: the run's own pictures (``<name>.png``) and columns use them.
RESERVED_NAMES = ("mass", "min", "max", "species", "flow", "time", "volume", "min_quality")


def check_quantities(quantities: Iterable[Quantity], model: Model) -> None:
    """Check each quantity against the model; names must be distinct, not a species' or reserved."""
    seen: set[str] = set()
    for quantity in quantities:
        taken = {*seen, *model.species_names, *RESERVED_NAMES}
        if quantity.name in taken:
            raise ValueError(
                f"{quantity.where} the name '{quantity.name}' is taken; not one of: {', '.join(sorted(taken))}"
            )
        seen.add(quantity.name)
        quantity.check(model)
