"""Subcommands of ``fem-chemotaxis``: one module each, with ``register(subparsers)`` and ``main(args, comm)``.

A module's ``register`` adds its parser (with ``set_defaults(command_main=main)``); ``main``
returns the exit code. Add a command by writing a module and listing it in ``COMMANDS``.
"""

from __future__ import annotations

from types import ModuleType

from fem_chemotaxis.commands import derive, fit, mesh, models, plot, run, stability, sweep, view

__all__ = ["COMMANDS", "EXIT_BAD_INPUT", "EXIT_RUN_FAILED"]

#: Exit code of a command given bad input (a config, a mesh parameter, a run directory).
EXIT_BAD_INPUT = 2
#: Exit code of a run that failed (its solver, or an I/O error such as a full disk).
EXIT_RUN_FAILED = 3

#: The subcommands, in the order `--help` lists them.
COMMANDS: list[ModuleType] = [run, models, plot, view, sweep, fit, mesh, derive, stability]
