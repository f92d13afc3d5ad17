"""The paper's pulse (problems/wave.yaml's physics) marched in time: train the first windows only and
measure the error inside them against leapfrog finite differences.

    python benchmarks/wave_pulse_windows.py                 # 8 windows, the first one trained
    python benchmarks/wave_pulse_windows.py --windows 4 --train 2
    python benchmarks/wave_pulse_windows.py --rad           # RAD on the PDE term
    python benchmarks/wave_pulse_windows.py --train 8 --model "layers: [32, 32, 32]" \
        --training "lm_points_factor: 0.75"

Everything else is chosen from the problem, as for a physics-only file. The reference is leapfrog on
801² nodes (1.5e-2 from the exact field at t = 0.4; docs/benchmarks.md), the errors are relative L2
on a 201² grid; "u = g" is the error of the initial pulse left where it is, for comparison.
"""

from __future__ import annotations

import argparse
import dataclasses
import time

import numpy as np
import torch

import sirenpde as sp
import sirenpde.training.point_pools as point_pools
import sirenpde.training.reach as reach
from sirenpde.references.wave_fd import solve_wave_fd
from sirenpde.sampling.strategies import RAD
from sirenpde.training.errors import TrainingInterrupted

PHYSICS = """problem: wave
domain:
  spacetime:
    space: {box: {lo: [-1, -1], hi: [1, 1]}}
    t: [0, 0.4]
pde: {speed: 1}
initial:
  value: 0.02*exp(-(x**2 + y**2)/(2*5e-4))
  velocity: 0
boundary:
  - {type: dirichlet, on: boundary, value: 0}
"""


def pulse(points: np.ndarray) -> np.ndarray:
    return 0.02 * np.exp(-(points[:, 0] ** 2 + points[:, 1] ** 2) / (2 * 5e-4))


def setting_arguments(parser: argparse.ArgumentParser, train: int, training: str = "",
                      model: str = "") -> None:
    """The options every pulse benchmark takes: the march, the windows to train, the PDE term's
    points, extra keys."""
    parser.add_argument("--windows", type=int, default=8)
    parser.add_argument("--train", type=int, default=train, help=f"windows to train (default {train})")
    parser.add_argument("--training", default=training, help="more training keys, e.g. 'lm_steps: 50'")
    parser.add_argument("--model", default=model, help="model keys, e.g. 'layers: [32, 32, 32]'")
    parser.add_argument("--pde-points", type=int, default=0,
                        help="the PDE term's points per step (default: the file's 4000)")
    cone_arguments(parser)


def cone_arguments(parser: argparse.ArgumentParser) -> None:
    """``--cone-band``: the band of each window's cutoff to its light cone, in units of the front's
    smoothing length (0: no such cutoff); ``--cone-share``: without that cutoff, the share of each
    window's points from its light cone. Set by :func:`use_cone`."""
    parser.add_argument("--cone-band", type=float, default=reach.CONE_BAND,
                        help="the band of each window's cutoff to its light cone (0: none, the network"
                             f" acts on the whole reach; default {reach.CONE_BAND})")
    parser.add_argument("--cone-share", type=float, default=point_pools.CONE_SHARE,
                        help="without the cone's cutoff, the share of each window's points drawn from its"
                             f" light cone (0: all uniform over the reach; default {point_pools.CONE_SHARE})")


def use_cone(args: argparse.Namespace) -> None:
    """March with the cone's cutoff of ``args.cone_band`` and ``args.cone_share`` of the points from
    the light cone."""
    reach.CONE_BAND = args.cone_band
    point_pools.CONE_SHARE = args.cone_share


def pulse_spec(args: argparse.Namespace):
    """The pulse's physics marched in ``args.windows`` windows, with the extra keys of ``args`` (and
    its light-cone settings, :func:`use_cone`)."""
    use_cone(args)
    extra = f", {args.training}" if args.training else ""
    model = f"model: {{{args.model}}}\n" if args.model else ""
    physics = PHYSICS
    if args.pde_points:
        physics = physics.replace("pde: {speed: 1}", f"pde: {{speed: 1, points: {args.pde_points}}}")
    return sp.load_problem_text(physics + f"training: {{windows: {args.windows}{extra}}}\n" + model,
                                "pulse.yaml")


def train_windows(spec, problem: sp.Problem, args: argparse.Namespace) -> sp.Solution:
    """The first ``args.train`` windows of the march trained (the run stopped as the next begins)."""
    reports: list[str] = []
    stop_at = f"{args.train + 1}/{args.windows}"
    start = time.perf_counter()
    try:
        solution = sp.train(problem, config=spec.training, model_config=spec.model,
                            callback=lambda p: reports.append(p.window),
                            stop=lambda: bool(reports) and reports[-1] == stop_at)
    except TrainingInterrupted as stopped:
        solution = stopped.solution
    print(f"{args.train} of {args.windows} windows trained in {time.perf_counter() - start:.1f} s")
    return solution


def on_grid(model: torch.nn.Module, times: list[float], n: int = 201):
    """For each of ``times``: the points (n², 3) of an n² grid over [−1, 1]² at that time and the
    model's u there, evaluated on the CPU in float32 whatever device trained it."""
    axis = np.linspace(-1, 1, n)
    x, y = (a.ravel() for a in np.meshgrid(axis, axis, indexing="ij"))
    model = model.cpu().float()
    for t in times:
        points = np.stack([x, y, np.full(x.size, t)], axis=1)
        with torch.no_grad():
            yield t, points, model(torch.tensor(points, dtype=torch.float32)).numpy()[:, 0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    setting_arguments(parser, train=1)
    parser.add_argument("--rad", action="store_true", help="RAD sampling on the PDE term")
    args = parser.parse_args()
    spec = pulse_spec(args)
    problem = spec.problem
    if args.rad:
        problem = dataclasses.replace(problem, constraints=tuple(
            dataclasses.replace(c, sampling=RAD()) if c.name == "pde" else c for c in problem.constraints))
    solution = train_windows(spec, problem, args)
    end = 0.4 * args.train / args.windows
    times = [t for t in (0.005, 0.01, 0.02, 0.03, 0.05, 0.1, 0.2, 0.3, 0.4) if t < end] + [end]
    reference = solve_wave_fd((-1, -1), (1, 1), 801, 0.0, end, pulse, keep=times)
    for t, points, u in on_grid(solution.model, times):
        exact = reference(points)
        norm = np.linalg.norm(exact)
        print(f"t = {t:.3f}: relative L2 {np.linalg.norm(u - exact) / norm:.3e}"
              f" (u = g: {np.linalg.norm(pulse(points) - exact) / norm:.3e}),"
              f" peak |u| {np.abs(u).max():.2e}, reference {np.abs(exact).max():.2e}")


if __name__ == "__main__":
    main()
