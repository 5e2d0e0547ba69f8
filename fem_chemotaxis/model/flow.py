"""The fluid a model's species live in, as plain validated data (``[model.flow]``).

Species named in ``advected`` (all species by default) are carried by a velocity ``w``::

    d_t u_i + div(u_i w) = div(D_i grad u_i - ...) + f_i

and ``w`` is either solved for or prescribed:

- ``stokes``: ``-div(eta grad w) + grad p = f``, ``div w = 0``, with the body force ``f`` an
  expression vector in the species (e.g. the buoyancy ``-V g n e_z`` of heavy cells);
- ``navier-stokes``: the same with the convection term ``rho (w . grad) w`` added;
- ``prescribed``: ``w`` is given by expressions in x, y, z, t, by a Python function of the
  points and time, or read from a VTK file (steady).

The flow is quasi-steady: it adjusts instantly to the species, which is the regime of
swimming micro-organisms (the viscous time ``rho L^2 / eta`` is far shorter than the
transport times). Flow boundary conditions are given on named boundaries; every boundary
not named is a no-slip wall:

- ``no-slip``: ``w = 0``;
- ``free-slip``: ``w . n = 0`` and no shear stress (an air-water surface, a symmetry plane);
  the boundary facets must be perpendicular to a coordinate axis;
- ``velocity``: ``w = value`` (an inflow profile, a moving lid);
- ``outflow``: no traction ("do nothing"); advected species leave with the fluid there.

Without an ``outflow`` boundary the pressure is determined up to a constant, reported with
mean zero.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from fem_chemotaxis.checks import choice, names, only_keys, required
from fem_chemotaxis.expressions import NUMPY_FUNCTIONS, Expression

__all__ = [
    "FLOW_BOUNDARY_KINDS",
    "FLOW_COUPLINGS",
    "FLOW_KINDS",
    "Flow",
    "FlowBoundary",
    "VelocityFunction",
]

FLOW_KINDS = ("stokes", "navier-stokes", "prescribed")
FLOW_BOUNDARY_KINDS = ("no-slip", "free-slip", "velocity", "outflow")
#: "monolithic": flow and species in one Newton solve; "split": the flow for the species at
#: the start of the step, then the species with that flow.
FLOW_COUPLINGS = ("monolithic", "split")

#: A prescribed velocity given in Python: points (3, N) and time -> values (gdim, N).
VelocityFunction = Callable[[np.ndarray, float], np.ndarray]
#: A vector of expressions, one per coordinate direction.
ExpressionVector = tuple[Expression, ...]
PrescribedVelocity = ExpressionVector | VelocityFunction

_POINT_SYMBOLS = frozenset({"x", "y", "z", "t"})


@dataclass(frozen=True)
class FlowBoundary:
    """One flow condition on one or more named boundaries.

    Attributes:
        kind: One of FLOW_BOUNDARY_KINDS.
        on: Names of the boundaries (gmsh physical groups).
        value: The velocity vector of a ``velocity`` condition (x, y, z, t, parameters).
    """

    kind: str
    on: tuple[str, ...]
    value: ExpressionVector | None = None

    @classmethod
    def from_dict(cls, table: Any, where: str) -> FlowBoundary:
        """Build from a ``[[model.flow.boundary]]`` table: on, type (, value)."""
        if not isinstance(table, Mapping):
            raise ValueError(f"[{where}] must be a table like {{ on = \"top\", type = \"free-slip\" }}")
        only_keys(table, {"on", "type", "value"}, where)
        required(table, ("on", "type"), where)
        kind = choice(table["type"], FLOW_BOUNDARY_KINDS, f"[{where}] type")
        on = names(table["on"], f"[{where}] on")
        if (kind == "velocity") != ("value" in table):
            raise ValueError(
                f"[{where}] 'value' (a velocity vector) is required for type = \"velocity\" and only allowed there"
            )
        value = _vector(table["value"], f"[{where}] value") if "value" in table else None
        return cls(kind=kind, on=on, value=value)


@dataclass(frozen=True)
class Flow:
    """The velocity field that advects species: solved (Stokes, Navier-Stokes) or prescribed.

    Attributes:
        kind: One of FLOW_KINDS.
        viscosity: Dynamic viscosity eta (stokes, navier-stokes); may depend on the species.
        density: Fluid density rho of the convection term (navier-stokes only).
        body_force: Force per volume, one expression per direction (None: no force); in the
            species, parameters, x, y, z and t.
        velocity: A prescribed velocity: expressions in x, y, z, t and the parameters, or a
            Python function (points, t) -> values.
        file: A prescribed steady velocity read from a VTK file (any format pyvista reads).
        file_array: Name of the point-data vector array of `file`.
        advected: The advected species (None: all species).
        boundaries: Flow boundary conditions (stokes, navier-stokes; ``outflow`` for all kinds).
        coupling: One of FLOW_COUPLINGS.
        grad_div: gamma of the grad-div stabilisation ``gamma (div w, div v)`` (0: none). It
            vanishes for the exact flow and suppresses the spurious velocities that strong
            irrotational forces (a steep layer of heavy cells) cause on coarse meshes.
    """

    kind: str
    viscosity: Expression | None = None
    density: Expression | None = None
    body_force: ExpressionVector | None = None
    velocity: PrescribedVelocity | None = None
    file: Path | None = None
    file_array: str = "velocity"
    advected: tuple[str, ...] | None = None
    boundaries: tuple[FlowBoundary, ...] = ()
    coupling: str = "monolithic"
    grad_div: float = 0.0

    @property
    def solved(self) -> bool:
        """Whether the velocity is an unknown (Stokes or Navier-Stokes), not prescribed."""
        return self.kind != "prescribed"

    @property
    def eta(self) -> Expression:
        """The viscosity expression (``1`` when not given)."""
        return self.viscosity if self.viscosity is not None else Expression.parse("1", "[model.flow] viscosity")

    @property
    def dimension(self) -> int | None:
        """Number of components of the vectors given, or None if no vector fixes it."""
        for vector in self._vectors():
            return len(vector)
        return None

    def advected_species(self, species: Iterable[str]) -> list[str]:
        """The advected species among `species`, in their order."""
        return [s for s in species if self.advected is None or s in self.advected]

    def has_outflow(self) -> bool:
        """Whether some boundary is an outflow (then the pressure level is fixed)."""
        return any(b.kind == "outflow" for b in self.boundaries)

    def expressions(self) -> Iterator[Expression]:
        """Every expression of the flow description."""
        for expr in (self.viscosity, self.density):
            if expr is not None:
                yield expr
        for vector in self._vectors():
            yield from vector

    def _vectors(self) -> Iterator[ExpressionVector]:
        if self.body_force is not None:
            yield self.body_force
        if isinstance(self.velocity, tuple):
            yield self.velocity
        for b in self.boundaries:
            if b.value is not None:
                yield b.value

    def check(self, species: Iterable[str], parameters: Mapping[str, float], where: str = "model.flow") -> None:
        """Validate against a model's species and parameters; raise ValueError naming the key."""
        species = list(species)
        if self.kind not in FLOW_KINDS:
            raise ValueError(f"[{where}] kind = {self.kind!r} is unknown; choose one of: {', '.join(FLOW_KINDS)}")
        if self.coupling not in FLOW_COUPLINGS:
            raise ValueError(
                f"[{where}] coupling = {self.coupling!r} is unknown; choose one of: {', '.join(FLOW_COUPLINGS)}"
            )
        state = set(species) | set(parameters) | _POINT_SYMBOLS
        points = set(parameters) | _POINT_SYMBOLS
        if self.solved:
            for key in ("velocity", "file"):
                if getattr(self, key) is not None:
                    raise ValueError(f"[{where}] '{key}' is only for kind = \"prescribed\"")
            if not (isinstance(self.grad_div, (int, float)) and self.grad_div >= 0):
                raise ValueError(f"[{where}] grad_div must be a number >= 0, got {self.grad_div!r}")
            if self.density is not None and self.kind != "navier-stokes":
                raise ValueError(f"[{where}] 'density' is only for kind = \"navier-stokes\"")
            self.eta.check_symbols(state, f"[{where}] viscosity (species, parameters, x, y, z, t)")
            if self.eta.symbols <= set(parameters):
                eta = float(self.eta.evaluate_checked(dict(parameters), NUMPY_FUNCTIONS))
                if not eta > 0:
                    raise ValueError(f"[{where}] viscosity '{self.eta}' = {eta:g} must be positive")
            if self.density is not None:
                self.density.check_symbols(state, f"[{where}] density (species, parameters, x, y, z, t)")
        else:
            if (self.velocity is None) == (self.file is None):
                raise ValueError(f"[{where}] kind = \"prescribed\" needs exactly one of 'velocity' or 'file'")
            for key in ("viscosity", "density", "body_force"):
                if getattr(self, key) is not None:
                    raise ValueError(f"[{where}] '{key}' is not used with kind = \"prescribed\"")
            if self.grad_div:
                raise ValueError(f"[{where}] 'grad_div' is only for solved flows")
            if self.coupling != "monolithic":
                raise ValueError(f"[{where}] 'coupling' is only for solved flows (a prescribed flow needs none)")
            if isinstance(self.velocity, tuple):
                for expr in self.velocity:
                    expr.check_symbols(points, f"[{where}] velocity (parameters, x, y, z, t)")
            elif self.velocity is not None and not callable(self.velocity):
                raise ValueError(f"[{where}] velocity must be a list of expressions or a function")
            for b in self.boundaries:
                if b.kind != "outflow":
                    raise ValueError(
                        f"[{where}.boundary] type = {b.kind!r}: a prescribed flow takes only \"outflow\" "
                        "boundaries (where advected species leave)"
                    )
        if self.body_force is not None:
            for expr in self.body_force:
                expr.check_symbols(state, f"[{where}] body_force (species, parameters, x, y, z, t)")
        for b in self.boundaries:
            for expr in b.value or ():
                expr.check_symbols(points, f"[{where}.boundary] value (parameters, x, y, z, t)")
        lengths = {len(v) for v in self._vectors()}
        if len(lengths) > 1:
            raise ValueError(
                f"[{where}] vectors (body_force, velocity, boundary values) must all have the same "
                f"number of components, got {sorted(lengths)}"
            )
        for name in self.advected or ():
            if name not in species:
                raise ValueError(
                    f"[{where}] advected species '{name}' is not in the model; species: {', '.join(species)}"
                )
        for expr in self.expressions():
            for function in ("integral", "noise"):
                if expr.calls(function):
                    raise ValueError(f"{expr.where}: {function}() is not allowed in [{where}]")

    def equations(self) -> list[str]:
        """The flow equations in readable plain text."""
        if not self.solved:
            source = (
                f"[{', '.join(map(str, self.velocity))}]"
                if isinstance(self.velocity, tuple)
                else f"read from {self.file}"
                if self.file is not None
                else "a Python function"
            )
            lines = [f"w = {source}"]
        else:
            force = f"[{', '.join(map(str, self.body_force))}]" if self.body_force is not None else "0"
            convection = f"({self.density or 1}) (w . grad) w " if self.kind == "navier-stokes" else ""
            lines = [f"{convection}- div(({self.eta}) grad w) + grad p = {force}", "div w = 0"]
        advected = "all species" if self.advected is None else ", ".join(self.advected)
        return [*lines, f"advected by w (+ div(u w) in d_t u): {advected}"]

    @classmethod
    def from_dict(cls, table: Any, where: str = "model.flow") -> Flow:
        """Build from a ``[model.flow]`` table (see the module docstring for the keys)."""
        if not isinstance(table, Mapping):
            raise ValueError(f"[{where}] must be a table with kind = \"stokes\", \"navier-stokes\" or \"prescribed\"")
        only_keys(
            table,
            {
                "kind",
                "viscosity",
                "density",
                "body_force",
                "velocity",
                "file",
                "file_array",
                "advected",
                "boundary",
                "coupling",
                "grad_div",
            },
            where,
        )
        if "kind" not in table:
            raise ValueError(f"[{where}] is missing 'kind' (one of: {', '.join(FLOW_KINDS)})")
        advected = table.get("advected")
        if advected is not None and (not isinstance(advected, list) or not all(isinstance(a, str) for a in advected)):
            raise ValueError(f"[{where}] advected must be a list of species names, got {advected!r}")
        boundary = table.get("boundary", [])
        if not isinstance(boundary, list):
            raise ValueError(f"[{where}] flow boundary conditions are an array of tables: write [[{where}.boundary]]")
        file_array = table.get("file_array", "velocity")
        if not isinstance(file_array, str):
            raise ValueError(f"[{where}] file_array must be a string, got {file_array!r}")
        grad_div = table.get("grad_div", 0.0)
        if isinstance(grad_div, bool) or not isinstance(grad_div, (int, float)):
            raise ValueError(f"[{where}] grad_div must be a number >= 0, got {grad_div!r}")
        file = table.get("file")
        if file is not None and not isinstance(file, str):
            raise ValueError(f"[{where}] file must be a path string, got {file!r}")
        return cls(
            kind=str(table["kind"]),
            viscosity=Expression.parse(table["viscosity"], f"[{where}] viscosity") if "viscosity" in table else None,
            density=Expression.parse(table["density"], f"[{where}] density") if "density" in table else None,
            body_force=_vector(table["body_force"], f"[{where}] body_force") if "body_force" in table else None,
            velocity=_vector(table["velocity"], f"[{where}] velocity") if "velocity" in table else None,
            file=Path(file) if file is not None else None,
            file_array=file_array,
            advected=tuple(advected) if advected is not None else None,
            boundaries=tuple(FlowBoundary.from_dict(b, f"{where}.boundary[{k}]") for k, b in enumerate(boundary)),
            coupling=str(table.get("coupling", "monolithic")),
            grad_div=float(grad_div),
        )


def _vector(value: Any, where: str) -> ExpressionVector:
    """A list of 2 or 3 expressions (one per direction); `where` names the key."""
    if not isinstance(value, list) or len(value) not in (2, 3):
        raise ValueError(f"{where} must be a list of 2 or 3 expressions (one per direction), got {value!r}")
    return tuple(Expression.parse(v, f"{where}[{i}]") for i, v in enumerate(value))
