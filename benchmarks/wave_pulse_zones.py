"""Where a solution of the paper's pulse is wrong: its error against the free-space solution, ring
by ring, at a few times.

    sirenpde solve problems/wave.yaml && python benchmarks/wave_pulse_zones.py wave.h5

For each time, the relative L2 error on a 301² grid over [−1, 1]², then each ring's share of it
(the error's norm on the ring over the field's norm on the whole grid, so the shares' squares sum
to the whole's): rings 0.05 wide from the centre out to r = 1, and the corners beyond. The exact
field is zero beyond r = t + 0.1 (4.5 pulse widths; the front stays far from the walls until
t = 0.4), so what is there is wholly error.
"""

from __future__ import annotations

import argparse

import numpy as np
from wave_pulse_reference import free_space_at
from wave_pulse_windows import on_grid

import sirenpde as sp

RING = 0.05


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("result", help="a result file of the pulse (sirenpde solve problems/wave.yaml)")
    parser.add_argument("--times", type=float, nargs="+", default=[0.2, 0.3, 0.4])
    args = parser.parse_args()
    solution = sp.load(args.result)
    edges = np.arange(0.0, 1.0 + RING / 2, RING)
    print("rings: " + " ".join(f"{a:.2f}" for a in edges[:-1]) + " and beyond 1")
    for t, points, u in on_grid(solution.model, args.times, n=301):
        r = np.hypot(points[:, 0], points[:, 1])
        exact = free_space_at(points, t)
        error, norm = u - exact, np.linalg.norm(exact)
        ring = np.digitize(r, edges)
        shares = [np.linalg.norm(error[ring == i]) / norm for i in range(1, len(edges) + 1)]
        ahead = np.linalg.norm(error[r > t + 0.1]) / norm
        print(f"t = {t:.2f}: relative L2 {np.linalg.norm(error) / norm:.2e}, beyond r = t + 0.1"
              f" {ahead:.1e}; by ring " + " ".join(f"{v:.1e}" for v in shares), flush=True)


if __name__ == "__main__":
    main()
