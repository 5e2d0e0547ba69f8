"""The model description: species, their equations and parameters, as plain validated data.

Every model, built-in or user-written, is a :class:`Model`. For each species ``u_i``::

    [d_t u_i =] div( D_i grad u_i - sum_j S_ij Q(grad u_j) ) + f_i

where ``D_i`` is the diffusion coefficient (absent for an immobile species, e.g. the
extracellular matrix), ``S_ij`` the taxis sensitivity *including* the density factor (e.g.
``chi*u`` or ``chi*u*(1 - u/gamma)``), ``Q`` a flux limiter and ``f_i`` the reactions. A
species with ``time_derivative = false`` is quasi-steady (``0 = ...``, parabolic-elliptic
models). Nothing here depends on DOLFINx: a model can be built, printed and validated alone.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from fem_chemotaxis.checks import only_keys
from fem_chemotaxis.expressions import NUMPY_FUNCTIONS, Expression
from fem_chemotaxis.model.flow import Flow
from fem_chemotaxis.model.limiters import LIMITERS, check_limiter

__all__ = ["COORDINATES", "LIMITERS", "TIME", "Diffusion", "Model", "Species", "Taxis"]

COORDINATES = ("x", "y", "z")
TIME = "t"

#: A scalar diffusion coefficient, or a tensor (rows of expressions) for anisotropic diffusion.
Diffusion = Expression | tuple[tuple[Expression, ...], ...]


@dataclass(frozen=True)
class Taxis:
    """Directed motion of the species up the gradient of `towards` (down if negative).

    Attributes:
        towards: The species whose gradient drives the flux.
        sensitivity: The full prefactor S of Q(grad towards), e.g. ``chi*u``.
        limiter: One of LIMITERS (see :mod:`fem_chemotaxis.model.limiters`).
        limiter_threshold: y* >= 0 of the saturating limiter.
    """

    towards: str
    sensitivity: Expression
    limiter: str = "none"
    limiter_threshold: float = 1.0


@dataclass(frozen=True)
class Species:
    """One unknown field and the right-hand side of its equation.

    Attributes:
        name: Symbol used in expressions.
        diffusion: Diffusion coefficient (scalar or tensor), or None for an immobile species.
        taxis: Taxis terms of this species.
        reaction: Reaction/source expression f_i, or None.
        time_derivative: False for a quasi-steady (elliptic) equation.
        fractional_order: a in (0, 2): the diffusion is ``D (-Lap)^(a/2)`` (spectral, no-flux)
            instead of ``-div(D grad u)``; D must then be a constant (parameters only).
        degree: Lagrange degree of its finite-element space.
        description: A human-readable name ("cell density").
    """

    name: str
    diffusion: Diffusion | None
    taxis: tuple[Taxis, ...] = ()
    reaction: Expression | None = None
    time_derivative: bool = True
    fractional_order: float | None = None
    degree: int = 1
    description: str = ""

    @property
    def mobile(self) -> bool:
        """Whether the species diffuses."""
        return self.diffusion is not None

    def expressions(self) -> Iterator[Expression]:
        """Every expression of this species' equation."""
        if isinstance(self.diffusion, Expression):
            yield self.diffusion
        elif self.diffusion is not None:
            yield from (entry for row in self.diffusion for entry in row)
        for tx in self.taxis:
            yield tx.sensitivity
        if self.reaction is not None:
            yield self.reaction


@dataclass(frozen=True)
class Model:
    """A multi-species taxis-reaction system.

    Attributes:
        name: Identifier ("keller-segel").
        species: The species, in order.
        parameters: Parameter values by name.
        description: One paragraph on what it models and where it comes from.
        flow: The fluid that advects the species (see :mod:`fem_chemotaxis.model.flow`), or None.
    """

    name: str
    species: tuple[Species, ...]
    parameters: Mapping[str, float] = field(default_factory=dict)
    description: str = ""
    flow: Flow | None = None

    def __post_init__(self) -> None:
        self.validate()

    @property
    def species_names(self) -> list[str]:
        """Names of the species, in order."""
        return [s.name for s in self.species]

    def symbols(self) -> set[str]:
        """All names an expression of this model may use."""
        return set(self.species_names) | set(self.parameters) | set(COORDINATES) | {TIME}

    def validate(self) -> None:
        """Check names, references and signs; raise ValueError naming the culprit."""
        names = self.species_names
        if not names:
            raise ValueError(f"model '{self.name}' has no species")
        for name in names:
            if names.count(name) > 1:
                raise ValueError(f"species '{name}' is defined twice in model '{self.name}'")
            if not name.isidentifier() or name in COORDINATES or name == TIME or name == "pi":
                raise ValueError(f"'{name}' cannot be a species name (reserved or not an identifier)")
        for name in self.parameters:
            if name in names or name in COORDINATES or name == TIME or not name.isidentifier():
                raise ValueError(f"'{name}' cannot be a parameter name of model '{self.name}'")
        allowed = self.symbols()
        table = f"model '{self.name}' (species, parameters, x, y, z, t)"
        for sp in self.species:
            for expr in sp.expressions():
                expr.check_symbols(allowed, table)
                if expr.calls("noise"):
                    raise ValueError(f"{expr.where}: noise() is only allowed in [initial]")
                for arg in _integral_arguments(expr):
                    if arg not in names:
                        raise ValueError(f"{expr.where}: integral() takes a species; got {arg!r}")
            for k, tx in enumerate(sp.taxis):
                if tx.towards not in names:
                    raise ValueError(
                        f"[model.species.{sp.name}] taxis towards unknown species '{tx.towards}'; "
                        f"species: {', '.join(names)}"
                    )
                check_limiter(tx.limiter, tx.limiter_threshold, f"[model.species.{sp.name}.taxis[{k}]]")
            self._check_diffusion_positive(sp)
            if sp.fractional_order is not None:
                where = f"[model.species.{sp.name}]"
                if not 0 < sp.fractional_order < 2:
                    raise ValueError(f"{where} fractional_order must be in (0, 2), got {sp.fractional_order:g}")
                if not isinstance(sp.diffusion, Expression) or not sp.diffusion.symbols <= set(self.parameters):
                    raise ValueError(
                        f"{where} fractional diffusion needs a constant scalar 'diffusion' (numbers and parameters)"
                    )
                if not sp.time_derivative:
                    raise ValueError(f"{where} fractional diffusion needs a time derivative")
            if not sp.time_derivative and not sp.mobile:
                raise ValueError(f"species '{sp.name}' has neither a time derivative nor diffusion")
            if sp.degree not in (1, 2, 3):
                raise ValueError(f"[model.species.{sp.name}] degree must be 1, 2 or 3, got {sp.degree}")
        if self.flow is not None:
            self.flow.check(names, self.parameters)

    def integrated_species(self) -> list[str]:
        """Species whose domain integral appears in a term (``integral(u)``, non-local)."""
        return sorted({arg for sp in self.species for e in sp.expressions() for arg in _integral_arguments(e)})

    def _check_diffusion_positive(self, sp: Species) -> None:
        """A diffusion that depends on parameters only must be positive (definite)."""
        entries = _diffusion_entries(sp)
        if not entries or not all(e.symbols <= set(self.parameters) for e in entries):
            return
        values = np.array(
            [
                [float(e.evaluate_checked(dict(self.parameters), NUMPY_FUNCTIONS)) for e in row]
                for row in _rows(sp.diffusion)  # type: ignore[arg-type]
            ]
        )
        if values.shape == (1, 1):
            if not values[0, 0] > 0:
                raise ValueError(
                    f"[model.species.{sp.name}] diffusion '{sp.diffusion}' = {values[0, 0]:g} must be positive"
                )
        elif not np.allclose(values, values.T) or np.linalg.eigvalsh(values).min() <= 0:
            raise ValueError(
                f"[model.species.{sp.name}] diffusion tensor {values.tolist()} must be symmetric positive definite"
            )

    def with_parameters(self, overrides: Mapping[str, Any], where: str = "model.parameters") -> Model:
        """A copy with some parameter values replaced; unknown names are an error."""
        params = dict(self.parameters)
        for key, value in overrides.items():
            if key not in params:
                raise ValueError(
                    f"[{where}] '{key}' is not a parameter of model '{self.name}'; its parameters: {', '.join(params)}"
                )
            params[key] = _number(value, f"[{where}] {key}")
        return Model(self.name, self.species, params, self.description, self.flow)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], where: str = "model") -> Model:
        """Build a model from its TOML-shaped description (see the README's model section)."""
        only_keys(data, {"name", "description", "parameters", "species", "flow"}, where)
        name = data.get("name", "user-model")
        if not isinstance(data.get("parameters", {}), Mapping):
            raise ValueError(f"[{where}.parameters] must be a table of numbers")
        parameters = {k: _number(v, f"[{where}.parameters] {k}") for k, v in dict(data.get("parameters", {})).items()}
        species_tables = data.get("species")
        if not isinstance(species_tables, Mapping) or not species_tables:
            raise ValueError(f"[{where}.species] define at least one species table, e.g. [{where}.species.u]")
        species = tuple(
            _species_from_dict(sname, table, f"{where}.species.{sname}") for sname, table in species_tables.items()
        )
        flow = Flow.from_dict(data["flow"], f"{where}.flow") if "flow" in data else None
        return cls(str(name), species, parameters, str(data.get("description", "")), flow)

    def equations(self) -> list[str]:
        """The equations in readable plain-text maths, one per species (then the flow's, if any)."""
        lines = []
        for sp in self.species:
            flux, terms = [], []
            if sp.fractional_order is not None:
                terms.append(f"- ({sp.diffusion}) (-Lap)^({sp.fractional_order:g}/2) {sp.name}")
            elif isinstance(sp.diffusion, Expression):
                flux.append(f"({sp.diffusion}) grad {sp.name}")
            elif sp.diffusion is not None:
                matrix = "; ".join(", ".join(str(e) for e in row) for row in sp.diffusion)
                flux.append(f"[{matrix}] grad {sp.name}")
            for tx in sp.taxis:
                grad = f"grad {tx.towards}"
                if tx.limiter != "none":
                    grad = f"Q_{tx.limiter}({grad})"
                flux.append(f"- ({tx.sensitivity}) {grad}")
            if flux:
                terms.append(f"+ div( {' '.join(flux)} )")
            if sp.reaction is not None:
                terms.append(f"+ {sp.reaction}")
            rhs = " ".join(terms).removeprefix("+ ") or "0"
            lhs = f"d{sp.name}/dt" if sp.time_derivative else "0"
            lines.append(f"{lhs} = {rhs}")
        if self.flow is not None:
            lines.extend(self.flow.equations())
        return lines


def _species_from_dict(name: str, table: Any, where: str) -> Species:
    if not isinstance(table, Mapping):
        raise ValueError(f"[{where}] must be a table")
    only_keys(
        table,
        {"diffusion", "fractional_order", "taxis", "reaction", "time_derivative", "degree", "description"},
        where,
    )
    taxis_list = table.get("taxis", [])
    if isinstance(taxis_list, Mapping):
        taxis_list = [taxis_list]
    if not isinstance(taxis_list, list):
        raise ValueError(f"[{where}] taxis must be a table or an array of tables, got {taxis_list!r}")
    taxis = []
    for k, tx in enumerate(taxis_list):
        twhere = f"{where}.taxis[{k}]"
        if not isinstance(tx, Mapping):
            raise ValueError(f"[{twhere}] must be a table like {{ towards = \"s\", sensitivity = \"chi*{name}\" }}")
        only_keys(tx, {"towards", "sensitivity", "limiter", "limiter_threshold"}, twhere)
        for key in ("towards", "sensitivity"):
            if key not in tx:
                raise ValueError(f"[{twhere}] is missing '{key}'")
        taxis.append(
            Taxis(
                towards=str(tx["towards"]),
                sensitivity=Expression.parse(tx["sensitivity"], f"[{twhere}] sensitivity"),
                limiter=str(tx.get("limiter", "none")),
                limiter_threshold=_number(tx.get("limiter_threshold", 1.0), f"[{twhere}] limiter_threshold"),
            )
        )
    reaction = table.get("reaction")
    degree = table.get("degree", 1)
    if isinstance(degree, bool) or not isinstance(degree, int):
        raise ValueError(f"[{where}] degree must be an integer, got {degree!r}")
    time_derivative = table.get("time_derivative", True)
    if not isinstance(time_derivative, bool):
        raise ValueError(f"[{where}] time_derivative must be true or false, got {time_derivative!r}")
    return Species(
        name=name,
        diffusion=_diffusion(table.get("diffusion"), where),
        taxis=tuple(taxis),
        reaction=None if reaction is None else Expression.parse(reaction, f"[{where}] reaction"),
        time_derivative=time_derivative,
        fractional_order=_number(table["fractional_order"], f"[{where}] fractional_order")
        if "fractional_order" in table
        else None,
        degree=degree,
        description=str(table.get("description", "")),
    )


def _diffusion(value: Any, where: str) -> Diffusion | None:
    """A scalar expression, or a square list of lists of expressions (a tensor)."""
    if value is None:
        return None
    if not isinstance(value, list):
        return Expression.parse(value, f"[{where}] diffusion")
    n = len(value)
    if n not in (2, 3) or not all(isinstance(row, list) and len(row) == n for row in value):
        raise ValueError(f"[{where}] diffusion tensor must be a 2x2 or 3x3 list of lists, got {value!r}")
    return tuple(
        tuple(Expression.parse(e, f"[{where}] diffusion[{i}][{j}]") for j, e in enumerate(row))
        for i, row in enumerate(value)
    )


def _integral_arguments(expr: Expression) -> list[str]:
    return [
        node.args[0].id  # type: ignore[attr-defined]
        for node in ast.walk(expr.tree)
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "integral"
    ]


def _rows(diffusion: Diffusion) -> tuple[tuple[Expression, ...], ...]:
    return ((diffusion,),) if isinstance(diffusion, Expression) else diffusion


def _diffusion_entries(sp: Species) -> list[Expression]:
    return [] if sp.diffusion is None else [e for row in _rows(sp.diffusion) for e in row]


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{where}: expected a number, got {value!r}")
    if isinstance(value, int) and not abs(value) <= sys.float_info.max:
        raise ValueError(f"{where}: number too large, got {value!r}")
    return float(value)
