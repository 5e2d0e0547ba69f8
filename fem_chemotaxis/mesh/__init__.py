"""Meshes with named physical groups: built-in boxes, gmsh generators and .msh files.

Every source returns a :class:`TaggedMesh`, whose boundaries and subdomains are addressed
by name (``TaggedMesh.tag(name, dim)``):

- `create_builtin`: structured rectangles and boxes with sides left/right/bottom/top
  (front/back in 3-D) and the cell group domain.
- `generate` / `GENERATORS`: parametric gmsh geometries, e.g. ``"tissue-section"``, one module
  each in :mod:`~fem_chemotaxis.mesh.generators`; `write_msh` saves one as a .msh file.
- `read_gmsh`: any gmsh .msh file with physical groups.

gmsh only runs on rank 0; the meshes are distributed over the given communicator.
"""

from fem_chemotaxis.mesh.builtin import create_builtin
from fem_chemotaxis.mesh.generators import GENERATORS, generate, write_msh
from fem_chemotaxis.mesh.gmsh_file import read_gmsh
from fem_chemotaxis.mesh.tagged_mesh import TaggedMesh

__all__ = ["GENERATORS", "TaggedMesh", "create_builtin", "generate", "read_gmsh", "write_msh"]
