"""``fem-chemotaxis list-models`` and ``show-model NAME``: the built-in model library."""

from __future__ import annotations

import argparse

from mpi4py import MPI

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `list-models` and `show-model` parsers."""
    subparsers.add_parser("list-models", help="list the built-in models").set_defaults(command_main=list_models)
    show = subparsers.add_parser("show-model", help="print a built-in model's equations and default parameters")
    show.add_argument("name", help="a model id from list-models")
    show.set_defaults(command_main=show_model)


def list_models(args: argparse.Namespace, comm: MPI.Comm) -> int:
    """Print one line per built-in model."""
    from fem_chemotaxis.library import BUILTIN_MODELS

    if comm.rank == 0:
        for name, build in BUILTIN_MODELS.items():
            print(f"{name:36s} {build().description}")
    return 0


def show_model(args: argparse.Namespace, comm: MPI.Comm) -> int:
    """Print the equations, species descriptions and default parameters of one model."""
    from fem_chemotaxis.library import builtin_model

    model = builtin_model(args.name)
    if comm.rank == 0:
        print(f"{model.name}: {model.description}\n")
        for sp, eq in zip(model.species, model.equations()):
            print(f"  {eq}" + (f"    ({sp.description})" if sp.description else ""))
        print("\nparameters: " + ", ".join(f"{k} = {v:g}" for k, v in model.parameters.items()))
    return 0
