"""Travel times from a point source: the Eikonal equation in factored form.

    c(x)·‖∇T‖ − 1 = 0    in Ω         (pde)
    T(x_s) = 0                         (exact, by construction)

with T = |x − x_s|·τ(x): the network learns the smooth τ (≈ 1/c) and the cone at the source is in
closed form (see :mod:`sirenpde.model.factored`). The residual is dimensionless (a relative slowness
error), so no scale is needed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import torch

from ..constraints.problem import Problem
from ..derivatives.fields import Fields
from ..domains import AbstractDomain
from ..domains.regions import Interior
from ..expressions.coefficients import Coefficient, evaluate
from ..model.ansatz import AnsatzFactory
from ..model.factored import DistanceFactor, FactoredModel
from ._terms import constraints_from_terms

__all__ = ["eikonal"]


def eikonal(
    domain: AbstractDomain,
    source: Sequence[float],
    *,
    speed: Coefficient = 1.0,
    exact: Callable[[torch.Tensor], torch.Tensor] | None = None,
    axes: Sequence[str] | None = None,
    points: Mapping[str, int] | None = None,
    weights: Mapping[str, float] | None = None,
    norm: str = "l2",
) -> Problem:
    """First-arrival travel times T from ``source`` with wave speed ``speed``; one constraint, ``pde``.

    Args:
        domain: where T is wanted; the source must lie in it.
        source: x_s, one coordinate per axis.
        speed: c(x) > 0 (a number, an expression, a gridded medium or a callable of points).
        exact: optional exact T, points (N, d) → (N,).
        axes, points, weights, norm: as in :func:`~sirenpde.poisson`.
    """
    source = [float(v) for v in source]
    if len(source) != domain.dim:
        raise ValueError(f"the source has {len(source)} coordinates but the domain is {domain.dim}-D")
    inside = domain.contains(torch.tensor([source], dtype=torch.float64))
    if not bool(inside[0]):
        raise ValueError(f"the source {source} is outside the domain")
    terms = [("pde", Interior(domain), _slowness_residual(speed), 2000)]
    constraints = constraints_from_terms(terms, points, weights, norm)
    return Problem(domain, constraints, axes=tuple(axes) if axes else None, fields=("T",), exact=exact,
                   kind="eikonal", ansatz=AnsatzFactory(FactoredModel, DistanceFactor(source)))


def _slowness_residual(c: Coefficient) -> Callable[[Fields], torch.Tensor]:
    def residual(u: Fields) -> torch.Tensor:
        return evaluate(c, u) * u.gradient[:, 0].norm(dim=1) - 1

    return residual
