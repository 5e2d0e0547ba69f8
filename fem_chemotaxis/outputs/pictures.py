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
        """Draw the pictures (collective): the ranks take turns, picture k is rank k % size's
        (a picture takes 0.1-0.3 s; on two ranks two are drawn at a time)."""
        from fem_chemotaxis.viz import SpeciesPictures

        if not finished:
            return
        assert self.directory is not None
        out, title = self.directory, sim.model.name
        species = {out / "species.png": list(sim.u.values())} | {out / f"{n}.png": [u] for n, u in sim.u.items()}
        pictures = SpeciesPictures(sim.comm)
        for path, shown in species.items():
            pictures.add(shown, path, time=sim.time, title=title)
        pictures.draw()
        time_series_pictures(records, out, sim.comm, first_rank=len(species))
        if sim.velocity is not None:
            from fem_chemotaxis.viz.flow import save_flow_png

            save_flow_png(next(iter(sim.u.values())), sim.velocity, out / "flow.png", time=sim.time, title=title)
        sim.comm.Barrier()  # every picture is written when the run returns


def time_series_pictures(
    records: Sequence[Mapping[str, Any]], out: Path, comm: MPI.Comm, first_rank: int = 0
) -> list[Path]:
    """``mass.png``, ``min.png``, ``max.png`` of every species and ``<name>.png`` of every quantity.

    Picture k is drawn by rank (`first_rank` + k) % size (from the records every rank holds);
    not collective. Returns every picture's path on every rank.
    """
    from fem_chemotaxis.viz import save_time_series_png

    def draw(times: Sequence[float], series: Mapping[str, Sequence[float]], path: Path, **labels: Any) -> None:
        if (first_rank + len(paths)) % comm.size == comm.rank:
            save_time_series_png(times, series, path, comm=MPI.COMM_SELF, **labels)
        paths.append(path)

    times = [r["time"] for r in records]
    species = list(records[0]["species"]) if records else []
    paths: list[Path] = []
    for quantity, meaning in SPECIES_SERIES.items():
        series = {n: [r["species"][n][quantity] for r in records] for n in species}
        draw(times, series, out / f"{quantity}.png", ylabel=meaning, title=f"Each species' {meaning}")
    for name in records[0].get("quantities", {}) if records else {}:
        values = [r["quantities"][name] for r in records]
        if isinstance(values[0], list):  # a vector: one line per component
            series = {f"{name}_{axis}": [v[i] for v in values] for i, axis in enumerate("xyz"[: len(values[0])])}
        else:
            series = {name: values}
        draw(times, series, out / f"{name}.png", ylabel=name)
    return paths
