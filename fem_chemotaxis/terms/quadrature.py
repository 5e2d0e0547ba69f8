"""A residual's quadrature degrees, fixed in its integrals so that its derivatives use them.

FFCx integrates each integral (the terms with the same measure, subdomain and metadata, summed)
with a rule exact for the polynomial degree UFL estimates for it. For a term that is not a
polynomial the estimate of its derivative runs far above the term's own: UFL writes
tanh'(x) as (2 cosh x / (1 + cosh 2x))^2, so the oxygen switch of the bioconvection model,
degree 4 in its residual, reaches 14 in its Jacobian, and every term of that Jacobian block
(mass, advection) is integrated with the degree-14 rule. :func:`pin_quadrature_degrees` writes
the residual's own degree into the metadata of its integrals: the residual keeps its rule, and
a Jacobian derived from it takes the same one - the exact derivative of the discrete residual
Newton and Rosenbrock steps solve with, at the residual's cost. A derived block whose
integrands are all polynomials takes UFL's own estimate again (:func:`jacobian_block`): that
rule is exact too, and can be smaller than the residual's (Keller-Segel's taxis block towards
the signal: 1 point a triangle, not the 3 its row's mass term needs).
"""

from __future__ import annotations

from collections import defaultdict

import ufl
import ufl.classes as nodes
from ufl.algorithms import expand_derivatives
from ufl.algorithms.apply_algebra_lowering import apply_algebra_lowering
from ufl.algorithms.apply_derivatives import apply_derivatives
from ufl.algorithms.apply_integral_scaling import compute_integrand_scaling_factor
from ufl.algorithms.estimate_degrees import estimate_total_polynomial_degree
from ufl.corealg.traversal import unique_pre_traversal

__all__ = ["jacobian_block", "jacobian_blocks", "pin_quadrature_degrees"]

QUADRATURE_DEGREE = "quadrature_degree"

#: Operators whose value is not a polynomial of a varying operand.
_NOT_POLYNOMIAL = (
    nodes.MathFunction,
    nodes.Atan2,
    nodes.BesselFunction,
    nodes.Conditional,
    nodes.Abs,
    nodes.MinValue,
    nodes.MaxValue,
)


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


def jacobian_block(residual: ufl.Form, u: ufl.Coefficient, du: ufl.Argument) -> ufl.Form | None:
    """d(residual)/du in direction du (None if zero). The residual's pinned degrees carry over;
    they are dropped where every derived integrand is a polynomial and UFL's estimate is below
    them (exact either way)."""
    block = expand_derivatives(ufl.derivative(residual, u, du))
    if not block.integrals():
        return None
    if not all(_is_polynomial(_lowered(integral)) for integral in block.integrals()):
        return block
    return ufl.Form(
        [
            integral.reconstruct(metadata={k: v for k, v in integral.metadata().items() if k != QUADRATURE_DEGREE})
            if _estimated_degree([integral]) <= integral.metadata().get(QUADRATURE_DEGREE, -1)
            else integral
            for integral in block.integrals()
        ]
    )


def jacobian_blocks(residuals: list[ufl.Form], unknowns: list[ufl.Coefficient]) -> list[list[ufl.Form]]:
    """The block Jacobian of pinned `residuals` (:func:`jacobian_block`); a zero block is the
    unexpanded derivative, as DOLFINx's ``derivative_block`` gives it."""
    trials = [ufl.TrialFunction(u.ufl_function_space()) for u in unknowns]
    return [[_block_or_zero(F, u, du) for u, du in zip(unknowns, trials)] for F in residuals]


def _block_or_zero(residual: ufl.Form, u: ufl.Coefficient, du: ufl.Argument) -> ufl.Form:
    block = jacobian_block(residual, u, du)
    return ufl.derivative(residual, u, du) if block is None else block


def _is_polynomial(expr: ufl.core.expr.Expr) -> bool:
    """Whether `expr` (lowered) is a polynomial in everything that varies over a cell."""
    for node in unique_pre_traversal(expr):
        if isinstance(node, _NOT_POLYNOMIAL) and _varies(node):
            return False
        if isinstance(node, nodes.Division) and _varies(node.ufl_operands[1]):
            return False
        if isinstance(node, nodes.Power) and _varies(node.ufl_operands[0]):
            exponent = node.ufl_operands[1]
            if not (isinstance(exponent, nodes.ScalarValue) and float(exponent) >= 0 and float(exponent).is_integer()):
                return False
    return True


def _varies(expr: ufl.core.expr.Expr) -> bool:
    return estimate_total_polynomial_degree(expr) > 0


def _lowered(integral: ufl.Integral) -> ufl.core.expr.Expr:
    """The integrand as FFCx's analysis estimates it: tensor algebra lowered, derivatives applied."""
    return apply_derivatives(apply_algebra_lowering(integral.integrand()))


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
    degree = max(estimate_total_polynomial_degree(_lowered(integral)) for integral in integrals)
    return degree + compute_integrand_scaling_factor(integrals[0])[1]
