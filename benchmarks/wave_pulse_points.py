"""The paper's pulse marched with more PDE points per step or a wider network: the error at each
window's end, to tell sampling density from capacity, and where that error is.

    python benchmarks/wave_pulse_points.py --train 4 --pde-points 16000 \
        --model "layers: [64, 64, 64]" --training "lm_points_factor: 0.75, device: cuda"

The options are those of ``wave_pulse_windows.py`` (``--windows``, ``--train``, ``--model``,
``--training``, ``--pde-points``: the PDE term's points per step, the file's 4000 by default;
``--cone-band``: the band of each window's cutoff to its light cone, 0 for none; ``--cone-share``:
without that cutoff, the share of each window's points from the light cone, 0 for none).
The reference is leapfrog on 801² nodes, the errors relative L2 on a 201² grid; the network is
evaluated on the CPU whatever device trained it. "Exact" is the error against the free-space
solution instead (``wave_pulse_reference.py``; the front stays far from the walls until t = 0.4):
leapfrog on 801² is itself 1.5e-2 from it at t = 0.4, so the first column cannot go below that.
Two more columns split the error against leapfrog (both relative to the field's norm, so each is
at most the whole): "not radial", what is left of the error once its mean over each ring
r = const is taken out (the exact field is radially symmetric, so a wrong shape or speed of the
ring is radial, noise is not); "ahead", the error where r > t + 0.1, beyond the front (4.5 pulse
widths), where the exact field is zero.
"""

from __future__ import annotations

import argparse

import numpy as np
from wave_pulse_reference import free_space_at
from wave_pulse_windows import on_grid, pulse, pulse_spec, setting_arguments, train_windows

from sirenpde.references.wave_fd import solve_wave_fd


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    setting_arguments(parser, train=4)
    args = parser.parse_args()
    spec = pulse_spec(args)
    solution = train_windows(spec, spec.problem, args)
    end = 0.4 * args.train / args.windows
    times = [t for t in (0.05, 0.1, 0.15, 0.2, 0.3, 0.4) if t < end - 1e-9] + [end]
    reference = solve_wave_fd((-1, -1), (1, 1), 801, 0.0, end, pulse, keep=times)
    for t, points, u in on_grid(solution.model, times):
        r = np.hypot(points[:, 0], points[:, 1])
        rings = np.digitize(r, np.arange(0.0, r.max() + 0.01, 0.01))
        exact = reference(points)
        error, norm = u - exact, np.linalg.norm(exact)
        radial = (np.bincount(rings, error) / np.maximum(np.bincount(rings), 1))[rings]
        free = free_space_at(points, t)
        exact_error = np.linalg.norm(u - free) / np.linalg.norm(free)
        print(f"t = {t:.3f}: relative L2 {np.linalg.norm(error) / norm:.3e} (exact {exact_error:.3e}),"
              f" not radial {np.linalg.norm(error - radial) / norm:.3e},"
              f" ahead {np.linalg.norm(error[r > t + 0.1]) / norm:.3e}", flush=True)


if __name__ == "__main__":
    main()
