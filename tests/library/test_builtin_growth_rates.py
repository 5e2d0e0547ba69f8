"""Every built-in model: the early growth of a small mode matches its dispersion relation.

For each model, around a homogeneous steady state, the Neumann modes ``cos(k pi x / L)`` of a
long thin rectangle ``L x L/20`` are ranked by the leading growth rate of
:func:`fem_chemotaxis.analysis.growth_rates`; the most unstable one (the least stable one if
none grows) is simulated from its eigenvector, and the rate measured from the projection of
one species on the mode must match the leading eigenvalue within 3 %. Backward Euler makes
the measured rate ``-ln(1 - lambda dt)/dt``, i.e. a relative error ``lambda dt / 2``: dt is
chosen for 1 % (with the largest ``|lambda|`` of the mode for fractional models, whose
operator's time stepping errs in proportion to the whole operator, not to one eigenvalue).

Steady states and cases (every built-in model has a homogeneous steady state; all but one are
tested here):
- Keller-Segel variants, fractional ones included: the uniform state ``u = u_bar``,
  ``s = alpha u_bar / beta`` (``chi = 2`` or 3 for the fractional ones, so they grow).
- may-nowak-chemotaxis: the infected state (1, 2, 2); stable at the defaults (least stable).
- cancer-invasion: with ``r = 0.8``, the mixed state ``u1 = u2 = eta (1 - r)``,
  ``u3 = 1 - u1 - u1/eta``. At the default ``r = 1`` the non-trivial states are degenerate:
  the invaded state's leading mode is the decay of the immobile ECM alone (rate -1 whatever
  the transport) and the healthy state's is pure diffusion, so neither tests the coupling.
- oncolytic-virus: the virus-free tumour (1, 0, 1 - alpha1/mu3, 0), invaded by the virus.
- forager-scrounger: the conserved populations (1, 1) with their food level 1/3; stable
  (least stable mode). A mode whose leading rate is complex (oscillating) would fail the
  test: a single projection cannot measure it as one exponential.
- not tested: fractional-keller-segel-nonlocal, whose growth uses ``integral(rho)``, which
  the homogeneous analysis rejects (a non-local term is not a function of the local state).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import dolfinx.fem
import numpy as np
import pytest
import ufl

from mpi4py import MPI

from fem_chemotaxis.analysis import growth_modes, homogeneous_steady_state
from fem_chemotaxis.config.settings import TimeSettings
from fem_chemotaxis.library import BUILTIN_MODELS, builtin_model
from fem_chemotaxis.mesh.builtin import create_builtin
from fem_chemotaxis.simulation import Simulation

#: Relative BDF1 error allowed by the choice of dt (lambda dt / 2).
BDF1_ERROR = 0.01
#: Relative size of the initial perturbation.
EPS = 1e-5


@dataclass(frozen=True)
class Case:
    """A homogeneous state (Newton's guess), the rectangle length and parameter overrides."""

    guess: dict[str, float]
    length: float = 2.0
    overrides: dict[str, float] = field(default_factory=dict)


CASES = {
    "keller-segel": Case({"u": 1.0, "s": 1.0}),
    "keller-segel-elliptic": Case({"u": 1.0, "s": 1.0}),
    "keller-segel-transduction": Case({"u": 1.0, "s": 1.0}),
    "keller-segel-volume-filling": Case({"u": 0.5, "s": 0.5}),
    "may-nowak-chemotaxis": Case({"u1": 1.0, "u2": 2.0, "u3": 2.0}),
    "cancer-invasion": Case({"u1": 0.1, "u2": 0.1, "u3": 0.7}, length=0.2, overrides={"r": 0.8}),
    "oncolytic-virus": Case({"u1": 1.0, "u2": 0.0, "u3": 0.5, "u4": 0.0}, length=0.5),
    "forager-scrounger": Case({"u1": 1.0, "u2": 1.0, "u3": 0.3}),
    "nonlinear-diffusion-log-sensitivity": Case({"u1": 0.5, "u2": 2.0}),
    "fractional-keller-segel": Case({"rho": 1.0, "S": 1.0}, overrides={"chi": 2.0}),
    "fractional-keller-segel-logistic": Case({"rho": 1.0, "S": 1.0}, overrides={"chi": 3.0}),
    "fractional-keller-segel-flux-limited": Case({"rho": 1.0, "S": 1.0}, overrides={"chi": 2.0}),
}


def test_cases_are_builtin_models():
    assert set(CASES) <= set(BUILTIN_MODELS)


@pytest.mark.parametrize("name", list(CASES))
def test_growth_rate_of_leading_mode(name, comm):
    case = CASES[name]
    model = builtin_model(name).with_parameters(case.overrides)
    state = homogeneous_steady_state(model, case.guess)

    # The most unstable (or least stable) non-constant mode of the rectangle, its eigenvector.
    def modes(k: int) -> tuple[np.ndarray, np.ndarray]:
        return growth_modes(model, state, (k * math.pi / case.length) ** 2)

    k = max(range(1, 9), key=lambda j: modes(j)[0][0].real)
    rates, vectors = modes(k)
    rate, vector = rates[0], vectors[:, 0]
    assert abs(rate.imag) <= 1e-12 * abs(rate), f"{name}: leading rate {rate} of mode {k} is not real"
    j = int(np.argmax(np.abs(vector)))  # the species we measure: largest eigenvector component
    rate, vector = rate.real, (vector / vector[j]).real
    names = model.species_names
    scale = EPS * max(1.0, max(abs(v) for v in state.values()))

    # Mesh and time step: P1 phase error (mu h)^2/12 < 0.4 %, BDF1 error lambda dt/2 = 1 %.
    lx = case.length
    mesh = create_builtin(comm, "rectangle", [lx, lx / 20], [max(32, 16 * k), 2])
    mode = f"cos({k}*pi*x/{lx!r})"
    initial = {n: f"{float(state[n])!r} + {float(scale * vector[i])!r}*{mode}" for i, n in enumerate(names)}
    # Fractional models: dt from the stiffest rate of the mode, and half the time (their steps
    # are costly in parallel); the e-folding time otherwise.
    fractional = any(sp.fractional_order is not None for sp in model.species)
    t_end = min((0.5 if fractional else 1.0) / abs(rate), 5.0)
    stiffness = np.max(np.abs(rates)) if fractional else abs(rate)
    dt = min(2 * BDF1_ERROR / stiffness, t_end / 100)
    sim = Simulation(model, mesh, initial, TimeSettings(dt=dt))

    x = ufl.SpatialCoordinate(mesh.mesh)
    form = dolfinx.fem.form((sim.u[names[j]] - state[names[j]]) * ufl.cos(k * math.pi * x[0] / lx) * ufl.dx)

    def amplitude() -> float:
        return comm.allreduce(dolfinx.fem.assemble_scalar(form), op=MPI.SUM)

    t_start = t_end / 4  # let the small discretisation mismatch of the eigenvector decay
    sim.advance_to(t_start)
    a_start = amplitude()
    sim.advance_to(t_end)
    measured = math.log(amplitude() / a_start) / (t_end - t_start)
    rel_error = abs(measured - rate) / abs(rate)
    print(f"{name}: mode k={k} of L={lx}, species {names[j]}: lambda = {rate:.6f}, "
          f"measured {measured:.6f}, relative error {rel_error:.2e}")
    assert rel_error < 0.03
