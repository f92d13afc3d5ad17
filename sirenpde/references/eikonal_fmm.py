"""A fast-marching reference for travel times from a point source on a box (scikit-fmm, optional).

scikit-fmm marches from a zero level set, so the source is a small sphere of radius r0 = 2h around
x_s whose points get the time r0/c(x_s), and T = r0/c(x_s) + the marched time outside it (second
order in h away from the source). Install with ``pip install sirenpde[sdf]``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from scipy.interpolate import RegularGridInterpolator

__all__ = ["solve_eikonal_fmm"]


def solve_eikonal_fmm(
    lo: Sequence[float], hi: Sequence[float], n: int, source: Sequence[float],
    speed: Callable[[np.ndarray], np.ndarray] | float = 1.0,
) -> Callable[[np.ndarray], np.ndarray]:
    """Travel times on n nodes per axis of the box [lo, hi], as a function of points (N, d) → (N,)."""
    try:
        import skfmm
    except ImportError:
        raise ValueError("the fmm reference needs scikit-fmm; pip install 'sirenpde[sdf]'") from None
    lo, hi, source = (np.asarray(v, dtype=float) for v in (lo, hi, source))
    if n < 5:
        raise ValueError(f"the fmm reference needs at least 5 nodes per axis; found {n}")
    coords = [np.linspace(a, b, n) for a, b in zip(lo, hi, strict=True)]
    h = (hi - lo) / (n - 1)
    mesh = np.stack(np.meshgrid(*coords, indexing="ij"), axis=-1)
    points = mesh.reshape(-1, len(lo))
    c = np.full(len(points), float(speed)) if not callable(speed) else np.asarray(speed(points), dtype=float)
    if not (c > 0).all():
        raise ValueError("the speed must be positive everywhere on the fmm grid")
    c = c.reshape(mesh.shape[:-1])
    radius = 2 * float(h.max())
    c_source = float(np.full(1, float(speed))[0]) if not callable(speed) else float(speed(source[None])[0])
    phi = np.linalg.norm(mesh - source, axis=-1) - radius
    marched = np.asarray(skfmm.travel_time(phi, c, dx=h.tolist(), order=2))
    # Inside the sphere the straight-ray time is exact to O(r0²·∇c); outside, add r0's time.
    inside = phi < 0
    times = np.where(inside, (phi + radius) / c_source, marched + radius / c_source)
    interpolate = RegularGridInterpolator(coords, times)
    return lambda p: interpolate(np.asarray(p, dtype=float))
