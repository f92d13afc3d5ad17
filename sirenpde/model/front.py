"""The wave front as one more input of a SIREN: ρ(x, t) = (d(x) − c·(t − t₀)) / L.

A wave from data that live on a small part of the space (a pulse) travels out from them at the
speed c, so at time t its front lies where the distance d(x) to the data is c·(t − t₀). Along the
front the field is nearly a function of that one number — a ring of one profile — but to a SIREN of
x and t it is a curve that grows longer as it travels, and a network of fixed size draws it worse
in every window of a march. Given ρ as an input, the first layer's sines can follow the ring
directly. ρ is an input only: nothing forces the field to be a function of it.

d is a smooth distance from the data, each connected part of their support held as one centre
``c_j`` (:func:`parts`): s_j = √(|x − c_j|² + ε²), d = −ε·log Σ_j exp(−s_j/ε) — a soft minimum,
so ρ is smooth everywhere (a plain distance has a kink where two centres are equally near, and a
cone at each centre, where a second derivative blows up). With one centre, d is s_1, and the
front's level sets are circles (spheres) about it. A centre per part, not a cover of the support
by many: the soft minimum over a cover has level sets rippled by its cells, as deep as a narrow
pulse is wide. L scales ρ like the spatial inputs (the half-width of the first window's box).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import torch
from torch import nn

from .ansatz import Groups

__all__ = ["FrontDistance", "parts"]


class FrontDistance(nn.Module):
    """ρ (see the module docstring). Shapes: points (N, d'+1), time last → (N, 1).

    Args:
        centers: the support's centres, (M, d') nested lists.
        width: ε, the smoothing length (of the square root and of the soft minimum).
        speed: c.
        start: t₀, when the waves leave the data.
        scale: L.
    """

    def __init__(self, centers: Sequence[Sequence[float]], width: float, speed: float, start: float,
                 scale: float):
        super().__init__()
        self.description = {"centers": [list(map(float, c)) for c in centers], "width": float(width),
                            "speed": float(speed), "start": float(start), "scale": float(scale)}
        if not (len(centers) and width > 0 and speed > 0 and scale > 0):
            raise ValueError(f"a front needs centres and positive width, speed and scale; found"
                             f" {len(centers)} centres, {width}, {speed}, {scale}")
        self.register_buffer("centers", torch.tensor(self.description["centers"], dtype=torch.float64))
        self.width, self.speed = float(width), float(speed)
        self.start, self.scale = float(start), float(scale)

    def _distances(self, space: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """s_j (N, M), x − c_j (N, M, d') and the soft-min weights (N, M)."""
        offset = space[:, None, :] - self.centers.to(space.dtype)[None]
        s = torch.sqrt(offset.square().sum(-1) + self.width**2)
        return s, offset, torch.softmax(-s / self.width, dim=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._rho(x, self._distances(x[:, :-1])[0])[:, None]

    def _rho(self, x: torch.Tensor, s: torch.Tensor) -> torch.Tensor:
        """ρ (N,) at points x from their distances s_j (N, M)."""
        d = -self.width * torch.logsumexp(-s / self.width, dim=1)
        return (d - self.speed * (x[:, -1] - self.start)) / self.scale

    def jets(self, x: torch.Tensor, groups: Groups) -> torch.Tensor:
        """ρ, its derivatives along each axis and its grouped second derivatives (sums of pure ones
        over each group's axes), as a stack (1 + d + k, N, 1) in the layout of
        :mod:`sirenpde.derivatives.jet_layers`. In closed form: with w_j the soft-min weights,
        ∂_a d = Σ w_j ∂_a s_j and ∂²_a d = Σ w_j ∂²_a s_j − (Σ w_j (∂_a s_j)² − (∂_a d)²)/ε."""
        space = x[:, :-1]
        spatial = space.shape[1]
        s, offset, w = self._distances(space)
        grad_s = offset / s[:, :, None]                                   # (N, M, d')
        grad = (w[:, :, None] * grad_s).sum(1)                            # (N, d')
        pure_s = (1 - grad_s.square()) / s[:, :, None]
        pure = (w[:, :, None] * (pure_s - grad_s.square() / self.width)).sum(1) + grad.square() / self.width
        rows = [self._rho(x, s)]
        rows += [grad[:, a] / self.scale for a in range(spatial)]
        rows.append(torch.full_like(rows[0], -self.speed / self.scale))   # ∂ρ/∂t
        rows += [sum((pure[:, a] for a in axes if a < spatial), torch.zeros_like(rows[0])) / self.scale
                 for axes in groups]                                      # ∂²ρ/∂t² = 0
        return torch.stack(rows)[:, :, None]


def parts(points: torch.Tensor, cell: float) -> list[tuple[torch.Tensor, float]]:
    """The connected parts of ``points`` (M, d'): points whose cells in a grid of ``cell`` touch
    (by a face, an edge or a corner) are in one part. Each as its points (m, d') and its measure
    (its cells' count × cell^d')."""
    cells, index = torch.unique(torch.floor(points / cell).long(), dim=0, return_inverse=True)
    keys = [tuple(c) for c in cells.tolist()]
    where = {key: i for i, key in enumerate(keys)}
    parent = list(range(len(keys)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    steps = list(itertools.product((-1, 0, 1), repeat=points.shape[1]))
    for i, key in enumerate(keys):
        for step in steps:
            j = where.get(tuple(a + b for a, b in zip(key, step, strict=True)))
            if j is not None:
                parent[root(i)] = root(j)
    labels = torch.tensor([root(i) for i in range(len(keys))])
    return [(points[(labels == label)[index]], int((labels == label).sum()) * cell ** points.shape[1])
            for label in labels.unique().tolist()]
