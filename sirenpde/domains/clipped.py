"""A domain cut down to a box: the part of a space a marched window's wave can reach.

The box's faces are not boundaries (nothing is imposed there); the boundary parts are the space's
own, where they cross the box. Points are drawn by rejection, so a box that holds little of the
space costs more draws, never wrong ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from .base import AbstractDomain, check_count
from .sampling import Sampler, UniformSampler

__all__ = ["Clipped", "EmptyPartError", "in_box"]

_ROUNDS = 64  # batches of candidates before a part is declared outside the box
_ESTIMATE_POINTS, _ESTIMATE_SEED = 2**16, 0


class EmptyPartError(ValueError):
    """A boundary part that does not cross the box (or too little of it to be found)."""


def in_box(x: torch.Tensor, lo, hi) -> torch.Tensor:
    """Whether points x (N, d) lie in the box [lo, hi] (sequences or tensors of d bounds), as (N,)."""
    lo, hi = (torch.as_tensor(b, dtype=x.dtype, device=x.device) for b in (lo, hi))
    return ((x >= lo) & (x <= hi)).all(dim=1)


@dataclass(frozen=True, eq=False)
class Clipped(AbstractDomain):
    """``space`` ∩ [lo, hi] (the box may stick out of the space; its bounds are the overlap)."""

    space: AbstractDomain
    lo: Sequence[float]
    hi: Sequence[float]

    def __post_init__(self) -> None:
        space_lo, space_hi = self.space.bounds()
        lo = np.maximum(space_lo, np.asarray(self.lo, float))
        hi = np.minimum(space_hi, np.asarray(self.hi, float))
        if lo.shape != space_lo.shape or not (lo < hi).all():
            raise ValueError(f"a clipping box must overlap the space's bounds"
                             f" {space_lo.tolist()}..{space_hi.tolist()};"
                             f" found {list(self.lo)}..{list(self.hi)}")
        object.__setattr__(self, "lo", tuple(lo.tolist()))
        object.__setattr__(self, "hi", tuple(hi.tolist()))

    @property
    def dim(self) -> int:
        return self.space.dim

    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        return np.asarray(self.lo), np.asarray(self.hi)

    def _box(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return (torch.as_tensor(self.lo, dtype=x.dtype, device=x.device),
                torch.as_tensor(self.hi, dtype=x.dtype, device=x.device))

    def contains(self, x: torch.Tensor) -> torch.Tensor:
        return self.space.contains(x) & in_box(x, self.lo, self.hi)

    def sample_interior(self, n: int, sampler: Sampler) -> torch.Tensor:
        check_count(n, "Clipped.sample_interior")

        def candidates(m: int) -> tuple[torch.Tensor, None]:
            u = sampler.unit(m, self.dim)
            lo, hi = self._box(u)
            x = lo + (hi - lo) * u
            return x[self.space.contains(x)], None
        return self._collect(n, candidates, "the interior")[0]

    def boundary_parts(self) -> tuple[str, ...]:
        return self.space.boundary_parts()

    def boundary_groups(self) -> tuple[str, ...]:
        return self.space.boundary_groups()

    def sample_boundary(self, n: int, sampler: Sampler, part: str | None = None
                        ) -> tuple[torch.Tensor, torch.Tensor]:
        check_count(n, "Clipped.sample_boundary")

        def candidates(m: int) -> tuple[torch.Tensor, torch.Tensor]:
            x, normals = self.space.sample_boundary(m, sampler, part)
            keep = in_box(x, self.lo, self.hi)
            return x[keep], normals[keep]
        return self._collect(n, candidates, "the boundary" if part is None else f"boundary part {part!r}")

    def _collect(self, n: int, candidates, what: str) -> tuple[torch.Tensor, torch.Tensor | None]:
        """n points from batches of ``candidates(m)`` → (points, normals or None) inside."""
        found: list[tuple[torch.Tensor, torch.Tensor | None]] = []
        count, batch = 0, max(n, 1024)
        for _ in range(_ROUNDS):
            x, normals = candidates(batch)
            found.append((x, normals))
            count += len(x)
            if count >= n:
                x = torch.cat([f[0] for f in found])[:n]
                normals = None if normals is None else torch.cat([f[1] for f in found])[:n]
                return x, normals
        raise EmptyPartError(f"{what} of the space does not cross the box {list(self.lo)}..{list(self.hi)}"
                             f" ({count} of {_ROUNDS * batch} candidates inside)")

    def _estimator(self) -> UniformSampler:
        return UniformSampler(generator=torch.Generator().manual_seed(_ESTIMATE_SEED), device="cpu",
                              dtype=torch.float64)

    def boundary_measure(self, part: str | None = None) -> float:
        """An estimate: the space's part's measure times the fraction of 2¹⁶ points on it inside the box."""
        whole = self.space.boundary_measure(part)
        x, _ = self.space.sample_boundary(_ESTIMATE_POINTS, self._estimator(), part)
        return whole * float(in_box(x, self.lo, self.hi).double().mean())

    def volume(self) -> float:
        """An estimate: the box's volume times the fraction of 2¹⁶ points in it inside the space."""
        lo, hi = self._box(torch.zeros(1, dtype=torch.float64))
        x = lo + (hi - lo) * self._estimator().unit(_ESTIMATE_POINTS, self.dim)
        return float(torch.prod(hi - lo)) * float(self.space.contains(x).double().mean())
