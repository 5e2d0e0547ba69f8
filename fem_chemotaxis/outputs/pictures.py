"""Pictures of a run: its final state and the time series of its records."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from mpi4py import MPI

from fem_chemotaxis.outputs.output import Output, Record
from fem_chemotaxis.simulation import Simulation

__all__ = ["SPECIES_SERIES", "Pictures", "time_series_pictures"]

#: The per-species records drawn against time, with what they are (axis label and title).
SPECIES_SERIES = {
    "mass": "mass (integral over the domain)",
    "max": "maximum over the domain",
    "min": "minimum over the domain",
}


class Pictures(Output):
    """At the end of a run that finished (not one interrupted or failed), into the run directory:

    ``species.png`` (every species at the final time), ``<species>.png`` (each alone),
    ``flow.png`` (a flow's streamlines over the first species), and the time series of the
    records: ``mass.png``, ``min.png``, ``max.png`` and ``<quantity>.png``.
    """

    def write(self, sim: Simulation, records: Sequence[Record]) -> None:
        """Nothing: pictures are drawn at the end."""

    def close(self, sim: Simulation, records: Sequence[Record], finished: bool) -> None:
        """Draw the pictures (collective; rank 0 writes)."""
        from fem_chemotaxis.viz import save_species_png

        if not finished:
            return
        assert self.directory is not None
        out, title = self.directory, sim.model.name
        save_species_png(list(sim.u.values()), out / "species.png", time=sim.time, title=title)
        if sim.velocity is not None:
            from fem_chemotaxis.viz.flow import save_flow_png

            save_flow_png(next(iter(sim.u.values())), sim.velocity, out / "flow.png", time=sim.time, title=title)
        for name, u in sim.u.items():
            save_species_png([u], out / f"{name}.png", time=sim.time, title=title)
        time_series_pictures(records, out, sim.comm)


def time_series_pictures(records: Sequence[Mapping[str, Any]], out: Path, comm: MPI.Comm) -> list[Path]:
    """``mass.png``, ``min.png``, ``max.png`` of every species and ``<name>.png`` of every quantity (rank 0 writes)."""
    from fem_chemotaxis.viz import save_time_series_png

    times = [r["time"] for r in records]
    species = list(records[0]["species"]) if records else []
    paths = []
    for quantity, meaning in SPECIES_SERIES.items():
        series = {n: [r["species"][n][quantity] for r in records] for n in species}
        paths.append(out / f"{quantity}.png")
        save_time_series_png(times, series, paths[-1], ylabel=meaning, title=f"Each species' {meaning}", comm=comm)
    for name in records[0].get("quantities", {}) if records else {}:
        values = [r["quantities"][name] for r in records]
        if isinstance(values[0], list):  # a vector: one line per component
            series = {f"{name}_{axis}": [v[i] for v in values] for i, axis in enumerate("xyz"[: len(values[0])])}
        else:
            series = {name: values}
        paths.append(out / f"{name}.png")
        save_time_series_png(times, series, paths[-1], ylabel=name, comm=comm)
    return paths
