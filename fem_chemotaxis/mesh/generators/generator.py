"""The frame every parametric geometry shares: parameters, their checks, meshing and writing.

A generator is a frozen dataclass whose fields are its parameters with their defaults,
spelled once: ``TissueSection(size=0.02)`` checks them at once (ValueError naming the
generator and the parameter, on every rank), :meth:`Generator.mesh` builds the gmsh model on
rank 0 and distributes the mesh, :meth:`Generator.write` saves it as a .msh file instead.
gmsh is imported only when a mesh is built.

Every generator takes ``size``, the mesh size away from its interfaces (walls, holes, the
tumour boundary): there the size is ``size/3``, growing linearly to ``size`` at a distance
``3*size``. ``order = 2`` gives quadratic cells whose extra nodes lie on the curved geometry.
"""

from __future__ import annotations

import dataclasses
from abc import ABC, abstractmethod
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from mpi4py import MPI

from fem_chemotaxis.checks import integer, positive
from fem_chemotaxis.mesh.gmsh_file import gmsh_model, model_to_tagged_mesh, on_root
from fem_chemotaxis.mesh.tagged_mesh import TaggedMesh

__all__ = ["Generator"]

# Mesh sizes come from the background fields only.
_MESHING_OPTIONS = {
    "Mesh.MeshSizeFromPoints": 0,
    "Mesh.MeshSizeFromCurvature": 0,
    "Mesh.MeshSizeExtendFromBoundary": 0,
}
_MSH_OPTIONS = {"Mesh.MshFileVersion": 4.1, "Mesh.SaveAll": 0, "Mesh.Binary": 0}

_G = TypeVar("_G", bound="Generator")


@dataclasses.dataclass(frozen=True)
class Generator(ABC):
    """A parametric gmsh geometry; subclasses are frozen dataclasses of its parameters.

    Attributes:
        size: Mesh size away from the interfaces (a third of it on them).
        order: 1 (linear cells) or 2 (quadratic cells, curved on curved boundaries).
    """

    #: The generator's name in configs and on the command line ("tissue-section").
    NAME: ClassVar[str]

    size: float = 0.05
    order: int = 1

    def __post_init__(self) -> None:
        object.__setattr__(self, "size", positive(self.size, self._where("size")))
        integer(self.order, (1, 2), self._where("order"))

    @classmethod
    def from_parameters(cls: type[_G], parameters: Mapping[str, Any]) -> _G:
        """The generator with these parameters (the others at their defaults).

        Raises:
            ValueError: for an unknown parameter (listing the known ones) or a bad value.
        """
        known = list(cls.defaults())
        unknown = sorted(set(parameters) - set(known))
        if unknown:
            raise ValueError(
                f"mesh generator {cls.NAME!r} has no parameter {', '.join(unknown)}; its parameters: {', '.join(known)}"
            )
        return cls(**parameters)

    @classmethod
    def defaults(cls) -> dict[str, Any]:
        """Each parameter with its default value, in order."""
        return {f.name: f.default for f in dataclasses.fields(cls)}

    def _where(self, name: str) -> str:
        """How a message names parameter `name` ("tissue-section: size")."""
        return f"{self.NAME}: {name}"

    @abstractmethod
    def build(self) -> int:
        """Build and mesh the geometry in the current gmsh model (rank 0); return its gdim."""

    def mesh(self, comm: MPI.Comm) -> TaggedMesh:
        """Mesh the geometry on rank 0 of `comm` and distribute the mesh over `comm`."""
        with gmsh_model(comm, self.NAME, _MESHING_OPTIONS) as model:
            gdim = on_root(comm, self.build)
            return model_to_tagged_mesh(model, comm, gdim, source=f"mesh generator '{self.NAME}'")

    def write(self, path: str | Path) -> Path:
        """Mesh the geometry on rank 0 of COMM_WORLD and save it as a .msh (v4.1) file.

        Collective on COMM_WORLD: every rank calls it and gets the path once the file exists;
        the parent folder is created if needed.
        """
        path = Path(path)

        def build_and_write() -> None:
            import gmsh

            self.build()
            path.parent.mkdir(parents=True, exist_ok=True)
            gmsh.write(str(path))

        comm = MPI.COMM_WORLD
        with gmsh_model(comm, self.NAME, {**_MESHING_OPTIONS, **_MSH_OPTIONS}):
            on_root(comm, build_and_write)
        return path
