"""PETSc SNES set-up in one place: option presets, user overrides, convergence report.

Presets (``solver = ...``):

- ``direct``: Newton + backtracking line search, MUMPS LU. Robust; for small problems.
- ``iterative``: Newton + FGMRES preconditioned by a multiplicative field split with one block
  per species, each solved by one V-cycle of algebraic multigrid (BoomerAMG, coarsening
  aggressively on 3-D meshes, :mod:`fem_chemotaxis.solvers.amg`; GAMG where PETSc has no
  hypre). A monolithic GMRES+AMG diverges on Keller-Segel; the split does not, with iteration
  counts nearly independent of the mesh size. The Krylov solves are inexact (relative tolerance
  :data:`ITERATIVE_KRYLOV_RTOL`, about half the Krylov iterations of a 1e-10 solve; a time
  step's Newton chooses each iteration's tolerance around it,
  :mod:`~fem_chemotaxis.solvers.forcing`). The preconditioner is built every
  :data:`PRECONDITIONER_LAG` Newton iterations, across time steps (about every 12 steps at 2
  iterations a step; the Jacobian changes little between them and the Krylov counts stay the
  same), and again at the first iteration after a failed solve. 2-D Keller-Segel, 5.0e5
  unknowns, backward Euler: 2.60 s a step with GAMG built once per step, 2.19 s with BoomerAMG
  and FGMRES, 1.88 s with the set-up kept across steps (12 Krylov iterations a step in each
  case but GAMG's 24), 1.48 s with the signal's block first in the split and Krylov to 1e-5 (2
  Newton, 10 Krylov iterations; bench/README.md).
  A single unknown has no split: one V-cycle on the whole Jacobian (one species, Fisher-KPP,
  backward Euler, a step: 2-D 2.5e5 DOFs 0.33 s against MUMPS LU's 1.20 s, 3-D 6.9e4 DOFs 0.25 s
  against 5.0 s; the final mass and maximum equal to 3e-11).
- ``auto``: ``direct`` below :data:`AUTO_DIRECT_LIMIT` unknowns, ``iterative`` above. The
  iterative preset is the faster from about 1e3 unknowns on, with either scheme (Keller-Segel,
  ms a step, direct / iterative; bench/README.md "Which solver auto picks"): 2-D 5.2e3
  backward Euler 21.2 / 13.5, ros34pw2 9.2 / 6.9; 2-D 4.0e4 218 / 86, 58 / 28; 3-D 9.8e3
  262 / 56, 51 / 21; 3-D 3.1e4 1828 / 185, 321 / 61 (one species, backward Euler: 2-D 5.0e3
  18 / 6, 4.0e4 172 / 49). Below the limit a step takes milliseconds either way, and LU's
  exact solves are kept.

Options are set under a unique prefix for the solver's own objects (including the
field-split sub-solvers, which read them when first set up) and removed afterwards.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import dolfinx.fem
import dolfinx.fem.petsc
import numpy as np
import ufl

from petsc4py import PETSc

from fem_chemotaxis.solvers.amg import species_preconditioner_options
from fem_chemotaxis.solvers.forcing import ForcingTerms
from fem_chemotaxis.solvers.kept_part import KeptPart
from fem_chemotaxis.solvers.options_prefix import OptionsPrefix
from fem_chemotaxis.solvers.split_assembly import SplitAssembly
from fem_chemotaxis.terms.partition import IsFixed
from fem_chemotaxis.terms.quadrature import jacobian_blocks, pin_quadrature_degrees

__all__ = [
    "AUTO_DIRECT_LIMIT",
    "ITERATIVE_KRYLOV_RTOL",
    "ITERATIVE_STEP_TOLERANCE",
    "NEWTON_OPTIONS",
    "PRECONDITIONER_LAG",
    "PRESETS",
    "NonlinearSolver",
    "SolveReport",
    "Split",
    "block_index_sets",
    "preset_options",
]

#: What a Newton solver needs to keep the step-constant part of its residual and Jacobian
#: (:class:`~fem_chemotaxis.solvers.kept_part.KeptPart`): which form inputs never change, the
#: Constants that change only with the step size, and the inputs that change only between steps.
Split = tuple[IsFixed, Sequence[dolfinx.fem.Constant], Sequence[Any]]

#: Below this many unknowns, ``auto`` picks the direct solver (species; the flow has its own).
AUTO_DIRECT_LIMIT = 5_000
#: The iterative preset builds its preconditioner every this many Newton iterations (across steps).
PRECONDITIONER_LAG = 25
#: The iterative presets also stop Newton when its update is below this fraction of the solution:
#: on large meshes the residual's round-off floor can lie above the relative tolerance (2-D
#: Keller-Segel, 2.0e6 DOFs, near steady state: floor 1.6e-12, snes_rtol x |F0| 1.59e-12; the
#: line search then failed at step 9 with the step-size test at 1e-14).
ITERATIVE_STEP_TOLERANCE = 1e-8

#: The iterative preset's Krylov tolerance, relative to each Newton iteration's residual. Two
#: inexact iterations must reach Newton's 1e-8: at 1e-4 they land on it and a step takes 2 or 3
#: (2-D Keller-Segel, 1.0e6 DOFs: 3 iterations, 12 Krylov, 3.9 s a step); at 1e-5, 2 (10
#: Krylov, 3.1 s); 1e-6 no fewer Newton iterations, more Krylov in 3-D (bench/README.md).
ITERATIVE_KRYLOV_RTOL = 1e-5

#: Newton with a backtracking line search; shared by all presets.
NEWTON_OPTIONS = {
    "snes_type": "newtonls",
    "snes_linesearch_type": "bt",
    "snes_rtol": 1e-10,
    "snes_atol": 1e-12,
    "snes_stol": 1e-14,
    "snes_max_it": 25,
}
PRESETS = ("auto", "direct", "iterative")


def preset_options(preset: str, species: Sequence[str], num_dofs: int, tdim: int) -> dict[str, Any]:
    """PETSc options of a preset for the given species (field-split block names) on a mesh of
    topological dimension `tdim`."""
    if preset not in PRESETS:
        raise ValueError(f"unknown solver preset '{preset}'; choose one of: {', '.join(PRESETS)}")
    if preset == "auto":
        preset = "direct" if num_dofs < AUTO_DIRECT_LIMIT else "iterative"
    if preset == "direct":
        return {**NEWTON_OPTIONS, "ksp_type": "preonly", "pc_type": "lu", "pc_factor_mat_solver_type": "mumps"}
    options: dict[str, Any] = {
        **NEWTON_OPTIONS,
        "snes_rtol": 1e-8,
        "snes_stol": ITERATIVE_STEP_TOLERANCE,
        "ksp_type": "fgmres",
        "ksp_rtol": ITERATIVE_KRYLOV_RTOL,
        "ksp_atol": 1e-14,
        "ksp_max_it": 500,
        "snes_lag_preconditioner": PRECONDITIONER_LAG,
        "snes_lag_preconditioner_persists": True,
    }
    return {**options, **species_preconditioner_options(species, tdim)}


@dataclass(frozen=True)
class SolveReport:
    """Outcome of one nonlinear solve."""

    converged: bool
    reason: int
    newton_iterations: int
    krylov_iterations: int


class NonlinearSolver:
    """Newton's method for block residuals F_i(u) = 0 (one block per species).

    Args:
        residuals: One UFL form per unknown.
        unknowns: The Functions solved for, in the same order (their names label the splits).
        options: PETSc options (a preset, with the user's overrides merged in).
        bcs: Dirichlet conditions on any of the unknowns.
        jacobian: The blocks of dF/du (None: derived from the residuals, each block with its
            residual's quadrature rule, :mod:`fem_chemotaxis.terms.quadrature`).
        preconditioner: The blocks of a preconditioning matrix (None: the Jacobian).
        split: (which form inputs never change, the step-size constants, the inputs that change
            only between solves): assemble the constant part of the residual and the Jacobian
            once, and again only when a step-size constant changes, the terms of the step
            inputs alone once a solve (:mod:`fem_chemotaxis.solvers.kept_part`, added by the
            callbacks of :mod:`fem_chemotaxis.solvers.split_assembly`); None: whole forms each
            time.
            Not with an explicit `jacobian` (the split one is dF/du).
        split_order: Names of the unknowns in the order of the field split (default: their order).
        forcing: Choose the Krylov tolerance per Newton iteration
            (:mod:`fem_chemotaxis.solvers.forcing`); the configured one is the default.
    """

    def __init__(
        self,
        residuals: Sequence[ufl.Form],
        unknowns: Sequence[dolfinx.fem.Function],
        options: Mapping[str, Any],
        bcs: Sequence[dolfinx.fem.DirichletBC] = (),
        *,
        jacobian: Sequence[Sequence[ufl.Form]] | None = None,
        preconditioner: Sequence[Sequence[ufl.Form]] | None = None,
        split: Split | None = None,
        split_order: Sequence[str] | None = None,
        forcing: bool = False,
    ):
        self.options = dict(options)
        self._split_order = split_order
        pinned = [pin_quadrature_degrees(F) for F in residuals]  # the Jacobian gets the residual's rule
        if split is not None and jacobian is not None:
            raise ValueError("a split Newton solver derives its Jacobian: give split or jacobian, not both")
        if jacobian is None:
            jacobian = jacobian_blocks(pinned, list(unknowns))
        self._options = OptionsPrefix("fem_chemotaxis_", self.options)
        self.prefix = self._options.prefix
        self.problem = dolfinx.fem.petsc.NonlinearProblem(
            pinned,
            list(unknowns),
            J=jacobian,
            P=preconditioner,
            petsc_options_prefix=self.prefix,
            bcs=list(bcs),
            kind="mpi",
        )
        self.split: SplitAssembly | None = None
        if split is not None:
            is_fixed, step_constants, step_inputs = split
            kept = KeptPart(self.problem, residuals, is_fixed, step_constants, bcs, step_inputs)
            self.split = SplitAssembly(self.problem, kept, bcs)
        snes = self.problem.solver
        snes.setFromOptions()
        self._configure(snes, list(unknowns))
        self.forcing = ForcingTerms(snes) if forcing else None
        self._lag = int(self.options.get("snes_lag_preconditioner", 1))
        self._rebuilding = False
        self._atol = snes.getTolerances()[1]

    def _set_lag(self, lag: int) -> None:
        """Set SNES's preconditioner lag (petsc4py has no setter: through the options database)."""
        database, key = PETSc.Options(), f"{self.prefix}snes_lag_preconditioner"
        database[key] = lag
        self.problem.solver.setFromOptions()
        database.delValue(key)

    def _round_off_floor(self) -> float:
        """What the residual's round-off can reach: eps |K|_inf |x| for the kept linear part K.

        K x sums terms of size |K_ij x_j| that cancel to a far smaller residual, each row to about
        eps |K|_inf max|x|; over the rows that is at most eps |K|_inf |x|_2. Newton's absolute
        tolerance is kept above it: on large meshes the relative one lies below it (2-D
        Keller-Segel, 2.0e6 DOFs: floor 1.6e-12, estimate 2.6e-12, 1e-8 |F0| 1.65e-12), and a
        third Newton iteration only reshuffled the round-off."""
        assert self.split is not None
        kept = self.split.kept
        kept.update()
        size = math.sqrt(sum(u.x.petsc_vec.norm() ** 2 for u in self.problem.u))
        return float(np.finfo(dolfinx.default_scalar_type).eps) * kept.linear_row_sum * size

    def _configure(self, snes: PETSc.SNES, unknowns: list[dolfinx.fem.Function]) -> None:
        """Solver set-up after the options are read: one field split per unknown."""
        pc = snes.getKSP().getPC()
        if pc.getType() == PETSc.PC.Type.FIELDSPLIT:
            pc.setFieldSplitIS(*block_index_sets(unknowns, snes.comm, self._split_order))

    def solve(self) -> SolveReport:
        """Solve from the current values of the unknowns; never raises on divergence.

        A lagged preconditioner (``snes_lag_preconditioner`` > 1) is built again at the first
        iteration after a failed solve, then lagged as before."""
        snes = self.problem.solver
        if self.split is not None:
            self.split.kept.new_step()
            snes.setTolerances(atol=max(self._atol, self._round_off_floor()))
        self.problem.solve()
        self._options.clear()  # the sub-solvers have read their options by now
        reason = snes.getConvergedReason()
        if reason <= 0 and self.forcing is not None:
            self.forcing.failed()
        if reason <= 0 and self._lag > 1:
            self._set_lag(-2)  # PETSc: build at the next iteration, then never (-1)
            self._rebuilding = True
        elif self._rebuilding:
            self._set_lag(self._lag)
            self._rebuilding = False
        return SolveReport(
            converged=reason > 0,
            reason=int(reason),
            newton_iterations=int(snes.getIterationNumber()),
            krylov_iterations=int(snes.getLinearSolveIterations()),
        )


def block_index_sets(
    unknowns: Sequence[dolfinx.fem.Function], comm: Any, order: Sequence[str] | None = None
) -> list[tuple[str, PETSc.IS]]:
    """Global row indices of each unknown in the monolithic ("mpi" kind) block matrix, listed in
    the `order` of their names (default: the unknowns' order)."""
    maps = [(u.function_space.dofmap.index_map, u.function_space.dofmap.index_map_bs) for u in unknowns]
    rank_offset = sum(im.local_range[0] * bs for im, bs in maps)
    sets, start = [], rank_offset
    for u, (im, bs) in zip(unknowns, maps):
        size = im.size_local * bs
        sets.append((u.name, PETSc.IS().createGeneral(np.arange(start, start + size, dtype=PETSc.IntType), comm=comm)))
        start += size
    if order is None:
        return sets
    by_name = dict(sets)
    return [(name, by_name[name]) for name in order]
