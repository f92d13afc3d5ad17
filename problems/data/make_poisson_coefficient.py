"""Write poisson_coefficient_kappa.npy, the coefficient of poisson_coefficient.yaml:

    κ(x, y) = 1 + 0.5·sin(πx)·sin(πy)   on the 129 × 129 nodes of the unit square,

``values[i, j]`` at ``(x_i, y_j)`` (NumPy's ``indexing="ij"``), in float64. A closed form, so no seed:
the file's ``source:`` writes f out from the same κ, and the gap between κ and its interpolant is
what the run measures besides the network.

Run from this folder: python make_poisson_coefficient.py (instant).
"""

import numpy as np

N = 129


def main() -> None:
    x = np.linspace(0.0, 1.0, N)
    X, Y = np.meshgrid(x, x, indexing="ij")
    np.save("poisson_coefficient_kappa.npy", 1.0 + 0.5 * np.sin(np.pi * X) * np.sin(np.pi * Y))


if __name__ == "__main__":
    main()
