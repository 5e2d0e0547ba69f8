"""The ``fem-chemotaxis`` command: a thin layer over the library (subcommands in ``commands/``).

Under ``mpiexec -n N`` every rank runs the same command; only rank 0 prints.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from mpi4py import MPI

from fem_chemotaxis.commands import COMMANDS, EXIT_BAD_INPUT
from fem_chemotaxis.io.teardown import arm_exit_watchdog

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fem-chemotaxis",
        description="Finite-element simulation of chemotaxis/haptotaxis-reaction systems (DOLFINx).",
        epilog="Example: mpiexec -n 2 fem-chemotaxis run demos/keller_segel.toml --output results/ks",
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    args = _parser().parse_args(argv)
    comm = MPI.COMM_WORLD
    try:
        code = args.command_main(args, comm)
    except ValueError as err:
        if comm.rank == 0:
            print(f"fem-chemotaxis: error: {err}", file=sys.stderr, flush=True)
        code = EXIT_BAD_INPUT
    arm_exit_watchdog(comm, code)  # a hang in MPI/PETSc finalisation ends with a message
    return code


if __name__ == "__main__":
    sys.exit(main())
