"""A run directory read back: its config, output times, mesh and species at a checkpoint time.

Works on any number of MPI ranks, on finished runs and on runs still going (it sees the
output times checkpointed so far). Species solved in log-density variables are read back as
densities, and the mesh of a moving run is moved to its positions of the time read.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import dolfinx.fem
import numpy as np

from mpi4py import MPI

from fem_chemotaxis.config import ConfigDocument, RunConfig
from fem_chemotaxis.io.checkpoint import CheckpointFile, checkpoint_path, read_metadata
from fem_chemotaxis.io.run_directory import read_summary
from fem_chemotaxis.mesh.tagged_mesh import TaggedMesh
from fem_chemotaxis.motion import POSITION, place_geometry

__all__ = ["StoredRun"]


class StoredRun:
    """The checkpoint of a run directory, with its summary and config.

    Args:
        directory: A run directory written by :func:`~fem_chemotaxis.runner.run`.
        comm: Communicator to read the mesh and fields on (collective).

    Attributes:
        times: The complete checkpoint (output) times.
        summary: The run's ``summary.json`` (None if absent).
        mesh: The mesh with its named groups (moved to the last time :meth:`load` read).
        densities: One density Function per species (named after it), filled by :meth:`load`.

    Raises:
        CheckpointError: if the directory holds no checkpoint.
    """

    def __init__(self, directory: str | Path, comm: MPI.Comm = MPI.COMM_WORLD):
        self.directory = Path(directory)
        self.metadata: dict[str, Any] = read_metadata(self.directory, comm)
        self.summary = read_summary(self.directory, comm)
        self.times: list[float] = list(self.metadata["times"])
        self._file = CheckpointFile(checkpoint_path(self.directory, self.metadata))
        self.mesh: TaggedMesh = self._file.read_mesh(comm, self.metadata["mesh"])
        domain = self.mesh.mesh
        self._unknowns: dict[str, dolfinx.fem.Function] = {}
        if self.metadata.get("moving_mesh"):  # the mesh of each time: the reference moved to its positions
            gdim = domain.geometry.dim
            space = dolfinx.fem.functionspace(domain, ("Lagrange", domain.geometry.cmaps[0].degree, (gdim,)))
            self._unknowns[POSITION] = dolfinx.fem.Function(space)
        self.densities: dict[str, dolfinx.fem.Function] = {}
        self._log: dict[str, bool] = {}
        for name, info in self.metadata["species"].items():
            V = dolfinx.fem.functionspace(domain, ("Lagrange", info["degree"]))
            self._unknowns[info["unknown"]] = dolfinx.fem.Function(V)
            self.densities[name] = dolfinx.fem.Function(V, name=name)
            self._log[name] = bool(info["log"])

    @property
    def config(self) -> RunConfig:
        """The run's config, validated again."""
        return ConfigDocument.from_json(self.metadata["config"]).parse()

    def load(self, time: float) -> dict[str, dolfinx.fem.Function]:
        """Read the densities (and mesh positions) at checkpoint time `time`; returns :attr:`densities`."""
        self._file.read(self._unknowns, time)
        if POSITION in self._unknowns:
            place_geometry(self.mesh.mesh, self._unknowns[POSITION])
        for name, info in self.metadata["species"].items():
            values = self._unknowns[info["unknown"]].x.array
            self.densities[name].x.array[:] = np.exp(values) if self._log[name] else values
        return self.densities

    def load_previous(self, time: float) -> dict[str, dolfinx.fem.Function]:
        """The densities one step before checkpoint time `time` (new Functions, one per species).

        The checkpoint keeps them to restart two-step schemes; that step's size is
        :attr:`dt_previous` for the last checkpoint time.
        """
        before = {}
        for name, info in self.metadata["species"].items():
            unknown = dolfinx.fem.Function(self.densities[name].function_space)
            self._file.read({f"previous_{info['unknown']}": unknown}, time)
            values = unknown.x.array
            before[name] = dolfinx.fem.Function(unknown.function_space, name=name)
            before[name].x.array[:] = np.exp(values) if self._log[name] else values
        return before

    @property
    def dt_previous(self) -> float:
        """The size of the step that ended at the last checkpoint time."""
        return float(self.metadata["stepper"]["dt_previous"])

    def select_times(self, request: str) -> list[float]:
        """The output times `request` picks: "all", "last" or comma-separated numbers.

        Raises:
            ValueError: if a requested time is not within 1e-6 (relative to the last time) of
                an output time; the message lists the output times.
        """
        return select_times(self.times, request)


def select_times(available: Sequence[float], request: str) -> list[float]:
    """The times `request` ('all', 'last' or comma-separated numbers) picks from `available`."""
    if request == "all":
        return list(available)
    if request == "last":
        return [available[-1]]
    tolerance = 1e-6 * max(1.0, abs(available[-1]))
    chosen = []
    for item in request.split(","):
        try:
            wanted = float(item)
        except ValueError:
            raise ValueError(f"--times: '{item}' is not a number (or use 'all' / 'last')") from None
        nearest = min(available, key=lambda t: abs(t - wanted))
        if abs(nearest - wanted) > tolerance:
            listed = ", ".join(f"{t:.6g}" for t in available)
            raise ValueError(f"--times: {wanted:g} is not an output time of this run; they are: {listed}")
        chosen.append(nearest)
    return chosen
