"""Initial values read from a previous run: a species' density at one of its checkpoint times.

An [initial] entry may name a run directory instead of an expression (see
config/run_config.py).  :meth:`RunField.locate` checks it against the run's
``checkpoint.json`` while the config is validated, before anything is built or written:
the directory, its checkpoint, the species and the time must exist.  :func:`read_densities`
then reads the fields on the previous run's mesh (written and read on any numbers of MPI
ranks), for :meth:`~fem_chemotaxis.simulation.Simulation.set_initial_values` to interpolate
onto the new mesh (:func:`~fem_chemotaxis.mesh.transfer.transfer`).  Species that run solved
for in log-density variables (stored as ``log_<name>``) are read back as densities exp(w).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dolfinx.fem
import dolfinx.mesh
import numpy as np

from mpi4py import MPI

from fem_chemotaxis.expressions import Expression
from fem_chemotaxis.io.checkpoint import CHECKPOINT_NAME, METADATA_NAME, CheckpointFile, checkpoint_path, read_metadata
from fem_chemotaxis.io.console import LOGGER_NAME

__all__ = ["LAST", "RunField", "placeholder_values", "read_densities", "read_initial_values"]

_log = logging.getLogger(LOGGER_NAME)

#: The ``time`` that picks a run's last checkpoint.
LAST = "last"
#: Relative tolerance of a requested time against the stored checkpoint times.
_TIME_TOLERANCE = 1e-9


@dataclass(frozen=True)
class RunField:
    """One species' density at one checkpoint time of a previous run.

    Attributes:
        run_dir: The previous run's directory (absolute).
        time: The checkpoint time, exactly as stored.
        species: The species' name in that run.
        stored_as: The name of its unknown in the checkpoint (``u`` or ``log_u``).
        degree: The Lagrange degree it was computed with.
        log: Whether the stored unknown is log(density).
    """

    run_dir: Path
    time: float
    species: str
    stored_as: str
    degree: int
    log: bool

    @classmethod
    def locate(cls, run_dir: str, time: Any, species: str, base_dir: Path, where: str) -> RunField:
        """Check a previous run's checkpoint for `species` at `time` (a number or "last").

        Args:
            run_dir: The run directory as written in the config (relative to `base_dir`,
                then the current directory).
            time: The checkpoint time, or "last".
            species: The species' name in that run.
            base_dir: The directory of the config file.
            where: The config key, for error messages (e.g. ``"[initial] u"``).

        Raises:
            ValueError: naming `where` and the value, if the directory, its checkpoint, the
                species or the time do not exist (listing those that do).
        """
        name = Path(run_dir)
        candidates = [name] if name.is_absolute() else [base_dir / name, Path.cwd() / name]
        found = next((c for c in candidates if c.is_dir()), None)
        if found is None:
            raise ValueError(
                f"{where}: from_run = '{run_dir}' is not a run directory "
                f"(looked in: {', '.join(str(c) for c in candidates)})"
            )
        meta_path = found / METADATA_NAME
        no_checkpoint = (
            f"{where}: from_run = '{run_dir}' holds no checkpoint ({METADATA_NAME} and {CHECKPOINT_NAME}); "
            "seed from a directory written by `fem-chemotaxis run`, which checkpoints at every "
            "[output] interval"
        )
        if not meta_path.is_file():
            raise ValueError(no_checkpoint)
        try:
            meta = json.loads(meta_path.read_text())
            stored, times = meta["species"], [float(t) for t in meta["times"]]
            file = checkpoint_path(found, meta)
        except (json.JSONDecodeError, KeyError, TypeError, AttributeError) as err:
            raise ValueError(f"{where}: {meta_path} is not a readable checkpoint description ({err})") from None
        if not file.is_dir():
            raise ValueError(no_checkpoint)
        if species not in stored:
            raise ValueError(
                f"{where}: species = '{species}' is not in the run in '{run_dir}'; it has: {', '.join(stored)} "
                "(give an expression, or species = one of those)"
            )
        return cls(
            run_dir=found.resolve(),
            time=_checkpoint_time(time, times, run_dir, where),
            species=species,
            stored_as=str(stored[species]["unknown"]),
            degree=int(stored[species]["degree"]),
            log=bool(stored[species]["log"]),
        )

    def to_json(self) -> dict[str, Any]:
        """The resolved config entry: absolute directory, exact time, species."""
        return {"from_run": str(self.run_dir), "time": self.time, "species": self.species}

    def __str__(self) -> str:
        return f"'{self.species}' at t = {self.time:.6g} of the run in {self.run_dir}"


def read_densities(fields: Mapping[str, RunField], comm: MPI.Comm) -> dict[str, dolfinx.fem.Function]:
    """Each field as a density on its run's mesh, distributed over `comm` (collective).

    A run's mesh is read once, however many of its species are asked for.

    Returns:
        The same keys as `fields`, each a Lagrange Function named after the key.
    """
    meshes: dict[Path, dolfinx.mesh.Mesh] = {}
    densities = {}
    for key, field in fields.items():
        meta = read_metadata(field.run_dir, comm)
        file = CheckpointFile(checkpoint_path(field.run_dir, meta))
        if field.run_dir not in meshes:
            meshes[field.run_dir] = file.read_mesh(comm, meta["mesh"]).mesh
        space = dolfinx.fem.functionspace(meshes[field.run_dir], ("Lagrange", field.degree))
        density = dolfinx.fem.Function(space, name=key)
        file.read({field.stored_as: density}, field.time)
        if field.log:
            density.x.array[:] = np.exp(density.x.array)
        densities[key] = density
    return densities


def read_initial_values(
    initial: Mapping[str, Expression | RunField], comm: MPI.Comm
) -> dict[str, Expression | dolfinx.fem.Function]:
    """[initial] values with the fields of previous runs read (on those runs' meshes, collective)."""
    fields = {name: value for name, value in initial.items() if isinstance(value, RunField)}
    for name, field in fields.items():
        _log.info(f"fem-chemotaxis: initial {name} = {field}")
    values: dict[str, Expression | dolfinx.fem.Function] = {
        name: value for name, value in initial.items() if isinstance(value, Expression)
    }
    values.update(read_densities(fields, comm))
    return values


def placeholder_values(initial: Mapping[str, Any]) -> dict[str, Any]:
    """The initial values with each previous run's field replaced by 1 (a restart sets the state itself)."""
    return {name: 1.0 if isinstance(value, RunField) else value for name, value in initial.items()}


def _checkpoint_time(time: Any, times: list[float], run_dir: str, where: str) -> float:
    """The stored checkpoint time that `time` ("last" or a number) asks for."""
    available = ", ".join(f"{t:.6g}" for t in times)
    if time == LAST:
        if not times:
            raise ValueError(f"{where}: the run in '{run_dir}' has no complete checkpoint yet")
        return times[-1]
    if isinstance(time, bool) or not isinstance(time, (int, float)):
        raise ValueError(f"{where}: time must be a number or \"{LAST}\", got {time!r}")
    for t in times:
        if abs(t - time) <= _TIME_TOLERANCE * max(1.0, abs(t)):
            return t
    raise ValueError(
        f"{where}: time = {time:g} is not a checkpoint time of the run in '{run_dir}'; "
        f"available: {available} (or \"{LAST}\")"
    )
