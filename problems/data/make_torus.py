"""Write torus.xyz: 20 000 oriented points, uniform in area, on the torus R = 0.5, r = 0.2 (axis z).

Run from this folder: python make_torus.py. The exact signed distance is
sqrt((sqrt(x² + y²) − R)² + z²) − r.
"""

import numpy as np

R, r, N, SEED = 0.5, 0.2, 20_000, 0


def torus_points(n: int, rng: np.random.Generator) -> np.ndarray:
    """n rows of x y z nx ny nz; θ around the tube drawn with density ∝ R + r·cos θ (the area element)."""
    phi = rng.uniform(0, 2 * np.pi, n)
    theta = np.empty(0)
    while len(theta) < n:
        candidate = rng.uniform(0, 2 * np.pi, 2 * n)
        keep = rng.uniform(0, R + r, 2 * n) < R + r * np.cos(candidate)
        theta = np.concatenate([theta, candidate[keep]])
    theta = theta[:n]
    ring = R + r * np.cos(theta)
    points = np.column_stack([ring * np.cos(phi), ring * np.sin(phi), r * np.sin(theta)])
    normals = np.column_stack([np.cos(theta) * np.cos(phi), np.cos(theta) * np.sin(phi), np.sin(theta)])
    return np.hstack([points, normals])


if __name__ == "__main__":
    table = torus_points(N, np.random.default_rng(SEED))
    np.savetxt("torus.xyz", table, fmt="%.7f", header="torus R = 0.5, r = 0.2: x y z nx ny nz")
