"""The reference a Helmholtz run is measured against, and the region where it is measured.

A :class:`~sirenpde.results.solution.Reference` is a plain function of numpy points, so the trainer never sees
it: the command line attaches it to the trained solution before saving.

- :func:`hankel_reference`: the free-space field of Gaussian point sources in a homogeneous 2-D
  medium (valid outside the PML and away from the sources).
- :func:`fd_reference`: second-order finite differences on the whole box with the same k, sources,
  medium and PML as the network's residual; solved when the reference is evaluated.
- :func:`error_region`: the physical region (inside the PML) minus discs around the sources.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
import torch

from ..expressions.coefficients import Coefficient
from ..problems.helmholtz import PointSource
from ..problems.pml import PML
from ..results.solution import ErrorMask, Reference
from .hankel import point_sources_field
from .helmholtz_fd import solve_helmholtz_fd

__all__ = ["HANKEL_CORE", "error_region", "fd_reference", "hankel_reference", "numpy_field"]


def numpy_field(value: Coefficient) -> Callable[[np.ndarray], np.ndarray]:
    """A coefficient (number, compiled expression or torch callable of points) as a numpy function
    of points (N, d) → values (N,), evaluated in float64."""
    if isinstance(value, (int, float, complex)):
        return lambda points: np.full(len(points), value)

    def field(points: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            out = value(torch.as_tensor(np.asarray(points, dtype=np.float64)))
        return out.reshape(len(points)).cpu().numpy()

    return field


HANKEL_CORE = 5.0
"""The Hankel formula holds for r ≫ σ (its error is ~e^{−r²/2σ²}, 4e-6 at 5σ): NaN within 5σ of a source."""


def hankel_reference(k: float, sources: Sequence[PointSource], slowness2: float = 1.0) -> Reference:
    """Σ amp·(i/4)·H0⁽²⁾(k√m·r)·e^{−k²m·σ²/2} over the sources: Δu + k²·m·u = f in free space, m constant.

    The formula is singular at a source and wrong within a few σ of it; there the reference is NaN
    (within ``HANKEL_CORE``·σ), so that it is never mistaken for the field.
    """
    k_medium = k * math.sqrt(slowness2)

    def field(points: np.ndarray) -> np.ndarray:
        points = np.asarray(points, dtype=float)
        u = np.zeros(len(points), dtype=np.complex128)
        core = np.zeros(len(points), dtype=bool)
        for s in sources:
            near = np.linalg.norm(points - np.asarray(s.center), axis=1) < HANKEL_CORE * s.sigma
            with np.errstate(invalid="ignore"):  # H0 at r = 0; masked just below
                u += point_sources_field(points, k_medium, [(*s.center, s.amplitude)], sigma=s.sigma)
            core |= near
        u[core] = np.nan
        return u

    return Reference("hankel", field)


def fd_reference(
    k: float,
    lo: Sequence[float],
    hi: Sequence[float],
    resolution: int,
    *,
    point_sources: Sequence[PointSource] = (),
    source: Coefficient = 0.0,
    slowness2: Coefficient = 1.0,
    pml: PML | None = None,
) -> Reference:
    """The finite-difference solution on the box [lo, hi] (u = 0 on its edge), ``resolution`` nodes
    per axis, interpolated linearly; f = Σ point sources + ``source``. Solved on first evaluation."""
    terms = [numpy_field(s) for s in point_sources] + [numpy_field(source)]

    def forcing(points: np.ndarray) -> np.ndarray:
        return sum(term(points) for term in terms)

    medium = None if isinstance(slowness2, (int, float)) and slowness2 == 1 else numpy_field(slowness2)

    solved = []  # the solve does not depend on the points: do it on first use, once

    def field(points: np.ndarray) -> np.ndarray:
        if not solved:
            solved.append(solve_helmholtz_fd(k, lo, hi, resolution, forcing, medium, pml))
        return solved[0].interpolate(points)

    return Reference("fd", field)


def error_region(
    lo: Sequence[float],
    hi: Sequence[float],
    pml: PML | None,
    centers: Sequence[Sequence[float]] = (),
    radius: float = 0.0,
) -> ErrorMask | None:
    """Points (N, d) → True in the physical region (inside the PML of the box [lo, hi]) and at least
    ``radius`` from every centre; ``None`` when that is everywhere."""
    centers = [np.asarray(c, dtype=float) for c in centers] if radius > 0 else []
    if pml is None and not centers:
        return None

    def mask(points: np.ndarray) -> np.ndarray:
        points = np.asarray(points, dtype=float)
        keep = np.ones(len(points), dtype=bool)
        if pml is not None:
            keep &= pml.physical_mask(points, lo, hi)
        for c in centers:
            keep &= np.linalg.norm(points - c, axis=1) >= radius
        return keep

    return mask
