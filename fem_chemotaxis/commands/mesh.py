"""``fem-chemotaxis mesh NAME``: write a geometry generator's mesh as a gmsh .msh file.

``fem-chemotaxis mesh --list`` lists the generators (meshes/README.md documents them) with
their parameters and defaults. Parameters other than ``--size`` are given as
``--param KEY=VALUE`` with a TOML value, e.g. ``--param dim=3`` or
``--param "circles=[[1.0, 0.5, 0.1]]"``. gmsh runs on rank 0 only.
"""

from __future__ import annotations

import argparse
import inspect
from pathlib import Path
from typing import Any

import tomllib

from mpi4py import MPI

from fem_chemotaxis.commands.arguments import add_command

__all__ = ["main", "register"]


#: The line of ``fem-chemotaxis --help`` and the start of ``fem-chemotaxis mesh --help``.
HELP = "write a generated geometry as a gmsh .msh file (--list: the generators)"
DESCRIPTION = (
    "Mesh a parametric geometry (see meshes/README.md) and write it as a gmsh "
    ".msh (format 4.1) file, e.g. `fem-chemotaxis mesh tumour-stroma --size 0.02 "
    "--param roughness=0.1`. Exit code 2 for an unknown generator or parameter or an "
    "invalid value."
)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `mesh` parser."""
    parser = add_command(subparsers, "mesh", main, HELP, DESCRIPTION)
    parser.add_argument("name", nargs="?", help="a generator name from --list")
    parser.add_argument("--list", action="store_true", help="list the generators with their parameters and defaults")
    parser.add_argument("--size", type=float, help="mesh size away from the interfaces (default: the generator's)")
    parser.add_argument(
        "--output",
        "-o",
        type=Path,
        help="the .msh file to write (default: NAME.msh with underscores, in the current directory)",
    )
    parser.add_argument(
        "--param",
        "-p",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a generator parameter with a TOML value, e.g. dim=3 or radii=[0.4,0.2]; repeatable",
    )


def _parse_param(text: str) -> tuple[str, Any]:
    """Split ``KEY=VALUE`` and read VALUE as a TOML value.

    Raises:
        ValueError: if there is no ``=`` or VALUE is not a TOML value.
    """
    key, sep, value = text.partition("=")
    key = key.strip()
    if not sep or not key:
        raise ValueError(f"--param {text!r} must have the form KEY=VALUE")
    try:
        return key, tomllib.loads(f"value = {value}")["value"]
    except tomllib.TOMLDecodeError:
        raise ValueError(
            f"--param {text!r}: {value!r} is not a TOML value (a number, true/false, a quoted string or a [list])"
        ) from None


def _parameters(args: argparse.Namespace) -> dict[str, Any]:
    """The generator parameters given by --size and --param.

    Raises:
        ValueError: for a malformed or repeated parameter.
    """
    params: dict[str, Any] = {}
    if args.size is not None:
        params["size"] = args.size
    for text in args.param:
        key, value = _parse_param(text)
        if key in params:
            raise ValueError(f"the mesh parameter {key!r} is given more than once")
        params[key] = value
    return params


def _describe(path: Path) -> str:
    """The cells and physical groups of the .msh file `path` (read with gmsh)."""
    import gmsh

    from fem_chemotaxis.mesh.gmsh_file import gmsh_model

    with gmsh_model(MPI.COMM_SELF, "describe"):
        gmsh.merge(str(path))
        tdim = max(dim for dim in range(4) if len(gmsh.model.mesh.getElementTypes(dim)))
        cells = [
            f"{len(tags)} cells ({gmsh.model.mesh.getElementProperties(kind)[0]})"
            for kind, tags in zip(*gmsh.model.mesh.getElements(tdim)[:2])
        ]
        groups = [f"{gmsh.model.getPhysicalName(dim, tag)} ({dim}-D)" for dim, tag in gmsh.model.getPhysicalGroups()]
    return f"{', '.join(cells)}; physical groups: {', '.join(groups)}"


def _list_generators() -> None:
    """Print each generator, its one-line description and its parameters with defaults."""
    from fem_chemotaxis.mesh import GENERATORS

    for name, generator in GENERATORS.items():
        summary = (inspect.getdoc(generator) or "").splitlines()[0]
        print(f"{name:24s} {summary}")
        for parameter, default in generator.defaults().items():
            print(f"    {parameter} = {default!r}")


def main(args: argparse.Namespace, comm: MPI.Comm) -> int:
    """List the generators, or mesh one and write its .msh file; return the exit code."""
    from fem_chemotaxis.mesh import write_msh

    if args.list:
        if comm.rank == 0:
            _list_generators()
        return 0
    if args.name is None:
        raise ValueError("mesh: give a generator NAME (fem-chemotaxis mesh --list shows them)")
    output = args.output or Path(f"{args.name.replace('-', '_')}.msh")
    path = write_msh(args.name, output, **_parameters(args))
    if comm.rank == 0:
        print(f"wrote {path}: {_describe(path)}")
    return 0
