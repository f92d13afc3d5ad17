"""The issue's 1-D wave problem from Python, until `problems/wave_1d.yaml` exists.

u_tt = 4·u_xx on x, t ∈ [0, 1], u = 0 at x = 0 and 1, u(x, 0) = sin(πx) + 0.5·sin(4πx), u_t(x, 0) = 0;
exact u = sin(πx)·cos(2πt) + 0.5·sin(4πx)·cos(8πt). 48×3 SIREN (w0_initial 10), 1000 Adam steps then
40 Levenberg–Marquardt steps. Prints the relative L2 error over the whole space-time domain (101²
grid) and the training time. Run: python benchmarks/wave_1d.py [seed]
"""

import math
import sys
import time

import torch

import sirenpde as sp

PI = math.pi


def exact(p: torch.Tensor) -> torch.Tensor:
    x, t = p[:, 0], p[:, 1]
    return torch.sin(PI * x) * torch.cos(2 * PI * t) + 0.5 * torch.sin(4 * PI * x) * torch.cos(8 * PI * t)


def main(seed: int) -> None:
    points = {"pde": 2000, "initial": 300, "initial_velocity": 300, "dirichlet:boundary": 300}
    problem = sp.wave(sp.Box((0,), (1,)), 0.0, 1.0, speed=2.0,
                      initial_value=lambda p: torch.sin(PI * p[:, 0]) + 0.5 * torch.sin(4 * PI * p[:, 0]),
                      dirichlet={None: 0.0}, exact=exact, points=points)
    config = sp.TrainConfig(steps=1000, lr=1e-3, lm_steps=40, lm_points_factor=0.5, seed=seed)
    start = time.perf_counter()
    model_config = sp.ModelConfig(layers=(48, 48, 48), w0_initial=10.0)
    solution = sp.train(problem, config=config, model_config=model_config)
    wall = time.perf_counter() - start
    print(f"seed {seed}: relative L2 {solution.relative_l2(resolution=101)['u']:.3e} in {wall:.1f} s")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 0)
