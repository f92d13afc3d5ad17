"""Poisson's equation as constraints.

    −Δu = f          in Ω
       u = g          on Γ_D      (Dirichlet parts)
    ∂u/∂n = h          on Γ_N      (Neumann parts)

plus the supervision terms of the paper's Poisson image experiment: ∇u = v (gradient supervision)
and Δu = L (Laplacian supervision) in Ω.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import torch

from ..constraints.names import constraint_name
from ..constraints.problem import Problem
from ..derivatives.fields import Fields
from ..domains import AbstractDomain
from ..domains.regions import Boundary, Interior
from ..expressions.coefficients import Coefficient, evaluate
from ..model.hard_dirichlet import dirichlet_ansatz
from ._terms import Term, constraints_from_terms, neumann_residual, value_residual

__all__ = ["poisson"]


def poisson(
    domain: AbstractDomain,
    source: Coefficient | None = 0.0,
    *,
    dirichlet: Mapping[str | None, Coefficient] | None = None,
    neumann: Mapping[str | None, Coefficient] | None = None,
    gradient: Sequence[Coefficient] | None = None,
    laplacian: Coefficient | None = None,
    exact: Callable[[torch.Tensor], torch.Tensor] | None = None,
    axes: Sequence[str] | None = None,
    points: Mapping[str, int] | None = None,
    weights: Mapping[str, float] | None = None,
    norm: str = "l2",
    exact_dirichlet: bool = False,
) -> Problem:
    """Build a Poisson problem.

    Args:
        domain: Ω.
        source: f in −Δu = f; ``None`` drops the PDE term (pure supervision problems).
        dirichlet: boundary part name (``None`` = whole boundary) → g.
        neumann: boundary part name → h, the outward normal derivative.
        gradient: v, one coefficient per axis, to fit ∇u = v in Ω.
        laplacian: L, to fit Δu = L in Ω.
        exact: optional exact solution, points (N, d) → (N,) or (N, 1).
        axes: coordinate names (default x, y, z by dimension).
        points: samples per step by constraint name (``pde``, ``dirichlet:<part>`` …); the default is
            2000 in the interior and 500 on each boundary part.
        weights: loss weight by constraint name (default 1).
        norm: ``"l2"`` (mean squared residual) or ``"l1"``.
        exact_dirichlet: impose the Dirichlet conditions exactly, u = g + φ·N (see
            :mod:`sirenpde.model.hard_dirichlet`); their terms leave the loss. They must share one
            value g, without the normal, on parts a distance function is built for.

    Returns:
        A :class:`~sirenpde.Problem` whose constraints are named ``pde``, ``dirichlet:<part>``,
        ``neumann:<part>``, ``gradient`` and ``laplacian`` (``<part>`` is ``boundary`` for ``None``).
    """
    axes = tuple(axes or ("x", "y", "z")[: domain.dim])
    interior = Interior(domain)
    terms: list[Term] = []
    if source is not None:
        terms.append(("pde", interior, _pde_residual(source), 2000))
    for part, g in ({} if exact_dirichlet else dirichlet or {}).items():
        terms.append((constraint_name("dirichlet", part), Boundary(domain, part), value_residual(g), 500))
    for part, h in (neumann or {}).items():
        terms.append((constraint_name("neumann", part), Boundary(domain, part), neumann_residual(h), 500))
    if gradient is not None:
        if len(gradient) != domain.dim:
            raise ValueError(f"gradient supervision needs {domain.dim} components; found {len(gradient)}")
        terms.append(("gradient", interior, _gradient(tuple(gradient)), 2000))
    if laplacian is not None:
        terms.append(("laplacian", interior, _laplacian(laplacian), 2000))
    constraints = constraints_from_terms(terms, points, weights, norm)
    ansatz = dirichlet_ansatz(domain, dirichlet or {}) if exact_dirichlet else None
    return Problem(domain, constraints, axes=axes, fields=("u",), exact=exact, kind="poisson", ansatz=ansatz)


def _pde_residual(f: Coefficient) -> Callable[[Fields], torch.Tensor]:
    def residual(u: Fields) -> torch.Tensor:
        return -u.laplacian[:, 0] - evaluate(f, u)

    return residual


def _gradient(v: tuple[Coefficient, ...]) -> Callable[[Fields], torch.Tensor]:
    def residual(u: Fields) -> torch.Tensor:
        target = torch.stack([evaluate(vi, u) for vi in v], dim=1)
        return u.gradient[:, 0, :] - target

    return residual


def _laplacian(lap: Coefficient) -> Callable[[Fields], torch.Tensor]:
    def residual(u: Fields) -> torch.Tensor:
        return u.laplacian[:, 0] - evaluate(lap, u)

    return residual
