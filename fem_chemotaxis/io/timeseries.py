"""``timeseries.csv``: mass, minimum and maximum of every species at every output time.

Runs on a moving mesh add the domain's ``volume`` and the mesh's ``min_quality`` (minimum
scaled Jacobian), adapted runs the mesh's ``cells``, ``dofs``, ``imbalance`` (largest cells per
rank over the mean) and ``rebalances`` (repartitionings so far) (the columns are the keys of
the records' ``"mesh"``); derived quantities follow last, one column each (``<name>``), or one per
coordinate for a vector (``<name>_x``, ``<name>_y``, ``<name>_z``).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from fem_chemotaxis.io.atomic import write_text_atomic
from fem_chemotaxis.io.growing_json import EncodedOnce

__all__ = ["QUANTITIES", "TIMESERIES_NAME", "TimeSeriesTable", "timeseries_csv", "write_timeseries"]

TIMESERIES_NAME = "timeseries.csv"
#: The per-species columns, in order: ``<species>_mass``, ``<species>_min``, ``<species>_max``.
QUANTITIES = ("mass", "min", "max")


def timeseries_csv(records: Sequence[Mapping[str, Any]]) -> str:
    """CSV text of summary records: a ``time`` column, then three columns per species.

    Numbers are written with ``repr``, which round-trips: the CSV holds exactly the values
    of ``summary.json``.
    """
    return TimeSeriesTable().text(records)


class TimeSeriesTable:
    """The CSV text of records that only grow from one write to the next, each row formatted once
    (the table is rewritten at every output time; formatting every row each time made a run's
    outputs cost O(outputs^2))."""

    def __init__(self) -> None:
        self._rows = EncodedOnce()

    def text(self, records: Sequence[Mapping[str, Any]]) -> str:
        """:func:`timeseries_csv` of `records`; rows of an earlier call are kept while the list is
        the same object, no shorter than before."""
        first = records[0] if records else {"species": {}}
        species = list(first["species"])
        mesh = list(first.get("mesh", {}))
        derived = dict(first.get("quantities", {}))
        columns = [c for name, value in derived.items() for c in _columns(name, value)]
        header = ["time"] + [f"{name}_{q}" for name in species for q in QUANTITIES] + mesh + columns

        def row(record: Mapping[str, Any]) -> str:
            stats = record["species"]
            values = [v for name in derived for v in _values(record["quantities"][name])]
            fields = [record["time"], *(stats[name][q] for name in species for q in QUANTITIES)]
            return ",".join(repr(v) for v in [*fields, *(record["mesh"][q] for q in mesh), *values]) + "\n"

        return _csv_line(header) + "".join(self._rows.texts(records, row))


def _csv_line(fields: Sequence[str]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow(fields)
    return out.getvalue()


def _columns(name: str, value: float | list[float]) -> list[str]:
    """The column names of a quantity: its name, or one per coordinate of a vector."""
    return [f"{name}_{axis}" for axis in "xyz"[: len(value)]] if isinstance(value, list) else [name]


def _values(value: float | list[float]) -> list[float]:
    return value if isinstance(value, list) else [value]


def write_timeseries(
    path: str | Path, records: Sequence[Mapping[str, Any]], table: TimeSeriesTable | None = None
) -> None:
    """Write ``timeseries.csv`` atomically (with `table`, rows formatted by earlier writes are kept)."""
    write_text_atomic(path, (table or TimeSeriesTable()).text(records))
