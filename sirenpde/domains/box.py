"""Box: an axis-aligned box ``[lo_1, hi_1] × … × [lo_d, hi_d]`` in any dimension."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from .base import AbstractDomain, check_count, rounding_tolerance, sample_mixture, unknown_part
from .sampling import Sampler

__all__ = ["Box"]

_AXES_3D = ("x", "y", "z")
# Friendly names for faces of 1-, 2- and 3-D boxes; accepted but not listed by boundary_parts.
_ALIASES = {"left": "x_min", "right": "x_max", "bottom": "y_min", "top": "y_max"}


def _axis_names(d: int) -> tuple[str, ...]:
    return _AXES_3D[:d] if d <= 3 else tuple(f"x{i}" for i in range(d))


def _as_corner(value: float | Sequence[float], name: str) -> tuple[float, ...]:
    arr = np.atleast_1d(np.asarray(value, dtype=np.float64))
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"Box: {name} must be a number or a flat list of numbers, got {value!r}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"Box: {name} must be finite, got {arr.tolist()}")
    return tuple(float(v) for v in arr)


@dataclass(frozen=True)
class Box(AbstractDomain):
    """The box ``[lo, hi]`` in ``R^d``, ``d >= 1``.

    Boundary parts are its faces, ``"{a}_min"`` and ``"{a}_max"`` for each axis name ``a``
    (``x, y, z`` up to 3-D, else ``x0, x1, …``). ``left/right`` (``x_min/x_max``) and, from 2-D,
    ``bottom/top`` (``y_min/y_max``) are accepted as aliases. In 1-D each face is a point of
    measure 1, so the whole boundary is split evenly between the two ends.

    Args:
        lo: lower corner, shape ``(d,)`` (a number for 1-D).
        hi: upper corner, shape ``(d,)``, with ``lo < hi`` on every axis.
    """

    lo: tuple[float, ...]
    hi: tuple[float, ...]

    def __post_init__(self) -> None:
        lo, hi = _as_corner(self.lo, "lo"), _as_corner(self.hi, "hi")
        if len(lo) != len(hi):
            raise ValueError(
                f"Box: lo has {len(lo)} coordinates but hi has {len(hi)}; give both corners "
                "in the same dimension"
            )
        bad = [i for i in range(len(lo)) if not lo[i] < hi[i]]
        if bad:
            raise ValueError(
                f"Box: need lo < hi on every axis, but axes {bad} have lo={list(lo)}, "
                f"hi={list(hi)}; swap or widen those coordinates"
            )
        object.__setattr__(self, "lo", lo)
        object.__setattr__(self, "hi", hi)

    @property
    def dim(self) -> int:
        return len(self.lo)

    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        return np.array(self.lo), np.array(self.hi)

    def _corners(self, like: Sampler | torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        kw = {"dtype": like.dtype, "device": like.device}
        return torch.as_tensor(self.lo, **kw), torch.as_tensor(self.hi, **kw)

    def contains(self, x: torch.Tensor) -> torch.Tensor:
        lo, hi = self._corners(x)
        tol = rounding_tolerance(x.dtype, max(map(abs, (*self.lo, *self.hi))))
        return ((x >= lo - tol) & (x <= hi + tol)).all(dim=-1)

    def sample_interior(self, n: int, sampler: Sampler) -> torch.Tensor:
        check_count(n, "Box.sample_interior")
        lo, hi = self._corners(sampler)
        return lo + (hi - lo) * sampler.unit(n, self.dim)

    def boundary_parts(self) -> tuple[str, ...]:
        return tuple(f"{a}_{side}" for a in _axis_names(self.dim) for side in ("min", "max"))

    def _face_index(self, part: str) -> int:
        """Face ``2*i`` is axis ``i`` at ``lo``, face ``2*i + 1`` at ``hi``."""
        names = self.boundary_parts()
        canonical = _ALIASES.get(part, part) if self.dim <= 3 else part
        if canonical not in names:
            raise unknown_part(self, part, self._aliases())
        return names.index(canonical)

    def _aliases(self) -> tuple[str, ...]:
        if self.dim > 3:
            return ()
        return tuple(a for a, face in _ALIASES.items() if face in self.boundary_parts())

    def _face_measures(self) -> list[float]:
        sides = [b - a for a, b in zip(self.lo, self.hi, strict=True)]
        per_axis = [math.prod(sides[:i] + sides[i + 1 :]) for i in range(self.dim)]
        return [m for m in per_axis for _ in range(2)]

    def _sample_face(self, face: int, m: int, sampler: Sampler) -> tuple[torch.Tensor, ...]:
        axis, upper = divmod(face, 2)
        x = self.sample_interior(m, sampler)
        x[:, axis] = self.hi[axis] if upper else self.lo[axis]
        normal = torch.zeros_like(x)
        normal[:, axis] = 1.0 if upper else -1.0
        return x, normal

    def sample_boundary(
        self, n: int, sampler: Sampler, part: str | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        check_count(n, "Box.sample_boundary")
        if part is not None:
            return self._sample_face(self._face_index(part), n, sampler)
        x, normal = sample_mixture(
            n, sampler, self._face_measures(), lambda k, m: self._sample_face(k, m, sampler)
        )
        return x, normal

    def boundary_measure(self, part: str | None = None) -> float:
        measures = self._face_measures()
        return float(sum(measures)) if part is None else measures[self._face_index(part)]

    def volume(self) -> float:
        return float(math.prod(b - a for a, b in zip(self.lo, self.hi, strict=True)))
