"""The free part of a marched window: B·N with B = (τ/Δ)^p · s · χ(x).

* τ/Δ, the time into the window over its length, and s, the size of the data the window starts
  from: a network of unit output then changes u by about as much as the data over the window. A
  narrow pulse of height 0.02 over a window of 0.05 would otherwise need N ≈ 10, a size Adam
  takes thousands of steps to reach from the SIREN's initial O(1).
* χ, a cutoff to the window's *reach*: the box the wave can get to from where the data are, in
  the window's time (:mod:`sirenpde.training.reach`). Outside it the field is the start's free
  flight, g + τ·h, untouched by the network, as the exact solution is; so the network spends
  itself on the box, and resolves a pulse the whole space would dilute. χ is 1 on the reach and
  falls to 0 across a band beyond it, on each cut side, as the quintic smoothstep S(q) = 10q³ −
  15q⁴ + 6q⁵ of the distance into the band (C², so the residual has no jump); the box is the reach
  and its bands. A side the reach shares with the space is not cut (the boundary condition holds
  there, not zero).

* with a cone, also :class:`~sirenpde.model.cone_cutoff.ConeCut`'s round cutoff, zero beyond
  where the wave can be by the window's end; with walls, :class:`~sirenpde.model.walls.Walls`'
  factor, zero on the box's sides where u = 0. B is the product of the time factor and all of them.

A frame without a box and with s = Δ^p is the plain window ansatz τ^p·N.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from .axis_product import axis_product_jets
from .cone_cutoff import ConeCut
from .smoothstep import smoothstep, smoothstep_jets
from .walls import Walls

__all__ = ["Frame", "cutoff", "cutoff_jets"]


def _smoothstep_jets(q: torch.Tensor, sign: float, width: float):
    """S, dS/dx and d²S/dx² for q = sign·(x − edge)/width."""
    value, slope, curve = smoothstep_jets(q)
    return value, slope * (sign / width), curve / width**2


def cutoff_jets(x: torch.Tensor, lo, hi, band, cut_lo,
                cut_hi) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """χ (N,), its gradient (N, d') and pure second derivatives (N, d') at the spatial positions x
    (N, d'), in closed form (forward mode through the clamps and products costs more than the
    network it multiplies)."""
    def sides():
        for a, (low, high, width, at_low, at_high) in enumerate(zip(lo, hi, band, cut_lo, cut_hi,
                                                                    strict=True)):
            if at_low:
                yield (a, *_smoothstep_jets((x[:, a] - low) / width, 1.0, width))
            if at_high:
                yield (a, *_smoothstep_jets((high - x[:, a]) / width, -1.0, width))
    return axis_product_jets(x, sides())


def cutoff(x: torch.Tensor, lo, hi, band, cut_lo, cut_hi) -> torch.Tensor:
    """χ at the spatial positions x (N, d') (see the module docstring), as (N,): the box [lo, hi],
    bands of width ``band`` per axis inside its cut sides."""
    chi = torch.ones(x.shape[0], dtype=x.dtype, device=x.device)
    for a, (low, high, width, at_low, at_high) in enumerate(zip(lo, hi, band, cut_lo, cut_hi, strict=True)):
        if at_low:
            chi = chi * smoothstep((x[:, a] - low) / width)
        if at_high:
            chi = chi * smoothstep((high - x[:, a]) / width)
    return chi


@dataclass(frozen=True)
class Frame:
    """One window's B (see the module docstring).

    Attributes:
        start: t_k.
        step: Δ = t_{k+1} − t_k.
        scale: s.
        lo, hi: the spatial box (the reach and its bands), or ``None`` (no cutoff).
        band: per axis, the width of the band in which χ falls from 1 to 0.
        cut_lo, cut_hi: per axis, whether that side of the box is cut (inside the space).
        cone: the light cone's cutoff, or ``None``.
        walls: the factor that holds u = 0 on walls, or ``None``.
    """

    start: float
    step: float
    scale: float
    lo: tuple[float, ...] | None = None
    hi: tuple[float, ...] | None = None
    band: tuple[float, ...] | None = None
    cut_lo: tuple[bool, ...] | None = None
    cut_hi: tuple[bool, ...] | None = None
    cone: ConeCut | None = None
    walls: Walls | None = None

    def __post_init__(self) -> None:
        if not (self.step > 0 and math.isfinite(self.scale) and self.scale > 0):
            raise ValueError(f"a window frame needs a positive length and scale;"
                             f" found {self.step}, {self.scale}")

    @classmethod
    def plain(cls, start: float, step: float, order: int) -> Frame:
        """B = τ^order: no cutoff, s = Δ^order."""
        return cls(float(start), float(step), float(step) ** order)

    @property
    def cuts(self) -> bool:
        return self.lo is not None and any((*self.cut_lo, *self.cut_hi))

    def factor(self, x: torch.Tensor, order: int) -> torch.Tensor:
        """B at space-time points x (N, d), time last, as (N,)."""
        tau = (x[:, -1] - self.start) / self.step
        b = tau**order * self.scale
        if self.cuts:
            b = b * cutoff(x[:, :-1], self.lo, self.hi, self.band, self.cut_lo, self.cut_hi)
        for factor in self._spatial():
            b = b * factor.value(x)
        return b

    def _spatial(self) -> list:
        """The factors of B beyond the time factor and the box's cutoff."""
        return [f for f in (self.cone, self.walls) if f is not None]

    def jets(self, x: torch.Tensor, order: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """B (N,), its gradient (N, d) and pure second derivatives (N, d) at space-time points x
        (N, d), time last, in closed form."""
        tau = (x[:, -1] - self.start) / self.step
        t_value = self.scale * tau**order
        t_slope = self.scale * order * tau ** (order - 1) / self.step
        t_curve = torch.full_like(tau, self.scale * order * (order - 1) / self.step**2)  # order ≤ 2
        if self.cuts:
            chi, chi_grad, chi_second = cutoff_jets(x[:, :-1], self.lo, self.hi, self.band, self.cut_lo,
                                                    self.cut_hi)
        else:
            chi, chi_grad = torch.ones_like(tau), torch.zeros_like(x[:, :-1])
            chi_second = chi_grad
        grad = torch.cat([t_value[:, None] * chi_grad, (t_slope * chi)[:, None]], dim=1)
        second = torch.cat([t_value[:, None] * chi_second, (t_curve * chi)[:, None]], dim=1)
        value = t_value * chi
        for factor in self._spatial():  # the product rule, one factor at a time
            f, f_grad, f_second = factor.jets(x)
            second = second * f[:, None] + 2 * grad * f_grad + value[:, None] * f_second
            value, grad = value * f, grad * f[:, None] + value[:, None] * f_grad
        return value, grad, second

    def description(self) -> dict:
        return {"start": self.start, "step": self.step, "scale": self.scale, "lo": self.lo, "hi": self.hi,
                "band": self.band, "cut_lo": self.cut_lo, "cut_hi": self.cut_hi,
                "cone": None if self.cone is None else self.cone.description(),
                "walls": None if self.walls is None else self.walls.description()}

    @classmethod
    def from_description(cls, description: dict) -> Frame:
        def tupled(key, kind):
            value = description.get(key)
            return None if value is None else tuple(kind(v) for v in value)
        return cls(float(description["start"]), float(description["step"]), float(description["scale"]),
                   tupled("lo", float), tupled("hi", float), tupled("band", float), tupled("cut_lo", bool),
                   tupled("cut_hi", bool),
                   None if description.get("cone") is None else ConeCut.from_description(description["cone"]),
                   None if description.get("walls") is None else Walls.from_description(description["walls"]))
