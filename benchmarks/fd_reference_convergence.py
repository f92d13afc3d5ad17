"""Convergence of the finite-difference Helmholtz reference against the Hankel field.

The paper's setup: k = 20 on [−1,1]², PML width 0.5 (a0 = 5, p = 2), one Gaussian source at the
origin (amplitude 1+1j, sigma 0.01). The error is measured at the grid nodes of [−0.5,0.5]² outside
r = 0.1. Run: python benchmarks/fd_reference_convergence.py
"""

import numpy as np

from sirenpde.problems.pml import PML
from sirenpde.references import gaussian_source, point_sources_field, solve_helmholtz_fd

K, SIGMA, AMP = 20.0, 0.01, 1 + 1j


def error(n: int) -> float:
    def source(p):
        return gaussian_source(p, [(0.0, 0.0)], [AMP], SIGMA)

    fd = solve_helmholtz_fd(K, (-1, -1), (1, 1), n, source, pml=PML(0.5))
    points = fd.points()
    keep = np.all(np.abs(points) <= 0.5, axis=1) & (np.linalg.norm(points, axis=1) >= 0.1)
    ref = point_sources_field(points[keep], K, [(0.0, 0.0, AMP)], sigma=SIGMA)
    return float(np.linalg.norm(fd.u.ravel()[keep] - ref) / np.linalg.norm(ref))


if __name__ == "__main__":
    previous = None
    for n in (101, 201, 401):
        e = error(n)
        ratio = f"  ratio {previous / e:.2f}" if previous else ""
        print(f"{n}²: relative L2 {e:.3e}{ratio}")
        previous = e
