"""The quintic smoothstep S(q) = 10q³ − 15q⁴ + 6q⁵ on [0, 1] (0 below, 1 above): C², so a residual
that takes second derivatives of a cutoff made of it has no jump."""

from __future__ import annotations

import torch

__all__ = ["smoothstep", "smoothstep_jets"]


def smoothstep(q: torch.Tensor) -> torch.Tensor:
    """S(q), elementwise."""
    q = q.clamp(0, 1)
    return q**3 * (10 - 15 * q + 6 * q * q)


def smoothstep_jets(q: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """S(q), S'(q) and S''(q), elementwise (zero slope and curvature outside (0, 1))."""
    inside = (q > 0) & (q < 1)
    value, q = smoothstep(q), q.clamp(0, 1)
    zero = torch.zeros_like(q)
    slope = torch.where(inside, 30 * q * q * (1 - q) ** 2, zero)
    curve = torch.where(inside, 60 * q * (1 - q) * (1 - 2 * q), zero)
    return value, slope, curve
