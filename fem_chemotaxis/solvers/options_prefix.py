"""PETSc options under a prefix of their own, removed from PETSc's global database once read.

Every solver sets its options (a preset with the user's overrides) under a unique prefix, so
that two solvers never read each other's; once its objects have read them
(``setFromOptions``, the first solve), :meth:`OptionsPrefix.clear` takes them out again so
that the database does not grow with every solver made.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import Any

from petsc4py import PETSc

__all__ = ["OptionsPrefix"]

_counter = itertools.count()


class OptionsPrefix:
    """`options` set under a fresh prefix ``f"{stem}{n}_"``.

    Attributes:
        prefix: The prefix, for ``setOptionsPrefix`` or ``petsc_options_prefix``.
        pending: Whether the options are still in the database.
    """

    def __init__(self, stem: str, options: Mapping[str, Any]):
        self.prefix = f"{stem}{next(_counter)}_"
        self.set(options)

    def set(self, options: Mapping[str, Any]) -> None:
        """Put `options` (again) under the prefix, for objects set up anew, until :meth:`clear`."""
        database = PETSc.Options()
        for key, value in options.items():
            database[f"{self.prefix}{key}"] = value
        self.pending = True

    def clear(self) -> None:
        """Remove the options from the database (once their objects have read them)."""
        if not self.pending:
            return
        database = PETSc.Options()
        for key in list(database.getAll()):
            if key.startswith(self.prefix):
                database.delValue(key)
        self.pending = False

    def __del__(self) -> None:
        if getattr(self, "pending", False):
            self.clear()
