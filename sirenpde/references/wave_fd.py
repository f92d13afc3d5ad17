"""A finite-difference time-domain reference for the wave equation on a box (1-D or 2-D).

Second-order leapfrog in time and the 5-point (3-point in 1-D) Laplacian in space, vectorised numpy:

    u^{n+1} = 2u^n − u^{n−1} + Δt²·(c²·Δ_h u^n + f^n),   u^1 = u^0 + Δt·h + ½Δt²·(c²·Δ_h u^0 + f^0),

with u = 0 on the box's boundary. Δt = cfl·h_min/(c_max·√d) (stable for cfl ≤ 1), shortened so a
whole number of steps ends exactly at t1. Second-order accurate in h and Δt.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.interpolate import RegularGridInterpolator

__all__ = ["WaveFDResult", "solve_wave_fd"]

PointFunction = Callable[[np.ndarray], np.ndarray]
"""Space-time points (N, d + 1), time last → values (N,)."""


@dataclass(frozen=True)
class WaveFDResult:
    """The solution on the grid: ``u[n, i(, j)]`` at ``times[n]``, ``coords[0][i]`` (, ``coords[1][j]``)."""

    coords: tuple[np.ndarray, ...]
    times: np.ndarray
    u: np.ndarray

    def __call__(self, points: np.ndarray) -> np.ndarray:
        """Linear interpolation at space-time points (N, d + 1), time last."""
        grid = (*self.coords, self.times)
        values = np.moveaxis(self.u, 0, -1)
        return RegularGridInterpolator(grid, values)(np.asarray(points, dtype=float))


def solve_wave_fd(
    lo: Sequence[float],
    hi: Sequence[float],
    n: int,
    t0: float,
    t1: float,
    initial_value: PointFunction,
    initial_velocity: PointFunction | float = 0.0,
    speed: PointFunction | float = 1.0,
    source: PointFunction | float = 0.0,
    cfl: float = 0.5,
) -> WaveFDResult:
    """Leapfrog on n nodes per axis of the box ``[lo, hi]`` (u = 0 on its boundary), from t0 to t1.

    ``speed`` is evaluated once, at t0 (a speed that varies in space, not in time).
    """
    d = len(lo)
    if d not in (1, 2) or len(hi) != d:
        raise ValueError(
            f"the FD wave reference is for 1-D and 2-D boxes; found lo={list(lo)}, hi={list(hi)}"
        )
    if n < 3 or not 0 < cfl <= 1:
        raise ValueError(f"need n ≥ 3 nodes per axis and 0 < cfl ≤ 1; found n={n}, cfl={cfl}")
    coords = tuple(np.linspace(a, b, n) for a, b in zip(lo, hi, strict=True))
    h = np.array([(b - a) / (n - 1) for a, b in zip(lo, hi, strict=True)])
    mesh = np.stack([m.ravel() for m in np.meshgrid(*coords, indexing="ij")], axis=1)
    shape = (n,) * d

    def at(f, t: float) -> np.ndarray:
        if not callable(f):
            return np.full(shape, float(f))
        return np.asarray(f(np.column_stack([mesh, np.full(len(mesh), t)])), dtype=float).reshape(shape)

    c2 = at(speed, t0) ** 2
    steps = int(np.ceil((t1 - t0) / (cfl * h.min() / (np.sqrt(c2.max()) * np.sqrt(d)))))
    dt = (t1 - t0) / steps
    times = t0 + dt * np.arange(steps + 1)

    def acceleration(u: np.ndarray, t: float) -> np.ndarray:
        lap = np.zeros_like(u)
        inner = (slice(1, -1),) * d
        for axis in range(d):
            lap[inner] += (np.roll(u, 1, axis) - 2 * u + np.roll(u, -1, axis))[inner] / h[axis] ** 2
        return c2 * lap + at(source, t)

    u = np.empty((steps + 1, *shape))
    u[0] = _with_zero_boundary(at(initial_value, t0))
    u[1] = _with_zero_boundary(u[0] + dt * at(initial_velocity, t0) + 0.5 * dt**2 * acceleration(u[0], t0))
    for k in range(1, steps):
        u[k + 1] = _with_zero_boundary(2 * u[k] - u[k - 1] + dt**2 * acceleration(u[k], times[k]))
    return WaveFDResult(coords, times, u)


def _with_zero_boundary(u: np.ndarray) -> np.ndarray:
    for axis in range(u.ndim):
        index = [slice(None)] * u.ndim
        for end in (0, -1):
            index[axis] = end
            u[tuple(index)] = 0.0
    return u
