"""Write the vessel-block mesh (see meshes/README.md) as a gmsh .msh file.

Usage: python meshes/vessel_block.py [--size H] [--output FILE] [--param KEY=VALUE ...]

The options are those of `fem-chemotaxis mesh vessel-block`; the default output is
meshes/vessel_block.msh.
"""

from __future__ import annotations

import sys
from pathlib import Path

from fem_chemotaxis.cli import main as cli_main

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    """Write the mesh (by default next to this script); return the exit code."""
    default = Path(__file__).resolve().parent / "vessel_block.msh"
    args = sys.argv[1:] if argv is None else argv
    return cli_main(["mesh", "vessel-block", "--output", str(default), *args])


if __name__ == "__main__":
    sys.exit(main())
