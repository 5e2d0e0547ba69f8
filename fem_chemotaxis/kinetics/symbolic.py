"""Exact derivatives of configuration expressions, as new expressions.

Used for the receptor law's ``g'(S)`` in the signal-transduction sensitivity (chapter
(7.3.21)) and for the gradient of a given chemical field. The derivative is built on the
checked syntax tree of :class:`~fem_chemotaxis.expressions.Expression` with the
usual rules, folding zeros and ones so that the result stays readable.
"""

from __future__ import annotations

import ast
from typing import cast

from fem_chemotaxis.expressions import Expression, ExpressionError

__all__ = ["derivative"]


def derivative(expr: Expression, symbol: str) -> Expression:
    """The exact derivative of `expr` with respect to `symbol`.

    Args:
        expr: A checked expression (no ``integral`` or ``noise`` calls).
        symbol: The variable to differentiate by.

    Returns:
        An expression whose text uses ``^`` for powers, like the README's examples.

    Raises:
        ExpressionError: if the expression calls ``integral`` or ``noise``.
    """
    tree = _d(expr.tree, symbol, expr)
    return Expression.parse(ast.unparse(tree).replace("**", "^"), f"d/d{symbol} of {expr.where}")


def _number(node: ast.expr) -> float | None:
    if isinstance(node, ast.Constant):
        return float(cast(float, node.value))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and isinstance(node.operand, ast.Constant):
        return -float(cast(float, node.operand.value))
    return None


def _const(value: float) -> ast.expr:
    number = int(value) if float(value).is_integer() else float(value)
    return ast.UnaryOp(ast.USub(), ast.Constant(-number)) if number < 0 else ast.Constant(number)


def _add(a: ast.expr, b: ast.expr) -> ast.expr:
    na, nb = _number(a), _number(b)
    if na is not None and nb is not None:
        return _const(na + nb)
    if na == 0:
        return b
    if nb == 0:
        return a
    return ast.BinOp(a, ast.Add(), b)


def _sub(a: ast.expr, b: ast.expr) -> ast.expr:
    na, nb = _number(a), _number(b)
    if na is not None and nb is not None:
        return _const(na - nb)
    if nb == 0:
        return a
    if na == 0:
        return _neg(b)
    return ast.BinOp(a, ast.Sub(), b)


def _neg(a: ast.expr) -> ast.expr:
    na = _number(a)
    if na is not None:
        return _const(-na)
    if isinstance(a, ast.UnaryOp) and isinstance(a.op, ast.USub):
        return a.operand
    return ast.UnaryOp(ast.USub(), a)


def _mul(a: ast.expr, b: ast.expr) -> ast.expr:
    na, nb = _number(a), _number(b)
    if na is not None and nb is not None:
        return _const(na * nb)
    if na == 0 or nb == 0:
        return _const(0)
    if na == 1:
        return b
    if nb == 1:
        return a
    if na == -1:
        return _neg(b)
    if nb == -1:
        return _neg(a)
    return ast.BinOp(a, ast.Mult(), b)


def _div(a: ast.expr, b: ast.expr) -> ast.expr:
    na, nb = _number(a), _number(b)
    if na == 0:
        return _const(0)
    if nb == 1:
        return a
    if na is not None and nb is not None:
        return _const(na / nb)
    return ast.BinOp(a, ast.Div(), b)


def _pow(a: ast.expr, b: ast.expr) -> ast.expr:
    nb = _number(b)
    if nb == 1:
        return a
    if nb == 0:
        return _const(1)
    return ast.BinOp(a, ast.Pow(), b)


def _call(name: str, *args: ast.expr) -> ast.expr:
    return ast.Call(ast.Name(name), list(args), [])


def _d(node: ast.expr, x: str, expr: Expression) -> ast.expr:
    """The derivative of `node` by `x` (chain, product and quotient rules)."""
    if isinstance(node, ast.Constant):
        return _const(0)
    if isinstance(node, ast.Name):
        return _const(1 if node.id == x else 0)
    if isinstance(node, ast.UnaryOp):
        inner = _d(node.operand, x, expr)
        return _neg(inner) if isinstance(node.op, ast.USub) else inner
    if isinstance(node, ast.BinOp):
        a, b = node.left, node.right
        da, db = _d(a, x, expr), _d(b, x, expr)
        if isinstance(node.op, ast.Add):
            return _add(da, db)
        if isinstance(node.op, ast.Sub):
            return _sub(da, db)
        if isinstance(node.op, ast.Mult):
            return _add(_mul(da, b), _mul(a, db))
        if isinstance(node.op, ast.Div):
            return _sub(_div(da, b), _div(_mul(a, db), _pow(b, _const(2))))
        # a^b: the power rule when the exponent does not depend on x, else a^b (b' log a + b a'/a)
        if _number(db) == 0:
            return _mul(_mul(b, _pow(a, _sub(b, _const(1)))), da)
        return _mul(node, _add(_mul(db, _call("log", a)), _div(_mul(b, da), a)))
    if isinstance(node, ast.Call):
        name = cast(ast.Name, node.func).id
        if name in ("integral", "noise"):
            raise ExpressionError(f"{expr.where}: {name}() cannot be differentiated ({expr.text!r})")
        if name in ("min", "max"):
            a, b = node.args
            first = _call("heaviside", _sub(b, a) if name == "min" else _sub(a, b))
            return _add(_mul(first, _d(a, x, expr)), _mul(_sub(_const(1), first), _d(b, x, expr)))
        (a,) = node.args
        da = _d(a, x, expr)
        if _number(da) == 0 or name == "heaviside":
            return _const(0)
        outer = {
            "exp": lambda: _call("exp", a),
            "log": lambda: _div(_const(1), a),
            "sqrt": lambda: _div(_const(1), _mul(_const(2), _call("sqrt", a))),
            "sin": lambda: _call("cos", a),
            "cos": lambda: _neg(_call("sin", a)),
            "tan": lambda: _div(_const(1), _pow(_call("cos", a), _const(2))),
            "sinh": lambda: _call("cosh", a),
            "cosh": lambda: _call("sinh", a),
            "tanh": lambda: _sub(_const(1), _pow(_call("tanh", a), _const(2))),
            "atan": lambda: _div(_const(1), _add(_const(1), _pow(a, _const(2)))),
            "abs": lambda: _sub(_mul(_const(2), _call("heaviside", a)), _const(1)),
        }[name]()
        return _mul(outer, da)
    raise ExpressionError(f"{expr.where}: cannot differentiate {ast.unparse(node)!r}")
