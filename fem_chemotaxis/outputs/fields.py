"""Field output for ParaView: one VTX (ADIOS2 ``.bp``) file per species, with time stamps.

A VTX file holds one mesh: an adapted run starts new files on each new mesh,
``<species>_mesh<k>.bp`` for the k-th mesh written (``<species>.bp`` holds the first).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import dolfinx.io

from fem_chemotaxis.outputs.output import Output, Record
from fem_chemotaxis.simulation import Simulation

__all__ = ["Fields"]


class Fields(Output):
    """``<species>.bp`` (and ``velocity.bp`` of a flow): the fields at every output time.

    Args:
        velocity: Also write the velocity of a model with a flow.
    """

    def __init__(self, velocity: bool = True):
        self.velocity = velocity
        self._writers: list[dolfinx.io.VTXWriter] = []
        self.meshes = 0  # how many meshes have files before the current one

    def open(self, sim: Simulation, directory: Path) -> None:
        """One VTX file per field in `directory`."""
        super().open(sim, directory)
        self._open_files(sim)

    def _open_files(self, sim: Simulation) -> None:
        assert self.directory is not None
        suffix = f"_mesh{self.meshes}" if self.meshes else ""
        functions = [*sim.u.values(), *([sim.velocity] if self.velocity and sim.velocity is not None else [])]
        self._writers = [
            dolfinx.io.VTXWriter(sim.comm, self.directory / f"{u.name}{suffix}.bp", [u], engine="BP4")
            for u in functions
        ]

    def mesh_changed(self, sim: Simulation) -> None:
        """Close the files of the old mesh; the next write starts ``<field>_mesh<k>.bp`` on the new one."""
        if self._writers:
            for writer in self._writers:
                writer.close()
            self._writers = []
            self.meshes += 1

    def write(self, sim: Simulation, records: Sequence[Record]) -> None:
        """Append the current values at the simulation's time."""
        if not self._writers:
            self._open_files(sim)
        for writer in self._writers:
            writer.write(sim.time)

    def close(self, sim: Simulation, records: Sequence[Record], finished: bool) -> None:
        """Flush and close the files."""
        for writer in self._writers:
            writer.close()
        self._writers = []
