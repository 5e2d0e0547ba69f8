"""The summary numbers and target checks, computed from a run's measured records."""

from __future__ import annotations

import math

import numpy as np

#: Target name -> (summary key, threshold, "<=" or ">=", what it means).
TARGETS = {
    "cost_exponent": ("cost_exponent", 1.1, "<=", "cost per step ~ DOFs^p over the 2-D sizes (1 rank)"),
    "cost_exponent_3d": ("cost_exponent_3d", 1.1, "<=", "cost per step ~ DOFs^p over the 3-D sizes (1 rank)"),
    "speedup_vs_lu": ("speedup_vs_lu", 5.0, ">=", "MUMPS LU time / iterative time per step, 2-D, near 1e6 DOFs"),
    "speedup_vs_lu_3d": ("speedup_vs_lu_3d", 5.0, ">=", "MUMPS LU time / iterative time per step, 3-D, 5e5 DOFs"),
    "speedup_vs_fipy": (
        "speedup_vs_fipy",
        20.0,
        ">=",
        "FiPy time / FEM time per step at >= 5e5 unknowns, matched accuracy",
    ),
    "parallel_efficiency": ("parallel_efficiency", 0.85, ">=", "t1 / (2 t2), 2-D iterative, >= 1e6 DOFs"),
    "parallel_efficiency_3d": ("parallel_efficiency_3d", 0.85, ">=", "t1 / (2 t2), 3-D iterative, 5e5 DOFs"),
    "adaptive_step_ratio": (
        "adaptive_step_ratio",
        1 / 3,
        "<=",
        "adaptive steps / fixed steps for the same error, pattern-forming run",
    ),
    "floor_ratio": (
        "floor_ratio",
        1.5,
        "<=",
        "default (Rosenbrock) time per step / floor (changing blocks + AMG set-up and solve per species)",
    ),
    "time_to_solution": (
        "time_to_solution",
        10.0,
        ">=",
        "backward Euler + Newton + MUMPS / default, time to the end time at equal error",
    ),
    "time_to_solution_3d": (
        "time_to_solution_3d",
        10.0,
        ">=",
        "the same in 3-D (MUMPS: steps needed x one Newton iteration's LU, a lower bound)",
    ),
    "gradient_cost": (
        "gradient_cost",
        3.0,
        "<=",
        "(forward + adjoint) / forward wall time of a misfit gradient in 5 parameters (fitting/)",
    ),
    "adaptive_mesh_peak": (
        "adaptive_mesh_peak_difference",
        0.01,
        "<=",
        "|peak adapted - peak uniform fine| / peak uniform fine, Keller-Segel aggregation",
    ),
    "adaptive_mesh_dofs": ("adaptive_mesh_dofs_ratio", 0.25, "<=", "largest adapted unknowns / uniform fine unknowns"),
    "adaptive_mesh_time": ("adaptive_mesh_wall_time_ratio", 1.0, "<=", "adapted wall time / uniform fine wall time"),
}


def _ok(records: list[dict]) -> list[dict]:
    return [r for r in records if "time_per_step" in r]


def select(records: list[dict], **match) -> list[dict]:
    """Measured records whose fields equal `match`, by increasing DOFs."""
    return sorted((r for r in _ok(records) if all(r.get(k) == v for k, v in match.items())), key=lambda r: r["dofs"])


def power_fit(dofs: list[float], values: list[float]) -> tuple[float, float]:
    """(p, c) of the least-squares fit log(value) = log(c) + p log(dofs)."""
    p, log_c = np.polyfit(np.log(dofs), np.log(values), 1)
    return float(p), float(math.exp(log_c))


#: The size each dimension's per-step ratios are taken at (the nearest measured).
RATIO_DOFS = {2: 1e6, 3: 5e5}


def cost_exponent(fem: list[dict], dim: int = 2) -> dict:
    runs = select(fem, dim=dim, solver="iterative", ranks=1)
    if len(runs) < 2:
        return {"value": None, "note": f"fewer than two {dim}-D sizes measured"}
    p, c = power_fit([r["dofs"] for r in runs], [r["time_per_step"] for r in runs])
    return {"value": p, "prefactor": c, "dofs": [r["dofs"] for r in runs]}


def speedup_vs_lu(fem: list[dict], dim: int = 2) -> dict:
    """LU / iterative time per step at the size nearest RATIO_DOFS measured with both (1 rank).

    Per Newton iteration instead (the time of the measured steps / their Newton iterations) where
    the LU record had no warm-up (``warmup_step_count`` 0, the 3-D MUMPS case of run.py): its step
    is the run's first, which takes more Newton iterations than later steps (3 where they take 2).
    """
    iterative = {r["n"]: r for r in select(fem, dim=dim, solver="iterative", ranks=1)}
    both = [r for r in select(fem, dim=dim, solver="direct", ranks=1) if r["n"] in iterative]
    if not both:
        return {"value": None, "note": f"no {dim}-D size measured with both solvers"}
    lu = min(both, key=lambda r: abs(math.log(r["dofs"] / RATIO_DOFS[dim])))
    it = iterative[lu["n"]]
    if lu.get("warmup_step_count") == 0:
        lu_time, it_time = newton_iteration_time(lu), newton_iteration_time(it)
        return {
            "value": lu_time / it_time,
            "dofs": lu["dofs"],
            "per": "Newton iteration",
            "lu": lu_time,
            "iterative": it_time,
        }
    return {
        "value": lu["time_per_step"] / it["time_per_step"],
        "dofs": lu["dofs"],
        "lu_time_per_step": lu["time_per_step"],
        "iterative_time_per_step": it["time_per_step"],
    }


def newton_iteration_time(record: dict) -> float:
    """Wall time of a record's measured steps / their Newton iterations."""
    steps = record["steps"]
    return sum(s["wall_time"] for s in steps) / sum(s["newton_iterations"] for s in steps)


def rank_pairs(records: list[dict], dim: int, *needed: str) -> list[tuple[dict, dict]]:
    """(1-rank, 2-rank) iterative records of the same size that hold every `needed` field, by increasing DOFs."""

    def kept(ranks: int) -> list[dict]:
        return [r for r in select(records, dim=dim, solver="iterative", ranks=ranks) if all(k in r for k in needed)]

    one = {r["n"]: r for r in kept(1)}
    return [(one[r["n"]], r) for r in kept(2) if r["n"] in one]


def parallel_efficiency(fem: list[dict], dim: int = 2) -> dict:
    pairs = rank_pairs(fem, dim)
    if not pairs:
        return {"value": None, "note": "no size measured on 1 and 2 ranks"}
    t1, t2 = pairs[-1][0]["time_per_step"], pairs[-1][1]["time_per_step"]
    return {
        "value": t1 / (2 * t2),
        "dofs": pairs[-1][0]["dofs"],
        "t1": t1,
        "t2": t2,
        "by_dofs": {str(a["dofs"]): a["time_per_step"] / (2 * b["time_per_step"]) for a, b in pairs},
    }


def floor_parallel_efficiency(rosenbrock: list[dict], dim: int = 2) -> dict:
    """The floor's t1 / (2 t2) (plain DOLFINx and hypre, cases/floor.py) at the largest size whose
    floor was measured on 1 and 2 ranks, each part's, and the default scheme's in the same processes:
    what the machine gives a second rank on the same work, next to what the package gets."""
    pairs = rank_pairs(rosenbrock, dim, "floor")
    if not pairs:
        return {"value": None, "note": f"no {dim}-D floor measured on 1 and 2 ranks"}
    a, b = pairs[-1]
    parts = a["floor"]["parts"]
    return {
        "value": a["floor"]["wall"] / (2 * b["floor"]["wall"]),
        "dofs": a["dofs"],
        "t1": a["floor"]["wall"],
        "t2": b["floor"]["wall"],
        "parts": {k: parts[k]["wall"] / (2 * b["floor"]["parts"][k]["wall"]) for k in parts},
        "package": a["time_per_step"] / (2 * b["time_per_step"]),
    }


def bandwidth_scaling(samples: list[dict]) -> dict:
    """Memory bandwidth of 2 ranks streaming at once / (2 x that of 1 rank), the medians of the
    runs (cases/bandwidth.py): a bound on the efficiency of memory-bound work on this machine."""
    by_ranks = {r: [s["bandwidth"] for s in samples if s.get("ranks") == r and "bandwidth" in s] for r in (1, 2)}
    if not all(by_ranks.values()):
        return {"value": None, "note": "memory bandwidth not measured on 1 and 2 ranks"}
    one, two = (sorted(v)[len(v) // 2] for v in by_ranks.values())
    return {"value": two / (2 * one), "one_rank": one, "two_ranks": two, "samples": by_ranks}


def floor_ratio(rosenbrock: list[dict], dim: int = 2) -> dict:
    """Time per step / the floor measured in the same process, 1 rank, at the size nearest
    1e6 DOFs (2-D) or 5e5 DOFs (3-D)."""
    runs = [r for r in select(rosenbrock, dim=dim, solver="iterative", ranks=1) if "floor" in r]
    if not runs:
        return {"value": None, "note": f"no {dim}-D Rosenbrock run with its floor measured"}
    run = min(runs, key=lambda r: abs(math.log(r["dofs"] / RATIO_DOFS[dim])))
    return {
        "value": run["floor_ratio"],
        "cpu": run.get("floor_ratio_cpu"),
        "dofs": run["dofs"],
        "scheme": run["scheme"],
        "time_per_step": run["time_per_step"],
        "floor": run["floor"],
        "by_dofs": {str(r["dofs"]): r["floor_ratio"] for r in runs},
    }


def peak_memory_per_dof(records: list[dict]) -> dict:
    """Peak resident memory per DOF (summed over ranks) of the largest 1-rank iterative run of
    each dimension and scheme; the value: 2-D, the Rosenbrock scheme (the default path)."""
    by_case = {}
    for r in select(records, solver="iterative", ranks=1):  # by increasing DOFs: the largest last
        if "peak_memory" in r:
            by_case[f"{r['dim']}-D {r['scheme']}"] = {"dofs": r["dofs"], **r["peak_memory"]}
    main = [v for k, v in by_case.items() if k.startswith("2-D ros")]
    return {"value": main[0]["per_dof"] if main else None, "unit": "bytes per DOF", "by_case": by_case}


def rosenbrock_vs_newton(fem: list[dict], rosenbrock: list[dict], dim: int = 2) -> dict:
    """Newton (backward Euler) / Rosenbrock time per step, iterative, same dt, nearest 1e6 DOFs (2-D) or 5e5 (3-D)."""
    newton = {r["n"]: r for r in select(fem, dim=dim, solver="iterative", ranks=1)}
    pairs = [(newton[r["n"]], r) for r in select(rosenbrock, dim=dim, solver="iterative", ranks=1) if r["n"] in newton]
    if not pairs:
        return {"value": None, "note": f"no {dim}-D size measured with both schemes"}
    a, b = min(pairs, key=lambda p: abs(math.log(p[0]["dofs"] / RATIO_DOFS[dim])))
    return {
        "value": a["time_per_step"] / b["time_per_step"],
        "dofs": a["dofs"],
        "scheme": b["scheme"],
        "by_dofs": {str(x["dofs"]): x["time_per_step"] / y["time_per_step"] for x, y in pairs},
    }


def time_to_solution(case: dict, fem: list[dict] = ()) -> dict:
    """The time-to-solution case's speed-up at the default's error (see cases/time_to_solution.py).

    A ladder solved with MUMPS (``hand_written.hand_solver`` "direct", 2-D) gives the hand-written
    script's time itself. A ladder solved with the iterative preset (3-D, where MUMPS takes minutes
    a step) gives the steps the script needs and the speed-up over backward Euler with that preset
    (``vs_iterative_backward_euler``); the script's time is then at least those steps x one MUMPS
    Newton iteration as the per-step case measured it on the same mesh (`fem`): the value is a
    lower bound (``lower_bound``).
    """
    if "speedup" not in case:
        return {"value": None, "note": case.get("skipped", "not measured")}
    hand = case["hand_written"]
    common = {"dofs": case["dofs"], "extrapolated": hand["extrapolated"], "default_error": case["default"]["error"]}
    at_its_error = case["speedup_at_hand_written_error"]
    if hand["hand_solver"] == "direct":
        return {
            "value": case["speedup"],
            "cpu": case.get("speedup_cpu"),
            "at_hand_written_error": at_its_error,
            **common,
        }
    lu = [r for r in select(fem, dim=case["dim"], solver="direct", ranks=1) if r["n"] == case["n"]]
    details = {
        "vs_iterative_backward_euler": case["speedup"],
        "vs_iterative_backward_euler_at_its_error": at_its_error,
        "steps_at_default_error": hand["steps_at_default_error"],
    }
    if not lu:
        return {"value": None, "note": f"no MUMPS step measured at n = {case['n']}", **details, **common}
    per_iteration = newton_iteration_time(lu[0])
    hand_time = hand["steps_at_default_error"] * per_iteration
    return {
        "value": hand_time / case["default"]["wall_time"],
        "lower_bound": True,
        "hand_written_time": hand_time,
        "mumps_newton_iteration": per_iteration,
        **details,
        **common,
    }


def richardson(coarse: dict, fine: dict, order: float = 2.0) -> float:
    """Extrapolated peak from two meshes with h ratio coarse/fine (error ~ h^order)."""
    ratio = (fine["n"] / coarse["n"]) ** order
    return fine["peak_u"] + (fine["peak_u"] - coarse["peak_u"]) / (ratio - 1.0)


def accuracy(fem: list[dict], fipy: list[dict]) -> dict:
    """Peak errors of each code against its own mesh-converged peak (Richardson, 2 finest meshes).

    Both codes use the same dt and steps, so their time errors are the same and cancel; what
    differs is the spatial error, which goes like h^2 ~ 1/DOFs for both.
    """
    result: dict = {}
    for code, runs in (("fem", select(fem, dim=2, solver="iterative", ranks=1)), ("fipy", _ok(fipy))):
        runs = sorted(runs, key=lambda r: r["dofs"])
        if len(runs) < 3:
            result[code] = {"note": "fewer than three sizes: no error estimate"}
            continue
        limit = richardson(runs[-2], runs[-1])
        # the finest mesh's error comes from the extrapolation itself; report the others and
        # fit error = C / DOFs on them
        errors = [
            {"dofs": r["dofs"], "peak_u": r["peak_u"], "relative_error": abs(r["peak_u"] - limit) / limit}
            for r in runs[:-1]
        ]
        constant = float(np.exp(np.mean([np.log(e["relative_error"] * e["dofs"]) for e in errors[-2:]])))
        result[code] = {
            "converged_peak": limit,
            "errors": errors,
            "error_constant": constant,
            "error_model": "relative peak error = error_constant / DOFs",
        }
    if "converged_peak" in result.get("fem", {}) and "converged_peak" in result.get("fipy", {}):
        a, b = result["fem"]["converged_peak"], result["fipy"]["converged_peak"]
        result["limits_relative_difference"] = abs(a - b) / a
    return result


def speedup_vs_fipy(fem: list[dict], fipy: list[dict], accuracy_report: dict, rosenbrock: list[dict] = ()) -> dict:
    """FiPy's time per step over the FEM's at the DOFs where their peak errors agree.

    The errors are the spatial ones (cases run with the same dt and backward Euler, so the time
    errors cancel, see :func:`accuracy`); the value is the package's default scheme
    (ros34pw2, whose time error is smaller still), with backward Euler's alongside; the
    default's time per step is that of a whole Jacobian period after the run's start, the
    speed-up over its first steps (the kept solutions filling) alongside.
    """
    runs = sorted(_ok(fipy), key=lambda r: r["dofs"])
    fem_runs = select(fem, dim=2, solver="iterative", ranks=1)
    if not runs or len(fem_runs) < 2:
        return {"value": None, "note": "FiPy or FEM not measured"}
    peer = runs[-1]
    nearest = min(fem_runs, key=lambda r: abs(math.log(r["dofs"] / peer["dofs"])))
    out = {
        "fipy_dofs": peer["dofs"],
        "fipy_time_per_step": peer["time_per_step"],
        "same_unknowns": {
            "fem_dofs": nearest["dofs"],
            "fem_time_per_step": nearest["time_per_step"],
            "speedup": peer["time_per_step"] / nearest["time_per_step"],
        },
    }
    fem_acc, fipy_acc = accuracy_report.get("fem", {}), accuracy_report.get("fipy", {})
    if "error_constant" not in fem_acc or "error_constant" not in fipy_acc:
        out["value"] = None
        out["note"] = "no error estimates: matched accuracy unknown"
        return out
    # FiPy's error at its size, and the FEM size with the same error (error ~ C / DOFs)
    target_error = fipy_acc["error_constant"] / peer["dofs"]
    fem_dofs = fem_acc["error_constant"] / target_error
    out.update(
        {
            "matched_error": target_error,
            "fem_dofs_for_matched_error": fem_dofs,
            "method": "FEM time per step from the DOFs^p fit at the DOFs where its peak error equals FiPy's",
        }
    )
    default_runs = select(list(rosenbrock), dim=2, solver="iterative", ranks=1)
    for name, cost_runs in (("backward_euler", fem_runs), ("default_scheme", default_runs)):
        if len(cost_runs) < 2:
            continue
        p, c = power_fit([r["dofs"] for r in cost_runs], [r["time_per_step"] for r in cost_runs])
        fem_time = c * fem_dofs**p
        out[name] = {"speedup": peer["time_per_step"] / fem_time, "fem_time_per_step_at_matched_error": fem_time}
    starts = [r for r in default_runs if "time_per_step_start" in r]
    if "default_scheme" in out and len(starts) >= 2:  # the same with the steps of the run's start
        p, c = power_fit([r["dofs"] for r in starts], [r["time_per_step_start"] for r in starts])
        out["default_scheme"]["speedup_over_the_first_steps"] = peer["time_per_step"] / (c * fem_dofs**p)
    chosen = out.get("default_scheme") or out["backward_euler"]
    out["value"] = chosen["speedup"]
    out["scheme"] = default_runs[0]["scheme"] if "default_scheme" in out else "backward-euler"
    return out


def gradient_cost(case: dict) -> dict:
    """The adjoint gradient's cost in forward runs (see cases/gradient_cost.py)."""
    if "ratio" not in case:
        return {"value": None, "note": case.get("skipped", "not measured")}
    return {
        "value": case["ratio"],
        "store_every_4": case["ratio_store_every_4"],
        "default_preset": case.get("default", {}).get("ratio"),
        "dofs": case["dofs"],
        "steps": case["steps"],
    }


def adaptive_mesh(record: dict) -> dict:
    """The three numbers of the adaptive-mesh case (None where it was skipped)."""
    keys = ("peak_difference", "dofs_ratio", "wall_time_ratio")
    return {f"adaptive_mesh_{key}": {"value": record.get(key)} for key in keys}


def targets(summary: dict) -> dict:
    checks = {}
    for name, (key, threshold, relation, meaning) in TARGETS.items():
        value = summary.get(key)
        passed = None if value is None else (value <= threshold if relation == "<=" else value >= threshold)
        checks[name] = {
            "value": value,
            "threshold": threshold,
            "relation": relation,
            "pass": passed,
            "meaning": meaning,
        }
    return checks
