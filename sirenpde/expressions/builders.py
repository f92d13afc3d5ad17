"""The whitelist: each allowed node of the syntax tree becomes a small closure over torch operations.

Nothing the user wrote is run as Python. Integer literals become floats and no arithmetic is done
in Python; a part without variables is folded by :meth:`Scope.fold`.
"""

from __future__ import annotations

import ast
import difflib
import functools
from collections.abc import Callable, Mapping
from typing import Any

import torch

from .errors import error, shown
from .operators import build_quantity, is_quantity
from .scope import Ctx, Fn, Scope, constant, number
from .vocabulary import BINARY_OPS, BOOL_OPS, COMPARISONS, CONSTANTS, FUNCTIONS, SYMBOLS, UNARY_OPS

__all__ = ["build", "as_float"]


def build(node: ast.AST, scope: Scope) -> Fn:
    """The closure of ``node``; a part that reads no variable is computed once, now."""
    builder = _BUILDERS.get(type(node))
    if builder is None:
        expected = "numbers, variables, operators and calls like sin(x)"
        raise error(scope.text, f"{scope.describe(node)} is not allowed", expected)
    reads = scope.reads
    fn = builder(node, scope)
    return fn if scope.reads > reads else scope.fold(node, fn)


def as_float(value: int | float, text: str) -> float:
    try:
        return float(value)
    except OverflowError:
        raise error(text, f"number {shown(str(value))}", "at most about 1.8e308") from None


def _build_constant(node: ast.Constant, scope: Scope) -> Fn:
    value = node.value
    if isinstance(value, bool) or not isinstance(value, (int, float, complex)):
        raise error(scope.text, f"literal {scope.segment(node)} is not allowed", "a number")
    if isinstance(value, complex):
        scope.has_complex = True
        return constant(value)
    return constant(as_float(value, scope.text))


def _build_name(node: ast.Name, scope: Scope) -> Fn:
    name, text = node.id, scope.text
    if name in CONSTANTS:
        return constant(CONSTANTS[name])
    if name in FUNCTIONS:
        raise error(text, f"function '{name}' without arguments", f"a call like {name}(x)")
    if name not in scope.names:
        known = (*scope.names, *CONSTANTS)
        raise error(text, f"unknown name '{name}'{_did_you_mean(name, known)}", f"one of: {', '.join(known)}")
    scope.used.add(name)
    scope.reads += 1

    def variable(ctx: Ctx) -> torch.Tensor:
        if name not in ctx.env:
            given = ", ".join(ctx.env) or "nothing"
            raise error(text, f"variable '{name}' missing from the inputs", f"it among: {given}")
        return ctx.env[name]

    return variable


def _did_you_mean(name: str, known) -> str:
    close = difflib.get_close_matches(name, list(known), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _operator(op: ast.AST, table: Mapping[type, Callable], scope: Scope) -> Callable:
    fn = table.get(type(op))
    if fn is None:
        symbol = SYMBOLS.get(type(op), type(op).__name__)
        expected = f"one of: {' '.join(SYMBOLS[kind] for kind in table)}"
        raise error(scope.text, f"operator '{symbol}' is not allowed", expected)
    return fn


def _build_unary(node: ast.UnaryOp, scope: Scope) -> Fn:
    fn, operand = _operator(node.op, UNARY_OPS, scope), build(node.operand, scope)
    return lambda ctx: fn(number(operand(ctx), ctx))


def _build_binary(node: ast.BinOp, scope: Scope) -> Fn:
    fn = _operator(node.op, BINARY_OPS, scope)
    left, right = build(node.left, scope), build(node.right, scope)
    return lambda ctx: fn(number(left(ctx), ctx), number(right(ctx), ctx))


def _build_bool(node: ast.BoolOp, scope: Scope) -> Fn:
    fn = _operator(node.op, BOOL_OPS, scope)
    operands = [build(value, scope) for value in node.values]
    return lambda ctx: functools.reduce(fn, [operand(ctx) for operand in operands])


def _build_compare(node: ast.Compare, scope: Scope) -> Fn:
    """``a < b <= c`` means ``(a < b) and (b <= c)``, with ``b`` evaluated once."""
    fns = [_operator(op, COMPARISONS, scope) for op in node.ops]
    operands = [build(value, scope) for value in (node.left, *node.comparators)]

    def compare(ctx: Ctx) -> torch.Tensor:
        values = [number(operand(ctx), ctx) for operand in operands]
        tests = [fn(a, b) for fn, a, b in zip(fns, values[:-1], values[1:], strict=True)]
        return functools.reduce(torch.logical_and, tests)

    return compare


def _build_call(node: ast.Call, scope: Scope) -> Fn:
    func, text = node.func, scope.text
    # `(sin)(x)` parses like `sin(x)`; only the positions tell the parentheses apart.
    if not isinstance(func, ast.Name) or func.col_offset != node.col_offset:
        if not isinstance(func, ast.Name):
            build(func, scope)  # a forbidden callee such as `os.system` makes the clearer message
        found = f"call of a computed function {scope.segment(node)}"
        raise error(text, found, "a function name followed by arguments, like sin(x)")
    if is_quantity(node, scope):
        return build_quantity(node, scope)
    if func.id not in FUNCTIONS:
        known = sorted((*FUNCTIONS, *scope.operators))
        raise error(text, f"'{func.id}' is not an allowed function{_did_you_mean(func.id, known)}",
                    f"one of: {', '.join(known)}")
    if node.keywords:
        found = f"keyword argument {scope.segment(node.keywords[0])} of '{func.id}'"
        raise error(text, found, "positional arguments only")
    args = [build(arg, scope) for arg in node.args]
    arity, fn = FUNCTIONS[func.id]
    if len(args) != arity:
        found = f"'{func.id}' takes {arity} argument{'s' * (arity > 1)}, found {len(args)}"
        raise error(text, found, f"a call like {func.id}({', '.join('abc'[:arity])})")
    return lambda ctx: fn(*[number(arg(ctx), ctx) for arg in args])


_BUILDERS: dict[type[ast.AST], Callable[[Any, Scope], Fn]] = {
    ast.Constant: _build_constant, ast.Name: _build_name, ast.UnaryOp: _build_unary,
    ast.BinOp: _build_binary, ast.BoolOp: _build_bool, ast.Compare: _build_compare,
    ast.Call: _build_call,
}  # fmt: skip
