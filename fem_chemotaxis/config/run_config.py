"""Load and validate a run configuration (TOML) into plain objects, before anything runs.

Tables (see README, "Writing a config")::

    [mesh]     builtin = "rectangle" | "box", size = [...], cells = [...]
               | file = "tissue.msh"  | generator = "tissue-section" (+ [mesh.parameters])
               (+ [mesh.motion]: a growing or moving domain, see motion/mesh_motion.py)
               (+ [mesh.adapt]: adaptive refinement from this mesh, see adaptivity/)
    [model]    name = "keller-segel" (+ [model.parameters]) | a full [model.species.*] description
               (+ [model.flow] and [[model.flow.boundary]]: a fluid advecting the species, see model/flow.py)
    [initial]  one expression per species, in x, y, z, t and the model parameters, or a field of
               a previous run: u = { from_run = "results/ks", time = "last" | 12.5, species = "u" }
               (time defaults to "last", species to the same name); or, for the whole table,
               from_run = "results/ks" (+ time = ...): every species not given an expression is
               read from that run under its own name.  Run directories are relative to the
               config file (then the CWD), like [mesh] file; see io/seed.py for the transfer.
    [time]     t_end, dt, scheme = "backward-euler" | "crank-nicolson" | "bdf2" (Newton)
               | "ros2" | "ros3p" | "ros34pw2" (linearly implicit) | "auto" (the default), dt_min,
               dt_max, adaptive, rtol, atol, blowup_threshold, negative_tolerance
               ("auto" and the refusals: fem_chemotaxis/time/choice.py)
    [discretisation]  positivity = "none" | "log-density"
    [output]   dir, interval (simulated time between field outputs), pictures
    [solver]   preset = "auto" | "direct" | "iterative", petsc = { option = value, ... }
    [[boundary]]  on = "vessel_1", species = "s", type = "dirichlet" | "flux" | "robin", value, rate
    [subdomains.NAME]  parameter values that differ in the gmsh volume NAME
    [[quantity]]  name = "cells", integral = "u", over = "tumour" | flux = "s", on = [...] |
               centre_of_mass = "u": derived quantities recorded at every output time
               (see model/quantities.py)

[time], [solver], [discretisation] and [output] are the settings objects of
:mod:`~fem_chemotaxis.config.settings`, which check their own values. Every mistake raises
:class:`ConfigError` naming the file, the table and the key.
Before anything is built, numbers must be finite and meshes must fit in memory
(config/limits.py), and the expressions are evaluated where their symbols allow
(config/evaluation.py).
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mpi4py import MPI

from fem_chemotaxis.checks import choice, is_number, number, only_keys
from fem_chemotaxis.config.evaluation import check_constant_expressions, check_initial_expressions
from fem_chemotaxis.config.limits import check_finite_numbers, check_mesh_memory, check_output_count
from fem_chemotaxis.config.settings import AdaptSettings, Discretisation, OutputSettings, SolverSettings, TimeSettings
from fem_chemotaxis.expressions import Expression
from fem_chemotaxis.io.seed import LAST, RunField
from fem_chemotaxis.library import BUILTIN_MODELS, builtin_model
from fem_chemotaxis.mesh import GENERATORS, TaggedMesh, create_builtin, generate, read_gmsh
from fem_chemotaxis.model.boundary import BoundaryCondition
from fem_chemotaxis.model.flow import Flow
from fem_chemotaxis.model.model import COORDINATES, TIME, Model
from fem_chemotaxis.model.quantities import Quantity, check_quantities, quantity_from_table
from fem_chemotaxis.motion.mesh_motion import MeshMotion
from fem_chemotaxis.time import choose_scheme

__all__ = ["ConfigError", "MeshConfig", "RunConfig", "parse_config"]

#: Values of ``[mesh] builtin``.
MESH_KINDS = ("rectangle", "box")
_LONGEST_MESSAGE = 400
#: [initial] keys that seed every species not given otherwise from a previous run.
_FROM_RUN_KEYS = ("from_run", "time")
_TABLES = (
    "mesh",
    "model",
    "initial",
    "time",
    "output",
    "solver",
    "boundary",
    "subdomains",
    "discretisation",
    "quantity",
)


class ConfigError(ValueError):
    """A configuration that cannot be run; the message names the key and the file.

    Messages are one line of at most about 400 characters: a long quoted value is elided.
    """

    def __init__(self, message: str):
        message = " ".join(str(message).split())
        if len(message) > _LONGEST_MESSAGE:
            message = f"{message[:300]} ... {message[-80:]}"
        super().__init__(message)


@dataclass(frozen=True)
class MeshConfig:
    """Where the mesh comes from ([mesh]): exactly one of builtin, file, generator."""

    builtin: str | None = None
    size: tuple[float, ...] = ()
    cells: tuple[int, ...] = ()
    file: Path | None = None
    generator: str | None = None
    parameters: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_table(cls, table: Any, base_dir: Path) -> MeshConfig:
        """Read a [mesh] table (a file is looked for relative to `base_dir`, then the CWD)."""
        only_keys(table, {"builtin", "size", "cells", "file", "generator", "parameters", "motion", "adapt"}, "mesh")
        chosen = [k for k in ("builtin", "file", "generator") if k in table]
        if len(chosen) != 1:
            got = f" (got {', '.join(chosen)})" if chosen else ""
            raise ValueError(f"[mesh] needs exactly one of builtin, file or generator{got}")
        if "file" in table:
            return cls(file=_existing_file(Path(str(table["file"])), base_dir, "[mesh] file"))
        if "generator" in table:
            generator = choice(str(table["generator"]), list(GENERATORS), "[mesh] generator")
            params = table.get("parameters", {})
            if not isinstance(params, Mapping):
                raise ValueError("[mesh.parameters] must be a table")
            GENERATORS[generator].from_parameters(params)  # checks the parameters (gmsh not run)
            return cls(generator=generator, parameters=dict(params))
        kind = choice(table["builtin"], MESH_KINDS, "[mesh] builtin")
        dim = 2 if kind == "rectangle" else 3
        size, cells = table.get("size"), table.get("cells")
        if not (isinstance(size, list) and len(size) == dim and all(is_number(s) and s > 0 for s in size)):
            raise ValueError(f"[mesh] size must be a list of {dim} positive numbers for a {kind}, got {size!r}")
        if not (
            isinstance(cells, list)
            and len(cells) == dim
            and all(isinstance(c, int) and not isinstance(c, bool) and c > 0 for c in cells)
        ):
            raise ValueError(f"[mesh] cells must be a list of {dim} positive integers for a {kind}, got {cells!r}")
        return cls(builtin=kind, size=tuple(float(s) for s in size), cells=tuple(cells))

    def build(self, comm: MPI.Comm) -> TaggedMesh:
        """The mesh, distributed over `comm`."""
        if self.builtin is not None:
            return create_builtin(comm, self.builtin, self.size, self.cells)
        if self.file is not None:
            return read_gmsh(self.file, comm)
        assert self.generator is not None
        return generate(self.generator, comm, **self.parameters)


@dataclass(frozen=True)
class RunConfig:
    """A validated run: everything needed to start a simulation and write its outputs.

    Attributes:
        source: The config file (or "<config>").
        mesh: Where the mesh comes from.
        model: The model, with its parameters.
        initial: Per species an expression, or a field of a previous run.
        time: [time]; its t_end is always set.
        solver: [solver].
        discretisation: [discretisation].
        output: [output].
        resolved: The config with every default filled in (stored in summary.json).
        boundary_conditions: [[boundary]] (no-flux elsewhere).
        subdomain_parameters: [subdomains.NAME]: parameter values in named cell groups.
        motion: [mesh.motion], or None for a fixed mesh.
        quantities: [[quantity]]: derived quantities recorded at every output time.
        adapt: [mesh.adapt], or None for a mesh that is not adapted.
    """

    source: str
    mesh: MeshConfig
    model: Model
    initial: Mapping[str, Expression | RunField]
    time: TimeSettings
    solver: SolverSettings
    discretisation: Discretisation
    output: OutputSettings
    resolved: Mapping[str, Any]
    boundary_conditions: tuple[BoundaryCondition, ...] = ()
    subdomain_parameters: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    motion: MeshMotion | None = None
    quantities: tuple[Quantity, ...] = ()
    adapt: AdaptSettings | None = None

    @property
    def t_end(self) -> float:
        """When the run ends ([time] t_end)."""
        assert self.time.t_end is not None  # required in a file
        return self.time.t_end


def parse_config(data: Mapping[str, Any], source: str = "<config>", base_dir: Path | None = None) -> RunConfig:
    """Validate a config already read into a dict (paths relative to `base_dir`, then the CWD).

    Raises:
        ConfigError: naming `source`, the table and the key of the first mistake.
    """
    try:
        return _parse(data, source, base_dir or Path.cwd())
    except ValueError as err:  # every check names its own table and key
        raise ConfigError(f"{source}: {err}") from None


def _parse(data: Mapping[str, Any], source: str, base_dir: Path) -> RunConfig:
    only_keys(data, _TABLES, "top level")
    for table in ("mesh", "model", "initial", "time"):
        if not isinstance(data.get(table), Mapping):
            raise ValueError(f"missing table [{table}]")
    check_finite_numbers(data, ValueError)
    mesh = MeshConfig.from_table(data["mesh"], base_dir)
    model = _parse_model(data["model"], base_dir)
    check_mesh_memory(mesh.builtin, mesh.cells, mesh.generator, mesh.parameters, model, ValueError)
    initial = _parse_initial(data["initial"], model, base_dir)
    boundary_conditions = _parse_boundaries(data.get("boundary", []), model)
    subdomain_parameters = _parse_subdomains(data.get("subdomains", {}), model)
    quantities = _parse_quantities(data.get("quantity", []), model)
    time = TimeSettings.from_table(data["time"])
    motion = None
    if "motion" in data["mesh"]:
        motion = MeshMotion.from_dict(data["mesh"]["motion"], model.species_names, model.parameters)
        motion.check_supported(model, time.scheme)
    adapt = None
    if "adapt" in data["mesh"]:
        if not isinstance(data["mesh"]["adapt"], Mapping):
            raise ValueError("[mesh.adapt] must be a table")
        if motion is not None:
            raise ValueError("[mesh.adapt] cannot be combined with [mesh.motion] (a moving mesh is not re-meshed)")
        adapt = AdaptSettings.from_table(data["mesh"]["adapt"])
    discretisation = Discretisation.from_table(data.get("discretisation", {}))
    assert time.t_end is not None  # required in a file
    output = OutputSettings.from_table(
        data.get("output", {}), dir=Path("results") / Path(source).stem, interval=time.t_end / 10
    )
    check_output_count(time.t_end, output.interval, ValueError)
    solver = SolverSettings.from_table(data.get("solver", {}))
    chosen = choose_scheme(time.scheme, model, discretisation.positivity, motion)  # refuses impossible ones
    check_constant_expressions(model, boundary_conditions, motion, subdomain_parameters)
    check_initial_expressions(initial, model, mesh.size, mesh.cells)
    resolved = _resolved(data, model, mesh, initial, chosen, (time, discretisation, solver, output))
    return RunConfig(
        source,
        mesh,
        model,
        initial,
        time,
        solver,
        discretisation,
        output,
        resolved,
        boundary_conditions=boundary_conditions,
        subdomain_parameters=subdomain_parameters,
        motion=motion,
        quantities=quantities,
        adapt=adapt,
    )


def _resolved(
    data: Mapping[str, Any],
    model: Model,
    mesh: MeshConfig,
    initial: Mapping[str, Expression | RunField],
    chosen: tuple[str, str | None],
    settings: tuple[TimeSettings, Discretisation, SolverSettings, OutputSettings],
) -> dict[str, Any]:
    """The config as read, with every default filled in, the model's equations and the scheme run
    (`chosen`: the scheme "auto" picked, and why)."""
    resolved = copy.deepcopy(dict(data))
    resolved["model"] = {"name": model.name, "parameters": dict(model.parameters), "equations": model.equations()}
    if "flow" in data["model"]:
        resolved["model"]["flow"] = copy.deepcopy(dict(data["model"]["flow"]))
        if model.flow is not None and model.flow.file is not None:
            resolved["model"]["flow"]["file"] = str(model.flow.file)
    resolved["initial"] = {
        name: value.to_json() if isinstance(value, RunField) else data["initial"][name]
        for name, value in initial.items()
    }
    for table in settings:
        resolved[table.TABLE] = table.to_table()
    (scheme, note), requested = chosen, resolved["time"]["scheme"]
    if scheme != requested or note:
        resolved["time"].update(scheme=scheme, scheme_requested=requested)
        if note:
            resolved["time"]["scheme_note"] = note
    if mesh.file is not None:
        resolved["mesh"] = {**dict(data["mesh"]), "file": str(mesh.file)}
    return resolved


def _parse_boundaries(tables: Any, model: Model) -> tuple[BoundaryCondition, ...]:
    """[[boundary]]: conditions on named boundaries, checked against the model."""
    if not isinstance(tables, list):
        raise ValueError("boundary conditions are an array of tables: write [[boundary]], not [boundary]")
    conditions = []
    for k, table in enumerate(tables):
        bc = BoundaryCondition.from_dict(table, f"boundary[{k}]")
        bc.check(model.species_names, model.parameters, f"boundary[{k}]")
        conditions.append(bc)
    return tuple(conditions)


def _parse_quantities(tables: Any, model: Model) -> tuple[Quantity, ...]:
    """[[quantity]]: derived quantities, checked against the model (their groups on the mesh)."""
    if not isinstance(tables, list):
        raise ValueError("derived quantities are an array of tables: write [[quantity]], not [quantity]")
    quantities = tuple(quantity_from_table(table, f"quantity[{k}]") for k, table in enumerate(tables))
    check_quantities(quantities, model)
    return quantities


def _parse_subdomains(tables: Any, model: Model) -> dict[str, dict[str, float]]:
    """[subdomains.NAME]: parameter values that differ in a named cell group."""
    if not isinstance(tables, Mapping):
        raise ValueError("[subdomains] must hold tables, e.g. [subdomains.tumour] d = 0.5")
    parameters = {}
    for subdomain, values in tables.items():
        only_keys(values, set(model.parameters), f"subdomains.{subdomain}")
        parameters[subdomain] = {k: number(v, f"[subdomains.{subdomain}] {k}") for k, v in values.items()}
    return parameters


def _parse_model(table: Mapping[str, Any], base_dir: Path) -> Model:
    """[model]: a built-in model by name (with parameters and a flow), or a full description."""
    if "species" in table:
        model = Model.from_dict(table)
    else:
        model = _builtin_model(table)
    if model.flow is not None and model.flow.file is not None:
        flow_file = _existing_file(model.flow.file, base_dir, "[model.flow] file")
        model = dataclasses.replace(model, flow=dataclasses.replace(model.flow, file=flow_file))
    return model


def _builtin_model(table: Mapping[str, Any]) -> Model:
    only_keys(table, {"name", "parameters", "flow"}, "model")
    if "name" not in table:
        raise ValueError(f"[model] needs name = one of {', '.join(BUILTIN_MODELS)}, or [model.species.*] tables")
    params = table.get("parameters", {})
    if not isinstance(params, Mapping):
        raise ValueError("[model.parameters] must be a table")
    model = builtin_model(str(table["name"])).with_parameters(params)
    if "flow" in table:
        model = dataclasses.replace(model, flow=Flow.from_dict(table["flow"]))
    return model


def _parse_initial(table: Any, model: Model, base_dir: Path) -> dict[str, Expression | RunField]:
    """[initial]: per species an expression, or a field of a previous run (module doc)."""
    only_keys(table, set(model.species_names) | set(_FROM_RUN_KEYS), "initial")
    shared = {key: table[key] for key in _FROM_RUN_KEYS if key in table}
    if shared and "from_run" not in shared:
        raise ValueError("[initial] time is only allowed together with from_run")
    allowed = set(model.parameters) | set(COORDINATES) | {TIME}
    initial: dict[str, Expression | RunField] = {}
    for name in model.species_names:
        where = f"[initial] {name}"
        if name in table and isinstance(table[name], Mapping):
            only_keys(table[name], {"from_run", "time", "species"}, f"initial.{name}")
            if "from_run" not in table[name]:
                raise ValueError(f"{where} needs from_run = \"RUN_DIR\" (or an expression)")
            initial[name] = _run_field({"species": name, **table[name]}, base_dir, where)
        elif name in table:
            expr = Expression.parse(table[name], where)
            expr.check_symbols(allowed, f"[initial] (parameters of '{model.name}', x, y, z, t)")
            if expr.calls("integral"):
                raise ValueError(f"{where}: integral() is not allowed in initial values")
            initial[name] = expr
        elif shared:
            initial[name] = _run_field({"species": name, **shared}, base_dir, where)
        else:
            missing = [n for n in model.species_names if n not in table]
            raise ValueError(f"[initial] has no value for species {', '.join(missing)} (model '{model.name}')")
    return initial


def _run_field(entry: Mapping[str, Any], base_dir: Path, where: str) -> RunField:
    """A from_run entry ({from_run, time, species}), checked against the previous run's checkpoint."""
    for key in ("from_run", "species"):
        if not isinstance(entry[key], str):
            raise ValueError(f"{where}: {key} must be a string, got {entry[key]!r}")
    return RunField.locate(entry["from_run"], entry.get("time", LAST), entry["species"], base_dir, where)


def _existing_file(name: Path, base_dir: Path, where: str) -> Path:
    """The file `name`, relative to the config file's directory, then the CWD."""
    candidates = [name] if name.is_absolute() else [base_dir / name, Path.cwd() / name]
    for candidate in candidates:
        if candidate.is_file():
            return candidate.resolve()
    raise ValueError(f"{where} = '{name}' not found (looked in: {', '.join(str(c) for c in candidates)})")
