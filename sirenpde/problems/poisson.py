"""Poisson's equation as constraints.

    −∇·(κ∇u) = f      in Ω          (κ = 1, the default: −Δu = f)
       u = g          on Γ_D      (Dirichlet parts)
    ∂u/∂n = h          on Γ_N      (Neumann parts)

plus the supervision terms of the paper's Poisson image experiment: ∇u = v (gradient supervision)
and Δu = L (Laplacian supervision) in Ω.

A variable κ takes the divergence form expanded, −(∇κ·∇u + κΔu) = f: Δu and ∇u are what every
derivative engine hands out (the forward one in closed form), and ∇κ comes from the coefficient
itself (see :mod:`._variable_coefficient`), so no flux has to be differentiated by autograd.
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
from ._variable_coefficient import check_positive, coefficient_gradient

__all__ = ["poisson"]


def poisson(
    domain: AbstractDomain,
    source: Coefficient | None = 0.0,
    *,
    coefficient: Coefficient = 1.0,
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
        source: f in −∇·(κ∇u) = f; ``None`` drops the PDE term (pure supervision problems).
        coefficient: κ > 0: a number, an expression, a callable of the points (N, d) → (N,) that
            torch can differentiate, or a :class:`~sirenpde.domains.media.GriddedMedium`. It is
            checked on its grid samples, or at points drawn in Ω.
        dirichlet: boundary part name (``None`` = whole boundary) → g.
        neumann: boundary part name → h, the outward normal derivative ∂u/∂n (not κ·∂u/∂n).
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

    Raises:
        ValueError: κ is not positive (where, in the message), or a supervision term is malformed.

    Returns:
        A :class:`~sirenpde.Problem` whose constraints are named ``pde``, ``dirichlet:<part>``,
        ``neumann:<part>``, ``gradient`` and ``laplacian`` (``<part>`` is ``boundary`` for ``None``).
    """
    axes = tuple(axes or ("x", "y", "z")[: domain.dim])
    interior = Interior(domain)
    terms: list[Term] = []
    if source is not None:
        check_positive(coefficient, domain, axes)
        terms.append(("pde", interior, _pde_residual(source, coefficient), 2000))
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


def _pde_residual(f: Coefficient, kappa: Coefficient) -> Callable[[Fields], torch.Tensor]:
    if isinstance(kappa, (int, float)) and kappa == 1:
        def residual(u: Fields) -> torch.Tensor:
            return -u.laplacian[:, 0] - evaluate(f, u)

        return residual

    def divergence_form(u: Fields) -> torch.Tensor:
        # Δu first: the forward engine then hands out ∇u from the same pass, not from a reverse one.
        lap = u.laplacian[:, 0]
        grad_u = u.gradient[:, 0, :]
        # −∇·(κ∇u) = −(∇κ·∇u + κΔu)
        div_flux = (coefficient_gradient(kappa, u.x) * grad_u).sum(dim=1) + evaluate(kappa, u) * lap
        return -div_flux - evaluate(f, u)

    return divergence_form


def _gradient(v: tuple[Coefficient, ...]) -> Callable[[Fields], torch.Tensor]:
    def residual(u: Fields) -> torch.Tensor:
        target = torch.stack([evaluate(vi, u) for vi in v], dim=1)
        return u.gradient[:, 0, :] - target

    return residual


def _laplacian(lap: Coefficient) -> Callable[[Fields], torch.Tensor]:
    def residual(u: Fields) -> torch.Tensor:
        return u.laplacian[:, 0] - evaluate(lap, u)

    return residual
