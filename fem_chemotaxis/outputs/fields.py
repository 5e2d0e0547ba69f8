"""Field output for ParaView: one VTX (ADIOS2 ``.bp``) file per species, with time stamps."""

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

    def open(self, sim: Simulation, directory: Path) -> None:
        """One VTX file per field in `directory`."""
        super().open(sim, directory)
        functions = [*sim.u.values(), *([sim.velocity] if self.velocity and sim.velocity is not None else [])]
        self._writers = [
            dolfinx.io.VTXWriter(sim.comm, Path(directory) / f"{u.name}.bp", [u], engine="BP4") for u in functions
        ]

    def write(self, sim: Simulation, records: Sequence[Record]) -> None:
        """Append the current values at the simulation's time."""
        for writer in self._writers:
            writer.write(sim.time)

    def close(self, sim: Simulation, records: Sequence[Record], finished: bool) -> None:
        """Flush and close the files."""
        for writer in self._writers:
            writer.close()
        self._writers = []
