"""The results picture: cost per step vs DOFs (log-log; backward Euler + Newton and the default
Rosenbrock scheme), and the adaptive-stepping comparison."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from cases.summary import select

SERIES = [  # label, records key, match, style
    ("backward Euler, iterative 2-D, 1 rank", "fem", {"dim": 2, "solver": "iterative", "ranks": 1}, "o-"),
    ("backward Euler, iterative 2-D, 2 ranks", "fem", {"dim": 2, "solver": "iterative", "ranks": 2}, "o--"),
    ("backward Euler, MUMPS LU 2-D, 1 rank", "fem", {"dim": 2, "solver": "direct", "ranks": 1}, "s-"),
    ("backward Euler, iterative 3-D, 1 rank", "fem", {"dim": 3, "solver": "iterative", "ranks": 1}, "^-"),
    ("backward Euler, iterative 3-D, 2 ranks", "fem", {"dim": 3, "solver": "iterative", "ranks": 2}, "^--"),
    ("backward Euler, MUMPS LU 3-D, 1 rank (first step)", "fem", {"dim": 3, "solver": "direct", "ranks": 1}, "v-"),
    ("ros34pw2 (default), iterative 3-D, 1 rank", "rosenbrock", {"dim": 3, "solver": "iterative", "ranks": 1}, "P-"),
    ("ros34pw2 (default), iterative 2-D, 1 rank", "rosenbrock", {"dim": 2, "solver": "iterative", "ranks": 1}, "*-"),
    ("ros34pw2 (default), MUMPS LU 2-D, 1 rank", "rosenbrock", {"dim": 2, "solver": "direct", "ranks": 1}, "x-"),
    ("FiPy 4 (SciPy LU, 2 sweeps) 2-D, 1 rank", "fipy", {}, "d-"),
]


def plot(results: dict, path: Path) -> None:
    fig, (cost, adaptive) = plt.subplots(1, 2, figsize=(13, 6.4))
    for label, key, match, style in SERIES:
        runs = select(results["cases"].get(key, []), **match)
        if runs:
            cost.loglog([r["dofs"] for r in runs], [r["time_per_step"] for r in runs], style, label=label)
    p = results["summary"].get("cost_exponent")
    title = f"Cost per time step ({results['mode']} run)"
    cost.set_title(title + (f": 2-D backward Euler iterative ~ DOFs^{p:.2f}" if p is not None else ""))
    cost.set_xlabel("unknowns (DOFs)")
    cost.set_ylabel("wall time per time step [s]")
    cost.grid(True, which="both", alpha=0.3)
    cost.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=2)  # below: no line hidden

    case = results["cases"].get("adaptive") or {}
    if "fixed" in case:
        fixed = case["fixed"]
        adaptive.loglog([f["steps"] for f in fixed], [f["error"] for f in fixed], "o-", label="fixed dt (BDF2)")
        a = case["adaptive"]
        adaptive.loglog(
            [a["accepted_steps"] + a["rejected_steps"]],
            [a["error"]],
            "r*",
            markersize=14,
            label=f"adaptive BDF2 (rtol {a['rtol']:g}), incl. {a['rejected_steps']} rejected",
        )
        adaptive.legend(fontsize=8)
    end = case.get("end_time", float("nan"))
    adaptive.set_title(f"Time steps to t = {end:g} vs error (volume-filling Keller-Segel)")
    adaptive.set_xlabel("time steps (solves)")
    adaptive.set_ylabel("relative max error of u at the end time")
    adaptive.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
