"""Polygon: a simple polygon in the plane, given by its vertices in order."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from ._polygon_geometry import as_vertices, check_simple, signed_area, triangulate
from .base import AbstractDomain, check_count, rounding_tolerance, unknown_part
from .sampling import Sampler

__all__ = ["Polygon"]


def _pick(cum: np.ndarray, u: torch.Tensor) -> torch.Tensor:
    """Index ``k`` with ``cum[k-1] <= u < cum[k]``; ``cum`` is a normalised cumulative sum."""
    c = torch.as_tensor(cum, dtype=u.dtype, device=u.device)
    return torch.searchsorted(c, u.contiguous(), right=True).clamp_(max=len(cum) - 1)


@dataclass(frozen=True)
class Polygon(AbstractDomain):
    """The closed region inside a simple polygon.

    Vertices may be listed clockwise or counter-clockwise. Boundary part ``"edge{i}"`` is the
    edge from vertex ``i`` to vertex ``i + 1`` (the last edge closes the loop back to vertex 0),
    numbered in the order given. The interior is sampled exactly uniformly by ear-clipping
    triangulation: a triangle is picked with probability ∝ area, then a uniform point in it.

    Args:
        vertices: shape ``(m, 2)``, ``m >= 3``, without repeating the first vertex at the end.

    Raises:
        ValueError: fewer than 3 vertices, repeated vertices, zero area or crossing edges.
    """

    vertices: tuple[tuple[float, float], ...]
    _triangles: np.ndarray = field(init=False, repr=False, compare=False)
    _orientation: float = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        v = as_vertices(self.vertices)
        check_simple(v)
        orientation = float(np.sign(signed_area(v)))
        ccw = v if orientation > 0 else v[::-1]
        object.__setattr__(self, "vertices", tuple((float(a), float(b)) for a, b in v))
        object.__setattr__(self, "_orientation", orientation)
        object.__setattr__(self, "_triangles", triangulate(np.ascontiguousarray(ccw)))

    @property
    def dim(self) -> int:
        return 2

    def _array(self) -> np.ndarray:
        return np.array(self.vertices)

    def _edges(self) -> tuple[np.ndarray, np.ndarray]:
        """Start and end points of every edge, each of shape ``(m, 2)``, in the given order."""
        v = self._array()
        return v, np.roll(v, -1, axis=0)

    def _normals(self) -> np.ndarray:
        """Outward unit normals of the edges, shape ``(m, 2)``."""
        a, b = self._edges()
        t = (b - a) / np.linalg.norm(b - a, axis=1, keepdims=True)
        # For a counter-clockwise loop the outside lies to the right of each edge.
        return self._orientation * np.stack([t[:, 1], -t[:, 0]], axis=1)

    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        v = self._array()
        return v.min(axis=0), v.max(axis=0)

    def contains(self, x: torch.Tensor) -> torch.Tensor:
        """Even-odd rule, plus every point within rounding distance of an edge."""
        a_np, b_np = self._edges()
        a = torch.as_tensor(a_np, dtype=x.dtype, device=x.device)
        b = torch.as_tensor(b_np, dtype=x.dtype, device=x.device)
        px, py = x[:, :1], x[:, 1:2]
        crosses = (a[:, 1] > py) != (b[:, 1] > py)
        dy = torch.where(crosses, b[:, 1] - a[:, 1], torch.ones_like(a[:, 1]))
        x_hit = a[:, 0] + (py - a[:, 1]) * (b[:, 0] - a[:, 0]) / dy
        inside = (crosses & (px < x_hit)).sum(dim=1) % 2 == 1
        d = b - a
        t = (((x[:, None, :] - a) * d).sum(-1) / (d * d).sum(-1)).clamp(0.0, 1.0)
        gap = torch.linalg.vector_norm(x[:, None, :] - (a + t[..., None] * d), dim=-1)
        tol = rounding_tolerance(x.dtype, float(np.abs(a_np).max()))
        return inside | (gap <= tol).any(dim=1)

    def sample_interior(self, n: int, sampler: Sampler) -> torch.Tensor:
        check_count(n, "Polygon.sample_interior")
        tri = self._triangles
        ab, ac = tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0]
        areas = 0.5 * np.abs(ab[:, 0] * ac[:, 1] - ab[:, 1] * ac[:, 0])
        u = sampler.unit(n, 3)
        k = _pick(np.cumsum(areas) / areas.sum(), u[:, 0])
        s, t = u[:, 1:2], u[:, 2:3]
        # Reflecting the far half of the unit square maps it onto the triangle s + t <= 1.
        flip = s + t > 1.0
        s, t = torch.where(flip, 1.0 - s, s), torch.where(flip, 1.0 - t, t)
        kw = {"dtype": sampler.dtype, "device": sampler.device}
        o, e1, e2 = (torch.as_tensor(arr, **kw)[k] for arr in (tri[:, 0], ab, ac))
        return o + s * e1 + t * e2

    def boundary_parts(self) -> tuple[str, ...]:
        return tuple(f"edge{i}" for i in range(len(self.vertices)))

    def _edge_lengths(self) -> np.ndarray:
        a, b = self._edges()
        return np.linalg.norm(b - a, axis=1)

    def _part_edges(self, part: str | None) -> list[int]:
        if part is None:
            return list(range(len(self.vertices)))
        names = self.boundary_parts()
        if part not in names:
            raise unknown_part(self, part)
        return [names.index(part)]

    def sample_boundary(
        self, n: int, sampler: Sampler, part: str | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        check_count(n, "Polygon.sample_boundary")
        edges = self._part_edges(part)
        lengths = self._edge_lengths()[edges]
        u = sampler.unit(n, 2)
        k = _pick(np.cumsum(lengths) / lengths.sum(), u[:, 0])
        a, b = self._edges()
        kw = {"dtype": sampler.dtype, "device": sampler.device}
        start, end, normal = (
            torch.as_tensor(arr[edges], **kw)[k] for arr in (a, b, self._normals())
        )
        return start + u[:, 1:2] * (end - start), normal

    def boundary_measure(self, part: str | None = None) -> float:
        return float(self._edge_lengths()[self._part_edges(part)].sum())

    def volume(self) -> float:
        return abs(signed_area(self._array()))
