"""What the subcommands' parsers share: registering a subcommand, verbosity, durations."""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable
from typing import Any

__all__ = ["add_command", "add_verbosity", "parse_duration"]


def add_command(
    subparsers: argparse._SubParsersAction,
    name: str,
    main: Callable[..., int],
    help: str,
    description: str | None = None,
    epilog: str | None = None,
) -> argparse.ArgumentParser:
    """The parser of subcommand `name`, which runs ``main(args, comm)``; the epilog is shown as written."""
    layout: dict[str, Any] = (
        {"epilog": epilog, "formatter_class": argparse.RawDescriptionHelpFormatter} if epilog else {}
    )
    parser = subparsers.add_parser(name, help=help, description=description, **layout)
    parser.set_defaults(command_main=main)
    return parser


def add_verbosity(parser: argparse.ArgumentParser) -> None:
    """The --quiet/--verbose options (``args.verbosity``: -1, 0 or 1)."""
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "-q",
        "--quiet",
        dest="verbosity",
        action="store_const",
        const=-1,
        default=0,
        help="print warnings and errors only",
    )
    group.add_argument(
        "-v",
        "--verbose",
        dest="verbosity",
        action="store_const",
        const=1,
        help="also print every time step (dt, Newton and Krylov iterations)",
    )


def parse_duration(text: str) -> float:
    """Seconds in a duration such as ``3600``, ``90s``, ``45m``, ``2h`` or ``1:30:00``."""
    text = text.strip()
    match = re.fullmatch(r"(\d+(?:\.\d*)?)\s*([smh]?)", text)
    if match:
        return float(match[1]) * {"": 1, "s": 1, "m": 60, "h": 3600}[match[2]]
    if re.fullmatch(r"\d+(:\d{1,2}){1,2}", text):
        seconds = 0.0
        for part in text.split(":"):
            seconds = 60 * seconds + int(part)
        return seconds
    raise argparse.ArgumentTypeError(f"'{text}' is not a duration (e.g. 3600, 90s, 45m, 2h, 1:30:00)")
