"""The adjoint gradient of the misfit against the Taylor remainder of the misfit itself.

For an exact gradient, r(h) = |M(p + h dp) - M(p) - h dM.dp| = O(h^2): the observed rate
log2(r(h)/r(h/2)) is 2, while a wrong gradient leaves r(h) = O(h) (rate 1). One parameter
of each kind: diffusion (d), taxis sensitivity (chi), reaction rate (beta), the value of a
boundary flux (q).
"""

from __future__ import annotations

import dolfinx.fem
import numpy as np
import pytest

from fem_chemotaxis.config.settings import SolverSettings, TimeSettings
from fem_chemotaxis.expressions import Expression
from fem_chemotaxis.fitting import FieldObservation, PointObservation, ReducedMisfit
from fem_chemotaxis.mesh import create_builtin
from fem_chemotaxis.model import Model
from fem_chemotaxis.model.boundary import BoundaryCondition
from fem_chemotaxis.simulation import Simulation

MODEL = {
    "species": {
        "u": {"diffusion": "d", "taxis": [{"towards": "s", "sensitivity": "chi*u"}]},
        "s": {"diffusion": "ds", "reaction": "alpha*u - beta*s"},
    },
    "parameters": {"d": 0.2, "chi": 2.5, "ds": 1.0, "alpha": 1.0, "beta": 0.7, "q": 0.3},
}
FLUX = {"on": "left", "species": "s", "type": "flux", "value": "q"}
FIXED = {"on": "right", "species": "s", "type": "dirichlet", "value": "1 + 0.1*y"}
DT, STEPS = 0.05, 4


POINTS = np.array([[0.1, 0.2], [0.5, 0.5], [0.9, 0.3], [0.35, 0.8], [0.5, 0.0625]])  # the last on an edge


def _reduced_misfit(
    comm,
    names,
    points: bool = False,
    scheme: str = "backward-euler",
    preset: str = "auto",
    cells: int = 8,
    dirichlet: bool = False,
    flux: bool = True,
) -> ReducedMisfit:
    mesh = create_builtin(comm, "rectangle", [1.0, 1.0], [cells, cells])
    sim = Simulation(
        Model.from_dict(MODEL),
        mesh,
        {"u": "1 + 0.3*cos(pi*x)*cos(pi*y)", "s": "1 + 0.2*x*y"},
        TimeSettings(dt=DT, scheme=scheme),
        boundary_conditions=[
            BoundaryCondition.from_dict(c, "test") for c in [*([FLUX] if flux else []), *([FIXED] if dirichlet else [])]
        ],
        solver=SolverSettings(preset),
    )
    observations = []
    for k, (species, text) in enumerate([("u", "1 + 0.1*x"), ("s", "1 - 0.1*y"), ("u", "1.1 - 0.2*y*x")]):
        values = dolfinx.fem.Function(sim.spaces[species])
        values.interpolate(Expression.parse(text, "test").at_points({}, 0.0))
        observations.append(FieldObservation((k + 2) * DT if k < 2 else STEPS * DT, species, values, 1.0 + k))
    if points:  # densities at points instead, at two times
        observations = [
            PointObservation(DT, "u", POINTS, np.linspace(0.9, 1.2, len(POINTS)), 2.0),
            PointObservation(STEPS * DT, "s", POINTS, np.full(len(POINTS), 1.1)),
        ]
    return ReducedMisfit(sim, names, observations)


def _taylor_rates(reduced: ReducedMisfit, direction: np.ndarray) -> list[float]:
    p = reduced.values
    value, gradient = reduced.value_and_gradient(p)
    steps = [0.02 * 2.0**-k for k in range(4)]
    remainders = [abs(reduced(p + h * direction) - value - h * gradient @ direction) for h in steps]
    print("remainders", remainders)
    return [float(np.log2(a / b)) for a, b in zip(remainders, remainders[1:])]


@pytest.mark.parametrize("name", ["d", "chi", "beta", "q"])
def test_gradient_has_second_order_taylor_remainder(comm, name):
    """Each parameter kind alone: rate 2 within 0.1."""
    reduced = _reduced_misfit(comm, [name])
    rates = _taylor_rates(reduced, np.array([reduced.values[0]]))
    print(name, "rates", rates)
    assert min(rates) == pytest.approx(2.0, abs=0.1)
    assert max(rates) == pytest.approx(2.0, abs=0.1)


@pytest.mark.parametrize("scheme", ["backward-euler", "crank-nicolson"])
def test_gradient_of_all_kinds_together_with_recomputed_states(comm, scheme):
    """All four together, keeping every 3rd state only (the recompute path): rate 2 within 0.1
    (measured 1.96-1.99 for both schemes)."""
    reduced = _reduced_misfit(comm, ["d", "chi", "beta", "q"], scheme=scheme)
    reduced.store_every = 3
    rates = _taylor_rates(reduced, np.array([0.2, -1.0, 0.5, 1.0]))
    print("all rates", rates)
    assert min(rates) == pytest.approx(2.0, abs=0.1)
    assert max(rates) == pytest.approx(2.0, abs=0.1)


def test_gradient_of_a_misfit_at_points(comm):
    """Observations at points (one on an edge shared by two cells): rate 2 within 0.1 for d, chi, q."""
    reduced = _reduced_misfit(comm, ["d", "chi", "q"], points=True)
    rates = _taylor_rates(reduced, np.array([0.2, -1.0, 1.0]))
    print("points rates", rates)
    assert min(rates) == pytest.approx(2.0, abs=0.1)
    assert max(rates) == pytest.approx(2.0, abs=0.1)


@pytest.mark.parametrize("dirichlet", [False, True])
def test_iterative_adjoint_gives_the_direct_gradient(comm, dirichlet):
    """The iterative preset's adjoint (FGMRES + one BoomerAMG V-cycle per species, to 1e-10) gives
    the gradient of the direct preset's (MUMPS LU forward and adjoint) to 1e-7 relative, whose
    forward runs differ by Newton's tolerance (measured: 7e-12; the misfits 2e-12), and keeps rate 2;
    also with a Dirichlet condition on s (measured: 4e-13 apart; rates 1.95-1.99)."""
    names = ["d", "chi", "beta", "q"]
    direct = _reduced_misfit(comm, names, preset="direct", cells=24, dirichlet=dirichlet)
    iterative = _reduced_misfit(comm, names, preset="iterative", cells=24, dirichlet=dirichlet)
    assert iterative._transposed.solver.ksp.getType() == "fgmres"
    assert direct._transposed.solver.ksp.getType() == "preonly"
    p = direct.values
    (value, gradient), (value_iterative, gradient_iterative) = (r.value_and_gradient(p) for r in (direct, iterative))
    worst = np.max(np.abs(gradient_iterative - gradient)) / np.max(np.abs(gradient))
    print("values", value, value_iterative, "gradients", gradient, gradient_iterative, "relative difference", worst)
    assert value_iterative == pytest.approx(value, rel=1e-7)
    assert worst < 1e-7
    rates = _taylor_rates(iterative, np.array([0.2, -1.0, 0.5, 1.0]))
    print("iterative rates", rates)
    assert min(rates) == pytest.approx(2.0, abs=0.1) and max(rates) == pytest.approx(2.0, abs=0.1)
