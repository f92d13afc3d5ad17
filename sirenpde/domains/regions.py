"""Regions: where a constraint holds, and how to draw fresh points there.

A region is a domain's interior or one named part of its boundary (or all of it); other kinds
(point clouds, source discs) implement the same two methods. Constraints that hold the *same
region object* with the same point count share one batch of points per step, and so share
derivatives.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field

import torch

from .base import AbstractDomain
from .sampling import Sampler

__all__ = ["Region", "Interior", "Boundary", "PointSet"]


class Region(ABC):
    """Somewhere points can be drawn from.

    Attributes:
        has_data: its draws carry measured values (:meth:`draw`).
    """

    has_data: bool = False

    @abstractmethod
    def sample(self, n: int, sampler: Sampler) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Draw ``n`` fresh points (n, d) and their outward unit normals (n, d), or ``None``."""

    @abstractmethod
    def describe(self) -> str:
        """A short human-readable name, used in logs and errors."""

    def draw(
        self, n: int, sampler: Sampler
    ) -> tuple[torch.Tensor, torch.Tensor | None, Mapping[str, torch.Tensor]]:
        """:meth:`sample`, plus the values measured at the points, by name, each (n,): empty except
        for regions of measurements (:class:`~sirenpde.domains.measurements.Measurements`)."""
        x, normals = self.sample(n, sampler)
        return x, normals, {}


@dataclass(frozen=True, eq=False)
class Interior(Region):
    """The interior of a domain, sampled uniformly in volume."""

    domain: AbstractDomain

    def sample(self, n: int, sampler: Sampler) -> tuple[torch.Tensor, None]:
        return self.domain.sample_interior(n, sampler), None

    def describe(self) -> str:
        return "interior"


@dataclass(frozen=True, eq=False)
class Boundary(Region):
    """A named part of a domain's boundary (``part=None``: all of it), uniform in area/length."""

    domain: AbstractDomain
    part: str | None = None

    def __post_init__(self) -> None:
        if self.part is not None and self.part not in self.domain.boundary_parts():
            # Let the domain resolve aliases (left/right …); it raises with the valid names.
            self.domain.boundary_measure(self.part)

    def sample(self, n: int, sampler: Sampler) -> tuple[torch.Tensor, torch.Tensor]:
        return self.domain.sample_boundary(n, sampler, self.part)

    def describe(self) -> str:
        return "boundary" if self.part is None else f"boundary part {self.part!r}"


@dataclass(frozen=True, eq=False)
class PointSet(Region):
    """A fixed set of points (an oriented point cloud): each draw is a fresh random mini-batch of
    them, with replacement, with their normals.

    Attributes:
        points: (N, d) points.
        normals: (N, d) unit normals, or ``None``.
    """

    points: torch.Tensor
    normals: torch.Tensor | None = None
    # The set on each (dtype, device) it is drawn on: copied (on a GPU: uploaded) once, not per step.
    _copies: dict = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.points.ndim != 2 or len(self.points) == 0:
            raise ValueError(f"a point set needs points of shape (N, d), N ≥ 1;"
                             f" found {tuple(self.points.shape)}")
        if self.normals is not None and self.normals.shape != self.points.shape:
            raise ValueError(f"normals {tuple(self.normals.shape)} do not match"
                             f" points {tuple(self.points.shape)}")

    def sample(self, n: int, sampler: Sampler) -> tuple[torch.Tensor, torch.Tensor | None]:
        u = sampler.unit(n, 1)[:, 0]
        key = (u.dtype, u.device)
        if key not in self._copies:
            self._copies[key] = tuple(None if t is None else t.to(dtype=u.dtype, device=u.device)
                                      for t in (self.points, self.normals))
        points, normals = self._copies[key]
        index = (u * len(points)).long().clamp(max=len(points) - 1)
        return points[index], None if normals is None else normals[index]

    def describe(self) -> str:
        return f"a set of {len(self.points)} points"
