"""Split residual and Jacobian forms into the parts that are constant during a run and the rest.

A residual G_i(u; v_i) is a sum of integrals, each integrand a sum of terms. A term whose
only changing inputs are the unknowns, and which is affine in them, is

    T(u) = sum_j dT/du_j [u_j] + T(0)

with bilinear forms dT/du_j that never change: they are assembled once into a matrix K
(then T(u) costs a matrix-vector product) and T(0) once into a vector. Everything else
(terms with non-linear dependence, or with inputs that change: time, the non-local
integrals, velocities, ...) stays a form assembled when evaluated. "Fixed" inputs are given
by the caller (the model's parameters); anything not listed counts as changing.
:func:`split_step_terms` then picks out of the changing part the terms that change only from
one time step to the next (no unknown in them, only old time levels and t_n as changing inputs).

The same test sorts the blocks of a Jacobian form into a constant and a changing part.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import ufl
from ufl.algorithms import expand_derivatives
from ufl.algorithms.analysis import extract_type

__all__ = ["ResidualPartition", "changing_inputs", "partition_bilinear", "partition_residuals", "split_step_terms"]

Form = ufl.Form
#: Whether a form input (Coefficient or Constant) stays the same for the whole run.
IsFixed = Callable[[ufl.core.terminal.FormArgument], bool]


@dataclass(frozen=True)
class ResidualPartition:
    """G_i(u) = sum_j linear[i][j] u_j + constant[i] + changing[i] (None: no such part)."""

    linear: list[list[Form | None]]
    constant: list[Form | None]
    changing: list[Form | None]


def changing_inputs(expr: ufl.core.expr.Expr | Form, is_fixed: IsFixed) -> set:
    """The Coefficients and Constants of `expr` that are not fixed."""
    inputs = set(extract_type(expr, ufl.Coefficient)) | set(extract_type(expr, ufl.Constant))
    return {f for f in inputs if not is_fixed(f)}


def partition_residuals(
    residuals: Sequence[Form | None],
    unknowns: Sequence[ufl.Coefficient],
    trials: Sequence[ufl.Argument],
    is_fixed: IsFixed,
) -> ResidualPartition:
    """Split every G_i into its constant linear, constant and changing parts (module doc)."""
    n = len(unknowns)
    linear: list[list[list[ufl.Integral]]] = [[[] for _ in range(n)] for _ in range(n)]
    constant: list[list[ufl.Integral]] = [[] for _ in range(n)]
    changing: list[list[ufl.Integral]] = [[] for _ in range(n)]
    for i, form in enumerate(residuals):
        if form is None:
            continue
        for integral, term in _terms(form):
            derivatives = _affine_derivatives(term, unknowns, trials, is_fixed)
            if derivatives is None:
                changing[i].append(integral.reconstruct(integrand=term))
                continue
            for j, derivative in enumerate(derivatives):
                if derivative is not None:
                    linear[i][j].append(integral.reconstruct(integrand=derivative))
            at_zero = ufl.replace(term, {u: ufl.classes.Zero(u.ufl_shape) for u in unknowns})
            if not isinstance(at_zero, ufl.classes.Zero):
                constant[i].append(integral.reconstruct(integrand=at_zero))
    return ResidualPartition(
        [[_form(row_block) for row_block in row] for row in linear],
        [_form(c) for c in constant],
        [_form(c) for c in changing],
    )


def split_step_terms(
    forms: Sequence[Form | None],
    unknowns: Sequence[ufl.Coefficient],
    is_fixed: IsFixed,
    is_step_input: IsFixed,
) -> tuple[list[Form | None], list[Form | None]]:
    """Split each form into the terms that change only from one step to the next - no unknown
    in them, every input fixed or a step input (the old time levels, t_n) - and the rest:
    (per step, rest)."""
    per_step: list[Form | None] = []
    rest: list[Form | None] = []
    for form in forms:
        step_terms: list[ufl.Integral] = []
        other: list[ufl.Integral] = []
        for integral, term in _terms(form) if form is not None else ():
            inputs = changing_inputs(term, is_fixed)
            by_step = not inputs.intersection(unknowns) and all(is_step_input(f) for f in inputs)
            (step_terms if by_step else other).append(integral.reconstruct(integrand=term))
        per_step.append(_form(step_terms))
        rest.append(_form(other))
    return per_step, rest


def partition_bilinear(
    forms: Sequence[Sequence[Form | None]], is_fixed: IsFixed
) -> tuple[list[list[Form | None]], list[list[Form | None]]]:
    """Split each block into the terms with only fixed inputs and the others: (constant, changing)."""
    constant: list[list[Form | None]] = [[None for _ in row] for row in forms]
    changing: list[list[Form | None]] = [[None for _ in row] for row in forms]
    for i, row in enumerate(forms):
        for j, form in enumerate(row):
            if form is None:
                continue
            fixed: list[ufl.Integral] = []
            other: list[ufl.Integral] = []
            for integral, term in _terms(expand_derivatives(form)):
                (other if changing_inputs(term, is_fixed) else fixed).append(integral.reconstruct(integrand=term))
            constant[i][j], changing[i][j] = _form(fixed), _form(other)
    return constant, changing


def _affine_derivatives(
    term: ufl.core.expr.Expr, unknowns: Sequence[ufl.Coefficient], trials: Sequence[ufl.Argument], is_fixed: IsFixed
) -> list[ufl.core.expr.Expr | None] | None:
    """dT/du_j for every j if T is affine in the unknowns with fixed coefficients, else None."""
    if changing_inputs(term, is_fixed) - set(unknowns):
        return None
    derivatives: list[ufl.core.expr.Expr | None] = []
    for u, du in zip(unknowns, trials):
        derivative = expand_derivatives(ufl.derivative(term, u, du))
        if changing_inputs(derivative, is_fixed):
            return None
        derivatives.append(None if isinstance(derivative, ufl.classes.Zero) else derivative)
    return derivatives


def _terms(form: Form) -> Iterator[tuple[ufl.Integral, ufl.core.expr.Expr]]:
    """(integral, term) for every summand of every integrand."""
    for integral in form.integrals():
        for term in _summands(integral.integrand()):
            yield integral, term


def _summands(expr: ufl.core.expr.Expr) -> Iterator[ufl.core.expr.Expr]:
    """The terms of a sum, with scalar products and quotients of sums multiplied out
    (a time scheme's ``(u - u_old)/dt * v`` gives ``u/dt * v`` and ``-u_old/dt * v``)."""
    if isinstance(expr, ufl.classes.Sum):
        for operand in expr.ufl_operands:
            yield from _summands(operand)
    elif isinstance(expr, ufl.classes.Product):
        left, right = (list(_summands(f)) for f in expr.ufl_operands)
        if len(left) == len(right) == 1:
            yield expr
        else:
            yield from (a * b for a in left for b in right)
    elif isinstance(expr, ufl.classes.Division):
        numerator, denominator = expr.ufl_operands
        terms = list(_summands(numerator))
        yield from ([expr] if len(terms) == 1 else (a / denominator for a in terms))
    else:
        yield expr


def _form(integrals: list[ufl.Integral]) -> Form | None:
    return ufl.Form(integrals) if integrals else None
