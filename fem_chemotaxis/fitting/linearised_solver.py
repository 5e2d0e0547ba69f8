"""Linear solves of a step's linearisation: the adjoint's transposed Jacobian, the tangent-linear Jacobian.

One block matrix, assembled again at every step into the same PETSc matrix (by DOLFINx's CSR
assembler, as Newton's Jacobian is: :class:`~fem_chemotaxis.solvers.blocks.CSRBlocks`), solved
with the forward run's linear preset (:func:`linearised_options`): MUMPS LU for ``direct``
(only the numeric factorisation is redone: the matrix keeps its pattern), else FGMRES with the
field split of one BoomerAMG V-cycle per species to a relative residual of
:data:`LINEARISED_RTOL`, its preconditioner kept while the Krylov counts stay low and each
solve started from the best combination of the last solutions
(:class:`~fem_chemotaxis.solvers.linear.ReusedKrylovSolver`). A gradient of the benchmark
problem (2.0e4 DOFs, 20 steps; bench/README.md): 4.0 -> 2.6 s with the direct preset,
2.9 -> 1.0 s with ``auto`` (then iterative), where each step's matrix, vectors and MUMPS
solver were made anew (an assembly 13 ms, now 8).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import dolfinx.fem
import dolfinx.fem.petsc
import numpy as np

from fem_chemotaxis.simulation import Simulation, SolverFailure
from fem_chemotaxis.solvers.blocks import BlockAssembler, CSRBlocks
from fem_chemotaxis.solvers.linear import ReusedKrylovSolver, linear_preset_options

__all__ = ["LINEARISED_RTOL", "LinearisedSolver", "linearised_options"]

#: Relative residual of an iterative solve: a gradient or a sensitivity is that of the discrete
#: problem to about this relative accuracy.
LINEARISED_RTOL = 1e-10


def linearised_options(sim: Simulation) -> dict[str, Any]:
    """PETSc options of the solves: the forward run's linear preset and its Krylov and
    preconditioner options (not Newton's), an iterative solve to :data:`LINEARISED_RTOL`."""
    settings = sim.solver_settings
    options = {
        **linear_preset_options(settings.preset, list(sim.model.species_names), sim.num_dofs, sim.mesh.topology.dim),
        **{k: v for k, v in settings.petsc.items() if not k.startswith("snes_")},
    }
    if options.get("ksp_type") != "preonly":
        options["ksp_rtol"] = LINEARISED_RTOL
    return options


class LinearisedSolver:
    """A x = b for block forms A (one row and column per unknown) assembled at each step
    (:meth:`assemble`), for one or more right-hand sides (:meth:`solve`).

    Args:
        sim: The simulation whose preset is used.
        forms: The compiled blocks (None: no block).
        unknowns: The unknowns giving the block layout and the field split.
        bcs: Dirichlet conditions: their rows of A are the identity, their values of x zero.
    """

    def __init__(
        self,
        sim: Simulation,
        forms: Sequence[Sequence[Any]],
        unknowns: Sequence[dolfinx.fem.Function],
        bcs: Sequence[dolfinx.fem.DirichletBC],
    ):
        self._bcs = list(bcs)
        self._layout = BlockAssembler([u.function_space for u in unknowns])
        self._blocks = CSRBlocks(forms, self._layout)
        self.matrix = dolfinx.fem.petsc.create_matrix(forms, kind="mpi")
        self._holders = [dolfinx.fem.Function(u.function_space) for u in unknowns]
        self._rhs = dolfinx.fem.petsc.create_vector([u.function_space for u in unknowns], kind="mpi")
        self._solution = self._rhs.duplicate()
        self.solver = ReusedKrylovSolver(self.matrix, unknowns, linearised_options(sim))

    def assemble(self) -> None:
        """A at the forms' current coefficients (a new step: the last one's Krylov counts are judged)."""
        self.solver.end_step()
        A = self.matrix
        A.zeroEntries()
        self._blocks.add(A, self._bcs)  # Dirichlet rows and columns left out ...
        if self._bcs:  # ... and 1 on their diagonal
            self._layout.add(A, [], self._bcs, diagonal=1.0)
        self.solver.matrix_changed()

    def solve(self, rhs: Sequence[np.ndarray | None], out: Sequence[dolfinx.fem.Function], what: str) -> None:
        """x for the A of the last :meth:`assemble`; `out` gets x, ghosts updated.

        Raises:
            SolverFailure: if an iterative solve does not converge (`what` names the solve).
        """
        for holder, values in zip(self._holders, rhs):
            holder.x.array[:] = 0.0 if values is None else values
            for bc in self._bcs:
                if bc.function_space == holder.function_space:
                    holder.x.array[bc.dof_indices()[0]] = 0.0
        dolfinx.fem.petsc.assign(self._holders, self._rhs)
        if not self.solver.solve(self._rhs, self._solution):
            reason = self.solver.ksp.getConvergedReason()
            raise SolverFailure(f"{what} did not converge (KSP reason {reason}); try [solver] preset = \"direct\"", {})
        dolfinx.fem.petsc.assign(self._solution, list(out))
        for function in out:
            function.x.scatter_forward()
