"""Milliseconds per Adam step with the forward and the autograd derivative engines, side by side.

For each problem file: the network and batch sizes it declares, the same model and points for both
engines, steps alternated between them (so both see the same machine load), median of each, and the
ratio autograd / forward. Run with nothing else on the machine:

    python benchmarks/derivative_engines.py [problem.yaml ...]
"""

from __future__ import annotations

import statistics
import sys
import time

import torch

from sirenpde import build_model, load_problem_file
from sirenpde.domains import make_sampler
from sirenpde.loss import draw_batches, evaluate_losses

ENGINES = ("autograd", "forward")
DEFAULT_FILES = ("problems/poisson.yaml", "problems/helmholtz_dirichlet.yaml", "problems/helmholtz.yaml")


def step_time(problem, model, optimizer, batches, engine: str) -> float:
    start = time.perf_counter()
    optimizer.zero_grad(set_to_none=True)
    evaluate_losses(problem, model, batches, engine)[0].backward()
    optimizer.step()
    return time.perf_counter() - start


def measure(path: str, repeats: int = 30) -> dict[str, float]:
    spec = load_problem_file(path)
    problem = spec.problem
    model = build_model(problem, spec.model, seed=0)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-6)  # tiny steps: the cost, not the fit
    sampler = make_sampler("uniform", torch.Generator().manual_seed(0), torch.device("cpu"), torch.float32)
    batches = draw_batches(problem, sampler)
    times: dict[str, list[float]] = {e: [] for e in ENGINES}
    for i in range(repeats + 3):
        for engine in ENGINES if i % 2 == 0 else ENGINES[::-1]:
            t = step_time(problem, model, optimizer, batches, engine)
            if i >= 3:  # warm-up
                times[engine].append(t)
    return {e: 1000 * statistics.median(ts) for e, ts in times.items()}


def main(files) -> None:
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    print(f"{'problem':40s} {'autograd ms':>12s} {'forward ms':>11s} {'ratio':>6s}")
    for path in files:
        ms = measure(path)
        ratio = ms["autograd"] / ms["forward"]
        print(f"{path:40s} {ms['autograd']:12.1f} {ms['forward']:11.1f} {ratio:6.2f}")


if __name__ == "__main__":
    main(sys.argv[1:] or DEFAULT_FILES)
