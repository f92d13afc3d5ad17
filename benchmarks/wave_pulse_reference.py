"""How good is the fd reference of problems/wave.yaml? Leapfrog against the free-space solution.

Until the pulse reaches the box's edge (its front is at r ≈ 0.5 when t = 0.4), the paper's problem
has the free-space solution (a Hankel transform of the Gaussian)

    u(r, t) = a·s²·∫ exp(−κ²s²/2)·cos(κt)·J0(κr)·κ dκ,    a = 0.02, s² = 5e-4,

evaluated here by the trapezoidal rule on κ ∈ [0, 12/s] (the integrand is below e^{−72} beyond).
Prints the relative L2 error at t = 0.4 of the leapfrog solution on n² nodes, and the ratio to the
next finer grid (4 for second order); then that of 801² nodes (the benchmarks' reference) at
earlier times. Run: python benchmarks/wave_pulse_reference.py
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


def free_space_at(points: np.ndarray, t: float) -> np.ndarray:
    """The free-space field at points (N, ≥ 2) of the plane at time t, interpolated linearly from
    4001 radii up to the farthest point (a step of σ/60 over [−1, 1]²; 5e-5 of the peak from the
    integral at t = 0.05 and 0.4)."""
    r = np.hypot(points[:, 0], points[:, 1])
    radii = np.linspace(0, r.max(), 4001)
    return np.interp(r, radii, free_space(radii, t))


def main() -> None:
    xs = np.linspace(-1, 1, 401)
    x, y = np.meshgrid(xs, xs, indexing="ij")
    r = np.hypot(x, y).ravel()
    exact = free_space_at(np.column_stack([x.ravel(), y.ravel()]), T)
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
    times = (0.05, 0.1, 0.2, 0.4)  # the benchmarks' reference: its error grows with t
    fd = solve_wave_fd([-1, -1], [1, 1], 801, 0.0, T,
                       lambda p: A * np.exp(-(p[:, 0] ** 2 + p[:, 1] ** 2) / (2 * S2)), keep=list(times))
    errors = []
    for t in times:
        at = np.column_stack([x.ravel(), y.ravel(), np.full(r.size, t)])
        exact_t = free_space_at(at, t)
        errors.append(f"{np.linalg.norm(fd(at) - exact_t) / np.linalg.norm(exact_t):.2e} at t = {t}")
    print("801² nodes, earlier: " + ", ".join(errors))


if __name__ == "__main__":
    main()
