"""The linearisation of one time step's residual F(u_{n+1}, u_n; p) = 0, as compiled forms.

What the discrete adjoint of a one-step (theta method) run needs at step n, with the adjoint
state lambda_n (one Function per species):

- the transposed Jacobian (dF/du_{n+1})^T, block (i, j) = adjoint(dF_j/du_i);
- (dF/du_n)^T lambda, the derivative of the functional <lambda, F> with respect to u_n;
- <lambda, dF/dp> for each parameter Constant p.

UFL does not differentiate with respect to a Constant: the Constant is replaced by a
``ufl.variable`` and every integrand differentiated with ``ufl.diff`` (the forms stay
those the solver assembles, so the derivative is exact).
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Mapping, Sequence

import dolfinx.fem
import dolfinx.la
import numpy as np
import ufl

from fem_chemotaxis.terms.quadrature import pin_quadrature_degrees

__all__ = ["StepLinearisation", "assembled", "constant_derivative"]


def assembled(form: dolfinx.fem.Form | None) -> np.ndarray | None:
    """The values of a linear form (a copy, ghost contributions added to their owners); None for no form."""
    if form is None:
        return None
    vector = dolfinx.fem.assemble_vector(form)
    vector.scatter_reverse(dolfinx.la.InsertMode.add)
    return vector.array.copy()


def constant_derivative(form: ufl.Form, constant: dolfinx.fem.Constant) -> ufl.Form:
    """d form / d constant, as a form of the same arguments (empty if the form does not contain it)."""
    variable = ufl.variable(constant)
    replaced = ufl.replace(form, {constant: variable})
    return ufl.Form([i.reconstruct(integrand=ufl.diff(i.integrand(), variable)) for i in replaced.integrals()])


def _compiled(form: ufl.Form) -> dolfinx.fem.Form | None:
    """The compiled form, or None for a form that is identically zero."""
    form = ufl.algorithms.expand_derivatives(form)
    return None if form.empty() else dolfinx.fem.form(form)


class StepLinearisation:
    """The compiled derivatives of a step's residuals, for the adjoint of that step.

    Args:
        residuals: F_i, one rank-one form per species (as the step solver's).
        unknowns: u_{n+1}, the Functions solved for.
        old: u_n, the Functions of the accepted state the residuals see.
        parameters: The Constants to differentiate with respect to, by name.
        adjoints: lambda, one Function per species (in the species' spaces).
    """

    def __init__(
        self,
        residuals: Sequence[ufl.Form],
        unknowns: Sequence[dolfinx.fem.Function],
        old: Sequence[dolfinx.fem.Function],
        parameters: Mapping[str, dolfinx.fem.Constant],
        adjoints: Sequence[dolfinx.fem.Function],
    ):
        spaces = [u.function_space for u in unknowns]
        trials = [ufl.TrialFunction(V) for V in spaces]
        tests = [ufl.TestFunction(V) for V in spaces]
        residuals = [pin_quadrature_degrees(F) for F in residuals]  # the forward step's rules
        self.transposed_jacobian = [
            [_compiled(ufl.adjoint(ufl.derivative(residuals[j], unknowns[i], trials[i]))) for j in range(len(spaces))]
            for i in range(len(spaces))
        ]
        paired = functools.reduce(operator.add, (ufl.action(F, lam) for F, lam in zip(residuals, adjoints)))
        self.old_transposed_action = [_compiled(ufl.derivative(paired, u, v)) for u, v in zip(old, tests)]
        self.parameter_pairings = {name: _compiled(constant_derivative(paired, c)) for name, c in parameters.items()}
