"""Limits a config must keep before anything is built: finite numbers, a run length that
fits in a summary, and a mesh that fits in memory.

- Every number anywhere in the document must be finite: TOML accepts ``inf`` and ``nan``,
  which no key of a run means (:func:`check_finite_numbers`), except ``limiter_threshold = inf``
  (no limiting).
- At most :data:`MAX_OUTPUT_TIMES` output times (``t_end / [output] interval``).
- A built-in mesh or a mesh generator's request is estimated in memory (mesh plus solver,
  from the cell and unknown counts) and refused when the estimate exceeds the memory
  available (:func:`check_mesh_memory`); the message gives both figures.  The estimate is
  deliberately low (measured on this code: 2-D runs use about 0.3 kB per cell for the mesh
  plus 0.7 kB per unknown with the iterative solver; 3-D runs with LU need far more), so a
  refusal means the run cannot fit, not that it might not.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from mpi4py import MPI

from fem_chemotaxis.mesh.generators import generator
from fem_chemotaxis.model.model import Model

__all__ = [
    "MAX_OUTPUT_TIMES",
    "available_memory",
    "check_finite_numbers",
    "check_mesh_memory",
    "check_output_count",
    "estimate_run_memory",
]

#: Most output times a run may ask for (each is a record in summary.json and a checkpoint).
MAX_OUTPUT_TIMES = 100_000
#: Bytes per mesh cell (DOLFINx topology and geometry; measured 250 B in 2-D, 320 B in 3-D).
_BYTES_PER_CELL = 250
#: Bytes per unknown of the solver (matrix row, vectors, preconditioner; measured 0.7 kB in 2-D).
_BYTES_PER_UNKNOWN = {2: 700, 3: 2000}
#: Cells per unit area or volume of a simplex mesh of edge length h, times h^dim.
_CELLS_PER_H = {2: 1 / (math.sqrt(3) / 4), 3: 1 / (1 / (6 * math.sqrt(2)))}

Fail = Callable[[str], Exception]
#: The one key whose value may be infinite: a flux limiter's threshold (inf: no limiting).
_NO_LIMIT = re.compile(r"limiter_threshold$")


def check_finite_numbers(data: Any, fail: Fail, path: str = "") -> None:
    """Refuse ``inf`` and ``nan`` anywhere in a TOML document, naming the key and the value."""
    if isinstance(data, Mapping):
        for key, value in data.items():
            check_finite_numbers(value, fail, f"{path}.{key}" if path else str(key))
    elif isinstance(data, list):
        for k, value in enumerate(data):
            check_finite_numbers(value, fail, f"{path}[{k}]")
    elif isinstance(data, float) and not math.isfinite(data) and not (data == math.inf and _NO_LIMIT.search(path)):
        table, _, key = path.rpartition(".")
        where = f"[{table}] {key}" if table else key
        raise fail(f"{where} = {data} is not a finite number")


def check_output_count(t_end: float, interval: float, fail: Fail) -> None:
    """Refuse runs with more than MAX_OUTPUT_TIMES output times."""
    count = t_end / interval
    if count > MAX_OUTPUT_TIMES:
        raise fail(
            f"[output] interval = {interval:g} gives {count:.3g} output times up to t_end = {t_end:g}; "
            f"at most {MAX_OUTPUT_TIMES} are allowed"
        )


def estimate_run_memory(cells: float, unknowns: float, dim: int) -> float:
    """A low estimate of the bytes a run needs: its mesh and its solver."""
    return cells * _BYTES_PER_CELL + unknowns * _BYTES_PER_UNKNOWN[dim]


def available_memory(comm: MPI.Comm = MPI.COMM_WORLD) -> float:
    """Bytes of memory available to this machine's processes (read on rank 0, broadcast).

    MemAvailable of /proc/meminfo, capped by a cgroup limit; infinite where neither is known.
    """
    found = math.inf
    if comm.rank == 0:
        try:
            for line in Path("/proc/meminfo").read_text().splitlines():
                if line.startswith("MemAvailable:"):
                    found = float(line.split()[1]) * 1024
        except OSError:
            pass
        try:
            limit = Path("/sys/fs/cgroup/memory.max").read_text().strip()
            if limit.isdigit():
                found = min(found, float(limit))
        except OSError:
            pass
    return comm.bcast(found, root=0)


def check_mesh_memory(
    builtin: str | None,
    cells: tuple[int, ...],
    generator: str | None,
    parameters: Mapping[str, Any],
    model: Model,
    fail: Fail,
) -> None:
    """Refuse a built-in or generated mesh whose run needs more memory than is available.

    Collective over COMM_WORLD (every rank validates the same config).
    """
    if builtin is not None:
        dim = len(cells)
        count: float = math.prod(cells) * (2 if dim == 2 else 6)
        request = f"[mesh] cells = {list(cells)}"
    elif generator is not None:
        estimate = _generated_cells(generator, parameters)
        if estimate is None:
            return
        count, dim = estimate
        request = f"[mesh] generator = '{generator}' with size = {parameters.get('size', 'default')}"
    else:
        return
    vertices = count / (2 if dim == 2 else 5)  # vertices per cell of a large simplex mesh
    unknowns = sum(vertices * sp.degree**dim for sp in model.species)
    needed = estimate_run_memory(count, unknowns, dim)
    available = available_memory()
    if needed > available:
        raise fail(
            f"{request} asks for about {count:.3g} cells and {unknowns:.3g} unknowns, which need at "
            f"least {_gib(needed)} of memory; {_gib(available)} is available"
        )


def _generated_cells(name: str, parameters: Mapping[str, Any]) -> tuple[float, int] | None:
    """Cells (at least) and dimension of a generator's mesh: its bounding box over size^dim."""
    full = dataclasses.asdict(generator(name, **parameters))
    dim = 3 if name == "vessel-block" or full.get("dim") == 3 else 2
    extents = [full[key] for key in ("length", "width", "height", "depth") if key in full][:dim]
    size = full["size"]
    numbers = [size, *extents]
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0 for v in numbers):
        return None  # the generator itself refuses these, naming the parameter
    return math.prod(float(e) / size for e in extents) * _CELLS_PER_H[dim], dim  # inf, never OverflowError


def _gib(nbytes: float) -> str:
    return f"{nbytes / 2**30:.3g} GiB"
