"""Shared by the problem builders: named terms with default point counts become constraints."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import torch

from ..constraints.constraint import Constraint
from ..derivatives.fields import Fields
from ..domains.regions import Region
from ..expressions.coefficients import Coefficient, evaluate

__all__ = ["Term", "constraints_from_terms", "neumann_residual", "periodic_residual", "value_residual"]

Term = tuple[str, Region, Callable[[Fields], torch.Tensor], int]
"""(constraint name, region, residual, default points per step)."""


def constraints_from_terms(
    terms: Sequence[Term],
    points: Mapping[str, int] | None,
    weights: Mapping[str, float] | None,
    norm: str,
) -> tuple[Constraint, ...]:
    """One :class:`Constraint` per term, with per-name overrides of points and weights.

    Raises:
        ValueError: ``points`` or ``weights`` name a constraint that is not among the terms.
    """
    points, weights = dict(points or {}), dict(weights or {})
    names = [t[0] for t in terms]
    unknown = (set(points) | set(weights)) - set(names)
    if unknown:
        raise ValueError(
            f"points/weights name unknown constraints {sorted(unknown)}; the constraints are"
            f" {', '.join(names)}"
        )
    return tuple(
        Constraint(name, region, residual, points.get(name, n), weights.get(name, 1.0), norm)
        for name, region, residual, n in terms
    )


def value_residual(g: Coefficient) -> Callable[[Fields], torch.Tensor]:
    """u − g: Dirichlet conditions and initial values."""

    def residual(u: Fields) -> torch.Tensor:
        return u.value[:, 0] - evaluate(g, u)

    return residual


def neumann_residual(h: Coefficient) -> Callable[[Fields], torch.Tensor]:
    """∂u/∂n − h on a boundary."""

    def residual(u: Fields) -> torch.Tensor:
        return u.normal_derivative[:, 0] - evaluate(h, u)

    return residual


def periodic_residual(axis: str, period: float, wavenumber: float) -> Callable[[Fields], torch.Tensor]:
    """On the face ``axis = lo``: u(x) − u(x + period·e_axis) and
    (∂u/∂axis(x) − ∂u/∂axis(x + period·e_axis)) / wavenumber, two rows of the size of u."""

    def residual(u: Fields) -> torch.Tensor:
        shift = torch.zeros_like(u.x[:1])
        shift[0, u.axis(axis)] = period
        image = u.at(u.x + shift)
        value = u.value[:, 0] - image.value[:, 0]
        slope = (u.partial(axis)[:, 0] - image.partial(axis)[:, 0]) / wavenumber
        return torch.stack([value, slope], dim=1)

    return residual
