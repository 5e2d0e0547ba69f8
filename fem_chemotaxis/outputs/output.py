"""What a run writes into its run directory, as objects a script chooses and extends.

A run opens each :class:`Output` once (with the simulation and the directory), calls
:meth:`Output.write` at every output time, after appending that time's record (statistics
of every species, the mesh of a moving run, derived quantities) to the records, and
:meth:`Output.close` once at its end, whatever happened; an adapted run calls
:meth:`Output.mesh_changed` when it continues on a new mesh. A new kind of output is a
subclass with a ``write``::

    class PeakLocation(fc.Output):
        def write(self, sim, records):
            ...  # e.g. append the location of max u to a file of self.directory
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from fem_chemotaxis.simulation import Simulation

__all__ = ["Output", "Record"]

#: One output time's record: ``{"time", "species": {name: {mass, min, max}}, "mesh"?, "quantities"?}``.
Record = Mapping[str, Any]


class Output(ABC):
    """Something a run writes at its output times (and at its end)."""

    #: The run directory, once opened.
    directory: Path | None = None

    def open(self, sim: Simulation, directory: Path) -> None:
        """Prepare to write into `directory` (it exists); called once, before the first write."""
        self.directory = Path(directory)

    @abstractmethod
    def write(self, sim: Simulation, records: Sequence[Record]) -> None:
        """Write the state at the current output time; `records[-1]` is its record (collective)."""

    def mesh_changed(self, sim: Simulation) -> None:  # noqa: B027 (optional)
        """The run continues with `sim` on a new mesh (adaptive refinement); called before its next write."""

    def close(self, sim: Simulation, records: Sequence[Record], finished: bool) -> None:  # noqa: B027 (optional)
        """The run is over; `finished` is False when it was interrupted or failed (collective)."""
