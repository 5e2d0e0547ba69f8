"""A run file as written: its TOML tables and the directory its relative paths start from.

A run directory stores this document (not the validated objects) to be restarted, and a
sweep varies it; :meth:`ConfigDocument.parse` validates it into a
:class:`~fem_chemotaxis.config.run_config.RunConfig`.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fem_chemotaxis.config.run_config import ConfigError, RunConfig, parse_config
from fem_chemotaxis.io.toml_file import read_toml

__all__ = ["ConfigDocument", "load_config"]


@dataclass(frozen=True)
class ConfigDocument:
    """A config as written: its TOML tables, and the directory its relative paths start from.

    This is what a run directory stores to be restarted, and what a sweep varies; the
    validated :class:`RunConfig` is derived from it with :meth:`parse`.
    """

    tables: Mapping[str, Any]
    source: str = "<config>"
    base_dir: str = field(default_factory=lambda: str(Path.cwd()))

    @classmethod
    def read(cls, path: str | Path) -> ConfigDocument:
        """Read a TOML run file (not yet validated)."""
        path = Path(path)
        try:
            tables = read_toml(path, "config")
        except ValueError as err:
            raise ConfigError(str(err)) from None
        return cls(tables, str(path), str(path.parent.resolve()))

    def parse(self) -> RunConfig:
        """Validate the tables (raises ConfigError naming the table and key)."""
        return parse_config(self.tables, source=self.source, base_dir=Path(self.base_dir))

    def with_value(self, key: Sequence[str], value: Any) -> ConfigDocument:
        """A copy with the entry at the path `key` (e.g. ``("time", "dt")``) set, creating tables.

        Raises:
            ConfigError: if a step of the path is a value, not a table.
        """
        tables = copy.deepcopy(dict(self.tables))
        table = tables
        for depth, part in enumerate(key[:-1]):
            table = table.setdefault(part, {})
            if not isinstance(table, dict):
                raise ConfigError(f"{self.source}: '{'.'.join(key[: depth + 1])}' is a value, not a table")
        table[key[-1]] = value
        return ConfigDocument(tables, self.source, self.base_dir)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict; :meth:`from_json` reads it back."""
        return {"tables": self.tables, "source": self.source, "base_dir": self.base_dir}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ConfigDocument:
        """The document stored by :meth:`to_json`."""
        return cls(data["tables"], data["source"], data["base_dir"])


def load_config(path: str | Path) -> RunConfig:
    """Read and validate a TOML run file.

    Raises:
        ConfigError: naming the file, table and key of the first mistake.
    """
    return ConfigDocument.read(path).parse()
