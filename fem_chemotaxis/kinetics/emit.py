"""Write the derived macroscopic model as a run config that ``fem-chemotaxis run`` accepts.

The ``[model]`` is a user model in the README's format: the cells' species with the derived
diffusion (a number, a tensor, or a fractional order with D_rho) and taxis sensitivity (times
k(S) or g'(S) when it depends on the level), the signal species of the SPEC's ``[signal]``
table, and the derived coefficients as parameters (so they show in ``summary.json`` and can
be overridden): ``d``, ``D_xy``, ``chi``, ``chi0`` for single cells; ``d_u1``, ``D_u1_xy``,
``chi_u1_u3`` (population u1 towards u3), ``chi0_u1_s`` for a multi-species SPEC, whose fields
keep their given diffusion (none: immobile) and reactions. ``[mesh]``, ``[initial]``, ``[time]``
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

from fem_chemotaxis.kinetics.derived import Coefficient, Derivation
from fem_chemotaxis.kinetics.mixture_spec import MixtureSpec
from fem_chemotaxis.kinetics.turning import TaxisPerturbation, TurningLaw

__all__ = ["run_config", "to_toml", "write_run_config"]

_AXES = "xyz"


def run_config(derivation: Derivation, output_dir: str | None = None) -> dict[str, Any]:
    """The run config (a TOML-shaped dict) of the derived macroscopic model.

    Args:
        derivation: The derived coefficients and their SPEC (single cells or a mixture).
        output_dir: Default [output] dir when the SPEC's [run.output] has none.

    Raises:
        ValueError: if the model format cannot express a coefficient (an anisotropic taxis
            sensitivity), or a [parameters] name clashes with a derived one.
    """
    spec = derivation.spec
    if isinstance(spec, MixtureSpec):
        derived, species = _mixture_species(derivation, spec)
    else:
        derived, species = _cells_species(derivation)
    clash = sorted(set(derived) & set(spec.parameters))
    if clash:
        listed = ", ".join(repr(c) for c in clash)
        raise ValueError(f"[parameters] {listed}: the name of a derived coefficient; rename it")

    stem = Path(spec.source).stem
    model = {
        "name": stem.replace("_", "-") if stem.replace("_", "").replace("-", "").isalnum() else "derived-model",
        "description": "; ".join(line.strip() for line in derivation.summary),
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


def _diffusion(coefficient: Coefficient, stem: str, derived: dict[str, float]) -> str | list[list[str]]:
    """The diffusion entry of a species: a parameter ``d<stem>`` or a tensor of ``D<stem>_xy``."""
    if coefficient.scalar is not None:
        derived[f"d{stem}"] = coefficient.scalar
        return f"d{stem}"
    tensor = np.asarray(coefficient.value)
    size = len(tensor)
    names = [[f"D{stem}_{_AXES[min(i, j)]}{_AXES[max(i, j)]}" for j in range(size)] for i in range(size)]
    for i, row in enumerate(names):
        for j, name in enumerate(row):
            derived[name] = float(0.5 * (tensor[i, j] + tensor[j, i]))
    return names


def _taxis(
    coefficient: Coefficient, parameter: str, factor: str | None, species: str, towards: str, derived: dict[str, float]
) -> dict[str, str]:
    """A taxis entry ``parameter*(factor)*species`` towards a field."""
    if coefficient.scalar is None:
        raise ValueError(
            f"[cells] the derived {coefficient.symbol} = {np.asarray(coefficient.value).tolist()} is anisotropic, "
            "but a model's taxis sensitivity is a scalar: no run config can express it"
        )
    derived[parameter] = coefficient.scalar
    sensitivity = f"{parameter}*({factor})*{species}" if factor is not None else f"{parameter}*{species}"
    return {"towards": towards, "sensitivity": sensitivity}


def _factor(law: TurningLaw, perturbation: TaxisPerturbation | None) -> str | None:
    """The level factor of a sensitivity: k(S), g'(S) of transduction, or None."""
    if perturbation is None:
        return str(law.transduction.g_prime)  # type: ignore[union-attr]
    return str(perturbation.strength) if perturbation.level_dependent else None


def _cells_species(derivation: Derivation) -> tuple[dict[str, float], dict[str, Any]]:
    """Derived parameters and species tables of a single-cell SPEC."""
    spec = derivation.spec
    derived: dict[str, float] = {}
    cells: dict[str, Any] = {"description": "cell density (derived from the run-and-tumble SPEC)"}
    if "D_rho" in derivation.coefficients:
        derived["D_rho"] = float(derivation["D_rho"].value)
        cells["diffusion"] = "D_rho"
        cells["fractional_order"] = float(derivation["alpha"].value)
    else:
        cells["diffusion"] = _diffusion(derivation["D"], "", derived)
    signal, law = spec.signal, spec.law
    if signal is not None and law is not None:
        entries = [
            _taxis(derivation["chi"], "chi", _factor(law, p), spec.species, signal.name, derived) for p in law.taxis
        ]
        if law.transduction is not None:
            entries.append(_taxis(derivation["chi0"], "chi0", _factor(law, None), spec.species, signal.name, derived))
        if entries:
            cells["taxis"] = entries
    species: dict[str, Any] = {spec.species: cells}
    if signal is not None:
        table: dict[str, Any] = {"description": signal.description}
        if signal.diffusion is not None:
            table["diffusion"] = signal.diffusion
        if signal.reaction is not None:
            table["reaction"] = signal.reaction
        species[signal.name] = table
    return derived, species


def _mixture_species(derivation: Derivation, spec: MixtureSpec) -> tuple[dict[str, float], dict[str, Any]]:
    """Derived parameters and species tables of a multi-species SPEC: D_i per species, chi_ij per pair."""
    derived: dict[str, float] = {}
    species: dict[str, Any] = {}
    for population in spec.species:
        name, law = population.name, population.law
        table: dict[str, Any] = {"description": population.description}
        if law is not None:
            table["diffusion"] = _diffusion(derivation[f"D[{name}]"], f"_{name}", derived)
            entries = [
                _taxis(
                    derivation[f"chi[{name}->{p.towards}]"],
                    f"chi_{name}_{p.towards}",
                    _factor(law, p),
                    name,
                    p.towards,
                    derived,
                )
                for p in law.taxis
            ]
            if law.transduction is not None:
                towards = law.transduction.signal
                entries.append(
                    _taxis(
                        derivation[f"chi0[{name}->{towards}]"],
                        f"chi0_{name}_{towards}",
                        _factor(law, None),
                        name,
                        towards,
                        derived,
                    )
                )
            if entries:
                table["taxis"] = entries
        elif population.diffusion is not None:
            table["diffusion"] = population.diffusion
        if population.reaction is not None:
            table["reaction"] = population.reaction
        species[name] = table
    return derived, species


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
    header = (
        f"Macroscopic model derived by `fem-chemotaxis derive {derivation.spec.source}`.\n"
        f"Run it with: fem-chemotaxis run {path}\n\n{derivation.report()}\n"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(to_toml(config, header))
    return path
