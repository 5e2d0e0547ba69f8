"""Assembly of block forms (one block per unknown) into monolithic PETSc matrices, blocks may be None.

DOLFINx's own block assembly needs a form in every row; the split forms of
:mod:`fem_chemotaxis.terms.partition` often leave whole rows empty (e.g. the constant
equation of a chemical signal), so the blocks are assembled one by one here: through PETSc
(:class:`BlockAssembler`, for what is assembled once), or through DOLFINx's CSR assembler
(:class:`CSRBlocks`, for what is assembled at every Newton iteration).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import dolfinx.cpp
import dolfinx.fem
import dolfinx.la
import numpy as np

from petsc4py import PETSc

__all__ = ["BlockAssembler", "CSRBlocks", "compile_forms"]


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

    def global_rows(self, k: int, dofs: np.ndarray) -> np.ndarray:
        """Global rows of the block layout of unknown k's dofs, given by their global (scalar) indices."""
        V = self.spaces[k]
        bs = V.dofmap.index_map_bs
        comm = V.mesh.comm
        firsts = np.asarray(comm.allgather(V.dofmap.index_map.local_range[0] * bs))
        rank_start = comm.exscan(int(self.offsets[-1])) or 0
        block_starts = np.asarray(comm.allgather(rank_start + int(self.offsets[k])))
        owners = np.searchsorted(firsts, dofs, side="right") - 1
        return (block_starts[owners] + dofs - firsts[owners]).astype(PETSc.IntType)

    def dirichlet_rows(self, bc: dolfinx.fem.DirichletBC) -> tuple[np.ndarray, np.ndarray]:
        """The owned dofs a condition constrains: (rows of the block layout, dofs of its unknown's
        space, unrolled: a condition on a component of a vector unknown gives that component's)."""
        k = next(k for k, V in enumerate(self.spaces) if V._cpp_object.contains(bc.function_space))
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
                    _insert_cell_by_cell(A, form, self.index_sets[i], self.index_sets[j], cpp_bcs)
        if diagonal is not None and cpp_bcs:
            A.assemble(PETSc.Mat.AssemblyType.FLUSH)
            for i, V in enumerate(self.spaces):
                block = A.getLocalSubMatrix(self.index_sets[i], self.index_sets[i])
                dolfinx.cpp.fem.petsc.insert_diagonal(block, V._cpp_object, cpp_bcs, diagonal)
                A.restoreLocalSubMatrix(self.index_sets[i], self.index_sets[i], block)
        A.assemble()


class CSRBlocks:
    """Bilinear block forms assembled by DOLFINx's own CSR assembler and added to a PETSc matrix
    of the block layout row by row (``MatSetValues`` once per owned row and block).

    DOLFINx's PETSc assembly inserts every cell matrix through ``MatSetValuesLocal``; its CSR
    assembler writes into its own arrays, and one row-wise insertion follows (2-D Keller-Segel,
    1.0e6 DOFs, the two taxis blocks: bench/README.md "The Jacobian through DOLFINx's CSR
    assembler"). Costs the blocks' CSR storage and one global column index per stored entry.

    A block with a vector space (a flow's velocity) is inserted cell by cell as DOLFINx does
    (DOLFINx's CSR assembly from Python takes equal block sizes only).

    Args:
        forms: The blocks (compiled; None: no block).
        blocks: The block layout.
    """

    def __init__(self, forms: Sequence[Sequence[Any]], blocks: BlockAssembler):
        self._blocks: list[tuple[Any, dolfinx.la.MatrixCSR, np.ndarray, np.ndarray, np.ndarray, int]] = []
        self._vector_blocks: list[tuple[Any, PETSc.IS, PETSc.IS]] = []
        for i, row in enumerate(forms):
            for j, form in enumerate(row):
                if form is None:
                    continue
                if any(V.dofmap.index_map_bs != 1 for V in form.function_spaces):
                    self._vector_blocks.append((form, blocks.index_sets[i], blocks.index_sets[j]))
                    continue
                M = dolfinx.fem.create_matrix(form)
                owned = M.index_map(0).size_local
                indptr = M.indptr[: owned + 1]
                rows = blocks.global_rows(i, M.index_map(0).local_range[0] + np.arange(owned))
                columns = blocks.global_rows(
                    j, M.index_map(1).local_to_global(M.indices[: indptr[-1]].astype(np.int32))
                )
                self._blocks.append((form, M, indptr.astype(PETSc.IntType), columns, rows, int(indptr[-1])))

    def add(self, A: PETSc.Mat, bcs: Sequence[dolfinx.fem.DirichletBC] = ()) -> None:
        """A += the blocks (rows and columns of Dirichlet dofs left out), then A.assemble()."""
        cpp_bcs = [bc._cpp_object for bc in bcs]
        for form, M, indptr, columns, rows, stored in self._blocks:
            M.data[:] = 0.0
            dolfinx.cpp.fem.assemble_matrix(
                M._cpp_object,
                form._cpp_object,
                dolfinx.fem.pack_constants(form),
                dolfinx.fem.pack_coefficients(form),
                cpp_bcs,
            )
            M.scatter_reverse()
            A.setValuesIJV(indptr, columns, M.data[:stored], PETSc.InsertMode.ADD_VALUES, rows)
        for form, rows_set, columns_set in self._vector_blocks:
            _insert_cell_by_cell(A, form, rows_set, columns_set, cpp_bcs)
        A.assemble()


def _insert_cell_by_cell(A: PETSc.Mat, form: Any, rows: PETSc.IS, columns: PETSc.IS, cpp_bcs: list[Any]) -> None:
    """A += one block form, each cell matrix inserted into the local submatrix of `rows` and
    `columns` (rows and columns of Dirichlet dofs left out); A is assembled by the caller."""
    block = A.getLocalSubMatrix(rows, columns)
    dolfinx.cpp.fem.petsc.assemble_matrix(
        block,
        form._cpp_object,
        dolfinx.fem.pack_constants(form),
        dolfinx.fem.pack_coefficients(form),
        cpp_bcs,
        True,
    )
    A.restoreLocalSubMatrix(rows, columns, block)


def compile_forms(forms: Any) -> Any:
    """dolfinx forms of a (nested) list of UFL forms, None kept."""
    if isinstance(forms, list):
        return [compile_forms(f) for f in forms]
    return None if forms is None else dolfinx.fem.form(forms)
