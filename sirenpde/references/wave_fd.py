"""A finite-difference time-domain reference for the wave equation on a box (1-D or 2-D).

Second-order leapfrog in time and the 5-point (3-point in 1-D) Laplacian in space, vectorised numpy:

    u^{n+1} = 2u^n − u^{n−1} + Δt²·(c²·Δ_h u^n + f^n),   u^1 = u^0 + Δt·h + ½Δt²·(c²·Δ_h u^0 + f^0),

with u = 0 on the box's boundary. Δt = cfl·h_min/(c_max·√d) (stable for cfl ≤ 1), shortened so a
whole number of steps ends exactly at t1. Second-order accurate in h and Δt.

Fine grids have too many levels to keep (1601² nodes × 900 steps is 18 GB), so the solver can keep
only the times asked for, each from the four levels around it by cubic interpolation in time
(fourth order in Δt, beyond the scheme's second); it then holds four levels at a time.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator, Sequence
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
        """Values at space-time points (N, d + 1), time last: linear in space between nodes, and in
        time between the kept levels (exact at a kept time)."""
        points = np.asarray(points, dtype=float)
        if len(self.times) == 1:
            return RegularGridInterpolator(self.coords, self.u[0])(points[:, :-1])
        grid = (*self.coords, self.times)
        return RegularGridInterpolator(grid, np.moveaxis(self.u, 0, -1))(points)


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
    keep: Sequence[float] | None = None,
) -> WaveFDResult:
    """Leapfrog on n nodes per axis of the box ``[lo, hi]`` (u = 0 on its boundary), from t0 to t1.

    ``speed`` is evaluated once, at t0 (a speed that varies in space, not in time). ``keep``: the
    times (in [t0, t1]) to keep the solution at; by default every time level.
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
    # At least 3 steps, so that there are always four levels to interpolate a kept time from.
    steps = max(3, int(np.ceil((t1 - t0) / (cfl * h.min() / (np.sqrt(c2.max()) * np.sqrt(d))))))
    dt = (t1 - t0) / steps
    times = t0 + dt * np.arange(steps + 1)

    def acceleration(u: np.ndarray, t: float) -> np.ndarray:
        lap = np.zeros_like(u)
        inner = (slice(1, -1),) * d
        for axis in range(d):
            lap[inner] += (np.roll(u, 1, axis) - 2 * u + np.roll(u, -1, axis))[inner] / h[axis] ** 2
        return c2 * lap + at(source, t)

    def levels() -> Iterator[np.ndarray]:
        previous = _with_zero_boundary(at(initial_value, t0))
        current = _with_zero_boundary(previous + dt * at(initial_velocity, t0)
                                      + 0.5 * dt**2 * acceleration(previous, t0))
        yield previous
        yield current
        for k in range(1, steps):
            previous, current = current, _with_zero_boundary(
                2 * current - previous + dt**2 * acceleration(current, times[k]))
            yield current

    if keep is None:
        return WaveFDResult(coords, times, np.stack(list(levels())))
    keep = np.sort(np.asarray(keep, dtype=float))
    if keep.size == 0 or keep[0] < t0 - 1e-12 * abs(t1 - t0) or keep[-1] > t1 + 1e-12 * abs(t1 - t0):
        raise ValueError(f"keep needs times within [{t0:g}, {t1:g}]; found {keep.tolist()[:4]}")
    return WaveFDResult(coords, keep, _interpolate_levels(levels(), times, keep))


def _interpolate_levels(levels: Iterator[np.ndarray], times: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """The solution at the sorted times ``keep``, each by cubic Lagrange interpolation on the four
    consecutive levels whose middle interval holds it (the first and last four at the ends)."""
    window: deque[np.ndarray] = deque(maxlen=4)
    out: list[np.ndarray] = []
    last = len(times) - 1
    for k, level in enumerate(levels):
        window.append(level)
        if len(window) < 4:
            continue
        nodes = times[k - 3: k + 1]
        upto = times[k] if k == last else nodes[2]
        while len(out) < len(keep) and keep[len(out)] <= upto:
            tau = keep[len(out)]
            weights = [np.prod([(tau - nodes[j]) / (nodes[i] - nodes[j]) for j in range(4) if j != i])
                       for i in range(4)]
            out.append(sum(w * u for w, u in zip(weights, window, strict=True)))
    return np.stack(out)


def _with_zero_boundary(u: np.ndarray) -> np.ndarray:
    for axis in range(u.ndim):
        index = [slice(None)] * u.ndim
        for end in (0, -1):
            index[axis] = end
            u[tuple(index)] = 0.0
    return u
