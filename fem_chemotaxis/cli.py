"""The ``fem-chemotaxis`` command: a thin layer over the library.

    fem-chemotaxis run CONFIG.toml [--output DIR] [--force]
    fem-chemotaxis list-models
    fem-chemotaxis show-model NAME

Under ``mpiexec -n N`` every rank runs the same command; only rank 0 prints.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from mpi4py import MPI

__all__ = ["main"]

EXIT_BAD_INPUT = 2
EXIT_RUN_FAILED = 3


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fem-chemotaxis",
        description="Finite-element simulation of chemotaxis/haptotaxis-reaction systems.",
        epilog="Example: mpiexec -n 2 fem-chemotaxis run demos/keller_segel.toml --output results/ks",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run = sub.add_parser("run", help="run a simulation from a TOML config (exit 0 done or blow-up stop, 2 bad input, 3 solver failure)",
                         description="Run a simulation; writes summary.json, <species>.bp (ParaView) and PNGs.")
    run.add_argument("config", help="TOML run configuration (see README: 'Writing a config')")
    run.add_argument("--output", "-o", help="run directory (default: [output] dir, else results/<config name>)")
    run.add_argument("--force", action="store_true", help="replace an existing run directory")
    sub.add_parser("list-models", help="list the built-in models")
    show = sub.add_parser("show-model", help="print a built-in model's equations and default parameters")
    show.add_argument("name")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    args = _parser().parse_args(argv)
    comm = MPI.COMM_WORLD

    def say(text: str, stream=sys.stdout) -> None:
        if comm.rank == 0:
            print(text, file=stream, flush=True)

    try:
        if args.command == "list-models":
            from fem_chemotaxis.library import BUILTIN_MODELS

            for name, build in BUILTIN_MODELS.items():
                say(f"{name:28s} {build().description}")
            return 0
        if args.command == "show-model":
            from fem_chemotaxis.library import builtin_model

            model = builtin_model(args.name)
            say(f"{model.name}: {model.description}\n")
            for sp, eq in zip(model.species, model.equations()):
                say(f"  {eq}" + (f"    ({sp.description})" if sp.description else ""))
            say("\nparameters: " + ", ".join(f"{k} = {v:g}" for k, v in model.parameters.items()))
            return 0

        from fem_chemotaxis.config.run_config import load_config
        from fem_chemotaxis.io.run_directory import RunDirectoryError
        from fem_chemotaxis.runner import run

        try:
            config = load_config(args.config)
            summary = run(config, output_dir=args.output, force=args.force, comm=comm)
        except (ValueError, RunDirectoryError) as err:
            say(f"fem-chemotaxis: error: {err}", sys.stderr)
            return EXIT_BAD_INPUT
        return EXIT_RUN_FAILED if summary["status"] == "solver-failure" else 0
    except ValueError as err:
        say(f"fem-chemotaxis: error: {err}", sys.stderr)
        return EXIT_BAD_INPUT


if __name__ == "__main__":
    sys.exit(main())
