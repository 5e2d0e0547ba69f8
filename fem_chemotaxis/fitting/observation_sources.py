"""Where observations come from, as written in a FIT.toml, checked before anything is built.

- ``from_run``: densities of an earlier run at its checkpoint times, carried onto the fit's
  mesh (:func:`~fem_chemotaxis.mesh.transfer.transfer`);
- ``images``: grayscale pictures (PNG, TIFF: anything imageio reads) at given times, placed
  on the domain by a box ``[[x0, y0], [x1, y1]]`` (default: the mesh's bounding box); a
  pixel's gray level g in [0, 1] is the density ``low + g (high - low)`` (``range``), and the
  picture is interpolated bilinearly at the nodes of the species' space (see images.py).

- ``points``: a CSV table with the columns ``t, x, y[, z], value`` (a header row naming them):
  the species' density at points and times.

Each source loads into :class:`~fem_chemotaxis.fitting.misfit.FieldObservation` (or
:class:`~fem_chemotaxis.fitting.point_samples.PointObservation`) objects.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dolfinx.fem
import numpy as np

from mpi4py import MPI

from fem_chemotaxis.checks import number, numbers, only_keys, positive
from fem_chemotaxis.fitting.images import Box, bilinear, bounding_box, read_gray
from fem_chemotaxis.fitting.misfit import FieldObservation
from fem_chemotaxis.fitting.point_samples import PointObservation
from fem_chemotaxis.mesh.transfer import transfer

__all__ = ["ImageSeries", "PointTable", "RunFields", "existing_path", "source_from_table"]


def existing_path(name: Any, base_dir: Path, where: str, directory: bool = False) -> Path:
    """A file (or directory) named relative to `base_dir`, then the CWD; ValueError naming `where` if absent."""
    if not isinstance(name, str) or not name:
        raise ValueError(f"{where} must be a path, got {name!r}")
    path = Path(name)
    candidates = [path] if path.is_absolute() else [base_dir / path, Path.cwd() / path]
    found = next((c for c in candidates if (c.is_dir() if directory else c.is_file())), None)
    if found is None:
        raise ValueError(f"{where} = '{name}' does not exist (looked in: {', '.join(str(c) for c in candidates)})")
    return found.resolve()


def _species(value: Any, model_species: Sequence[str], where: str) -> tuple[str, ...]:
    names = (value,) if isinstance(value, str) else tuple(value) if isinstance(value, list) else None
    if not names or not all(isinstance(n, str) and n in model_species for n in names):
        raise ValueError(f"{where} species = {value!r} must name species of the model ({', '.join(model_species)})")
    return names


@dataclass(frozen=True)
class RunFields:
    """Densities of an earlier run at chosen checkpoint times."""

    run_dir: Path
    times: tuple[float, ...]
    species: tuple[str, ...]
    weight: float

    def load(self, spaces: Mapping[str, dolfinx.fem.FunctionSpace], comm: MPI.Comm) -> list[FieldObservation]:
        """The observations on the fit's spaces (collective)."""
        from fem_chemotaxis.runner import StoredRun

        stored = StoredRun(self.run_dir, comm)
        found = []
        for t in self.times:
            densities = stored.load(t)
            for name in self.species:
                values = dolfinx.fem.Function(spaces[name], name=f"observed {name}")
                transfer(densities[name], values, f"observation of {name} at t = {t:g} from {self.run_dir}")
                found.append(FieldObservation(t, name, values, self.weight))
        return found


@dataclass(frozen=True)
class ImageSeries:
    """Grayscale pictures of one species at given times, placed by a box."""

    paths: tuple[Path, ...]
    times: tuple[float, ...]
    species: str
    low: float
    high: float
    box: Box | None
    weight: float

    def load(self, spaces: Mapping[str, dolfinx.fem.FunctionSpace], comm: MPI.Comm) -> list[FieldObservation]:
        """The pictures interpolated onto the species' space (collective)."""
        space = spaces[self.species]
        points = space.tabulate_dof_coordinates()[:, :2]
        box = self.box or bounding_box(space.mesh)
        found = []
        for path, t in zip(self.paths, self.times):
            gray = read_gray(path)
            values = dolfinx.fem.Function(space, name=f"observed {self.species}")
            values.x.array[:] = self.low + (self.high - self.low) * bilinear(gray, box, points, str(path))
            found.append(FieldObservation(t, self.species, values, self.weight))
        return found


@dataclass(frozen=True)
class PointTable:
    """A species' densities at points and times, from a CSV table."""

    path: Path
    species: str
    rows: np.ndarray  # (n, 2 + dim): t, coordinates, value
    weight: float

    @classmethod
    def read(cls, path: Path, species: str, weight: float, where: str) -> PointTable:
        """Read and check the table (a header ``t,x,y[,z],value``, then numbers)."""
        lines = [line for line in path.read_text().splitlines() if line.strip()]
        header = [h.strip() for h in lines[0].split(",")] if lines else []
        if header not in (["t", "x", "y", "value"], ["t", "x", "y", "z", "value"]):
            raise ValueError(
                f"{where} points = '{path.name}': the header must be t,x,y,value or t,x,y,z,value, got {header}"
            )
        try:
            rows = np.array([[float(v) for v in line.split(",")] for line in lines[1:]], dtype=float)
        except ValueError as err:
            raise ValueError(f"{where} points = '{path.name}': {err}") from None
        if rows.ndim != 2 or rows.shape[1] != len(header) or not np.isfinite(rows).all():
            raise ValueError(f"{where} points = '{path.name}': every row needs {len(header)} finite numbers")
        return cls(path, species, rows, weight)

    def load(self, spaces: Mapping[str, dolfinx.fem.FunctionSpace], comm: MPI.Comm) -> list[PointObservation]:
        """One observation per distinct time."""
        found = []
        for t in np.unique(self.rows[:, 0]):
            rows = self.rows[self.rows[:, 0] == t]
            found.append(PointObservation(float(t), self.species, rows[:, 1:-1], rows[:, -1], self.weight))
        return found


def _times(value: Any, where: str) -> tuple[float, ...]:
    if not isinstance(value, list) or not value:
        raise ValueError(f"{where} times must be a list of numbers, got {value!r}")
    return tuple(number(t, f"{where} times") for t in value)


def source_from_table(
    table: Any, model_species: Sequence[str], base_dir: Path, where: str, comm: MPI.Comm
) -> RunFields | ImageSeries | PointTable:
    """One ``[[observations]]`` entry, checked (files exist, times and species valid)."""
    if not isinstance(table, Mapping):
        raise ValueError(f"{where} must be a table")
    weight = positive(table.get("weight", 1.0), f"{where} weight")
    if "from_run" in table:
        only_keys(table, ("from_run", "times", "species", "weight"), where.strip("[]"))
        run_dir = existing_path(table["from_run"], base_dir, f"{where} from_run", directory=True)
        from fem_chemotaxis.io.checkpoint import read_metadata

        meta = read_metadata(run_dir, comm)
        available = [float(t) for t in meta["times"]]
        times = tuple(available) if table.get("times", "all") == "all" else _times(table["times"], where)
        for t in times:
            if not any(abs(t - a) <= 1e-9 * max(1.0, abs(a)) for a in available):
                raise ValueError(
                    f"{where} times: {t:g} is not a checkpoint time of {run_dir} ({', '.join(f'{a:g}' for a in available)})"
                )
        default = [n for n in model_species if n in meta["species"]]
        species = _species(table.get("species", default), [n for n in model_species if n in meta["species"]], where)
        return RunFields(run_dir, times, species, weight)
    if "images" in table:
        only_keys(table, ("images", "times", "species", "range", "box", "weight"), where.strip("[]"))
        images = table["images"]
        if not isinstance(images, list) or not images:
            raise ValueError(f"{where} images must be a list of picture files, got {images!r}")
        paths = tuple(existing_path(p, base_dir, f"{where} images") for p in images)
        times = _times(table.get("times"), where)
        if len(times) != len(paths):
            raise ValueError(f"{where} times has {len(times)} values for {len(paths)} images")
        low, high = numbers(table.get("range", [0.0, 1.0]), 2, f"{where} range")
        box = None
        if "box" in table:
            corners = table["box"]
            if not isinstance(corners, list) or len(corners) != 2:
                raise ValueError(f"{where} box must be [[x0, y0], [x1, y1]], got {corners!r}")
            (x0, y0), (x1, y1) = (numbers(c, 2, f"{where} box") for c in corners)
            if not (x0 < x1 and y0 < y1):
                raise ValueError(f"{where} box = {corners!r} must have x0 < x1 and y0 < y1")
            box = ((x0, y0), (x1, y1))
        names = _species(table.get("species"), model_species, where)
        if len(names) != 1:
            raise ValueError(f"{where} species = {table.get('species')!r}: a picture shows one species")
        return ImageSeries(paths, times, names[0], low, high, box, weight)
    if "points" in table:
        only_keys(table, ("points", "species", "weight"), where.strip("[]"))
        names = _species(table.get("species"), model_species, where)
        if len(names) != 1:
            raise ValueError(f"{where} species = {table.get('species')!r}: a points table holds one species")
        path = existing_path(table["points"], base_dir, f"{where} points")
        return PointTable.read(path, names[0], weight, where)
    raise ValueError(f"{where} needs from_run = \"RUN_DIR\", images = [...] or points = \"FILE.csv\"")
