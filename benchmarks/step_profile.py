"""Where a training step's time goes: ms per step, and on CUDA the kernels launched and the GPU's busy
time per step, from PyTorch's profiler.

    python benchmarks/step_profile.py [--device cuda] [--files helmholtz helmholtz_gpu] [--lm] [--compile]

For each ``problems/NAME.yaml`` (or a FILE.yaml given by its path) it trains 22 Adam steps as the
file says (forward engine, no LM, no validation), times steps 4–11 without the profiler (median,
synchronised on CUDA), then profiles steps 15–19 and prints the operators that took the most time.
A step whose GPU is busy for a small part of its time is bound by the host: by Python and by
launching kernels, not by arithmetic. ``--lm`` also times five Levenberg–Marquardt steps (where the
file's network allows them); ``--compile`` trains with ``training.compile: true`` (its first steps
compile, and are not timed).
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import time
from pathlib import Path

import torch
from torch.autograd import DeviceType
from torch.profiler import ProfilerActivity, profile, schedule

import sirenpde as sp

ROOT = Path(__file__).resolve().parents[1]
STEPS, TIMED = 22, slice(3, 12)  # stamps 3..11: steps 4-11 (the first ones allocate and warm up)
WAIT, WARMUP, ACTIVE = 12, 2, 5


def _stamp(device: str, stamps: list[float]):
    def tick(progress) -> None:
        if device == "cuda":
            torch.cuda.synchronize()
        stamps.append(time.perf_counter())
    return tick


def _median_ms(stamps: list[float]) -> float:
    return 1000 * statistics.median(b - a for a, b in zip(stamps[:-1], stamps[1:], strict=True))


def adam_steps(spec, device: str, compiled: bool) -> tuple[float, object]:
    """ms per Adam step (median of steps 4–11) and the profiler's record of steps 15–19."""
    activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if device == "cuda" else [])
    stamps: list[float] = []
    tick = _stamp(device, stamps)
    with profile(activities=activities, schedule=schedule(wait=WAIT, warmup=WARMUP, active=ACTIVE)) as prof:
        def step(progress) -> None:
            tick(progress)
            prof.step()
        config = dataclasses.replace(spec.training, steps=STEPS, lm_steps=0, lbfgs_steps=0, until=None,
                                     derivatives="forward", device=device, compile=compiled,
                                     validate_every=10**9, log_every=1)
        sp.train(spec.problem, config=config, model_config=spec.model, callback=step)
    return _median_ms(stamps[TIMED]), prof


def lm_steps(spec, device: str) -> str:
    stamps: list[float] = []
    config = dataclasses.replace(spec.training, steps=1, lm_steps=6, lbfgs_steps=0, until=None, device=device,
                                 validate_every=10**9, log_every=1)
    try:
        sp.train(spec.problem, config=config, model_config=spec.model, callback=_stamp(device, stamps))
    except ValueError as err:  # LM refuses networks whose Jacobian does not fit
        return f"LM: not run ({err})"
    return f"LM: {_median_ms(stamps[1:]):.1f} ms per step (median of {len(stamps) - 2})"


def report(name: str, device: str, with_lm: bool, compiled: bool) -> str:
    path = Path(name) if name.endswith(".yaml") else ROOT / "problems" / f"{name}.yaml"
    spec = sp.load_problem_file(path)
    points = sum(c.points for c in spec.problem.constraints)
    ms, prof = adam_steps(spec, device, compiled)
    events = prof.key_averages()
    how = f"{device}, compiled" if compiled else device
    lines = [f"== {name} on {how}: {ms:.1f} ms per Adam step (median of steps 4-11); {points} points,"
             f" layers {list(spec.model.layers)}"]
    if device == "cuda":
        launches = sum(e.count for e in events if e.key == "cudaLaunchKernel") / ACTIVE
        # Kernels only, as the table's "Self CUDA time total" counts them: an operator's row repeats
        # its kernels' time, and the step's annotation spans the whole step.
        kernels = [e for e in events if e.device_type == DeviceType.CUDA
                   and not getattr(e, "is_user_annotation", False)]
        busy = sum(e.self_device_time_total for e in kernels) / ACTIVE / 1000
        lines.append(f"   per profiled step: {launches:.0f} kernel launches, GPU busy {busy:.1f} ms")
    sort = "self_cuda_time_total" if device == "cuda" else "self_cpu_time_total"
    lines.append(events.table(sort_by=sort, row_limit=15, max_name_column_width=50))
    if with_lm:
        lines.append("   " + lm_steps(spec, device))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--files", nargs="+", default=["helmholtz"], metavar="NAME",
                        help="problems/NAME.yaml, or a FILE.yaml, to profile (default: helmholtz)")
    parser.add_argument("--lm", action="store_true", help="also time five Levenberg–Marquardt steps")
    parser.add_argument("--compile", action="store_true", help="train with training.compile: true")
    args = parser.parse_args()
    for name in args.files:
        print(report(name, args.device, args.lm, args.compile), flush=True)


if __name__ == "__main__":
    main()
