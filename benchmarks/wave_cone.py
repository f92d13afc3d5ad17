"""A pulse nobody tuned for, marched with and without the light cone: an elliptic Gaussian off the
box's centre, so that neither its ring nor its place is the paper's.

    python benchmarks/wave_cone.py                       # four windows to t = 0.2, each variant
    python benchmarks/wave_cone.py --variant cutoff --training "lm_steps: 50"

u_tt = Δu on [−1, 1]² × [0, 0.2], u(x, 0) = exp(−(x − 0.3)²/(2·1e-3) − (y + 0.2)²/(2·4e-3)),
u_t = 0, u = 0 on the edge (never reached); four windows with the front as an input, everything
else chosen from the problem. The variants: "cutoff", the package's default (each window's network
cut off beyond its light cone, every point drawn where it acts); "share", no cutoff and half the
points from the light cone (``CONE_BAND`` 0); "uniform", no cutoff and every point uniform over the
reach (``CONE_SHARE`` 0 too). Errors are relative L2 on a 201² grid at each window's end, against
leapfrog on 1601² nodes.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from wave_pulse_windows import on_grid

import sirenpde as sp
import sirenpde.training.point_pools as point_pools
import sirenpde.training.reach as reach
from sirenpde.references.wave_fd import solve_wave_fd

PHYSICS = """problem: wave
domain:
  spacetime:
    space: {box: {lo: [-1, -1], hi: [1, 1]}}
    t: [0, 0.2]
pde: {speed: 1}
initial:
  value: exp(-(x - 0.3)**2/(2*1e-3) - (y + 0.2)**2/(2*4e-3))
  velocity: 0
boundary:
  - {type: dirichlet, on: boundary, value: 0}
"""


def pulse(points: np.ndarray) -> np.ndarray:
    return np.exp(-(points[:, 0] - 0.3) ** 2 / 2e-3 - (points[:, 1] + 0.2) ** 2 / 8e-3)


def errors(solution: sp.Solution, reference, times: list[float]) -> list[float]:
    """The relative L2 error at each of ``times`` on a 201² grid."""
    out = []
    for _, points, u in on_grid(solution.model, times):
        exact = reference(points)
        out.append(float(np.linalg.norm(u - exact) / np.linalg.norm(exact)))
    return out


VARIANTS = {"cutoff": (reach.CONE_BAND, point_pools.CONE_SHARE), "share": (0.0, point_pools.CONE_SHARE),
            "uniform": (0.0, 0.0)}
"""Each variant's ``CONE_BAND`` and ``CONE_SHARE``."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--windows", type=int, default=4)
    parser.add_argument("--training", default="", help="more training keys, e.g. 'lm_steps: 50'")
    parser.add_argument("--variant", choices=(*VARIANTS, "all"), default="all")
    args = parser.parse_args()
    extra = f", {args.training}" if args.training else ""
    training = f"training: {{windows: {args.windows}, window_front: true{extra}}}\n"
    spec = sp.load_problem_text(PHYSICS + training, "pulse.yaml")
    times = [0.2 * (k + 1) / args.windows for k in range(args.windows)]
    reference = solve_wave_fd((-1, -1), (1, 1), 1601, 0.0, 0.2, pulse, keep=times)
    chosen = VARIANTS if args.variant == "all" else {args.variant: VARIANTS[args.variant]}
    for name, (band, share) in chosen.items():
        reach.CONE_BAND, point_pools.CONE_SHARE = band, share
        start = time.perf_counter()
        solution = sp.train(spec.problem, config=spec.training, model_config=spec.model)
        seconds = time.perf_counter() - start
        print(f"{name} ({seconds:.1f} s of training): " + ", ".join(
            f"t = {t:.2f} {e:.3e}" for t, e in zip(times, errors(solution, reference, times), strict=True)),
            flush=True)


if __name__ == "__main__":
    main()
