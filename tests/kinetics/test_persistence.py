"""Persistent turning (issue 20, item 1): closed forms of the mean cosine, D and chi; sampled turns.

Independent references written here: psi = I1(kappa)/I0(kappa) (2-D von Mises) and
I_{3/2}/I_{1/2} = coth kappa - 1/kappa (3-D Fisher) with scipy.special; a tabulated density
p(theta) = theta, whose psi = -4/pi^2; d = s^2/(n lambda (1 - psi)) and the direction
mechanism's chi = k (1 + psi) s^2/n. Quadratures agree with them to 1e-8 (measured <= 3e-14).
The sampled turning angles have the mean cosine psi, and persistent particles the exact
mean-squared displacement and the drift chi grad S, within 4 standard errors (~ 1/sqrt(N)).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.special

from mpi4py import MPI

from fem_chemotaxis.expressions import Expression
from fem_chemotaxis.kinetics import (
    Sphere,
    TabulatedAngle,
    TaxisPerturbation,
    TurningLaw,
    VonMises,
    derive,
    parse_spec,
    run_config,
    taxis_sensitivity,
)
from fem_chemotaxis.particles import LinearSignal, RunAndTumble

RTOL = 1e-8
#: A sampled mean more than this many standard errors from its expectation fails.
SIGMAS = 4.0


def bessel_ratio(dimension: int, kappa: float) -> float:
    """I_{n/2}(kappa)/I_{n/2-1}(kappa), the mean cosine of the von Mises-Fisher distribution."""
    return float(scipy.special.iv(dimension / 2, kappa) / scipy.special.iv(dimension / 2 - 1, kappa))


ANGLES = {
    "von Mises kappa 0.7": (VonMises(2, 0.7), bessel_ratio(2, 0.7)),
    "von Mises kappa 20": (VonMises(2, 20.0), bessel_ratio(2, 20.0)),
    "Fisher kappa 1.5": (VonMises(3, 1.5), 1 / math.tanh(1.5) - 1 / 1.5),
    "Fisher kappa 1e-4": (VonMises(3, 1e-4), bessel_ratio(3, 1e-4)),
    "table p = theta (2-D)": (TabulatedAngle(2, np.array([0.0, 180.0]), np.array([0.0, 1.0])), -4 / math.pi**2),
    "table p = theta (3-D)": (
        TabulatedAngle(3, np.array([0.0, 90.0, 180.0]), np.array([0.0, 0.5, 1.0])),
        -4 / math.pi**2,
    ),
}


@pytest.mark.parametrize("name", ANGLES)
def test_mean_cosine(name):
    """psi by quadrature over theta and the module's closed form equal the reference (Bessel functions)."""
    angle, exact = ANGLES[name]
    print(
        f"{name}: psi quadrature {angle.mean_cosine():.15f}, closed {angle.mean_cosine_closed():.15f}, "
        f"reference {exact:.15f}"
    )
    assert angle.mean_cosine() == pytest.approx(exact, rel=RTOL, abs=1e-12)
    assert angle.mean_cosine_closed() == pytest.approx(exact, rel=RTOL, abs=1e-12)


@pytest.mark.parametrize("name", [name for name in ANGLES if name != "table p = theta (3-D)"])
def test_kernel_is_normalised_with_mean_direction_psi(name):
    """Funk-Hecke on the quadrature nodes: int T0(v, w) dv = 1 and int T0(v, w) v dv = psi w.

    (The 3-D table p = theta has T0 = p/(2 pi sin theta) singular at 180 degrees: refused.)
    """
    angle, exact = ANGLES[name]
    sphere = Sphere(angle.dimension, 1.7, 256 if angle.dimension == 2 else 64)
    rule = sphere.quadrature()
    w = rule.nodes[[3]]
    t0 = angle.kernel(rule.nodes, np.repeat(w, len(rule.nodes), axis=0))
    mass, mean = rule.weights @ t0, (rule.weights * t0) @ rule.nodes
    print(f"{name}: int T0 = {mass:.14f}, int T0 v / psi w = {mean / (exact * w[0])}")
    tolerance = 1e-8 if isinstance(angle, VonMises) else 1e-4  # the table's kink: trapezoidal rule, O(h^2)
    assert mass == pytest.approx(1.0, rel=tolerance)
    np.testing.assert_allclose(mean, exact * w[0], rtol=tolerance, atol=tolerance * 1.7)
    if name == "table p = theta (2-D)":
        singular = ANGLES["table p = theta (3-D)"][0]
        with pytest.raises(ValueError, match="singular"):
            singular.kernel(np.array([[0.0, 0.0, 1.0]]), np.array([[0.0, 0.0, -1.0]]))


@pytest.mark.parametrize("name", ANGLES)
def test_sampled_turns_have_mean_cosine_psi(name):
    """The particles' turns: E[cos theta] = psi and |v| = s within 4 SE (N = 40 000; SE ~ 1/sqrt(N))."""
    angle, exact = ANGLES[name]
    rng = np.random.default_rng(3)
    n, count = angle.dimension, 40_000
    w = rng.standard_normal((count, n))
    w *= 2.5 / np.linalg.norm(w, axis=1, keepdims=True)
    v = angle.turn(rng, w)
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), 2.5, rtol=1e-12)
    cosine = np.einsum("ij,ij->i", v, w) / 2.5**2
    error = cosine.std(ddof=1) / math.sqrt(count)
    print(
        f"{name}: sampled E[cos] = {cosine.mean():.5f} +- {error:.1e}, psi = {exact:.5f}, "
        f"{(cosine.mean() - exact) / error:+.2f} SE"
    )
    assert abs(cosine.mean() - exact) <= SIGMAS * error


def persistent_spec(dimension: int, kappa: float, taxis: dict | None = None) -> dict:
    cells = {
        "dimension": dimension,
        "turning_rate": 2.5,
        "velocities": {"kind": "sphere", "speed": 0.8},
        "turning_angle": {"kind": "von-mises", "kappa": kappa},
    }
    spec = {"cells": cells, "signal": {"name": "s"}}
    if taxis is not None:
        cells["taxis"] = taxis
    return spec


@pytest.mark.parametrize("dimension", [2, 3])
def test_derived_diffusion_is_s2_over_n_lambda_1_minus_psi(dimension):
    """`derive` with a von Mises/Fisher turning angle: D = s^2/(n lambda (1 - psi)) I with psi from Bessel functions."""
    derivation = derive(parse_spec(persistent_spec(dimension, 2.0)))
    psi = bessel_ratio(dimension, 2.0)
    exact = 0.8**2 / (dimension * 2.5 * (1 - psi))
    print(derivation.report())
    assert derivation["psi"].value == pytest.approx(psi, rel=RTOL)
    np.testing.assert_allclose(derivation["D"].value, exact * np.eye(dimension), rtol=RTOL, atol=1e-14)


@pytest.mark.parametrize("dimension", [2, 3])
def test_persistent_taxis_sensitivity(dimension):
    """chi of both mechanisms with persistence, by the double integral (36) with T0 in a kernel expression.

    run-length: T1 = -sigma k (w.grad S) T0(v, w), chi = k s^2/n (persistence cancels);
    direction: T1 = sigma k T0(v, w) (v - psi w).grad S, chi = k (1 + psi) s^2/n.
    """
    kappa, k = 1.3, 0.6
    psi = bessel_ratio(dimension, kappa)
    law = TurningLaw(Sphere(dimension, 0.8), 2.5, angle=VonMises(dimension, kappa))
    axes = range(dimension)
    gradient = " + ".join(f"w{'xyz'[i]}*S{'xyz'[i]}" for i in axes)
    towards = " + ".join(f"(v{'xyz'[i]} - psi*w{'xyz'[i]})*S{'xyz'[i]}" for i in axes)
    cases = {
        "run-length": (f"-sigma*k*({gradient})*T0", k * 0.8**2 / dimension),
        "direction": (f"sigma*k*({towards})*T0", k * (1 + psi) * 0.8**2 / dimension),
    }
    for mechanism, (text, exact) in cases.items():
        kernel = TaxisPerturbation("kernel", kernel=Expression.parse(text, "kernel"), parameters={"k": k})
        by_kernel = taxis_sensitivity(law, kernel)
        named = derive(parse_spec(persistent_spec(dimension, kappa, {"mechanism": mechanism, "strength": k})))["chi"]
        print(f"{mechanism} {dimension}-D: kernel {np.diag(by_kernel)}, named {named.scalar:.12g}, exact {exact:.12g}")
        np.testing.assert_allclose(by_kernel, exact * np.eye(dimension), rtol=RTOL, atol=1e-14)
        assert named.scalar == pytest.approx(exact, rel=RTOL)
        assert named.relative_difference <= RTOL


def test_transduction_with_persistence_and_tables_in_a_spec():
    """Transduction decorrelates at lambda0 (1 - psi); a tabulated turning angle from a SPEC; errors name the key."""
    spec = persistent_spec(2, 2.0)
    spec["cells"]["transduction"] = {"b": 0.5, "tau_e": 0.1, "tau_a": 1.0, "g": "s"}
    derivation = derive(parse_spec(spec))
    sigma_d = 2.5 * (1 - bessel_ratio(2, 2.0))
    exact = 0.5 / 2.5 * 1.0 / ((1 + sigma_d) * (1 + 0.1 * sigma_d)) * 0.8**2 / 2
    assert derivation["chi0"].scalar == pytest.approx(exact, rel=RTOL)

    table = persistent_spec(3, 1.0)
    table["cells"]["turning_angle"] = {"kind": "table", "angles": [0, 90, 180], "density": [0.0, 0.5, 1.0]}
    derivation = derive(parse_spec(table))
    psi = -4 / math.pi**2
    np.testing.assert_allclose(derivation["D"].value, 0.8**2 / (3 * 2.5 * (1 - psi)) * np.eye(3), rtol=RTOL, atol=1e-14)
    assert run_config(derivation)["model"]["parameters"]["d"] == pytest.approx(0.8**2 / (3 * 2.5 * (1 - psi)))

    bad = {
        "kappa": ({"kind": "von-mises", "kappa": -1.0}, "[cells.turning_angle] kappa"),
        "kind": ({"kind": "wrapped-cauchy"}, "[cells.turning_angle] kind"),
        "angles": ({"kind": "table", "angles": [0, 90], "density": [1, 1]}, "angles must increase from 0 to 180"),
        "density": ({"kind": "table", "angles": [0, 180], "density": [1, -1]}, "[cells.turning_angle] density"),
    }
    for angle, words in bad.values():
        spec = persistent_spec(2, 1.0)
        spec["cells"]["turning_angle"] = angle
        with pytest.raises(ValueError, match=words.replace("[", r"\[").replace("]", r"\]")):
            parse_spec(spec)
    spec = persistent_spec(2, 1.0)
    spec["cells"]["velocities"] = {"kind": "discrete", "vectors": [[1.0, 0.0], [-1.0, 0.0]]}
    with pytest.raises(ValueError, match="sphere"):
        parse_spec(spec)


# -- particles ------------------------------------------------------------------------------
PERSISTENT_LAWS = {
    "von Mises 2-D kappa 2": TurningLaw(Sphere(2, 1.0), 2.0, angle=VonMises(2, 2.0)),
    "Fisher 3-D kappa 1.5": TurningLaw(Sphere(3, 1.0), 2.0, angle=VonMises(3, 1.5)),
    "table p = theta 2-D": TurningLaw(Sphere(2, 1.0), 2.0, angle=ANGLES["table p = theta (2-D)"][0]),
}


@pytest.mark.parametrize("name", PERSISTENT_LAWS)
def test_persistent_mean_squared_displacement(comm, name):
    """MSD(t) = 2 s^2 (t/gamma - (1 - exp(-gamma t))/gamma^2), gamma = lambda (1 - psi), at all times.

    The velocity autocorrelation of rotation-invariant turning is s^2 exp(-gamma t) exactly;
    checked at t = 0.5/gamma (ballistic to diffusive) and 8/gamma (slope 2 n d), within 4 SE
    of N = 10 000 particles (SE ~ 1/sqrt(N)), with gamma from the closed-form psi.
    """
    law = PERSISTENT_LAWS[name]
    gamma = law.rate * (1 - law.angle.mean_cosine_closed())
    particles = RunAndTumble(law, 10_000, initial=np.zeros(law.dimension), seed=21, comm=comm)
    for t in (0.5 / gamma, 8 / gamma):
        particles.advance(t, 0.5 / gamma)
        msd = particles.estimate((particles.displacement() ** 2).sum(axis=1))
        exact = 2 * (t / gamma - (1 - math.exp(-gamma * t)) / gamma**2)
        assert (
            abs(report(f"{name}: MSD({t * gamma:g}/gamma)", float(msd.mean), float(msd.standard_error), exact))
            <= SIGMAS
        )


@pytest.mark.parametrize("mechanism", ["run-length", "direction"])
def test_persistent_drift_in_a_linear_gradient(comm, mechanism):
    """Drift = chi grad S: k s^2/n (run-length, whatever psi) and k (1 + psi) s^2/n (direction); 4 SE, N = 10 000."""
    law = TurningLaw(Sphere(2, 1.0), 2.0, taxis=TaxisPerturbation(mechanism, 1.0), angle=VonMises(2, 2.0))
    gradient = np.array([0.08, -0.04])
    chi = derive(parse_spec(persistent_spec(2, 2.0, {"mechanism": mechanism, "strength": 1.0})))["chi"]
    chi_per_unit_speed = chi.scalar / 0.8**2  # the SPEC's speed is 0.8, the particles' 1
    particles = RunAndTumble(
        law, 10_000, initial=np.zeros(2), signal=LinearSignal(gradient), seed=22, comm=comm, blocks=8
    )
    particles.advance(8.0, 0.5)  # 5/gamma: the drift has set in
    start = particles.x.copy()
    particles.advance(38.0, 0.5)
    drift = particles.estimate((particles.x - start) / 30.0)
    for i in range(2):
        assert (
            abs(
                report(
                    f"persistent {mechanism}: drift[{i}]",
                    drift.mean[i],
                    drift.standard_error[i],
                    chi_per_unit_speed * gradient[i],
                )
            )
            <= SIGMAS
        )


def report(name: str, estimate: float, error: float, expected: float) -> float:
    """Print one check; return the deviation in standard errors."""
    deviation = (estimate - expected) / error
    if MPI.COMM_WORLD.rank == 0:
        print(
            f"{name}: {estimate:.5g} +- {error:.2g} (SE), expected {expected:.5g}: "
            f"{100 * (estimate / expected - 1):+.2f}% = {deviation:+.2f} SE"
        )
    return deviation
