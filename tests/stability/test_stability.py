"""Linear stability on meshes (issue #10): chapter 7.2 exactly, mesh modes converge, and a
simulation on a tissue section grows at the predicted rate.

Keller-Segel about u = s = u_bar: mode mu (an eigenvalue of -Lap, no flux) grows at
lambda_+ = (-B + sqrt(B^2 - 4C))/2, B = mu (d+1) + 1, C = mu (d (mu+1) - chi u_bar), and is
unstable iff d (mu + 1) < chi u_bar (7.2.5); so the first mode turns unstable at
chi = d (mu_1 + 1)/u_bar.
"""

from __future__ import annotations

import json
import math
from typing import Any

import dolfinx.fem
import numpy as np
import pytest
import ufl

from mpi4py import MPI

from fem_chemotaxis.analysis.dispersion import homogeneous_steady_state
from fem_chemotaxis.analysis.laplace_eigen import neumann_modes
from fem_chemotaxis.analysis.stability import critical_value, stability_report
from fem_chemotaxis.config.settings import TimeSettings
from fem_chemotaxis.library import builtin_model
from fem_chemotaxis.mesh import create_builtin, generate
from fem_chemotaxis.model.model import Model
from fem_chemotaxis.simulation import Simulation
from tests.conftest import REPO, run_cli

LX, LY = 2.0, 1.0


def exact_eigenvalues(count: int) -> np.ndarray:
    """The first `count` non-zero Neumann eigenvalues of [0, LX] x [0, LY]: (i pi/LX)^2 + (j pi/LY)^2."""
    values = sorted((i * math.pi / LX) ** 2 + (j * math.pi / LY) ** 2 for i in range(30) for j in range(30))
    return np.array(values[1 : count + 1])


def lambda_plus(d: float, chi: float, u_bar: float, mu: float) -> float:
    """lambda_+ of chapter 7.2."""
    b = mu * (d + 1) + 1
    c = mu * (d * (mu + 1) - chi * u_bar)
    return (-b + math.sqrt(b * b - 4 * c)) / 2


def keller_segel(d: float, chi: float, u_bar: float) -> tuple[Model, dict[str, float]]:
    model = builtin_model("keller-segel").with_parameters({"d": d, "chi": chi})
    return model, homogeneous_steady_state(model, {"u": u_bar, "s": 0.5})


@pytest.mark.parametrize("d, chi, u_bar", [(0.1, 3.0, 1.0), (0.25, 1.5, 1.0), (0.25, 0.3, 1.0), (1.0, 3.0, 2.5)])
def test_exact_eigenvalues_reproduce_chapter(d, chi, u_bar):
    """With the rectangle's exact eigenvalues every rate is lambda_+ and (7.2.5) decides stability."""
    mus = exact_eigenvalues(40)
    model, state = keller_segel(d, chi, u_bar)
    report = stability_report(model, state, mus)
    expected = np.array([lambda_plus(d, chi, u_bar, mu) for mu in mus])
    measured = np.array([m.growth_rate for m in report.modes])
    error = np.max(np.abs(measured - expected) / np.abs(expected))
    print(
        f"d={d} chi={chi} u_bar={u_bar}: max relative error of lambda_+ over 40 modes {error:.1e}, "
        f"unstable modes {[m.index for m in report.unstable_modes]}"
    )
    assert error <= 1e-10
    assert [m.unstable for m in report.modes] == [d * (mu + 1) < chi * u_bar for mu in mus]
    assert report.fastest_mode.index == int(np.argmax(expected)) + 1
    # mu = 0: conserved cell mass (0) and signal decay (-beta).
    np.testing.assert_allclose(report.homogeneous.rates, [0.0, -1.0], atol=1e-14)
    assert not report.homogeneous.unstable
    json.dumps(report.to_dict())


def test_mesh_eigenpairs_converge(comm):
    """P1 eigenvalues of the rectangle converge at rate 2, and so do the predicted growth rates."""
    d, chi, u_bar, count = 0.1, 3.0, 1.0, 8
    model, state = keller_segel(d, chi, u_bar)
    exact = exact_eigenvalues(count)
    exact_rates = np.array([lambda_plus(d, chi, u_bar, mu) for mu in exact])
    mu_errors, rate_errors = [], []
    for n in (16, 32, 64):
        modes = neumann_modes(create_builtin(comm, "rectangle", [LX, LY], [n, n // 2]), count)
        report = stability_report(model, state, modes.eigenvalues)
        rates = np.array([m.growth_rate for m in report.modes])
        mu_errors.append(np.max(np.abs(modes.eigenvalues - exact) / exact))
        rate_errors.append(np.max(np.abs(rates - exact_rates)) / np.max(np.abs(exact_rates)))
    mu_orders = np.log2(np.array(mu_errors[:-1]) / mu_errors[1:])
    rate_orders = np.log2(np.array(rate_errors[:-1]) / rate_errors[1:])
    print(
        f"mesh 16x8, 32x16, 64x32: max relative error of mu_k {np.array(mu_errors)} "
        f"(orders {mu_orders}), max error of the growth rates / max |rate| {np.array(rate_errors)} "
        f"(orders {rate_orders})"
    )
    assert np.all(mu_orders > 1.9) and np.all(rate_orders > 1.9)
    assert rate_errors[-1] < 1e-2

    # The finest modes: L2-orthonormal, orthogonal to constants; the constant mode is flagged.
    mesh = create_builtin(comm, "rectangle", [LX, LY], [64, 32])
    modes = neumann_modes(mesh, 4, include_constant=True)
    assert modes.constant.tolist() == [True, False, False, False, False]
    assert modes.eigenvalues[0] == 0.0
    phi = modes.functions

    def integral(expr: Any) -> float:
        return comm.allreduce(dolfinx.fem.assemble_scalar(dolfinx.fem.form(expr * ufl.dx)), op=MPI.SUM)

    gram = np.array([[integral(a * b) for b in phi] for a in phi])
    np.testing.assert_allclose(gram, np.eye(5), atol=1e-10)
    constant = phi[0].x.array
    assert np.ptp(constant) < 1e-8 * np.abs(constant).max()
    # The first mode is +-cos(pi x/LX) (normalised).
    x = ufl.SpatialCoordinate(phi[1].function_space.mesh)
    cosine = ufl.cos(math.pi * x[0] / LX) / math.sqrt(LX * LY / 2)
    assert abs(integral(phi[1] * cosine)) > 1 - 1e-3


def test_critical_chi_is_first_mode_onset(comm):
    """Bisection finds chi = d (mu_1 + 1)/u_bar, with exact and with mesh eigenvalues."""
    d, u_bar = 0.25, 1.5
    model, state = keller_segel(d, 1.0, u_bar)
    exact = exact_eigenvalues(10)
    onset = critical_value(model, "chi", (0.05, 10.0), exact, state)
    expected = d * (exact[0] + 1) / u_bar
    exact_error = abs(onset.value - expected) / expected
    assert exact_error <= 1e-10
    assert (onset.mode, onset.mu, onset.unstable_above) == (1, exact[0], True)

    modes = neumann_modes(create_builtin(comm, "rectangle", [LX, LY], [64, 32]), 10)
    mesh_onset = critical_value(model, "chi", (0.05, 10.0), modes.eigenvalues, state)
    mesh_expected = d * (modes.eigenvalues[0] + 1) / u_bar
    mesh_error = abs(mesh_onset.value - mesh_expected) / mesh_expected
    discretisation = abs(mesh_onset.value - expected) / expected
    print(
        f"critical chi: exact eigenvalues {onset.value:.12g} (closed form {expected:.12g}, "
        f"error {exact_error:.1e}); mesh 64x32 {mesh_onset.value:.12g} (d(mu_1^h+1)/u_bar: "
        f"error {mesh_error:.1e}; vs the exact value {discretisation:.1e})"
    )
    assert mesh_error <= 1e-10
    assert discretisation < 1e-3
    # Motility stabilises: unstable below d_c = chi u_bar/(mu_1 + 1).
    d_onset = critical_value(model.with_parameters({"chi": 2.0}), "d", (0.01, 10.0), exact, state)
    assert d_onset.value == pytest.approx(2.0 * u_bar / (exact[0] + 1), rel=1e-10)
    assert not d_onset.unstable_above


def test_invalid_requests_name_the_value():
    model, state = keller_segel(0.25, 1.0, 1.0)
    mus = exact_eigenvalues(5)
    with pytest.raises(ValueError, match=r"bracket \[5, 10\] of 'chi' does not contain an onset"):
        critical_value(model, "chi", (5.0, 10.0), mus, state)
    with pytest.raises(ValueError, match="'kappa' is not a parameter"):
        critical_value(model, "kappa", (0.1, 10.0), mus, state)
    with pytest.raises(ValueError, match=r"low < high, got \(10.0, 0.1\)"):
        critical_value(model, "chi", (10.0, 0.1), mus, state)
    with pytest.raises(ValueError, match="non-negative, got -1.0"):
        stability_report(model, state, [-1.0, 2.0])
    anisotropic = Model.from_dict(
        {
            "name": "anisotropic",
            "parameters": {},
            "species": {"u": {"diffusion": [["1", "0"], ["0", "2"]], "reaction": "u*(1 - u)"}},
        }
    )
    with pytest.raises(ValueError, match="species 'u' .* diffusion tensor"):
        stability_report(anisotropic, {"u": 1.0}, mus)


def test_tissue_section_growth_matches_prediction(comm):
    """Started on the fastest mode (and its eigenvector), a simulation grows at the predicted rate."""
    mesh = generate("tissue-section", comm, size=0.05)
    model, state = keller_segel(0.1, 3.0, 1.0)
    modes = neumann_modes(mesh, 8)
    report = stability_report(model, state, modes.eigenvalues)
    assert 1 < len(report.unstable_modes) < 8
    fastest = report.fastest_mode
    phi = modes.functions[fastest.index - 1]
    u0, s0 = fastest.leading_vector
    eps = 1e-4
    initial = {}
    for name, amplitude in (("u", u0), ("s", s0)):
        perturbed = dolfinx.fem.Function(phi.function_space)
        perturbed.x.array[:] = state[name] + eps * amplitude * phi.x.array
        initial[name] = perturbed  # set_initial_values takes Functions

    sim = Simulation(model, mesh, initial, TimeSettings(dt=0.05, scheme="crank-nicolson"))
    projection = dolfinx.fem.form((sim.u["u"] - state["u"]) * phi * ufl.dx)

    def amplitude() -> float:
        return comm.allreduce(dolfinx.fem.assemble_scalar(projection), op=MPI.SUM)

    a0, t_end = amplitude(), 1.0
    sim.advance_to(t_end)
    measured = math.log(amplitude() / a0) / t_end
    error = abs(measured - fastest.growth_rate) / fastest.growth_rate
    print(
        f"tissue section: unstable modes {[m.index for m in report.unstable_modes]}, "
        f"fastest k = {fastest.index} (mu_k = {fastest.mu:.5g}): predicted {fastest.growth_rate:.6f}, "
        f"simulated {measured:.6f}, relative error {error:.1e}"
    )
    assert a0 == pytest.approx(eps * u0, rel=1e-8)
    assert error < 0.05


@pytest.mark.serial
def test_cli_reports_and_writes(shared_tmp_path):
    out = shared_tmp_path / "stability"
    demo = str(REPO / "demos" / "stability_keller_segel.toml")
    result = run_cli(
        "stability", demo, "--modes", "6", "--parameter", "chi", "--bracket", "0.1,10", "--output", str(out)
    )
    print(result.stdout)
    assert result.returncode == 0, result.stderr
    assert "fastest-growing mode: k = 2" in result.stdout and "critical chi = " in result.stdout
    data = json.loads((out / "stability.json").read_text())
    u_bar = data["steady_state"]["u"]
    assert u_bar == pytest.approx(1.0, abs=1e-3)  # the mean of [initial] u = 1 + 0.01*noise(1)
    assert data["steady_state"]["s"] == pytest.approx(u_bar, rel=1e-12)
    mu_1 = data["modes"][0]["mu"]
    assert data["critical"]["value"] == pytest.approx(0.1 * (mu_1 + 1) / u_bar, rel=1e-10)
    assert data["unstable_modes"] == [1, 2, 3, 4, 5, 6] and data["fastest_mode"] == 2
    for picture in ("growth_rates.png", "fastest_mode.png"):
        assert (out / picture).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    bad = run_cli("stability", demo, "--guess", "u=1,q=2", "--output", str(out))
    assert bad.returncode == 2 and "'q' is not a species" in bad.stderr
    bad = run_cli("stability", demo, "--parameter", "chi", "--output", str(out))
    assert bad.returncode == 2 and "--parameter and --bracket go together" in bad.stderr
