"""Derivative requests: each operator a residual applies, resolved once into the :class:`Fields`
quantity that computes it.

A formula names its operators by text (``dx``, ``dxx``, ``lap``, ``dn``, ``norm(grad(·))``). When
a residual is built, each one becomes a small frozen :class:`DerivativeRequest` (operation, axis,
field) against the residual's axes; evaluating it is a look-up in :data:`FIELD_OPERATIONS`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch

from ..derivatives.fields import Fields
from .scope import Quantity
from .vocabulary import VECTOR_NORM, VECTOR_OPERATOR

__all__ = ["DerivativeRequest", "FIELD_OPERATIONS", "LAPLACIAN", "NORMAL_DERIVATIVE", "derivative_request",
           "operator_names"]

NORMAL_DERIVATIVE = "dn"
LAPLACIAN = "lap"


def operator_names(axes: Sequence[str], normals: bool) -> tuple[str, ...]:
    """The operators a residual on these axes may apply; ``dn`` only where there are normals."""
    ops = [f"d{a}" for a in axes] + [f"d{a}{a}" for a in axes] + [LAPLACIAN, VECTOR_OPERATOR]
    return tuple(ops + ([NORMAL_DERIVATIVE] if normals else []))


def _gradient_norm(u: Fields, axis: str | None, k: int) -> torch.Tensor:
    spatial = list(u.laplacian_axes)
    return torch.linalg.vector_norm(u.gradient[:, k][:, spatial], dim=1)


FIELD_OPERATIONS: dict[str, Callable[[Fields, str | None, int], torch.Tensor]] = {
    "d": lambda u, axis, k: u.partial(axis)[:, k],
    "dd": lambda u, axis, k: u.second(axis)[:, k],
    "lap": lambda u, axis, k: u.laplacian[:, k],
    "dn": lambda u, axis, k: u.normal_derivative[:, k],
    "norm_grad": _gradient_norm,
}
"""Operation → its values (N,) of channel ``k`` on a batch: ∂/∂axis, ∂²/∂axis², Δ over the spatial
axes, ∂/∂n on a boundary, |∇| over the spatial axes."""


@dataclass(frozen=True)
class DerivativeRequest:
    """One derivative of one field, e.g. ``DerivativeRequest("d", "x", "u")`` for ``dx(u)``.

    Attributes:
        op: a key of :data:`FIELD_OPERATIONS`.
        axis: the coordinate of ``d`` and ``dd``; ``None`` for the others.
        field: the field's name.
    """

    op: str
    axis: str | None
    field: str

    def __post_init__(self) -> None:
        if self.op not in FIELD_OPERATIONS:
            raise ValueError(f"unknown derivative operation {self.op!r}; expected one of"
                             f" {', '.join(FIELD_OPERATIONS)}")
        if (self.axis is None) == (self.op in ("d", "dd")):
            takes = "an axis" if self.axis is None else "no axis"
            raise ValueError(f"derivative operation {self.op!r} takes {takes}; found {self.axis!r}")

    def __call__(self, u: Fields, channel: int) -> torch.Tensor:
        """The values (N,) of this derivative of the field in column ``channel`` of ``u.value``."""
        return FIELD_OPERATIONS[self.op](u, self.axis, channel)


def derivative_request(quantity: Quantity, axes: Sequence[str]) -> DerivativeRequest:
    """The request a compiled operator application stands for, on these axes.

    Raises:
        ValueError: the operator is none of :func:`operator_names` for ``axes``.
    """
    table = _operations(axes)
    if quantity.operator not in table:
        raise ValueError(f"unknown operator {quantity.operator!r} on axes {', '.join(axes)}; expected one"
                         f" of {', '.join(table)}")
    op, axis = table[quantity.operator]
    return DerivativeRequest(op, axis, quantity.field)


def _operations(axes: Sequence[str]) -> dict[str, tuple[str, str | None]]:
    """Operator name → (operation, axis). Where names collide, later entries win: a first
    derivative over a second (axes ``x`` and ``xx``), the Laplacian and ``dn`` over both."""
    table: dict[str, tuple[str, str | None]] = {f"d{a}{a}": ("dd", a) for a in axes}
    table.update({f"d{a}": ("d", a) for a in axes})
    table.update({LAPLACIAN: ("lap", None), NORMAL_DERIVATIVE: ("dn", None)})
    table[VECTOR_NORM] = ("norm_grad", None)
    return table
