"""Regions: where a constraint holds, and how to draw fresh points there.

A region is a domain's interior or one named part of its boundary (or all of it); other kinds
(point clouds, source discs) implement the same two methods. Constraints that hold the *same
region object* with the same point count share one batch of points per step, and so share
derivatives.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

import torch

from .domains import AbstractDomain, Sampler

__all__ = ["Region", "Interior", "Boundary"]


class Region(ABC):
    """Somewhere points can be drawn from."""

    @abstractmethod
    def sample(self, n: int, sampler: Sampler) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Draw ``n`` fresh points (n, d) and their outward unit normals (n, d), or ``None``."""

    @abstractmethod
    def describe(self) -> str:
        """A short human-readable name, used in logs and errors."""


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
