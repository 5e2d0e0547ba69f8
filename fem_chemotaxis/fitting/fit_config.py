"""A fit file (FIT.toml) validated into plain objects before anything is built or written.

::

    run = "keller_segel.toml"        # the run config: model, mesh, initial, [time] dt and scheme
    output = "results/ks-fit"        # the results directory (default: results/<FIT file name>)
    store_every = 1                  # keep every K-th forward state for the adjoint, recompute
                                     # the rest: about N/K + K states of N steps in memory

    [parameters.chi]                 # one table per estimated model parameter
    bounds = [0.1, 10.0]
    start = 1.0                      # default: the run config's value
    log = true                       # the optimiser varies log(chi)

    [[observations]]                 # fields of an earlier run at its checkpoint times
    from_run = "results/ks-truth"
    times = "all"                    # or a list; species = "u" or a list (default: all)
    weight = 1.0

    [[observations]]                 # grayscale pictures at times, placed by a box
    images = ["t1.png", "t2.png"]
    times = [0.5, 1.0]
    species = "u"
    range = [0.0, 3.0]               # the density of black and of white
    box = [[0.0, 0.0], [1.0, 1.0]]   # default: the mesh's bounding box

    [[observations]]                 # densities at points and times: columns t,x,y[,z],value
    points = "counts.csv"
    species = "u"

    [optimiser]                      # max_iterations, gtol, ftol, tikhonov
    max_iterations = 50

The run's time stepping must be fixed steps of backward-euler or crank-nicolson; every
observed time a whole number of steps. A run config that names no scheme (the default
"auto") is fitted with backward Euler, and :attr:`FitConfig.scheme_note` says so. Paths are relative to the fit file, then the CWD.
Every mistake raises :class:`~fem_chemotaxis.config.ConfigError` naming the file and key.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mpi4py import MPI

from fem_chemotaxis.checks import only_keys
from fem_chemotaxis.config import ConfigDocument, ConfigError, RunConfig
from fem_chemotaxis.config.limits import check_finite_numbers
from fem_chemotaxis.expressions import Expression
from fem_chemotaxis.fitting.observation_sources import (
    ImageSeries,
    PointTable,
    RunFields,
    existing_path,
    source_from_table,
)
from fem_chemotaxis.fitting.optimiser import OptimiserSettings
from fem_chemotaxis.fitting.parameters import FittedParameter
from fem_chemotaxis.io.toml_file import read_toml
from fem_chemotaxis.time import AUTO

__all__ = ["FitConfig", "load_fit_config"]

_KEYS = ("run", "output", "store_every", "parameters", "observations", "optimiser")


@dataclass(frozen=True)
class FitConfig:
    """A validated fit: the run, the parameters, the observations, the optimiser, the output
    (`scheme_note`: why the run's scheme "auto" became backward Euler, or None)."""

    source: str
    run: RunConfig
    parameters: tuple[FittedParameter, ...]
    observations: tuple[RunFields | ImageSeries | PointTable, ...]
    optimiser: OptimiserSettings
    output: Path
    store_every: int = 1
    scheme_note: str | None = None


def load_fit_config(path: str | Path, comm: MPI.Comm = MPI.COMM_WORLD) -> FitConfig:
    """Read and validate a FIT.toml.

    Raises:
        ConfigError: naming the file and the key of the first mistake.
    """
    path = Path(path)
    try:
        tables = read_toml(path, "fit")
        return _parse(tables, str(path), path.resolve().parent, comm)
    except ConfigError:
        raise
    except ValueError as err:
        raise ConfigError(f"{path}: {err}") from None


def _parse(tables: Mapping[str, Any], source: str, base_dir: Path, comm: MPI.Comm) -> FitConfig:
    only_keys(tables, _KEYS, "top level")
    check_finite_numbers(tables, ValueError)
    if "run" not in tables:
        raise ValueError("missing 'run' (the run config to fit, e.g. run = \"keller_segel.toml\")")
    run, scheme_note = _fixed_step_scheme(ConfigDocument.read(existing_path(tables["run"], base_dir, "run")).parse())
    if run.time.adaptive or run.time.scheme not in ("backward-euler", "crank-nicolson"):
        raise ValueError(
            f"run = '{tables['run']}': fitting needs [time] scheme = \"backward-euler\" or \"crank-nicolson\" with "
            f"fixed steps, got scheme = {run.time.scheme!r}, adaptive = {run.time.adaptive}"
        )
    if run.adapt is not None:
        raise ValueError(f"run = '{tables['run']}': fitting needs a fixed mesh, but the run config has [mesh.adapt]")
    table = only_keys(tables.get("parameters", {}), list(run.model.parameters), "parameters")
    if not table:
        raise ValueError(f"[parameters] names no parameter to fit; the model has: {', '.join(run.model.parameters)}")
    parameters = []
    for name, entry in table.items():
        _check_fixed_inputs(run, name)
        parameters.append(FittedParameter.from_table(name, entry, run.model.parameters[name]))
    entries = tables.get("observations")
    if not isinstance(entries, list) or not entries:
        raise ValueError("missing [[observations]] (from_run = \"RUN_DIR\", images = [...] or points = \"FILE.csv\")")
    species = list(run.model.species_names)
    observations = tuple(
        source_from_table(entry, species, base_dir, f"[[observations]][{k}]", comm) for k, entry in enumerate(entries)
    )
    optimiser = OptimiserSettings.from_table(tables.get("optimiser", {}))
    output = tables.get("output", str(Path("results") / Path(source).stem))
    if not isinstance(output, str) or not output:
        raise ValueError(f"output must be a directory name, got {output!r}")
    store_every = tables.get("store_every", 1)
    if isinstance(store_every, bool) or not isinstance(store_every, int) or store_every < 1:
        raise ValueError(f"store_every must be a positive integer, got {store_every!r}")
    return FitConfig(source, run, tuple(parameters), observations, optimiser, Path(output), store_every, scheme_note)


def _fixed_step_scheme(run: RunConfig) -> tuple[RunConfig, str | None]:
    """The run with [time] scheme "auto" (fixed steps) resolved to backward Euler, which the
    adjoint covers, and the note saying so; any other run unchanged, with no note."""
    if run.time.scheme != AUTO or run.time.adaptive:
        return run, None
    note = (
        'fit: [time] scheme "auto" -> "backward-euler": the adjoint covers fixed steps of '
        "backward-euler or crank-nicolson"
    )
    resolved_time = {**run.resolved["time"], "scheme": "backward-euler", "scheme_requested": AUTO, "scheme_note": note}
    time = dataclasses.replace(run.time, scheme="backward-euler")
    return dataclasses.replace(run, time=time, resolved={**run.resolved, "time": resolved_time}), note


def _check_fixed_inputs(run: RunConfig, name: str) -> None:
    """Refuse a parameter in what the adjoint takes as fixed: initial values, Dirichlet values."""
    for species, value in run.initial.items():
        if isinstance(value, Expression) and name in value.symbols:
            raise ValueError(
                f"[parameters.{name}]: '{name}' appears in [initial] {species}; a fitted parameter may not"
            )
    for k, bc in enumerate(run.boundary_conditions):
        if bc.kind == "dirichlet" and name in bc.value.symbols:
            raise ValueError(
                f"[parameters.{name}]: '{name}' appears in the Dirichlet value of boundary[{k}]; a fitted parameter may not"
            )
