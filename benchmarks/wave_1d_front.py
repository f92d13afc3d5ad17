"""A small marched 1-D pulse with and without the front as an input (``training.window_front``),
over several seeds: the comparison behind the front being off by default.

    python benchmarks/wave_1d_front.py                   # seeds 0 … 7
    python benchmarks/wave_1d_front.py --seeds 0 1 --windows 4
    python benchmarks/wave_1d_front.py --cone-band 0 --cone-share 0   # all points uniform over the reach

u_tt = u_xx on [−1, 1] × [0, 0.2], u = exp(−x²/0.004) at rest, u = 0 at x = ±1 (never reached);
exact u = (g(x − t) + g(x + t))/2. A 16×16 SIREN per window, 300 Adam + 20 Levenberg–Marquardt
steps, two windows — the march of the test suite's d'Alembert test. Prints each seed's relative L2
error over 4000 random points of the space-time box, then the median of each column.
"""

from __future__ import annotations

import argparse
import statistics

import torch
from wave_pulse_windows import cone_arguments, use_cone

import sirenpde as sp
from sirenpde.domains import Box

WIDTH2 = 0.004  # 2σ²


def _exact(x: torch.Tensor) -> torch.Tensor:
    position, time = x[:, :1], x[:, 1:]
    return (torch.exp(-(position - time) ** 2 / WIDTH2) + torch.exp(-(position + time) ** 2 / WIDTH2)) / 2


def error(seed: int, front: bool, windows: int) -> float:
    g = sp.expression(f"exp(-x**2/{WIDTH2})", ("x", "t"))
    problem = sp.wave(Box((-1.0,), (1.0,)), 0.0, 0.2, initial_value=g, initial_velocity=0.0,
                      dirichlet={None: 0.0}, exact_initial=True, exact=_exact,
                      points={"pde": 256, "dirichlet:boundary": 32})
    config = sp.TrainConfig(steps=300, lm_steps=20, windows=windows, seed=seed, window_front=front,
                            validate_every=50, log_every=50)
    model = sp.train(problem, config=config, model_config=sp.ModelConfig(layers=(16, 16))).model
    x = torch.rand(4000, 2, generator=torch.Generator().manual_seed(1234)) * torch.tensor([2.0, 0.2])
    x = x - torch.tensor([1.0, 0.0])
    with torch.no_grad():
        exact = _exact(x)
        return float((model(x) - exact).norm() / exact.norm())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=list(range(8)))
    parser.add_argument("--windows", type=int, default=2)
    cone_arguments(parser)
    args = parser.parse_args()
    use_cone(args)
    columns: dict[str, list[float]] = {"no front": [], "front": []}
    for seed in args.seeds:
        for name in columns:
            columns[name].append(error(seed, name == "front", args.windows))
        print(f"seed {seed}: " + ", ".join(f"{n} {v[-1]:.2e}" for n, v in columns.items()), flush=True)
    print("median: " + ", ".join(f"{n} {statistics.median(v):.2e}" for n, v in columns.items()))


if __name__ == "__main__":
    main()
