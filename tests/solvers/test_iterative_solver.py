"""The field-split AMG preset: Krylov iterations nearly independent of the mesh size."""

from __future__ import annotations

import numpy as np
import pytest

from petsc4py import PETSc

from fem_chemotaxis.config.settings import SolverSettings, TimeSettings
from fem_chemotaxis.library import builtin_model
from fem_chemotaxis.mesh import create_builtin
from fem_chemotaxis.model.model import Model
from fem_chemotaxis.simulation import Simulation, step_solver
from fem_chemotaxis.solvers import amg
from fem_chemotaxis.solvers.linear import linear_preset_options
from fem_chemotaxis.solvers.nonlinear import AUTO_DIRECT_LIMIT, ITERATIVE_KRYLOV_RTOL, NonlinearSolver, preset_options


def _aggregating(comm, n: int, scheme: str, solver: str, petsc: dict | None = None) -> Simulation:
    """Keller-Segel (d = 0.1, chi = 5) on an n x n square from an off-centre bump, dt = 0.02."""
    model = builtin_model("keller-segel").with_parameters({"d": 0.1, "chi": 5.0})
    mesh = create_builtin(comm, "rectangle", [1.0, 1.0], [n, n])
    return Simulation(
        model,
        mesh,
        {"u": "1 + 0.5*exp(-20*((x-0.4)^2 + (y-0.6)^2))", "s": "1"},
        TimeSettings(dt=0.02, scheme=scheme),
        solver=SolverSettings(solver, petsc=petsc or {}),
    )


def _krylov_per_newton(comm, n: int, solver: str) -> tuple[float, float]:
    sim = _aggregating(comm, n, "backward-euler", solver)  # iterations per Newton step: a Newton scheme
    sim.advance_to(0.2)
    newton = sum(h.newton_iterations for h in sim.history)
    return sum(h.krylov_iterations for h in sim.history) / newton, sim.statistics()["u"]["max"]


def test_fieldsplit_iterations_nearly_mesh_independent(comm):
    counts = {}
    for n in (32, 64, 128):
        counts[n], peak = _krylov_per_newton(comm, n, "iterative")
        _, peak_direct = _krylov_per_newton(comm, n, "direct")
        assert peak == pytest.approx(peak_direct, rel=1e-7)  # same solution as LU
    print("Krylov iterations per Newton step:", counts)
    assert counts[128] <= 1.3 * counts[32]


def test_newton_splits_the_taxis_target_first(comm, monkeypatch):
    """The multiplicative split solves for the signal s before the cells u (the cells' taxis
    coupling to s below the diagonal): fewer Krylov iterations over ten backward-Euler steps
    than with u first and no more Newton iterations (96^2 cells: 101 against 104 Krylov and 21
    Newton iterations each serially, 104 against 114 and 21 each on 2 ranks; on small meshes
    such as 32^2 cells the order has changed sides with the relaxation options)."""

    def run() -> tuple[list[str], int, int]:
        # the preset's Krylov tolerance throughout: the orders compared, not the forcing terms
        sim = _aggregating(comm, 96, "backward-euler", "iterative", {"ksp_rtol": ITERATIVE_KRYLOV_RTOL})
        sim.advance_to(0.2)
        splits = sim.solver._solver.problem.solver.getKSP().getPC().getFieldSplitSubKSP()
        order = [ksp.getOptionsPrefix().rstrip("_").rsplit("_", 1)[-1] for ksp in splits]
        return order, sum(h.krylov_iterations for h in sim.history), sum(h.newton_iterations for h in sim.history)

    order, krylov, newton = run()
    monkeypatch.setattr(step_solver, "_taxis_targets_first", lambda model: list(model.species_names))
    order_u_first, krylov_u_first, newton_u_first = run()
    print(f"Krylov {krylov} / {krylov_u_first}, Newton {newton} / {newton_u_first}")
    assert (order, order_u_first) == (["s", "u"], ["u", "s"])
    assert newton <= newton_u_first
    assert krylov < krylov_u_first


def test_newton_stops_at_the_residual_round_off_floor(comm, monkeypatch):
    """Newton's absolute tolerance is kept above the round-off of K x (eps |K|_inf |x|): with
    every tolerance of the user's out of reach it ends there in 3 iterations, the residual within
    the estimate and the estimate within 10x of it; without the floor it fails (serially after all
    25 iterations, on 2 ranks in the line search at the 6th)."""
    unreachable = {"snes_rtol": 1e-30, "snes_atol": 0.0, "snes_stol": 0.0}
    newton = _aggregating(comm, 24, "backward-euler", "iterative", unreachable).solver._solver
    report = newton.solve()
    reached, floor = newton.problem.solver.getFunctionNorm(), newton._round_off_floor()
    assert (report.converged, report.reason, report.newton_iterations) == (True, 2, 3)  # 2: absolute
    assert reached <= floor <= 10 * reached

    monkeypatch.setattr(NonlinearSolver, "_round_off_floor", lambda self: 0.0)
    newton = _aggregating(comm, 24, "backward-euler", "iterative", unreachable).solver._solver
    report = newton.solve()
    assert not report.converged and report.newton_iterations > 3  # all 25, or the line search fails


def test_lagged_preconditioner_is_built_again_after_a_failed_solve(comm):
    """The iterative Newton preset keeps its preconditioner across steps (no set-up in steps 2-4);
    a failed solve (a state of NaN) makes the next solve build it again, once, and the steps
    after it keep that one (PRECONDITIONER_LAG = 25 Newton iterations)."""
    sim = _aggregating(comm, 24, "backward-euler", "iterative")
    PETSc.Log.begin()
    setups = PETSc.Log.Event("PCSetUp")

    def count() -> int:
        return setups.getPerfInfo()["count"]

    def setups_of(action) -> int:
        before = count()
        action()
        return count() - before

    assert setups_of(lambda: sim.step(0.02)) > 0
    assert setups_of(lambda: [sim.step(0.02) for _ in range(3)]) == 0
    newton = sim.solver._solver
    for u in sim.fields.unknowns.values():
        u.x.array[:] = np.nan
    assert not newton.solve().converged
    sim.fields.reject()
    assert setups_of(lambda: sim.step(0.02)) > 0
    assert setups_of(lambda: [sim.step(0.02) for _ in range(2)]) == 0  # 21 Newton iterations in all: < the lag


@pytest.mark.parametrize("scheme", ["backward-euler", "ros34pw2"])
def test_without_hypre_the_species_blocks_use_gamg(comm, monkeypatch, scheme):
    """A PETSc without hypre (the DOLFINx wheels): the iterative presets fall back to GAMG per
    species and reach the direct solver's state (to the Krylov tolerance, 1e-4, of the stages)."""
    monkeypatch.setattr(amg, "has_hypre", lambda: False)
    assert preset_options("iterative", ["s", "u"], 10**6, 2)["fieldsplit_u_pc_type"] == "gamg"
    assert linear_preset_options("iterative", ["s", "u"], 10**6, 2)["fieldsplit_u_pc_type"] == "gamg"
    peaks = {}
    for solver in ("iterative", "direct"):
        sim = _aggregating(comm, 24, scheme, solver)
        sim.advance_to(0.1)
        peaks[solver] = sim.statistics()["u"]["max"]
    assert peaks["iterative"] == pytest.approx(peaks["direct"], rel=1e-5)


def test_newton_stops_on_its_update_when_the_residual_tolerance_is_below_round_off(comm, monkeypatch):
    """The iterative preset's step-size test (ITERATIVE_STEP_TOLERANCE = 1e-8): with a residual
    tolerance that round-off does not allow (snes_rtol 1e-15, no absolute one, the round-off
    floor switched off), Newton ends when its update is below 1e-8 of the solution, in 3
    iterations instead of 5 (step-size test at 1e-14), with the same state to 1e-10."""
    monkeypatch.setattr(NonlinearSolver, "_round_off_floor", lambda self: 0.0)
    states, iterations = [], []
    for extra in ({}, {"snes_stol": 1e-14}):
        sim = _aggregating(comm, 32, "backward-euler", "iterative", {"snes_rtol": 1e-15, "snes_atol": 0.0, **extra})
        report = sim.step(0.02)
        assert report.converged and report.reason == PETSc.SNES.ConvergedReason.CONVERGED_SNORM_RELATIVE
        iterations.append(report.newton_iterations)
        states.append(sim.fields.owned_values())
    print("Newton iterations", iterations, "difference", np.abs(states[0] - states[1]).max())
    assert iterations[0] < iterations[1]
    assert np.abs(states[0] - states[1]).max() < 1e-10 * np.abs(states[1]).max()


@pytest.mark.parametrize("scheme", ["backward-euler", "ros34pw2"])
def test_auto_takes_the_iterative_preset_from_the_limit_on(comm, scheme):
    """``auto`` picks the iterative preset from AUTO_DIRECT_LIMIT unknowns (2 (n+1)^2 = 5202 on
    50^2 cells), LU below it (2 x 34^2 = 2312); the iterative run's peak after ten steps is
    the direct run's (backward Euler: Newton to 1e-8; ros34pw2: stage solves to 1e-4)."""

    def run(n: int, solver: str) -> tuple[str, float]:
        sim = _aggregating(comm, n, scheme, solver)
        sim.advance_to(0.2)
        solve = sim.solver._solver
        ksp = solve.problem.solver.getKSP() if isinstance(solve, NonlinearSolver) else solve.system.solver.ksp
        return ksp.getPC().getType(), sim.statistics()["u"]["max"]

    assert 2 * 34**2 < AUTO_DIRECT_LIMIT <= 2 * 51**2
    (small_pc, _), (auto_pc, auto_peak), (_, direct_peak) = run(33, "auto"), run(50, "auto"), run(50, "direct")
    assert (small_pc, auto_pc) == (PETSc.PC.Type.LU, PETSc.PC.Type.FIELDSPLIT)
    assert auto_peak == pytest.approx(direct_peak, rel=1e-8 if scheme == "backward-euler" else 1e-5)


def test_auto_solves_a_single_species_with_one_amg(comm):
    """One species above AUTO_DIRECT_LIMIT: ``auto`` takes the iterative preset without a field
    split (one BoomerAMG, or GAMG, on the whole Jacobian; before, a single unknown always got
    MUMPS LU, 3.6x slower a step at 2.5e5 DOFs). Fisher-KPP, backward Euler, ten steps: the same
    state as LU to Newton's tolerance (measured 4e-10 relative), and Krylov iterations per Newton
    iteration that do not grow with the mesh (measured 2.0 and 2.0-2.2 on 80^2 and 160^2 cells)."""
    model = Model.from_dict({"species": {"u": {"diffusion": "0.001", "reaction": "u*(1 - u)"}}})

    def run(n: int, solver: str) -> tuple[str, float, np.ndarray]:
        mesh = create_builtin(comm, "rectangle", [1.0, 1.0], [n, n])
        initial = {"u": "exp(-50*((x-0.5)^2 + (y-0.5)^2))"}
        sim = Simulation(
            model, mesh, initial, TimeSettings(dt=0.05, scheme="backward-euler"), solver=SolverSettings(solver)
        )
        sim.advance_to(0.5)
        pc = sim.solver._solver.problem.solver.getKSP().getPC().getType()
        per_newton = sum(h.krylov_iterations for h in sim.history) / sum(h.newton_iterations for h in sim.history)
        return pc, per_newton, sim.fields.owned_values()

    assert (80 + 1) ** 2 > AUTO_DIRECT_LIMIT
    (pc, coarse, state), (_, _, exact) = run(80, "auto"), run(80, "direct")
    _, fine, _ = run(160, "auto")
    print("Krylov iterations per Newton iteration:", coarse, fine, "difference", np.abs(state - exact).max())
    assert pc in (PETSc.PC.Type.HYPRE, PETSc.PC.Type.GAMG)
    assert np.abs(state - exact).max() < 1e-8 * np.abs(exact).max()
    assert fine <= 1.3 * coarse
