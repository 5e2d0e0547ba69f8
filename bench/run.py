"""The benchmark suite: cost per step vs DOFs (1 and 2 ranks, 2-D and 3-D), iterative vs
MUMPS LU, vs FiPy on the same problem, adaptive vs fixed time steps, the Rosenbrock default
against Newton and against the floor of a step, the time to solution of a whole run, the
cost of a parameter-fitting gradient (adjoint) in forward runs, and an adapted mesh against a
uniform fine one.

    python bench/run.py [--quick] [--output-dir bench/results] [--pip-cert FILE]

Every measurement runs in its own process (``mpiexec -n 2`` for two ranks; FiPy in its own
venv, bench/.venv-fipy, installed here on first use); a case that fails or exceeds the time
limit is recorded as skipped with the reason. Writes bench/results/<date>-<host>.json and
.png (see bench/README.md).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import socket
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from cases import problem, summary  # noqa: E402
from cases.plan import FULL, QUICK, Plan  # noqa: E402
from cases.plot import plot  # noqa: E402

FIPY_VERSION = "4.0.3"
FIPY_VENV = BENCH / ".venv-fipy"
MARKER = "BENCH-JSON "


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def run_case(command: list[str], timeout: float, what: dict) -> dict:
    """Run one measurement process; its JSON record, or `what` with the reason it was skipped."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(BENCH), os.environ.get("PYTHONPATH")]))}
    start = time.perf_counter()
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        log(f"  skipped: over the time limit of {timeout:.0f} s")
        return {**what, "skipped": f"exceeded the per-case time limit of {timeout:.0f} s"}
    lines = [line for line in done.stdout.splitlines() if line.startswith(MARKER)]
    if done.returncode != 0 or not lines:
        tail = (done.stderr or done.stdout).strip().splitlines()[-5:]
        log(f"  failed (exit {done.returncode}): {' | '.join(tail)}")
        return {**what, "skipped": f"failed with exit code {done.returncode}", "error": tail}
    record = json.loads(lines[-1][len(MARKER) :])
    record["process_wall_time"] = time.perf_counter() - start
    log(
        f"  {record.get('dofs', '')} DOFs: {record.get('time_per_step', float('nan')):.4g} s/step "
        f"(process {record['process_wall_time']:.1f} s)"
        if "time_per_step" in record
        else "  done"
    )
    return record


def step_cost_command(dim: int, n: int, solver: str, ranks: int, *extra: str) -> list[str]:
    """The command line of one cases.fem_step_cost run (under mpiexec for more than one rank)."""
    command = [
        sys.executable,
        "-m",
        "cases.fem_step_cost",
        "--dim",
        str(dim),
        "--n",
        str(n),
        "--solver",
        solver,
        *extra,
    ]
    return on_ranks(command, ranks)


def on_ranks(command: list[str], ranks: int) -> list[str]:
    """The command under mpiexec for more than one rank."""
    return ["mpiexec", "-n", str(ranks), *command] if ranks > 1 else command


def fem_cases(plan: Plan) -> list[dict]:
    """Backward Euler per step, iterative (1 and 2 ranks) and MUMPS; the sizes of the ratios
    (`plan.repeated`) measured once more after all others, each record the faster of its two runs
    (both times kept in ``repeats``): on a shared host single runs were slowed by up to 1.4x.
    MUMPS in 3-D is measured once (one step of minutes)."""
    runs = [
        (dim, n, solver, ranks)
        for dim, sizes, solver, rank_counts in (
            (2, plan.iterative_2d, "iterative", (1, 2)),
            (2, plan.direct_2d, "direct", (1,)),
            (3, plan.iterative_3d, "iterative", (1, 2)),
            (3, plan.direct_3d, "direct", (1,)),
        )
        for n in sizes
        for ranks in rank_counts
    ]

    def lu_3d(dim: int, solver: str) -> bool:
        """MUMPS in 3-D: minutes a Newton iteration at the largest size, so one step, no warm-up
        (its time includes MUMPS's analysis, done once in a run), measured once."""
        return (dim, solver) == (3, "direct")

    def measured(dim: int, n: int, solver: str, ranks: int) -> dict:
        what = {"dim": dim, "n": n, "solver": solver, "ranks": ranks, "dofs": problem.fem_dofs(dim, n)}
        log(f"FEM {dim}-D n={n} {solver} on {ranks} rank(s)")
        once = lu_3d(dim, solver)
        extra = ["--steps", "1", "--warmup-steps", "0"] if once else []
        timeout = 3 * plan.timeout if once else plan.timeout
        return run_case(step_cost_command(dim, n, solver, ranks, *extra), timeout, what)

    cases = [measured(*run) for run in runs]
    for k, (dim, n, solver, ranks) in enumerate(runs):
        if (dim, n) in plan.repeated and "time_per_step" in cases[k] and not lu_3d(dim, solver):
            again = measured(dim, n, solver, ranks)
            times = [cases[k]["time_per_step"], again.get("time_per_step")]
            if "time_per_step" in again and again["time_per_step"] < cases[k]["time_per_step"]:
                cases[k] = again
            cases[k]["repeats"] = times
    for n in sorted(set(plan.iterative_2d) - set(plan.direct_2d)):
        cases.append(
            {
                "dim": 2,
                "n": n,
                "solver": "direct",
                "ranks": 1,
                "dofs": problem.fem_dofs(2, n),
                "skipped": "MUMPS LU not run above the plan's largest LU size (time and memory budget)",
            }
        )
    return cases


def rosenbrock_cases(plan: Plan) -> list[dict]:
    """Scheme "auto" (Rosenbrock) per step: iterative with the floor measured alongside (2-D and
    3-D, 1 rank; the parallel sizes on 1 and 2 ranks), and MUMPS (2-D)."""
    runs = [(2, n, "iterative", 1) for n in plan.rosenbrock_2d]
    runs += [(2, n, "direct", 1) for n in plan.rosenbrock_direct_2d]
    runs += [(3, n, "iterative", 1) for n in plan.rosenbrock_3d]
    for dim, n in plan.rosenbrock_parallel:
        runs += [(dim, n, "iterative", r) for r in (1, 2) if (dim, n, "iterative", r) not in runs]
    cases = []
    for dim, n, solver, ranks in runs:
        extra = ["--scheme", "auto", *(["--floor"] if solver == "iterative" else [])]
        command = step_cost_command(dim, n, solver, ranks, *extra)
        log(f"FEM {dim}-D n={n} scheme auto, {solver} on {ranks} rank(s)")
        what = {
            "dim": dim,
            "n": n,
            "solver": solver,
            "ranks": ranks,
            "scheme": "auto",
            "dofs": problem.fem_dofs(dim, n),
        }
        cases.append(run_case(command, plan.timeout, what))
    return cases


def bandwidth_cases(plan: Plan, rounds: int = 3) -> list[dict]:
    """The memory bandwidth of 1 and 2 ranks streaming at once, alternating (cases/bandwidth.py)."""
    log(f"memory bandwidth on 1 and 2 ranks, {rounds} rounds")
    cases = []
    for _ in range(rounds):
        for ranks in (1, 2):
            command = on_ranks([sys.executable, "-m", "cases.bandwidth"], ranks)
            cases.append(run_case(command, plan.timeout, {"case": "bandwidth", "ranks": ranks}))
    return cases


def time_to_solution_case(plan: Plan, dim: int = 2) -> dict:
    """Backward Euler along the ladder with the plan's hand solver: MUMPS in 2-D; in 3-D the
    iterative preset (MUMPS takes minutes a step there; the summary takes its time per Newton
    iteration from the per-step case)."""
    t = plan.time_to_solution if dim == 2 else plan.time_to_solution_3d
    log(f"time to solution, {dim}-D, n = {t['n']}, end time {t['end']:g}")
    command = [
        sys.executable,
        "-m",
        "cases.time_to_solution",
        "--dim",
        str(dim),
        "--hand-solver",
        t["hand_solver"],
        "--n",
        str(t["n"]),
        "--end",
        str(t["end"]),
        "--ladder",
        *map(str, t["ladder"]),
        "--reference-steps",
        str(t["reference_steps"]),
    ]
    return run_case(command, 4 * plan.timeout, {"case": "time_to_solution", "dim": dim})


def gradient_cost_case(plan: Plan) -> dict:
    g = plan.gradient_cost
    log(f"adjoint gradient cost, n = {g['n']}, {g['steps']} steps")
    command = [sys.executable, "-m", "cases.gradient_cost", *(f"--{k}={v}" for k, v in g.items())]
    return run_case(command, plan.timeout, {"case": "gradient_cost"})


def fit_recovery_case(plan: Plan) -> dict:
    size = plan.fit_recovery["size"]
    log(f"fit of chi and d on the tissue section, size {size:g}")
    command = [sys.executable, "-m", "cases.fit_recovery", f"--size={size}"]
    return run_case(command, 3 * plan.timeout, {"case": "fit_recovery"})


def fipy_python(pip_cert: str | None) -> tuple[Path | None, str | None]:
    """FiPy's interpreter (venv made and FiPy pinned on first use), or None and the error."""
    python = FIPY_VENV / "bin" / "python"
    check = [str(python), "-c", f"import fipy, sys; sys.exit(fipy.__version__ != '{FIPY_VERSION}')"]
    if python.exists() and subprocess.run(check, capture_output=True).returncode == 0:
        return python, None
    log(f"installing FiPy {FIPY_VERSION} into {FIPY_VENV}")
    env = dict(os.environ)
    if pip_cert and Path(pip_cert).is_file() and Path(pip_cert).stat().st_size > 0:
        env["PIP_CERT"] = str(Path(pip_cert).resolve())
    steps = [
        [sys.executable, "-m", "venv", "--system-site-packages", str(FIPY_VENV)],
        [str(python), "-m", "pip", "install", "--quiet", f"fipy=={FIPY_VERSION}"],
    ]
    for command in steps:
        done = subprocess.run(command, capture_output=True, text=True, env=env)
        if done.returncode != 0:
            error = (done.stderr or done.stdout).strip().splitlines()[-3:]
            log(f"  FiPy not available: {' | '.join(error)}")
            return None, " | ".join(error)
    return python, None


def fipy_cases(plan: Plan, pip_cert: str | None) -> list[dict]:
    python, error = fipy_python(pip_cert)
    if python is None:
        return [
            {
                "code": "fipy",
                "n": n,
                "dofs": 2 * n * n,
                "skipped": f"pip install fipy=={FIPY_VERSION} failed",
                "error": error,
            }
            for n in plan.fipy_2d
        ]
    cases = []
    for n in plan.fipy_2d:
        log(f"FiPy 2-D n={n}")
        cases.append(
            run_case(
                [str(python), "-m", "cases.fipy_step_cost", "--n", str(n)],
                plan.timeout,
                {"code": "fipy", "n": n, "dofs": 2 * n * n},
            )
        )
    return cases


def adaptive_case(plan: Plan) -> dict:
    a = plan.adaptive
    log(f"adaptive vs fixed steps, cells {a['cells']}, end time {a['end']:g}")
    command = [
        sys.executable,
        "-m",
        "cases.adaptive_stepping",
        "--cells",
        *map(str, a["cells"]),
        "--end",
        str(a["end"]),
        "--ladder",
        *map(str, a["ladder"]),
        "--reference-steps",
        str(a["reference_steps"]),
        "--rtol",
        str(a["rtol"]),
        "--atol",
        str(a["atol"]),
    ]
    return run_case(command, 3 * plan.timeout, {"case": "adaptive"})


def adaptive_mesh_case(plan: Plan) -> dict:
    a = plan.adaptive_mesh
    log(f"adaptive mesh ({a['base']}^2 base) vs uniform {a['fine']}^2, end time {a['end']:g}")
    command = [sys.executable, "-m", "cases.adaptive_mesh", "--fine", str(a["fine"]), "--base", str(a["base"])]
    return run_case([*command, "--end", str(a["end"])], 2 * plan.timeout, {"case": "adaptive_mesh"})


def versions(fipy: list[dict]) -> dict:
    import dolfinx

    import petsc4py
    from mpi4py import MPI
    from petsc4py import PETSc

    import fem_chemotaxis

    return {
        "fem_chemotaxis": fem_chemotaxis.__version__,
        "dolfinx": dolfinx.__version__,
        "petsc": ".".join(map(str, PETSc.Sys.getVersion())),
        "petsc4py": petsc4py.__version__,
        "mpi": MPI.Get_library_version().splitlines()[0].strip(),
        "python": platform.python_version(),
        "fipy": next((r["fipy_version"] for r in fipy if "fipy_version" in r), None),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (about 2 minutes), for smoke tests")
    parser.add_argument("--output-dir", type=Path, default=BENCH / "results")
    parser.add_argument("--pip-cert", help="CA bundle for pip when installing FiPy (PIP_CERT)")
    args = parser.parse_args()
    plan = QUICK if args.quick else FULL
    started = time.perf_counter()
    date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d")
    host = socket.gethostname()
    log(f"{plan.mode} run on {host}")

    bandwidth = bandwidth_cases(plan)  # around the parallel cases: before the first, after the last
    fem = fem_cases(plan)
    fipy = fipy_cases(plan, args.pip_cert)
    adaptive = adaptive_case(plan)
    rosenbrock = rosenbrock_cases(plan)
    bandwidth += bandwidth_cases(plan)
    to_solution = time_to_solution_case(plan)
    to_solution_3d = time_to_solution_case(plan, dim=3)
    gradient = gradient_cost_case(plan)
    recovery = fit_recovery_case(plan)
    adaptive_mesh = adaptive_mesh_case(plan)

    accuracy = summary.accuracy(fem, fipy)
    details = {
        "cost_exponent": summary.cost_exponent(fem),
        "cost_exponent_3d": summary.cost_exponent(fem, dim=3),
        "cost_exponent_rosenbrock": summary.cost_exponent(rosenbrock),
        "speedup_vs_lu": summary.speedup_vs_lu(fem),
        "speedup_vs_lu_3d": summary.speedup_vs_lu(fem, dim=3),
        "speedup_vs_fipy": summary.speedup_vs_fipy(fem, fipy, accuracy, rosenbrock),
        "parallel_efficiency": summary.parallel_efficiency(fem, dim=2),
        "parallel_efficiency_3d": summary.parallel_efficiency(fem, dim=3),
        "adaptive_step_ratio": {"value": adaptive.get("adaptive_step_ratio")},
        "floor_ratio": summary.floor_ratio(rosenbrock),
        "floor_ratio_3d": summary.floor_ratio(rosenbrock, dim=3),
        "parallel_efficiency_rosenbrock": summary.parallel_efficiency(rosenbrock, dim=2),
        "parallel_efficiency_rosenbrock_3d": summary.parallel_efficiency(rosenbrock, dim=3),
        "parallel_efficiency_floor": summary.floor_parallel_efficiency(rosenbrock, dim=2),
        "parallel_efficiency_floor_3d": summary.floor_parallel_efficiency(rosenbrock, dim=3),
        "memory_bandwidth_scaling": summary.bandwidth_scaling(bandwidth),
        "peak_memory_per_dof": summary.peak_memory_per_dof(fem + rosenbrock),
        "rosenbrock_vs_newton": summary.rosenbrock_vs_newton(fem, rosenbrock),
        "rosenbrock_vs_newton_3d": summary.rosenbrock_vs_newton(fem, rosenbrock, dim=3),
        "speedup_vs_lu_rosenbrock": summary.speedup_vs_lu(rosenbrock),
        "time_to_solution": summary.time_to_solution(to_solution),
        "time_to_solution_3d": summary.time_to_solution(to_solution_3d, fem),
        "gradient_cost": summary.gradient_cost(gradient),
        **summary.adaptive_mesh(adaptive_mesh),
    }
    results = {
        "mode": plan.mode,
        "date": date,
        "host": host,
        "cpu_count": os.cpu_count(),
        "versions": versions(fipy),
        "problem": problem.describe(),
        "plan": plan.__dict__,
        "summary": {key: d["value"] for key, d in details.items()},
        "summary_details": details,
        "accuracy": accuracy,
        "cases": {
            "fem": fem,
            "fipy": fipy,
            "adaptive": adaptive,
            "rosenbrock": rosenbrock,
            "time_to_solution": to_solution,
            "time_to_solution_3d": to_solution_3d,
            "gradient_cost": gradient,
            "fit_recovery": recovery,
            "adaptive_mesh": adaptive_mesh,
            "bandwidth": bandwidth,
        },
        "total_wall_time": time.perf_counter() - started,
    }
    results["targets"] = summary.targets(results["summary"])
    args.output_dir.mkdir(parents=True, exist_ok=True)
    stem = args.output_dir / f"{date}-{host}{'-quick' if args.quick else ''}"
    stem.with_suffix(".json").write_text(json.dumps(results, indent=1) + "\n")
    plot(results, stem.with_suffix(".png"))
    log(f"wrote {stem}.json and .png in {results['total_wall_time']:.0f} s")
    for name, check in results["targets"].items():
        verdict = {True: "pass", False: "MISS", None: "n/a"}[check["pass"]]
        print(
            f"  {name:22s} {_number(check['value']):>12s}  (target {check['relation']} {check['threshold']:.3g})  {verdict}"
        )
    yardsticks = ("parallel_efficiency_floor", "parallel_efficiency_floor_3d", "memory_bandwidth_scaling")
    print(
        "  the machine's own 1 -> 2 rank scaling: "
        + ", ".join(f"{k} {_number(results['summary'][k])}" for k in yardsticks)
    )


def _number(value: float | None) -> str:
    return "not measured" if value is None else f"{value:.3g}"


if __name__ == "__main__":
    main()
