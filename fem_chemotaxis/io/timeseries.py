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

__all__ = ["QUANTITIES", "TIMESERIES_NAME", "timeseries_csv", "write_timeseries"]

TIMESERIES_NAME = "timeseries.csv"
#: The per-species columns, in order: ``<species>_mass``, ``<species>_min``, ``<species>_max``.
QUANTITIES = ("mass", "min", "max")


def timeseries_csv(records: Sequence[Mapping[str, Any]]) -> str:
    """CSV text of summary records: a ``time`` column, then three columns per species.

    Numbers are written with ``repr``, which round-trips: the CSV holds exactly the values
    of ``summary.json``.
    """
    species = list(records[0]["species"]) if records else []
    mesh = list(records[0]["mesh"]) if records and "mesh" in records[0] else []
    derived = dict(records[0].get("quantities", {})) if records else {}
    columns = [c for name, value in derived.items() for c in _columns(name, value)]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["time"] + [f"{name}_{q}" for name in species for q in QUANTITIES] + mesh + columns)
    for record in records:
        stats = record["species"]
        values = [v for name in derived for v in _values(record["quantities"][name])]
        writer.writerow(
            [repr(record["time"])]
            + [repr(stats[name][q]) for name in species for q in QUANTITIES]
            + [repr(record["mesh"][q]) for q in mesh]
            + [repr(v) for v in values]
        )
    return out.getvalue()


def _columns(name: str, value: float | list[float]) -> list[str]:
    """The column names of a quantity: its name, or one per coordinate of a vector."""
    return [f"{name}_{axis}" for axis in "xyz"[: len(value)]] if isinstance(value, list) else [name]


def _values(value: float | list[float]) -> list[float]:
    return value if isinstance(value, list) else [value]


def write_timeseries(path: str | Path, records: Sequence[Mapping[str, Any]]) -> None:
    """Write ``timeseries.csv`` atomically."""
    write_text_atomic(path, timeseries_csv(records))
