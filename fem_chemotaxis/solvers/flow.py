"""Newton's method for systems with a Stokes block: species (if any), then velocity and pressure.

The unknowns are blocks of one monolithic matrix (DOLFINx ``kind="mpi"``); velocity and
pressure are the last two. Presets (``solver = ...``, as in :mod:`fem_chemotaxis.solvers.nonlinear`):

- ``direct``: Newton + (flexible) GMRES preconditioned by a MUMPS LU that is kept for
  :data:`~fem_chemotaxis.solvers.nonlinear.PRECONDITIONER_LAG` Newton iterations across time
  steps (and factorised again after a failed solve): the Jacobian changes little from one Newton
  iteration and step to the next, so GMRES needs a few products with the new Jacobian and solves
  with the old factors (:data:`KEPT_LU_RTOL`, loosened per Newton iteration by
  :mod:`~fem_chemotaxis.solvers.forcing` unless ``ksp_rtol`` is set: plume_2d 1484 -> 1203 GMRES
  iterations over its 233 Newton iterations, the same state to 1e-14). The factors are single
  precision (:data:`KEPT_LU_PRECISION`: plume_2d 51.6 -> 41.9 s) but for the flow alone at every
  step of ``coupling = "split"``. A step of
  ``demos/plume_2d.toml`` (5.2e4 DOFs, 3 Newton iterations, 5 GMRES iterations each) took
  0.82-0.89 s instead of 1.17-1.35 s with a factorisation at every Newton iteration, of
  ``demos/plume_3d.toml`` (3.6e4 DOFs) 3.2 s instead of 9.7 s; Newton ends at the same
  tolerance. Given ``split``, the Jacobian's blocks that change only with the step size (Stokes,
  buoyancy, mass/dt, diffusion) are kept and only the others assembled
  (:mod:`~fem_chemotaxis.solvers.split_assembly`): plume_2d 0.79-0.84 -> 0.67-0.73 s a step,
  plume_3d 2.8-2.9 -> 2.1 s (bench/README.md). Without an outflow boundary the pressure is fixed
  only up to a constant: the constant-pressure null space is attached to the Jacobian and MUMPS
  detects the null pivot (``mat_mumps_icntl_24 = 1``, ``mat_mumps_icntl_25 = 0``).
- ``iterative``: Newton + FGMRES preconditioned by a multiplicative field split: one block per
  species (one V-cycle of AMG each) and one block ``flow`` for velocity and pressure, itself a
  Schur-complement field split (lower factorisation): one BoomerAMG V-cycle on the velocity in
  1-D and 2-D, GMRES + ILU(0) (block Jacobi across ranks) to :data:`VELOCITY_RTOL` in 3-D (a
  V-cycle on P2 velocities there costs as much as 33 ILU(0) applications), and the Schur
  complement preconditioned by CG + Jacobi to :data:`PRESSURE_RTOL` on the pressure mass matrix
  scaled by ``-1/(eta + grad_div)`` (:class:`SchurPreconditioner`, assembled before each linear
  solve). The Jacobian preconditions
  itself (its step-constant blocks kept as the direct preset's) and its zero pressure diagonal
  marks the saddle point, so the splits' options are ``fieldsplit_flow_fieldsplit_0_*``
  (velocity) and ``fieldsplit_flow_fieldsplit_1_*`` (pressure); without species the Schur split
  is the top level (``fieldsplit_0_*``, ``fieldsplit_1_*``). Newton chooses each iteration's
  Krylov tolerance (:mod:`~fem_chemotaxis.solvers.forcing`) unless ``ksp_rtol`` is set.
  Measured (bench/README.md "The flow systems' iterative preset"): ``demos/plume_2d.toml``
  (5.2e4 DOFs) 3.2 -> 1.1 s a step (Krylov iterations 101 -> 41), ``demos/plume_3d.toml`` 3.6e4
  DOFs 24 -> 5.0 s (277 -> 57), 1.2e5 DOFs 150 -> 22 s (543 -> 61); states equal to the direct
  preset's to 1e-15. Before, a second preconditioning matrix carried the mass matrix in its
  pressure block, PETSc found no zero diagonal and put velocity and pressure into one split
  under one V-cycle.
- ``auto``: ``direct`` below :data:`FLOW_AUTO_DIRECT_LIMIT` unknowns (by the mesh's dimension),
  ``iterative`` above. Measured on the plumes (bench/README.md "Long runs"), s a step: 2-D 1.0e5
  DOFs direct 1.36 / iterative 7.6, 2.0e5 1.85 / 16.4, 4.1e5 direct 3.95 (3.5 GB); 3-D 8.6e4
  direct 6.2 (4.0 GB) / iterative 78 (400 Krylov iterations a step), both before the iterative
  preset's Schur split was mended; 3-D 1.2e5 DOFs after it: direct 3.2 s a step plus a 37 s
  factorisation every 25 Newton iterations (about 8 steps), iterative 22 s. With single-precision
  factors and the flow alone's factors freed after the initial flow (monolithic coupling), 3-D
  2.1e5 DOFs: direct 6-8 s a step plus a 53 s factorisation every 25 Newton iterations, peak 6.1
  GB, iterative 38 s a step, 3.4 GB; 1.2e5 DOFs direct peak 6.7 -> 2.9 GB (bench/README.md
  "Single-precision factors for the flows' kept LU"): the 3-D limit went from 1e5 to 2e5. 2-D
  8.2e5 DOFs: direct 7 s a step plus an 11 s factorisation every 25 Newton iterations, peak 4.4
  GB; iterative 25 s a step, 5.6 GB: the 2-D limit went from 4e5 to 8e5.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import dolfinx.fem
import dolfinx.fem.petsc
import numpy as np
import ufl

from petsc4py import PETSc

from fem_chemotaxis.solvers.amg import has_hypre, species_block_options
from fem_chemotaxis.solvers.nonlinear import (
    ITERATIVE_KRYLOV_RTOL,
    ITERATIVE_STEP_TOLERANCE,
    NEWTON_OPTIONS,
    PRECONDITIONER_LAG,
    PRESETS,
    NonlinearSolver,
    SolveReport,
    Split,
    block_index_sets,
)

__all__ = [
    "FLOW_AUTO_DIRECT_LIMIT",
    "FLOW_SPLIT",
    "KEPT_LU_PRECISION",
    "KEPT_LU_RTOL",
    "PRESSURE_RTOL",
    "VELOCITY_RTOL",
    "FlowSolver",
    "SchurPreconditioner",
    "flow_preset_options",
]

#: Below this many unknowns (species and flow), by the mesh's topological dimension, ``auto``
#: picks the direct solver for a system with flow (measured: module doc; in 3-D MUMPS's memory
#: grows fastest, 6.1 GB at 2.1e5 DOFs with single-precision factors; 2-D 4.4 GB at 8.2e5).
FLOW_AUTO_DIRECT_LIMIT = {1: 800_000, 2: 800_000, 3: 200_000}

#: Name of the velocity-pressure block in the field split of a coupled system.
FLOW_SPLIT = "flow"

#: GMRES's relative tolerance on the kept LU of the direct preset (1e-6 took as long a step); the
#: configured one of the forcing terms, which loosen it where Newton allows.
KEPT_LU_RTOL = 1e-8

#: Precision of the kept LU's factors in the direct preset (PETSc's
#: ``pc_precision``, where its MUMPS has single precision: PETSc >= 3.24; otherwise unread). GMRES
#: iterates on the double-precision Jacobian, so the factors only precondition, as lagged factors
#: already do: they take half the memory and stream twice as fast. plume_2d 51.6 -> 41.9 s (the
#: Krylov phase 33.8 -> 24.2 s, 1203 -> 1214 GMRES and 233 -> 234 Newton iterations), plume_3d
#: 63.5 -> 54.5 s (90 -> 102 Newton iterations), final statistics equal to 1e-12 (bench/README.md
#: "Single-precision factors for the flows' kept LU"). Their solves round each result, so they are
#: not exactly linear: flexible GMRES, which keeps the preconditioned vectors, measures the true
#: residual where GMRES's recurrence ended Newton's last iterations just above its stopping line
#: (plume_3d 102 -> 90 Newton iterations, 54.5 -> 45.3 s; plume_2d 41.0 -> 38.4 s, 234 -> 233 Newton
#: and 1214 -> 1295 Krylov iterations). The flow alone solved at every step of
#: ``coupling = "split"`` (a linear Stokes operator, whose kept double factors solve it in one
#: GMRES iteration) keeps double precision (single: 77 -> 103 Newton iterations on plume_2d to
#: t = 0.5), and a failed linear solve switches a run's factors to double precision
#: (:class:`FlowSolver`).
KEPT_LU_PRECISION = "single"

#: The iterative preset's inner solves, relative: the velocity block in 3-D (GMRES + ILU) and the
#: pressure mass matrix (CG + Jacobi) that stands for the Schur complement (module doc: measured).
VELOCITY_RTOL = 0.1
PRESSURE_RTOL = 0.01


def _schur_options(prefix: str, tdim: int) -> dict[str, Any]:
    """A Schur-complement split of a velocity-pressure block whose options start with `prefix`:
    the velocity block as :func:`_velocity_options`, the Schur complement preconditioned by CG +
    Jacobi on the scaled pressure mass matrix to :data:`PRESSURE_RTOL` (given by
    :class:`SchurPreconditioner`)."""
    return {
        f"{prefix}pc_type": "fieldsplit",
        f"{prefix}pc_fieldsplit_detect_saddle_point": True,
        f"{prefix}pc_fieldsplit_type": "schur",
        f"{prefix}pc_fieldsplit_schur_fact_type": "lower",
        f"{prefix}pc_fieldsplit_schur_precondition": "user",
        **_velocity_options(f"{prefix}fieldsplit_0_", tdim),
        f"{prefix}fieldsplit_1_ksp_type": "preonly",
        f"{prefix}fieldsplit_1_pc_type": "ksp",
        f"{prefix}fieldsplit_1_ksp_ksp_type": "cg",
        f"{prefix}fieldsplit_1_ksp_ksp_rtol": PRESSURE_RTOL,
        f"{prefix}fieldsplit_1_ksp_pc_type": "jacobi",
    }


def _velocity_options(prefix: str, tdim: int) -> dict[str, Any]:
    """The velocity block's solver: in 3-D GMRES + ILU(0) (block Jacobi across ranks) to
    :data:`VELOCITY_RTOL`, where a BoomerAMG V-cycle on P2 velocities costs as much as 33 ILU(0)
    applications (51 / 1.5 ms at 3.2e4 velocity DOFs); in 1-D and 2-D one V-cycle (module doc)."""
    if tdim == 3:
        return {
            f"{prefix}ksp_type": "gmres",
            f"{prefix}ksp_rtol": VELOCITY_RTOL,
            f"{prefix}pc_type": "bjacobi",
            f"{prefix}sub_pc_type": "ilu",
        }
    if not has_hypre():
        return {f"{prefix}ksp_type": "preonly", f"{prefix}pc_type": "gamg"}
    return {
        f"{prefix}ksp_type": "preonly",
        f"{prefix}pc_type": "hypre",
        f"{prefix}pc_hypre_type": "boomeramg",
        f"{prefix}pc_hypre_boomeramg_coarsen_type": "HMIS",
        f"{prefix}pc_hypre_boomeramg_interp_type": "ext+i",
        f"{prefix}pc_hypre_boomeramg_strong_threshold": 0.5,
        f"{prefix}pc_hypre_boomeramg_P_max": 4,
    }


def flow_preset_options(
    preset: str,
    species: Sequence[str],
    num_dofs: int,
    null_space: bool,
    tdim: int = 3,
    exact_factors: bool = False,
) -> dict[str, Any]:
    """PETSc options of a preset for a system of `species` blocks followed by velocity and pressure
    on a mesh of topological dimension `tdim`; `exact_factors`: the direct preset's kept LU is of
    an operator that does not change (the flow alone at every step of ``coupling = "split"``) and
    stays double precision (otherwise :data:`KEPT_LU_PRECISION`)."""
    if preset not in PRESETS:
        raise ValueError(f"unknown solver preset '{preset}'; choose one of: {', '.join(PRESETS)}")
    if preset == "auto":
        preset = "direct" if num_dofs < FLOW_AUTO_DIRECT_LIMIT[tdim] else "iterative"
    if preset == "direct":
        options: dict[str, Any] = {
            **NEWTON_OPTIONS,
            "ksp_type": "fgmres",  # single-precision solves are not exactly linear (KEPT_LU_PRECISION)
            "ksp_rtol": KEPT_LU_RTOL,
            "ksp_max_it": 200,
            "pc_type": "lu",
            "pc_factor_mat_solver_type": "mumps",
            "snes_lag_preconditioner": PRECONDITIONER_LAG,
            "snes_lag_preconditioner_persists": True,
        }
        if null_space:
            options.update({"mat_mumps_icntl_24": 1, "mat_mumps_icntl_25": 0})
        if not exact_factors:
            options["pc_precision"] = KEPT_LU_PRECISION
        return options
    options = {
        **NEWTON_OPTIONS,
        "snes_rtol": 1e-8,
        "snes_stol": ITERATIVE_STEP_TOLERANCE,
        "ksp_type": "fgmres",
        "ksp_gmres_restart": 200,
        "ksp_rtol": ITERATIVE_KRYLOV_RTOL,
        "ksp_atol": 1e-14,
        "ksp_max_it": 1000,
    }
    if not species:
        return {**options, **_schur_options("", tdim)}
    options.update({"pc_type": "fieldsplit", "pc_fieldsplit_type": "multiplicative"})
    options.update(species_block_options(species, tdim))
    options[f"fieldsplit_{FLOW_SPLIT}_ksp_type"] = "preonly"
    options.update(_schur_options(f"fieldsplit_{FLOW_SPLIT}_", tdim))
    return options


class FlowSolver(NonlinearSolver):
    """Newton's method for block residuals whose last two blocks are velocity and pressure.

    Args:
        residuals: One UFL form per unknown.
        unknowns: The Functions solved for: species (any number), then velocity, then pressure.
        options: PETSc options (a preset, with the user's overrides merged in).
        bcs: Dirichlet conditions on any of the unknowns.
        pressure_preconditioner: The scaled pressure mass matrix's form, the Schur complement's
            preconditioning matrix when the preconditioner is a field split.
        null_space: Whether constant pressures are a null space (no boundary fixes the level).
        split: Inputs to keep the step-constant part of residual and Jacobian (the Stokes
            blocks, diffusion, buoyancy, mass/dt; :class:`~fem_chemotaxis.solvers.kept_part.KeptPart`)
            assembled once, with either preset (the field split is preconditioned by J itself).

    Factors kept in single precision (``pc_precision = "single"``, :data:`KEPT_LU_PRECISION`) are
    factorised again in double precision for the rest of the run after a linear solve fails
    with them (the failed Newton solve is reported as usual, and the step retried by its caller);
    with ``ksp_type = "preonly"`` the factors are the linear solve, and double precision.
    """

    def __init__(
        self,
        residuals: Sequence[ufl.Form],
        unknowns: Sequence[dolfinx.fem.Function],
        options: Mapping[str, Any],
        bcs: Sequence[dolfinx.fem.DirichletBC],
        pressure_preconditioner: ufl.Form,
        null_space: bool,
        split: Split | None = None,
        forcing: bool = False,
    ):
        if len(unknowns) < 2:
            raise ValueError("a flow system needs at least velocity and pressure unknowns")
        self._pressure_null_space = null_space
        self._schur: SchurPreconditioner | None = None
        if options.get("ksp_type") == "preonly" and options.get("pc_precision") == "single":
            options = {**options, "pc_precision": "double"}  # the factors are the solve, not its preconditioner
        if options.get("pc_type") == "fieldsplit":
            self._schur = SchurPreconditioner(pressure_preconditioner, nested=len(unknowns) > 2)
        super().__init__(residuals, unknowns, options, bcs, split=split, forcing=forcing)

    def _configure(self, snes: PETSc.SNES, unknowns: list[dolfinx.fem.Function]) -> None:
        """Pressure null space; field splits: one per species, and velocity+pressure together,
        whose Schur complement is preconditioned by the scaled pressure mass matrix."""
        if self._pressure_null_space:
            basis = _pressure_constants(self.problem.A, unknowns)
            self._null_space = PETSc.NullSpace().create(vectors=[basis], comm=snes.comm)
            self.problem.A.setNullSpace(self._null_space)
            self.problem.A.setTransposeNullSpace(self._null_space)
        pc = snes.getKSP().getPC()
        if pc.getType() == PETSc.PC.Type.FIELDSPLIT and len(unknowns) > 2:
            sets = block_index_sets(unknowns, snes.comm)
            species, (w, p) = sets[:-2], sets[-2:]
            flow = PETSc.IS().createGeneral(np.concatenate([w[1].getIndices(), p[1].getIndices()]), comm=snes.comm)
            pc.setFieldSplitIS(*species, (FLOW_SPLIT, flow))
        if self._schur is not None:
            snes.getKSP().setPreSolve(self._schur.attach)

    def solve(self) -> SolveReport:
        """Newton's solve (:meth:`NonlinearSolver.solve`); single-precision factors that failed a
        linear solve are made double precision."""
        report = super().solve()
        if report.reason == PETSc.SNES.ConvergedReason.DIVERGED_LINEAR_SOLVE and self.lu_precision == "single":
            self.options["pc_precision"] = "double"
            self.release_factors()
        return report

    def release_factors(self) -> None:
        """Free the LU's factors (none: nothing to do); the next solve factorises anew, with the
        solver's options (which are put back under its prefix until then)."""
        pc = self.problem.solver.getKSP().getPC()
        if pc.getType() != PETSc.PC.Type.LU:
            return
        self._options.set(self.options)  # the new factors read them; cleared after the next solve
        pc.reset()
        pc.setFromOptions()

    @property
    def lu_precision(self) -> str | None:
        """The precision asked of the LU's factors ("single", "double"; None: no LU)."""
        if self.options.get("pc_type") != "lu":
            return None
        return str(self.options.get("pc_precision", "double"))


class SchurPreconditioner:
    """The scaled pressure mass matrix as the preconditioning matrix of a velocity-pressure
    block's Schur complement (PETSc's "user" choice), assembled before every linear solve.

    The Jacobian itself preconditions the field split (its zero pressure block marks the saddle
    point): no second matrix is assembled, and its step-constant blocks can be kept.

    Args:
        form: The scaled pressure mass matrix's bilinear form.
        nested: Whether the velocity-pressure block is a split of the outer field split (a
            system with species), not the outer one itself.
    """

    def __init__(self, form: ufl.Form, nested: bool):
        self._form = dolfinx.fem.form(form)
        self.matrix = dolfinx.fem.petsc.create_matrix(self._form)
        self._nested = nested

    def attach(self, ksp: PETSc.KSP, rhs: PETSc.Vec, solution: PETSc.Vec) -> None:
        """Assemble the matrix (its coefficients may have changed) and give it to the Schur
        split (PETSc's KSP pre-solve callback: the splits exist by then)."""
        self.matrix.zeroEntries()
        dolfinx.fem.petsc.assemble_matrix(self.matrix, self._form)
        self.matrix.assemble()
        pc = ksp.getPC()
        if self._nested:
            flow = pc.getFieldSplitSubKSP()[-1]
            if flow.getPC().getType() != PETSc.PC.Type.FIELDSPLIT:
                flow.setFromOptions()  # PETSc reads a split's options at its first solve: too late
            pc = flow.getPC()
        pc.setFieldSplitSchurPreType(PETSc.PC.FieldSplitSchurPreType.USER, self.matrix)


def _pressure_constants(matrix: PETSc.Mat, unknowns: Sequence[dolfinx.fem.Function]) -> PETSc.Vec:
    """The unit vector of the monolithic layout that is constant on the pressure block, zero elsewhere."""
    basis = matrix.createVecLeft()
    basis.set(0.0)
    sizes = [u.function_space.dofmap.index_map.size_local * u.function_space.dofmap.index_map_bs for u in unknowns]
    offset = sum(sizes[:-1])
    basis.array[offset : offset + sizes[-1]] = 1.0
    basis.normalize()
    return basis
