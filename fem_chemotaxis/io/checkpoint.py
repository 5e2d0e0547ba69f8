"""Restart checkpoints: ``checkpoint.bp`` (adios4dolfinx) beside a small ``checkpoint.json``.

``checkpoint.bp`` holds the mesh with its cell and facet tags once, then named functions at
each checkpoint time; it can be read on any number of MPI ranks.  ``checkpoint.json`` is
written atomically *after* the functions of a time are complete and lists the complete
times, so a crash while writing leaves the previous checkpoint usable.

Writing a time is atomic too: the file is copied to ``.checkpoint.bp.writing``, the functions
are appended to the copy, and the copy then replaces the file (:func:`replace_directory`:
the previous file is renamed aside and removed only once the new one is in place).  A
``kill -9`` or a full disk at any moment therefore leaves a complete ``checkpoint.bp``
holding every time ``checkpoint.json`` lists (or, between the two renames, the previous one
aside, which :func:`recover_checkpoint` puts back).  The copy costs a read and a write of the
file per output time: measured 0.1-0.15 s for a 40-60 MB checkpoint (a 180 000-cell mesh, four
functions a time), next to 0.1 s for the write itself.

adios4dolfinx stores a function's dof layout once per file, from the mesh distribution that
first wrote it.  A run continued on a new distribution (a restart) therefore copies the
earlier times into a fresh file with :meth:`CheckpointFile.create` and swaps it in with
:func:`replace_directory`, instead of appending to the old file.

An adapted run changes its mesh: the times on a new mesh go into a new file
(``checkpoint-<k>.bp``), and ``checkpoint.json`` names the file it describes (``"file"``;
``checkpoint.bp`` when absent). The previous file is removed only after the JSON naming the
new one is in place, so at every moment the JSON describes a complete file.

adios4dolfinx is imported on first use: without it (the pip wheels' route has no MPI-enabled
ADIOS2 Python module) everything else in the package works, and a checkpoint fails with a
CheckpointError that says why.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import dolfinx.fem
import dolfinx.mesh

from mpi4py import MPI

from fem_chemotaxis.io.atomic import write_json_atomic
from fem_chemotaxis.mesh.tagged_mesh import TaggedMesh

__all__ = [
    "CHECKPOINT_NAME",
    "METADATA_NAME",
    "CheckpointError",
    "CheckpointFile",
    "checkpoint_path",
    "read_metadata",
    "recover_checkpoint",
    "remove_directory",
    "replace_directory",
    "write_metadata",
]

CHECKPOINT_NAME = "checkpoint.bp"
METADATA_NAME = "checkpoint.json"
_ENGINE = "BP4"
_TAGS = ("cell_tags", "facet_tags")


class CheckpointError(RuntimeError):
    """A run directory holds no usable checkpoint."""


def _adios4dolfinx() -> Any:
    """The adios4dolfinx module, or a CheckpointError naming what is missing."""
    try:
        import adios4dolfinx
    except ImportError as err:
        raise CheckpointError(
            f"checkpoints need adios4dolfinx with an MPI-enabled ADIOS2 ({err}); "
            "the pip wheels do not provide it: use Debian's python3-adios4dolfinx, conda or Docker"
        ) from None
    return adios4dolfinx


class CheckpointFile:
    """A ``checkpoint.bp`` file: a mesh with tags, and functions at checkpoint times."""

    def __init__(self, path: str | Path):
        self.path = Path(path)

    @classmethod
    def create(cls, path: str | Path, mesh: TaggedMesh) -> tuple[CheckpointFile, dict[str, Any]]:
        """Write a new file holding `mesh` and its tags (collective).

        Returns:
            The file, and the description of the mesh that :meth:`read_mesh` needs (names of
            the physical groups, source) to be stored in ``checkpoint.json``.
        """
        file = cls(path)
        if mesh.mesh.comm.rank == 0 and file.path.exists():
            shutil.rmtree(file.path)
        mesh.mesh.comm.Barrier()
        adios4dolfinx = _adios4dolfinx()
        adios4dolfinx.write_mesh(file.path, mesh.mesh, engine=_ENGINE)
        tags = []
        for name in _TAGS:
            meshtags = getattr(mesh, name)
            if meshtags is not None:
                mesh.mesh.topology.create_connectivity(meshtags.dim, 0)
                adios4dolfinx.write_meshtags(file.path, mesh.mesh, meshtags, engine=_ENGINE, meshtag_name=name)
                tags.append(name)
        description = {
            "source": mesh.source,
            "physical_groups": {name: list(group) for name, group in mesh.physical_groups.items()},
            "tags": tags,
        }
        return file, description

    def read_mesh(self, comm: MPI.Comm, description: Mapping[str, Any]) -> TaggedMesh:
        """The mesh and its tags, distributed over `comm` (any number of ranks)."""
        adios4dolfinx = _adios4dolfinx()
        mesh = adios4dolfinx.read_mesh(self.path, comm, engine=_ENGINE)
        tags = {
            name: adios4dolfinx.read_meshtags(self.path, mesh, meshtag_name=name, engine=_ENGINE)
            if name in description["tags"]
            else None
            for name in _TAGS
        }
        groups = {name: (int(dim), int(tag)) for name, (dim, tag) in description["physical_groups"].items()}
        return TaggedMesh(mesh, tags["cell_tags"], tags["facet_tags"], groups, source=description["source"])

    def write(self, functions: Mapping[str, dolfinx.fem.Function], time: float) -> None:
        """Add each function under its key at `time`, atomically (collective; module doc)."""
        comm = next(iter(functions.values())).function_space.mesh.comm
        staging = self.path.with_name(f".{self.path.name}.writing")
        error = None
        if comm.rank == 0:
            try:
                if staging.exists():
                    shutil.rmtree(staging)
                staging.mkdir()
                for part in self.path.iterdir():  # a BP4 file is a flat directory
                    shutil.copyfile(part, staging / part.name)
            except OSError as err:
                error = err
        error = comm.bcast(error, root=0)
        adios4dolfinx = _adios4dolfinx()
        try:
            if error is not None:
                raise error
            for name, function in functions.items():
                adios4dolfinx.write_function(staging, function, engine=_ENGINE, time=time, name=name)
        except BaseException:
            if comm.rank == 0:
                shutil.rmtree(staging, ignore_errors=True)
            raise
        replace_directory(staging, self.path, comm)

    def read(self, functions: Mapping[str, dolfinx.fem.Function], time: float) -> None:
        """Fill each function with the values stored under its key at `time` (collective).

        Raises:
            CheckpointError: if the file holds no such function at that time.
        """
        adios4dolfinx = _adios4dolfinx()
        for name, function in functions.items():
            try:
                adios4dolfinx.read_function(self.path, function, engine=_ENGINE, time=time, name=name)
            except KeyError as err:
                raise CheckpointError(f"{self.path} holds no '{name}' at t = {time:.17g} ({err})") from None


def write_metadata(directory: str | Path, data: Mapping[str, Any], comm: MPI.Comm) -> None:
    """Write ``checkpoint.json`` atomically (rank 0), after the functions it describes."""
    comm.Barrier()  # every rank has finished its part of the checkpoint file
    if comm.rank == 0:
        write_json_atomic(Path(directory) / METADATA_NAME, data)


def checkpoint_path(directory: str | Path, meta: Mapping[str, Any]) -> Path:
    """The checkpoint file that ``checkpoint.json`` (`meta`) describes."""
    return Path(directory) / str(meta.get("file", CHECKPOINT_NAME))


def read_metadata(directory: str | Path, comm: MPI.Comm) -> dict[str, Any]:
    """The contents of ``checkpoint.json`` (read on rank 0, broadcast).

    Raises:
        CheckpointError: if the directory holds no checkpoint, naming what is missing.
    """
    directory = Path(directory)
    result: dict[str, Any] | str
    if comm.rank == 0:
        meta = directory / METADATA_NAME
        missing = f"'{directory}' holds no checkpoint ({METADATA_NAME} and {CHECKPOINT_NAME}); it cannot be restarted"
        if not directory.is_dir():
            result = f"run directory '{directory}' does not exist"
        elif not meta.is_file():
            result = missing
        else:
            try:
                result = json.loads(meta.read_text())
            except json.JSONDecodeError as err:
                result = f"{meta} is not valid JSON: {err}"
            if isinstance(result, dict) and not checkpoint_path(directory, result).is_dir():
                result = missing
    result = comm.bcast(result if comm.rank == 0 else None, root=0)
    if isinstance(result, str):
        raise CheckpointError(result)
    return result


def remove_directory(path: str | Path, comm: MPI.Comm) -> None:
    """Remove a checkpoint file no longer named by ``checkpoint.json`` (rank 0; collective)."""
    comm.Barrier()
    if comm.rank == 0 and Path(path).exists():
        shutil.rmtree(path)
    comm.Barrier()


def recover_checkpoint(directory: str | Path, comm: MPI.Comm) -> None:
    """Finish what a crash interrupted (rank 0; collective): put a checkpoint left aside by
    :func:`replace_directory` back in place, and remove half-written copies and files of a
    new mesh that ``checkpoint.json`` does not name yet (or no longer names)."""
    comm.Barrier()
    if comm.rank == 0:
        directory = Path(directory)
        try:
            named = json.loads((directory / METADATA_NAME).read_text()).get("file", CHECKPOINT_NAME)
        except (OSError, json.JSONDecodeError, AttributeError):
            named = CHECKPOINT_NAME
        target = directory / named
        aside = _aside(target)
        if not target.exists() and aside.is_dir():
            os.replace(aside, target)
        leftovers = [aside, target.with_name(f".{target.name}.writing"), target.with_name(f".{target.name}.new")]
        leftovers += [p for p in directory.glob("checkpoint*.bp") if p.name != named]
        leftovers += list(directory.glob(".checkpoint*.bp.*"))
        for leftover in leftovers:
            if leftover.exists():
                shutil.rmtree(leftover)
    comm.Barrier()


def _aside(target: Path) -> Path:
    """Where :func:`replace_directory` keeps the previous directory until the new one is in place."""
    return target.with_name(f".{target.name}.old")


def replace_directory(new: str | Path, target: str | Path, comm: MPI.Comm) -> None:
    """Put directory `new` in the place of directory `target` (rank 0; collective).

    The old directory is renamed aside before `new` takes its name and removed only then,
    so an interruption leaves at least one complete copy.
    """
    comm.Barrier()
    if comm.rank == 0:
        target = Path(target)
        aside = _aside(target)
        if aside.exists():
            shutil.rmtree(aside)
        if target.exists():
            os.replace(target, aside)
        os.replace(new, target)
        if aside.exists():
            shutil.rmtree(aside)
    comm.Barrier()
