"""Where the marched pulse's error sits: the share of the squared error by distance from the centre.

    python benchmarks/wave_pulse_error_map.py            # 4 of 8 windows, 32×3, lm_points_factor 0.75

Trains the first ``--train`` windows of ``problems/wave.yaml``'s physics marched in ``--windows``,
then compares u with leapfrog on 801² nodes on a 401² grid at times in the last two trained windows.
"""

from __future__ import annotations

import argparse

import numpy as np
import torch
from wave_pulse_windows import pulse, pulse_spec, setting_arguments, train_windows

from sirenpde.references.wave_fd import solve_wave_fd

RINGS = [(0, 0.05), (0.05, 0.1), (0.1, 0.15), (0.15, 0.2), (0.2, 0.25), (0.25, 0.3), (0.3, 0.4), (0.4, 1.5)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    setting_arguments(parser, train=4, training="lm_points_factor: 0.75", model="layers: [32, 32, 32]")
    args = parser.parse_args()
    spec = pulse_spec(args)
    solution = train_windows(spec, spec.problem, args)
    step = 0.4 / args.windows
    end = step * args.train
    times = [end - 2 * step + step * j / 2 for j in range(5)]  # the last two windows
    reference = solve_wave_fd((-1, -1), (1, 1), 801, 0.0, end, pulse, keep=times)
    axis = np.linspace(-1, 1, 401)
    x, y = (a.ravel() for a in np.meshgrid(axis, axis, indexing="ij"))
    radius = np.hypot(x, y)
    for t in times:
        points = np.stack([x, y, np.full(x.size, t)], axis=1)
        exact = reference(points)
        with torch.no_grad():
            error = solution.model(torch.tensor(points, dtype=torch.float32)).numpy()[:, 0] - exact
        total = (error**2).sum()
        shares = " ".join(f"[{a:g}, {b:g}) {(error[(radius >= a) & (radius < b)] ** 2).sum() / total:.2f}"
                          for a, b in RINGS)
        print(f"t = {t:.3f}: relative L2 {np.linalg.norm(error) / np.linalg.norm(exact):.3e};"
              f" share of the squared error by radius: {shares}")


if __name__ == "__main__":
    main()
