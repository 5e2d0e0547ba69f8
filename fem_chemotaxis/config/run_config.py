"""Load and validate a run configuration (TOML) into plain objects, before anything runs.

Tables (see README, "Writing a config")::

    [mesh]     builtin = "rectangle" | "box", size = [...], cells = [...]
               | file = "tissue.msh"  | generator = "tissue-section" (+ [mesh.parameters])
               (+ [mesh.motion]: a growing or moving domain, see motion/mesh_motion.py)
    [model]    name = "keller-segel" (+ [model.parameters]) | a full [model.species.*] description
               (+ [model.flow] and [[model.flow.boundary]]: a fluid advecting the species, see model/flow.py)
    [initial]  one expression per species, in x, y, z, t and the model parameters, or a field of
               a previous run: u = { from_run = "results/ks", time = "last" | 12.5, species = "u" }
               (time defaults to "last", species to the same name); or, for the whole table,
               from_run = "results/ks" (+ time = ...): every species not given an expression is
               read from that run under its own name.  Run directories are relative to the
               config file (then the CWD), like [mesh] file; see io/seed.py for the transfer.
    [time]     t_end, dt, scheme = "backward-euler" | "crank-nicolson" | "bdf2", dt_min, dt_max,
               adaptive, rtol, atol, blowup_threshold, negative_tolerance
    [discretisation]  positivity = "none" | "log-density"
    [output]   dir, interval (simulated time between field outputs), pictures
    [solver]   preset = "auto" | "direct" | "iterative", petsc = { option = value, ... }
    [[boundary]]  on = "vessel_1", species = "s", type = "dirichlet" | "flux" | "robin", value, rate
    [subdomains.NAME]  parameter values that differ in the gmsh volume NAME

Every mistake raises :class:`ConfigError` naming the table and key.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fem_chemotaxis.expressions import Expression
from fem_chemotaxis.io.seed import LAST, RunField
from fem_chemotaxis.library import BUILTIN_MODELS, builtin_model
from fem_chemotaxis.model.boundary import BoundaryCondition
from fem_chemotaxis.model.flow import Flow
from fem_chemotaxis.model.model import COORDINATES, TIME, Model
from fem_chemotaxis.motion.mesh_motion import MeshMotion
from fem_chemotaxis.simulation import POSITIVITY
from fem_chemotaxis.solvers.nonlinear import PRESETS
from fem_chemotaxis.time import SCHEMES

__all__ = ["ConfigError", "MeshConfig", "RunConfig", "parse_config"]

MESH_KINDS = ("rectangle", "box")
#: [initial] keys that seed every species not given otherwise from a previous run.
_FROM_RUN_KEYS = ("from_run", "time")


class ConfigError(ValueError):
    """A configuration that cannot be run; the message names the key and the file."""


@dataclass(frozen=True)
class MeshConfig:
    """Where the mesh comes from: exactly one of builtin, file, generator."""

    builtin: str | None = None
    size: tuple[float, ...] = ()
    cells: tuple[int, ...] = ()
    file: Path | None = None
    generator: str | None = None
    parameters: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RunConfig:
    """A validated run: everything needed to start a simulation."""

    source: str
    mesh: MeshConfig
    model: Model
    initial: Mapping[str, Expression | RunField]
    t_end: float
    dt: float
    scheme: str
    dt_min: float | None
    dt_max: float | None
    adaptive: tuple[float, float] | None
    blowup_threshold: float | None
    negative_tolerance: float | None
    positivity: str
    solver: str
    output_dir: Path
    output_interval: float
    pictures: bool
    petsc_options: Mapping[str, Any]
    resolved: Mapping[str, Any]
    boundary_conditions: tuple[BoundaryCondition, ...] = ()
    subdomain_parameters: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    motion: MeshMotion | None = None


def parse_config(data: Mapping[str, Any], source: str = "<config>", base_dir: Path | None = None) -> RunConfig:
    """Validate a config already read into a dict (paths relative to `base_dir`, then the CWD)."""
    try:
        return _parse(data, source, base_dir or Path.cwd())
    except ConfigError:
        raise
    except ValueError as err:  # model and expression errors name their own table and key
        raise ConfigError(f"{source}: {err}") from None


def _parse(data: Mapping[str, Any], source: str, base_dir: Path) -> RunConfig:
    def fail(msg: str) -> ConfigError:
        return ConfigError(f"{source}: {msg}")

    _only_keys(
        data,
        {"mesh", "model", "initial", "time", "output", "solver", "boundary", "subdomains", "discretisation"},
        "top level",
        fail,
    )
    for table in ("mesh", "model", "initial", "time"):
        if not isinstance(data.get(table), Mapping):
            raise fail(f"missing table [{table}]")

    mesh = _parse_mesh(data["mesh"], base_dir, fail)
    model = _parse_model(data["model"], fail)
    if model.flow is not None and model.flow.file is not None:
        flow = dataclasses.replace(model.flow, file=_flow_file(model.flow.file, base_dir, fail))
        model = dataclasses.replace(model, flow=flow)

    initial = _parse_initial(data["initial"], model, base_dir, fail)

    boundary_tables = data.get("boundary", [])
    if not isinstance(boundary_tables, list):
        raise fail("boundary conditions are an array of tables: write [[boundary]], not [boundary]")
    boundary_conditions = []
    for k, table in enumerate(boundary_tables):
        bc = BoundaryCondition.from_dict(table, f"boundary[{k}]")
        bc.check(model.species_names, model.parameters, f"boundary[{k}]")
        boundary_conditions.append(bc)

    subdomains = data.get("subdomains", {})
    if not isinstance(subdomains, Mapping):
        raise fail("[subdomains] must hold tables, e.g. [subdomains.tumour] d = 0.5")
    subdomain_parameters = {}
    for subdomain, values in subdomains.items():
        _only_keys(values, set(model.parameters), f"subdomains.{subdomain}", fail)
        subdomain_parameters[subdomain] = {
            k: _number(v, f"[subdomains.{subdomain}] {k}", fail) for k, v in values.items()
        }

    time = data["time"]
    _only_keys(
        time,
        {"t_end", "dt", "scheme", "dt_min", "dt_max", "adaptive", "rtol", "atol", "blowup_threshold",
         "negative_tolerance"},
        "time",
        fail,
    )
    for key in ("t_end", "dt"):
        if key not in time:
            raise fail(f"[time] is missing '{key}'")
    t_end = _positive(time["t_end"], "[time] t_end", fail)
    dt = _positive(time["dt"], "[time] dt", fail)
    optional = {
        key: _positive(time[key], f"[time] {key}", fail) if key in time else None
        for key in ("dt_min", "dt_max", "rtol", "atol", "blowup_threshold", "negative_tolerance")
    }
    scheme = _choice(time.get("scheme", "backward-euler"), SCHEMES, "[time] scheme", fail)
    motion = None
    if "motion" in data["mesh"]:
        motion = MeshMotion.from_dict(data["mesh"]["motion"], model.species_names, model.parameters)
        if scheme == "crank-nicolson":
            raise fail("[time] scheme = \"crank-nicolson\" is not supported with [mesh.motion]; "
                       "use \"backward-euler\" or \"bdf2\"")
        if model.flow is not None:
            raise fail("[mesh.motion] is not supported for models with a flow ([model.flow])")
        if any(sp.fractional_order is not None for sp in model.species):
            raise fail("[mesh.motion] is not supported for models with fractional diffusion")
    adaptive_flag = time.get("adaptive", False)
    if not isinstance(adaptive_flag, bool):
        raise fail(f"[time] adaptive must be true or false, got {adaptive_flag!r}")
    adaptive = (optional["rtol"] or 1e-3, optional["atol"] or 1e-6) if adaptive_flag else None

    discretisation = data.get("discretisation", {})
    _only_keys(discretisation, {"positivity"}, "discretisation", fail)
    positivity = _choice(discretisation.get("positivity", "none"), POSITIVITY, "[discretisation] positivity", fail)

    output = data.get("output", {})
    _only_keys(output, {"dir", "interval", "pictures"}, "output", fail)
    default_dir = Path("results") / Path(source).stem
    output_dir = Path(output.get("dir", default_dir))
    interval = _positive(output.get("interval", t_end / 10), "[output] interval", fail)
    pictures = output.get("pictures", True)
    if not isinstance(pictures, bool):
        raise fail(f"[output] pictures must be true or false, got {pictures!r}")

    solver = data.get("solver", {})
    _only_keys(solver, {"preset", "petsc"}, "solver", fail)
    preset = _choice(solver.get("preset", "auto"), PRESETS, "[solver] preset", fail)
    petsc = solver.get("petsc", {})
    if not isinstance(petsc, Mapping) or any(
        not isinstance(v, (str, int, float, bool)) for v in petsc.values()
    ):
        raise fail("[solver] petsc must be a table of PETSc options, e.g. { ksp_type = \"gmres\" }")

    resolved = copy.deepcopy(dict(data))
    resolved["model"] = {
        "name": model.name,
        "parameters": dict(model.parameters),
        "equations": model.equations(),
    }
    if "flow" in data["model"]:
        resolved["model"]["flow"] = copy.deepcopy(dict(data["model"]["flow"]))
        if model.flow is not None and model.flow.file is not None:
            resolved["model"]["flow"]["file"] = str(model.flow.file)
    resolved["initial"] = {
        name: value.to_json() if isinstance(value, RunField) else data["initial"][name]
        for name, value in initial.items()
    }
    resolved["time"] = {"t_end": t_end, "dt": dt, "scheme": scheme, "adaptive": adaptive_flag, **optional}
    resolved["discretisation"] = {"positivity": positivity}
    resolved["solver"] = {"preset": preset, "petsc": dict(petsc)}
    resolved["output"] = {"dir": str(output_dir), "interval": interval, "pictures": pictures}
    if mesh.file is not None:
        resolved["mesh"] = {**dict(data["mesh"]), "file": str(mesh.file)}

    return RunConfig(
        source=source,
        mesh=mesh,
        model=model,
        initial=initial,
        t_end=t_end,
        dt=dt,
        scheme=scheme,
        dt_min=optional["dt_min"],
        dt_max=optional["dt_max"],
        adaptive=adaptive,
        blowup_threshold=optional["blowup_threshold"],
        negative_tolerance=optional["negative_tolerance"],
        positivity=positivity,
        solver=preset,
        output_dir=output_dir,
        output_interval=interval,
        pictures=pictures,
        petsc_options=dict(petsc),
        resolved=resolved,
        boundary_conditions=tuple(boundary_conditions),
        subdomain_parameters=subdomain_parameters,
        motion=motion,
    )


def _parse_model(table: Mapping[str, Any], fail: Any) -> Model:
    if "species" in table:
        return Model.from_dict(table)
    _only_keys(table, {"name", "parameters", "flow"}, "model", fail)
    if "name" not in table:
        raise ValueError(
            f"[model] needs name = one of {', '.join(BUILTIN_MODELS)}, or [model.species.*] tables"
        )
    params = table.get("parameters", {})
    if not isinstance(params, Mapping):
        raise ValueError("[model.parameters] must be a table")
    model = builtin_model(str(table["name"])).with_parameters(params)
    if "flow" in table:
        model = dataclasses.replace(model, flow=Flow.from_dict(table["flow"]))
    return model


def _parse_initial(
    table: Mapping[str, Any], model: Model, base_dir: Path, fail: Any
) -> dict[str, Expression | RunField]:
    """[initial]: per species an expression, or a field of a previous run (module doc)."""
    _only_keys(table, set(model.species_names) | set(_FROM_RUN_KEYS), "initial", fail)
    shared = {key: table[key] for key in _FROM_RUN_KEYS if key in table}
    if shared and "from_run" not in shared:
        raise fail("[initial] time is only allowed together with from_run")
    allowed = set(model.parameters) | set(COORDINATES) | {TIME}
    initial: dict[str, Expression | RunField] = {}
    for name in model.species_names:
        where = f"[initial] {name}"
        if name in table and isinstance(table[name], Mapping):
            _only_keys(table[name], {"from_run", "time", "species"}, f"initial.{name}", fail)
            if "from_run" not in table[name]:
                raise fail(f"{where} needs from_run = \"RUN_DIR\" (or an expression)")
            initial[name] = _run_field({"species": name, **table[name]}, base_dir, where)
        elif name in table:
            expr = Expression.parse(table[name], where)
            expr.check_symbols(allowed, f"[initial] (parameters of '{model.name}', x, y, z, t)")
            if expr.calls("integral"):
                raise fail(f"{where}: integral() is not allowed in initial values")
            initial[name] = expr
        elif shared:
            initial[name] = _run_field({"species": name, **shared}, base_dir, where)
        else:
            missing = [n for n in model.species_names if n not in table]
            raise fail(f"[initial] has no value for species {', '.join(missing)} (model '{model.name}')")
    return initial


def _run_field(entry: Mapping[str, Any], base_dir: Path, where: str) -> RunField:
    """A from_run entry ({from_run, time, species}), checked against the previous run's checkpoint."""
    for key in ("from_run", "species"):
        if not isinstance(entry[key], str):
            raise ValueError(f"{where}: {key} must be a string, got {entry[key]!r}")
    return RunField.locate(entry["from_run"], entry.get("time", LAST), entry["species"], base_dir, where)


def _flow_file(name: Path, base_dir: Path, fail: Any) -> Path:
    """The velocity file of a prescribed flow, relative to the config file (then the CWD)."""
    candidates = [name] if name.is_absolute() else [base_dir / name, Path.cwd() / name]
    for candidate in candidates:
        if candidate.is_file():
            return candidate.resolve()
    raise fail(f"[model.flow] file = '{name}' not found (looked in: {', '.join(str(c) for c in candidates)})")


def _parse_mesh(table: Mapping[str, Any], base_dir: Path, fail: Any) -> MeshConfig:
    from fem_chemotaxis.mesh.geometries import GENERATORS  # gmsh is imported lazily there

    _only_keys(table, {"builtin", "size", "cells", "file", "generator", "parameters", "motion"}, "mesh", fail)
    chosen = [k for k in ("builtin", "file", "generator") if k in table]
    if len(chosen) != 1:
        raise fail("[mesh] needs exactly one of builtin, file or generator" + (f" (got {', '.join(chosen)})" if chosen else ""))
    if "builtin" in table:
        kind = table["builtin"]
        if kind not in MESH_KINDS:
            raise fail(f"[mesh] builtin = {kind!r} is unknown; choose one of: {', '.join(MESH_KINDS)}")
        dim = 2 if kind == "rectangle" else 3
        size, cells = table.get("size"), table.get("cells")
        if not (isinstance(size, list) and len(size) == dim and all(_is_number(s) and s > 0 for s in size)):
            raise fail(f"[mesh] size must be a list of {dim} positive numbers for a {kind}, got {size!r}")
        if not (isinstance(cells, list) and len(cells) == dim and all(isinstance(c, int) and not isinstance(c, bool) and c > 0 for c in cells)):
            raise fail(f"[mesh] cells must be a list of {dim} positive integers for a {kind}, got {cells!r}")
        return MeshConfig(builtin=kind, size=tuple(float(s) for s in size), cells=tuple(cells))
    if "file" in table:
        name = Path(str(table["file"]))
        candidates = [name] if name.is_absolute() else [base_dir / name, Path.cwd() / name]
        for candidate in candidates:
            if candidate.is_file():
                return MeshConfig(file=candidate.resolve())
        raise fail(f"[mesh] file = '{name}' not found (looked in: {', '.join(str(c) for c in candidates)})")
    generator = str(table["generator"])
    if generator not in GENERATORS:
        raise fail(f"[mesh] generator = '{generator}' is unknown; available: {', '.join(GENERATORS)}")
    params = table.get("parameters", {})
    if not isinstance(params, Mapping):
        raise fail("[mesh.parameters] must be a table")
    return MeshConfig(generator=generator, parameters=dict(params))


def _choice(value: Any, choices: tuple[str, ...], where: str, fail: Any) -> str:
    if value not in choices:
        raise fail(f"{where} = {value!r} is unknown; choose one of: {', '.join(choices)}")
    return str(value)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _number(value: Any, where: str, fail: Any) -> float:
    if not _is_number(value):
        raise fail(f"{where} must be a number, got {value!r}")
    return float(value)


def _positive(value: Any, where: str, fail: Any) -> float:
    if not _is_number(value) or not value > 0:
        raise fail(f"{where} must be a positive number, got {value!r}")
    return float(value)


def _only_keys(table: Any, allowed: set[str], where: str, fail: Any) -> None:
    if not isinstance(table, Mapping):
        raise fail(f"[{where}] must be a table")
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise fail(
            f"unknown key{'s' if len(unknown) > 1 else ''} {', '.join(repr(u) for u in unknown)} "
            f"in [{where}]; allowed: {', '.join(sorted(allowed))}"
        )

