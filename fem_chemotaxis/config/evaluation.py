"""Evaluate a config's expressions once at validation, where their symbols allow.

Arithmetic that cannot work (``1/0``, ``exp(1000)``, ``log(-1)``, ``(-1)^0.5``) is refused
before anything is built or written, with the place and the expression named, e.g.
``[initial] u: division by zero in "1/0"``:

- every expression of the model, the boundary conditions, the flow and the mesh motion
  that uses parameters only (with the model's values and each subdomain's);
- every initial value given as an expression, at sample points of the domain when the
  domain is a built-in rectangle or box (a lattice through its nodes, corners included),
  else when it does not use the coordinates; at t = 0.

:func:`check_interpolated` is the last line for meshes from files and generators: the
initial values as interpolated on the mesh must be finite (collective), checked before the
run directory is written.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import numpy as np

from mpi4py import MPI

from fem_chemotaxis.expressions import (
    CONSTANTS,
    NUMPY_FUNCTIONS,
    SPECIAL_FUNCTIONS,
    Expression,
    ExpressionError,
    point_noise,
)
from fem_chemotaxis.model.boundary import BoundaryCondition
from fem_chemotaxis.model.model import COORDINATES, TIME, Model
from fem_chemotaxis.motion.mesh_motion import MeshMotion

__all__ = ["check_constant_expressions", "check_initial_expressions", "check_interpolated"]

#: Marks a divisor among the constant parts of an expression.
_DIVISOR = " (divisor)"
#: Most sample points along one axis of a built-in domain.
_MAX_POINTS_PER_AXIS = 33


def check_constant_expressions(
    model: Model,
    boundary_conditions: Iterable[BoundaryCondition],
    motion: MeshMotion | None,
    subdomain_parameters: Mapping[str, Mapping[str, float]],
) -> None:
    """Evaluate every expression that uses parameters only; raise ExpressionError if one fails."""
    variants = [dict(model.parameters)]
    variants += [{**model.parameters, **values} for values in subdomain_parameters.values()]
    for expr in _all_expressions(model, boundary_conditions, motion):
        for part in _constant_parts(expr, set(model.parameters)):
            for parameters in variants:
                value = part.evaluate_checked(parameters, NUMPY_FUNCTIONS)
                if part.where.endswith(_DIVISOR) and not np.all(value != 0):
                    raise ExpressionError(f'{expr.where}: division by zero in "{expr.text}" ({part.text} = 0)')


def check_initial_expressions(
    initial: Mapping[str, Any], model: Model, size: tuple[float, ...], cells: tuple[int, ...]
) -> None:
    """Evaluate the initial expressions at t = 0: on a lattice of the built-in domain `size`
    (empty for other meshes: then only expressions free of x, y, z)."""
    points = _lattice(size, cells, max((sp.degree for sp in model.species), default=1))
    for value in initial.values():
        if not isinstance(value, Expression):
            continue
        if value.symbols & set(COORDINATES) and points is None:
            continue
        x = points if points is not None else np.zeros((3, 1))
        symbols = {"x": x[0], "y": x[1], "z": x[2], TIME: 0.0, **model.parameters}
        functions = {**NUMPY_FUNCTIONS, "noise": lambda seed, x=x: point_noise(x, seed)}
        value.evaluate_checked(symbols, functions)


def check_interpolated(values: Mapping[str, np.ndarray], comm: MPI.Comm) -> None:
    """Raise ExpressionError unless every species' interpolated initial values are finite (collective)."""
    for name, array in values.items():
        bad = comm.allreduce(int(np.count_nonzero(~np.isfinite(array))), op=MPI.SUM)
        if bad:
            raise ExpressionError(f"[initial] {name}: value not finite at {bad} node(s) of the mesh")


def _constant_parts(expr: Expression, parameters: set[str]) -> Iterator[Expression]:
    """The subexpressions of `expr` in parameters only: the largest ones, and every divisor."""
    pending = [expr.tree]
    while pending:
        node = pending.pop()
        names, calls = _names_and_calls(node)
        if names <= parameters and not calls & SPECIAL_FUNCTIONS:
            yield Expression(ast.unparse(node), node, frozenset(names), expr.where)
            continue
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
            names, calls = _names_and_calls(node.right)
            if names <= parameters and not calls & SPECIAL_FUNCTIONS:
                yield Expression(ast.unparse(node.right), node.right, frozenset(names), expr.where + _DIVISOR)
                pending.append(node.left)
                continue
        pending.extend(child for child in ast.iter_child_nodes(node) if isinstance(child, ast.expr))


def _names_and_calls(node: ast.AST) -> tuple[set[str], set[str]]:
    """The symbols a subtree uses (constants such as pi left out) and the functions it calls."""
    calls = {n.func for n in ast.walk(node) if isinstance(n, ast.Call)}
    names = {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and n not in calls}
    return names - CONSTANTS.keys(), {f.id for f in calls if isinstance(f, ast.Name)}


def _lattice(size: tuple[float, ...], cells: tuple[int, ...], degree: int) -> np.ndarray | None:
    """Points (3, N) of a lattice of the box [0, size]: the mesh nodes if few, else a sample."""
    if not size:
        return None
    axes = [np.linspace(0.0, length, min(n * degree, _MAX_POINTS_PER_AXIS - 1) + 1) for length, n in zip(size, cells)]
    grid = np.meshgrid(*axes, indexing="ij")
    points = np.zeros((3, grid[0].size))
    for axis, coordinate in enumerate(grid):
        points[axis] = coordinate.ravel()
    return points


def _all_expressions(
    model: Model, boundary_conditions: Iterable[BoundaryCondition], motion: MeshMotion | None
) -> Iterator[Expression]:
    for sp in model.species:
        yield from sp.expressions()
    if model.flow is not None:
        yield from model.flow.expressions()
    for bc in boundary_conditions:
        yield from (e for e in (bc.value, bc.rate) if e is not None)
    if motion is not None:
        yield from motion.displacement
        if motion.normal_speed is not None:
            yield motion.normal_speed
