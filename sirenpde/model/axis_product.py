"""The closed-form jets of a product of one-coordinate factors: F(x) = Π_s f_s(x_{a_s}).

A box's cutoff and a box's walls are both such products, one factor per side. Per axis a, the
factors on it multiply to F_a (value, slope and curvature by the product rule); then
∂_a F = F_a' · Π_{b≠a} F_b and ∂²_a F = F_a'' · Π_{b≠a} F_b (pure second derivatives only).
"""

from __future__ import annotations

from collections.abc import Iterable

import torch

__all__ = ["axis_product_jets"]


def axis_product_jets(x: torch.Tensor, sides: Iterable[tuple[int, torch.Tensor, torch.Tensor, torch.Tensor]]
                      ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """F (N,), its gradient (N, d') and pure second derivatives (N, d') at spatial positions x (N, d'),
    for ``sides`` giving (axis, f, f', f'') of each factor at x, each (N,)."""
    ones, zeros = torch.ones_like(x[:, 0]), torch.zeros_like(x[:, 0])
    d = x.shape[1]
    factors, slopes, curves = [ones] * d, [zeros] * d, [zeros] * d
    for a, v, d1, d2 in sides:
        f, f1, f2 = factors[a], slopes[a], curves[a]
        factors[a], slopes[a], curves[a] = f * v, f1 * v + f * d1, f2 * v + 2 * f1 * d1 + f * d2
    value = torch.stack(factors, dim=1).prod(dim=1)
    others = [torch.stack([factors[b] for b in range(d) if b != a] or [ones], dim=1).prod(dim=1)
              for a in range(d)]
    grad = torch.stack([slopes[a] * others[a] for a in range(d)], dim=1)
    second = torch.stack([curves[a] * others[a] for a in range(d)], dim=1)
    return value, grad, second
