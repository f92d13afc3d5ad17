"""problems/wave_two_pulses.yaml marched as the file says, its first windows only: the error at each
window's end against leapfrog finite differences.

    python benchmarks/wave_two_pulses_windows.py --train 1
    python benchmarks/wave_two_pulses_windows.py --train 1 --training "window_front: true"
    python benchmarks/wave_two_pulses_windows.py --train 1 --cone-band 0 --cone-share 0  # uniform
    python benchmarks/wave_two_pulses_windows.py --windows 8 --train 3 --wall-cells 0 \
        --training "window_front: true, steps: 300, lm_steps: 250, lm_points_factor: 0.5"

The file's settings throughout (twelve windows, or ``--windows``, the rest chosen from the
problem), with the ``--training`` keys added to its ``training`` mapping; training stops as window
``--train`` + 1 begins. ``--wall-cells 0`` keeps the walls' u = 0 as a loss term instead of
holding it exactly (:mod:`sirenpde.training.walls`). The reference is leapfrog on 801² nodes,
the errors relative L2 on a 201² grid.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from wave_pulse_windows import cone_arguments, on_grid, train_windows, use_cone

import sirenpde as sp
import sirenpde.training.walls as walls
from sirenpde.references.wave_fd import solve_wave_fd

FILE = Path(__file__).resolve().parents[1] / "problems" / "wave_two_pulses.yaml"


def pulses(points: np.ndarray) -> np.ndarray:
    """The file's initial value."""
    x, y = points[:, 0], points[:, 1]
    return (0.02 * np.exp(-((x + 0.4) ** 2 + (y - 0.3) ** 2) / (2 * 1e-3))
            + 0.01 * np.exp(-((x - 0.55) ** 2 + (y + 0.2) ** 2) / (2 * 2.5e-3)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", type=int, default=1, help="windows to train (default 1)")
    parser.add_argument("--training", default="", help="more training keys, e.g. 'window_front: true'")
    parser.add_argument("--windows", type=int, default=0, help="the march's windows (default: the file's)")
    parser.add_argument("--wall-cells", type=float, default=walls.WALL_CELLS,
                        help="the wall factor's length in front widths (0: walls held by their loss term;"
                             f" default {walls.WALL_CELLS})")
    cone_arguments(parser)
    args = parser.parse_args()
    use_cone(args)
    walls.WALL_CELLS = args.wall_cells
    text = FILE.read_text()
    # the file's one-line mapping, `training: {windows: 12}`, with the keys added
    line = next(x for x in text.splitlines() if x.startswith("training: {") and x.endswith("}"))
    keys = line[len("training: {"):-1]
    if args.windows:
        keys = f"windows: {args.windows}"
    text = text.replace(line, "training: {" + ", ".join(k for k in (keys, args.training) if k) + "}")
    spec = sp.load_problem_text(text, str(FILE))
    count, t0, t1 = spec.training.windows, spec.problem.domain.t0, spec.problem.domain.t1
    solution = train_windows(spec, spec.problem, argparse.Namespace(train=args.train, windows=count))
    for ending in str(solution.info.get("lm_ending", "")).split("; ")[: args.train]:
        print(f"Levenberg–Marquardt's end, {ending}")
    times = [t0 + (t1 - t0) * k / count for k in range(1, args.train + 1)]
    reference = solve_wave_fd((-1, -1), (1, 1), 801, t0, times[-1], pulses, keep=times)
    for t, points, u in on_grid(solution.model, times):
        exact = reference(points)
        print(f"t = {t:.3f}: relative L2 {np.linalg.norm(u - exact) / np.linalg.norm(exact):.3e}"
              f" (u = g: {np.linalg.norm(pulses(points) - exact) / np.linalg.norm(exact):.3e})", flush=True)


if __name__ == "__main__":
    main()
