"""A residual's quadrature degrees, fixed in its integrals so that its derivatives use them.

FFCx integrates each integral (the terms with the same measure, subdomain and metadata, summed)
with a rule exact for the polynomial degree UFL estimates for it. For a term that is not a
polynomial the estimate of its derivative runs far above the term's own: UFL writes
tanh'(x) as (2 cosh x / (1 + cosh 2x))^2, so the oxygen switch of the bioconvection model,
degree 4 in its residual, reaches 14 in its Jacobian, and every term of that Jacobian block
(mass, advection) is integrated with the degree-14 rule. :func:`pin_quadrature_degrees` writes
the residual's own degree into the metadata of its integrals: the residual keeps its rule, and
a Jacobian derived from it takes the same one - the exact derivative of the discrete residual
Newton and Rosenbrock steps solve with, at the residual's cost.
"""

from __future__ import annotations

from collections import defaultdict

import ufl
from ufl.algorithms.apply_algebra_lowering import apply_algebra_lowering
from ufl.algorithms.apply_derivatives import apply_derivatives
from ufl.algorithms.apply_integral_scaling import compute_integrand_scaling_factor
from ufl.algorithms.estimate_degrees import estimate_total_polynomial_degree

__all__ = ["pin_quadrature_degrees"]

QUADRATURE_DEGREE = "quadrature_degree"


def pin_quadrature_degrees(form: ufl.Form) -> ufl.Form:
    """`form` with the quadrature degree FFCx would choose for each of its integrals written
    into the metadata of the terms that make it up (terms that already name one are kept)."""
    groups: defaultdict[tuple, list[ufl.Integral]] = defaultdict(list)
    for integral in form.integrals():
        groups[_group(integral)].append(integral)
    degrees = {
        key: _estimated_degree(integrals)
        for key, integrals in groups.items()
        if QUADRATURE_DEGREE not in integrals[0].metadata()
    }
    return ufl.Form(
        [
            integral
            if QUADRATURE_DEGREE in integral.metadata()
            else integral.reconstruct(metadata={**integral.metadata(), QUADRATURE_DEGREE: degrees[_group(integral)]})
            for integral in form.integrals()
        ]
    )


def _group(integral: ufl.Integral) -> tuple:
    """The integrals FFCx sums into one (as its form analysis groups them: by domain, type,
    subdomain and metadata, without adding dx to the dx(i))."""
    metadata = tuple(sorted((k, repr(v)) for k, v in integral.metadata().items()))
    return integral.ufl_domain(), integral.integral_type(), integral.subdomain_id(), metadata


def _estimated_degree(integrals: list[ufl.Integral]) -> int:
    """UFL's estimate for the sum of `integrals` (one group) as FFCx's form analysis makes it
    (``compute_form_data``): the integrands' degree after algebra lowering and differentiation,
    plus the degree of the scaling to the reference cell (0 on affine cells). The same numbers on
    every demo's forms, a tenth of the time."""
    degree = max(
        estimate_total_polynomial_degree(apply_derivatives(apply_algebra_lowering(integral.integrand())))
        for integral in integrals
    )
    return degree + compute_integrand_scaling_factor(integrals[0])[1]
