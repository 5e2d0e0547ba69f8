"""The dispersion-relation module reproduces the chapter's closed forms (7.2) and fails clearly."""

from __future__ import annotations

import math

import numpy as np
import pytest

from fem_chemotaxis.analysis import growth_rates, homogeneous_steady_state, linearisation
from fem_chemotaxis.library import builtin_model
from fem_chemotaxis.model.model import Model


def lambda_plus(d: float, chi: float, u_bar: float, mu2: float) -> float:
    """lambda_+ = (-B + sqrt(B^2 - 4C))/2 of chapter 7.2."""
    b = mu2 * (d + 1) + 1
    c = mu2 * (d * (mu2 + 1) - chi * u_bar)
    return (-b + math.sqrt(b * b - 4 * c)) / 2


@pytest.mark.parametrize("d, chi, u_bar", [(0.25, 2.0, 1.0), (0.25, 0.5, 1.0), (1.0, 3.0, 2.5), (0.1, 1.0, 0.3)])
@pytest.mark.parametrize("mu2", [0.5, (math.pi / 2) ** 2, 10.0, 100.0])
def test_keller_segel_lambda_plus(d, chi, u_bar, mu2):
    model = builtin_model("keller-segel").with_parameters({"d": d, "chi": chi})
    state = homogeneous_steady_state(model, {"u": u_bar, "s": 0.1})
    assert state == pytest.approx({"u": u_bar, "s": u_bar}, rel=1e-14)
    rates = growth_rates(model, state, mu2)
    expected = lambda_plus(d, chi, u_bar, mu2)
    assert rates.shape == (2,)
    assert abs(rates[0] - expected) <= 1e-10 * abs(expected)
    assert rates[0].real >= rates[1].real


@pytest.mark.parametrize("d, u_bar", [(0.25, 1.0), (0.7, 2.0)])
@pytest.mark.parametrize("mu2", [(math.pi / 2) ** 2, 7.0])
def test_keller_segel_critical_chi(d, u_bar, mu2):
    """The leading rate changes sign exactly at chi = d (mu^2 + 1)/u_bar (7.2.5)."""
    chi_c = d * (mu2 + 1) / u_bar

    def leading(chi: float) -> float:
        model = builtin_model("keller-segel").with_parameters({"d": d, "chi": chi})
        state = homogeneous_steady_state(model, {"u": u_bar, "s": u_bar})
        return growth_rates(model, state, mu2)[0].real

    assert abs(leading(chi_c)) < 1e-12
    assert leading(chi_c * (1 + 1e-6)) > 0 > leading(chi_c * (1 - 1e-6))


def test_linearisation_matrices():
    model = builtin_model("keller-segel").with_parameters({"d": 0.3, "chi": 1.7, "alpha": 2.0, "beta": 0.5})
    state = homogeneous_steady_state(model, {"u": 0.8, "s": 1.0})
    assert state["s"] == pytest.approx(0.8 * 2.0 / 0.5, rel=1e-14)
    jac, mobility, b = linearisation(model, state)
    np.testing.assert_allclose(jac, [[0, 0], [2.0, -0.5]], atol=1e-14)
    np.testing.assert_allclose(mobility, [[0.3, -1.7 * 0.8], [0, 1.0]], atol=1e-14)
    np.testing.assert_array_equal(b, np.eye(2))


def test_parabolic_elliptic_generalised_problem():
    """A quasi-steady signal makes B singular: one finite rate, the elliptic closed form."""
    model = builtin_model("keller-segel-elliptic").with_parameters({"chi": 2.0})
    state = homogeneous_steady_state(model, {"u": 1.5, "s": 1.0})
    _, _, b = linearisation(model, state)
    assert b[1, 1] == 0.0
    d, chi, u_bar, mu2 = 0.25, 2.0, 1.5, 3.0
    rates = growth_rates(model, state, mu2)
    assert rates.shape == (1,)
    expected = mu2 * (chi * u_bar / (mu2 + 1) - d)
    assert abs(rates[0] - expected) <= 1e-10 * abs(expected)


def test_nonlinear_steady_state_and_jacobian():
    """Newton finds a non-trivial state; the complex-step Jacobian is exact for it."""
    model = builtin_model("may-nowak-chemotaxis")
    p = model.parameters
    state = homogeneous_steady_state(model, {"u1": 2.0, "u2": 1.0, "u3": 1.0})
    u1 = p["d2"] * p["d3"] / (p["beta"] * p["k"])
    u2 = (p["r0"] - p["d1"] * u1) / p["d2"]
    assert state == pytest.approx({"u1": u1, "u2": u2, "u3": p["k"] * u2 / p["d3"]}, rel=1e-12)
    jac, _, _ = linearisation(model, state)
    beta, u3 = p["beta"], state["u3"]
    expected = [[-p["d1"] - beta * u3, 0, -beta * u1], [beta * u3, -p["d2"], beta * u1], [0, p["k"], -p["d3"]]]
    np.testing.assert_allclose(jac, expected, rtol=1e-14, atol=1e-14)


def test_no_steady_state_is_a_clear_error():
    model = Model.from_dict(
        {
            "name": "no-state",
            "parameters": {"a": 1.0},
            "species": {"u": {"diffusion": "1", "reaction": "a + u^2"}},
        }
    )
    with pytest.raises(ValueError, match="did not converge.*no-state"):
        homogeneous_steady_state(model, {"u": 1.0})
    with pytest.raises(ValueError, match="no guess for species u"):
        homogeneous_steady_state(model, {})


def test_anisotropic_diffusion_needs_a_direction():
    model = Model.from_dict(
        {
            "name": "anisotropic",
            "parameters": {"dx": 2.0, "dy": 0.5, "k": 0.3},
            "species": {"u": {"diffusion": [["dx", 0], [0, "dy"]], "reaction": "-k*u"}},
        }
    )
    state = homogeneous_steady_state(model, {"u": 1.0})
    assert state["u"] == pytest.approx(0.0, abs=1e-14)
    with pytest.raises(ValueError, match="diffusion tensor"):
        growth_rates(model, state, 1.0)
    assert growth_rates(model, state, 1.5, direction=(1, 0))[0] == pytest.approx(-2.0 * 1.5 - 0.3, rel=1e-14)
    assert growth_rates(model, state, 1.5, direction=(1, 1))[0] == pytest.approx(-1.25 * 1.5 - 0.3, rel=1e-14)


def test_non_local_terms_are_rejected():
    model = Model.from_dict(
        {
            "name": "non-local",
            "parameters": {},
            "species": {"u": {"diffusion": "1", "reaction": "u*(1 - integral(u))"}},
        }
    )
    with pytest.raises(ValueError, match="integral"):
        homogeneous_steady_state(model, {"u": 1.0})


@pytest.mark.parametrize("mu2", [0.7, 4.0, 30.0])
def test_fractional_diffusion_symbol(mu2):
    """(-Lap)^(a/2) has the eigenvalue mu2^(a/2) on a Laplacian mode: the 2x2 closed form."""
    model = builtin_model("fractional-keller-segel").with_parameters({"chi": 2.0})
    (order,) = {sp.fractional_order for sp in model.species if sp.fractional_order is not None}
    p = model.parameters
    state = homogeneous_steady_state(model, {"rho": 1.2, "S": 1.0})
    matrix = np.array(
        [
            [-p["d"] * mu2 ** (order / 2), p["chi"] * 1.2 * mu2],
            [p["beta"], -p["ds"] * mu2 - p["mu"]],
        ]
    )
    expected = max(np.linalg.eigvals(matrix).real)
    rate = growth_rates(model, state, mu2)[0]
    assert abs(rate - expected) <= 1e-10 * abs(expected)
