"""Ball: the closed ball ``‖x − c‖ ≤ R`` in ``R^d`` (``Disk`` in 2-D)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from .base import AbstractDomain, check_count, rounding_tolerance, unknown_part
from .sampling import Sampler

__all__ = ["Ball", "Disk"]


def _directions(u: torch.Tensor) -> torch.Tensor:
    """Uniform unit vectors from unit-cube draws ``u`` of shape ``(N, d)``.

    Each coordinate becomes a standard normal by the inverse CDF, ``√2 · erfinv(2u − 1)``; a
    normalised Gaussian vector is uniform on the sphere.
    """
    tiny = torch.finfo(u.dtype).eps
    g = math.sqrt(2.0) * torch.erfinv((2.0 * u - 1.0).clamp(-1.0 + tiny, 1.0 - tiny))
    return g / torch.linalg.vector_norm(g, dim=-1, keepdim=True).clamp_min(tiny)


@dataclass(frozen=True)
class Ball(AbstractDomain):
    """The closed ball of centre ``center`` and radius ``radius`` in ``R^d``, ``d >= 2``.

    Its single boundary part is ``"boundary"``, the sphere, with normals ``(x − c) / R``.

    Args:
        center: centre, shape ``(d,)``.
        radius: radius ``R > 0``.
    """

    center: tuple[float, ...]
    radius: float

    def __post_init__(self) -> None:
        c = np.atleast_1d(np.asarray(self.center, dtype=np.float64))
        if c.ndim != 1 or c.size < 2:
            raise ValueError(
                f"Ball: center must list d >= 2 coordinates, got {self.center!r}; "
                "for an interval use Box(lo, hi)"
            )
        r = float(self.radius)
        if not (np.all(np.isfinite(c)) and math.isfinite(r) and r > 0):
            raise ValueError(
                f"Ball: need a finite center and a finite radius > 0, got center={c.tolist()}, "
                f"radius={self.radius!r}"
            )
        object.__setattr__(self, "center", tuple(float(v) for v in c))
        object.__setattr__(self, "radius", r)

    @property
    def dim(self) -> int:
        return len(self.center)

    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        c = np.array(self.center)
        return c - self.radius, c + self.radius

    def _center(self, like: Sampler | torch.Tensor) -> torch.Tensor:
        return torch.as_tensor(self.center, dtype=like.dtype, device=like.device)

    def contains(self, x: torch.Tensor) -> torch.Tensor:
        scale = self.radius + max(map(abs, self.center))
        r = torch.linalg.vector_norm(x - self._center(x), dim=-1)
        return r <= self.radius + rounding_tolerance(x.dtype, scale)

    def sample_interior(self, n: int, sampler: Sampler) -> torch.Tensor:
        check_count(n, "Ball.sample_interior")
        u = sampler.unit(n, self.dim + 1)
        # P(r < s) = (s/R)^d for a uniform ball, so r = R · u^(1/d).
        r = self.radius * u[:, :1] ** (1.0 / self.dim)
        return self._center(sampler) + r * _directions(u[:, 1:])

    def boundary_parts(self) -> tuple[str, ...]:
        return ("boundary",)

    def _check_part(self, part: str | None) -> None:
        if part is not None and part != "boundary":
            raise unknown_part(self, part)

    def sample_boundary(
        self, n: int, sampler: Sampler, part: str | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        check_count(n, "Ball.sample_boundary")
        self._check_part(part)
        normal = _directions(sampler.unit(n, self.dim))
        return self._center(sampler) + self.radius * normal, normal

    def boundary_measure(self, part: str | None = None) -> float:
        """Surface of the sphere, ``d · V_d(R) / R``."""
        self._check_part(part)
        return self.dim * self.volume() / self.radius

    def volume(self) -> float:
        """``π^(d/2) R^d / Γ(d/2 + 1)``."""
        d = self.dim
        return math.pi ** (d / 2) * self.radius**d / math.gamma(d / 2 + 1)


def Disk(center: Sequence[float], radius: float) -> Ball:  # noqa: N802 (reads like a class)
    """A 2-D :class:`Ball`; checks that ``center`` has two coordinates.

    Args:
        center: centre ``(cx, cy)``.
        radius: radius ``R > 0``.
    """
    if np.asarray(center).shape != (2,):
        raise ValueError(
            f"Disk: center must be (cx, cy), got {center!r}; use Ball for other dimensions"
        )
    return Ball(center, radius)
