"""Every built-in model against its source's equations: linearisation and simulated growth.

The references are in :mod:`tests.library.source_linearisations`: each model's reaction
Jacobian, mobility matrix and homogeneous steady state written by hand from its source
document's equations, with the documented default parameters. Two checks per model:

- the package's linearisation (:func:`fem_chemotaxis.analysis.linearisation`, complex-step
  Jacobian of the model's expressions) and its steady-state solver reproduce the hand-written
  ones (to 1e-10), and the library's defaults are the documented ones;
- the early growth of a small mode in a simulation matches the hand-written dispersion
  relation: the Neumann modes ``cos(k pi x / L)`` of a long thin rectangle ``L x L/20`` are
  ranked by the leading rate of the source's linearisation; the most unstable one (the least
  stable one if none grows) is started from the source's eigenvector, and the rate measured
  from the projection of one species on the mode must match within 3 %. Backward Euler makes
  the measured rate ``-ln(1 - lambda dt)/dt``, a relative error ``lambda dt / 2``: dt is chosen
  for 1 % (fractional models too: their fractional term is inside the implicit step; they run
  half as many steps at the same dt, since their steps are costly in parallel).

A library model whose equations, signs or defaults deviate from its source fails both (e.g.
chi -> 0 in keller-segel: its package linearisation loses M_us = -chi u, and the simulated
mode decays instead of growing at 0.079).

States and cases (parameter overrides in the source table):
- Keller-Segel variants, fractional ones included: the uniform state ``u = u_bar``,
  ``s = alpha u_bar / beta`` (``chi = 2`` or 3 for the fractional ones, so they grow).
- may-nowak-chemotaxis: the infected state (1, 2, 2); stable at the defaults (least stable).
- cancer-invasion: with ``r = 0.8``, the mixed state ``u1 = u2 = eta (1 - r)``,
  ``u3 = 1 - u1 - u1/eta``. At the default ``r = 1`` the non-trivial states are degenerate:
  the invaded state's leading mode is the decay of the immobile ECM alone (rate -1 whatever
  the transport) and the healthy state's is pure diffusion, so neither tests the coupling.
- oncolytic-virus: the virus-free tumour (1, 0, 1 - alpha1/mu3, 0), invaded by the virus.
  Its leading mode is the virus block (u2, u4), which the haptotaxis does not enter at
  u2 = u4 = 0: xi1 is checked by the linearisation, not by the growth.
- forager-scrounger: the conserved populations (1, 1) with their food level 1/3; stable
  (least stable mode). A mode whose leading rate is complex (oscillating) would fail the
  test: a single projection cannot measure it as one exponential.
- fractional-keller-segel-nonlocal: ``a2 = 5`` puts the state at ``rho = 1`` on the 2 x 0.1
  rectangle; a zero-mean mode leaves ``integral(rho)`` unchanged. The package's homogeneous
  analysis rejects ``integral()``, so only the simulated growth is checked.
"""

from __future__ import annotations

import math

import dolfinx.fem
import numpy as np
import pytest
import ufl

from mpi4py import MPI

from fem_chemotaxis.analysis import growth_rates, homogeneous_steady_state, linearisation
from fem_chemotaxis.config.settings import TimeSettings
from fem_chemotaxis.library import BUILTIN_MODELS, builtin_model
from fem_chemotaxis.mesh.builtin import create_builtin
from fem_chemotaxis.simulation import Simulation
from tests.library.source_linearisations import SOURCES, leading_mode

#: Relative BDF1 error allowed by the choice of dt (lambda dt / 2).
BDF1_ERROR = 0.01
#: Relative size of the initial perturbation.
EPS = 1e-5
#: Models with integral() terms, which the package's homogeneous analysis rejects.
NON_LOCAL = {"fractional-keller-segel-nonlocal"}


def test_every_builtin_model_has_its_source_linearisation():
    assert set(SOURCES) == set(BUILTIN_MODELS)


@pytest.mark.parametrize("name", sorted(set(SOURCES) - NON_LOCAL))
def test_package_linearisation_is_the_source_s(name):
    """Defaults, steady state, J, M, B and the fractional orders of the library model equal the hand-written ones."""
    source = SOURCES[name]
    model = builtin_model(name)
    assert model.parameters == source.parameters, f"{name}: defaults differ from those documented"
    model = model.with_parameters(source.overrides)
    p = source.values
    state = source.state(p)
    # Newton from a nearby guess (species without reactions keep theirs: their mean is conserved)
    reacting = {sp.name for sp in model.species if sp.reaction is not None}
    guess = {n: v * 1.01 + 1e-3 if n in reacting else v for n, v in state.items()}
    assert homogeneous_steady_state(model, guess) == pytest.approx(state, rel=1e-9, abs=1e-12)
    jac, mobility, b = linearisation(model, state)
    expected = source.matrices(p, state)
    names = ("reaction Jacobian J", "mobility M", "time derivatives B")
    for what, got, want in zip(names, (jac, mobility, b), expected):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12, err_msg=f"{name}: {what}")
    orders = {i: sp.fractional_order for i, sp in enumerate(model.species) if sp.fractional_order is not None}
    assert orders == source.fractional
    for mu2 in (0.5, 10.0):
        rate, _ = leading_mode(source, mu2)
        assert abs(growth_rates(model, state, mu2)[0] - rate) <= 1e-9 * max(1.0, abs(rate))


@pytest.mark.parametrize("name", list(SOURCES))
def test_growth_rate_of_leading_mode(name, comm):
    source = SOURCES[name]
    model = builtin_model(name).with_parameters(source.overrides)
    state = source.state(source.values)
    lx = source.length

    # The most unstable (or least stable) non-constant mode of the rectangle, by the source's relation.
    def mode(k: int) -> tuple[complex, np.ndarray]:
        return leading_mode(source, (k * math.pi / lx) ** 2)

    k = max(range(1, 9), key=lambda j: mode(j)[0].real)
    rate, vector = mode(k)
    assert abs(rate.imag) <= 1e-12 * abs(rate), f"{name}: leading rate {rate} of mode {k} is not real"
    j = int(np.argmax(np.abs(vector)))  # the species we measure: largest eigenvector component
    rate, vector = rate.real, (vector / vector[j]).real
    names = model.species_names
    scale = EPS * max(1.0, max(abs(v) for v in state.values()))

    # Mesh and time step: P1 phase error (mu h)^2/12 < 0.4 %, BDF1 error lambda dt/2 = 1 %.
    mesh = create_builtin(comm, "rectangle", [lx, lx / 20], [max(32, 16 * k), 2])
    shape = f"cos({k}*pi*x/{lx!r})"
    initial = {n: f"{float(state[n])!r} + {float(scale * vector[i])!r}*{shape}" for i, n in enumerate(names)}
    # Fractional models: half the time at the same dt (their steps are costly in parallel).
    steps = 50 if any(sp.fractional_order is not None for sp in model.species) else 100
    t_end = min(steps / 100 / abs(rate), 5.0)
    dt = min(2 * BDF1_ERROR / abs(rate), t_end / steps)
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
    print(
        f"{name}: mode k={k} of L={lx}, species {names[j]}: source lambda = {rate:.6f}, "
        f"measured {measured:.6f}, relative error {rel_error:.2e}"
    )
    assert rel_error < 0.03
