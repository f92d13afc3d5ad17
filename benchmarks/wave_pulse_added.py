"""The paper's pulse marched: at each window's end, the error the window inherited and the error it
added.

    python benchmarks/wave_pulse_added.py --train 4
    python benchmarks/wave_pulse_added.py --train 4 --training "window_front: true"

The options are those of ``wave_pulse_windows.py``. At the end of window k + 1 the march's error
against leapfrog on 801² nodes splits into what it inherited — leapfrog on 801² nodes from the
march's own u and u_t at t_k (u_t by a central difference of 1e-4 in time, which the join keeps
continuous) against the reference — and what the window added — the march against that leapfrog.
All three are relative L2 on a 201² grid, relative to the reference's norm. The first window
inherits nothing.
"""

from __future__ import annotations

import argparse

import numpy as np
import torch
from wave_pulse_windows import on_grid, pulse, pulse_spec, setting_arguments, train_windows

from sirenpde.references.wave_fd import solve_wave_fd

NODES, STEP = 801, 1e-4


def _at(model, t: float):
    """The march's u at time t, as a function of points (N, 3) (their times ignored)."""
    def u(points: np.ndarray) -> np.ndarray:
        at = np.asarray(points, float).copy()
        at[:, -1] = t
        with torch.no_grad():
            return model(torch.tensor(at)).numpy()[:, 0]
    return u


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    setting_arguments(parser, train=4)
    args = parser.parse_args()
    spec = pulse_spec(args)
    model = train_windows(spec, spec.problem, args).model  # on_grid evaluates it on the CPU in float32
    step = 0.4 / args.windows
    ends = [step * (k + 1) for k in range(args.train)]
    reference = solve_wave_fd((-1, -1), (1, 1), NODES, 0.0, ends[-1], pulse, keep=ends)
    for k, ((t, points, u), end) in enumerate(zip(on_grid(model, ends), ends, strict=True)):
        exact = reference(points)
        norm = np.linalg.norm(exact)
        evolved = exact
        if k:
            start = end - step
            ahead, behind = _at(model, start + STEP), _at(model, start - STEP)
            fd = solve_wave_fd((-1, -1), (1, 1), NODES, start, end, _at(model, start),
                               lambda p, a=ahead, b=behind: (a(p) - b(p)) / (2 * STEP), keep=[end])
            evolved = fd(points)
        print(f"window {k + 1}, t = {t:.3f}: relative L2 {np.linalg.norm(u - exact) / norm:.3e},"
              f" inherited {np.linalg.norm(evolved - exact) / norm:.3e},"
              f" added {np.linalg.norm(u - evolved) / norm:.3e}", flush=True)


if __name__ == "__main__":
    main()
