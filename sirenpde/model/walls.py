"""A factor that holds u = 0 on a box's walls exactly in a marched window: w(x) = Π tanh(d_s(x)/ℓ).

A march's window writes u = g + τ·h + B·N. Where a wall's condition is u = 0 and the data the march
starts from are zero there (or negligible: their tails), g and h on the wall are those data in every
window (each is the last window's u and u_t there), so a factor of B that vanishes on the wall holds
u there to them whatever the network does: the wall's term leaves the loss. Held only by a
penalty, a wall is an extra fit on the sliver of it inside the window's light cone, one that the
loss's natural scales weigh far above the PDE in a window much shorter than the interval (the
PDE's scale grows as the time axis shortens); on two pulses in a box, the window whose cone first
reached a wall fitted its PDE far less closely with the wall's term than without it
(docs/benchmarks.md).

d_s is the distance to wall s (x_a − lo_a or hi_a − x_a), ℓ the factor's length. tanh has slope
1/ℓ at the wall, so u may leave it with any slope (a wave reflects off it with u_x ≠ 0), and is
1 to within 2·e^(−2d/ℓ) farther in.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from .axis_product import axis_product_jets

__all__ = ["Walls"]


@dataclass(frozen=True)
class Walls:
    """w (see the module docstring). Shapes: points (N, d'+1), time last (w does not depend on it).

    Attributes:
        lo, hi: the box's bounds per spatial axis.
        at_lo, at_hi: per axis, whether that side is a wall with u = 0.
        length: ℓ.
    """

    lo: tuple[float, ...]
    hi: tuple[float, ...]
    at_lo: tuple[bool, ...]
    at_hi: tuple[bool, ...]
    length: float

    def __post_init__(self) -> None:
        sizes = {len(self.lo), len(self.hi), len(self.at_lo), len(self.at_hi)}
        if len(sizes) != 1 or not self.length > 0 or not any((*self.at_lo, *self.at_hi)):
            raise ValueError(f"walls need bounds and sides for every axis, at least one wall and a positive"
                             f" length; found {len(self.lo)}, {len(self.hi)}, {len(self.at_lo)},"
                             f" {len(self.at_hi)} entries, {sum((*self.at_lo, *self.at_hi))} walls,"
                             f" length {self.length}")

    def met(self, cut_lo: tuple[bool, ...], cut_hi: tuple[bool, ...]) -> Walls | None:
        """The walls a box inside the space meets — those on its sides that are not cut (``cut_lo``,
        ``cut_hi`` per axis, as a window's reach has them) — or ``None``: the box's own cutoff is
        zero short of every wall, and the factor would change nothing but round-off."""
        at_lo = tuple(w and not c for w, c in zip(self.at_lo, cut_lo, strict=True))
        at_hi = tuple(w and not c for w, c in zip(self.at_hi, cut_hi, strict=True))
        return Walls(self.lo, self.hi, at_lo, at_hi, self.length) if any((*at_lo, *at_hi)) else None

    def _sides(self):
        """(axis, edge, sign) of each wall: d = sign·(x_axis − edge)."""
        for a, (low, high, at_low, at_high) in enumerate(zip(self.lo, self.hi, self.at_lo, self.at_hi,
                                                             strict=True)):
            if at_low:
                yield a, low, 1.0
            if at_high:
                yield a, high, -1.0

    def value(self, x: torch.Tensor) -> torch.Tensor:
        """w at points x (N, d'+1), as (N,)."""
        w = torch.ones(x.shape[0], dtype=x.dtype, device=x.device)
        for a, edge, sign in self._sides():
            w = w * torch.tanh(sign * (x[:, a] - edge) / self.length)
        return w

    def jets(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """w (N,), its gradient (N, d'+1) and pure second derivatives (N, d'+1) at points x: each
        wall's factor f has f' = s(1 − f²)/ℓ and f'' = −2f(1 − f²)/ℓ² (s its side's sign)."""
        def sides():
            for a, edge, sign in self._sides():
                f = torch.tanh(sign * (x[:, a] - edge) / self.length)
                yield a, f, sign * (1 - f * f) / self.length, -2 * f * (1 - f * f) / self.length**2
        value, grad, second = axis_product_jets(x[:, :-1], sides())
        zero = torch.zeros_like(value)[:, None]  # nothing along t
        return value, torch.cat([grad, zero], dim=1), torch.cat([second, zero], dim=1)

    def description(self) -> dict:
        return {"lo": list(self.lo), "hi": list(self.hi), "at_lo": list(self.at_lo),
                "at_hi": list(self.at_hi), "length": self.length}

    @classmethod
    def from_description(cls, description: dict) -> Walls:
        return cls(tuple(float(v) for v in description["lo"]), tuple(float(v) for v in description["hi"]),
                   tuple(bool(v) for v in description["at_lo"]), tuple(bool(v) for v in description["at_hi"]),
                   float(description["length"]))
