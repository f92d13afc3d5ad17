"""A finite-difference reference for the heat equation with a variable diffusivity on a box (1-D or
2-D), in the non-divergence form:

    u_t = a(x)·Δu + f(x, t),   u = 0 on the box's boundary,   u(x, t0) = u0(x).

Crank–Nicolson in time and the 5-point (3-point in 1-D) Laplacian in space, on the interior nodes:

    (I − ½Δt·A·L) u^{n+1} = (I + ½Δt·A·L) u^n + ½Δt·(f^n + f^{n+1}),   A = diag(a at the nodes),

with one sparse LU factorisation for every step. Second order in h and Δt; unconditionally stable,
so Δt is chosen for accuracy, not stability. Crank–Nicolson damps the grid's fastest modes only
weakly, which is harmless for initial data that are smooth and vanish on the boundary (as here) but
would ring after a jump.

``a`` may be an array on the grid's nodes (a gridded coefficient solved on its own grid, with no
interpolation) or a function of space points; only the kept frames are stored.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sparse
from scipy.interpolate import RegularGridInterpolator
from scipy.sparse.linalg import splu

__all__ = ["HeatFDResult", "solve_heat_fd"]

SpaceFunction = Callable[[np.ndarray], np.ndarray]
"""Space points (N, d) → values (N,)."""
SourceFunction = Callable[[np.ndarray], np.ndarray]
"""Space-time points (N, d + 1), time last → values (N,)."""


@dataclass(frozen=True)
class HeatFDResult:
    """The solution at the kept frames: ``u[n, i(, j)]`` at ``times[n]``, ``coords[0][i]``
    (, ``coords[1][j]``)."""

    coords: tuple[np.ndarray, ...]
    times: np.ndarray
    u: np.ndarray

    def __call__(self, points: np.ndarray) -> np.ndarray:
        """Values at space-time points (N, d + 1), time last: linear between nodes and frames."""
        grid = (*self.coords, self.times)
        return RegularGridInterpolator(grid, np.moveaxis(self.u, 0, -1))(np.asarray(points, dtype=float))


def solve_heat_fd(
    lo: Sequence[float],
    hi: Sequence[float],
    n: int,
    t0: float,
    t1: float,
    initial_value: SpaceFunction,
    diffusivity: np.ndarray | SpaceFunction | float,
    source: SourceFunction | float = 0.0,
    frames: int = 11,
    steps_per_frame: int = 20,
) -> HeatFDResult:
    """Crank–Nicolson on n nodes per axis of the box ``[lo, hi]`` from t0 to t1, keeping ``frames``
    equally spaced times (t0 and t1 included), ``steps_per_frame`` steps apart.

    Args:
        diffusivity: a > 0: an array of shape (n,)*d on the nodes, a function of space points, or a number.
        source: f, a function of space-time points or a number.
    """
    d = len(lo)
    if d not in (1, 2) or len(hi) != d:
        raise ValueError(f"the FD heat reference is for 1-D and 2-D boxes; found lo={list(lo)},"
                         f" hi={list(hi)}")
    if n < 3 or frames < 2 or steps_per_frame < 1:
        raise ValueError(f"need n ≥ 3 nodes per axis, frames ≥ 2 and steps_per_frame ≥ 1; found n={n},"
                         f" frames={frames}, steps_per_frame={steps_per_frame}")
    coords = tuple(np.linspace(a, b, n) for a, b in zip(lo, hi, strict=True))
    h = [(b - a) / (n - 1) for a, b in zip(lo, hi, strict=True)]
    inner = np.stack([m.ravel() for m in np.meshgrid(*(c[1:-1] for c in coords), indexing="ij")], axis=1)
    a = _on_inner_nodes(diffusivity, inner, n, d)
    if not np.all(a > 0):
        raise ValueError(f"the diffusivity must be positive; its smallest value is {a.min():g}")
    dt = (t1 - t0) / ((frames - 1) * steps_per_frame)
    operator = sparse.diags(a) @ _laplacian(n - 2, h)
    eye = sparse.identity(len(a), format="csc")
    implicit = splu(sparse.csc_matrix(eye - 0.5 * dt * operator))
    explicit = sparse.csr_matrix(eye + 0.5 * dt * operator)

    def forcing(t: float) -> np.ndarray:
        if not callable(source):
            return np.full(len(inner), float(source))
        return np.asarray(source(np.column_stack([inner, np.full(len(inner), t)])), dtype=float)

    u = np.asarray(initial_value(inner), dtype=float)
    kept, t, f_now = [u], t0, forcing(t0)
    for _ in range(frames - 1):
        for _ in range(steps_per_frame):
            f_next = forcing(t + dt)
            u = implicit.solve(explicit @ u + 0.5 * dt * (f_now + f_next))
            t, f_now = t + dt, f_next
        kept.append(u)
    full = np.zeros((frames,) + (n,) * d)
    full[(slice(None),) + (slice(1, -1),) * d] = np.stack(kept).reshape((frames,) + (n - 2,) * d)
    return HeatFDResult(coords, np.linspace(t0, t1, frames), full)


def _on_inner_nodes(values, inner: np.ndarray, n: int, d: int) -> np.ndarray:
    """The diffusivity at the interior nodes, flattened in C order."""
    if callable(values):
        return np.asarray(values(inner), dtype=float)
    array = np.asarray(values, dtype=float)
    if array.ndim == 0:
        return np.full(len(inner), float(array))
    if array.shape != (n,) * d:
        raise ValueError(f"a gridded diffusivity must have one value per node, shape {(n,) * d}; found"
                         f" {array.shape}")
    return array[(slice(1, -1),) * d].ravel()


def _laplacian(m: int, h: Sequence[float]) -> sparse.csr_matrix:
    """The 5-point (3-point in 1-D) Laplacian on m interior nodes per axis, zero on the boundary,
    in C order (the last axis fastest)."""
    second = [sparse.diags([1.0, -2.0, 1.0], [-1, 0, 1], shape=(m, m)) / hi**2 for hi in h]
    if len(h) == 1:
        return sparse.csr_matrix(second[0])
    eye = sparse.identity(m)
    return sparse.csr_matrix(sparse.kron(second[0], eye) + sparse.kron(eye, second[1]))
