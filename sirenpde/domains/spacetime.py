"""SpaceTime: a spatial region times a time interval, ``Ω × [t0, t1]``."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from .base import AbstractDomain, UnknownPartError, check_count, unknown_part
from .sampling import Sampler

__all__ = ["SpaceTime", "TimeInterval"]

_SLICES = ("initial", "final")


@dataclass(frozen=True)
class SpaceTime(AbstractDomain):
    """The product ``space × [t0, t1]``; points are ``(x_1, …, x_d, t)``, time **last**.

    Boundary parts:

    * each part of ``space`` under its own name (aliases too), times ``[t0, t1]``; normals are
      the spatial normals with a zero time component;
    * ``"initial"``: ``space × {t0}`` with ``t == t0`` exactly and normal ``(0, …, 0, −1)``;
    * ``"final"``: ``space × {t1}`` with normal ``(0, …, 0, +1)``.

    ``part=None`` means the *lateral* boundary ``∂space × [t0, t1]`` only, not the time slices:
    an initial condition is nearly always a constraint of its own, and a final slice usually
    carries none.

    Args:
        space: the spatial region, dimension ``d``.
        t0: start time.
        t1: end time, ``t1 > t0``.
    """

    space: AbstractDomain
    t0: float
    t1: float

    def __post_init__(self) -> None:
        if not isinstance(self.space, AbstractDomain):
            raise TypeError(f"SpaceTime: space is {type(self.space).__name__}, not a domain")
        t0, t1 = float(self.t0), float(self.t1)
        if not (math.isfinite(t0) and math.isfinite(t1) and t0 < t1):
            raise ValueError(f"SpaceTime: need finite t0 < t1, got t0={self.t0!r}, t1={self.t1!r}")
        clash = set(_SLICES) & set(self.space.boundary_parts())
        if clash:
            raise ValueError(
                f"SpaceTime: the spatial domain already has boundary parts {sorted(clash)}, "
                "which clash with the time slices; rename them"
            )
        object.__setattr__(self, "t0", t0)
        object.__setattr__(self, "t1", t1)

    @property
    def dim(self) -> int:
        return self.space.dim + 1

    @property
    def duration(self) -> float:
        return self.t1 - self.t0

    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        lo, hi = self.space.bounds()
        return np.append(lo, self.t0), np.append(hi, self.t1)

    def contains(self, x: torch.Tensor) -> torch.Tensor:
        t = x[:, -1]
        return self.space.contains(x[:, :-1]) & (t >= self.t0) & (t <= self.t1)

    def _times(self, n: int, sampler: Sampler) -> torch.Tensor:
        # The last column of a (d + 1)-column draw, not a 1-column one: a Sobol sampler keeps one
        # sequence per column count, and a 1-D space would draw from the same 1-column sequence just
        # before, putting every (x, t) on a diagonal.
        k = self.space.dim + 1
        return self.t0 + self.duration * sampler.unit(n, k)[:, -1:]

    def sample_interior(self, n: int, sampler: Sampler) -> torch.Tensor:
        check_count(n, "SpaceTime.sample_interior")
        x = self.space.sample_interior(n, sampler)
        return torch.cat([x, self._times(n, sampler)], dim=1)

    def boundary_parts(self) -> tuple[str, ...]:
        return (*self.space.boundary_parts(), *_SLICES)

    def _slice(self, n: int, sampler: Sampler, part: str) -> tuple[torch.Tensor, torch.Tensor]:
        x = self.space.sample_interior(n, sampler)
        t_value, sign = (self.t0, -1.0) if part == "initial" else (self.t1, 1.0)
        t = torch.full((n, 1), t_value, dtype=x.dtype, device=x.device)
        normal = torch.zeros(n, self.dim, dtype=x.dtype, device=x.device)
        normal[:, -1] = sign
        return torch.cat([x, t], dim=1), normal

    def sample_boundary(
        self, n: int, sampler: Sampler, part: str | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        check_count(n, "SpaceTime.sample_boundary")
        if part in _SLICES:
            return self._slice(n, sampler, part)
        try:
            x, normal = self.space.sample_boundary(n, sampler, part)
        except UnknownPartError:
            raise unknown_part(self, part) from None
        points = torch.cat([x, self._times(n, sampler)], dim=1)
        return points, torch.cat([normal, torch.zeros_like(normal[:, :1])], dim=1)

    def boundary_measure(self, part: str | None = None) -> float:
        """Slices: the spatial volume; lateral parts: spatial measure × duration."""
        if part in _SLICES:
            return self.space.volume()
        try:
            return self.space.boundary_measure(part) * self.duration
        except UnknownPartError:
            raise unknown_part(self, part) from None

    def volume(self) -> float:
        return self.space.volume() * self.duration


TimeInterval = SpaceTime
"""Alias of :class:`SpaceTime`."""
