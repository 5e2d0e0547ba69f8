"""The spatial part G(u, t) of a model's semi-discrete system ``M du/dt + G(u, t) = 0``.

Each species' residual is the sum of the terms its equation has; the time derivative is
left to :mod:`fem_chemotaxis.time`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import ufl

from fem_chemotaxis.expressions import Expression
from fem_chemotaxis.expressions.ufl_backend import UFL_FUNCTIONS
from fem_chemotaxis.model.boundary import BoundaryCondition
from fem_chemotaxis.model.model import Diffusion, Model
from fem_chemotaxis.terms.advection import VELOCITY, Advection
from fem_chemotaxis.terms.boundary_flux import boundary_flux_residual
from fem_chemotaxis.terms.diffusion import diffusion_residual
from fem_chemotaxis.terms.reaction import reaction_residual
from fem_chemotaxis.terms.taxis import limited_gradient, taxis_residual

__all__ = ["Source", "SpatialOperator"]

#: A user source r(x, t) given in Python: spatial coordinate and time -> UFL expression.
Source = Callable[[ufl.SpatialCoordinate, ufl.core.expr.Expr], ufl.core.expr.Expr]


class SpatialOperator:
    """Builds G_i(u, t; v_i) for every species of a model.

    Args:
        model: The model description.
        parameters: UFL values (usually ``fem.Constant``) for the model's parameters.
        x: The mesh's spatial coordinate.
        sources: Extra Python-defined sources per species, added to the reactions.
        boundary_fluxes: Flux/Robin conditions, each with the measure of its boundaries.
        integrals: Values of ``integral(u)`` per species (non-local terms).
        advection: Species carried by a fluid; their states then hold the velocity under
            :data:`~fem_chemotaxis.terms.advection.VELOCITY`.
    """

    def __init__(
        self,
        model: Model,
        parameters: Mapping[str, ufl.core.expr.Expr],
        x: ufl.SpatialCoordinate,
        sources: Mapping[str, Source] | None = None,
        boundary_fluxes: Sequence[tuple[BoundaryCondition, ufl.Measure]] = (),
        integrals: Mapping[str, ufl.core.expr.Expr] | None = None,
        advection: Advection | None = None,
    ):
        self.model = model
        self.parameters = parameters
        self.x = x
        self.sources = dict(sources or {})
        self.boundary_fluxes = list(boundary_fluxes)
        self.functions = {**UFL_FUNCTIONS, "integral": (integrals or {}).__getitem__}
        self.advection = advection

    def symbols(self, states: Mapping[str, ufl.core.expr.Expr], t: ufl.core.expr.Expr) -> dict:
        """Values of every name an expression may use, for the given state and time."""
        coords = {name: self.x[i] for i, name in enumerate("xyz"[: self.x.ufl_shape[0]])}
        return {**self.parameters, **coords, **states, "t": t}

    def evaluator(
        self, states: Mapping[str, ufl.core.expr.Expr], t: ufl.core.expr.Expr
    ) -> Callable[[Expression], ufl.core.expr.Expr]:
        """Evaluates the model's expressions to UFL for the given states and time."""
        symbols = self.symbols(states, t)
        return lambda expr: expr.evaluate(symbols, self.functions)

    def residuals(
        self,
        states: Mapping[str, ufl.core.expr.Expr],
        tests: Mapping[str, ufl.Argument],
        t: ufl.core.expr.Expr,
    ) -> dict[str, ufl.Form | None]:
        """G_i for each species name (None where the equation has no spatial terms)."""
        value = self.evaluator(states, t)

        out: dict[str, ufl.Form | None] = {}
        for sp in self.model.species:
            u, v = states[sp.name], tests[sp.name]
            forms = []
            if sp.diffusion is not None and sp.fractional_order is None:  # fractional: solvers/fractional_newton.py
                forms.append(diffusion_residual(u, v, self._coefficient(sp.diffusion, value)))
            for tx in sp.taxis:
                forms.append(
                    taxis_residual(value(tx.sensitivity), states[tx.towards], v, tx.limiter, tx.limiter_threshold)
                )
            if self.advection is not None and sp.name in self.advection.species:
                forms.append(self.advection.residual(u, states[VELOCITY], v))
            if sp.reaction is not None:
                forms.append(reaction_residual(value(sp.reaction), v))
            if sp.name in self.sources:
                forms.append(reaction_residual(self.sources[sp.name](self.x, t), v))
            for bc, ds in self.boundary_fluxes:
                if bc.species == sp.name:
                    inward = value(bc.value) if bc.kind == "flux" else value(bc.rate) * (value(bc.value) - u)  # type: ignore[arg-type]
                    forms.append(boundary_flux_residual(inward, v, ds))
            out[sp.name] = sum(forms[1:], forms[0]) if forms else None
        return out

    def flux(self, name: str, states: Mapping[str, ufl.core.expr.Expr], t: ufl.core.expr.Expr) -> ufl.core.expr.Expr:
        """The flux J of species `name` in ``d_t u + div J = f``, as a UFL vector.

        ``J = -D grad u + sum_j S_j Q(grad w_j)``, plus ``u w`` when a fluid carries the species
        (`states` then holds the velocity). Fractional diffusion is not local and not included.
        """
        value = self.evaluator(states, t)

        sp = next(s for s in self.model.species if s.name == name)
        u = states[name]
        flux = ufl.zero(self.x.ufl_shape)
        if sp.diffusion is not None and sp.fractional_order is None:
            flux = flux - self._coefficient(sp.diffusion, value) * ufl.grad(u)
        for tx in sp.taxis:
            flux = flux + value(tx.sensitivity) * limited_gradient(
                ufl.grad(states[tx.towards]), tx.limiter, tx.limiter_threshold
            )
        if self.advection is not None and name in self.advection.species:
            flux = flux + u * states[VELOCITY]
        return flux

    @staticmethod
    def _coefficient(diffusion: Diffusion, value: Callable[[Expression], ufl.core.expr.Expr]) -> ufl.core.expr.Expr:
        """A scalar coefficient, or the matrix of an anisotropic tensor."""
        if isinstance(diffusion, Expression):
            return value(diffusion)
        return ufl.as_matrix([[value(e) for e in row] for row in diffusion])
