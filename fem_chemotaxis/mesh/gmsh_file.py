"""Reading gmsh ``.msh`` files into distributed, named DOLFINx meshes.

Only rank 0 touches gmsh, which is imported when first needed (importing this module does
not require it); the mesh is then distributed over the communicator. The helpers
`gmsh_model`, `on_root` and `model_to_tagged_mesh` are shared with
:mod:`fem_chemotaxis.mesh.generators`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
from dolfinx.io.gmsh import model_to_mesh
from dolfinx.mesh import GhostMode, create_cell_partitioner

from mpi4py import MPI

from fem_chemotaxis.mesh.tagged_mesh import TaggedMesh

__all__ = ["read_gmsh"]

T = TypeVar("T")

#: gmsh element types DOLFINx can build a mesh of (Lagrange cells of degree 1 to 3).
_SUPPORTED_CELLS = {
    1: "interval", 8: "interval", 26: "interval",
    2: "triangle", 9: "triangle", 21: "triangle",
    3: "quadrilateral", 10: "quadrilateral", 36: "quadrilateral",
    4: "tetrahedron", 11: "tetrahedron", 29: "tetrahedron",
    5: "hexahedron", 12: "hexahedron", 92: "hexahedron",
}  # fmt: skip


@contextmanager
def gmsh_model(comm: MPI.Comm, name: str, options: Mapping[str, float] | None = None) -> Iterator[Any]:
    """A fresh, quiet gmsh model on rank 0 for the duration of the block.

    gmsh is initialised (and finalised afterwards) only if the caller has not already done
    so; otherwise the caller's current model and the options changed here are restored.

    Args:
        comm: Communicator whose rank 0 runs gmsh.
        name: Name of the temporary gmsh model.
        options: Numeric gmsh options to set for the block (General.Terminal is set to 0).

    Yields:
        The `gmsh.model` module on rank 0, None on the other ranks.
    """
    if comm.rank != 0:
        yield None
        return
    import gmsh

    owner = not gmsh.isInitialized()
    if owner:
        gmsh.initialize(readConfigFiles=False)
    settings = {"General.Terminal": 0, **(options or {})}
    saved = {key: gmsh.option.getNumber(key) for key in settings}
    previous = gmsh.model.getCurrent()
    for key, value in settings.items():
        gmsh.option.setNumber(key, value)
    gmsh.model.add(name)
    try:
        yield gmsh.model
    finally:
        if owner:
            gmsh.finalize()
        else:
            gmsh.model.remove()
            gmsh.model.setCurrent(previous)
            for key, value in saved.items():
                gmsh.option.setNumber(key, value)


def on_root(comm: MPI.Comm, task: Callable[[], T]) -> T:
    """Run `task` on rank 0 and broadcast its result, or raise its exception on every rank.

    Keeps the ranks in step: a failure on rank 0 never leaves the others waiting in a
    collective call.
    """
    result, error = None, None
    if comm.rank == 0:
        try:
            result = task()
        except Exception as exc:  # re-raised below, on every rank
            error = exc
    result, remote_error = comm.bcast((result, error), root=0)
    if error is not None:
        raise error
    if remote_error is not None:
        raise remote_error
    return result


def model_to_tagged_mesh(model: Any, comm: MPI.Comm, gdim: int, source: str) -> TaggedMesh:
    """Distribute rank 0's gmsh `model` (None elsewhere) over `comm` as a TaggedMesh.

    Cells sharing a facet with another rank are ghosted (as in DOLFINx's built-in meshes),
    so that interior-facet integrals, e.g. over an internal interface, work in parallel.
    """
    partitioner = create_cell_partitioner(GhostMode.shared_facet, 2)
    data = model_to_mesh(model, comm, rank=0, gdim=gdim, partitioner=partitioner)
    groups = {name: (int(g.dim), int(g.tag)) for name, g in data.physical_groups.items()}
    return TaggedMesh(data.mesh, data.cell_tags, data.facet_tags, groups, source=source)


def _missing_file_message(path: Path) -> str:
    """Say that `path` does not exist and list the .msh files next to where it should be."""
    folder = path.parent
    if folder.is_dir():
        found = sorted(p.name for p in folder.glob("*.msh"))
        listing = f"; .msh files in {folder}: {', '.join(found) if found else '(none)'}"
    else:
        listing = f"; the folder {folder} does not exist either"
    return f"mesh file {path} does not exist{listing}"


def _inspect(path: Path, gdim: int | None) -> int:
    """Load `path` into the current gmsh model, check it, and return the geometric dimension.

    Unnamed physical groups are named ``unnamed_<dim>_<tag>``.
    """
    import gmsh

    if path.suffix.lower() != ".msh":
        raise ValueError(f"mesh file {path} is not a gmsh .msh file")
    if not path.is_file():
        raise ValueError(_missing_file_message(path))
    try:
        gmsh.merge(str(path))
    except Exception as exc:
        raise ValueError(f"gmsh cannot read mesh file {path}: {exc}") from exc

    cell_types = {dim: gmsh.model.mesh.getElementTypes(dim) for dim in range(4)}
    tdim = max((dim for dim, types in cell_types.items() if len(types)), default=None)
    if tdim is None or tdim == 0:
        raise ValueError(f"mesh file {path} contains no mesh cells")
    types = cell_types[tdim]
    cell_names = sorted(gmsh.model.mesh.getElementProperties(t)[0] for t in types)
    if len(types) > 1:
        raise ValueError(
            f"mesh file {path} mixes cell types ({', '.join(cell_names)}); "
            "only meshes of a single cell type are supported"
        )
    if int(types[0]) not in _SUPPORTED_CELLS:
        raise ValueError(
            f"mesh file {path} has unsupported cells ({cell_names[0]}); supported: "
            f"{', '.join(sorted(set(_SUPPORTED_CELLS.values())))} of degree 1-3"
        )

    groups = gmsh.model.getPhysicalGroups()
    if not groups:
        raise ValueError(
            f"mesh file {path} has no physical groups; at least one group of "
            f"dimension {tdim} covering all cells is needed"
        )
    for dim, tag in groups:
        if not gmsh.model.getPhysicalName(dim, tag):
            gmsh.model.setPhysicalName(dim, tag, f"unnamed_{dim}_{tag}")
    names = [gmsh.model.getPhysicalName(dim, tag) for dim, tag in groups]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise ValueError(f"mesh file {path} uses the physical-group names {', '.join(duplicates)} more than once")

    blocks = [
        cells
        for dim, tag in groups if dim == tdim
        for entity in gmsh.model.getEntitiesForPhysicalGroup(dim, tag)
        for cells in gmsh.model.mesh.getElements(tdim, entity)[1]
    ]  # fmt: skip
    grouped = np.concatenate(blocks) if blocks else np.empty(0, dtype=np.uint64)
    num_cells = sum(len(cells) for cells in gmsh.model.mesh.getElements(tdim)[1])
    num_grouped = len(np.unique(grouped))
    if num_grouped != num_cells:
        raise ValueError(
            f"mesh file {path}: {num_cells - num_grouped} of its {num_cells} cells "
            f"are in no physical group of dimension {tdim}"
        )
    if len(grouped) != num_grouped:
        raise ValueError(f"mesh file {path}: some cells are in more than one physical group of dimension {tdim}")

    x = gmsh.model.mesh.getNodes()[1].reshape(-1, 3)
    tol = 1e-12 * max(1.0, float(np.abs(x).max()))
    needed = max([tdim] + [k + 1 for k in range(3) if np.abs(x[:, k]).max() > tol])
    if gdim is None:
        return needed
    if gdim not in (1, 2, 3) or gdim < needed:
        raise ValueError(
            f"gdim={gdim!r} does not fit mesh file {path}: its cells are "
            f"{tdim}-D and its nodes need {needed} coordinates"
        )
    return gdim


def read_gmsh(path: str | Path, comm: MPI.Comm, gdim: int | None = None) -> TaggedMesh:
    """Read a gmsh ``.msh`` file on rank 0 and distribute it over `comm`.

    Args:
        path: The .msh file (as seen from rank 0).
        comm: Communicator the mesh is distributed over.
        gdim: Geometric dimension; by default the smallest that holds the nodes and the
            cells (a planar mesh with all z = 0 is 2-D).

    Returns:
        The mesh, its cell and facet tags and its physical groups by name.

    Raises:
        ValueError: if the file is missing, not a readable .msh file, has no physical
            groups, has cells outside the cell groups, has mixed or unsupported cell types,
            or does not fit `gdim`. The message names the file.
    """
    path = Path(path)
    with gmsh_model(comm, f"read_gmsh {path.name}") as model:
        geometric_dim = on_root(comm, lambda: _inspect(path, gdim))
        return model_to_tagged_mesh(model, comm, geometric_dim, source=str(path))
