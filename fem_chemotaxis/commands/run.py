"""``fem-chemotaxis run CONFIG.toml``: run a simulation."""

from __future__ import annotations

import argparse
import sys

from mpi4py import MPI

__all__ = ["main", "register"]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `run` parser."""
    parser = subparsers.add_parser(
        "run",
        help="run a simulation from a TOML config",
        description="Run a simulation; writes summary.json, <species>.bp (ParaView) and PNGs into the run "
        "directory. Exit code 0: completed (or stopped at the blow-up threshold); 2: bad input; "
        "3: the solver failed down to dt_min.",
    )
    parser.add_argument("config", help="TOML run configuration (see README: 'Writing a config')")
    parser.add_argument("--output", "-o", help="run directory (default: [output] dir, else results/<config name>)")
    parser.add_argument("--force", action="store_true", help="replace an existing run directory")
    parser.set_defaults(command_main=main)


def main(args: argparse.Namespace, comm: MPI.Comm) -> int:
    """Load, validate and run the config."""
    from fem_chemotaxis.commands import EXIT_BAD_INPUT, EXIT_RUN_FAILED
    from fem_chemotaxis.config.run_config import load_config
    from fem_chemotaxis.io.run_directory import RunDirectoryError
    from fem_chemotaxis.runner import run

    try:
        config = load_config(args.config)
        summary = run(config, output_dir=args.output, force=args.force, comm=comm)
    except (ValueError, RunDirectoryError) as err:
        if comm.rank == 0:
            print(f"fem-chemotaxis: error: {err}", file=sys.stderr, flush=True)
        return EXIT_BAD_INPUT
    return EXIT_RUN_FAILED if summary["status"] == "solver-failure" else 0
