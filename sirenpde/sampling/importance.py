"""Importance sampling near sources: a mixture of the region and balls around given centres.

Of a batch of n points, m_j come from the ball B_j (uniform in B_j ∩ Ω, by rejection against the
domain) for each of the J centres, and n − m = n − Σ m_j uniformly from the region Ω. Treating the
batch as J + 1 strata with fixed counts, the balance heuristic of multiple importance sampling
(Veach & Guibas 1995) gives each point the weight

    r(x) = p_Ω(x) / p_mix(x),  p_mix(x) = ((n − m)/n)·p_Ω(x) + Σ_j (m_j/n)·q_j(x),

with p_Ω = 1/|Ω| and q_j = 1[x ∈ B_j ∩ Ω]/|B_j ∩ Ω|, i.e.

    r(x) = 1 / ((n − m)/n + Σ_j (m_j/n) · |Ω| · 1[x ∈ B_j] / |B_j ∩ Ω|),

and E[(1/n) Σ_x r(x)·ε(x)] = (1/|Ω|) ∫_Ω ε: the reweighted mean is an unbiased estimate of the plain
mean penalty, whatever the fraction (tests/test_sampling_strategies.py checks it on a peaked
integrand). Region points that happen to fall in a ball get the same weight as near points there.

|B_j ∩ Ω| = a_j·|B_j|, with a_j the fraction of the ball inside Ω: exactly 1 when the ball lies in Ω,
otherwise estimated once from 2¹⁶ scrambled Sobol points of the ball with a fixed seed (no effect on
the run's random stream). |Ω| is the domain's ``volume()`` (exact for boxes, balls, polygons and
space-time products of them; itself a fixed Monte-Carlo estimate for unions and differences).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch

from ..domains import AbstractDomain, Ball, Box, Sampler, SobolSampler
from ..domains.regions import Interior, Region
from .strategies import NearPoints

__all__ = ["NearSampler"]

_ESTIMATE_POINTS = 2**16
_MAX_ROUNDS = 64


def _ball(center: tuple[float, ...], radius: float) -> AbstractDomain:
    if len(center) == 1:
        return Box((center[0] - radius,), (center[0] + radius,))
    return Ball(center, radius)


@dataclass(frozen=True, eq=False)
class NearSampler:
    """Draws a :class:`~sirenpde.NearPoints` mixture on ``region`` (an :class:`~sirenpde.Interior`),
    with each point's density ratio (see the module docstring).

    Args:
        spec: centres, radius and fraction.
        region: where the constraint holds; must be a domain's interior.
        name: the constraint's name, for errors.
    """

    spec: NearPoints
    region: Region
    name: str = "constraint"
    _balls: tuple[AbstractDomain, ...] = field(init=False, repr=False)
    _inside: tuple[float, ...] = field(init=False, repr=False)  # a_j
    _density: tuple[float, ...] = field(init=False, repr=False)  # |Ω| / |B_j ∩ Ω|

    def __post_init__(self) -> None:
        if not isinstance(self.region, Interior):
            raise ValueError(f"constraint {self.name!r}: near-source sampling needs a domain's interior"
                             f" (uniform in volume); found {self.region.describe()}; drop its sampling")
        d = self.region.domain.dim
        if len(self.spec.centers[0]) != d:
            raise ValueError(f"constraint {self.name!r}: near-source centres have {len(self.spec.centers[0])}"
                             f" coordinates but the region is {d}-dimensional; give {d} per centre")
        balls = tuple(_ball(c, self.spec.radius) for c in self.spec.centers)
        inside = tuple(self._fraction_inside(b) for b in balls)
        for c, a in zip(self.spec.centers, inside, strict=True):
            if a == 0.0:
                raise ValueError(f"constraint {self.name!r}: the ball of radius {self.spec.radius:g} around"
                                 f" {list(c)} misses the region; move the centre or enlarge the radius")
        object.__setattr__(self, "_balls", balls)
        object.__setattr__(self, "_inside", inside)
        # Computed once: a union's or difference's volume is itself an estimate, not free.
        volume = self.region.domain.volume()
        ratios = tuple(volume / (a * b.volume()) for a, b in zip(inside, balls, strict=True))
        object.__setattr__(self, "_density", ratios)

    def _fraction_inside(self, ball: AbstractDomain) -> float:
        probe = SobolSampler(torch.Generator().manual_seed(0), "cpu", torch.float64)
        x = ball.sample_interior(_ESTIMATE_POINTS, probe)
        count = int(self.region.domain.contains(x).sum())
        return 1.0 if count == _ESTIMATE_POINTS else count / _ESTIMATE_POINTS

    def counts(self, n: int) -> list[int]:
        """Points per ball for a batch of ``n``: round(fraction·n) in all, shared as evenly as possible."""
        m = min(n, max(0, round(self.spec.fraction * n)))
        j = len(self._balls)
        return [m // j + (1 if i < m % j else 0) for i in range(j)]

    def ratio(self, x: torch.Tensor, n: int) -> torch.Tensor:
        """r(x) = p_Ω(x)/p_mix(x) for points (N, d) of Ω in a batch of ``n`` (see the module docstring)."""
        counts = self.counts(n)
        density = torch.full((x.shape[0],), (n - sum(counts)) / n, dtype=torch.float64, device=x.device)
        for ball, ratio, m in zip(self._balls, self._density, counts, strict=True):
            density = density + (m / n) * ratio * ball.contains(x).to(torch.float64)
        return (1.0 / density).to(x.dtype)

    def draw(self, n: int, sampler: Sampler) -> tuple[torch.Tensor, torch.Tensor]:
        """``n`` points (n, d) of the mixture and their weights r (n,)."""
        pieces = [self._in_ball(ball, a, m, sampler)
                  for ball, a, m in zip(self._balls, self._inside, self.counts(n), strict=True)]
        rest, _ = self.region.sample(n - sum(p.shape[0] for p in pieces), sampler)
        x = torch.cat([*pieces, rest])
        return x, self.ratio(x, n)

    def _in_ball(self, ball: AbstractDomain, a: float, m: int, sampler: Sampler) -> torch.Tensor:
        """``m`` points uniform in ball ∩ Ω: ball draws, those outside the domain rejected."""
        kept, have = [], 0
        for _ in range(_MAX_ROUNDS):
            if have >= m:
                break
            x = ball.sample_interior(math.ceil(1.25 * (m - have) / a) + 8, sampler)
            x = x[self.region.domain.contains(x)]
            kept.append(x)
            have += x.shape[0]
        else:
            if have < m:
                raise RuntimeError(f"constraint {self.name!r}: near-source sampling kept {have} of {m}"
                                   f" points after {_MAX_ROUNDS} rounds; enlarge the radius or move the"
                                   " centre inward")
        return torch.cat(kept)[:m] if kept else ball.sample_interior(0, sampler)
