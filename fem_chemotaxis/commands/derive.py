"""``fem-chemotaxis derive SPEC.toml``: macroscopic coefficients of run-and-tumble cells, and their model."""

from __future__ import annotations

import argparse
from pathlib import Path

from mpi4py import MPI

from fem_chemotaxis.commands.arguments import add_command

__all__ = ["main", "register"]


#: The line of ``fem-chemotaxis --help`` and the start of ``fem-chemotaxis derive --help``.
HELP = "derive macroscopic coefficients from a run-and-tumble SPEC and write the model's run config"
DESCRIPTION = (
    "Compute the diffusion and taxis coefficients of the cells described in SPEC.toml "
    "(velocity-jump process, with persistence and level-dependent taxis; one population: see "
    "fem_chemotaxis/kinetics/spec.py and demos/derive_run_and_tumble.toml; several populations and "
    "fields: fem_chemotaxis/kinetics/mixture_spec.py and demos/derive_mixture.toml) by quadrature and "
    "in closed form, print them with their units, and write a run config of the macroscopic model for "
    "`fem-chemotaxis run`. Exit code 0: done; 2: bad input."
)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `derive` parser."""
    parser = add_command(subparsers, "derive", main, HELP, DESCRIPTION)
    parser.add_argument("spec", help="the SPEC.toml of the cells")
    parser.add_argument("--output", "-o", help="run config to write (default: results/<SPEC name>.toml)")
    parser.add_argument("--force", action="store_true", help="replace an existing run config")
    parser.add_argument("--print-only", action="store_true", help="print the coefficients, write nothing")


def main(args: argparse.Namespace, comm: MPI.Comm) -> int:
    """Derive, print on rank 0, and write the run config from rank 0."""
    from fem_chemotaxis.kinetics import derive, load_spec, write_run_config

    derivation = derive(load_spec(args.spec))
    if comm.rank == 0:
        print(derivation.report(), flush=True)
    if args.print_only:
        return 0
    path = Path(args.output) if args.output else Path("results") / f"{Path(args.spec).stem}.toml"
    error = None
    if comm.rank == 0:
        try:
            write_run_config(derivation, path, force=args.force)
            print(f"\nwrote {path}; run it with: fem-chemotaxis run {path}", flush=True)
        except ValueError as err:
            error = str(err)
    error = comm.bcast(error, root=0)
    if error is not None:
        raise ValueError(error)
    return 0
