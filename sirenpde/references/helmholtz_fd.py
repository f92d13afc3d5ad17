"""Second-order finite differences for the 2-D Helmholtz equation with a stretched-coordinate PML.

    ∂x((e_y/e_x)·∂x u) + ∂y((e_x/e_y)·∂y u) + e_x·e_y·k²·m(x)·u = f     in the box [lo, hi]
    u = 0                                                                on its edge

with e_i = 1 − i·a0·(d_i/L)^p in the layer of width L (the outer ``pml.width`` of the box), e_i = 1
inside it — the residual the SIREN minimises (:mod:`sirenpde.problems.helmholtz`), so the two
solve the same equations. Time convention e^{+iωt}: outgoing waves e^{−ikr} decay in the layer.

The stencil is the conservative 5-point one, coefficients at half-points i ± 1/2. Because e_x
depends on x only and e_y on y only, the operator is a sum of Kronecker products of 1-D
matrices, which keeps the assembly free of loops over grid points.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sps
from scipy.interpolate import RegularGridInterpolator
from scipy.sparse.linalg import spsolve

from ..problems.pml import PML

__all__ = ["FDResult", "PML", "solve_helmholtz_fd"]

Field = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class FDResult:
    """A finite-difference solution on a tensor grid: ``u[i, j]`` is the field at ``(x[i], y[j])``."""

    x: np.ndarray
    y: np.ndarray
    u: np.ndarray

    def points(self) -> np.ndarray:
        """All grid nodes, shape (nx·ny, 2), in the order of ``u.ravel()``."""
        gx, gy = np.meshgrid(self.x, self.y, indexing="ij")
        return np.stack([gx.ravel(), gy.ravel()], axis=1)

    def interpolate(self, points: np.ndarray, method: str = "linear") -> np.ndarray:
        """The field at arbitrary points (N, 2) inside the grid, shape (N,) complex128.

        Args:
            points: evaluation points, shape (N, 2).
            method: any RegularGridInterpolator method; "linear" adds an O(h²) error of its own,
                "cubic" is more accurate but slow on large grids.
        """
        points = np.asarray(points, dtype=float)
        if points.ndim != 2 or points.shape[1] != 2:
            raise ValueError(f"points must have shape (N, 2); found {points.shape}")
        interp = RegularGridInterpolator((self.x, self.y), self.u, method=method)
        return interp(points).astype(np.complex128)


def solve_helmholtz_fd(
    k: float,
    lo: Sequence[float],
    hi: Sequence[float],
    n: int | tuple[int, int],
    source: Field,
    slowness2: Field | None = None,
    pml: PML | None = None,
) -> FDResult:
    """Solve the (PML-stretched) Helmholtz equation by second-order finite differences.

    Args:
        k: the wavenumber, > 0.
        lo, hi: corners of the whole box, PML layer included.
        n: nodes per axis, boundary nodes included (one int for both axes, or (nx, ny)); ≥ 3.
        source: f, points (N, 2) → complex (N,); sampled at the nodes, so a Gaussian source
            must be resolved by the grid (h ≲ σ).
        slowness2: m, points (N, 2) → (N,); None for m = 1.
        pml: a layer occupying the outer ``pml.width`` of the box; None for a plain Dirichlet box.

    Returns:
        The solution on the (nx, ny) grid of nodes, zero on the edge.
    """
    lo_a, hi_a, (nx, ny) = _check_inputs(k, lo, hi, n, pml)
    x, y = np.linspace(lo_a[0], hi_a[0], nx), np.linspace(lo_a[1], hi_a[1], ny)
    ex, ex_half = _stretch(x, lo_a[0], hi_a[0], pml)
    ey, ey_half = _stretch(y, lo_a[1], hi_a[1], pml)
    xi, yi = x[1:-1], y[1:-1]
    gx, gy = np.meshgrid(xi, yi, indexing="ij")
    nodes = np.stack([gx.ravel(), gy.ravel()], axis=1)
    m = np.ones(len(nodes)) if slowness2 is None else _sample(slowness2, nodes, "slowness2")
    # Unknowns are the interior nodes, flattened with index i·(ny−2) + j (x-major, as u.ravel()).
    lxx = _second_difference(ex_half, x[1] - x[0])
    lyy = _second_difference(ey_half, y[1] - y[0])
    reaction = np.kron(ex[1:-1], ey[1:-1]) * k**2 * m
    a = (
        sps.kron(lxx, sps.diags(ey[1:-1])) + sps.kron(sps.diags(ex[1:-1]), lyy) + sps.diags(reaction)
    ).tocsc()
    f = _sample(source, nodes, "source").astype(np.complex128)
    u = np.zeros((nx, ny), dtype=np.complex128)
    u[1:-1, 1:-1] = spsolve(a, f).reshape(nx - 2, ny - 2)
    return FDResult(x, y, u)


def _second_difference(e_half: np.ndarray, h: float) -> sps.csr_matrix:
    """The 1-D operator v ↦ ∂(e⁻¹ ∂v) on interior nodes with v = 0 at both ends, (n−2) × (n−2).

    −Dᵀ·diag(1/e_{i+1/2})·D/h², D the (n−1) × (n−2) forward difference restricted to the interior.
    """
    m = len(e_half) - 1  # interior nodes
    d = sps.diags([-np.ones(m), np.ones(m)], [0, -1], shape=(m + 1, m))
    return (-(d.T @ sps.diags(1.0 / e_half) @ d) / h**2).tocsr()


def _stretch(t: np.ndarray, lo: float, hi: float, pml: PML | None) -> tuple[np.ndarray, np.ndarray]:
    """The factor e = 1 − i·a0·(d/L)^p at the nodes t and at the half-points between them."""
    half = 0.5 * (t[1:] + t[:-1])
    if pml is None:
        return np.ones(len(t), complex), np.ones(len(half), complex)

    def e(s: np.ndarray) -> np.ndarray:
        depth = np.maximum(np.maximum(lo + pml.width - s, s - (hi - pml.width)), 0.0) / pml.width
        return 1.0 - 1j * pml.strength * depth**pml.power

    return e(t), e(half)


def _sample(fn: Field, nodes: np.ndarray, name: str) -> np.ndarray:
    values = np.asarray(fn(nodes))
    if values.shape != (len(nodes),):
        raise ValueError(
            f"{name} must map points (N, 2) to values (N,); for N = {len(nodes)} it returned shape"
            f" {values.shape}"
        )
    return values


def _check_inputs(k, lo, hi, n, pml) -> tuple[np.ndarray, np.ndarray, tuple[int, int]]:
    if not (np.isfinite(k) and k > 0):
        raise ValueError(f"the wavenumber k must be positive and finite; found {k}")
    lo_a, hi_a = np.asarray(lo, dtype=float), np.asarray(hi, dtype=float)
    if lo_a.shape != (2,) or hi_a.shape != (2,):
        raise ValueError(f"lo and hi must be 2-D corners (x, y); found {lo!r} and {hi!r}")
    if np.any(lo_a >= hi_a):
        raise ValueError(f"the box needs lo < hi along both axes; found lo={list(lo_a)}, hi={list(hi_a)}")
    nx, ny = (n, n) if np.isscalar(n) else tuple(n)
    if int(nx) != nx or int(ny) != ny or min(nx, ny) < 3:
        raise ValueError(f"n must be an integer ≥ 3 per axis (boundary nodes included); found {n!r}")
    if pml is not None:
        pml.check_fits(lo_a, hi_a)
    return lo_a, hi_a, (int(nx), int(ny))
