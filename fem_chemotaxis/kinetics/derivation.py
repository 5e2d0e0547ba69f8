"""From a kinetic SPEC to the macroscopic coefficients, each with its units, source and check.

:func:`derive` computes every coefficient the SPEC implies by quadrature over the velocity
set and, where a closed form exists, evaluates it too; :meth:`Derivation.report` prints
them side by side with their relative difference. A multi-species SPEC is derived by
:func:`~fem_chemotaxis.kinetics.mixture.derive_mixture`.
"""

from __future__ import annotations

from typing import Any

from fem_chemotaxis.kinetics import coefficients as cf
from fem_chemotaxis.kinetics.derived import (
    Coefficient,
    Derivation,
    diffusion_coefficients,
    taxis_coefficient,
    transduction_coefficient,
)
from fem_chemotaxis.kinetics.mixture import derive_mixture
from fem_chemotaxis.kinetics.mixture_spec import MixtureSpec
from fem_chemotaxis.kinetics.spec import KineticSpec
from fem_chemotaxis.kinetics.velocities import HeavyTailedEquilibrium

__all__ = ["Coefficient", "Derivation", "derive"]


def derive(spec: KineticSpec | MixtureSpec | Any) -> Derivation:
    """All macroscopic coefficients implied by `spec`, by quadrature and in closed form."""
    if isinstance(spec, MixtureSpec):
        return derive_mixture(spec)
    if spec.heavy_tail is not None:
        return _derive_fractional(spec, spec.heavy_tail)
    law = spec.law
    if law is None:
        raise ValueError("the SPEC has neither a turning law nor a heavy-tailed equilibrium")
    u, n, v = spec.units, spec.dimension, law.velocities
    if law.turning == "reversal":
        turning = "reversals at rate lambda (chapter (7.3.1)), sigma = 2 lambda"
    elif law.angle is not None:
        turning = f"new velocity turned from the old one: {law.angle.describe()}, sigma = lambda"
    else:
        turning = "new velocity from M, sigma = lambda"
    summary = [
        f"Run-and-tumble cells '{spec.species}' in {n}-D: {v.describe()}",
        f"tumbling rate lambda = {law.rate:g} 1/{u.time}; {turning}",
    ]
    coeffs: dict[str, Coefficient] = {c.symbol: c for c in diffusion_coefficients(law, u)}
    for perturbation in law.taxis:
        summary.append(f"taxis: {perturbation.describe()}")
        coeffs["chi"] = taxis_coefficient(law, perturbation, u)
    td = law.transduction
    if td is not None:
        summary.append(f"signal transduction: {td.describe()}; g'({td.signal}) = {td.g_prime}")
        coeffs["chi0"] = transduction_coefficient(law, u)
    return Derivation(spec, coeffs, summary)


def _derive_fractional(spec: KineticSpec, eq: HeavyTailedEquilibrium) -> Derivation:
    u, sigma, gamma = spec.units, spec.rate, eq.gamma
    order = cf.fractional_order(gamma)
    k0, _ = eq.tail_constant()
    k0_closed = eq.default_constant() if eq.profile is None else None
    integral = cf.fractional_integral(eq.dimension, gamma)
    integral_closed = cf.fractional_integral_closed(eq.dimension, gamma)
    d_rho = cf.fractional_diffusion(eq, sigma)
    d_rho_closed = (k0_closed if k0_closed is not None else k0) * sigma**-gamma * integral_closed
    coeffs = {
        "alpha": Coefficient(
            "alpha", "fractional order (-Lap)^(alpha/2)", order, "1", "fractional file (5): gamma + 1"
        ),
        "K0": Coefficient(
            "K0",
            "tail constant F ~ K0 |v|^-(N+gamma+1)",
            k0,
            f"({u.length}/{u.time})^{order:g}",
            "fractional file (2)",
            k0_closed,
            "Gamma(p)/(pi^(N/2) Gamma((gamma+1)/2))" if k0_closed is not None else "",
        ),
        "I": Coefficient(
            "I",
            "Lemma integral int y1^2/(1+y1^2) |y|^-(N+gamma+1) dy",
            integral,
            "1",
            "fractional file, Lemma",
            integral_closed,
            "pi/(2cos(pi gamma/2)) 2pi^((N-1)/2) Gamma(1+gamma/2)/Gamma((N+1+gamma)/2)",
        ),
        "D_rho": Coefficient(
            "D_rho",
            "fractional diffusion K0 sigma^-gamma I",
            d_rho,
            f"{u.length}^{order:g}/{u.time}",
            "fractional file, Lemma",
            d_rho_closed,
            "closed forms of K0 and I" if k0_closed is not None else "closed I",
        ),
    }
    summary = [
        f"Cells '{spec.species}' in {eq.dimension}-D relaxing at rate sigma = {sigma:g} 1/{u.time} to {eq.describe()}",
        f"mass of F = {eq.mass():.12g}; limit rho_t = -D_rho (-Lap)^({order:g}/2) rho",
    ]
    return Derivation(spec, coeffs, summary)
