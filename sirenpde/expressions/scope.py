"""What compiling one expression knows and records, and the closures it builds evaluate against.

Every node of the syntax tree becomes a closure ``Ctx -> Tensor``. The parts without variables are
folded: computed once at compile time, by torch in float64, and refused if they overflow or are
undefined.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import NamedTuple

import torch

from .errors import error, shown
from .vocabulary import KINDS, VECTOR_NORM, VECTOR_OPERATOR

__all__ = ["Ctx", "Fn", "Quantity", "Scope", "constant", "number"]


class Ctx(NamedTuple):
    """One evaluation: the inputs, and the real dtype and device that constants are made in."""

    env: Mapping[str, torch.Tensor]
    dtype: torch.dtype
    device: torch.device


Fn = Callable[[Ctx], torch.Tensor]
_FOLDING = Ctx({}, torch.float64, torch.device("cpu"))  # where constant parts are computed


@dataclass(frozen=True)
class Quantity:
    """A derivative operator applied to one field, as written: ``dx(u)`` is ``Quantity("dx", "u")``,
    ``norm(grad(u))`` is ``Quantity("norm", "u")``. The formula reads its values from the inputs
    under :attr:`text`; the caller computes them."""

    operator: str
    field: str

    @property
    def text(self) -> str:
        if self.operator == VECTOR_NORM:
            return f"{VECTOR_NORM}({VECTOR_OPERATOR}({self.field}))"
        return f"{self.operator}({self.field})"


@dataclass
class Scope:
    """What compiling one expression knows and records along the way.

    Attributes:
        quantities: the derivative operators applied, by their text, in order of appearance.
        reads: variable references compiled so far (a part that adds none is constant).
    """

    text: str
    names: tuple[str, ...]
    operators: frozenset[str] = frozenset()
    operands: tuple[str, ...] = ()
    used: set[str] = field(default_factory=set)
    quantities: dict[str, Quantity] = field(default_factory=dict)
    has_complex: bool = False
    reads: int = 0

    def fold(self, node: ast.AST, fn: Fn) -> Fn:
        """A part without variables, computed once now, so that one that overflows or is undefined
        (``9**9**9``, ``1e400``, ``log(0)``) is refused here rather than trained on as inf or NaN."""
        try:
            value = fn(_FOLDING)
        except RuntimeError as err:
            found = f"cannot evaluate {self.segment(node)}: {(str(err).splitlines() or ['?'])[0]}"
            raise error(self.text, found, "operations defined for these inputs") from err
        if value.dtype != torch.bool and not bool(torch.isfinite(value)):
            found = f"constant {self.segment(node)} evaluates to {value.item()}"
            raise error(self.text, found, "a finite number (it overflows or is undefined)")
        return _fixed(value)

    def describe(self, node: ast.AST) -> str:
        if isinstance(node, ast.Attribute):
            return f"attribute access '.{node.attr}'"
        return f"{KINDS.get(type(node), type(node).__name__.lower())} {self.segment(node)}"

    def segment(self, node: ast.AST) -> str:
        return shown(ast.get_source_segment(self.text, node) or "")


def number(value: torch.Tensor, ctx: Ctx) -> torch.Tensor:
    # Comparisons give bool tensors; arithmetic on them follows Python (True - True == 0).
    return value.to(ctx.dtype) if value.dtype == torch.bool else value


def constant(value: float | complex) -> Fn:
    # torch.full, not torch.tensor: on a GPU it is a fill kernel rather than a host-to-device copy.
    if isinstance(value, complex):
        return lambda ctx: torch.full((), value, dtype=ctx.dtype.to_complex(), device=ctx.device)
    return lambda ctx: torch.full((), value, dtype=ctx.dtype, device=ctx.device)


def _fixed(value: torch.Tensor) -> Fn:
    """A computed constant, made again in each evaluation's dtype and device."""
    if value.dtype == torch.bool:
        flag = bool(value)
        return lambda ctx: torch.full((), flag, dtype=torch.bool, device=ctx.device)
    return constant(value.item())
