"""The benchmark suite's measurement and summary code on tiny sizes (not the timings)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from cases import problem, summary
from cases.fem_step_cost import measure

pytestmark = pytest.mark.serial


@pytest.mark.parametrize("dim, n", [(2, 8), (3, 3)])
def test_one_case_record_is_consistent(dim, n):
    record = measure(dim, n, "iterative")
    assert record["dofs"] == record["expected_dofs"] == problem.fem_dofs(dim, n) == 2 * (n + 1) ** dim
    assert len(record["steps"]) == problem.MEASURED_STEPS
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
    assert 1.0 < record["peak_u"] < 1.5  # by t = 0.08 the bump has spread more than it has aggregated


def test_summary_recovers_known_exponent_limit_and_ratios():
    dofs = [1e4, 1e5, 1e6]
    fem = [{"dim": 2, "n": n, "solver": "iterative", "ranks": 1, "dofs": d, "time_per_step": 3e-6 * d**1.05,
            "peak_u": 2.0 - 5.0 / n**2} for n, d in zip((100, 200, 400), dofs)]
    fem += [{"dim": 2, "n": n, "solver": "direct", "ranks": 1, "dofs": d, "time_per_step": 1e-7 * d**1.4}
            for n, d in zip((100, 200), dofs)]
    two_ranks = 3e-6 * 1e6**1.05 / 1.8  # efficiency 0.9
    fem += [{"dim": 2, "n": 400, "solver": "iterative", "ranks": 2, "dofs": 1e6, "time_per_step": two_ranks}]
    assert summary.cost_exponent(fem)["value"] == pytest.approx(1.05, rel=1e-12)
    lu = summary.speedup_vs_lu(fem)  # nearest to 1e6 with both solvers: 1e5
    assert lu["dofs"] == 1e5 and lu["value"] == pytest.approx(1e-7 * 1e5**1.4 / (3e-6 * 1e5**1.05))
    assert summary.parallel_efficiency(fem)["value"] == pytest.approx(0.9)
    assert summary.richardson(fem[1], fem[2]) == pytest.approx(2.0, rel=1e-14)
    checks = summary.targets({"cost_exponent": 1.05, "speedup_vs_lu": 4.0, "speedup_vs_fipy": None,
                              "parallel_efficiency": 0.9, "adaptive_step_ratio": 0.2, "floor_ratio": 1.6,
                              "time_to_solution": 12.0})
    assert [checks[k]["pass"] for k in checks] == [True, False, None, True, True, False, True]
    p, c = summary.power_fit([1.0, 10.0, 100.0], list(np.array([2.0, 20.0, 200.0]) ** 1.0))
    assert p == pytest.approx(1.0) and c == pytest.approx(2.0)


def test_rosenbrock_record_has_its_floor():
    record = measure(2, 8, "iterative", "auto", floor=True)
    assert record["scheme"] == "ros34pw2"
    assert all(s["newton_iterations"] == 0 < s["krylov_iterations"] for s in record["steps"])
    floor = record["floor"]
    assert set(floor["parts"]) == {"assemble_changing_blocks", "amg_setup_u", "amg_setup_s", "solve_u", "solve_s"}
    assert floor["wall"] == pytest.approx(sum(p["wall"] for p in floor["parts"].values()))
    assert record["floor_ratio"] == pytest.approx(record["time_per_step"] / floor["wall"])
    assert min(floor["iterations"].values()) >= 1


def test_time_at_equal_error_from_a_ladder():
    from cases.time_to_solution import time_for_error

    # first order: error = 0.1 / steps, time = 2 s per step
    ladder = [{"steps": n, "error": 0.1 / n, "wall_time": 2.0 * n} for n in (10, 20, 40)]
    assert time_for_error(ladder, 0.1 / 30, "wall_time") == (pytest.approx(60.0), False)
    assert time_for_error(ladder, 0.1 / 400, "wall_time") == (pytest.approx(800.0), True)
    rosenbrock = [{"dofs": 1e6, "n": 708, "dim": 2, "solver": "iterative", "ranks": 1, "time_per_step": 1.0,
                   "floor_ratio": 1.4, "floor": {}, "scheme": "ros34pw2"}]
    newton = [{"dofs": 1e6, "n": 708, "dim": 2, "solver": "iterative", "ranks": 1, "time_per_step": 3.0}]
    assert summary.floor_ratio(rosenbrock)["value"] == 1.4
    assert summary.rosenbrock_vs_newton(newton, rosenbrock)["value"] == pytest.approx(3.0)
