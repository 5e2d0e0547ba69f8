"""``timeseries.csv``: mass, minimum and maximum of every species at every output time.

Runs on a moving mesh add the domain's ``volume`` and the mesh's ``min_quality`` (minimum
scaled Jacobian) as the last two columns.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from fem_chemotaxis.io.atomic import write_text_atomic

__all__ = ["MESH_QUANTITIES", "QUANTITIES", "TIMESERIES_NAME", "timeseries_csv", "write_timeseries"]

TIMESERIES_NAME = "timeseries.csv"
#: The per-species columns, in order: ``<species>_mass``, ``<species>_min``, ``<species>_max``.
QUANTITIES = ("mass", "min", "max")
#: The columns of a moving mesh (``summary.json`` records' ``"mesh"``).
MESH_QUANTITIES = ("volume", "min_quality")


def timeseries_csv(records: Sequence[Mapping[str, Any]]) -> str:
    """CSV text of summary records: a ``time`` column, then three columns per species.

    Numbers are written with ``repr``, which round-trips: the CSV holds exactly the values
    of ``summary.json``.
    """
    species = list(records[0]["species"]) if records else []
    mesh = list(MESH_QUANTITIES) if records and "mesh" in records[0] else []
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["time"] + [f"{name}_{q}" for name in species for q in QUANTITIES] + mesh)
    for record in records:
        stats = record["species"]
        writer.writerow(
            [repr(record["time"])]
            + [repr(stats[name][q]) for name in species for q in QUANTITIES]
            + [repr(record["mesh"][q]) for q in mesh]
        )
    return out.getvalue()


def write_timeseries(path: str | Path, records: Sequence[Mapping[str, Any]]) -> None:
    """Write ``timeseries.csv`` atomically."""
    write_text_atomic(path, timeseries_csv(records))
