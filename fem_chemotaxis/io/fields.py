"""Field output for ParaView: one VTX (ADIOS2 ``.bp``) file per species, with time stamps."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import dolfinx.fem
import dolfinx.io

__all__ = ["FieldWriter"]


class FieldWriter:
    """Writes each species to ``<directory>/<name>.bp`` at the times it is asked to."""

    def __init__(self, functions: Iterable[dolfinx.fem.Function], directory: str | Path):
        self.writers = [
            dolfinx.io.VTXWriter(u.function_space.mesh.comm, Path(directory) / f"{u.name}.bp", [u], engine="BP4")
            for u in functions
        ]

    def write(self, time: float) -> None:
        """Append the current values of all species at `time`."""
        for writer in self.writers:
            writer.write(time)

    def close(self) -> None:
        """Flush and close the files."""
        for writer in self.writers:
            writer.close()
