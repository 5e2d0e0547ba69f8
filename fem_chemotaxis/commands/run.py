"""``fem-chemotaxis run``: run a simulation, continue one (``--restart``), or check a config (``--dry-run``)."""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mpi4py import MPI

from fem_chemotaxis.commands.arguments import add_command, add_verbosity, parse_duration

if TYPE_CHECKING:
    from fem_chemotaxis.config import ConfigDocument
    from fem_chemotaxis.config.run_config import RunConfig

__all__ = ["EXIT_CODES", "describe", "exit_code", "main", "register"]

#: Exit codes of a run by status (interrupted runs by reason); bad input is 2.
EXIT_CODES = {
    "completed": 0,
    "blow-up": 0,
    "solver-failure": 3,
    "mesh-quality": 3,
    "error": 3,
    "time-limit": 124,
    "SIGINT": 130,
    "SIGTERM": 143,
    "SIGUSR1": 138,
}

_EPILOG = """\
examples:
  fem-chemotaxis run demos/keller_segel.toml                 # writes results/keller_segel/
  mpiexec -n 4 fem-chemotaxis run demos/keller_segel.toml -o results/ks --force
  fem-chemotaxis run demos/keller_segel.toml --dry-run       # check it, print the equations
  fem-chemotaxis run demos/keller_segel.toml --time-limit 2h # stop cleanly after 2 hours
  mpiexec -n 8 fem-chemotaxis run --restart results/ks       # continue, on any number of ranks

The run directory gets summary.json, timeseries.csv, <species>.bp (ParaView) and checkpoint.bp,
updated at every output time, and PNG pictures at the end. Ctrl-C, SIGTERM or SIGUSR1 stop the run
after the current step with a checkpoint (a second signal stops it at once); --restart
continues it. Under Open MPI's mpiexec, which kills its ranks on SIGINT/SIGTERM, send SIGUSR1
to mpiexec (it forwards it), or use --time-limit.

exit codes: 0 completed (or stopped at the blow-up threshold), 2 bad input, 3 solver failure
(or a moving mesh too distorted to go on), 124 time limit, 130 SIGINT, 138 SIGUSR1, 143 SIGTERM."""


#: The line of ``fem-chemotaxis --help`` and the start of ``fem-chemotaxis run --help``.
HELP = "run a simulation from a TOML config, or continue one with --restart"
DESCRIPTION = "Run a simulation described by a TOML config (see README: 'Writing a config')."


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `run` parser."""
    parser = add_command(subparsers, "run", main, HELP, DESCRIPTION, _EPILOG)
    parser.add_argument("config", nargs="?", help="TOML run configuration")
    parser.add_argument(
        "--output", "-o", metavar="DIR", help="run directory (default: [output] dir, else results/<config name>)"
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="replace an earlier run in the run directory (a directory without a summary.json is never replaced)",
    )
    parser.add_argument(
        "--restart",
        metavar="RUN_DIR",
        help="continue the run in RUN_DIR from its last checkpoint, with its stored config",
    )
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="validate the config and print the equations and the resolved config; builds no mesh and writes nothing",
    )
    parser.add_argument(
        "--time-limit",
        type=parse_duration,
        metavar="DURATION",
        help="wall-clock limit (3600, 90m, 2h, 1:30:00): then stop like on SIGTERM",
    )
    add_verbosity(parser)


def exit_code(summary: dict[str, Any]) -> int:
    """The process exit code for a run's summary (see EXIT_CODES)."""
    if summary["status"] == "interrupted":
        return EXIT_CODES[summary["interruption"]["reason"]]
    return EXIT_CODES.get(summary["status"], 0)


def main(args: argparse.Namespace, comm: MPI.Comm) -> int:
    """Run, continue or check, as the arguments say."""
    from fem_chemotaxis.commands import EXIT_BAD_INPUT
    from fem_chemotaxis.config import ConfigDocument
    from fem_chemotaxis.io import RunDirectoryError
    from fem_chemotaxis.io.checkpoint import CheckpointError
    from fem_chemotaxis.io.console import configure_logging
    from fem_chemotaxis.io.failures import is_disk_full
    from fem_chemotaxis.io.teardown import synchronised_garbage_collection
    from fem_chemotaxis.runner import restart, run

    configure_logging(args.verbosity, comm)
    try:
        if (args.config is None) == (args.restart is None):
            raise ValueError("give a CONFIG.toml to run, or --restart RUN_DIR to continue a run (not both)")
        if args.restart is not None and (args.output or args.force):
            raise ValueError("--restart continues in RUN_DIR itself; --output and --force do not apply")
        if args.dry_run:
            return _dry_run(args, comm)
        with synchronised_garbage_collection(comm):  # no rank-dependent collective destructors
            if args.restart is not None:
                summary = restart(args.restart, comm, time_limit=args.time_limit)
            else:
                summary = run(
                    ConfigDocument.read(args.config), args.output, args.force, comm, time_limit=args.time_limit
                )
    except (ValueError, RunDirectoryError, CheckpointError) as err:
        if comm.rank == 0:
            print(f"fem-chemotaxis: error: {err}", file=sys.stderr, flush=True)
        return EXIT_BAD_INPUT
    except Exception as err:
        if not (isinstance(err, OSError) or is_disk_full(err)):
            raise
        return _stop_after_io_error(err, comm)
    return exit_code(summary)


def _stop_after_io_error(err: Exception, comm: MPI.Comm) -> int:
    """A full disk or another I/O error: one line, status "error" in summary.json (written by
    the runner), exit code 3.  Under MPI the other ranks may be waiting in a collective call:
    end them all."""
    from fem_chemotaxis.commands import EXIT_RUN_FAILED
    from fem_chemotaxis.io.failures import one_line

    print(
        f"fem-chemotaxis: error: {one_line(err)} (the run stopped; its completed checkpoints are intact)",
        file=sys.stderr,
        flush=True,
    )
    if comm.size > 1:
        comm.Abort(EXIT_RUN_FAILED)
    return EXIT_RUN_FAILED


def _dry_run(args: argparse.Namespace, comm: MPI.Comm) -> int:
    """Validate and describe the run without building a mesh or writing anything."""
    from fem_chemotaxis.config import ConfigDocument
    from fem_chemotaxis.io.checkpoint import read_metadata
    from fem_chemotaxis.io.run_directory import SUMMARY_NAME

    if args.restart is not None:
        meta = read_metadata(args.restart, comm)
        document = ConfigDocument.from_json(meta["config"])
        out = Path(args.restart)
        target = f"continue in {out} from t = {meta['times'][-1]:.6g}"
    else:
        document = ConfigDocument.read(args.config)
        meta = None
    config = document.parse()
    if meta is None:
        out = Path(args.output or config.output.dir)
        if not out.exists() or (out.is_dir() and not any(out.iterdir())):
            target = f"write {out}"
        elif (out / SUMMARY_NAME).is_file():
            target = f"write {out}, which holds a run: " + ("replaced (--force)" if args.force else "needs --force")
        else:
            target = f"write {out}, which exists and is not a run directory: choose another --output"
    if comm.rank == 0:
        print(describe(document, config) + f"\nrun directory: would {target}\n")
        print("resolved config:")
        print(json.dumps(config.resolved, indent=2))
    return 0


def describe(document: ConfigDocument, config: RunConfig) -> str:
    """A readable account of a validated config: model equations, mesh, time stepping."""
    model = config.model
    lines = [
        f"{document.source}: valid (dry run: no mesh built, nothing written)",
        "",
        f"model {model.name}" + (f": {model.description}" if model.description else ""),
    ]
    for sp, equation in zip(model.species, model.equations()):
        lines.append(f"  {equation}" + (f"    ({sp.description})" if sp.description else ""))
    if model.parameters:
        lines.append("parameters: " + ", ".join(f"{k} = {v:g}" for k, v in model.parameters.items()))
    initial = ", ".join(f"{name} = {config.initial[name]}" for name in model.species_names)
    lines.append(f"initial: {initial}")
    mesh = config.mesh
    if mesh.builtin is not None:
        lines.append(f"mesh: built-in {mesh.builtin} of size {list(mesh.size)} with {list(mesh.cells)} cells")
    elif mesh.file is not None:
        lines.append(f"mesh: {mesh.file}")
    else:
        lines.append(f"mesh: generator '{mesh.generator}' {dict(mesh.parameters)}")
    time, interval = config.time, config.output.interval
    outputs = max(1, math.ceil(config.t_end / interval - 1e-9))
    run_scheme = config.resolved["time"]["scheme"]
    scheme = run_scheme if run_scheme == time.scheme else f"{time.scheme} -> {run_scheme}"
    lines.append(
        f"time: 0 -> {config.t_end:g}, dt {time.dt:g} ({scheme}"
        f"{', adaptive' if time.adaptive else ''}), output every {interval:g} ({outputs} times)"
    )
    if "scheme_note" in config.resolved["time"]:
        lines.append(config.resolved["time"]["scheme_note"])
    if config.motion is not None:
        lines.append(f"mesh motion: {config.motion.kind}: {config.motion.describe()}")
    for bc in config.boundary_conditions:
        lines.append(f"boundary: {bc.kind} on {', '.join(bc.on)} for {bc.species}")
    return "\n".join(lines)
