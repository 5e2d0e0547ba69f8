"""Bounded minimisation of the misfit (scipy's L-BFGS-B) with adjoint gradients, one line per iteration.

The objective in the scaled variables x (:class:`~fem_chemotaxis.fitting.parameters.Scaling`)
is ``M(p(x)) + tikhonov/2 * |x - x_start|^2``. Every rank runs the same optimiser on the same
(allreduced) values, so the iterates agree across MPI ranks.

A forward run that diverges at trial parameters (a blow-up for too strong a chemotaxis, say)
is a rejected trial, not the end of the fit: the objective there is reported as
``REJECTED_FACTOR`` times the best value so far, with a gradient pointing back towards the best
parameters, so that the line search backs off. Only a divergence at the start ends the fit.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.optimize

from fem_chemotaxis.checks import number, only_keys, positive
from fem_chemotaxis.fitting.parameters import Scaling
from fem_chemotaxis.fitting.reduced_misfit import ReducedMisfit
from fem_chemotaxis.io.console import LOGGER_NAME
from fem_chemotaxis.simulation import SolverFailure

__all__ = ["Evaluation", "OptimiserSettings", "minimise"]

_log = logging.getLogger(LOGGER_NAME)

#: The objective reported for trial parameters whose forward run diverged, over the best so far.
REJECTED_FACTOR = 10.0


@dataclass(frozen=True)
class OptimiserSettings:
    """``[optimiser]``: iteration limit, tolerances, Tikhonov weight (on the scaled variables)."""

    max_iterations: int = 50
    gtol: float = 1e-6
    ftol: float = 1e-12
    tikhonov: float = 0.0

    def __post_init__(self) -> None:
        if isinstance(self.max_iterations, bool) or not isinstance(self.max_iterations, int) or self.max_iterations < 1:
            raise ValueError(f"[optimiser] max_iterations must be a positive integer, got {self.max_iterations!r}")
        positive(self.gtol, "[optimiser] gtol")
        positive(self.ftol, "[optimiser] ftol")
        if number(self.tikhonov, "[optimiser] tikhonov") < 0:
            raise ValueError(f"[optimiser] tikhonov must be >= 0, got {self.tikhonov!r}")

    @classmethod
    def from_table(cls, table: Any) -> OptimiserSettings:
        """From the ``[optimiser]`` table (unknown keys are an error)."""
        only_keys(table, ("max_iterations", "gtol", "ftol", "tikhonov"), "optimiser")
        return cls(**table)


@dataclass
class Evaluation:
    """One evaluation of the objective: parameters, misfit, objective, gradient in p."""

    iteration: int
    parameters: dict[str, float]
    misfit: float
    objective: float
    gradient: list[float] = field(default_factory=list)


def minimise(
    reduced: ReducedMisfit,
    scaling: Scaling,
    settings: OptimiserSettings,
    on_iteration: Callable[[Evaluation], None] | None = None,
) -> tuple[np.ndarray, list[Evaluation], str, int]:
    """Fit: the parameters found, the history of evaluations, scipy's message, the iterations (collective).

    An evaluation's ``iteration`` is the number of iterations completed before it (0: the start).
    """
    x_start = scaling.start()
    history: list[Evaluation] = []
    iteration = [0]
    scale = [0.0]  # the objective is divided by its value at the start (values of order one)

    best: list[tuple[float, np.ndarray]] = []  # (scaled objective, x) of the best evaluation

    def objective(x: np.ndarray) -> tuple[float, np.ndarray]:
        p = scaling.to_parameters(x)
        try:
            misfit, gradient = reduced.value_and_gradient(p)
        except SolverFailure as failure:
            if not best:
                raise
            _log.warning(f"fem-chemotaxis fit: {failure}; trial rejected, the line search backs off")
            value, x_best = best[0]
            away = x - x_best
            return REJECTED_FACTOR * value, REJECTED_FACTOR * value * away / max(float(away @ away), 1e-300)
        regular = 0.5 * settings.tikhonov * float(np.sum((x - x_start) ** 2))
        value = misfit + regular
        scale[0] = scale[0] or max(abs(value), 1e-300)
        gradient_x = gradient * scaling.derivative(x) + settings.tikhonov * (x - x_start)
        history.append(Evaluation(iteration[0], dict(scaling.named(p)), misfit, value, gradient.tolist()))
        if not best or value / scale[0] < best[0][0]:
            best[:] = [(value / scale[0], x.copy())]
        return value / scale[0], gradient_x / scale[0]

    def callback(x: np.ndarray) -> None:
        iteration[0] += 1
        last = history[-1]
        if on_iteration is not None:
            on_iteration(Evaluation(iteration[0], last.parameters, last.misfit, last.objective, last.gradient))

    result = scipy.optimize.minimize(
        objective,
        x_start,
        jac=True,
        method="L-BFGS-B",
        bounds=scaling.bounds(),
        callback=callback,
        options={"maxiter": settings.max_iterations, "gtol": settings.gtol, "ftol": settings.ftol},
    )
    return scaling.to_parameters(result.x), history, str(result.message), iteration[0]


def progress_line(evaluation: Evaluation) -> str:
    """``fit iteration 3: misfit 1.234e-04  chi = 2.41  d = 0.203``."""
    values = "  ".join(f"{k} = {v:.6g}" for k, v in evaluation.parameters.items())
    return f"fit iteration {evaluation.iteration}: misfit {evaluation.misfit:.6e}  {values}"


def log_progress(evaluation: Evaluation) -> None:
    """Log the progress line (rank 0 prints, as configured by io/console)."""
    _log.info(progress_line(evaluation))
