"""What moves the mesh: the ``[mesh.motion]`` table as a validated description.

Kinds of motion (see :class:`MeshMotion`):

- ``uniform-growth``: the material grows exponentially, ``x = c + s(t) (X - c)`` with
  ``s = exp(rate t)``; the mesh follows the material (Lagrangian), so there is no
  convection relative to the mesh and species dilute as the domain grows.
- ``logistic-growth``: the same with ``s = K / (1 + (K - 1) exp(-rate t))`` (K = capacity,
  the final linear scale factor).
- ``prescribed``: the material is at rest and the mesh moves: the displacement of the nodes
  is given as expressions in the reference coordinates x, y, z and t, on the whole mesh or,
  with ``boundaries``, on those boundaries only (the interior follows by ``extension``).
- ``solution-driven``: the material is at rest and the nodes of ``boundaries`` move along
  the outward normal with the speed ``normal_speed``, an expression in the species, the
  parameters, x, y, z and t evaluated on the accepted state at the start of each step
  (explicit, first order in the mesh motion); the interior follows by ``extension``.

X, Y, Z here are reference coordinates (the mesh at t_start); x, y, z in ``normal_speed`` are
the current ones.

"The boundary advances with the normal cell flux" is not offered as such: under the natural
condition on a moving boundary (no flux relative to it, see terms/mesh_velocity.py) the cell
flux through the boundary is u V n by construction, so V = J.n/u would define V by itself.
A speed that is a function of the densities at the boundary (e.g. ``k*u1``) is well posed.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from fem_chemotaxis.expressions import Expression
from fem_chemotaxis.model.model import Model

__all__ = ["EXTENSIONS", "MOTION_KINDS", "MeshMotion"]

#: Values of ``[mesh.motion] kind``.
MOTION_KINDS = ("uniform-growth", "logistic-growth", "prescribed", "solution-driven")
#: Values of ``[mesh.motion] extension``: how boundary motion is carried into the interior.
EXTENSIONS = ("harmonic", "elastic")

_KEYS = {
    "uniform-growth": {"rate", "centre"},
    "logistic-growth": {"rate", "capacity", "centre"},
    "prescribed": {"displacement", "boundaries", "extension"},
    "solution-driven": {"normal_speed", "boundaries", "extension"},
}
_COMMON = {"kind", "min_quality"}
_COORDINATES = ("x", "y", "z")


@dataclass(frozen=True)
class MeshMotion:
    """A validated ``[mesh.motion]`` table.

    Attributes:
        kind: One of MOTION_KINDS.
        rate: Growth rate r (growth kinds).
        capacity: Final scale factor K of logistic growth (> 1 grows, < 1 shrinks).
        centre: Fixed point of the growth (default: the centroid of the initial domain).
        displacement: Node displacement per coordinate (prescribed), in X, Y, Z, t, parameters.
        boundaries: Boundary names that move (prescribed: empty = the whole mesh moves).
        normal_speed: Outward normal speed (solution-driven).
        extension: "harmonic" or "elastic" extension of boundary motion into the interior.
        min_quality: Stop the run before the minimum scaled Jacobian falls below this.
    """

    kind: str
    rate: float = 0.0
    capacity: float = 2.0
    centre: tuple[float, ...] = ()
    displacement: tuple[Expression, ...] = ()
    boundaries: tuple[str, ...] = ()
    normal_speed: Expression | None = None
    extension: str = "harmonic"
    min_quality: float = 0.1

    @property
    def is_growth(self) -> bool:
        """True for the growth kinds (the mesh follows the material)."""
        return self.kind in ("uniform-growth", "logistic-growth")

    @property
    def needs_extension(self) -> bool:
        """True if the motion is given on boundaries and the interior must follow."""
        return self.kind == "solution-driven" or (self.kind == "prescribed" and bool(self.boundaries))

    def scale(self, t: float) -> float:
        """The linear growth factor s(t) (growth kinds), s(0) = 1."""
        if self.kind == "uniform-growth":
            return math.exp(self.rate * t)
        if self.kind == "logistic-growth":
            return self.capacity / (1.0 + (self.capacity - 1.0) * math.exp(-self.rate * t))
        raise ValueError(f"mesh motion '{self.kind}' has no growth factor")

    def check_supported(self, model: Model, scheme: str) -> None:
        """Raise ValueError unless `model` can be solved with `scheme` on this moving mesh."""
        if scheme == "crank-nicolson":
            raise ValueError(
                "[time] scheme = \"crank-nicolson\" is not supported with [mesh.motion]; "
                "use \"backward-euler\" or \"bdf2\""
            )
        if model.flow is not None:
            raise ValueError("[mesh.motion] is not supported for models with a flow ([model.flow])")
        if any(sp.fractional_order is not None for sp in model.species):
            raise ValueError(
                "[mesh.motion] is not supported for models with fractional diffusion: the spectral "
                "(-Lap)^(a/2) is built from the eigenpairs of the mesh it starts on, and on a moving "
                "domain those change with it (no ALE form of the operator is implemented)"
            )

    @classmethod
    def from_dict(
        cls, table: Mapping[str, Any], species: Iterable[str], parameters: Iterable[str], where: str = "[mesh.motion]"
    ) -> MeshMotion:
        """Validate a ``[mesh.motion]`` table for a model with these species and parameters.

        Raises:
            ValueError: naming the key of any unknown, missing or malformed entry.
        """
        if not isinstance(table, Mapping):
            raise ValueError(f"{where} must be a table, e.g. kind = \"uniform-growth\", rate = 0.1")
        kind = table.get("kind")
        if kind not in MOTION_KINDS:
            raise ValueError(f"{where} kind = {kind!r} is unknown; choose one of: {', '.join(MOTION_KINDS)}")
        allowed = _KEYS[kind] | _COMMON
        unknown = sorted(set(table) - allowed)
        if unknown:
            raise ValueError(
                f"unknown key{'s' if len(unknown) > 1 else ''} {', '.join(repr(u) for u in unknown)} in {where} "
                f"for kind = \"{kind}\"; allowed: {', '.join(sorted(allowed))}"
            )
        values: dict[str, Any] = {"kind": kind}
        if "min_quality" in table:
            q = _number(table["min_quality"], f"{where} min_quality")
            if not 0 < q < 1:
                raise ValueError(f"{where} min_quality must lie in (0, 1), got {q!r}")
            values["min_quality"] = q
        if kind in ("uniform-growth", "logistic-growth"):
            if "rate" not in table:
                raise ValueError(f"{where} needs rate = ... for kind = \"{kind}\"")
            values["rate"] = _number(table["rate"], f"{where} rate")
            if "capacity" in table:
                capacity = _number(table["capacity"], f"{where} capacity")
                if not capacity > 0:
                    raise ValueError(f"{where} capacity must be positive, got {capacity!r}")
                values["capacity"] = capacity
            if "centre" in table:
                centre = table["centre"]
                if not (isinstance(centre, list) and len(centre) in (2, 3)):
                    raise ValueError(f"{where} centre must be a list of 2 or 3 numbers, got {centre!r}")
                values["centre"] = tuple(_number(c, f"{where} centre") for c in centre)
            return cls(**values)
        values["boundaries"] = _names(table.get("boundaries", []), f"{where} boundaries")
        if "extension" in table:
            if table["extension"] not in EXTENSIONS:
                raise ValueError(
                    f"{where} extension = {table['extension']!r} is unknown; choose one of: {', '.join(EXTENSIONS)}"
                )
            values["extension"] = table["extension"]
        parameters = set(parameters)
        if kind == "prescribed":
            displacement = table.get("displacement")
            if not (isinstance(displacement, list) and len(displacement) in (2, 3)):
                raise ValueError(
                    f"{where} displacement must be a list of one expression per coordinate, "
                    f"e.g. [\"0.1*t*x\", \"0\"], got {displacement!r}"
                )
            allowed_symbols = parameters | set(_COORDINATES) | {"t"}
            exprs = []
            for i, text in enumerate(displacement):
                expr = Expression.parse(text, f"{where} displacement[{i}]")
                expr.check_symbols(allowed_symbols, "a displacement (parameters, reference x, y, z, t)")
                _no_special(expr)
                exprs.append(expr)
            values["displacement"] = tuple(exprs)
        else:
            if "normal_speed" not in table:
                raise ValueError(f"{where} needs normal_speed = ... for kind = \"solution-driven\"")
            if not values["boundaries"]:
                raise ValueError(
                    f"{where} needs boundaries = [...] (the boundaries that move) for kind = \"solution-driven\""
                )
            expr = Expression.parse(table["normal_speed"], f"{where} normal_speed")
            expr.check_symbols(
                parameters | set(species) | set(_COORDINATES) | {"t"},
                "a normal speed (species, parameters, x, y, z, t)",
            )
            _no_special(expr)
            values["normal_speed"] = expr
        return cls(**values)

    def describe(self) -> str:
        """One line for ``--dry-run`` and logs."""
        quality = f", stop below quality {self.min_quality:g}"
        centre = list(self.centre) or "the centroid of the initial domain"
        if self.kind == "uniform-growth":
            return f"uniform growth s(t) = exp({self.rate:g} t) about {centre}{quality}"
        if self.kind == "logistic-growth":
            return (
                f"logistic growth s(t) = {self.capacity:g}/(1 + {self.capacity - 1:g} exp(-{self.rate:g} t)) "
                f"about {centre}{quality}"
            )
        where = "of the whole mesh"
        if self.boundaries:
            where = f"on {', '.join(self.boundaries)} ({self.extension} extension)"
        if self.kind == "prescribed":
            return f"prescribed displacement [{', '.join(map(str, self.displacement))}] {where}{quality}"
        return f"normal speed {self.normal_speed} {where}{quality}"


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"{where} must be a number, got {value!r}")
    return float(value)


def _names(value: Any, where: str) -> tuple[str, ...]:
    if not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
        raise ValueError(f"{where} must be a list of boundary names, e.g. [\"outer\"], got {value!r}")
    return tuple(value)


def _no_special(expr: Expression) -> None:
    for function in ("integral", "noise"):
        if expr.calls(function):
            raise ValueError(f"{expr.where}: {function}() is not allowed in mesh motion")
