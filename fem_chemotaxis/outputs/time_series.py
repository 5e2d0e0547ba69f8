"""``timeseries.csv``: the records of all output times as one table, rewritten at each of them."""

from __future__ import annotations

from collections.abc import Sequence

from fem_chemotaxis.io.timeseries import TIMESERIES_NAME, TimeSeriesTable, write_timeseries
from fem_chemotaxis.outputs.output import Output, Record
from fem_chemotaxis.simulation import Simulation

__all__ = ["TimeSeries"]


class TimeSeries(Output):
    """``timeseries.csv`` (rank 0, atomically): exactly the numbers of the records."""

    def __init__(self) -> None:
        super().__init__()
        self._table = TimeSeriesTable()  # each row formatted once

    def write(self, sim: Simulation, records: Sequence[Record]) -> None:
        """Rewrite the table with every record so far."""
        assert self.directory is not None
        if sim.comm.rank == 0:
            write_timeseries(self.directory / TIMESERIES_NAME, records, self._table)
