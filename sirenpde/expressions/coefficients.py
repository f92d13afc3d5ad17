"""Coefficients: numbers, Python callables of the points, or compiled expressions.

Problem builders accept any of these for a source term or a boundary value and evaluate them on a
batch with :func:`evaluate`. Expressions may also use the outward normal (``nx``, ``ny`` …) on
boundaries, which is why they receive the whole batch rather than only the points.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch

from ..derivatives.fields import Fields
from .compiler import Expression, compile_expression

__all__ = ["PointExpression", "expression", "evaluate", "Coefficient"]


@dataclass(frozen=True)
class PointExpression:
    """A compiled expression of the coordinates (and, on boundaries, of the normal components).

    Attributes:
        compiled: the expression.
        axes: coordinate names; column i of the points is bound to ``axes[i]`` and, where
            normals exist, ``"n" + axes[i]`` to the normal's component i.
    """

    compiled: Expression
    axes: tuple[str, ...]

    @property
    def uses_normals(self) -> bool:
        return any(name in self.compiled.used_names for name in normal_names(self.axes))

    def __call__(self, x: torch.Tensor, normals: torch.Tensor | None = None) -> torch.Tensor:
        """Values (N,) at points (N, d)."""
        env = {a: x[:, i] for i, a in enumerate(self.axes)}
        if normals is not None:
            env.update({n: normals[:, i].to(x.dtype) for i, n in enumerate(normal_names(self.axes))})
        elif self.uses_normals:
            raise ValueError(f"{self.compiled.text!r} uses the normal, which exists only on boundaries")
        return self.compiled(env)


def normal_names(axes: Sequence[str]) -> tuple[str, ...]:
    return tuple("n" + a for a in axes)


def expression(text: str | float, axes: Sequence[str] = ("x", "y"), normals: bool = False) -> PointExpression:
    """Compile ``text`` (e.g. ``"sin(pi*x)*cos(pi*y)"``) into a coefficient of the coordinates.

    Args:
        text: the expression; see docs/yaml-reference.md for the grammar.
        axes: coordinate names it may use.
        normals: also allow the normal components ``n<axis>`` (boundary values only).
    """
    names = tuple(axes) + (normal_names(axes) if normals else ())
    return PointExpression(compile_expression(text, names), tuple(axes))


Coefficient = float | complex | PointExpression | Callable[[torch.Tensor], torch.Tensor]
"""A number, a compiled expression, or a Python callable mapping points (N, d) to (N,) values."""


def evaluate(value: Coefficient, fields: Fields) -> torch.Tensor:
    """The coefficient on this batch, shaped (N,) (or (N, k) for a callable returning columns)."""
    x = fields.x
    if isinstance(value, PointExpression):
        v = value(x, fields.normals)
        return v.to(x.dtype) if v.dtype == torch.bool else v  # `x > 0.5` as a value means 0 or 1
    if isinstance(value, (int, float, complex)):
        dtype = (torch.complex128 if x.dtype == torch.float64 else torch.complex64) if isinstance(
            value, complex) else x.dtype
        return torch.full((x.shape[0],), value, dtype=dtype, device=x.device)
    if callable(value):
        return value(x)
    found = type(value).__name__
    raise TypeError(f"a coefficient must be a number, an expression or a callable; found {found}")
