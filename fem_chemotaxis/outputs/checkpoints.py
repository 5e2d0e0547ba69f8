"""Restart checkpoints of a run: ``checkpoint.bp`` and ``checkpoint.json`` at every output time.

An adapted run's checkpoint holds the current mesh (after each re-mesh a new file
``checkpoint-<k>.bp``, which ``checkpoint.json`` names from its first write on; the previous
file is removed after that JSON is in place) and the wanted
refinement level of each cell's base cell (``adapt_level``), from which a restart rebuilds
the same mesh from the base mesh on any number of ranks.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from fem_chemotaxis.adaptivity import Adaptation
from fem_chemotaxis.adaptivity.hierarchy import LEVELS
from fem_chemotaxis.config import ConfigDocument
from fem_chemotaxis.io.checkpoint import CHECKPOINT_NAME, CheckpointFile, remove_directory, write_metadata
from fem_chemotaxis.io.growing_json import GrowingJSON
from fem_chemotaxis.outputs.output import Output, Record
from fem_chemotaxis.outputs.state import capture
from fem_chemotaxis.simulation import Simulation

__all__ = ["Checkpoints"]


class Checkpoints(Output):
    """The mesh once, then at every output time the state a restart continues from.

    ``checkpoint.json`` (written after the data it describes) lists the complete times, the
    stepper's state, the species, the config, and the records and steps up to this time, so
    that ``fem-chemotaxis run --restart`` continues the run on any number of ranks (see
    :mod:`fem_chemotaxis.io.checkpoint`) whatever summary.json holds after a crash.

    Args:
        document: The run's config, stored with the checkpoint (a restart validates it again).
        adaptation: The adaptive refinement of the run, if any.
    """

    def __init__(self, document: ConfigDocument, adaptation: Adaptation | None = None):
        self.document, self.adaptation = document, adaptation
        self._pending: CheckpointFile | None = None
        self._pending_mesh: Mapping[str, Any] = {}
        self.file: CheckpointFile | None = None
        self.mesh_description: Mapping[str, Any] = {}
        self.times: list[float] = []
        self._metadata_json = GrowingJSON("records", "steps")  # each encoded once (io/growing_json.py)

    def open(self, sim: Simulation, directory: Path) -> None:
        """A new ``checkpoint.bp`` holding the mesh and its tags."""
        super().open(sim, directory)
        self.file, self.mesh_description = CheckpointFile.create(Path(directory) / CHECKPOINT_NAME, sim.tagged_mesh)

    def resume(
        self, directory: Path, file: CheckpointFile, mesh_description: Mapping[str, Any], times: Sequence[float]
    ) -> None:
        """Continue a checkpoint file that already holds `times` (a restarted run), instead of :meth:`open`."""
        self.directory, self.file, self.mesh_description, self.times = (
            Path(directory),
            file,
            mesh_description,
            list(times),
        )

    def mesh_changed(self, sim: Simulation) -> None:
        """A new file ``checkpoint-<k>.bp`` holding the new mesh, taking over at the next write."""
        assert self.directory is not None and self.file is not None
        number = int(self.file.path.stem.partition("-")[2] or 0) + 1
        if self._pending is not None:  # re-meshed again before an output time: that file is never used
            remove_directory(self._pending.path, sim.comm)
        self._pending, self._pending_mesh = CheckpointFile.create(
            self.directory / f"checkpoint-{number}.bp", sim.tagged_mesh
        )

    def write(self, sim: Simulation, records: Sequence[Record]) -> None:
        """The state at the current time, then the description that makes it usable."""
        assert self.file is not None and self.directory is not None
        scalars, functions = capture(sim)
        if self.adaptation is not None:
            functions[LEVELS] = self.adaptation.current.level_function()
            scalars["adapt_steps"] = self.adaptation.steps_since
            scalars["adapt_rebalances"] = self.adaptation.rebalances
        previous = None
        if self._pending is not None:
            self._pending.write(functions, sim.time)
            previous, self.file, self._pending = self.file, self._pending, None
            self.mesh_description, self.times = self._pending_mesh, []
        else:
            self.file.write(functions, sim.time)
        self.times.append(sim.time)
        species = {
            sp.name: {"unknown": sim.unknowns[sp.name].name, "degree": sp.degree, "log": sp.name in sim.log_species}
            for sp in sim.model.species
        }
        write_metadata(
            self.directory,
            {
                "file": self.file.path.name,
                "times": self.times,
                "stepper": scalars,
                "species": species,
                "mesh": self.mesh_description,
                "moving_mesh": sim.moving is not None,
                "adapted_mesh": self.adaptation is not None,
                "mpi_ranks": sim.comm.size,
                "config": self.document.to_json(),
                "records": records,
                "steps": sim.history,
            },
            sim.comm,
            self._metadata_json,
        )
        if previous is not None:  # checkpoint.json now names the new file
            remove_directory(previous.path, sim.comm)
