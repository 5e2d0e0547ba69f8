"""Write the tissue-section mesh (see meshes/README.md) as a gmsh .msh file.

Usage: python meshes/tissue_section.py [--size H] [--output meshes/tissue_section.msh]
"""

from __future__ import annotations

import argparse
import inspect
from pathlib import Path

from mpi4py import MPI

from fem_chemotaxis.mesh import GENERATORS, write_msh

__all__ = ["main"]


def main(argv: list[str] | None = None) -> None:
    """Parse the command line and write the mesh."""
    default_size = inspect.signature(GENERATORS["tissue-section"]).parameters["size"].default
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--size", type=float, default=default_size, help=f"mesh size away from the vessels (default {default_size})"
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=Path(__file__).resolve().parent / "tissue_section.msh",
        help="the .msh file to write (default meshes/tissue_section.msh)",
    )
    args = parser.parse_args(argv)
    try:
        path = write_msh("tissue-section", args.output, size=args.size)
    except ValueError as exc:
        parser.error(str(exc))
    if MPI.COMM_WORLD.rank == 0:
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
