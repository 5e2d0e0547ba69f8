"""Assembly of block forms (one block per unknown) into monolithic PETSc matrices, blocks may be None.

DOLFINx's own block assembly needs a form in every row; the split forms of
:mod:`fem_chemotaxis.terms.partition` often leave whole rows empty (e.g. the constant
equation of a chemical signal), so the blocks are assembled one by one here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import dolfinx.cpp
import dolfinx.fem
import dolfinx.la
import numpy as np

from petsc4py import PETSc

__all__ = ["BlockAssembler", "compile_forms"]


class BlockAssembler:
    """Assembles block forms into matrices of the block layout of `spaces` (DOLFINx kind "mpi")."""

    def __init__(self, spaces: Sequence[dolfinx.fem.FunctionSpace]):
        self.spaces = list(spaces)
        self.index_sets = dolfinx.cpp.la.petsc.create_index_sets(
            [(V.dofmap.index_map, V.dofmap.index_map_bs) for V in self.spaces]
        )
        #: Where each unknown's owned dofs start in a vector of the block layout (and the end).
        self.offsets = np.cumsum([0] + [V.dofmap.index_map.size_local * V.dofmap.index_map_bs for V in self.spaces])
        self._scratch = [dolfinx.fem.Function(V) for V in self.spaces]

    def assemble_vector(self, forms: Sequence[Any], out: PETSc.Vec) -> None:
        """out = the assembled linear forms, one per unknown (None: zero), owned values with ghost contributions added."""
        for form, scratch, start, stop in zip(forms, self._scratch, self.offsets, self.offsets[1:]):
            if form is None:
                out.array[start:stop] = 0.0
                continue
            scratch.x.array[:] = 0.0
            dolfinx.fem.assemble_vector(scratch.x.array, form)
            scratch.x.scatter_reverse(dolfinx.la.InsertMode.add)
            out.array[start:stop] = scratch.x.array[: stop - start]

    def dirichlet_rows(self, bc: dolfinx.fem.DirichletBC) -> tuple[np.ndarray, np.ndarray]:
        """The owned dofs a condition constrains: (rows of the block layout, dofs of its unknown's space)."""
        k = next(k for k, V in enumerate(self.spaces) if bc.function_space.contains(V._cpp_object))
        dofs, owned = bc.dof_indices()
        dofs = np.asarray(dofs[:owned], dtype=np.int32)
        return (self.offsets[k] + dofs).astype(np.int32), dofs

    def add(
        self,
        A: PETSc.Mat,
        forms: Sequence[Sequence[Any]],
        bcs: Sequence[dolfinx.fem.DirichletBC] = (),
        diagonal: float | None = None,
    ) -> None:
        """A += the blocks (rows and columns of Dirichlet dofs left out), then A.assemble().

        With `diagonal`, the Dirichlet dofs of every unknown get that value on the diagonal.
        """
        cpp_bcs = [bc._cpp_object for bc in bcs]
        for i, row in enumerate(forms):
            for j, form in enumerate(row):
                if form is not None:
                    block = A.getLocalSubMatrix(self.index_sets[i], self.index_sets[j])
                    dolfinx.cpp.fem.petsc.assemble_matrix(
                        block,
                        form._cpp_object,
                        dolfinx.fem.pack_constants(form),
                        dolfinx.fem.pack_coefficients(form),
                        cpp_bcs,
                        True,
                    )
                    A.restoreLocalSubMatrix(self.index_sets[i], self.index_sets[j], block)
        if diagonal is not None and cpp_bcs:
            A.assemble(PETSc.Mat.AssemblyType.FLUSH)
            for i, V in enumerate(self.spaces):
                block = A.getLocalSubMatrix(self.index_sets[i], self.index_sets[i])
                dolfinx.cpp.fem.petsc.insert_diagonal(block, V._cpp_object, cpp_bcs, diagonal)
                A.restoreLocalSubMatrix(self.index_sets[i], self.index_sets[i], block)
        A.assemble()


def compile_forms(forms: Any) -> Any:
    """dolfinx forms of a (nested) list of UFL forms, None kept."""
    if isinstance(forms, list):
        return [compile_forms(f) for f in forms]
    return None if forms is None else dolfinx.fem.form(forms)
