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
aside, which :func:`recover_checkpoint` puts back).

So that a write does not cost more with every time a run has written, the file's times are kept
in *parts*: the file's own BP4 data (part ".", with the mesh) takes times until it holds
:data:`PART_GROWTH` times the bytes of its first write, then a part ``part-1.bp`` inside the
file takes the next ones, and so on; ``parts.json`` in the file lists each part's times. A write
copies only the part it appends to; the parts before it are never written again, and the copy
holds hard links to their files (a copy where the file system has no hard links). Each part
stores the functions' dof layouts once, so the parts cost disk: 200 writes of 6 functions of
3.6e4 values (serial) took 30.7 s with the whole file copied each time (a write 59 ms at first,
270 ms at the end) and 11.6 s in parts (41-71 ms throughout), 353 and 434 MB on disk.

adios4dolfinx stores a function's dof layout once per BP4 file (here: per part), numbered by
the mesh distribution that wrote the file's mesh.  A run continued on a new distribution (a
restart) therefore copies the earlier times into a fresh file with :meth:`CheckpointFile.create`
and swaps it in with :func:`replace_directory`, instead of appending to the old file.

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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dolfinx.fem
import dolfinx.mesh

from mpi4py import MPI

from fem_chemotaxis.io.atomic import write_text_atomic
from fem_chemotaxis.io.growing_json import GrowingJSON
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
#: A part of a checkpoint file takes no more times once it holds this many times the bytes of its
#: first write (which holds the functions' dof layouts, and in the file itself the mesh): a write
#: copies only that part, the earlier parts are hard-linked (module doc).
PART_GROWTH = 4
_PARTS_INDEX = "parts.json"


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
        parts, directory, new, error = None, ".", False, None
        if comm.rank == 0:
            try:
                parts = _Parts.read(self.path)
                directory, new = parts.next_part()
                parts.stage(staging, directory, new)
            except OSError as err:
                error = err
        error, directory, new = comm.bcast((error, directory, new), root=0)
        adios4dolfinx = _adios4dolfinx()
        try:
            if error is not None:
                raise error
            from adios2 import Mode

            for k, (name, function) in enumerate(functions.items()):
                mode = Mode.Write if new and k == 0 else Mode.Append
                adios4dolfinx.write_function(
                    staging / directory, function, engine=_ENGINE, mode=mode, time=time, name=name
                )
            if parts is not None:
                parts.add(staging, time, directory, new)
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
        comm = next(iter(functions.values())).function_space.mesh.comm
        directory = comm.bcast(_Parts.read(self.path).holding(time) if comm.rank == 0 else None, root=0)
        for name, function in functions.items():
            try:
                adios4dolfinx.read_function(self.path / directory, function, engine=_ENGINE, time=time, name=name)
            except KeyError as err:
                raise CheckpointError(f"{self.path} holds no '{name}' at t = {time:.17g} ({err})") from None


@dataclass
class _Parts:
    """Where the times of a checkpoint file are (rank 0): the file's own BP4 data (part "."),
    then parts ``part-<k>.bp`` inside it, listed in its ``parts.json`` (module doc).

    Attributes:
        path: The checkpoint file.
        parts: Each part's directory (relative to the file), its times, and its size in bytes
            after its first write.
    """

    path: Path
    parts: list[dict[str, Any]]

    @classmethod
    def read(cls, path: Path) -> _Parts:
        """The parts of the file at `path` (a file without ``parts.json`` is one part, ".")."""
        index = path / _PARTS_INDEX
        if not index.is_file():
            return cls(path, [{"dir": ".", "times": [], "first_bytes": None}])
        return cls(path, json.loads(index.read_text())["parts"])

    def next_part(self) -> tuple[str, bool]:
        """The part the next time goes into, and whether it is a new one."""
        last = self.parts[-1]
        if last["first_bytes"] is None or _size(self.path / last["dir"]) < PART_GROWTH * last["first_bytes"]:
            return str(last["dir"]), False
        return f"part-{len(self.parts)}.bp", True

    def stage(self, staging: Path, directory: str, new: bool) -> None:
        """Make `staging` a copy of the file: hard links to its files but those of the part
        `directory` that is appended to (copied) and the index (written anew by :meth:`add`)."""
        if staging.exists():
            shutil.rmtree(staging)
        staging.mkdir()
        appended = None if new else self.path / directory
        for source in sorted(self.path.rglob("*")):
            target = staging / source.relative_to(self.path)
            if source.is_dir():
                target.mkdir()
            elif source.name == _PARTS_INDEX:
                continue
            elif source.parent == appended:
                shutil.copyfile(source, target)
            else:
                _link_or_copy(source, target)

    def add(self, staging: Path, time: float, directory: str, new: bool) -> None:
        """Record `time` in the part `directory` just written in `staging`, in its ``parts.json``."""
        if new:
            self.parts.append({"dir": directory, "times": [], "first_bytes": None})
        last = self.parts[-1]
        last["times"].append(time)
        if last["first_bytes"] is None:
            last["first_bytes"] = _size(staging / directory)
        (staging / _PARTS_INDEX).write_text(json.dumps({"parts": self.parts}))

    def holding(self, time: float) -> str:
        """The part holding `time` (the file itself, ".", for a time no part lists: a file
        written before parts existed)."""
        return next((str(part["dir"]) for part in self.parts if time in part["times"]), ".")


def _size(part: Path) -> int:
    """Bytes of one part's BP4 data (its own files, not the index or parts inside it)."""
    return sum(f.stat().st_size for f in part.iterdir() if f.is_file() and f.name != _PARTS_INDEX)


def _link_or_copy(source: Path, target: Path) -> None:
    """A hard link to a file no longer written (a copy where the file system has none)."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


def write_metadata(
    directory: str | Path, data: Mapping[str, Any], comm: MPI.Comm, encoder: GrowingJSON | None = None
) -> None:
    """Write ``checkpoint.json`` atomically (rank 0), after the functions it describes.

    Its ``"records"`` and ``"steps"`` (mappings or dataclasses) are encoded by `encoder`, which
    keeps those of earlier writes (a new one by default).
    """
    comm.Barrier()  # every rank has finished its part of the checkpoint file
    if comm.rank == 0:
        encoder = encoder or GrowingJSON("records", "steps")
        write_text_atomic(Path(directory) / METADATA_NAME, encoder.dumps(data))


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
