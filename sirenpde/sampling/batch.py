"""A batch: the points drawn from one region for the constraints that share it.

Constraints holding the same region object and point count share a batch (and so one
:class:`~sirenpde.derivatives.fields.Fields`), so derivatives common to them are computed once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import torch

from ..constraints.constraint import AbstractConstraint
from ..constraints.problem import Problem
from ..domains import Sampler
from ..domains.regions import Region

__all__ = ["Batch", "draw_batches"]


@dataclass(frozen=True, eq=False)
class Batch:
    """Points drawn from one region for the constraints that share it, and the values measured at
    them (``data``: name → (N,), for regions of measurements). ``weights`` (N,), when given,
    multiply each point's penalty: the density ratio of importance sampling
    (:mod:`sirenpde.sampling.importance`), so that the mean stays an estimate of the plain mean."""

    region: Region
    x: torch.Tensor
    normals: torch.Tensor | None
    constraints: tuple[AbstractConstraint, ...]
    data: Mapping[str, torch.Tensor] = field(default_factory=dict)
    weights: torch.Tensor | None = None


def draw_batches(problem: Problem, sampler: Sampler, scale: float = 1.0) -> list[Batch]:
    """Fresh points for every constraint; ``scale`` multiplies each point count (min 1)."""
    groups: dict[tuple[int, int], list[AbstractConstraint]] = {}
    for c in problem.constraints:
        groups.setdefault((id(c.region), int(c.points)), []).append(c)
    batches = []
    for (_, n), members in groups.items():
        x, normals, data = members[0].region.draw(max(1, round(n * scale)), sampler)
        batches.append(Batch(members[0].region, x, normals, tuple(members), dict(data)))
    return batches
