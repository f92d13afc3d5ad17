"""The Helmholtz equation for a complex field u, as constraints.

    (Δu + k²·m(x)·u − f) / k² = 0           in Ω (stretched by a PML where one is given, see pml.py)
    u = g,  ∂u/∂n = h,  ∂u/∂n + α·u = g     on Dirichlet, Neumann and Robin parts
    ∂u/∂n + i·k·u = 0                        first-order Sommerfeld (outgoing) on absorbing parts

Time convention e^{+iωt}: outgoing waves behave like e^{−ikr}, which is what the PML absorbs and
what the Sommerfeld condition lets through. The interior residual is divided by k², so that it is
of the size of u itself and a boundary misfit weighs the same at any wavenumber (measured on
DeepXDE's k = 4π benchmark: relative L2 3.3e-2 unscaled with boundary weight 100, 9.0e-3 scaled
with weight 1, same steps). Point sources are unit-mass Gaussians of standard
deviation ``sigma``; each also gets a disc of extra samples every step, where the field is steep.

With a PML, the physical region's share of the interior points is drawn there alone (the term
``pde:physical``): the layer only has to absorb, while the field is wanted, and measured, inside it.
A uniform draw spends three quarters of the paper's points on the layer.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import torch

from ..constraints.names import constraint_name
from ..constraints.problem import Problem
from ..derivatives.fields import Fields
from ..domains import AbstractDomain, Ball
from ..domains.clipped import Clipped
from ..domains.regions import Boundary, Interior
from ..expressions.coefficients import Coefficient, evaluate
from ..model.ansatz import AnsatzFactory
from ..model.hard_dirichlet import dirichlet_ansatz
from ..model.source_splitting import SourceSplitting, SplitModel
from ._terms import Term, constraints_from_terms, value_residual
from .pml import PML

__all__ = ["helmholtz", "PointSource"]


@dataclass(frozen=True)
class PointSource:
    """A Gaussian-smoothed point source: ``amplitude · N(x; center, sigma² I)``."""

    center: tuple[float, ...]
    amplitude: complex = 1.0
    sigma: float = 0.01

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        c = torch.as_tensor(self.center, dtype=x.dtype, device=x.device)
        d = x.shape[1]
        r2 = ((x - c) ** 2).sum(dim=1)
        mass = (2 * math.pi * self.sigma**2) ** (-d / 2)
        return complex(self.amplitude) * mass * torch.exp(-r2 / (2 * self.sigma**2))


def helmholtz(
    domain: AbstractDomain,
    k: float,
    *,
    slowness2: Coefficient = 1.0,
    source: Coefficient = 0.0,
    point_sources: Sequence[PointSource] = (),
    source_radius: float = 0.05,
    source_points: int = 100,
    split_sources: bool | None = None,
    split_width: float | None = None,
    dirichlet: Mapping[str | None, Coefficient] | None = None,
    neumann: Mapping[str | None, Coefficient] | None = None,
    robin: Mapping[str | None, tuple[Coefficient, Coefficient]] | None = None,
    sommerfeld: Sequence[str | None] = (),
    pml: PML | None = None,
    physical_points: int | None = None,
    exact: Callable[[torch.Tensor], torch.Tensor] | None = None,
    axes: Sequence[str] | None = None,
    points: Mapping[str, int] | None = None,
    weights: Mapping[str, float] | None = None,
    norm: str = "l2",
    exact_dirichlet: bool = False,
) -> Problem:
    """Build a Helmholtz problem; constraints are named ``pde``, ``source:<i>``, ``dirichlet:<part>``,
    ``neumann:<part>``, ``robin:<part>`` and ``sommerfeld:<part>``.

    Args:
        domain: Ω, PML layer included.
        k: the wavenumber.
        slowness2: m(x), the squared slowness (1 for a homogeneous medium).
        source: a distributed source term f.
        point_sources: Gaussian point sources added to f.
        source_radius: radius of the disc of extra samples around each point source.
        source_points: samples per step in each of those discs.
        split_sources: write u = Σ A_s·ψ_s + network, with the steep static part ψ_s of each point
            source in closed form (see :mod:`sirenpde.model.source_splitting`); implemented in 2-D, where
            the default ``None`` turns it on.
        split_width: the width a the network sees the sources smeared to; default 2/k (about a
            third of a wavelength).
        dirichlet, neumann: part → g / h.
        robin: part → (α, g) for ∂u/∂n + α·u = g.
        sommerfeld: parts with the first-order absorbing condition ∂u/∂n + i·k·u = 0.
        pml: a perfectly matched layer occupying the outer ``pml.width`` of the bounding box.
        physical_points: with a PML, how many of the ``pde`` points per step are drawn in the
            physical region alone (the term ``pde:physical``, same residual and weight); the rest
            are drawn over the whole domain. Default: the physical region's share of the domain's
            measure; 0 draws them all over the whole domain.
        exact: optional exact solution, points (N, d) → complex (N,) or (N, 1).
        axes, points, weights, norm, exact_dirichlet: as in :func:`~sirenpde.poisson` (the exact
            form is one ansatz, so it excludes source splitting).
    """
    if not (k > 0 and math.isfinite(k)):
        raise ValueError(f"the wavenumber k must be positive and finite; found {k}")
    axes = tuple(axes or ("x", "y", "z")[: domain.dim])
    lo, hi = domain.bounds()
    if pml is not None:
        pml.check_fits(lo, hi)
    pde = _pde_residual(k, slowness2, source, tuple(point_sources), pml, lo, hi)
    points, weights = dict(points or {}), dict(weights or {})
    terms = _interior_terms(domain, pde, pml, points, weights, physical_points)
    for i, s in enumerate(point_sources):
        disc = Interior(Ball(tuple(s.center), source_radius))
        terms.append((constraint_name("source", i), disc, pde, source_points))
    for part, g in ({} if exact_dirichlet else dirichlet or {}).items():
        terms.append((constraint_name("dirichlet", part), Boundary(domain, part), value_residual(g), 500))
    for part, h in (neumann or {}).items():
        terms.append((constraint_name("neumann", part), Boundary(domain, part), _robin(0.0, h), 500))
    for part, (alpha, g) in (robin or {}).items():
        terms.append((constraint_name("robin", part), Boundary(domain, part), _robin(alpha, g), 500))
    for part in sommerfeld:
        terms.append((constraint_name("sommerfeld", part), Boundary(domain, part), _robin(1j * k, 0.0), 500))
    constraints = constraints_from_terms(terms, points, weights, norm)
    known = None
    if split_sources is None:
        split_sources = domain.dim == 2
    if split_sources and point_sources:
        known = SourceSplitting([s.center for s in point_sources], [s.amplitude for s in point_sources],
                                [s.sigma for s in point_sources], split_width or 2.0 / k)
    ansatz = None if known is None else AnsatzFactory(SplitModel, known)
    if exact_dirichlet:
        if ansatz is not None:
            raise ValueError("exact Dirichlet conditions cannot be combined with source splitting (one ansatz"
                             " per problem); set split_sources=False")
        ansatz = dirichlet_ansatz(domain, dirichlet or {}, channels=2)
    return Problem(domain, constraints, axes=axes, fields=("u",), exact=exact, kind="helmholtz",
                   complex=True, wavenumber=float(k), ansatz=ansatz)


def _interior_terms(domain: AbstractDomain, pde, pml: PML | None, points: dict[str, int],
                    weights: dict[str, float], physical_points: int | None) -> list[Term]:
    """``pde`` over Ω and, with a PML, ``pde:physical`` over the physical region; ``points["pde"]``
    (the total) is split between them and ``weights["pde"]`` holds for both (both dicts are updated)."""
    total = points.pop("pde", 4000)
    if pml is None:
        if physical_points:
            raise ValueError("physical_points needs a PML: without one the whole domain is physical")
        return [("pde", Interior(domain), pde, total)]
    physical_region = Clipped(domain, *pml.physical_box(*domain.bounds()))
    if physical_points is None:
        physical_points = round(total * physical_region.volume() / domain.volume())
    if not 0 <= physical_points < total:
        raise ValueError(f"physical_points must be ≥ 0 and fewer than the pde points ({total});"
                         f" found {physical_points}")
    terms: list[Term] = [("pde", Interior(domain), pde, total - physical_points)]
    if physical_points:
        name = constraint_name("pde", "physical")
        terms.append((name, Interior(physical_region), pde, physical_points))
        if "pde" in weights:
            weights.setdefault(name, weights["pde"])
    return terms


def _pde_residual(k, slowness2, source, point_sources, pml, lo, hi) -> Callable[[Fields], torch.Tensor]:
    def forcing(u: Fields) -> torch.Tensor:
        f = evaluate(source, u)
        for s in point_sources:
            f = f + s(u.x)
        return f

    def residual(u: Fields) -> torch.Tensor:
        return operator(u) / k**2

    def operator(u: Fields) -> torch.Tensor:
        value = u.value[:, 0]
        m = evaluate(slowness2, u)
        if pml is None:
            return u.laplacian[:, 0] + k**2 * m * value - forcing(u)
        e, de = pml.stretch(u.x, lo, hi)
        # Σ_i ∂_i((Π e / e_i²) ∂_i u) + Π e·k²·m·u = f, divided by Π e (never 0):
        # ∂_i((Π e / e_i²) ∂_i u) / Π e = (u_ii − (∂_i e_i / e_i)·u_i) / e_i²
        stretched = sum(
            (u.second(i)[:, 0] - de[:, i] / e[:, i] * u.partial(i)[:, 0]) / e[:, i] ** 2
            for i in range(e.shape[1])
        )
        return stretched + k**2 * m * value - forcing(u) / e.prod(dim=1)

    return residual


def _robin(alpha: Coefficient, g: Coefficient) -> Callable[[Fields], torch.Tensor]:
    def residual(u: Fields) -> torch.Tensor:
        return u.normal_derivative[:, 0] + evaluate(alpha, u) * u.value[:, 0] - evaluate(g, u)

    return residual
