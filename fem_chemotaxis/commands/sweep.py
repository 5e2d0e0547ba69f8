"""``fem-chemotaxis sweep CONFIG.toml --vary KEY=v1,v2 ...``: a grid of runs, resumable.

Each combination of the varied values is one run directory under the sweep directory, named
by its values (``chi=5_dt=0.01``).  Invoking the same sweep again skips the runs that have
ended (completed, blow-up, solver failure: re-running them would give the same result),
continues interrupted ones from their checkpoints, and runs the rest.  After every run the
table ``sweep.csv`` (the varied values and chosen outputs of every run) is rewritten.

Runs with the same [mesh] share one mesh, built (and, for a generator, meshed by gmsh) once
for the sweep: a mesh is only read by a run, unless it moves ([mesh.motion]), and such runs
build their own.
"""

from __future__ import annotations

import argparse
import csv
import io
import itertools
import json
import logging
import re
import sys
import time as wallclock
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import tomllib

from mpi4py import MPI

from fem_chemotaxis.commands.arguments import add_command, add_verbosity, parse_duration

if TYPE_CHECKING:
    from fem_chemotaxis.config import ConfigDocument, RunConfig
    from fem_chemotaxis.mesh.tagged_mesh import TaggedMesh

__all__ = ["Combination", "main", "parse_vary", "register", "table_value"]

_log = logging.getLogger("fem_chemotaxis")

_EPILOG = """\
examples:
  fem-chemotaxis sweep demos/keller_segel.toml --vary chi=1,5,10
  fem-chemotaxis sweep run.toml --vary model.parameters.chi=1,5 --vary mesh.file=a.msh,b.msh
  fem-chemotaxis sweep run.toml --vary time.dt=0.1,0.05,0.025 --table u.max,steps,wall_time
  mpiexec -n 4 fem-chemotaxis sweep run.toml --vary chi=1,2,4,8 -o results/chi-sweep -q

KEY is a dotted path into the config's tables (model.parameters.chi, mesh.file, time.dt,
mesh.cells, initial.u); a bare name such as chi means model.parameters.chi. Values are read
as TOML (1, 0.5, true, [64, 32], "text"); anything else is a string (a.msh). Commas inside
[...] or quotes do not split values.

Every combination is a run directory DIR/<key>=<value>_... (DIR: --output, default
results/<config name>-sweep). Running the same command again resumes: runs that have ended
are skipped, interrupted ones continue from their checkpoints. A run directory that holds a
run of a different config is only replaced with --force.

--table names the outputs in DIR/sweep.csv: <species>.<mass|min|max> (at the final time),
time, steps, status, wall_time, dofs, or a dotted path into summary.json (stop.max_value).
Default: status, wall_time, and the final mass and max of every species."""


#: The line of ``fem-chemotaxis --help`` and the start of ``fem-chemotaxis sweep --help``.
HELP = "run a grid of parameter (or mesh, time step...) values, resumably, into a table"
DESCRIPTION = "Run one config over every combination of the --vary values."


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `sweep` parser."""
    parser = add_command(subparsers, "sweep", main, HELP, DESCRIPTION, _EPILOG)
    parser.add_argument("config", help="TOML run configuration to vary")
    parser.add_argument(
        "--vary",
        action="append",
        required=True,
        metavar="KEY=V1,V2,...",
        help="a config entry and its values (repeat for a grid)",
    )
    parser.add_argument("--output", "-o", metavar="DIR", help="sweep directory (default: results/<config name>-sweep)")
    parser.add_argument("--table", metavar="KEY,KEY", help="outputs to tabulate in sweep.csv (see below)")
    parser.add_argument("--force", action="store_true", help="re-run every combination, replacing earlier runs")
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="validate every combination and say what would run; runs and writes nothing",
    )
    parser.add_argument(
        "--time-limit",
        type=parse_duration,
        metavar="DURATION",
        help="wall-clock limit for the whole sweep; the current run then stops with a checkpoint",
    )
    add_verbosity(parser)


def parse_vary(text: str, tables: Mapping[str, Any]) -> tuple[tuple[str, ...], list[Any], list[str]]:
    """Split ``KEY=v1,v2`` into the key's path, the values (TOML, else strings) and their texts.

    A bare KEY that is not a table of `tables` means ``model.parameters.KEY``.

    Raises:
        ValueError: if there is no ``=`` or no value.
    """
    key, sep, values = text.partition("=")
    key = key.strip()
    if not sep or not key or not values.strip():
        raise ValueError(f"--vary '{text}': write KEY=V1,V2,... (e.g. chi=1,5,10 or time.dt=0.1,0.05)")
    path = tuple(key.split("."))
    if len(path) == 1 and path[0] not in tables:
        path = ("model", "parameters", path[0])
    texts = _split_top_level(values)
    return path, [_toml_value(t) for t in texts], texts


def _split_top_level(text: str) -> list[str]:
    """Split at commas that are not inside brackets or quotes."""
    parts, depth, quote, current = [], 0, "", ""
    for char in text:
        if quote:
            quote = "" if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char in "[{":
            depth += 1
        elif char in "]}":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(current.strip())
            current = ""
            continue
        current += char
    parts.append(current.strip())
    if any(not p for p in parts):
        raise ValueError(f"--vary: empty value in '{text}'")
    return parts


def _toml_value(text: str) -> Any:
    try:
        return tomllib.loads(f"value = {text}")["value"]
    except tomllib.TOMLDecodeError:
        return text


@dataclass(frozen=True)
class Combination:
    """One point of the grid: its run directory and config."""

    name: str
    values: dict[str, str]
    document: ConfigDocument
    config: RunConfig
    resolved: dict[str, Any]


def _combinations(
    document: ConfigDocument, varies: Sequence[tuple[tuple[str, ...], list[Any], list[str]]], labels: Sequence[str]
) -> list[Combination]:
    """Every combination (the first --vary changes slowest), each validated."""
    short = [path[-1] for path, _, _ in varies]
    names = [s if short.count(s) == 1 else ".".join(path) for s, (path, _, _) in zip(short, varies)]
    combinations = []
    for choice in itertools.product(*(range(len(values)) for _, values, _ in varies)):
        doc, parts, values = document, [], {}
        for (path, options, texts), name, label, k in zip(varies, names, labels, choice):
            doc = doc.with_value(path, options[k])
            parts.append(f"{name}={_directory_label(options[k], texts[k])}")
            values[label] = texts[k]
        config = doc.parse()
        combinations.append(Combination("_".join(parts), values, doc, config, json.loads(json.dumps(config.resolved))))
    seen: dict[str, dict[str, str]] = {}
    for c in combinations:
        if c.name in seen:
            raise ValueError(f"the values {seen[c.name]} and {c.values} give the same run directory '{c.name}'")
        seen[c.name] = c.values
    return combinations


def _directory_label(value: Any, text: str) -> str:
    """A value as it appears in a directory name: lists as 64x32, other characters kept safe."""
    if isinstance(value, list):
        text = "x".join(str(v) for v in value)
    return re.sub(r"[^A-Za-z0-9._+-]+", "-", text).strip("-") or "-"


def table_value(summary: Mapping[str, Any] | None, key: str) -> Any:
    """One output of a run for the table ("" where there is none); see the module doc."""
    if not summary:
        return ""
    records = summary.get("records") or []
    species, _, quantity = key.partition(".")
    if records and species in records[-1]["species"] and quantity in ("mass", "min", "max"):
        return records[-1]["species"][species][quantity]
    if key == "time":
        return records[-1]["time"] if records else ""
    if key == "steps":
        return len(summary.get("steps", []))
    value: Any = summary
    for part in key.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return ""
        value = value[part]
    return value if not isinstance(value, (Mapping, list)) else json.dumps(value)


def _state(run_dir: Path, combination: Combination, comm: MPI.Comm) -> tuple[str, dict[str, Any] | None]:
    """What to do with a combination, and its earlier summary.

    "run" (new), "skip" (ended), "continue" (from its checkpoint), "rerun" (started, but
    no checkpoint yet) or "conflict" (a run of another config is there).
    """
    from fem_chemotaxis.runner import FINISHED, read_summary

    summary = read_summary(run_dir, comm)
    if summary is None:
        return "run", None
    if summary.get("config") != combination.resolved:
        return "conflict", summary
    if summary["status"] in FINISHED:
        return "skip", summary
    if (run_dir / "checkpoint.json").is_file():
        return "continue", summary
    return "rerun", summary


def main(args: argparse.Namespace, comm: MPI.Comm) -> int:
    """Run (or resume) the sweep; exit code 2 for bad input, else that of the last run's status."""
    from fem_chemotaxis.commands import EXIT_BAD_INPUT
    from fem_chemotaxis.config import ConfigDocument
    from fem_chemotaxis.io import RunDirectoryError
    from fem_chemotaxis.io.checkpoint import CheckpointError
    from fem_chemotaxis.io.console import configure_logging

    configure_logging(args.verbosity, comm)
    try:
        document = ConfigDocument.read(args.config)
        varies = [parse_vary(text, document.tables) for text in args.vary]
        labels = [text.partition("=")[0].strip() for text in args.vary]
        combinations = _combinations(document, varies, labels)
        root = Path(args.output or Path("results") / f"{Path(args.config).stem}-sweep")
        plan = [(c, *_state(root / c.name, c, comm)) for c in combinations]
        conflicts = [c.name for c, state, _ in plan if state == "conflict"]
        if conflicts and not args.force:
            raise RunDirectoryError(
                f"{', '.join(str(root / n) for n in conflicts)} hold(s) a run of a different config; "
                "use --force to replace, or another --output"
            )
        if args.dry_run:
            if comm.rank == 0:
                print(f"{len(plan)} run(s) in {root}:")
                for c, state, _ in plan:
                    print(f"  {c.name:40s} would {'rerun' if args.force else state}")
            return 0
        columns = args.table.split(",") if args.table else None
        return _sweep(plan, root, labels, columns, args, comm)
    except (ValueError, RunDirectoryError, CheckpointError) as err:
        if comm.rank == 0:
            print(f"fem-chemotaxis: error: {err}", file=sys.stderr, flush=True)
        return EXIT_BAD_INPUT


def _sweep(
    plan: Sequence[tuple[Combination, str, dict[str, Any] | None]],
    root: Path,
    labels: Sequence[str],
    columns: Sequence[str] | None,
    args: argparse.Namespace,
    comm: MPI.Comm,
) -> int:
    """Run the plan in order, rewriting the table after each run; stop at an interruption."""
    from fem_chemotaxis.commands.run import exit_code
    from fem_chemotaxis.runner import restart, run

    started = wallclock.perf_counter()
    if comm.rank == 0:
        root.mkdir(parents=True, exist_ok=True)
    summaries: dict[str, dict[str, Any] | None] = {c.name: s for c, _, s in plan}
    meshes = _SharedMeshes(comm)
    code = 0
    for k, (c, state, earlier) in enumerate(plan, start=1):
        where = f"[{k}/{len(plan)}] {c.name}"
        limit = None if args.time_limit is None else max(0.0, args.time_limit - (wallclock.perf_counter() - started))
        if state == "skip" and earlier is not None and not args.force:
            _log.info(f"{where}: skipped ({earlier['status']})")
            continue
        if state == "continue" and not args.force:
            _log.info(f"{where}: continuing from its checkpoint")
            summary = restart(root / c.name, comm, time_limit=limit)
        else:
            _log.info(f"{where}: running")
            mesh = meshes.get(c.config, where)
            summary = run(c.document, root / c.name, force=True, comm=comm, time_limit=limit, mesh=mesh)
        summaries[c.name] = summary
        _write_table(root, plan, summaries, labels, columns, comm)
        code = exit_code(summary)
        if summary["status"] == "interrupted":
            _log.warning("fem-chemotaxis: sweep interrupted; run the same command again to resume it")
            return code
    text = _write_table(root, plan, summaries, labels, columns, comm)
    if comm.rank == 0 and args.verbosity >= 0:
        print(f"\n{root / 'sweep.csv'}:\n{_aligned(text)}", flush=True)
    return code


class _SharedMeshes:
    """The meshes of a sweep's runs, each distinct [mesh] built once (module doc)."""

    def __init__(self, comm: MPI.Comm):
        self.comm = comm
        self._built: dict[str, TaggedMesh] = {}

    def get(self, config: RunConfig, where: str = "") -> TaggedMesh | None:
        """The mesh of `config`, built at its first use (said in a line starting with `where`);
        None for a mesh that moves."""
        if config.motion is not None:
            return None
        key = repr(config.mesh)
        if key not in self._built:
            started = wallclock.perf_counter()
            self._built[key] = mesh = config.mesh.build(self.comm)
            _log.info(
                f"{where}: mesh {mesh.source} built in {wallclock.perf_counter() - started:.1f} s, "
                "for every run with this [mesh]"
            )
        return self._built[key]


def _write_table(
    root: Path,
    plan: Sequence[tuple[Combination, str, dict[str, Any] | None]],
    summaries: Mapping[str, dict[str, Any] | None],
    labels: Sequence[str],
    columns: Sequence[str] | None,
    comm: MPI.Comm,
) -> str:
    """Write sweep.csv atomically (rank 0); returns its text."""
    from fem_chemotaxis.io.atomic import write_text_atomic

    if columns is None:
        species = next((list(s["records"][-1]["species"]) for s in summaries.values() if s and s["records"]), [])
        columns = ["status", "wall_time", *(f"{n}.{q}" for n in species for q in ("mass", "max"))]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*labels, "run", *columns])
    for c, _, _ in plan:
        summary = summaries[c.name]
        writer.writerow(
            [*(c.values[label] for label in labels), c.name, *(table_value(summary, key) for key in columns)]
        )
    if comm.rank == 0:
        write_text_atomic(root / "sweep.csv", out.getvalue())
    return out.getvalue()


def _aligned(text: str) -> str:
    """A CSV table as aligned columns for the terminal (floats to 6 significant digits)."""
    rows = [[_short(cell) for cell in row] for row in csv.reader(io.StringIO(text))]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows)


def _short(cell: str) -> str:
    try:
        return f"{float(cell):.6g}" if "." in cell or "e" in cell else cell
    except ValueError:
        return cell
