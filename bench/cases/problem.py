"""The benchmark problem, shared by the FEM and FiPy cases (stdlib only: FiPy's venv imports it).

2-D Keller-Segel (the package's built-in ``keller-segel`` model) on the unit square with
no-flux boundaries, backward Euler with a fixed dt::

    du/dt = div(d grad u - chi u grad s),   ds/dt = div(ds grad s) + alpha u - beta s

A Gaussian bump of cells in the centre of the square aggregates; the accuracy measure is the
peak cell density after all steps (the centre is a mesh node for even n, a cell centre of
FiPy's grid for odd n). 3-D cases use the same model on the unit cube.
"""

from __future__ import annotations

import math

PARAMETERS = {"d": 0.1, "chi": 5.0, "ds": 1.0, "alpha": 1.0, "beta": 1.0}
CENTRE = 0.5
WIDTH = 20.0  # u0 = 1 + 0.5 exp(-WIDTH |x - centre|^2)
INITIAL_2D = {"u": f"1 + 0.5*exp(-{WIDTH}*((x-{CENTRE})^2 + (y-{CENTRE})^2))", "s": "1"}
INITIAL_3D = {"u": f"1 + 0.5*exp(-{WIDTH}*((x-{CENTRE})^2 + (y-{CENTRE})^2 + (z-{CENTRE})^2))", "s": "1"}
DT = 0.02
#: The time scheme of the per-step cases (Rosenbrock variants are measured with --scheme).
SCHEME = "backward-euler"
WARMUP_STEPS = 1
MEASURED_STEPS = 3
#: Newton's relative tolerance for every solver compared (the iterative preset's own; the direct
#: preset would otherwise stop at 1e-10 and pay for an extra Newton iteration).
NEWTON_RTOL = 1e-8


def describe() -> dict:
    """The problem as recorded in the results JSON."""
    return {
        "model": "keller-segel (built-in)",
        "equations": "du/dt = div(d grad u - chi u grad s); ds/dt = div(ds grad s) + alpha u - beta s",
        "parameters": PARAMETERS,
        "domain": "unit square (2-D) / unit cube (3-D), no-flux boundaries",
        "initial": {"2-D": INITIAL_2D, "3-D": INITIAL_3D},
        "discretisation": "P1 x P1 on structured simplex meshes (n x n cells), backward Euler",
        "dt": DT,
        "steps": {"warm-up": WARMUP_STEPS, "measured": MEASURED_STEPS},
        "newton_rtol": NEWTON_RTOL,
        "accuracy_measure": f"peak of u at t = {(WARMUP_STEPS + MEASURED_STEPS) * DT:g} (the centre); each "
        "code's relative error against its own mesh-converged peak (Richardson "
        "extrapolation from its two finest 2-D meshes)",
    }


def fem_dofs(dim: int, n: int) -> int:
    """Unknowns of the P1 x P1 FEM problem on an n^dim-cell mesh (two species)."""
    return 2 * (n + 1) ** dim


def initial_u(x: float, y: float) -> float:
    """The initial cell density at a point of the square (for FiPy)."""
    return 1.0 + 0.5 * math.exp(-WIDTH * ((x - CENTRE) ** 2 + (y - CENTRE) ** 2))
