"""The points of a march: places kept for the whole march, times fresh in each window.

A window's ansatz needs, at every point, the previous window's u and u_t and their spatial
derivatives (:mod:`sirenpde.model.marched`). Computed by walking back through the earlier windows
they would cost more with every window; so each region of the problem gets a pool of places drawn
once, the start table of each window is computed on the pool once (from the last one), and each
step draws places from the pool and fresh times in the window, the table's rows travelling with
the points as batch data.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import torch

from ..domains.regions import Region
from ..domains.sampling import Sampler
from ..model.marched import START

__all__ = ["Places", "WindowPoints", "POOL_FACTOR", "MIN_POOL"]

POOL_FACTOR = 16  # places per point a step: a fresh-looking batch every step, a table cheap to build
MIN_POOL = 4096


@dataclass(frozen=True, eq=False)
class Places:
    """A region's pool: points (P, d) drawn once in the whole space-time region (their times are
    replaced at every draw) and their normals (P, d), or ``None``."""

    region: Region
    x: torch.Tensor
    normals: torch.Tensor | None

    @classmethod
    def draw(cls, region: Region, count: int, sampler: Sampler) -> Places:
        x, normals, data = region.draw(count, sampler)
        if data:
            raise ValueError(f"time marching cannot move measured data; {region.describe()} has some")
        return cls(region, x, normals)


@dataclass(frozen=True, eq=False)
class WindowPoints(Region):
    """Points of one window: places from ``places``, times uniform in [t0, t1], each with its row of
    the window's start ``table`` (P, c, k) as ``data[START]``."""

    places: Places
    t0: float
    t1: float
    table: torch.Tensor

    def sample(self, n: int, sampler: Sampler) -> tuple[torch.Tensor, torch.Tensor | None]:
        x, normals, _ = self.draw(n, sampler)
        return x, normals

    def draw(self, n: int, sampler: Sampler) -> tuple[torch.Tensor, torch.Tensor | None,
                                                        Mapping[str, torch.Tensor]]:
        u = sampler.unit(n, 2)
        pool = self.places.x
        index = (u[:, 0] * len(pool)).long().clamp(max=len(pool) - 1).to(pool.device)
        t = (self.t0 + (self.t1 - self.t0) * u[:, 1:]).to(pool.dtype)
        x = torch.cat([pool[index, :-1], t], dim=1)
        normals = None if self.places.normals is None else self.places.normals[index]
        return x, normals, {START: self.table[index]}

    def describe(self) -> str:
        return f"{self.places.region.describe()} in t ∈ [{self.t0:g}, {self.t1:g}]"
