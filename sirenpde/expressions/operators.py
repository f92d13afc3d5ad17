"""Derivative operators in a formula: ``dx(u)``, ``lap(u)``, ``norm(grad(u))``.

The compiler knows operators only by name. Each application to a field is recorded once as a
:class:`~sirenpde.expressions.scope.Quantity` and compiled into a read of the inputs under the
quantity's text: the caller computes the derivative (see :attr:`Expression.used_quantities`).
"""

from __future__ import annotations

import ast

import torch

from .errors import error
from .scope import Ctx, Fn, Quantity, Scope
from .vocabulary import VECTOR_NORM, VECTOR_OPERATOR

__all__ = ["is_quantity", "build_quantity"]


def is_quantity(node: ast.Call, scope: Scope) -> bool:
    """Whether a call applies a derivative operator: ``dx(u)``, or ``norm`` of ``grad(u)``."""
    name = node.func.id
    return name in scope.operators or (name == VECTOR_NORM and _is_gradient(node, scope))


def _is_gradient(node: ast.Call, scope: Scope) -> bool:
    arg = node.args[0] if len(node.args) == 1 and not node.keywords else None
    return (isinstance(arg, ast.Call) and isinstance(arg.func, ast.Name) and arg.func.id == VECTOR_OPERATOR
            and VECTOR_OPERATOR in scope.operators)


def build_quantity(node: ast.Call, scope: Scope) -> Fn:
    """``dx(u)``, ``lap(u)``, ``norm(grad(u))``: a derivative of a field, read from the inputs under
    its own text, which the caller computes (see :attr:`Expression.used_quantities`)."""
    op = node.func.id
    if op == VECTOR_NORM:  # norm(grad(u)), recognised by _is_gradient
        quantity = Quantity(VECTOR_NORM, _field(node.args[0], scope))
    elif op == VECTOR_OPERATOR:
        found = f"{scope.segment(node)}, a vector,"
        expected = "its length norm(grad(u)), or a component such as dx(u)"
        raise error(scope.text, f"{found} used as a number", expected)
    else:
        quantity = Quantity(op, _field(node, scope))
    scope.quantities.setdefault(quantity.text, quantity)
    scope.reads += 1
    return _reader(quantity.text, scope.text)


def _field(node: ast.Call, scope: Scope) -> str:
    """The field name of ``op(u)``, an operator applied to one field; anything else is refused."""
    op, operands = node.func.id, ", ".join(scope.operands) or "none"
    if node.keywords or len(node.args) != 1:
        found = f"'{op}' takes one field, found {scope.segment(node)}"
        raise error(scope.text, found, f"a call like {op}(u)")
    arg = node.args[0]
    if not isinstance(arg, ast.Name) or arg.id not in scope.operands:
        expected = f"{op} of a field ({operands}), like {op}(u)"
        raise error(scope.text, f"{op} of {scope.segment(arg)}", expected)
    return arg.id


def _reader(key: str, text: str) -> Fn:
    def quantity(ctx: Ctx) -> torch.Tensor:
        if key not in ctx.env:
            raise error(text, f"{key} missing from the inputs", "the caller to compute it")
        return ctx.env[key]

    return quantity
