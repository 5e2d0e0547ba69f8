"""Early growth of a small perturbation matches the chapter's dispersion relation (7.2).

Around u = s = u_bar, the mode cos(mu x) grows at
lambda_+ = (-B + sqrt(B^2 - 4C))/2, B = mu^2 (d+1) + 1, C = mu^2 (d (mu^2+1) - chi u_bar).
The perturbation starts on the eigenvector of lambda_+ so the growth is a single exponential.
"""

from __future__ import annotations

import math

import dolfinx.fem
import numpy as np
import pytest
import ufl

from mpi4py import MPI

from fem_chemotaxis.config.settings import TimeSettings
from fem_chemotaxis.library import builtin_model
from fem_chemotaxis.mesh.builtin import create_builtin
from fem_chemotaxis.simulation import Simulation

LX, LY = 2.0, 0.5
MU2 = (math.pi / LX) ** 2  # first Neumann eigenvalue of the rectangle along x


def growth_rate(d: float, chi: float, u_bar: float, mu2: float) -> float:
    """lambda_+ of chapter 7.2."""
    b = mu2 * (d + 1) + 1
    c = mu2 * (d * (mu2 + 1) - chi * u_bar)
    return (-b + math.sqrt(b * b - 4 * c)) / 2


@pytest.mark.parametrize("chi, unstable", [(2.0, True), (0.5, False)])
def test_growth_rate_matches_dispersion_relation(chi, unstable, comm):
    d, u_bar, eps, t_end, dt = 0.25, 1.0, 1e-5, 2.0, 0.005
    expected = growth_rate(d, chi, u_bar, MU2)
    assert (expected > 0) == unstable
    assert (d * (MU2 + 1) < chi * u_bar) == unstable  # the instability criterion (7.2.5)

    # Eigenvector of the linearised system: U0 = (lambda + mu^2 + 1) S0.
    u0 = (expected + MU2 + 1) * eps
    model = builtin_model("keller-segel").with_parameters({"d": d, "chi": chi})
    mesh = create_builtin(comm, "rectangle", [LX, LY], [80, 4])
    sim = Simulation(
        model,
        mesh,
        {"u": f"{u_bar} + {u0}*cos(pi*x/{LX})", "s": f"{u_bar} + {eps}*cos(pi*x/{LX})"},
        TimeSettings(dt=dt),
    )
    x = ufl.SpatialCoordinate(mesh.mesh)
    amplitude_form = dolfinx.fem.form((sim.u["u"] - u_bar) * ufl.cos(math.pi * x[0] / LX) * ufl.dx)

    def amplitude() -> float:
        return comm.allreduce(dolfinx.fem.assemble_scalar(amplitude_form), op=MPI.SUM)

    a0 = amplitude()
    sim.advance_to(t_end)
    measured = math.log(amplitude() / a0) / t_end
    rel_error = abs(measured - expected) / abs(expected)
    print(f"chi={chi}: lambda_+ = {expected:.6f}, measured {measured:.6f}, relative error {rel_error:.2e}")
    assert rel_error < 0.03
    assert np.sign(measured) == np.sign(expected)
