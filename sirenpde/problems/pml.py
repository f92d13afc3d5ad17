"""A stretched-coordinate perfectly matched layer (PML), as in the SIREN paper.

Inside the layer of width L around the physical box, each coordinate is stretched by
``e_i = 1 − i·σ_i/k`` with ``σ_i = k·a0·(d_i/L)^p``, d_i the depth into the layer along axis i
(e_i = 1 in the physical box). The Helmholtz operator becomes

    Σ_i ∂_i((Π_j e_j / e_i²) ∂_i u) + (Π_j e_j)·k²·m·u

which, with the closed-form ∂_i e_i below, needs only u, u_i and u_ii — no derivative of a
coefficient by autograd. The residual is this operator minus f, divided by Π_j e_j (never zero):
Σ_i (u_ii − (∂_i e_i/e_i)·u_i)/e_i² + k²·m·u − f/Π_j e_j. The paper's undivided form weighs the layer
by |Π e|² ≈ 26² at its outer edge (a0 = 5), so the loss is spent on the layer, three quarters of the
box, rather than on the physical region. With this stretch outgoing waves are e^{−ikr} (time factor e^{+iωt}).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

__all__ = ["PML"]


@dataclass(frozen=True)
class PML:
    """The layer's width L, strength a0 and profile power p (paper: L = 0.5, a0 = 5, p = 2)."""

    width: float
    strength: float = 5.0
    power: float = 2.0

    def __post_init__(self) -> None:
        if not (self.width > 0 and self.strength >= 0 and self.power >= 1):
            raise ValueError(
                f"PML needs width > 0, strength ≥ 0 and power ≥ 1; found width={self.width},"
                f" strength={self.strength}, power={self.power}"
            )

    def check_fits(self, lo: np.ndarray, hi: np.ndarray) -> None:
        """The layer must leave a physical region: width < half the box along every axis."""
        if np.any(2 * self.width >= np.asarray(hi) - np.asarray(lo)):
            raise ValueError(
                f"a PML of width {self.width} on both sides leaves no physical region in the box"
                f" {list(lo)} – {list(hi)}; make it narrower than half the box"
            )

    def stretch(self, x: torch.Tensor, lo, hi) -> tuple[torch.Tensor, torch.Tensor]:
        """The factors e_i and their derivatives ∂e_i/∂x_i at points (N, d), both complex (N, d).

        Args:
            x: points (N, d).
            lo, hi: the bounding box of the whole domain, PML included.
        """
        inner_lo = torch.as_tensor(np.asarray(lo) + self.width, dtype=x.dtype, device=x.device)
        inner_hi = torch.as_tensor(np.asarray(hi) - self.width, dtype=x.dtype, device=x.device)
        below, above = (inner_lo - x).clamp(min=0), (x - inner_hi).clamp(min=0)
        depth = (below + above) / self.width  # d/L in [0, 1]
        outward = torch.where(above > 0, 1.0, -1.0).to(x.dtype)  # the sign of ∂d/∂x
        a0, p = self.strength, self.power
        e = torch.complex(torch.ones_like(x), -a0 * depth**p)
        de = torch.complex(torch.zeros_like(x), -a0 * p * depth ** (p - 1) * outward / self.width)
        return e, torch.where(depth > 0, de, torch.zeros_like(de))

    def physical_box(self, lo, hi) -> tuple[np.ndarray, np.ndarray]:
        """The corners of the physical region, the box inside the layer, given the whole box [lo, hi]."""
        return np.asarray(lo, float) + self.width, np.asarray(hi, float) - self.width

    def physical_mask(self, x: np.ndarray, lo, hi) -> np.ndarray:
        """True for points (N, d) of the physical region (outside the layer)."""
        inner_lo, inner_hi = self.physical_box(lo, hi)
        return np.all((x >= inner_lo) & (x <= inner_hi), axis=1)
