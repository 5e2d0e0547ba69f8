"""Boundary conditions on named boundaries (gmsh physical groups), as plain data.

No-flux is the default everywhere. Otherwise, for a species u on boundaries ``on``:

- ``dirichlet``: u = value (an expression in x, y, z, t and parameters);
- ``flux``: the inward flux ``n . (D grad u - S grad w) = value`` (supply into the domain,
  e.g. from a vessel wall; may depend on the species);
- ``robin``: inward flux ``= rate * (value - u)`` (exchange with an exterior level).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from fem_chemotaxis.checks import choice, names, only_keys, required
from fem_chemotaxis.expressions import Expression

__all__ = ["BOUNDARY_KINDS", "BoundaryCondition"]

BOUNDARY_KINDS = ("dirichlet", "flux", "robin")


@dataclass(frozen=True)
class BoundaryCondition:
    """One condition on one species over one or more named boundaries.

    In Python the names may be one string and the expressions strings or numbers:
    ``BoundaryCondition("s", "vessel_1", "flux", "0.5")``.
    """

    species: str
    on: tuple[str, ...]
    kind: str
    value: Expression
    rate: Expression | None = None

    def __post_init__(self) -> None:
        where = f"[boundary] ({self.species} on {self.on})"
        if isinstance(self.on, str):
            object.__setattr__(self, "on", (self.on,))
        if self.kind not in BOUNDARY_KINDS:
            raise ValueError(f"{where} type = {self.kind!r} is unknown; choose one of: {', '.join(BOUNDARY_KINDS)}")
        for key in ("value", "rate"):
            text = getattr(self, key)
            if text is not None and not isinstance(text, Expression):
                object.__setattr__(self, key, Expression.parse(text, f"{where} {key}"))
        if (self.kind == "robin") != (self.rate is not None):
            raise ValueError(f"{where} a rate is required for type = \"robin\" and only allowed there")

    @classmethod
    def from_dict(cls, table: Mapping[str, Any], where: str) -> BoundaryCondition:
        """Build from a ``[[boundary]]`` table: on, species, type, value (, rate)."""
        only_keys(table, {"on", "species", "type", "value", "rate"}, where)
        required(table, ("on", "species", "type", "value"), where)
        kind = choice(table["type"], BOUNDARY_KINDS, f"[{where}] type")
        on = names(table["on"], f"[{where}] on")
        if (kind == "robin") != ("rate" in table):
            raise ValueError(f"[{where}] 'rate' is required for type = \"robin\" and only allowed there")
        return cls(
            species=str(table["species"]),
            on=on,
            kind=kind,
            value=Expression.parse(table["value"], f"[{where}] value"),
            rate=Expression.parse(table["rate"], f"[{where}] rate") if "rate" in table else None,
        )

    def check(self, species: Iterable[str], parameters: Iterable[str], where: str) -> None:
        """Validate names against a model: known species, allowed symbols."""
        species = list(species)
        if self.species not in species:
            raise ValueError(f"[{where}] species '{self.species}' is not in the model; species: {', '.join(species)}")
        allowed = set(parameters) | {"x", "y", "z", "t"}
        if self.kind != "dirichlet":
            allowed |= set(species)
        table = "a boundary condition (parameters, x, y, z, t" + (", species)" if self.kind != "dirichlet" else ")")
        for expr in (self.value, self.rate):
            if expr is not None:
                expr.check_symbols(allowed, table)
