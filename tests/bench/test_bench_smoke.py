"""The benchmark suite's measurement and summary code on tiny sizes (not the timings).

The tiny case's peak density is checked against references from outside this code: FiPy's
mesh-converged peak (an independent finite-volume code, committed full run) and the closed-form
peak of pure diffusion (chi = 0), which chemotaxis must exceed. The summary formulas are checked
on synthetic records whose answers are known in closed form.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from cases import problem, summary
from cases.adaptive_stepping import step_ratio, steps_for_error
from cases.fem_step_cost import measure

from fem_chemotaxis.solvers.nonlinear import PRECONDITIONER_LAG
from fem_chemotaxis.solvers.rosenbrock import JACOBIAN_REUSE

pytestmark = pytest.mark.serial

#: FiPy's mesh-converged peak of u at t = 0.08 (Richardson from n = 251, 501), from the committed
#: full run bench/results/2026-11-23-vm.json (accuracy.fipy.converged_peak); the FEM's own limit
#: there differs by 3.5e-4.
FIPY_CONVERGED_PEAK = 1.4228829362200561


def heat_peak(dim: int) -> float:
    """Peak of u at t = 0.08 without chemotaxis: 1 + 0.5 (1 + 4 W d t)^(-dim/2) for u0 = 1 + 0.5 exp(-W r^2).

    (Free space: the walls are 5 widths away.)
    """
    t = (problem.WARMUP_STEPS + problem.MEASURED_STEPS) * problem.DT
    return 1 + 0.5 * (1 + 4 * problem.WIDTH * problem.PARAMETERS["d"] * t) ** (-dim / 2)


@pytest.mark.parametrize("dim, n", [(2, 8), (3, 4)])
def test_one_case_record_is_consistent(dim, n):
    record = measure(dim, n, "iterative")
    assert record["dofs"] == record["expected_dofs"] == problem.fem_dofs(dim, n) == 2 * (n + 1) ** dim
    assert len(record["steps"]) >= problem.MEASURED_STEPS  # iterative: until a preconditioner set-up
    assert record["time"] == pytest.approx((problem.WARMUP_STEPS + problem.MEASURED_STEPS) * problem.DT)
    assert record["time_per_step"] > 0 and all(s["wall_time"] > 0 for s in record["steps"])
    for step in record["steps"]:
        assert 1 <= step["newton_iterations"] <= step["krylov_iterations"]
    phases = record["phases"]["per_measured_step"]
    assert min(phases[k] for k in ("residual_assembly", "jacobian_assembly")) > 0
    # Newton's AMG set-up runs inside KSPSolve and is subtracted from it: only their sum is
    # safe from the scheduling noise of a busy machine at this tiny size
    assert phases["krylov_solve"] + phases["preconditioner_setup"] > 0
    # the timed phases of a step add up to at most the step's wall time (the rest is "other")
    assert phases["other"] > -1e-3 * record["time_per_step"]
    # Chemotaxis lifts the peak above pure diffusion's (2-D 1.305, 3-D 1.238): measured 1.397 and
    # 1.269; with chi = 0 it is 1.300 and 1.202, with chi = -5 1.235 and 1.155 (the test then fails).
    assert record["peak_u"] > heat_peak(dim)
    if dim == 2:  # 2-D against FiPy's converged peak: measured 1.8% (the run's error model C/DOFs: 1.6%)
        assert abs(record["peak_u"] - FIPY_CONVERGED_PEAK) < 0.03 * FIPY_CONVERGED_PEAK


def test_summary_recovers_known_exponent_limit_and_ratios():
    dofs = [1e4, 1e5, 1e6]
    fem = [
        {
            "dim": 2,
            "n": n,
            "solver": "iterative",
            "ranks": 1,
            "dofs": d,
            "time_per_step": 3e-6 * d**1.05,
            "peak_u": 2.0 - 5.0 / n**2,
        }
        for n, d in zip((100, 200, 400), dofs)
    ]
    fem += [
        {"dim": 2, "n": n, "solver": "direct", "ranks": 1, "dofs": d, "time_per_step": 1e-7 * d**1.4}
        for n, d in zip((100, 200), dofs)
    ]
    two_ranks = 3e-6 * 1e6**1.05 / 1.8  # efficiency 0.9
    fem += [{"dim": 2, "n": 400, "solver": "iterative", "ranks": 2, "dofs": 1e6, "time_per_step": two_ranks}]
    assert summary.cost_exponent(fem)["value"] == pytest.approx(1.05, rel=1e-12)
    lu = summary.speedup_vs_lu(fem)  # nearest to 1e6 with both solvers: 1e5
    assert lu["dofs"] == 1e5 and lu["value"] == pytest.approx(1e-7 * 1e5**1.4 / (3e-6 * 1e5**1.05))
    assert summary.parallel_efficiency(fem)["value"] == pytest.approx(0.9)
    assert summary.richardson(fem[1], fem[2]) == pytest.approx(2.0, rel=1e-14)
    checks = summary.targets(
        {
            "cost_exponent": 1.05,
            "cost_exponent_3d": 1.2,
            "speedup_vs_lu": 4.0,
            "speedup_vs_lu_3d": 30.0,
            "speedup_vs_fipy": None,
            "parallel_efficiency": 0.9,
            "parallel_efficiency_3d": 0.8,
            "adaptive_step_ratio": 0.2,
            "floor_ratio": 1.6,
            "time_to_solution": 12.0,
            "time_to_solution_3d": 9.0,
            "gradient_cost": 3.5,
            "adaptive_mesh_peak_difference": 0.005,
            "adaptive_mesh_dofs_ratio": 0.3,
            "adaptive_mesh_wall_time_ratio": 0.7,
        }
    )
    expected = [True, False, False, True, None, True, False, True, False, True, False, False, True, False, True]
    assert [checks[k]["pass"] for k in checks] == expected
    p, c = summary.power_fit([1.0, 10.0, 100.0], list(np.array([2.0, 20.0, 200.0]) ** 1.0))
    assert p == pytest.approx(1.0) and c == pytest.approx(2.0)


def test_summary_3d_ratios_and_time_to_solution_from_an_iterative_ladder():
    """3-D: exponent, LU and Newton / Rosenbrock ratios at the size nearest 5e5 DOFs (2-D records
    ignored); the time to solution from a ladder solved iteratively: the steps backward Euler needs
    at the default's error (first order beyond the ladder) x MUMPS's time per Newton iteration."""
    from cases.time_to_solution import fixed_steps_time_for_error

    fem = [
        {
            "dim": 3,
            "n": n,
            "solver": "iterative",
            "ranks": 1,
            "dofs": d,
            "time_per_step": 2e-6 * d**1.02,
            "steps": [{"wall_time": 2e-6 * d**1.02, "newton_iterations": 2}] * 3,
        }
        for n, d in ((16, 1e4), (32, 7e4), (62, 5e5))
    ]
    fem.append({"dim": 2, "n": 708, "solver": "iterative", "ranks": 1, "dofs": 1e6, "time_per_step": 9.0})
    lu_steps = [{"wall_time": 240.0, "newton_iterations": 3}]
    fem.append(
        {
            "dim": 3,
            "n": 62,
            "solver": "direct",
            "ranks": 1,
            "dofs": 5e5,
            "time_per_step": 240.0,
            "steps": lu_steps,
            "warmup_step_count": 0,
        }
    )
    iterative = 2e-6 * 5e5**1.02
    assert summary.cost_exponent(fem, dim=3)["value"] == pytest.approx(1.02, rel=1e-12)
    # per Newton iteration: the LU step (the run's first) took 3, the iterative steps 2
    assert summary.speedup_vs_lu(fem, dim=3)["value"] == pytest.approx((240.0 / 3) / (iterative / 2))
    fem[-1]["warmup_step_count"] = 1  # an LU step after a warm-up: per step
    assert summary.speedup_vs_lu(fem, dim=3)["value"] == pytest.approx(240.0 / iterative)
    fem[-1]["warmup_step_count"] = 0
    rosenbrock = [
        {"dim": 3, "n": 62, "solver": "iterative", "ranks": 1, "dofs": 5e5, "time_per_step": 0.5, "scheme": "ros34pw2"}
    ]
    assert summary.rosenbrock_vs_newton(fem, rosenbrock, dim=3)["value"] == pytest.approx(iterative / 0.5)

    ladder = [{"steps": n, "error": 0.1 / n, "wall_time": 3.0 * n} for n in (10, 20)]
    default = {"error": 1e-4, "wall_time": 20.0}
    steps, extrapolated = fixed_steps_time_for_error(ladder, default["error"], "steps")
    assert steps == pytest.approx(1000.0) and extrapolated
    case = {
        "dim": 3,
        "n": 62,
        "dofs": 5e5,
        "default": default,
        "speedup": 3000.0 / 20.0,
        "hand_written": {
            "hand_solver": "iterative",
            "solver": "iterative (the package's iterative preset), Newton rtol 1e-8",
            "extrapolated": extrapolated,
            "steps_at_default_error": steps,
        },
        "speedup_at_hand_written_error": {},
    }
    result = summary.time_to_solution(case, fem)
    assert result["value"] == pytest.approx(1000.0 * 80.0 / 20.0) and result["lower_bound"]
    assert result["vs_iterative_backward_euler"] == pytest.approx(150.0)
    assert summary.time_to_solution(case, fem[:3])["value"] is None  # no MUMPS step at n = 62
    # a ladder solved with MUMPS (2-D) is the hand-written script's time itself
    case["hand_written"]["hand_solver"] = "direct"
    assert summary.time_to_solution(case, fem)["value"] == pytest.approx(150.0)


def test_3d_ladder_solved_iteratively_is_the_direct_ladder():
    """time_to_solution_3d prices an iteratively solved backward-Euler ladder as MUMPS's: both must
    reach the same discrete solution (Newton to 1e-8), whose time error is first order. Measured
    (3-D, n = 4, to t = 0.4): the two ladders' end states 1.9e-10 and 1.3e-10 apart (relative);
    errors against ros34pw2 with 64 steps 4.4e-3 and 2.1e-3 at 8 and 16 steps (ratio 2.10)."""
    from cases.time_to_solution import error, run

    reference = run(3, 4, 0.4, 0.4 / 64, "ros34pw2", "direct", None)["u"]
    ladder = {}
    for solver in ("direct", "iterative"):
        ladder[solver] = [run(3, 4, 0.4, 0.4 / steps, "backward-euler", solver, None)["u"] for steps in (8, 16)]
    for direct, iterative in zip(ladder["direct"], ladder["iterative"]):
        assert error(iterative, direct) < 1e-8
    coarse, fine = (error(u, reference) for u in ladder["iterative"])
    assert 1.8 < coarse / fine < 2.4


def test_one_mumps_step_without_warm_up_is_the_runs_first():
    """The 3-D LU case's options: one measured step, no warm-up, ends at t = dt."""
    record = measure(3, 3, "direct", newton_steps=1, warmup_steps=0)
    assert len(record["steps"]) == 1 and record["time"] == pytest.approx(problem.DT)
    assert record["warmup_step_count"] == 0
    assert record["steps"][0]["newton_iterations"] >= 2  # Newton to 1e-8 of the first residual


def test_iterative_newton_step_cost_pays_for_one_preconditioner_setup():
    """Backward Euler, iterative: measured until the lagged preconditioner was built again once
    (more Newton iterations than the lag in all), the time per step the mean, the peak of u
    (accuracy measure) at the fixed time of MEASURED_STEPS steps."""
    record = measure(2, 8, "iterative")
    newton = [s["newton_iterations"] for s in record["steps"]]
    assert len(newton) > problem.MEASURED_STEPS
    assert sum(newton[:-1]) <= PRECONDITIONER_LAG  # no more steps than needed ...
    assert record["phases"]["per_measured_step"]["preconditioner_setup"] > 0.0  # ... for the set-up
    walls = [s["wall_time"] for s in record["steps"]]
    assert record["time_per_step"] == pytest.approx(sum(walls) / len(walls))


def test_rosenbrock_record_has_its_floor():
    record = measure(2, 8, "iterative", "auto", floor=True)
    assert record["scheme"] == "ros34pw2"
    # linearly implicit: no Newton; a step may take no Krylov iteration where the guess from the
    # last solutions is within the tolerance (162 DOFs)
    assert all(s["newton_iterations"] == 0 for s in record["steps"])
    assert sum(s["krylov_iterations"] for s in record["steps"]) > 0
    # the run's start timed apart, then a Jacobian period: the mean of its steps
    assert len(record["start_steps"]) == JACOBIAN_REUSE + 1 and len(record["steps"]) == JACOBIAN_REUSE
    walls = [s["wall_time"] for s in record["steps"]]
    assert record["time_per_step"] == pytest.approx(sum(walls) / len(walls))
    floor = record["floor"]
    assert set(floor["parts"]) == {"assemble_changing_blocks", "amg_setup_u", "amg_setup_s", "solve_u", "solve_s"}
    assert floor["wall"] == pytest.approx(sum(p["wall"] for p in floor["parts"].values()))
    assert record["floor_ratio"] == pytest.approx(record["time_per_step"] / floor["wall"])
    assert min(floor["iterations"].values()) >= 1
    assert floor["repeats"] == 3
    memory = record["peak_memory"]
    assert memory["bytes"] >= memory["after_imports"] > 0
    assert memory["per_dof"] == pytest.approx(memory["bytes"] / record["dofs"])


def test_summary_picks_3d_floor_size_and_memory_of_the_largest_run():
    def run(dim, n, dofs, ratio, scheme="ros34pw2", ranks=1):
        memory = {"bytes": 1000.0 * dofs, "after_imports": 0.0, "per_dof": 1000.0, "per_dof_above_imports": 1000.0}
        return {
            "dim": dim,
            "n": n,
            "solver": "iterative",
            "ranks": ranks,
            "dofs": dofs,
            "time_per_step": 1.0,
            "floor_ratio": ratio,
            "floor": {},
            "scheme": scheme,
            "peak_memory": memory,
        }

    records = [run(2, 708, 1.0e6, 1.4), run(3, 32, 7.2e4, 3.0), run(3, 62, 5.0e5, 2.0), run(3, 90, 1.5e6, 2.5)]
    records[-1]["peak_memory"] = {**records[-1]["peak_memory"], "per_dof": 700.0}
    assert summary.floor_ratio(records, dim=3)["value"] == 2.0  # nearest 5e5 DOFs
    assert summary.floor_ratio(records)["value"] == 1.4
    memory = summary.peak_memory_per_dof([*records, run(2, 100, 2.0e4, 1.0, "backward-euler")])
    assert memory["value"] == 1000.0 and memory["by_case"]["3-D ros34pw2"]["per_dof"] == 700.0
    assert memory["by_case"]["2-D backward-euler"]["dofs"] == 2.0e4


def test_time_at_equal_error_from_a_ladder():
    from cases.time_to_solution import time_for_error

    # first order: error = 0.1 / steps, time = 2 s per step
    ladder = [{"steps": n, "error": 0.1 / n, "wall_time": 2.0 * n} for n in (10, 20, 40)]
    assert time_for_error(ladder, 0.1 / 30, "wall_time") == (pytest.approx(60.0), False)
    assert time_for_error(ladder, 0.1 / 400, "wall_time") == (pytest.approx(800.0), True)
    # looser than every run: the cheapest run meets it (here the 10-step one), not a power law
    assert time_for_error(ladder, 0.5, "wall_time") == (pytest.approx(20.0), False)
    flat = [{"error": e, "wall_time": t} for e, t in ((5.9e-4, 15.2), (5.86e-4, 15.0), (3.6e-4, 16.1))]
    assert time_for_error(flat, 1.8e-2, "wall_time") == (pytest.approx(15.0), False)  # measured ladder


def test_fixed_step_time_beyond_the_ladder_is_linear_in_steps():
    """Backward Euler at fixed steps: error 0.1 / N, 2 s a step; the finest rung 50 % slow (load)
    moves the time beyond the ladder by those 50 %, not by a power law through the last two rungs."""
    from cases.time_to_solution import fixed_steps_time_for_error, time_for_error

    ladder = [{"steps": n, "error": 0.1 / n, "wall_time": 2.0 * n} for n in (10, 20, 40)]
    assert fixed_steps_time_for_error(ladder, 0.1 / 30, "wall_time") == (pytest.approx(60.0), False)
    assert fixed_steps_time_for_error(ladder, 0.1 / 4000, "wall_time") == (pytest.approx(8000.0), True)
    ladder[-1]["wall_time"] *= 1.5
    assert fixed_steps_time_for_error(ladder, 0.1 / 4000, "wall_time")[0] == pytest.approx(12000.0)
    assert time_for_error(ladder, 0.1 / 4000, "wall_time")[0] > 4 * 12000.0  # the power law


def test_speedup_vs_fipy_at_matched_accuracy_on_known_data():
    """Peaks L (1 + e/n^2) and times c DOFs^p: N* = (C_fem/C_fipy) DOFs_fipy and the speed-up in closed form.

    With DOFs = 2 n^2 the relative peak error is e/n^2 = C/DOFs with C = 2 e, Richardson's limit
    is exactly L, and FiPy's error at its largest size N_f is matched by the FEM at
    ``N* = C_fem N_f / C_fipy``, where its time per step is ``c N*^p``.
    """
    fem_limit, fem_e, c, p = 1.4224, 1.25, 3e-6, 1.05
    fipy_limit, fipy_e, fipy_time = 1.4229, 0.7, 14.0
    fem = [
        {
            "dim": 2,
            "n": n,
            "solver": "iterative",
            "ranks": 1,
            "dofs": 2 * n * n,
            "time_per_step": c * (2 * n * n) ** p,
            "peak_u": fem_limit * (1 + fem_e / n**2),
        }
        for n in (70, 140, 250, 500)
    ]
    fem.append(
        {"dim": 2, "n": 500, "solver": "direct", "ranks": 1, "dofs": 2 * 500**2, "time_per_step": 1.0, "peak_u": 0.0}
    )  # other records are not used
    fipy = [
        {
            "code": "fipy",
            "n": n,
            "dofs": 2 * n * n,
            "time_per_step": fipy_time * (n / 501) ** 2,
            "peak_u": fipy_limit * (1 + fipy_e / n**2),
        }
        for n in (71, 141, 251, 501)
    ]
    accuracy = summary.accuracy(fem, fipy)
    assert accuracy["fem"]["converged_peak"] == pytest.approx(fem_limit, rel=1e-12)
    assert accuracy["fipy"]["converged_peak"] == pytest.approx(fipy_limit, rel=1e-12)
    assert accuracy["fem"]["error_constant"] == pytest.approx(2 * fem_e, rel=1e-9)
    assert accuracy["fipy"]["error_constant"] == pytest.approx(2 * fipy_e, rel=1e-9)
    assert accuracy["limits_relative_difference"] == pytest.approx((fipy_limit - fem_limit) / fem_limit, rel=1e-9)

    matched = summary.speedup_vs_fipy(fem, fipy, accuracy)
    n_star = fem_e / fipy_e * 2 * 501**2  # the FEM DOFs with FiPy's error at 501^2 cells: 8.96e5
    assert matched["fem_dofs_for_matched_error"] == pytest.approx(n_star, rel=1e-9)
    assert matched["matched_error"] == pytest.approx(fipy_e / 501**2, rel=1e-9)
    assert matched["value"] == pytest.approx(fipy_time / (c * n_star**p), rel=1e-9)  # 4.26
    same = matched["same_unknowns"]  # the FEM size nearest FiPy's in DOFs: n = 500
    assert same["fem_dofs"] == 2 * 500**2 and same["speedup"] == pytest.approx(fipy_time / (c * (2 * 500**2) ** p))

    # the default scheme's cost line (here 0.8 c DOFs^1.02) gives the value; backward Euler's is kept
    default = [
        {**r, "scheme": "ros34pw2", "time_per_step": 0.8 * c * r["dofs"] ** 1.02}
        for r in fem
        if r["solver"] == "iterative"
    ]
    with_default = summary.speedup_vs_fipy(fem, fipy, accuracy, default)
    assert with_default["value"] == pytest.approx(fipy_time / (0.8 * c * n_star**1.02), rel=1e-9)
    assert with_default["scheme"] == "ros34pw2"
    assert with_default["backward_euler"]["speedup"] == pytest.approx(matched["value"], rel=1e-12)


def test_adaptive_step_ratio_on_a_known_ladder():
    """Fixed-step errors K/N^2 (second order): N* = sqrt(K/e) exactly, ratio = solves/N*."""
    k = 1.0e4  # errors 0.25 at N = 200 ... 9.8e-4 at N = 3200
    ladder = [{"steps": n, "error": k / n**2} for n in (200, 400, 800, 1600, 3200)]
    for target in (0.1, 2.7e-3, 1e-2):  # between ladder rungs
        assert steps_for_error(ladder, target) == pytest.approx((k / target) ** 0.5, rel=1e-12)
    n_star, ratio = step_ratio(463, ladder, 2.7e-3)  # N* = 1924.5, ratio 0.2406
    assert n_star == pytest.approx((k / 2.7e-3) ** 0.5, rel=1e-12)
    assert ratio == pytest.approx(463 / n_star, rel=1e-12)
    assert steps_for_error(ladder, 2.0) == 200  # above the coarsest rung's error: the coarsest suffices
    assert step_ratio(463, ladder, 1e-4) == (None, None)  # below the finest rung's error: unknown


def test_summary_of_the_machines_own_scaling():
    """The floor's and the memory bandwidth's 1 -> 2 rank efficiencies from synthetic records:
    floor 6 s on 1 rank and 4 s on 2 (0.75; its parts 0.5 and 1.0), the package's step 1.8 and
    1.0 s (0.9) at the larger of two sizes; bandwidth medians 20 and 30 GB/s (0.75)."""

    def record(n: int, ranks: int, step: float, parts: dict[str, float]) -> dict:
        floor = {"wall": sum(parts.values()), "parts": {k: {"wall": v, "cpu": v} for k, v in parts.items()}}
        return {
            "dim": 2,
            "n": n,
            "solver": "iterative",
            "ranks": ranks,
            "dofs": 2 * n * n,
            "time_per_step": step,
            "floor": floor,
        }

    rosenbrock = [
        record(10, 1, 1.0, {"assemble": 1.0, "amg": 1.0}),
        record(10, 2, 1.0, {"assemble": 1.0, "amg": 1.0}),
        record(20, 1, 1.8, {"assemble": 2.0, "amg": 4.0}),
        record(20, 2, 1.0, {"assemble": 2.0, "amg": 2.0}),
    ]
    floor = summary.floor_parallel_efficiency(rosenbrock)
    assert floor["value"] == pytest.approx(0.75) and floor["dofs"] == 800
    assert floor["parts"] == pytest.approx({"assemble": 0.5, "amg": 1.0})
    assert floor["package"] == pytest.approx(0.9)
    assert summary.floor_parallel_efficiency(rosenbrock, dim=3)["value"] is None
    samples = [{"ranks": 1, "bandwidth": b} for b in (19.0, 20.0, 26.0)]
    samples += [{"ranks": 2, "bandwidth": b} for b in (30.0, 12.0, 31.0)]
    assert summary.bandwidth_scaling(samples)["value"] == pytest.approx(0.75)
    assert summary.bandwidth_scaling(samples[:3])["value"] is None
