"""The vocabulary of user expressions: functions, constants and operators, mapped to torch.

Anything not named in these tables is refused by :mod:`sirenpde.expressions`.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable

import torch

__all__ = ["FUNCTIONS", "CONSTANTS", "UNARY_OPS", "BINARY_OPS", "COMPARISONS", "BOOL_OPS", "SYMBOLS", "KINDS",
           "VECTOR_NORM", "VECTOR_OPERATOR"]


def _heaviside(x: torch.Tensor) -> torch.Tensor:
    # 1 above zero, 0.5 at zero, 0 below; unlike torch.heaviside it has a (zero) gradient.
    return (torch.sign(x) + 1) / 2


def _imag(z: torch.Tensor) -> torch.Tensor:
    # torch.imag rejects real tensors, but imag(x) of a real field is simply zero.
    return torch.imag(z) if z.is_complex() else torch.zeros_like(z)


def _where(cond: torch.Tensor, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    return torch.where(cond != 0, a, b)


UNARY_FUNCTIONS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "sin": torch.sin, "cos": torch.cos, "tan": torch.tan,
    "asin": torch.asin, "acos": torch.acos, "atan": torch.atan,
    "sinh": torch.sinh, "cosh": torch.cosh, "tanh": torch.tanh,
    "asinh": torch.asinh, "acosh": torch.acosh, "atanh": torch.atanh,
    "exp": torch.exp, "log": torch.log, "log2": torch.log2, "log10": torch.log10,
    "sqrt": torch.sqrt, "abs": torch.abs, "sign": torch.sign, "floor": torch.floor,
    "ceil": torch.ceil, "erf": torch.erf, "heaviside": _heaviside,
    # conj_physical, not conj: a lazily conjugated view cannot be turned into a numpy array.
    "real": torch.real, "imag": _imag, "conj": torch.conj_physical, "angle": torch.angle,
}  # fmt: skip
BINARY_FUNCTIONS: dict[str, Callable[[torch.Tensor, torch.Tensor], torch.Tensor]] = {
    "atan2": torch.atan2, "hypot": torch.hypot, "min": torch.minimum, "max": torch.maximum,
    "pow": torch.pow,
}  # fmt: skip
# name -> (number of positional arguments, torch implementation)
FUNCTIONS: dict[str, tuple[int, Callable[..., torch.Tensor]]] = {
    **{name: (1, fn) for name, fn in UNARY_FUNCTIONS.items()},
    **{name: (2, fn) for name, fn in BINARY_FUNCTIONS.items()},
    "where": (3, _where),
}
CONSTANTS: dict[str, float] = {"pi": math.pi, "e": math.e}
VECTOR_NORM = "norm"
VECTOR_OPERATOR = "grad"  # the one operator whose value is a vector: usable only as norm(grad(u))

UNARY_OPS = {ast.UAdd: torch.positive, ast.USub: torch.neg, ast.Not: torch.logical_not}
BINARY_OPS = {
    ast.Add: torch.add, ast.Sub: torch.sub, ast.Mult: torch.mul, ast.Div: torch.div,
    ast.Pow: torch.pow, ast.Mod: torch.remainder,  # remainder has Python's sign convention
}  # fmt: skip
COMPARISONS = {
    ast.Lt: torch.lt, ast.LtE: torch.le, ast.Gt: torch.gt, ast.GtE: torch.ge,
    ast.Eq: torch.eq, ast.NotEq: torch.ne,
}  # fmt: skip
BOOL_OPS = {ast.And: torch.logical_and, ast.Or: torch.logical_or}
# Operator nodes carry no source position, so messages name them through this table.
SYMBOLS = {
    ast.UAdd: "+", ast.USub: "-", ast.Not: "not", ast.Invert: "~", ast.Add: "+", ast.Sub: "-",
    ast.Mult: "*", ast.Div: "/", ast.Pow: "**", ast.Mod: "%", ast.FloorDiv: "//",
    ast.MatMult: "@", ast.LShift: "<<", ast.RShift: ">>", ast.BitOr: "|", ast.BitXor: "^",
    ast.BitAnd: "&", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==",
    ast.NotEq: "!=", ast.Is: "is", ast.IsNot: "is not", ast.In: "in", ast.NotIn: "not in",
    ast.And: "and", ast.Or: "or",
}  # fmt: skip
KINDS = {
    ast.Subscript: "subscript", ast.Lambda: "lambda", ast.IfExp: "conditional expression",
    ast.NamedExpr: "assignment expression", ast.Starred: "starred argument",
    ast.JoinedStr: "f-string", ast.ListComp: "comprehension", ast.SetComp: "comprehension",
    ast.DictComp: "comprehension", ast.GeneratorExp: "comprehension",
}  # fmt: skip
