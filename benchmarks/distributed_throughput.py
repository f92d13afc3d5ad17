"""Throughput of data-parallel training: points per second with 1 and with N processes.

Each run is a real `sirenpde solve` of the same Poisson problem (2-D, 3 × 64 SIREN, forward
engine) with P points per step *per process*; the figure is P × processes × steps / training time
(the result's `wall_time`: training only, not start-up or rendezvous). The runs alternate, and the
medians of `--repeats` are reported, with the ratio to one process measured in the same run.

    python benchmarks/distributed_throughput.py                  # CPU: 1 and 2 processes
    python benchmarks/distributed_throughput.py --device cuda --nproc 1 2 4 8

On a CPU the processes share the machine's cores (each gets cores / N threads), so the ratio says
what splitting the same cores between processes costs or gains; on GPUs each process has its own
device.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import h5py

PROBLEM = """\
problem: poisson
domain: {{box: {{lo: [0, 0], hi: [1, 1]}}}}
pde: {{source: 2*pi**2*sin(pi*x)*sin(pi*y), points: {points}}}
boundary:
  - {{type: dirichlet, on: boundary, value: 0, points: {wall}, weight: 100}}
model: {{layers: [64, 64, 64], w0_initial: 5}}
training: {{steps: {steps}, lr: 1.0e-3, device: {device}, validate_every: 1000000}}
output: {{resolution: 9, checkpoint_every: null, checkpoint_minutes: null}}
"""


def run(folder: Path, nproc: int, points: int, steps: int, device: str, cores: int) -> float:
    """Points per second of one run."""
    wall = max(1, points // 5)
    path = folder / f"p{nproc}.yaml"
    path.write_text(PROBLEM.format(points=points, wall=wall, steps=steps, device=device))
    out = folder / f"p{nproc}.h5"
    env = {**os.environ, "OMP_NUM_THREADS": str(max(1, cores // nproc)), "PYTHONWARNINGS": "ignore"}
    command = [sys.executable, "-m", "sirenpde", "solve", str(path), "--out", str(out), "--force", "--quiet"]
    if nproc > 1:
        command += ["--nproc", str(nproc)]
    subprocess.run(command, check=True, env=env, capture_output=True, text=True)
    with h5py.File(out) as f:
        seconds = float(f.attrs["wall_time"])
    return nproc * (points + wall) * steps / seconds


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--nproc", type=int, nargs="+", default=[1, 2])
    p.add_argument("--points", type=int, default=4096, help="interior points per step and process")
    p.add_argument("--steps", type=int, default=200)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--device", default="cpu")
    p.add_argument("--cores", type=int, default=os.cpu_count() or 1)
    args = p.parse_args()
    rates: dict[int, list[float]] = {n: [] for n in args.nproc}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.repeats):
            for n in args.nproc:  # alternated, so that drifts of the machine hit every count alike
                rates[n].append(run(Path(tmp), n, args.points, args.steps, args.device, args.cores))
    base = statistics.median(rates[args.nproc[0]])
    print(f"{args.points} interior points per step and process (+{args.points // 5} boundary), {args.steps}"
          f" steps, {args.device}, {args.cores} cores, median of {args.repeats}")
    print("| processes | points/s | vs 1 process | runs |")
    print("|---|---|---|---|")
    for n in args.nproc:
        median = statistics.median(rates[n])
        runs = ", ".join(f"{r:,.0f}" for r in rates[n])
        print(f"| {n} | {median:,.0f} | {median / base:.2f}× | {runs} |")


if __name__ == "__main__":
    main()
