"""Free-space outgoing fields of Gaussian-smoothed point sources in a homogeneous 2-D medium.

    Δu + k²·u = f,   f = Σ_s amp_s · N(x; x_s, σ² I)   (unit-mass Gaussians)

Time convention e^{+iωt}, as in :mod:`sirenpde.problems.pml`: outgoing waves behave like e^{−ikr}.
The outgoing Green's function of Δ + k² (``Δg + k²g = δ``) is then

    g(r) = (i/4) · H0⁽²⁾(k r),

whose logarithmic part near r = 0 is (1/2π)·ln r, the fundamental solution of Δ. Verified
numerically: the finite-difference solution with the paper's PML (:mod:`.helmholtz_fd`) matches
``+(i/4)·H0⁽²⁾`` to 2.5e-3 at 401² and is O(1) away from −(i/4)·H0⁽²⁾ and from ±(i/4)·H0⁽¹⁾
(see ``tests/test_references.py``).

A radial source's field outside its support is g(k r) times the Hankel transform of the source at
k; for a unit-mass Gaussian that is exactly e^{−k²σ²/2}. The Gaussian has no compact support, so
the formula holds up to its tail, i.e. for r ≫ σ (error ~ e^{−r²/2σ²}).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.special import hankel2

__all__ = ["gaussian_source", "green_2d", "point_sources_field"]


def green_2d(r: np.ndarray, k: float) -> np.ndarray:
    """The outgoing Green's function (i/4)·H0⁽²⁾(k r) of Δ + k² in 2-D (e^{+iωt}); singular at r = 0."""
    return 0.25j * hankel2(0, k * np.asarray(r, dtype=float))


def point_sources_field(
    points: np.ndarray,
    k: float,
    sources: Sequence[tuple[float, float, complex]],
    sigma: float = 0.0,
) -> np.ndarray:
    """Outgoing field of Gaussian-smoothed point sources: Σ amp·g(k|x − x_s|)·e^{−k²σ²/2}.

    Valid away from the sources (r ≫ σ) and outside any PML (the layer damps the true field).

    Args:
        points: evaluation points, shape (N, 2).
        k: the wavenumber, > 0.
        sources: (x, y, amplitude) per source; the amplitude may be complex.
        sigma: the Gaussian's standard deviation per axis (0 for exact point sources;
            the paper uses σ² = 1e-4).

    Returns:
        The complex field, shape (N,), complex128.
    """
    points = _check_points(points)
    if not k > 0:
        raise ValueError(f"the wavenumber k must be positive; found {k}")
    if sigma < 0:
        raise ValueError(f"sigma is a standard deviation and must be ≥ 0; found {sigma}")
    u = np.zeros(len(points), dtype=np.complex128)
    for x, y, amp in sources:
        r = np.hypot(points[:, 0] - x, points[:, 1] - y)
        u += complex(amp) * green_2d(r, k)
    return u * np.exp(-0.5 * (k * sigma) ** 2)


def gaussian_source(
    points: np.ndarray,
    centers: np.ndarray | Sequence[Sequence[float]],
    amplitudes: np.ndarray | Sequence[complex],
    sigma: float,
) -> np.ndarray:
    """The source term Σ amp·exp(−|x − c|²/(2σ²))/(2πσ²): unit-mass Gaussians times amplitudes.

    Args:
        points: evaluation points, shape (N, 2).
        centers: source centres, shape (M, 2).
        amplitudes: complex amplitudes, shape (M,).
        sigma: the standard deviation per axis, > 0.

    Returns:
        The complex source, shape (N,), complex128.
    """
    points = _check_points(points)
    centers = np.asarray(centers, dtype=float).reshape(-1, 2)
    amplitudes = np.asarray(amplitudes, dtype=np.complex128).reshape(-1)
    if len(centers) != len(amplitudes):
        raise ValueError(f"got {len(centers)} centres but {len(amplitudes)} amplitudes; give one each")
    if not sigma > 0:
        raise ValueError(f"sigma must be positive; found {sigma}")
    r2 = ((points[:, None, :] - centers[None, :, :]) ** 2).sum(axis=2)  # (N, M)
    gauss = np.exp(-r2 / (2 * sigma**2)) / (2 * np.pi * sigma**2)
    return gauss @ amplitudes


def _check_points(points: np.ndarray) -> np.ndarray:
    points = np.asarray(points, dtype=float)
    if points.ndim != 2 or points.shape[1] != 2:
        raise ValueError(f"points must have shape (N, 2); found {points.shape}")
    return points
