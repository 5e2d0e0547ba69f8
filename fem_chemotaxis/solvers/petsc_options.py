"""Which PETSc options a config's ``[solver.petsc]`` may set: solver tuning, nothing else.

A config is data that may be shared with a paper; it must not be able to write files
outside its run directory, read option files or start programs.  PETSc options can do all
of that (``ksp_view = "ascii:/any/path"``, ``options_file``, ``start_in_debugger``,
``pc_type = "python"`` importing a module), so only an allow-list passes:

- names (a leading ``-`` is dropped) of letters, digits and underscores, at most 200 long;
- after any solver sub-prefixes (``fieldsplit_<name>_``, ``mg_levels_[<k>_]``,
  ``mg_coarse_``, ``sub_``, ``redundant_``), the name starts with a tuning family:
  ``snes_``, ``ksp_``, ``pc_`` (including ``pc_fieldsplit_``, ``pc_gamg_``, ``pc_hypre_``,
  ``pc_factor_``, ``pc_mg_``), ``mat_mumps_`` or ``mat_superlu_dist_``;
- no word of the name is a viewer, monitor or log word (view, monitor, converged_reason,
  draw, plot, log, info, dump, save, test, python, shell, ...): viewers and monitors are
  refused rather than redirected, since summary.json already records the Newton and Krylov
  iterations of every step (and ``--verbose`` prints them);
- values are booleans, finite numbers, or words of letters, digits and ``_ . + - ,`` (no
  paths, no ``ascii:``/``binary:`` viewer specifications), and never ``python`` or ``shell``;
  the one ``/`` allowed is in hypre's relaxation names (``SOR/Jacobi``, ``backward-SOR/Jacobi``,
  ``symmetric-SOR/Jacobi``, ``l1scaled-SOR/Jacobi``).

Everything else (``options_file``, ``help``, ``start_in_debugger``, ``on_error_attach_debugger``,
``malloc_dump``, ``log_view``, ``info``, ...) is refused, naming the key.  A config cannot set
environment variables, so ``PETSC_OPTIONS`` stays the user's own.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

__all__ = ["FAMILIES", "FORBIDDEN_WORDS", "check_petsc_options", "petsc_option_problem"]

#: Option families that tune the nonlinear and linear solvers.
FAMILIES = ("snes_", "ksp_", "pc_", "mat_mumps_", "mat_superlu_dist_")
#: Words that mark viewers, monitors, logging, debugging or code loading.
FORBIDDEN_WORDS = frozenset(
    {
        "view",
        "viewer",
        "monitor",
        "reason",
        "draw",
        "plot",
        "log",
        "info",
        "dump",
        "save",
        "test",
        "python",
        "shell",
        "saws",
        "matlab",
        "socket",
        "binary",
        "ascii",
        "hdf5",
        "debugger",
        "file",
        "output",
        "history",
        "eigenvalues",
        "singularvalues",
    }
)
#: Prefixes under which PETSc sub-solvers read the same options.
_SUB_PREFIXES = (
    re.compile(r"mg_levels_(\d+_)?"),
    re.compile(r"mg_coarse_"),
    re.compile(r"sub_"),
    re.compile(r"redundant_"),
)
_NAME = re.compile(r"[A-Za-z0-9_]{1,200}")
_WORD_VALUE = re.compile(r"[A-Za-z0-9_.+,-]{0,100}")
_HYPRE_RELAXATION = re.compile(r"([A-Za-z0-9]{1,20}-){0,3}SOR/Jacobi", re.IGNORECASE)
_FORBIDDEN_VALUES = frozenset({"python", "shell"})


def petsc_option_problem(key: str, value: Any) -> str | None:
    """Why `key` = `value` may not be set from a config, or None if it may."""
    name = key.removeprefix("-")
    if not _NAME.fullmatch(name):
        return "is not a PETSc option name (letters, digits and underscores)"
    if not _allowed_name(name.lower()):
        return (
            "is not a solver tuning option; allowed: snes_*, ksp_*, pc_*, mat_mumps_*, "
            "mat_superlu_dist_* (also under fieldsplit_<name>_, mg_levels_, sub_), "
            "no viewers, monitors or logs"
        )
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return None if math.isfinite(value) else "must be finite"
    if not isinstance(value, str) or not (_WORD_VALUE.fullmatch(value) or _HYPRE_RELAXATION.fullmatch(value)):
        return "must be true/false, a number or a word (no paths or viewer specifications)"
    if value.lower() in _FORBIDDEN_VALUES:
        return f"= {value!r} would load code; not allowed from a config"
    return None


def check_petsc_options(options: Mapping[str, Any], where: str = "[solver.petsc]") -> None:
    """Raise ValueError naming the first option a config may not set."""
    for key, value in options.items():
        problem = petsc_option_problem(str(key), value)
        if problem is not None:
            raise ValueError(f"{where} {key} = {value!r} {problem}")


def _allowed_name(name: str) -> bool:
    """Whether `name` is a tuning option, possibly under solver sub-prefixes."""
    if name.startswith("fieldsplit_"):
        rest = name[len("fieldsplit_") :]
        # fieldsplit_<split name>_<option>: the split name may itself hold underscores
        return any(_allowed_name(rest[i + 1 :]) for i, char in enumerate(rest) if char == "_" and i > 0)
    for prefix in _SUB_PREFIXES:
        match = prefix.match(name)
        if match:
            return _allowed_name(name[match.end() :])
    if not name.startswith(FAMILIES):
        return False
    return not FORBIDDEN_WORDS.intersection(name.split("_"))
