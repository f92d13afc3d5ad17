"""Write the files of heat_rough.yaml, the heat equation with a rough diffusivity:

    u_t = a(x, y)·Δu on the unit square, t ∈ [0, 1],   u = 0 on the edge,
    u(x, y, 0) = 16·x(1−x)·y(1−y)·exp(−((x − 0.4)² + (y − 0.55)²)/0.045).

* heat_rough_diffusivity.npy — a on the 256 × 256 nodes of the unit square (``values[i, j]`` at
  ``(x_i, y_j)``, float32): white noise (seed 0) smoothed by a Gaussian of 4 nodes' standard
  deviation, stretched to s ∈ [−1, 1], and a = 0.02·2^s, so between 0.01 and 0.04 — a factor of four
  over a few hundredths of the square.
* heat_rough_reference.npy — u from sirenpde.references.solve_heat_fd (Crank–Nicolson, 5-point
  Laplacian of the non-divergence form a·Δu) on the same 256 × 256 nodes with a at those nodes,
  400 steps of Δt = 1/400, kept at t = 0, 0.1, …, 1 and at every third node: shape (86, 86, 11) over
  x, y, t (float32). Halving Δt and the grid spacing changes it by less than 1e-4 of its maximum
  (``python make_heat_rough.py --check``).

Run from this folder: python make_heat_rough.py (about ten seconds; with --check, a minute and a
half).
"""

import sys

import numpy as np
from scipy.ndimage import gaussian_filter, zoom

from sirenpde.references import solve_heat_fd

N, SMOOTHING, BASE, SEED = 256, 4.0, 0.02, 0
FRAMES, STEPS_PER_FRAME, EVERY = 11, 40, 3


def diffusivity() -> np.ndarray:
    noise = np.random.default_rng(SEED).standard_normal((N, N))
    smooth = gaussian_filter(noise, SMOOTHING, mode="reflect")
    s = 2 * (smooth - smooth.min()) / (smooth.max() - smooth.min()) - 1
    return (BASE * 2.0**s).astype(np.float32)


def initial(points: np.ndarray) -> np.ndarray:
    x, y = points[:, 0], points[:, 1]
    return 16 * x * (1 - x) * y * (1 - y) * np.exp(-((x - 0.4) ** 2 + (y - 0.55) ** 2) / 0.045)


def solve(a: np.ndarray, n: int = N, steps_per_frame: int = STEPS_PER_FRAME) -> np.ndarray:
    """u (n, n, FRAMES) over x, y, t."""
    result = solve_heat_fd((0, 0), (1, 1), n, 0.0, 1.0, initial, a.astype(np.float64), frames=FRAMES,
                           steps_per_frame=steps_per_frame)
    return np.moveaxis(result.u, 0, -1)


def check(a: np.ndarray) -> None:
    """The stored grid against one with half the spacing and half the step (a interpolated linearly)."""
    fine = zoom(a.astype(np.float64), (2 * N - 1) / N, order=1)
    coarse, finer = solve(a), solve(fine, 2 * N - 1, 2 * STEPS_PER_FRAME)
    gap = np.abs(coarse - finer[::2, ::2]).max() / np.abs(finer).max()
    print(f"largest change on refinement: {gap:.2e} of the maximum")


def main() -> None:
    a = diffusivity()
    if "--check" in sys.argv:
        check(a)
        return
    np.save("heat_rough_diffusivity.npy", a)
    np.save("heat_rough_reference.npy", solve(a)[::EVERY, ::EVERY].astype(np.float32))


if __name__ == "__main__":
    main()
