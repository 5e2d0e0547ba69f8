"""Newton's method for systems with a Stokes block: species (if any), then velocity and pressure.

The unknowns are blocks of one monolithic matrix (DOLFINx ``kind="mpi"``); velocity and
pressure are the last two. Presets (``solver = ...``, as in :mod:`fem_chemotaxis.solvers.nonlinear`):

- ``direct``: Newton + GMRES preconditioned by a MUMPS LU that is kept for
  :data:`~fem_chemotaxis.solvers.nonlinear.PRECONDITIONER_LAG` Newton iterations across time
  steps (and factorised again after a failed solve): the Jacobian changes little from one Newton
  iteration and step to the next, so GMRES needs a few products with the new Jacobian and
  solves with the old factors (:data:`KEPT_LU_RTOL`). A step of ``demos/plume_2d.toml`` (5.2e4
  DOFs, 3 Newton iterations, 5 GMRES iterations each) took 0.82-0.89 s instead of 1.17-1.35 s
  with a factorisation at every Newton iteration, of ``demos/plume_3d.toml`` (3.6e4 DOFs) 3.2 s
  instead of 9.7 s; Newton ends at the same tolerance. Given ``split``, the Jacobian's blocks
  that change only with the step size (Stokes, buoyancy, mass/dt, diffusion) are kept and only
  the others assembled (:mod:`~fem_chemotaxis.solvers.split_assembly`): plume_2d 0.79-0.84 ->
  0.67-0.73 s a step, plume_3d 2.8-2.9 -> 2.1 s (bench/README.md). Without an outflow boundary
  the pressure is fixed only up to a constant: the constant-pressure null space is attached to
  the Jacobian and MUMPS detects the null pivot (``mat_mumps_icntl_24 = 1``,
  ``mat_mumps_icntl_25 = 0``).
- ``iterative``: Newton + GMRES preconditioned by a multiplicative field split: one block per
  species (one V-cycle of AMG each) and one block ``flow`` for velocity and pressure, itself a
  Schur-complement field split (lower factorisation): one V-cycle of BoomerAMG (hypre; nodal,
  HMIS coarsening) on the velocity, and the Schur complement preconditioned by the pressure
  mass matrix scaled by ``-1/(eta + grad_div)`` (Jacobi). Its splits are found from the zero
  pressure diagonal, so their options are ``fieldsplit_flow_fieldsplit_0_*`` (velocity) and
  ``fieldsplit_flow_fieldsplit_1_*`` (pressure); without species the Schur split is the top
  level (``fieldsplit_0_*``, ``fieldsplit_1_*``).
  ``fieldsplit_flow_pc_fieldsplit_schur_fact_type = "diag"`` makes it block diagonal. The
  Krylov iteration counts are nearly independent of the mesh size.
- ``auto``: ``direct`` below :data:`FLOW_AUTO_DIRECT_LIMIT` unknowns (by the mesh's dimension),
  ``iterative`` above. Measured on the plumes (bench/README.md "Long runs"), s a step: 2-D 1.0e5
  DOFs direct 1.36 / iterative 7.6, 2.0e5 1.85 / 16.4, 4.1e5 direct 3.95 (3.5 GB); 3-D 8.6e4
  direct 6.2 (4.0 GB) / iterative 78 (400 Krylov iterations a step).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import dolfinx.fem
import dolfinx.fem.petsc
import numpy as np
import ufl

from petsc4py import PETSc

from fem_chemotaxis.solvers.nonlinear import (
    ITERATIVE_STEP_TOLERANCE,
    NEWTON_OPTIONS,
    PRECONDITIONER_LAG,
    PRESETS,
    NonlinearSolver,
    Split,
    block_index_sets,
)

__all__ = ["FLOW_AUTO_DIRECT_LIMIT", "FLOW_SPLIT", "KEPT_LU_RTOL", "FlowSolver", "flow_preset_options"]

#: Below this many unknowns (species and flow), by the mesh's topological dimension, ``auto``
#: picks the direct solver for a system with flow (measured: module doc; in 3-D MUMPS's memory
#: grows fastest, 4.0 GB at 8.6e4 DOFs).
FLOW_AUTO_DIRECT_LIMIT = {1: 400_000, 2: 400_000, 3: 100_000}

#: Name of the velocity-pressure block in the field split of a coupled system.
FLOW_SPLIT = "flow"

#: GMRES's relative tolerance on the kept LU of the direct preset (1e-6 took as long a step).
KEPT_LU_RTOL = 1e-8


def _schur_options(prefix: str) -> dict[str, Any]:
    """A Schur-complement split of a velocity-pressure block whose options start with `prefix`."""
    return {
        f"{prefix}pc_type": "fieldsplit",
        f"{prefix}pc_fieldsplit_detect_saddle_point": True,
        f"{prefix}pc_fieldsplit_type": "schur",
        f"{prefix}pc_fieldsplit_schur_fact_type": "lower",
        f"{prefix}pc_fieldsplit_schur_precondition": "a11",
        f"{prefix}fieldsplit_0_ksp_type": "preonly",
        f"{prefix}fieldsplit_0_pc_type": "hypre",
        f"{prefix}fieldsplit_0_pc_hypre_boomeramg_nodal_coarsen": 1,
        f"{prefix}fieldsplit_0_pc_hypre_boomeramg_vec_interp_variant": 1,
        f"{prefix}fieldsplit_0_pc_hypre_boomeramg_coarsen_type": "HMIS",
        f"{prefix}fieldsplit_0_pc_hypre_boomeramg_interp_type": "ext+i",
        f"{prefix}fieldsplit_0_pc_hypre_boomeramg_strong_threshold": 0.5,
        f"{prefix}fieldsplit_0_pc_hypre_boomeramg_P_max": 4,
        f"{prefix}fieldsplit_1_ksp_type": "preonly",
        f"{prefix}fieldsplit_1_pc_type": "jacobi",
    }


def flow_preset_options(
    preset: str, species: Sequence[str], num_dofs: int, null_space: bool, tdim: int = 3
) -> dict[str, Any]:
    """PETSc options of a preset for a system of `species` blocks followed by velocity and pressure
    on a mesh of topological dimension `tdim`."""
    if preset not in PRESETS:
        raise ValueError(f"unknown solver preset '{preset}'; choose one of: {', '.join(PRESETS)}")
    if preset == "auto":
        preset = "direct" if num_dofs < FLOW_AUTO_DIRECT_LIMIT[tdim] else "iterative"
    if preset == "direct":
        options: dict[str, Any] = {
            **NEWTON_OPTIONS,
            "ksp_type": "gmres",
            "ksp_rtol": KEPT_LU_RTOL,
            "ksp_max_it": 200,
            "pc_type": "lu",
            "pc_factor_mat_solver_type": "mumps",
            "snes_lag_preconditioner": PRECONDITIONER_LAG,
            "snes_lag_preconditioner_persists": True,
        }
        if null_space:
            options.update({"mat_mumps_icntl_24": 1, "mat_mumps_icntl_25": 0})
        return options
    options = {
        **NEWTON_OPTIONS,
        "snes_rtol": 1e-8,
        "snes_stol": ITERATIVE_STEP_TOLERANCE,
        "ksp_type": "gmres",
        "ksp_gmres_restart": 200,
        "ksp_rtol": 1e-10,
        "ksp_atol": 1e-14,
        "ksp_max_it": 1000,
    }
    if not species:
        return {**options, **_schur_options("")}
    options.update({"pc_type": "fieldsplit", "pc_fieldsplit_type": "multiplicative"})
    for name in species:
        options[f"fieldsplit_{name}_ksp_type"] = "preonly"
        options[f"fieldsplit_{name}_pc_type"] = "gamg"
    options[f"fieldsplit_{FLOW_SPLIT}_ksp_type"] = "preonly"
    options.update(_schur_options(f"fieldsplit_{FLOW_SPLIT}_"))
    return options


class FlowSolver(NonlinearSolver):
    """Newton's method for block residuals whose last two blocks are velocity and pressure.

    Args:
        residuals: One UFL form per unknown.
        unknowns: The Functions solved for: species (any number), then velocity, then pressure.
        options: PETSc options (a preset, with the user's overrides merged in).
        bcs: Dirichlet conditions on any of the unknowns.
        pressure_preconditioner: The pressure-pressure block of the preconditioning matrix (a
            scaled mass matrix); used when the preconditioner is a field split.
        null_space: Whether constant pressures are a null space (no boundary fixes the level).
        split: Inputs to keep the step-constant part of residual and Jacobian (the Stokes
            blocks, diffusion, buoyancy, mass/dt; :class:`~fem_chemotaxis.solvers.kept_part.KeptPart`)
            assembled once; not with a field split, whose preconditioning matrix differs from J.
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
    ):
        if len(unknowns) < 2:
            raise ValueError("a flow system needs at least velocity and pressure unknowns")
        self._pressure_null_space = null_space
        if options.get("pc_type") != "fieldsplit" and split is not None:
            super().__init__(residuals, unknowns, options, bcs, split=split)
            return
        jacobian = dolfinx.fem.forms.derivative_block(list(residuals), list(unknowns))
        preconditioner = None
        if options.get("pc_type") == "fieldsplit":
            preconditioner = [list(row) for row in jacobian]
            preconditioner[-1][-1] = pressure_preconditioner
        super().__init__(residuals, unknowns, options, bcs, jacobian=jacobian, preconditioner=preconditioner)

    def _configure(self, snes: PETSc.SNES, unknowns: list[dolfinx.fem.Function]) -> None:
        """Pressure null space; field splits: one per species, and velocity+pressure together."""
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


def _pressure_constants(matrix: PETSc.Mat, unknowns: Sequence[dolfinx.fem.Function]) -> PETSc.Vec:
    """The unit vector of the monolithic layout that is constant on the pressure block, zero elsewhere."""
    basis = matrix.createVecLeft()
    basis.set(0.0)
    sizes = [u.function_space.dofmap.index_map.size_local * u.function_space.dofmap.index_map_bs for u in unknowns]
    offset = sum(sizes[:-1])
    basis.array[offset : offset + sizes[-1]] = 1.0
    basis.normalize()
    return basis
