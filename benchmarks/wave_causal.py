"""What causal training adds on a wave problem: each `training.causal` option side by side.

Trains a problem file (default problems/wave_1d.yaml) with causal = none, weights, window and both,
for each seed, twice: as the file says (Adam, then its LM steps) and with Adam alone (lm_steps 0),
where a first-order method's failure to respect causality would show. Prints the relative L2 error
over the whole space-time grid, the error at the last time, and the training time, then the error at
five times for each option (seed 0, the file's settings).

Run: python benchmarks/wave_causal.py [FILE] [--seeds 0 1]
"""

from __future__ import annotations

import argparse
import dataclasses
import time

import numpy as np

import sirenpde as sp
from sirenpde.results.solution import relative_l2, relative_l2_by_time

OPTIONS = ("none", "weights", "window", "both")


def run(spec, causal: str, seed: int, lm: bool):
    training = dataclasses.replace(spec.training, causal=causal, seed=seed,
                                   lm_steps=spec.training.lm_steps if lm else 0)
    start = time.perf_counter()
    solution = sp.train(spec.problem, config=training, model_config=spec.model)
    wall = time.perf_counter() - start
    solution.reference = spec.reference
    grid = solution.grid(spec.resolution)
    values, reference = solution.on_grid(grid), solution.reference_on_grid(grid)
    mask = solution.error_mask_on_grid(grid)
    whole = relative_l2(values, reference, mask)["u"]
    curve = relative_l2_by_time(values, reference, mask)["u"]
    return whole, curve, grid.coords[-1], wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", nargs="?", default="problems/wave_1d.yaml")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    args = parser.parse_args()
    spec = sp.load_problem_file(args.file)
    print(f"{args.file}: {spec.training.steps} Adam steps, then {spec.training.lm_steps} LM steps")
    print(f"{'causal':>8} {'seed':>4} {'phases':>10} {'rel. L2':>10} {'at t1':>10} {'time':>7}")
    curves = {}
    for lm in (True, False):
        for seed in args.seeds:
            for causal in OPTIONS:
                whole, curve, times, wall = run(spec, causal, seed, lm)
                if lm and seed == args.seeds[0]:
                    curves[causal] = curve
                phases = "Adam + LM" if lm else "Adam"
                print(f"{causal:>8} {seed:>4} {phases:>10} {whole:10.3e} {curve[-1]:10.3e} {wall:6.1f}s",
                      flush=True)
    picks = np.linspace(0, len(times) - 1, 5).round().astype(int)
    print(f"\nrelative L2 error at each time (seed {args.seeds[0]}, Adam + LM):")
    print(f"{'causal':>8} " + " ".join(f"{f't={times[i]:.3g}':>10}" for i in picks))
    for causal, curve in curves.items():
        print(f"{causal:>8} " + " ".join(f"{curve[i]:10.3e}" for i in picks))


if __name__ == "__main__":
    main()
