"""A whole fit: observations loaded, the misfit minimised, standard errors, results written.

:func:`fit` does what ``fem-chemotaxis fit FIT.toml`` does; :func:`fit_simulation` fits a
simulation built in Python to observations given as Functions.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path

import dolfinx.fem
import numpy as np

from mpi4py import MPI

from fem_chemotaxis.fitting.fit_config import FitConfig, load_fit_config
from fem_chemotaxis.fitting.misfit import FieldObservation
from fem_chemotaxis.fitting.optimiser import Evaluation, OptimiserSettings, log_progress, minimise
from fem_chemotaxis.fitting.parameters import FittedParameter, Scaling
from fem_chemotaxis.fitting.point_samples import PointObservation
from fem_chemotaxis.fitting.reduced_misfit import ReducedMisfit
from fem_chemotaxis.fitting.results import FitResult, write_results
from fem_chemotaxis.fitting.standard_errors import standard_errors
from fem_chemotaxis.io.console import LOGGER_NAME
from fem_chemotaxis.simulation import Simulation

__all__ = ["fit", "fit_simulation"]

_log = logging.getLogger(LOGGER_NAME)


def fit_simulation(
    sim: Simulation,
    parameters: Sequence[FittedParameter],
    observations: Sequence[FieldObservation | PointObservation],
    optimiser: OptimiserSettings | None = None,
    *,
    output: str | Path | None = None,
    on_iteration: Callable[[Evaluation], None] | None = log_progress,
    store_every: int = 1,
) -> FitResult:
    """Fit `parameters` of `sim` (at its initial state) to `observations` (collective).

    Args:
        sim: The simulation; fixed steps of backward Euler or Crank-Nicolson.
        parameters: What to estimate (start values, bounds, scaling).
        observations: Observed densities at times a whole number of steps from the start.
        optimiser: Iteration limit, tolerances, Tikhonov weight.
        output: A results directory to write (see :mod:`~fem_chemotaxis.fitting.results`), or None.
        on_iteration: Called with the latest evaluation after every iteration (default: a log line).
        store_every: Keep every K-th forward state for the adjoint (memory, see reduced_misfit.py).

    Returns:
        The fitted values with standard errors, the history and the optimiser's message; `sim`
        is left at the state of the last observed time with the fitted parameters.
    """
    settings = optimiser or OptimiserSettings()
    reduced = ReducedMisfit(sim, [p.name for p in parameters], observations, store_every)
    scaling = Scaling(parameters)
    values, history, message, iterations = minimise(reduced, scaling, settings, on_iteration)
    misfit = reduced(values)
    errors = standard_errors(reduced)
    result = FitResult(
        dict(scaling.named(values)),
        {p.name: float(e) for p, e in zip(parameters, errors)},
        misfit,
        history,
        message,
        list(parameters),
        iterations,
    )
    last = max(observations, key=lambda o: o.time).time
    reduced.states_at([reduced.step_of(last)])  # sim now holds the fitted state at the last observed time
    if output is not None:
        observed, fitted = _last_pictures(sim, observations, last)
        write_results(Path(output), result, observed, fitted, last, sim.comm)
    return result


def _last_pictures(
    sim: Simulation, observations: Sequence[FieldObservation | PointObservation], time: float
) -> tuple[list[dolfinx.fem.Function], list[dolfinx.fem.Function]]:
    """Observed and fitted densities of the species observed at `time` (sim at that state)."""
    observed: list[dolfinx.fem.Function] = []
    fitted: list[dolfinx.fem.Function] = []
    shown_species: set[str] = set()
    for obs in observations:
        if isinstance(obs, FieldObservation) and obs.time == time and obs.species not in shown_species:
            shown_species.add(obs.species)
            shown = dolfinx.fem.Function(obs.values.function_space, name=f"observed {obs.species}")
            shown.x.array[:] = obs.values.x.array
            observed.append(shown)
            model = dolfinx.fem.Function(obs.values.function_space, name=f"fitted {obs.species}")
            unknown = sim.unknowns[obs.species].x.array
            model.x.array[:] = np.exp(unknown) if obs.species in sim.log_species else unknown
            fitted.append(model)
    return observed, fitted


def fit(
    source: str | Path | FitConfig,
    comm: MPI.Comm = MPI.COMM_WORLD,
    *,
    output: str | Path | None = None,
    on_iteration: Callable[[Evaluation], None] | None = log_progress,
) -> FitResult:
    """The fit a FIT.toml describes (what ``fem-chemotaxis fit`` runs), with its results directory.

    Args:
        source: The fit file, or its validated config (:func:`load_fit_config`).
        comm: Communicator to run on.
        output: Results directory instead of the file's ``output``.
        on_iteration: Called after every iteration (default: a log line).

    Raises:
        ConfigError: for a mistake in the file (nothing is written).
    """
    config = source if isinstance(source, FitConfig) else load_fit_config(source, comm)
    if config.scheme_note:
        _log.info(config.scheme_note)
    sim = Simulation.from_config(config.run, comm)
    observations = [obs for item in config.observations for obs in item.load(sim.spaces, comm)]
    return fit_simulation(
        sim,
        config.parameters,
        observations,
        config.optimiser,
        output=output or config.output,
        on_iteration=on_iteration,
        store_every=config.store_every,
    )
