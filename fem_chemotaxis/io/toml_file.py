"""Reading a TOML input file (a run config, a kinetic SPEC) into plain tables."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import tomllib

__all__ = ["read_toml"]


def read_toml(path: str | Path, what: str) -> dict[str, Any]:
    """The tables of the TOML file `path`.

    Raises:
        ValueError: naming the file (a `what` file, e.g. "config") if it is missing or not TOML.
    """
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"{what} file '{path}' does not exist")
    try:
        return tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as err:
        raise ValueError(f"{path}: not valid TOML: {err}") from None
