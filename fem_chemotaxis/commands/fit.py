"""``fem-chemotaxis fit FIT.toml``: estimate model parameters from observations (adjoint gradients)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mpi4py import MPI

from fem_chemotaxis.commands.arguments import add_command, add_verbosity

__all__ = ["main", "register"]

_EPILOG = """\
examples:
  fem-chemotaxis fit demos/fit_chi.toml                      # writes results/fit_chi/
  mpiexec -n 2 fem-chemotaxis fit fit.toml -o results/my-fit --force

FIT.toml names a run config (run = "..."), the parameters to estimate ([parameters.NAME]
with bounds, start, log), observations ([[observations]] from_run = an earlier run's
directory, images = grayscale pictures at times, or points = a CSV table t,x,y,value) and
the optimiser ([optimiser]); see
fem_chemotaxis/fitting/fit_config.py. One line per iteration shows the misfit and the
parameters. The results directory gets fit.json (values, standard errors), history.csv and
observed_vs_fitted.png.

exit codes: 0 done, 2 bad input (nothing written), 3 a forward run failed."""

HELP = "fit model parameters to observed densities (adjoint gradients, L-BFGS-B)"
DESCRIPTION = "Estimate model parameters from observations, as a FIT.toml describes."


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `fit` parser."""
    parser = add_command(subparsers, "fit", main, HELP, DESCRIPTION, _EPILOG)
    parser.add_argument("fit_file", metavar="FIT.toml", help="the fit description")
    parser.add_argument("--output", "-o", metavar="DIR", help="results directory (default: the file's output)")
    parser.add_argument("--force", action="store_true", help="replace an earlier fit in the results directory")
    add_verbosity(parser)


def main(args: argparse.Namespace, comm: MPI.Comm) -> int:
    """Validate, fit, write the results."""
    from fem_chemotaxis.commands import EXIT_BAD_INPUT, EXIT_RUN_FAILED
    from fem_chemotaxis.fitting import fit, load_fit_config
    from fem_chemotaxis.io.console import configure_logging
    from fem_chemotaxis.simulation import SolverFailure

    configure_logging(args.verbosity, comm)
    try:
        config = load_fit_config(args.fit_file, comm)
        output = Path(args.output) if args.output else config.output
        if output.exists() and not (output.is_dir() and not any(output.iterdir())) and not args.force:
            raise ValueError(f"--output {output} exists and is not empty; choose another, or --force to replace it")
        result = fit(config, comm, output=output)
    except ValueError as err:
        if comm.rank == 0:
            print(f"fem-chemotaxis: error: {err}", file=sys.stderr, flush=True)
        return EXIT_BAD_INPUT
    except SolverFailure as err:
        if comm.rank == 0:
            print(f"fem-chemotaxis: error: {err}", file=sys.stderr, flush=True)
        return EXIT_RUN_FAILED
    if comm.rank == 0:
        values = ", ".join(f"{k} = {v:.6g} +- {result.standard_errors[k]:.2g}" for k, v in result.parameters.items())
        print(f"fitted {values} (misfit {result.misfit:.4e}, {result.iterations} iterations) -> {output}", flush=True)
    return 0
