"""The results picture: cost per step vs DOFs (log-log), and the adaptive-stepping comparison."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from cases.summary import select

SERIES = [  # label, records key, match, style
    ("FEM iterative 2-D, 1 rank", "fem", {"dim": 2, "solver": "iterative", "ranks": 1}, "o-"),
    ("FEM iterative 2-D, 2 ranks", "fem", {"dim": 2, "solver": "iterative", "ranks": 2}, "o--"),
    ("FEM MUMPS LU 2-D, 1 rank", "fem", {"dim": 2, "solver": "direct", "ranks": 1}, "s-"),
    ("FEM iterative 3-D, 1 rank", "fem", {"dim": 3, "solver": "iterative", "ranks": 1}, "^-"),
    ("FEM iterative 3-D, 2 ranks", "fem", {"dim": 3, "solver": "iterative", "ranks": 2}, "^--"),
    ("FiPy 4 (SciPy LU, 2 sweeps) 2-D, 1 rank", "fipy", {}, "d-"),
]


def plot(results: dict, path: Path) -> None:
    fig, (cost, adaptive) = plt.subplots(1, 2, figsize=(13, 5.2))
    for label, key, match, style in SERIES:
        runs = select(results["cases"][key], **match)
        if runs:
            cost.loglog([r["dofs"] for r in runs], [r["time_per_step"] for r in runs], style, label=label)
    p = results["summary"].get("cost_exponent")
    title = f"Cost per time step ({results['mode']} run)"
    cost.set_title(title + (f": 2-D iterative ~ DOFs^{p:.2f}" if p is not None else ""))
    cost.set_xlabel("unknowns (DOFs)")
    cost.set_ylabel("wall time per time step [s]")
    cost.grid(True, which="both", alpha=0.3)
    cost.legend(fontsize=8)

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
