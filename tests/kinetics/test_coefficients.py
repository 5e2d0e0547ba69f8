"""Kinetic-to-macroscopic coefficients: quadrature equals the closed forms (1e-8), SPEC errors, emission.

Closed forms: chapter (7.3.14) ``d = s^2/(lambda n)`` and the telegraph limit of (7.3.1)-(7.3.4);
cross-diffusion file (40) for densities and lattices, (39) with the kernel (41) giving
``xi I`` (42); the chapter's signal-transduction sensitivity (7.3.21); the fractional file's
Lemma (D_rho) and the normalisation/tail constant of the heavy-tailed equilibrium (2),
checked against Gamma-function forms derived and written in this file, and D_rho also
against the small-k limit of the relaxation operator's symbol.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import scipy.integrate
import tomllib

from fem_chemotaxis.config.run_config import parse_config
from fem_chemotaxis.expressions import NUMPY_FUNCTIONS, Expression
from fem_chemotaxis.kinetics import (
    DiscreteVelocities,
    HeavyTailedEquilibrium,
    Sphere,
    TaxisPerturbation,
    TurningLaw,
    VelocityDensity,
    chapter_transduction_sensitivity,
    derive,
    diffusion_tensor,
    excitation_response,
    excitation_response_closed,
    fractional_diffusion,
    fractional_integral,
    fractional_integral_closed,
    mechanism_sensitivity,
    parse_spec,
    run_config,
    taxis_sensitivity,
    telegraph_diffusion,
    to_toml,
    transduction_sensitivity,
    uniform_turning_diffusion,
    write_run_config,
)
from fem_chemotaxis.kinetics.symbolic import derivative
from fem_chemotaxis.library import builtin_model
from tests.conftest import run_cli

RTOL = 1e-8


def relative_error(value: np.ndarray | float, exact: np.ndarray | float) -> float:
    exact = np.asarray(exact, dtype=float)
    return float(np.abs(np.asarray(value) - exact).max() / np.abs(exact).max())


def dot(a: tuple[str, ...], b: tuple[str, ...]) -> str:
    return " + ".join(f"{x}*{y}" for x, y in zip(a, b))


V, W, G = ("vx", "vy", "vz"), ("wx", "wy", "wz"), ("Sx", "Sy", "Sz")


def test_uniform_turning_diffusion():
    """(1/sigma) int v (x) v M dv on the sphere = s^2/(lambda n) I (chapter (7.3.14))."""
    for n in (1, 2, 3):
        for speed, rate in ((1.0, 1.0), (0.37, 4.2), (20.0, 0.5)):
            law = TurningLaw(Sphere(n, speed), rate)
            value = diffusion_tensor(law.velocities, law.relaxation_rate)
            exact = uniform_turning_diffusion(speed, rate, n) * np.eye(n)
            print(
                f"n={n} s={speed} lambda={rate}: D = {value[0, 0]:.12g}, closed {exact[0, 0]:.12g}, "
                f"rel. diff {relative_error(value, exact):.1e}"
            )
            assert relative_error(value, exact) <= RTOL


def test_reversal_is_the_telegraph_limit():
    """1-D reversals at rate lambda (7.3.1) diffuse with s^2/(2 lambda), the telegraph equation's limit."""
    law = TurningLaw(Sphere(1, 0.8), 1.5, "reversal")
    assert law.relaxation_rate == 3.0
    assert (
        relative_error(diffusion_tensor(law.velocities, law.relaxation_rate)[0, 0], telegraph_diffusion(0.8, 1.5))
        <= RTOL
    )


def test_discrete_velocities():
    """Lattices: 2n axis directions give s^2/(n sigma) I; unequal axes give the diagonal tensor."""
    for n in (2, 3):
        vectors = np.vstack([np.eye(n), -np.eye(n)]) * 1.7
        value = diffusion_tensor(DiscreteVelocities(vectors, np.full(2 * n, 1 / (2 * n))), 2.0)
        assert relative_error(value, 1.7**2 / (n * 2.0) * np.eye(n)) <= RTOL
    skewed = DiscreteVelocities(np.array([[2.0, 0], [-2, 0], [0, 0.5], [0, -0.5]]), np.full(4, 0.25))
    assert relative_error(diffusion_tensor(skewed, 1.0), np.diag([2.0, 0.125])) <= RTOL


@pytest.mark.parametrize("n", [1, 2, 3])
def test_gaussian_density(n):
    """A Maxwellian of temperature theta relaxing at rate sigma: D = theta/sigma I (cross (40))."""
    theta, sigma = 0.3, 2.0
    square = " + ".join(f"{v}^2" for v in V[:n])
    density = Expression.parse(f"exp(-({square})/(2*theta))/(2*pi*theta)^({n}/2)", "density")
    velocities = VelocityDensity(n, density, {"theta": theta}, cutoff=10 * math.sqrt(theta))
    value = diffusion_tensor(velocities, sigma)
    print(f"n={n}: D = {value[0, 0]:.12g}, closed {theta / sigma:.12g}")
    assert relative_error(value, theta / sigma * np.eye(n)) <= RTOL


@pytest.mark.parametrize("n", [1, 2, 3])
def test_mechanism_sensitivity(n):
    """chi of both mechanisms on the sphere is k s^2/n I, also as a kernel's double integral (39)."""
    speed, sigma, k = 0.6, 1.7, 0.45
    velocities = Sphere(n, speed)
    exact = k * speed**2 / n * np.eye(n)
    law = TurningLaw(velocities, sigma)
    for mechanism in ("run-length", "direction"):
        named = taxis_sensitivity(law, TaxisPerturbation(mechanism, k))
        text = (
            f"-sigma*k*({dot(W[:n], G[:n])})*Mv" if mechanism == "run-length" else f"sigma*k*({dot(V[:n], G[:n])})*Mv"
        )
        kernel = TaxisPerturbation("kernel", kernel=Expression.parse(text, "kernel"), parameters={"k": k})
        for value in (mechanism_sensitivity(velocities, k, mechanism), named, taxis_sensitivity(law, kernel)):
            assert relative_error(value, exact) <= RTOL


def test_oncolytic_kernel_gives_xi():
    """The kernel (41) on the sphere of radius R gives chi = xi I (42) (with d = n)."""
    xi = 2.5
    for n in (1, 2, 3):
        text = f"-xi*sigma*dimension/(measure^2*speed^2*Mw)*({dot(W[:n], G[:n])})"
        kernel = TaxisPerturbation("kernel", kernel=Expression.parse(text, "kernel"), parameters={"xi": xi})
        value = taxis_sensitivity(TurningLaw(Sphere(n, 1.3), 0.8), kernel)
        print(f"n={n}: chi = {np.diag(value)}, closed xi = {xi}, rel. diff {relative_error(value, xi * np.eye(n)):.1e}")
        assert relative_error(value, xi * np.eye(n)) <= RTOL


def test_excitation_response():
    """int_0^inf K(t) e^(-p t) dt = tau_a/((1 + p tau_a)(1 + p tau_e)), also for tau_a = tau_e."""
    for rate, tau_a, tau_e in ((1.0, 1.0, 0.1), (2.0, 5.0, 0.3), (0.7, 0.4, 0.4)):
        assert (
            relative_error(excitation_response(rate, tau_a, tau_e), excitation_response_closed(rate, tau_a, tau_e))
            <= RTOL
        )


def test_transduction_is_chapter_7_3_21():
    """1-D reversals: (b/lambda0) Khat(2 lambda0) int v^2 M dv is the chapter's (7.3.21).

    ``b s^2 tau_a/(lambda0 (1 + 2 lambda0 tau_a)(1 + 2 lambda0 tau_e))``.
    """
    for speed, lambda0, b, tau_a, tau_e in ((1.0, 1.0, 1.0, 1.0, 0.1), (20.0, 2.0, 0.3, 4.0, 0.2)):
        law = TurningLaw(Sphere(1, speed), lambda0, "reversal")
        value = transduction_sensitivity(law.velocities, law.relaxation_rate, lambda0, b, tau_a, tau_e)[0, 0]
        exact = chapter_transduction_sensitivity(speed, lambda0, b, tau_a, tau_e)
        print(f"chi0 = {value:.12g}, chapter (7.3.21): {exact:.12g}, rel. diff {relative_error(value, exact):.1e}")
        assert relative_error(value, exact) <= RTOL


def test_transduction_model_agrees_with_derive():
    """The library's keller-segel-transduction is `derive` of 1-D reversals with transduction (issue 14).

    One convention: lambda0 is the reversal rate of (7.3.1), so D = s^2/(2 lambda0) (the
    telegraph limit, not the chapter's printed s^2/lambda0) and chi(s) = chi0 g'(s) with
    (7.3.21)'s chi0. The model's hand-written formulas, evaluated at non-default parameters,
    must equal the quadrature of `derive` (measured: 2e-16 for D, 1e-15 for chi).
    """
    values = {"speed": 0.7, "lambda0": 1.3, "b": 40.0, "tau_e": 0.2, "tau_a": 1.7, "K": 0.35}
    model = builtin_model("keller-segel-transduction").with_parameters(values)
    spec = {
        "cells": {
            "dimension": 1,
            "turning_rate": values["lambda0"],
            "turning": "reversal",
            "velocities": {"kind": "sphere", "speed": values["speed"]},
            "transduction": {"b": values["b"], "tau_e": values["tau_e"], "tau_a": values["tau_a"], "g": "s/(K + s)"},
        },
        "signal": {"name": "s"},
        "parameters": {"K": values["K"]},
    }
    derivation = derive(parse_spec(spec))
    cells = model.species[0]
    diffusion = cells.diffusion.evaluate(model.parameters, NUMPY_FUNCTIONS)
    print(f"model D = {diffusion:.15g}, derive D = {derivation['D'].value:.15g}")
    assert relative_error(diffusion, derivation["D"].value) <= RTOL
    for s in (0.05, 0.5, 3.0):
        sensitivity = cells.taxis[0].sensitivity.evaluate({**model.parameters, "u": 2.0, "s": s}, NUMPY_FUNCTIONS)
        derived = derivation["chi0"].value * values["K"] / (values["K"] + s) ** 2 * 2.0
        assert relative_error(sensitivity, derived) <= RTOL


def heavy_tail_normalisation(n: int, gamma: float) -> float:
    """c with ``int_{R^n} c (1 + |v|^2)^(-p) dv = 1``, p = (n + gamma + 1)/2.

    In polar coordinates ``|S^(n-1)| int_0^inf r^(n-1) (1 + r^2)^(-p) dr`` with
    ``|S^(n-1)| = 2 pi^(n/2)/Gamma(n/2)`` and the Beta integral
    ``int_0^inf r^(n-1) (1 + r^2)^(-p) dr = Gamma(n/2) Gamma(p - n/2)/(2 Gamma(p))``, so
    ``1/c = pi^(n/2) Gamma((gamma + 1)/2)/Gamma(p)``. As ``r^(n+gamma+1) (1 + r^2)^(-p) -> 1``,
    c is also the tail constant K0 of the fractional file's (2).
    """
    p = (n + gamma + 1) / 2
    return math.gamma(p) / (math.pi ** (n / 2) * math.gamma((gamma + 1) / 2))


def lemma_integral(n: int, gamma: float) -> float:
    """``int_{R^n} y1^2/(1 + y1^2) |y|^-(n+gamma+1) dy`` (the fractional file's Lemma) in closed form.

    Polar coordinates ``y = r omega``: the radial integral ``int_0^inf c^2 r^-gamma/(1 + c^2 r^2) dr
    = |c|^(1+gamma) pi/(2 cos(pi gamma/2))`` (c = omega1), and the sphere average of
    ``|omega1|^(1+gamma)`` gives ``2 pi^((n-1)/2) Gamma(1 + gamma/2)/Gamma((n+1+gamma)/2)``.
    """
    radial = math.pi / (2 * math.cos(math.pi * gamma / 2))
    return radial * 2 * math.pi ** ((n - 1) / 2) * math.gamma(1 + gamma / 2) / math.gamma((n + 1 + gamma) / 2)


def test_fractional_lemma_integral():
    """The Lemma's integral by nested quadrature, and the package's closed form, equal the one written here."""
    for n in (1, 2, 3):
        for gamma in (0.2, 0.5, 0.8):
            value, exact = fractional_integral(n, gamma), lemma_integral(n, gamma)
            print(f"N={n} gamma={gamma}: {value:.14g} vs {exact:.14g}, rel. diff {relative_error(value, exact):.1e}")
            assert relative_error(value, exact) <= RTOL
            assert relative_error(fractional_integral_closed(n, gamma), exact) <= 1e-14


@pytest.mark.parametrize("n", [1, 2, 3])
@pytest.mark.parametrize("gamma", [0.2, 0.5, 0.8])
def test_heavy_tailed_equilibrium(n, gamma):
    """The default profile's tail constant and D_rho against Gamma-function forms written here.

    The normalisation is also checked by quadrature of ``c (1 + r^2)^(-p)`` written here (not
    the package's density), and D_rho = K0 sigma^-gamma (Lemma integral) with both factors
    in closed form.
    """
    c = heavy_tail_normalisation(n, gamma)
    p = (n + gamma + 1) / 2
    area = 2 * math.pi ** (n / 2) / math.gamma(n / 2)
    radial = [
        scipy.integrate.quad(lambda r: r ** (n - 1) * (1 + r * r) ** -p, a, b, epsabs=0, epsrel=1e-12)[0]
        for a, b in ((0.0, 1.0), (1.0, np.inf))
    ]
    assert abs(c * area * sum(radial) - 1) <= RTOL
    equilibrium = HeavyTailedEquilibrium(n, gamma)
    tail, change = equilibrium.tail_constant()
    assert relative_error(tail, c) <= RTOL and change <= RTOL
    assert abs(equilibrium.mass() - 1) <= RTOL
    sigma = 1.7
    d_rho = fractional_diffusion(equilibrium, sigma)
    exact = c * sigma**-gamma * lemma_integral(n, gamma)
    print(f"N={n} gamma={gamma}: K0 = {tail:.14g} (closed {c:.14g}), D_rho = {d_rho:.14g} (closed {exact:.14g})")
    assert relative_error(d_rho, exact) <= RTOL


@pytest.mark.parametrize("n", [1, 2, 3])
@pytest.mark.parametrize("gamma", [0.3, 0.6])
def test_fractional_limit_of_the_relaxation_symbol(n, gamma):
    """D_rho |k|^(gamma+1) is the small-k limit of int sigma (v.k)^2 F/(sigma^2 + (v.k)^2) dv.

    The relaxation ``sigma (rho F - f)`` damps mode k at exactly that rate; the relative error
    of the fractional limit decays like |k|^(1-gamma).
    """
    sigma = 2.0
    equilibrium = HeavyTailedEquilibrium(n, gamma)
    d_rho = fractional_diffusion(equilibrium, sigma)
    errors = []
    for k in (1e-2, 1e-3, 1e-4):

        def angular(r: float) -> float:
            """The integrand over the sphere |v| = r (closed forms of the angular integrals)."""
            a = r * k / sigma
            if n == 1:
                return 2 * sigma * a * a / (1 + a * a)
            if n == 2:  # 1 - 1/sqrt(1 + a^2), without cancellation
                root = math.sqrt(1 + a * a)
                return 2 * math.pi * r * sigma * a * a / (root * (1 + root))
            # 1 - atan(a)/a, by its series where it cancels
            ratio = a * a / 3 - a**4 / 5 + a**6 / 7 if a < 1e-2 else 1 - math.atan(a) / a
            return 4 * math.pi * r * r * sigma * ratio

        f = lambda r: angular(r) * float(equilibrium.values(r))  # noqa: E731
        edges = [0.0, 1.0, sigma / k, np.inf]
        symbol = sum(
            scipy.integrate.quad(f, a, b, epsabs=0, epsrel=1e-9, limit=500)[0] for a, b in zip(edges, edges[1:])
        )
        errors.append(symbol / (d_rho * k ** (gamma + 1)) - 1)
        print(
            f"N={n} gamma={gamma} k={k:g}: symbol/(D_rho k^(gamma+1)) - 1 = {errors[-1]:.3e} "
            f"(k^(1-gamma) = {k ** (1 - gamma):.2e})"
        )
        assert abs(errors[-1]) <= k ** (1 - gamma)
    assert abs(errors[2]) < abs(errors[1]) < abs(errors[0])


def test_exact_derivative():
    """g'(S) of the transduction sensitivity: the symbolic derivative matches finite differences."""
    for text in ("s/(K + s)", "K/(K + s)^2", "log(1 + s^2)*exp(-s)", "sqrt(s)*tanh(2*s)", "s^s", "max(s, 2*s - 1)"):
        g = Expression.parse(text, "g")
        prime = derivative(g, "s")
        s, h = np.array([0.3, 1.3, 2.5]), 1e-6
        values = lambda x: g.evaluate({"s": x, "K": 0.4}, NUMPY_FUNCTIONS)  # noqa: E731
        difference = (values(s + h) - values(s - h)) / (2 * h)
        np.testing.assert_allclose(prime.evaluate({"s": s, "K": 0.4}, NUMPY_FUNCTIONS), difference, rtol=1e-7)


SPEC = """
[cells]
dimension = 2
turning_rate = 2.0
[cells.velocities]
kind = "sphere"
speed = 0.5
[cells.taxis]
mechanism = "direction"
strength = 0.8
[signal]
name = "s"
diffusion = "1"
reaction = "u - s"
[units]
length = "mm"
time = "min"
signal = "uM"
[run.mesh]
builtin = "rectangle"
size = [1.0, 1.0]
cells = [8, 8]
[run.time]
t_end = 0.02
dt = 0.01
[run.output]
pictures = false
"""

# (replace this, with that, the words the error message must contain)
INVALID_SPECS = {
    "unknown key": ("turning_rate = 2.0", "turning_rate = 2.0\nturnrate = 1", ["[cells]", "turnrate"]),
    "negative rate": ("turning_rate = 2.0", "turning_rate = -2.0", ["[cells] turning_rate", "-2.0"]),
    "bad dimension": ("dimension = 2", "dimension = 4", ["[cells] dimension", "4"]),
    "unknown velocity kind": ('kind = "sphere"', 'kind = "cube"', ["[cells.velocities] kind", "cube"]),
    "missing speed": ("speed = 0.5", "", ["[cells.velocities] speed", "missing"]),
    "unknown mechanism": ('mechanism = "direction"', 'mechanism = "magic"', ["[cells.taxis] mechanism", "magic"]),
    "reversal in 2-D": (
        "turning_rate = 2.0",
        'turning_rate = 2.0\nturning = "reversal"',
        ["reversal", "dimension = 1"],
    ),
    "unknown kernel symbol": (
        'mechanism = "direction"\nstrength = 0.8',
        'mechanism = "kernel"\nkernel = "q*vx"',
        ["[cells.taxis] kernel", "'q'"],
    ),
    "taxis without signal": ('[signal]\nname = "s"\ndiffusion = "1"\nreaction = "u - s"', "", ["[signal]"]),
    "bad unit": ('length = "mm"', "length = 3", ["[units] length"]),
    "unknown run table": ("[run.output]", "[run.outputs]", ["[run]", "outputs"]),
}


def spec_dict(text: str = SPEC) -> dict:
    return tomllib.loads(text)


def test_invalid_spec_names_the_key():
    for name, (this, that, words) in INVALID_SPECS.items():
        assert this in SPEC
        with pytest.raises(ValueError) as err:
            parse_spec(spec_dict(SPEC.replace(this, that, 1)))
        for word in words:
            assert word in str(err.value), f"{name}: {word!r} not in {err.value}"


def test_invalid_velocity_sets():
    base = SPEC.replace('kind = "sphere"\nspeed = 0.5', "{}")
    cases = {
        'kind = "discrete"\nvectors = [[1.0, 0.0], [0.0, 1.0]]': "mean velocity",
        'kind = "discrete"\nvectors = [[1.0, 0.0], [-1.0, 0.0]]\nweights = [0.2, 0.2]': "summing to 1",
        'kind = "density"\ndensity = "exp(-vx^2-vy^2)"\ncutoff = 6': "not 1",
        'kind = "heavy-tailed"\ngamma = 1.5': "gamma",
    }
    for table, words in cases.items():
        data = spec_dict(base.format(table))
        with pytest.raises(ValueError, match=words):
            parse_spec(data)


def test_derived_run_config_is_accepted():
    """The emitted [model] is a README user model; the run-config parser accepts the whole config."""
    derivation = derive(parse_spec(spec_dict(), source="spec.toml"))
    print(derivation.report())
    assert derivation["D"].scalar == pytest.approx(0.5**2 / (2 * 2.0), rel=1e-12)
    assert derivation["chi"].scalar == pytest.approx(0.8 * 0.25 / 2, rel=1e-12)
    config = run_config(derivation)
    assert tomllib.loads(to_toml(config)) == config
    parsed = parse_config(tomllib.loads(to_toml(config)))
    assert parsed.model.parameters["d"] == pytest.approx(0.0625, rel=1e-12)
    assert parsed.model.species[0].taxis[0].towards == "s"
    assert "mm^2/min" in derivation.report() and "mm^2/(min uM)" in derivation.report()


def test_emission_variants():
    """Tensors, transduction (with g'(s)), fractional order, and an anisotropic chi that cannot be written."""
    taxis = '[cells.taxis]\nmechanism = "direction"\nstrength = 0.8\n'
    lattice = SPEC.replace(
        'kind = "sphere"\nspeed = 0.5',
        'kind = "discrete"\nvectors = [[2.0, 0.0], [-2.0, 0.0], [0.0, 1.0], [0.0, -1.0]]',
    )
    emitted = run_config(derive(parse_spec(spec_dict(lattice.replace(taxis, "")))))
    config = parse_config(tomllib.loads(to_toml(emitted)))
    assert config.model.parameters["D_xx"] == pytest.approx(4 / (2 * 2.0)) and config.model.parameters["D_xy"] == 0
    with pytest.raises(ValueError, match="anisotropic"):
        run_config(derive(parse_spec(spec_dict(lattice))))

    transduction = SPEC.replace(taxis, '[cells.transduction]\nb = 0.5\ntau_e = 0.1\ntau_a = 1.0\ng = "s/(K + s)"\n')
    transduction = transduction.replace("[units]", "[parameters]\nK = 0.3\n[units]")
    derivation = derive(parse_spec(spec_dict(transduction)))
    config = parse_config(tomllib.loads(to_toml(run_config(derivation))))
    sensitivity = config.model.species[0].taxis[0].sensitivity
    value = sensitivity.evaluate({**config.model.parameters, "u": 2.0, "s": 0.7}, NUMPY_FUNCTIONS)
    assert value == pytest.approx(derivation["chi0"].scalar * 0.3 / (0.3 + 0.7) ** 2 * 2.0, rel=1e-12)

    reversal = transduction.replace("dimension = 2", "dimension = 1").replace(
        "turning_rate = 2.0", 'turning_rate = 2.0\nturning = "reversal"'
    )
    derivation = derive(parse_spec(spec_dict(reversal)))
    print(derivation.report())
    assert derivation["D"].value == pytest.approx(telegraph_diffusion(0.5, 2.0), rel=1e-12)
    assert derivation["chi0"].relative_difference <= RTOL  # against the chapter's (7.3.21)

    fractional = SPEC.replace('kind = "sphere"\nspeed = 0.5', 'kind = "heavy-tailed"\ngamma = 0.5').replace(taxis, "")
    derivation = derive(parse_spec(spec_dict(fractional)))
    print(derivation.report())
    config = parse_config(tomllib.loads(to_toml(run_config(derivation))))
    assert config.model.species[0].fractional_order == 1.5
    assert derivation["D_rho"].relative_difference <= RTOL
    with pytest.raises(ValueError, match="exists"):
        write_run_config(derivation, Path(__file__))


@pytest.mark.serial
def test_cli_derive(tmp_path: Path):
    """`fem-chemotaxis derive SPEC` prints the table with units and writes a config `run` accepts."""
    spec = tmp_path / "cells.toml"
    spec.write_text(SPEC)
    out = tmp_path / "cells_run.toml"
    done = run_cli("derive", str(spec), "--output", str(out))
    print(done.stdout)
    assert done.returncode == 0, done.stderr
    assert "mm^2/min" in done.stdout and "s^2/(lambda n) I" in done.stdout and out.is_file()
    run = run_cli("run", str(out), "--output", str(tmp_path / "run"))
    assert run.returncode == 0, run.stderr
    spec.write_text(SPEC.replace("speed = 0.5", "speed = -0.5"))
    failed = run_cli("derive", str(spec), "--output", str(tmp_path / "other.toml"))
    assert failed.returncode == 2 and "[cells.velocities] speed" in failed.stderr
