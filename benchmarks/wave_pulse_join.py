"""The paper's pulse, first windows of a march: u and u_t at the last one's end against leapfrog.

The next window starts from both, so their errors are what a march carries forward.

    python benchmarks/wave_pulse_join.py                                   # settings chosen
    python benchmarks/wave_pulse_join.py --training "lm_points_factor: 1.5"
    python benchmarks/wave_pulse_join.py --training "lm_points_factor: 0.75" --model "layers: [32, 32, 32]"

The reference is leapfrog on 1601² nodes, u_t its central difference over ±1e-3; the errors are
relative L2 on a 161² grid over [−0.4, 0.4]² (the pulse's neighbourhood).
"""

from __future__ import annotations

import argparse

import numpy as np
import torch
from wave_pulse_windows import pulse, pulse_spec, setting_arguments, train_windows

from sirenpde.references.wave_fd import solve_wave_fd


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    setting_arguments(parser, train=1)
    args = parser.parse_args()
    spec = pulse_spec(args)
    solution = train_windows(spec, spec.problem, args)
    end, step = 0.4 * args.train / args.windows, 1e-3
    reference = solve_wave_fd((-1, -1), (1, 1), 1601, 0.0, end + step, pulse,
                              keep=[end - step, end, end + step])
    axis = np.linspace(-0.4, 0.4, 161)
    x, y = (a.ravel() for a in np.meshgrid(axis, axis, indexing="ij"))

    def at(t: float) -> np.ndarray:
        return np.stack([x, y, np.full(x.size, t)], axis=1)
    u_exact = reference(at(end))
    ut_exact = (reference(at(end + step)) - reference(at(end - step))) / (2 * step)
    u, ut = solution.model.windows.pair(args.train - 1, torch.tensor(at(end), dtype=torch.float32))
    u, ut = u.detach().numpy()[:, 0], ut.detach().numpy()[:, 0]
    print(f"at t = {end:g}: u relative L2 {np.linalg.norm(u - u_exact) / np.linalg.norm(u_exact):.3e},"
          f" u_t relative L2 {np.linalg.norm(ut - ut_exact) / np.linalg.norm(ut_exact):.3e}")


if __name__ == "__main__":
    main()
