"""Read a kinetic SPEC.toml: an individual-cell description to derive a macroscopic model from.

Tables (every key is checked; a mistake raises ValueError naming the table and key)::

    [cells]              species = "u", dimension = 1 | 2 | 3, turning_rate = lambda,
                         turning = "uniform" | "reversal" (1-D, chapter (7.3.1))
    [cells.velocities]   kind = "sphere"       speed = s (, nodes)
                         kind = "discrete"     vectors = [[...], ...] (, weights = [...])
                         kind = "density"      density = "M(vx, vy, vz)", cutoff (, nodes)
                         kind = "heavy-tailed" gamma in (0, 1) (, profile = "F(r)")
    [cells.taxis]        mechanism = "run-length" | "direction", strength = k
                         | mechanism = "kernel", kernel = "T1(v, w, grad S)"
    [cells.transduction] b, tau_e, tau_a, g = "g(s)"     (chapter (7.3.18)-(7.3.21))
    [signal]             name = "s" (, diffusion, reaction, description): the chemical
    [parameters]         values of symbols used in the expressions above
    [units]              length = "um", time = "s", signal = "uM" (for printing)
    [run.*]              mesh, initial, time, output, ... of the emitted run config

See demos/derive_run_and_tumble.toml for a commented example.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from fem_chemotaxis.expressions import Expression
from fem_chemotaxis.io.toml_file import read_toml
from fem_chemotaxis.kinetics.turning import TURNING, TaxisPerturbation, Transduction, TurningLaw
from fem_chemotaxis.kinetics.velocities import (
    VELOCITY_SYMBOLS,
    DiscreteVelocities,
    HeavyTailedEquilibrium,
    Sphere,
    VelocityDensity,
    VelocitySet,
)

__all__ = ["VELOCITY_KINDS", "KineticSpec", "SignalSpec", "Units", "load_spec", "parse_spec"]

#: Kinds of [cells.velocities].
VELOCITY_KINDS = ("sphere", "discrete", "density", "heavy-tailed")
#: Run-config tables a SPEC may carry in [run].
RUN_TABLES = ("mesh", "initial", "time", "output", "solver", "boundary", "subdomains", "discretisation")


@dataclass(frozen=True)
class Units:
    """Names of the units, only for printing (e.g. ``um``, ``s``, ``uM``)."""

    length: str = "L"
    time: str = "T"
    signal: str = "C"


@dataclass(frozen=True)
class SignalSpec:
    """The chemical the cells respond to, as a species of the emitted model.

    Attributes:
        name: Its species name.
        diffusion: Its diffusion coefficient, or None (a fixed or ODE field).
        reaction: Its production/decay, an expression in the species and parameters, or None.
        description: A human-readable name.
    """

    name: str = "s"
    diffusion: str | None = None
    reaction: str | None = None
    description: str = "chemical signal"


@dataclass(frozen=True)
class KineticSpec:
    """A validated SPEC: the cells' turning law (or heavy-tailed equilibrium) and the context.

    Attributes:
        source: Where it was read from.
        species: Name of the cell density in the emitted model.
        dimension: Space dimension n.
        rate: Tumbling (relaxation) rate.
        law: The turning law, or None for a heavy-tailed equilibrium.
        heavy_tail: The heavy-tailed equilibrium, or None.
        signal: The chemical, or None when the cells do not respond to one.
        parameters: Parameter values for the expressions.
        units: Unit names for printing.
        run: Run-config tables copied into the emitted config.
    """

    source: str
    species: str
    dimension: int
    rate: float
    law: TurningLaw | None
    heavy_tail: HeavyTailedEquilibrium | None
    signal: SignalSpec | None
    parameters: Mapping[str, float] = field(default_factory=dict)
    units: Units = field(default_factory=Units)
    run: Mapping[str, Any] = field(default_factory=dict)


def load_spec(path: str | Path) -> KineticSpec:
    """Read and validate a SPEC.toml file."""
    path = Path(path)
    data = read_toml(path, "SPEC")
    try:
        return parse_spec(data, source=str(path))
    except ValueError as err:
        raise ValueError(f"{path}: {err}") from None


def parse_spec(data: Mapping[str, Any], source: str = "<spec>") -> KineticSpec:
    """Validate a SPEC already read into a dict."""
    _only_keys(data, {"cells", "signal", "parameters", "units", "run"}, "top level")
    cells = _table(data, "cells", "top level", required=True)
    _only_keys(cells, {"species", "description", "dimension", "turning_rate", "turning", "velocities", "taxis",
                       "transduction"}, "cells")

    parameters = {k: _number(v, f"[parameters] {k}") for k, v in _table(data, "parameters", "top level").items()}
    for name in parameters:
        if not name.isidentifier():
            raise ValueError(f"[parameters] '{name}' is not a valid name")

    species = _name(cells.get("species", "u"), "[cells] species")
    dimension = cells.get("dimension")
    if dimension not in (1, 2, 3) or isinstance(dimension, bool):
        raise ValueError(f"[cells] dimension must be 1, 2 or 3, got {dimension!r}")
    rate = _positive(cells.get("turning_rate"), "[cells] turning_rate")
    turning = cells.get("turning", "uniform")
    if turning not in TURNING:
        raise ValueError(f"[cells] turning must be one of {', '.join(repr(t) for t in TURNING)}, got {turning!r}")

    signal = _signal(data, species)
    velocities = _table(cells, "velocities", "cells", required=True)
    kind = velocities.get("kind")
    if kind not in VELOCITY_KINDS:
        choices = ", ".join(repr(k) for k in VELOCITY_KINDS)
        raise ValueError(f"[cells.velocities] kind must be one of {choices}, got {kind!r}")

    law, heavy_tail = None, None
    if kind == "heavy-tailed":
        heavy_tail = _heavy_tail(velocities, dimension, parameters)
        for key in ("taxis", "transduction"):
            if key in cells:
                raise ValueError(f"[cells.{key}] is not available with heavy-tailed velocities (the fractional "
                                 "limit's taxis needs the fractional file's scaling, not a first-order kernel)")
        if turning != "uniform":
            raise ValueError("[cells] turning = \"reversal\" needs the sphere velocities, not heavy-tailed ones")
    else:
        taxis = _taxis(cells, dimension, parameters) if "taxis" in cells else None
        transduction = _transduction(cells, signal, parameters) if "transduction" in cells else None
        if (taxis or transduction) and signal is None:
            raise ValueError("[cells.taxis]/[cells.transduction] need a [signal] table naming the chemical")
        law = TurningLaw(_velocity_set(velocities, kind, dimension, parameters), rate, turning, taxis, transduction)

    units_table = _table(data, "units", "top level")
    _only_keys(units_table, {"length", "time", "signal"}, "units")
    units = Units(**{k: _string(v, f"[units] {k}") for k, v in units_table.items()})

    run = _table(data, "run", "top level")
    _only_keys(run, set(RUN_TABLES), "run")
    return KineticSpec(source, species, dimension, rate, law, heavy_tail, signal, parameters, units, dict(run))


def _signal(data: Mapping[str, Any], species: str) -> SignalSpec | None:
    if "signal" not in data:
        return None
    table = _table(data, "signal", "top level")
    _only_keys(table, {"name", "diffusion", "reaction", "description"}, "signal")
    name = _name(table.get("name", "s"), "[signal] name")
    if name == species:
        raise ValueError(f"[signal] name '{name}' is the cells' species name too")
    texts = {}
    for key in ("diffusion", "reaction"):
        if key in table:
            value = table[key]
            Expression.parse(value, f"[signal] {key}")
            texts[key] = str(value)
    return SignalSpec(name, texts.get("diffusion"), texts.get("reaction"),
                      _string(table.get("description", "chemical signal"), "[signal] description"))


def _velocity_set(table: Mapping[str, Any], kind: str, dimension: int, parameters: Mapping[str, float]) -> VelocitySet:
    where = "cells.velocities"
    if kind == "sphere":
        _only_keys(table, {"kind", "speed", "nodes"}, where)
        nodes = _integer(table["nodes"], f"[{where}] nodes", 4) if "nodes" in table else None
        return Sphere(dimension, _positive(table.get("speed"), f"[{where}] speed"), nodes)
    if kind == "discrete":
        _only_keys(table, {"kind", "vectors", "weights"}, where)
        vectors = _array(table.get("vectors"), f"[{where}] vectors", ndim=2)
        if vectors.shape[1] != dimension or len(vectors) < 2:
            raise ValueError(f"[{where}] vectors must be at least two lists of {dimension} numbers, "
                             f"got {table.get('vectors')!r}")
        weights = (_array(table["weights"], f"[{where}] weights", ndim=1) if "weights" in table
                   else np.full(len(vectors), 1 / len(vectors)))
        if weights.shape != (len(vectors),) or (weights < 0).any() or abs(weights.sum() - 1) > 1e-12:
            raise ValueError(f"[{where}] weights must be {len(vectors)} non-negative numbers summing to 1, "
                             f"got {table.get('weights')!r}")
        _check_zero_flux(weights @ vectors, np.abs(vectors).max(), f"[{where}] vectors/weights")
        return DiscreteVelocities(vectors, weights)
    _only_keys(table, {"kind", "density", "cutoff", "nodes"}, where)
    if "density" not in table:
        raise ValueError(f"[{where}] is missing 'density' (an expression in {', '.join(VELOCITY_SYMBOLS[:dimension])})")
    density = Expression.parse(table["density"], f"[{where}] density")
    density.check_symbols(set(VELOCITY_SYMBOLS[:dimension]) | set(parameters),
                          "[parameters] and the velocity components")
    nodes = _integer(table.get("nodes", 48), f"[{where}] nodes", 4)
    cutoff = _positive(table.get("cutoff"), f"[{where}] cutoff")
    result = VelocityDensity(dimension, density, dict(parameters), cutoff, nodes)
    rule = result.quadrature()
    if (rule.density < 0).any() or not np.isfinite(rule.density).all():
        raise ValueError(f"[{where}] density must be finite and non-negative on the box |v_i| <= cutoff")
    mass = float(rule.mean(np.ones(len(rule.weights))))
    if abs(mass - 1) > 1e-6:
        raise ValueError(f"[{where}] density integrates to {mass:.8g} over |v_i| <= cutoff, not 1: normalise it "
                         "(or enlarge 'cutoff')")
    _check_zero_flux(rule.mean(rule.nodes), result.cutoff, f"[{where}] density")
    return result


def _check_zero_flux(mean: np.ndarray, scale: float, where: str) -> None:
    """The equilibrium must carry no flux (cross-diffusion file (16))."""
    if np.abs(mean).max() > 1e-8 * scale:
        raise ValueError(f"{where}: the mean velocity is {np.round(mean, 12).tolist()}, not 0 (the equilibrium must "
                         "carry no flux)")


def _heavy_tail(table: Mapping[str, Any], dimension: int, parameters: Mapping[str, float]) -> HeavyTailedEquilibrium:
    where = "cells.velocities"
    _only_keys(table, {"kind", "gamma", "profile"}, where)
    gamma = _number(table.get("gamma"), f"[{where}] gamma")
    if not 0 < gamma < 1:
        raise ValueError(f"[{where}] gamma must be in (0, 1) (fractional file, eq. (2)), got {gamma:g}")
    profile = None
    if "profile" in table:
        profile = Expression.parse(table["profile"], f"[{where}] profile")
        profile.check_symbols({"r"} | set(parameters), "[parameters] and r = |v|")
    result = HeavyTailedEquilibrium(dimension, gamma, profile, dict(parameters))
    mass = result.mass()
    if abs(mass - 1) > 1e-6:
        raise ValueError(f"[{where}] profile integrates to {mass:.8g} over R^{dimension}, not 1: normalise it")
    _, change = result.tail_constant()
    if not change < 1e-3:
        raise ValueError(f"[{where}] profile does not decay like |v|^-(N+gamma+1) = |v|^-{result.exponent:g}: "
                         f"r^{result.exponent:g} F(r) still changes by {change:.2g} between r = 1e6 and 1e8")
    return result


def _taxis(cells: Mapping[str, Any], dimension: int, parameters: Mapping[str, float]) -> TaxisPerturbation:
    table = _table(cells, "taxis", "cells")
    where = "cells.taxis"
    _only_keys(table, {"mechanism", "strength", "kernel"}, where)
    mechanism = table.get("mechanism")
    if mechanism == "kernel":
        if "kernel" not in table:
            raise ValueError(f"[{where}] mechanism = \"kernel\" needs kernel = \"T1(v, w, grad S)\"")
        kernel = Expression.parse(table["kernel"], f"[{where}] kernel")
        perturbation = TaxisPerturbation("kernel", kernel=kernel, parameters=dict(parameters))
        kernel.check_symbols(perturbation.symbols(dimension), "the kernel's variables and [parameters]")
        return perturbation
    if "kernel" in table:
        raise ValueError(f"[{where}] 'kernel' needs mechanism = \"kernel\", got mechanism = {mechanism!r}")
    if mechanism not in ("run-length", "direction"):
        raise ValueError(f"[{where}] mechanism must be \"run-length\", \"direction\" or \"kernel\", got {mechanism!r}")
    return TaxisPerturbation(mechanism, strength=_number(table.get("strength"), f"[{where}] strength"))


def _transduction(cells: Mapping[str, Any], signal: SignalSpec | None, parameters: Mapping[str, float]) -> Transduction:
    table = _table(cells, "transduction", "cells")
    where = "cells.transduction"
    _only_keys(table, {"b", "tau_e", "tau_a", "g"}, where)
    if signal is None:
        raise ValueError(f"[{where}] needs a [signal] table naming the chemical (the variable of g)")
    if "g" not in table:
        s = signal.name
        raise ValueError(f"[{where}] is missing 'g', the receptor law g({s}) (e.g. \"{s}/(K + {s})\")")
    g = Expression.parse(table["g"], f"[{where}] g")
    return Transduction(
        b=_number(table.get("b"), f"[{where}] b"),
        tau_e=_positive(table.get("tau_e"), f"[{where}] tau_e"),
        tau_a=_positive(table.get("tau_a"), f"[{where}] tau_a"),
        g=g, signal=signal.name, parameters=dict(parameters),
    )


def _table(data: Mapping[str, Any], key: str, where: str, required: bool = False) -> Mapping[str, Any]:
    if key not in data:
        if required:
            raise ValueError(f"missing table [{key}]" if where == "top level" else f"missing table [{where}.{key}]")
        return {}
    value = data[key]
    if not isinstance(value, Mapping):
        name = key if where == "top level" else f"{where}.{key}"
        raise ValueError(f"[{name}] must be a table")
    return value


def _only_keys(table: Mapping[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise ValueError(
            f"[{where}] unknown key{'s' if len(unknown) > 1 else ''} {', '.join(repr(u) for u in unknown)}; "
            f"allowed: {', '.join(sorted(allowed))}"
        )


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"{where} must be a number, got {value!r}" if value is not None else f"{where} is missing")
    return float(value)


def _positive(value: Any, where: str) -> float:
    number = _number(value, where)
    if not number > 0:
        raise ValueError(f"{where} must be a positive number, got {value!r}")
    return number


def _integer(value: Any, where: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{where} must be an integer >= {minimum}, got {value!r}")
    return value


def _string(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{where} must be a string, got {value!r}")
    return value


def _name(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.isidentifier() or value in ("x", "y", "z", "t", "pi", "e"):
        raise ValueError(f"{where} must be a name like \"u\" (not x, y, z, t, pi or e), got {value!r}")
    return value


def _array(value: Any, where: str, ndim: int) -> np.ndarray:
    message = f"{where} must be {'a list of lists' if ndim == 2 else 'a list'} of numbers, got {value!r}"
    try:
        array = np.array(value, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(message) from None
    if array.ndim != ndim or not np.isfinite(array).all():
        raise ValueError(message)
    return array
