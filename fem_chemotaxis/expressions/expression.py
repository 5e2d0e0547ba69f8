"""A safe mathematical expression: parsed, checked against a whitelist, interpreted.

A user's string such as ``"chi*u/(1 + alpha*s)**2"`` is parsed with Python's own parser
into a syntax tree, every node of which is checked against a whitelist (numbers, the four
arithmetic operations and powers, named symbols, and a fixed set of maths functions). The
checked tree is then *interpreted* with a backend: UFL for weak forms, NumPy for initial
values on points. Nothing is ever passed to ``eval``/``exec``.

An expression is at most :data:`MAX_LENGTH` characters and :data:`MAX_DEPTH` levels of
nesting deep, so that neither the parser nor the checks can exhaust the stack.
:meth:`Expression.evaluate_checked` evaluates with NumPy and turns a division by zero, an
overflow or a result that is not a finite real number into an :class:`ExpressionError`
naming the expression (used to check configs before anything runs).
"""

from __future__ import annotations

import ast
import math
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, cast

import numpy as np

from fem_chemotaxis.expressions.numpy_backend import NUMPY_FUNCTIONS, point_noise

#: Longest expression accepted, in characters.
MAX_LENGTH = 2000
#: Deepest nesting accepted: operations, calls and parentheses inside one another.
MAX_DEPTH = 200

__all__ = [
    "CONSTANTS",
    "FUNCTION_NAMES",
    "MAX_DEPTH",
    "MAX_LENGTH",
    "SPECIAL_FUNCTIONS",
    "Expression",
    "ExpressionError",
]

#: Functions that no number stands for: ``integral(u)``, the integral of a species over the
#: domain (non-local terms; forms only), and ``noise(seed)``, reproducible uniform noise in
#: [-1, 1] at each point (initial values only).
SPECIAL_FUNCTIONS = frozenset({"integral", "noise"})
#: Names of the maths functions an expression may call.
FUNCTION_NAMES = frozenset(
    {
        "exp",
        "log",
        "sqrt",
        "sin",
        "cos",
        "tan",
        "sinh",
        "cosh",
        "tanh",
        "atan",
        "abs",
        "min",
        "max",
        "heaviside",
        *SPECIAL_FUNCTIONS,
    }
)
#: Named constants always available.
CONSTANTS = {"pi": math.pi}

_BINARY = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}
_UNARY = {ast.USub: "-", ast.UAdd: "+"}


class ExpressionError(ValueError):
    """An expression string that is malformed or uses a symbol it may not use."""


@dataclass(frozen=True)
class Expression:
    """A validated expression: its source text, syntax tree and the symbols it uses.

    Args:
        text: The expression as the user wrote it (numbers are accepted too).
        where: Where it came from, for error messages (e.g. ``"[initial] u"``).
    """

    text: str
    tree: ast.expr
    symbols: frozenset[str]
    where: str

    @classmethod
    def parse(cls, text: str | float | int, where: str) -> Expression:
        """Parse and check `text`; raise ExpressionError naming `where` if it is invalid."""
        if isinstance(text, bool) or not isinstance(text, (str, int, float)):
            raise ExpressionError(f"{where}: expected a number or an expression string, got {text!r}")
        if not isinstance(text, str) and not math.isfinite(text):
            raise ExpressionError(f"{where}: must be a finite number, got {text!r}")
        source = repr(float(text)) if not isinstance(text, str) else text.replace("^", "**")
        tree = _parse_bounded(source.strip(), text, where)
        symbols: set[str] = set()
        _check(tree, str(text), where, symbols)
        return cls(str(text), tree, frozenset(symbols - CONSTANTS.keys()), where)

    def check_symbols(self, allowed: Iterable[str], table: str) -> None:
        """Raise ExpressionError if the expression uses a symbol not in `allowed`.

        Args:
            allowed: The names this expression may use.
            table: A description of what defines them, for the message.
        """
        allowed = set(allowed)
        unknown = sorted(self.symbols - allowed)
        if unknown:
            raise ExpressionError(
                f"{self.where}: unknown symbol{'s' if len(unknown) > 1 else ''} "
                f"{', '.join(repr(u) for u in unknown)} in {self.text!r}; "
                f"{table} defines: {', '.join(sorted(allowed)) or '(nothing)'}"
            )

    def evaluate(self, symbols: Mapping[str, Any], functions: Mapping[str, Callable]) -> Any:
        """Interpret the tree with the given values for symbols and implementations of functions."""
        return _Interpreter(symbols, functions).visit(self.tree)

    def numeric(self, symbols: Mapping[str, Any]) -> Any:
        """The value with NumPy: a float for numbers, an array for arrays of points.

        ``noise()`` needs points (:meth:`at_points`); ``integral()`` is for forms only.
        """
        return self.evaluate(symbols, NUMPY_FUNCTIONS)

    def at_points(self, parameters: Mapping[str, float], t: float) -> Callable[[np.ndarray], np.ndarray]:
        """The expression in x, y, z, t, parameters and noise(seed) as a function of points (3, N).

        The shape DOLFINx's ``Function.interpolate`` expects: one value per point.
        """
        values = dict(parameters)

        def evaluate(x: np.ndarray) -> np.ndarray:
            symbols = {"x": x[0], "y": x[1], "z": x[2], "t": t, **values}
            functions = {**NUMPY_FUNCTIONS, "noise": lambda seed: point_noise(x, seed)}
            return np.broadcast_to(self.evaluate(symbols, functions), x.shape[1:]).copy()

        return evaluate

    def evaluate_checked(self, symbols: Mapping[str, Any], functions: Mapping[str, Callable]) -> np.ndarray:
        """Evaluate with NumPy; raise ExpressionError for an arithmetic error or a non-finite value.

        The message names the place and the expression, e.g.
        ``[initial] u: division by zero in "1/0"``.
        """
        with np.errstate(divide="raise", over="raise", invalid="raise"):
            try:
                value = np.asarray(self.evaluate(symbols, functions))
            except (ZeroDivisionError, OverflowError, FloatingPointError) as err:
                raise ExpressionError(f'{self.where}: {_arithmetic_error(err)} in "{_short(self.text)}"') from None
        if np.iscomplexobj(value) or not np.issubdtype(value.dtype, np.number):
            raise ExpressionError(
                f'{self.where}: not a real number in "{_short(self.text)}" (a fractional power of a negative number?)'
            )
        if not np.isfinite(value).all():
            raise ExpressionError(f'{self.where}: value not finite in "{_short(self.text)}"')
        return value

    def calls(self, function: str) -> bool:
        """Whether the expression calls `function`."""
        return any(
            isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == function
            for n in ast.walk(self.tree)
        )

    def __str__(self) -> str:
        return self.text


def _parse_bounded(source: str, text: Any, where: str) -> ast.expr:
    """The syntax tree of `source`, refusing texts longer or deeper than the limits."""
    if len(source) > MAX_LENGTH:
        raise ExpressionError(f"{where}: expression of {len(source)} characters is too long (at most {MAX_LENGTH})")
    depth = 0
    for char in source:  # parentheses first: the parser itself recurses on them
        depth += (char == "(") - (char == ")")
        if depth > MAX_DEPTH:
            raise ExpressionError(f"{where}: expression nested more than {MAX_DEPTH} levels deep")
    try:
        tree = ast.parse(source, mode="eval").body
    except SyntaxError as err:
        raise ExpressionError(f"{where}: cannot parse expression {text!r} ({err.msg})") from None
    except (RecursionError, MemoryError):
        raise ExpressionError(f"{where}: expression too deeply nested to parse") from None
    stack = [(tree, 1)]
    while stack:  # iterative: a long chain a+b+c+... is a deep tree
        node, level = stack.pop()
        if level > MAX_DEPTH:
            raise ExpressionError(
                f"{where}: expression nested more than {MAX_DEPTH} levels deep "
                f"(split a long sum or product into parameters)"
            )
        stack.extend((cast(ast.expr, child), level + 1) for child in ast.iter_child_nodes(node))
    return tree


def _short(text: Any, width: int = 80) -> str:
    """`text` cut to `width` characters for a one-line message."""
    text = str(text)
    return text if len(text) <= width else text[: width - 3] + "..."


def _arithmetic_error(err: ArithmeticError) -> str:
    """A short name of a floating-point error: division by zero, overflow or invalid value."""
    message = str(err)
    if "divide by zero encountered in log" in message:
        return "logarithm of zero"
    if isinstance(err, ZeroDivisionError) or "divide" in message:
        return "division by zero"
    if isinstance(err, OverflowError) or "overflow" in message:
        return "overflow"
    return "invalid operation (log or square root of a negative number?)"


def _check(node: ast.AST, text: str, where: str, symbols: set[str]) -> None:
    """Walk the tree, rejecting anything but whitelisted constructs."""
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
            raise ExpressionError(f"{where}: only numbers are allowed as literals in {text!r}")
        if not abs(node.value) <= sys.float_info.max:  # exact for big integers, false for inf
            raise ExpressionError(f"{where}: number too large in {_short(text)!r}")
    elif isinstance(node, ast.Name):
        if node.id in FUNCTION_NAMES:
            raise ExpressionError(f"{where}: function '{node.id}' used without arguments in {text!r}")
        symbols.add(node.id)
    elif isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        _check(node.left, text, where, symbols)
        _check(node.right, text, where, symbols)
    elif isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
        _check(node.operand, text, where, symbols)
    elif isinstance(node, ast.Call):
        name = node.func.id if isinstance(node.func, ast.Name) else None
        if name not in FUNCTION_NAMES or node.keywords:
            raise ExpressionError(
                f"{where}: {ast.unparse(node.func)!r} is not an allowed function in {text!r}; "
                f"allowed: {', '.join(sorted(FUNCTION_NAMES))}"
            )
        nargs = 2 if name in ("min", "max") else 1
        if len(node.args) != nargs:
            raise ExpressionError(f"{where}: {name}() takes {nargs} argument(s) in {text!r}")
        if name == "integral" and not isinstance(node.args[0], ast.Name):
            raise ExpressionError(f"{where}: integral() takes a species name, e.g. integral(u), in {text!r}")
        if name == "noise" and not isinstance(node.args[0], ast.Constant):
            raise ExpressionError(f"{where}: noise() takes a number (the seed), e.g. noise(1), in {text!r}")
        for arg in node.args:
            _check(arg, text, where, symbols)
    else:
        raise ExpressionError(f"{where}: {ast.unparse(node)!r} is not allowed in an expression ({text!r})")


class _Interpreter(ast.NodeVisitor):
    def __init__(self, symbols: Mapping[str, Any], functions: Mapping[str, Callable]):
        self.symbols = {**CONSTANTS, **symbols}
        self.functions = functions

    def visit_Constant(self, node: ast.Constant) -> Any:
        return float(cast(float, node.value))  # a number: _check allows no other literal

    def visit_Name(self, node: ast.Name) -> Any:
        return self.symbols[node.id]

    def visit_BinOp(self, node: ast.BinOp) -> Any:
        left, right = self.visit(node.left), self.visit(node.right)
        op = _BINARY[type(node.op)]
        if op == "+":
            return left + right
        if op == "-":
            return left - right
        if op == "*":
            return left * right
        if op == "/":
            return left / right
        return left**right

    def visit_UnaryOp(self, node: ast.UnaryOp) -> Any:
        value = self.visit(node.operand)
        return -value if isinstance(node.op, ast.USub) else value

    def visit_Call(self, node: ast.Call) -> Any:
        name = cast(ast.Name, node.func).id  # _check allows calls of names only
        if name not in self.functions:
            raise ExpressionError(f"{name}() cannot be used here")
        if name == "integral":  # receives the species name, not its value
            return self.functions[name](node.args[0].id)  # type: ignore[attr-defined]
        return self.functions[name](*(self.visit(a) for a in node.args))
