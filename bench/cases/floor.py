"""The hardware's floor for one step of the benchmark problem, written in plain DOLFINx.

What any linearly implicit step must at least do: assemble the blocks that change (the
u-rows: M/(gamma dt) + d K + taxis, and the taxis coupling to s), set up one algebraic
multigrid (BoomerAMG; in 3-D with aggressive coarsening) per species block, and solve each
species once to the stage tolerance: the s-block (symmetric positive definite: M/(gamma dt)
+ ds K + beta M) with CG, the u-block (non-symmetric) with GMRES, right-hand sides -G(u_n) of
each species. Nothing of the package is used, so this is an independent yardstick; ``floor_ratio`` = time per
step / this.

Each part is measured :data:`REPEATS` times (a fresh solver for each AMG set-up, solves
from a zero guess) and its median is taken: a single timing of a part of half a second
moved by 30% between two runs on the shared machine (CPU 2.45 s vs 1.83 s for the whole
floor at 1e6 DOFs).
"""

from __future__ import annotations

import time

import dolfinx.fem
import dolfinx.fem.petsc
import ufl

from mpi4py import MPI
from petsc4py import PETSc

from cases import problem

__all__ = ["measure_floor"]

#: Timings of each part of the floor; the median is used.
REPEATS = 3
#: BoomerAMG in 3-D: aggressive coarsening (hypre's advice for 3-D; its set-up and V-cycle cost
#: a quarter of the defaults' on the benchmark's blocks, bench/README.md "BoomerAMG in 3-D").
AGGRESSIVE_3D = {"agg_nl": 1, "agg_num_paths": 2, "coarsen_type": "HMIS", "interp_type": "ext+i", "P_max": 4}
#: BoomerAMG in every dimension: one Gauss-Seidel sweep forward down a V-cycle, one backward up
#: (the package's smoothing, bench/README.md "One sweep each way").
SINGLE_SWEEPS = {
    "relax_type_down": "SOR/Jacobi",
    "relax_type_up": "backward-SOR/Jacobi",
    "relax_type_coarse": "symmetric-SOR/Jacobi",
}
#: BoomerAMG in 3-D: relaxation in the rows' order, not C/F-ordered (bench/README.md "Relaxation order").
PLAIN_RELAXATION_3D = {"no_CF": True}


def measure_floor(
    mesh: dolfinx.mesh.Mesh, u: dolfinx.fem.Function, s: dolfinx.fem.Function, gamma_dt: float, rtol: float
) -> dict:
    """Wall and CPU times of the floor's parts at the state (u, s); maxima over ranks."""
    p = problem.PARAMETERS
    V = u.function_space
    du, v = ufl.TrialFunction(V), ufl.TestFunction(V)
    grad, inner, dx = ufl.grad, ufl.inner, ufl.dx
    shift = 1.0 / gamma_dt
    a_uu = dolfinx.fem.form(
        (shift * du * v + p["d"] * inner(grad(du), grad(v)) - p["chi"] * du * inner(grad(s), grad(v))) * dx
    )
    a_us = dolfinx.fem.form(-p["chi"] * u * inner(grad(du), grad(v)) * dx)
    a_ss = dolfinx.fem.form(((shift + p["beta"]) * du * v + p["ds"] * inner(grad(du), grad(v))) * dx)
    g_u = dolfinx.fem.form(-(p["d"] * inner(grad(u), grad(v)) - p["chi"] * u * inner(grad(s), grad(v))) * dx)
    g_s = dolfinx.fem.form(-(p["ds"] * inner(grad(s), grad(v)) - (p["alpha"] * u - p["beta"] * s) * v) * dx)
    A_ss = dolfinx.fem.petsc.assemble_matrix(a_ss)  # constant: not part of the floor
    A_ss.assemble()
    A_uu, A_us = dolfinx.fem.petsc.create_matrix(a_uu), dolfinx.fem.petsc.create_matrix(a_us)
    comm = mesh.comm
    times: dict[str, list[float]] = {}

    def timed(name: str, action):
        samples = []
        for _ in range(REPEATS):
            comm.Barrier()
            start, cpu = time.perf_counter(), time.process_time()
            result = action()
            comm.Barrier()
            samples.append((time.perf_counter() - start, time.process_time() - cpu))
        times[name] = [sorted(column)[REPEATS // 2] for column in zip(*samples)]
        return result

    def assemble(A: PETSc.Mat, a: dolfinx.fem.Form) -> None:
        A.zeroEntries()
        dolfinx.fem.petsc.assemble_matrix(A, a)
        A.assemble()

    assemble(A_uu, a_uu)  # first insertion into the sparsity: not timed (the steps reuse their matrices)
    assemble(A_us, a_us)
    timed("assemble_changing_blocks", lambda: (assemble(A_uu, a_uu), assemble(A_us, a_us)))

    def amg_solver(A: PETSc.Mat, ksp_type: str) -> PETSc.KSP:
        ksp = PETSc.KSP().create(comm)
        ksp.setOperators(A)
        ksp.setType(ksp_type)
        ksp.setTolerances(rtol=rtol, atol=1e-30)
        ksp.getPC().setType("hypre")
        ksp.getPC().setHYPREType("boomeramg")
        tuned = {**SINGLE_SWEEPS, **({**PLAIN_RELAXATION_3D, **AGGRESSIVE_3D} if mesh.topology.dim == 3 else {})}
        ksp.setOptionsPrefix("floor_")
        options = PETSc.Options()
        for key, value in tuned.items():
            options[f"floor_pc_hypre_boomeramg_{key}"] = value
        ksp.setFromOptions()
        for key in tuned:
            options.delValue(f"floor_pc_hypre_boomeramg_{key}")
        ksp.setUp()
        return ksp

    solvers = {}
    for name, A, ksp_type in (("u", A_uu, "gmres"), ("s", A_ss, "cg")):
        solvers[name] = timed(f"amg_setup_{name}", lambda A=A, ksp_type=ksp_type: amg_solver(A, ksp_type))
    iterations = {}
    for name, g in (("u", g_u), ("s", g_s)):
        b = dolfinx.fem.petsc.assemble_vector(g)
        b.ghostUpdate(addv=PETSc.InsertMode.ADD, mode=PETSc.ScatterMode.REVERSE)
        x = b.duplicate()

        def solve(ksp=solvers[name], b=b, x=x):
            x.zeroEntries()
            ksp.solve(b, x)

        timed(f"solve_{name}", solve)
        iterations[name] = solvers[name].getIterationNumber()
    maxima = {k: [comm.allreduce(t, op=MPI.MAX) for t in v] for k, v in times.items()}
    return {
        "parts": {k: {"wall": w, "cpu": c} for k, (w, c) in maxima.items()},
        "wall": sum(w for w, _ in maxima.values()),
        "cpu": sum(c for _, c in maxima.values()),
        "iterations": iterations,
        "rtol": rtol,
        "repeats": REPEATS,
    }
