"""The results directory of a fit: fitted parameters (JSON), misfit history (CSV), a picture.

- ``fit.json``: each parameter's fitted value, approximate standard error, start, bounds and
  scaling; the final misfit, the number of iterations and evaluations, the optimiser's message;
- ``history.csv``: one row per evaluation of the misfit (iteration, misfit, objective,
  parameter values, gradient);
- ``observed_vs_fitted.png``: at the last observed time, each observed species as observed
  and as fitted, side by side.

JSON and CSV are written by rank 0; the picture collectively (its data are gathered).
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dolfinx.fem

from mpi4py import MPI

from fem_chemotaxis.fitting.optimiser import Evaluation
from fem_chemotaxis.fitting.parameters import FittedParameter
from fem_chemotaxis.io.atomic import write_json_atomic, write_text_atomic

__all__ = ["FitResult", "write_results"]


@dataclass
class FitResult:
    """What a fit found: parameter values and standard errors by name, the history, the message, the iterations."""

    parameters: dict[str, float]
    standard_errors: dict[str, float]
    misfit: float
    history: list[Evaluation]
    message: str
    fitted: list[FittedParameter]
    iterations: int

    def to_json(self) -> dict[str, Any]:
        """The content of fit.json."""
        return {
            "parameters": {
                p.name: {
                    "value": self.parameters[p.name],
                    "standard_error": _finite_or_none(self.standard_errors.get(p.name)),
                    "start": p.start,
                    "bounds": [p.lower, p.upper],
                    "log": p.log,
                }
                for p in self.fitted
            },
            "misfit": self.misfit,
            "iterations": self.iterations,
            "evaluations": len(self.history),
            "message": self.message,
        }


def _finite_or_none(value: float | None) -> float | None:
    """A standard error for JSON: null where the observations do not determine the parameter (inf)."""
    return value if value is not None and math.isfinite(value) else None


def _history_csv(history: Sequence[Evaluation]) -> str:
    names = list(history[0].parameters) if history else []
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["evaluation", "iteration", "misfit", "objective", *names, *(f"dM/d{n}" for n in names)])
    for k, e in enumerate(history):
        writer.writerow(
            [
                k,
                e.iteration,
                repr(e.misfit),
                repr(e.objective),
                *map(repr, e.parameters.values()),
                *map(repr, e.gradient),
            ]
        )
    return buffer.getvalue()


def write_results(
    directory: Path,
    result: FitResult,
    observed: Sequence[dolfinx.fem.Function],
    fitted: Sequence[dolfinx.fem.Function],
    time: float,
    comm: MPI.Comm,
) -> None:
    """Write fit.json, history.csv and observed_vs_fitted.png into `directory` (created; collective)."""
    from fem_chemotaxis.viz import save_species_png

    if comm.rank == 0:
        directory.mkdir(parents=True, exist_ok=True)
        write_json_atomic(directory / "fit.json", result.to_json())
        write_text_atomic(directory / "history.csv", _history_csv(result.history))
    comm.barrier()
    if observed:
        save_species_png(
            [*observed, *fitted],
            directory / "observed_vs_fitted.png",
            time,
            "observations and the fitted model (one colour scale)",
            shared_range=True,
        )
