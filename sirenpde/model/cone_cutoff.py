"""A cutoff to where a march's wave can be by a window's end: χ(x) = S((r + b − d(x)) / b).

A wave leaves its data at the speed c at most, so by time t it is nowhere farther than c·(t − t₀)
from them: beyond, the exact field is the data's free flight, and a network allowed to act there
only adds error (a marched window's network, held to nothing ahead of the wave but the points
there, grows a skirt ahead of a round front). With χ in a window's B, the free part is exactly zero
beyond that distance at the window's end, r = c·(t_{k+1} − t₀), and a band b, whatever the network
does. Echoes stay inside: a path by a wall is longer than the straight line. χ does not follow the
cone within the window: one that did (r = c·(t − t₀)), tried on the paper's pulse, left
Levenberg–Marquardt with much larger residuals at each window's end.

d is a smooth distance to a cover of the data by discs (balls), one per connected part of their
support: centre c_j, radius R_j, s_j = √(|x − c_j|² + ε²), d = −ε·log Σ_j exp(−(s_j − R_j)/ε) — a soft
minimum of s_j − R_j, which is at most the smallest, so the cover only grows. S is the quintic
smoothstep (:mod:`sirenpde.model.smoothstep`), C².
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch

from .smoothstep import smoothstep, smoothstep_jets

__all__ = ["ConeCut"]


@dataclass(frozen=True)
class ConeCut:
    """χ (see the module docstring). Shapes: points (N, d'+1), time last (χ does not depend on it).

    Attributes:
        centers: c_j, one per part of the data's support.
        radii: R_j, each part's farthest point from its centre.
        width: ε, the smoothing length of the distance.
        reach: r, how far the wave has gone (c·(t_{k+1} − t₀)).
        band: b, the width in which χ falls from 1 to 0.
    """

    centers: tuple[tuple[float, ...], ...]
    radii: tuple[float, ...]
    width: float
    reach: float
    band: float

    def __post_init__(self) -> None:
        if not (len(self.centers) == len(self.radii) > 0 and self.width > 0 and self.reach >= 0
                and self.band > 0):
            raise ValueError(f"a cone cutoff needs as many centres as radii (at least one), positive width"
                             f" and band and a reach of at least 0; found {len(self.centers)} centres,"
                             f" {len(self.radii)} radii, {self.width}, {self.band}, {self.reach}")

    def _distance(self, space: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """d (N,), its gradient (N, d') and pure second derivatives (N, d'), in closed form: with w_j
        the soft-min weights, ∂_a d = Σ w_j ∂_a s_j and ∂²_a d = Σ w_j ∂²_a s_j − (Σ w_j (∂_a s_j)² −
        (∂_a d)²)/ε."""
        centers = torch.tensor(self.centers, dtype=space.dtype, device=space.device)
        radii = torch.tensor(self.radii, dtype=space.dtype, device=space.device)
        offset = space[:, None, :] - centers[None]                        # (N, M, d')
        s = torch.sqrt(offset.square().sum(-1) + self.width**2)           # (N, M)
        reduced = -(s - radii) / self.width
        d = -self.width * torch.logsumexp(reduced, dim=1)
        w = torch.softmax(reduced, dim=1)[:, :, None]
        grad_s = offset / s[:, :, None]
        grad = (w * grad_s).sum(1)
        pure_s = (1 - grad_s.square()) / s[:, :, None]
        pure = (w * (pure_s - grad_s.square() / self.width)).sum(1) + grad.square() / self.width
        return d, grad, pure

    def value(self, x: torch.Tensor) -> torch.Tensor:
        """χ at points x (N, d'+1), as (N,)."""
        return smoothstep((self.reach + self.band - self._distance(x[:, :-1])[0]) / self.band)

    def jets(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """χ (N,), its gradient (N, d'+1) and pure second derivatives (N, d'+1) at points x."""
        d, grad, pure = self._distance(x[:, :-1])
        value, slope, curve = smoothstep_jets((self.reach + self.band - d) / self.band)
        q = -grad / self.band                                             # ∂q/∂x_a
        zero = torch.zeros_like(value)[:, None]                           # nothing along t
        jac = torch.cat([slope[:, None] * q, zero], dim=1)
        second = torch.cat([curve[:, None] * q.square() - slope[:, None] * pure / self.band, zero], dim=1)
        return value, jac, second

    def description(self) -> dict:
        return {"centers": [list(c) for c in self.centers], "radii": list(self.radii), "width": self.width,
                "reach": self.reach, "band": self.band}

    @classmethod
    def from_description(cls, description: dict) -> ConeCut:
        return cls.of(description["centers"], description["radii"], description["width"],
                      description["reach"], description["band"])

    @classmethod
    def of(cls, centers: Sequence[Sequence[float]], radii: Sequence[float], width: float, reach: float,
           band: float) -> ConeCut:
        """From lists (as measured or stored), every number a float."""
        return cls(tuple(tuple(float(v) for v in c) for c in centers), tuple(float(r) for r in radii),
                   float(width), float(reach), float(band))
