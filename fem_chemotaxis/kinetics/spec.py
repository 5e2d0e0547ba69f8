"""Read a kinetic SPEC.toml: an individual-cell description to derive a macroscopic model from.

Two forms. One cell population and its chemical (every key is checked; a mistake raises
ValueError naming the table and key)::

    [cells]              species = "u", dimension = 1 | 2 | 3, turning_rate = lambda,
                         turning = "uniform" | "reversal" (1-D, chapter (7.3.1))
    [cells.velocities]   kind = "sphere" | "discrete" | "density" | "heavy-tailed", ...
    [cells.turning_angle] kind = "von-mises" | "table", ...   (persistence)
    [cells.taxis]        mechanism = "run-length" | "direction" | "kernel", strength = k or "k(s)", ...
    [cells.transduction] b, tau_e, tau_a, g = "g(s)"     (chapter (7.3.18)-(7.3.21))
    [signal]             name = "s" (, diffusion, reaction, description): the chemical
    [parameters]         values of symbols used in the expressions above
    [units]              length = "um", time = "s", signal = "uM" (for printing)
    [run.*]              mesh, initial, time, output, ... of the emitted run config

The movement tables are described in :mod:`~fem_chemotaxis.kinetics.cells`. Several
populations and fields (a top-level ``dimension`` and ``[species.NAME]`` tables instead of
``[cells]`` and ``[signal]``) are read by :mod:`~fem_chemotaxis.kinetics.mixture_spec`;
:func:`load_spec` and :func:`parse_spec` accept both. See demos/derive_run_and_tumble.toml
and demos/derive_mixture.toml for commented examples.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fem_chemotaxis.expressions import Expression
from fem_chemotaxis.io.toml_file import read_toml
from fem_chemotaxis.kinetics import cells as movement
from fem_chemotaxis.kinetics import tables
from fem_chemotaxis.kinetics.mixture_spec import RUN_TABLES, MixtureSpec, parse_mixture
from fem_chemotaxis.kinetics.tables import Units
from fem_chemotaxis.kinetics.turning import TaxisPerturbation, TurningLaw
from fem_chemotaxis.kinetics.velocities import HeavyTailedEquilibrium

__all__ = ["KineticSpec", "SignalSpec", "Units", "load_spec", "parse_spec"]

_CELL_KEYS = {
    "species",
    "description",
    "dimension",
    "turning_rate",
    "turning",
    "velocities",
    "turning_angle",
    "taxis",
    "transduction",
}


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
    """A validated single-cell SPEC: the cells' turning law (or heavy-tailed equilibrium) and the context.

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


def load_spec(path: str | Path) -> KineticSpec | MixtureSpec:
    """Read and validate a SPEC.toml file (single cells or several species)."""
    path = Path(path)
    data = read_toml(path, "SPEC")
    try:
        return parse_spec(data, source=str(path))
    except ValueError as err:
        raise ValueError(f"{path}: {err}") from None


def parse_spec(data: Mapping[str, Any], source: str = "<spec>") -> KineticSpec | MixtureSpec:
    """Validate a SPEC already read into a dict: a KineticSpec, or a MixtureSpec for ``[species.*]``."""
    if "species" in data:
        if "cells" in data or "signal" in data:
            raise ValueError("give either [cells] (and [signal]) or [species.*] tables, not both")
        return parse_mixture(data, source)
    return parse_cells(data, source)


def parse_cells(data: Mapping[str, Any], source: str = "<spec>") -> KineticSpec:
    """Validate a single-cell SPEC ([cells] and [signal])."""
    tables.only_keys(data, {"cells", "signal", "parameters", "units", "run"}, "top level")
    cells = tables.table(data, "cells", "top level", required=True)
    tables.only_keys(cells, _CELL_KEYS, "cells")
    parameters = tables.parameters(data)
    species = tables.name(cells.get("species", "u"), "[cells] species")
    dimension = cells.get("dimension")
    if dimension not in (1, 2, 3) or isinstance(dimension, bool):
        raise ValueError(f"[cells] dimension must be 1, 2 or 3, got {dimension!r}")
    rate, turning = movement.turning(cells, "cells")
    signal = _signal(data, species)
    velocities = tables.table(cells, "velocities", "cells", required=True)

    law, heavy_tail = None, None
    if velocities.get("kind") == "heavy-tailed":
        heavy_tail = movement.heavy_tail(velocities, "cells.velocities", dimension, parameters)
        for key in ("taxis", "transduction", "turning_angle"):
            if key in cells:
                raise ValueError(
                    f"[cells.{key}] is not available with heavy-tailed velocities (the fractional "
                    "limit needs the fractional file's scaling, not a first-order kernel)"
                )
        if turning != "uniform":
            raise ValueError("[cells] turning = \"reversal\" needs the sphere velocities, not heavy-tailed ones")
    else:
        law = _law(cells, dimension, rate, turning, signal, parameters)
    run = tables.table(data, "run", "top level")
    tables.only_keys(run, set(RUN_TABLES), "run")
    return KineticSpec(
        source, species, dimension, rate, law, heavy_tail, signal, parameters, tables.units(data), dict(run)
    )


def _law(
    cells: Mapping[str, Any],
    dimension: int,
    rate: float,
    turning: str,
    signal: SignalSpec | None,
    parameters: Mapping[str, float],
) -> TurningLaw:
    """The turning law of the [cells] table."""
    velocities = movement.velocity_set(
        tables.table(cells, "velocities", "cells"), "cells.velocities", dimension, parameters
    )
    angle = None
    if "turning_angle" in cells:
        angle = movement.turning_angle(
            tables.table(cells, "turning_angle", "cells"), "cells.turning_angle", dimension, velocities, turning
        )
    if ("taxis" in cells or "transduction" in cells) and signal is None:
        raise ValueError("[cells.taxis]/[cells.transduction] need a [signal] table naming the chemical")
    taxis: tuple[TaxisPerturbation, ...] = ()
    transduction = None
    if "taxis" in cells:
        taxis = (
            movement.taxis(tables.table(cells, "taxis", "cells"), "cells.taxis", dimension, parameters, signal.name),  # type: ignore[union-attr]
        )
    if "transduction" in cells:
        transduction = movement.transduction(
            tables.table(cells, "transduction", "cells"),
            "cells.transduction",
            signal.name,  # type: ignore[union-attr]
            parameters,
        )
    return TurningLaw(velocities, rate, turning, taxis, transduction, angle)


def _signal(data: Mapping[str, Any], species: str) -> SignalSpec | None:
    if "signal" not in data:
        return None
    table = tables.table(data, "signal", "top level")
    tables.only_keys(table, {"name", "diffusion", "reaction", "description"}, "signal")
    name = tables.name(table.get("name", "s"), "[signal] name")
    if name == species:
        raise ValueError(f"[signal] name '{name}' is the cells' species name too")
    texts = {}
    for key in ("diffusion", "reaction"):
        if key in table:
            value = table[key]
            Expression.parse(value, f"[signal] {key}")
            texts[key] = str(value)
    return SignalSpec(
        name,
        texts.get("diffusion"),
        texts.get("reaction"),
        tables.string(table.get("description", "chemical signal"), "[signal] description"),
    )
