"""Write the derived macroscopic model as a run config that ``fem-chemotaxis run`` accepts.

The ``[model]`` is a user model in the README's format: the cells' species with the derived
diffusion (a number, a tensor, or a fractional order with D_rho) and taxis sensitivity, the
signal species of the SPEC's ``[signal]`` table, and the derived coefficients as parameters
(so they show in ``summary.json`` and can be overridden). ``[mesh]``, ``[initial]``, ``[time]``
and ``[output]`` come from the SPEC's ``[run.*]`` tables, with small defaults. The result is
validated by the run-config parser before anything is written.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from fem_chemotaxis.kinetics.derivation import Derivation

__all__ = ["run_config", "to_toml", "write_run_config"]

_AXES = "xyz"


def run_config(derivation: Derivation, output_dir: str | None = None) -> dict[str, Any]:
    """The run config (a TOML-shaped dict) of the derived macroscopic model.

    Args:
        derivation: The derived coefficients and their SPEC.
        output_dir: Default [output] dir when the SPEC's [run.output] has none.

    Raises:
        ValueError: if the model format cannot express a coefficient (an anisotropic taxis
            sensitivity), or a [parameters] name clashes with a derived one.
    """
    spec = derivation.spec
    derived: dict[str, float] = {}
    cells: dict[str, Any] = {"description": "cell density (derived from the run-and-tumble SPEC)"}

    diffusion = derivation["D_rho"] if "D_rho" in derivation.coefficients else derivation["D"]
    if diffusion.symbol == "D_rho":
        derived["D_rho"] = float(diffusion.value)
        cells["diffusion"] = "D_rho"
        cells["fractional_order"] = float(derivation["alpha"].value)
    elif diffusion.scalar is not None:
        derived["d"] = diffusion.scalar
        cells["diffusion"] = "d"
    else:
        tensor = np.asarray(diffusion.value)
        names = [[f"D_{_AXES[min(i, j)]}{_AXES[max(i, j)]}" for j in range(len(tensor))] for i in range(len(tensor))]
        for i, row in enumerate(names):
            for j, name in enumerate(row):
                derived[name] = float(0.5 * (tensor[i, j] + tensor[j, i]))
        cells["diffusion"] = names

    signal = spec.signal
    law = spec.law
    for symbol in ("chi", "chi0"):
        if symbol not in derivation.coefficients or signal is None or law is None:
            continue
        coefficient = derivation[symbol]
        if coefficient.scalar is None:
            raise ValueError(
                f"[cells] the derived {symbol} = {np.asarray(coefficient.value).tolist()} is anisotropic, "
                "but a model's "
                "taxis sensitivity is a scalar: no run config can express it"
            )
        derived[symbol] = coefficient.scalar
        sensitivity = f"chi*{spec.species}"
        if law.transduction is not None:
            sensitivity = f"chi0*({law.transduction.g_prime})*{spec.species}"
        cells["taxis"] = [{"towards": signal.name, "sensitivity": sensitivity}]

    clash = sorted(set(derived) & set(spec.parameters))
    if clash:
        listed = ", ".join(repr(c) for c in clash)
        raise ValueError(f"[parameters] {listed}: the name of a derived coefficient; rename it")

    species: dict[str, Any] = {spec.species: cells}
    if signal is not None:
        table: dict[str, Any] = {"description": signal.description}
        if signal.diffusion is not None:
            table["diffusion"] = signal.diffusion
        if signal.reaction is not None:
            table["reaction"] = signal.reaction
        species[signal.name] = table

    stem = Path(spec.source).stem
    model = {
        "name": stem.replace("_", "-") if stem.replace("_", "").replace("-", "").isalnum() else "derived-model",
        "description": "; ".join(derivation.summary),
        "parameters": {**derived, **spec.parameters},
        "species": species,
    }
    run = dict(spec.run)
    config: dict[str, Any] = {
        "mesh": run.pop("mesh", _default_mesh(spec.dimension)),
        "model": model,
        "initial": run.pop("initial", dict.fromkeys(species, "1")),
        "time": run.pop("time", {"t_end": 1.0, "dt": 0.01}),
    }
    output = dict(run.pop("output", {}))
    if output_dir is not None:
        output.setdefault("dir", output_dir)
    if output:
        config["output"] = output
    config.update(run)
    return config


def _default_mesh(dimension: int) -> dict[str, Any]:
    """A unit square/cube; for 1-D cells a thin strip (the solution stays 1-D for 1-D data)."""
    if dimension == 3:
        return {"builtin": "box", "size": [1.0, 1.0, 1.0], "cells": [12, 12, 12]}
    if dimension == 2:
        return {"builtin": "rectangle", "size": [1.0, 1.0], "cells": [32, 32]}
    return {"builtin": "rectangle", "size": [1.0, 0.05], "cells": [128, 2]}


def to_toml(data: Mapping[str, Any], header: str = "") -> str:
    """Serialise nested tables of strings, numbers, booleans and lists (the run-config subset of TOML).

    Args:
        data: The document.
        header: Text put before it as ``#`` comment lines.
    """
    lines = [f"# {line}".rstrip() for line in header.splitlines()]
    _table_lines(data, [], lines)
    return "\n".join(lines).strip("\n") + "\n"


def _table_lines(table: Mapping[str, Any], path: list[str], lines: list[str]) -> None:
    plain = {k: v for k, v in table.items() if not isinstance(v, Mapping)}
    if path and (plain or not table):
        lines.extend(["", f"[{'.'.join(_key(p) for p in path)}]"])
    lines.extend(f"{_key(k)} = {_value(v)}" for k, v in plain.items())
    for key, value in table.items():
        if isinstance(value, Mapping):
            _table_lines(value, [*path, key], lines)


def _key(key: str) -> str:
    return key if key.replace("_", "").replace("-", "").isalnum() else json.dumps(key)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        if not math.isfinite(value):
            raise ValueError(f"cannot write the non-finite number {value!r} to TOML")
        return repr(float(value))
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items()) + " }"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    raise ValueError(f"cannot write {value!r} ({type(value).__name__}) to TOML")


def write_run_config(derivation: Derivation, path: str | Path, force: bool = False) -> Path:
    """Validate the derived run config and write it to `path` with a header of the coefficients.

    Raises:
        ValueError: if `path` exists and `force` is false, or the config is invalid.
    """
    from fem_chemotaxis.config.run_config import parse_config

    path = Path(path)
    if path.exists() and not force:
        raise ValueError(f"'{path}' exists; use --force to replace it")
    config = run_config(derivation, output_dir=str(Path("results") / path.stem))
    mesh_file = config["mesh"].get("file")
    if isinstance(mesh_file, str) and not Path(mesh_file).is_absolute():
        beside_spec = Path(derivation.spec.source).parent / mesh_file
        if beside_spec.exists():
            config["mesh"] = {**config["mesh"], "file": os.path.relpath(beside_spec, path.parent)}
    parse_config(config, source=str(path), base_dir=path.parent)
    header = (f"Macroscopic model derived by `fem-chemotaxis derive {derivation.spec.source}`.\n"
              f"Run it with: fem-chemotaxis run {path}\n\n{derivation.report()}\n")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(to_toml(config, header))
    return path
