"""Training that respects causality in time: causal weights and a growing time window.

A space-time residual minimised everywhere at once can settle on a solution that is wrong early on
and "consistent" later (Wang, Sankaran & Perdikaris, "Respecting causality is all you need", 2022).
Two remedies, each usable alone:

* **Causal weights.** The interior residual of a space-time problem is split into ``slices`` equal
  time slices with mean penalties L_1 … L_M; slice i is weighted by
  ``w_i = exp(−ε · Σ_{k<i} L_k)`` (no gradient through w), and the loss is ``mean_i w_i·L_i``.
  A slice is trained only once everything before it is small, so the weights' mass moves forward
  in time as the residuals fall.
* **A growing window** (the paper's curriculum): during the first ``window_fraction`` of the Adam
  steps, every sampled time t is squeezed into ``[t0, t0 + f·(t1 − t0)]`` with f rising linearly
  from ``1/steps`` to 1; the initial slice (t = t0) is untouched.

Both act on the Adam phase only; Levenberg–Marquardt and L-BFGS then polish the plain loss over
the whole interval.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import torch

from ..constraints.constraint import AbstractConstraint, Constraint
from ..constraints.problem import Problem
from ..domains import SpaceTime
from ..domains.regions import Interior

__all__ = ["CAUSAL", "CausalSettings", "CausalWeights", "TimeWindow", "is_causal_target"]


def is_causal_target(constraint: AbstractConstraint) -> bool:
    """Whether causal weights apply: a residual-on-region constraint on a space-time interior."""
    region = constraint.region
    return (isinstance(constraint, Constraint) and isinstance(region, Interior)
            and isinstance(region.domain, SpaceTime))


@dataclass(frozen=True)
class CausalWeights:
    """``w_i = exp(−tolerance · Σ_{k<i} L_k)`` over ``slices`` equal time slices of ``[t0, t1]``."""

    t0: float
    t1: float
    slices: int = 16
    tolerance: float = 1.0

    def __post_init__(self) -> None:
        if self.slices < 1 or not (self.tolerance > 0 and math.isfinite(self.tolerance)):
            raise ValueError(f"causal weights need slices ≥ 1 and a tolerance > 0; found {self.slices},"
                             f" {self.tolerance}")

    def slice_losses(self, t: torch.Tensor, penalty: torch.Tensor) -> torch.Tensor:
        """The mean penalty in each time slice, (slices,); an empty slice counts 0."""
        index = ((t - self.t0) / (self.t1 - self.t0) * self.slices).long().clamp(0, self.slices - 1)
        total = torch.zeros(self.slices, dtype=penalty.dtype, device=penalty.device)
        total = total.index_add(0, index, penalty)
        count = torch.bincount(index, minlength=self.slices).to(penalty.dtype)
        return total / count.clamp(min=1)

    def weights(self, slice_losses: torch.Tensor) -> torch.Tensor:
        """w_i for the given slice losses, (slices,), detached; w_1 = 1."""
        before = torch.cumsum(slice_losses.detach(), 0) - slice_losses.detach()
        return torch.exp(-self.tolerance * before)

    def loss(self, t: torch.Tensor, penalty: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The causally weighted loss and the weights, from each point's time t (N,) and penalty (N,)."""
        per_slice = self.slice_losses(t, penalty)
        w = self.weights(per_slice)
        return (w * per_slice).mean(), w


@dataclass(frozen=True)
class TimeWindow:
    """Squeeze sampled times into a window that grows linearly to the whole interval."""

    t0: float
    ramp_steps: int

    def fraction(self, step: int) -> float:
        """The window's length at ``step`` (0-based) as a fraction of the interval, in (0, 1]."""
        if step >= self.ramp_steps:
            return 1.0
        return (step + 1) / self.ramp_steps

    def squeeze(self, x: torch.Tensor, fraction: float) -> torch.Tensor:
        """Points with their last (time) coordinate mapped t → t0 + fraction·(t − t0)."""
        if fraction >= 1.0:
            return x
        t = self.t0 + fraction * (x[:, -1:] - self.t0)
        return torch.cat([x[:, :-1], t], dim=1)

    def apply(self, batches: list, fraction: float) -> list:
        """The batches with every point's time squeezed (normals unchanged)."""
        return [replace(b, x=self.squeeze(b.x, fraction)) for b in batches]


CAUSAL: dict[str, tuple[bool, bool]] = {
    "none": (False, False), "weights": (True, False), "window": (False, True), "both": (True, True),
}
"""The values of ``training.causal``: whether each asks for (causal weights, a growing window)."""


@dataclass(frozen=True)
class CausalSettings:
    """The causal remedies of a run's Adam phase (see :meth:`named`)."""

    mode: str = "none"  # the key of CAUSAL it came from, for messages
    weights: bool = False
    window: bool = False
    slices: int = 16
    tolerance: float = 1.0
    window_fraction: float = 0.5

    @classmethod
    def named(cls, mode: str, slices: int = 16, tolerance: float = 1.0,
              window_fraction: float = 0.5) -> CausalSettings:
        """The settings that ``training.causal: <mode>`` (a key of :data:`CAUSAL`) asks for."""
        try:
            weights, window = CAUSAL[mode]
        except KeyError:
            raise ValueError(f"unknown causal mode {mode!r}; expected one of {', '.join(CAUSAL)}") from None
        return cls(mode, weights, window, slices, tolerance, window_fraction)

    def parts(self, problem: Problem, steps: int) -> tuple[CausalWeights | None, TimeWindow | None]:
        """The causal weights and the time window for ``problem`` over ``steps`` Adam steps."""
        if not (self.weights or self.window):
            return None, None
        domain = problem.domain
        if not isinstance(domain, SpaceTime):
            raise ValueError(f"training.causal: {self.mode} needs a space-time domain; this problem's"
                             f" domain is a {type(domain).__name__} (set causal: none)")
        weights = window = None
        if self.weights:
            if not any(is_causal_target(c) for c in problem.constraints):
                raise ValueError("training.causal: weights needs a constraint on the space-time interior")
            weights = CausalWeights(domain.t0, domain.t1, self.slices, self.tolerance)
        if self.window:
            window = TimeWindow(domain.t0, max(1, round(self.window_fraction * steps)))
        return weights, window
