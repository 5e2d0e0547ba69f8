"""The macroscopic model of several cell populations: diffusion per species, sensitivity per pair.

The cross-diffusion file's Hilbert expansion (Section 3) of the kinetic system (7) gives, for
each population i with turning operator ``L_i`` and first-order bias ``T_i^1`` (31)-(36),

    du_i/dt = div( D_i grad u_i - u_i alpha_i ) + psi_i,
    D_i = -int v (x) theta_i dv,  alpha_i = -int theta_i/M_i T_i^1(M_i) dv = sum_j chi_ij grad u_j,

with ``L_i theta_i = v M_i`` (Lemma 1 iii). For relaxation (37) and rotation-invariant
persistent kernels ``theta_i = -v M_i/sigma_d`` (see :mod:`~fem_chemotaxis.kinetics.persistence`),
so D_i and each chi_ij are the single-population coefficients of
:mod:`~fem_chemotaxis.kinetics.derived`, evaluated for population i and field j. Fields
keep their given diffusion; immobile ones (``q > 1`` in (9)) have none.

Symbols: ``D[i]``, ``psi[i]``, ``chi[i->j]``, ``chi0[i->j]`` (transduction).
"""

from __future__ import annotations

from fem_chemotaxis.kinetics.derived import (
    Coefficient,
    Derivation,
    diffusion_coefficients,
    taxis_coefficient,
    transduction_coefficient,
)
from fem_chemotaxis.kinetics.mixture_spec import MixtureSpec

__all__ = ["derive_mixture"]


def derive_mixture(spec: MixtureSpec) -> Derivation:
    """Every population's D (and psi) and every population-field pair's sensitivity."""
    units = spec.units
    coeffs: dict[str, Coefficient] = {}
    summary = [f"{len(spec.species)} species in {spec.dimension}-D (cross-diffusion file (31)-(36)):"]
    for population in spec.species:
        law = population.law
        if law is None:
            what = "immobile field" if population.kind == "immobile" else f"field with diffusion {population.diffusion}"
            summary.append(f"  {population.name} ({population.description}): {what}")
            continue
        turning = law.angle.describe() if law.angle is not None else f"turning = {law.turning}"
        summary.append(
            f"  {population.name} ({population.description}): {law.velocities.describe()}, "
            f"lambda = {law.rate:g} 1/{units.time}, {turning}"
        )
        for c in diffusion_coefficients(law, units, suffix=f"[{population.name}]"):
            coeffs[c.symbol] = c
        for perturbation in law.taxis:
            summary.append(f"    taxis {perturbation.describe()}")
            c = taxis_coefficient(law, perturbation, units, f"chi[{population.name}->{perturbation.towards}]")
            coeffs[c.symbol] = c
        if law.transduction is not None:
            td = law.transduction
            summary.append(f"    transduction towards '{td.signal}': {td.describe()}")
            c = transduction_coefficient(law, units, f"chi0[{population.name}->{td.signal}]")
            coeffs[c.symbol] = c
    return Derivation(spec, coeffs, summary)
