"""How good is the fd reference of problems/wave.yaml? Leapfrog against the free-space solution.

Until the pulse reaches the box's edge (its front is at r ≈ 0.5 when t = 0.4), the paper's problem
has the free-space solution (a Hankel transform of the Gaussian)

    u(r, t) = a·s²·∫ exp(−κ²s²/2)·cos(κt)·J0(κr)·κ dκ,    a = 0.02, s² = 5e-4,

evaluated here by the trapezoidal rule on κ ∈ [0, 12/s] (the integrand is below e^{−72} beyond).
Prints the relative L2 error at t = 0.4 of the leapfrog solution on n² nodes, and the ratio to the
next finer grid (4 for second order). Run: python benchmarks/wave_pulse_reference.py
"""

import time

import numpy as np
from scipy.special import j0

from sirenpde.references import solve_wave_fd

A, S2, T = 0.02, 5e-4, 0.4


def free_space(r: np.ndarray, t: float) -> np.ndarray:
    s = np.sqrt(S2)
    kappa = np.linspace(0.0, 12 / s, 20001)
    weight = np.exp(-(kappa**2) * S2 / 2) * np.cos(kappa * t) * kappa
    out = np.empty_like(r)
    for start in range(0, len(r), 256):  # bounded memory: 256 radii × 20001 wavenumbers at a time
        chunk = r[start : start + 256, None]
        out[start : start + 256] = np.trapezoid(weight * j0(kappa * chunk), kappa, axis=1)
    return A * S2 * out


def main() -> None:
    xs = np.linspace(-1, 1, 401)
    x, y = np.meshgrid(xs, xs, indexing="ij")
    r = np.hypot(x, y).ravel()
    radii = np.linspace(0, r.max(), 4001)
    exact = np.interp(r, radii, free_space(radii, T))
    points = np.column_stack([x.ravel(), y.ravel(), np.full(r.size, T)])
    ring = np.abs(exact) > 0.1 * np.abs(exact).max()
    print(f"at t = {T}: peak |u| {np.abs(exact).max():.3e} ({np.abs(exact).max() / A:.3f} of the initial"
          f" height); |u| > 10 % of that peak on {ring.mean():.1%} of the box")
    print(f"relative L2 error of the leapfrog solution at t = {T} (401² evaluation grid):")
    errors = []
    for n in (401, 801, 1601):
        start = time.perf_counter()
        fd = solve_wave_fd([-1, -1], [1, 1], n, 0.0, T,
                           lambda p: A * np.exp(-(p[:, 0] ** 2 + p[:, 1] ** 2) / (2 * S2)), keep=[T])
        error = np.linalg.norm(fd(points) - exact) / np.linalg.norm(exact)
        errors.append(error)
        ratio = f", ratio {errors[-2] / error:.2f}" if len(errors) > 1 else ""
        print(f"  {n}² nodes: {error:.3e} ({time.perf_counter() - start:.1f} s){ratio}", flush=True)


if __name__ == "__main__":
    main()
