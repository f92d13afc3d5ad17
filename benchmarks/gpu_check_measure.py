"""The parts of the GPU check (benchmarks/gpu_check.py) that import torch and sirenpde, each run by it
in a child process under ``timeout``:

    python benchmarks/gpu_check_measure.py OUTDIR environment|step_timing [--dry-run]

Each writes OUTDIR/parts/PART.json; ``step_timing`` rewrites it after every variant, so a kill keeps
the variants already timed. sirenpde comes from the working tree: gpu_check.py puts the repository
root first on ``PYTHONPATH``.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.metadata
import os
import statistics
import sys
import time
from pathlib import Path

from gpu_check import PAPER_STEPS, problem_file, write_json

WARMUP, TIMED = 5, 20  # steps per variant on a GPU: the first compile, then the median of TIMED
VARIANTS = {  # (engine, compiled, tf32) per recipe
    "helmholtz_gpu": [("forward", False, False), ("autograd", False, False), ("forward", False, True),
                      ("autograd", False, True), ("forward", True, False), ("forward", True, True)],
    "wave_gpu": [("forward", False, False), ("forward", False, True)],
}
PACKAGES = ("numpy", "scipy", "h5py", "pyyaml", "pydantic", "tqdm", "matplotlib", "pytest", "hypothesis",
            "triton")


def environment(outdir: Path, dry: bool) -> dict:
    """torch, CUDA, the devices, and which sirenpde and dependencies this interpreter imports."""
    import torch

    import sirenpde

    cuda = torch.cuda.is_available()
    devices = [{"name": torch.cuda.get_device_name(i),
                "capability": list(torch.cuda.get_device_capability(i)),
                "memory_gib": round(torch.cuda.get_device_properties(i).total_memory / 2**30, 1)}
               for i in range(torch.cuda.device_count())] if cuda else []
    return {"python": sys.version.split()[0], "executable": sys.executable, "torch": torch.__version__,
            "torch_cuda": torch.version.cuda, "cuda_available": cuda, "device_count": len(devices),
            "devices": devices, "cpu_count": os.cpu_count(),
            "nccl": torch.distributed.is_available() and torch.distributed.is_nccl_available(),
            "sirenpde": sirenpde.__version__, "sirenpde_from": sirenpde.__file__,
            "packages": {name: _version(name) for name in PACKAGES}}


def _version(package: str) -> str | None:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def step_timing(outdir: Path, dry: bool) -> dict:
    """ms per Adam step of each variant of the two recipes, timed between the progress callbacks of
    ``sirenpde.train``: the library's whole step (sampling, loss, backward, Adam, bookkeeping), so
    that the projected run times hold."""
    import torch

    import sirenpde as sp

    device, (warmup, timed) = ("cpu", (2, 3)) if dry else ("cuda", (WARMUP, TIMED))
    out: dict = {"device": device, "warmup_steps": warmup, "timed_steps": timed}
    specs = {name: sp.load_problem_file(problem_file(outdir, name, dry)) for name in VARIANTS}
    for name, spec in specs.items():
        out[name] = {"points": sum(c.points for c in spec.problem.constraints),
                     "layers": list(spec.model.layers), "recipe_steps": spec.training.steps, "variants": {}}
    # Compiled variants last: a slow first compilation must not cost the eager figures of either recipe.
    order = sorted(((name, v) for name, vs in VARIANTS.items() for v in vs), key=lambda item: item[1][1])
    for name, (engine, compiled, tf32) in order:
        label = f"{engine} {'compiled' if compiled else 'eager'} {'tf32' if tf32 else 'float32'}"
        if dry and (compiled or tf32):  # a first compile takes 10-60 s on a CPU; TF32 is CUDA's
            out[name]["variants"][label] = {"skipped": "dry run"}
            continue
        config = dataclasses.replace(specs[name].training, steps=warmup + timed + 1, lm_steps=0,
                                     lbfgs_steps=0, until=None, derivatives=engine, compile=compiled,
                                     tf32=tf32, device=device, validate_every=10**9, log_every=1)
        try:
            out[name]["variants"][label] = _time_steps(specs[name], config, warmup, torch, sp)
        except Exception as err:  # one variant failing (no triton, out of memory) spoils no other
            out[name]["variants"][label] = {"error": " ".join(f"{type(err).__name__}: {err}".split())[:500]}
        if torch.cuda.is_available():
            torch.cuda.empty_cache()
        write_json(outdir / "parts" / "step_timing.json", out)
    return out


def _time_steps(spec, config, warmup: int, torch, sp) -> dict:
    cuda = config.device == "cuda"
    stamps: list[float] = []

    def tick(progress) -> None:
        if cuda:
            torch.cuda.synchronize()
        stamps.append(time.perf_counter())

    if cuda:
        torch.cuda.reset_peak_memory_stats()
    start = time.perf_counter()
    solution = sp.train(spec.problem, config=config, model_config=spec.model, callback=tick)
    # stamps[i] ends step i + 1; left out: the warm-up steps (compilation) and the last (it validates)
    steps = [b - a for a, b in zip(stamps[warmup - 1:-2], stamps[warmup:-1], strict=True)]
    ms = 1000 * statistics.median(steps)
    return {"ms_per_step": ms, "min_ms": 1000 * min(steps), "max_ms": 1000 * max(steps),
            "setup_and_first_step_s": stamps[0] - start,
            "projected_50000_steps_s": ms * PAPER_STEPS / 1000,
            "projected_recipe_steps_s": ms * spec.training.steps / 1000,
            "peak_memory_mib": torch.cuda.max_memory_allocated() / 2**20 if cuda else None,
            "best_validation_loss": solution.info["best_validation_loss"]}


PARTS = {"environment": environment, "step_timing": step_timing}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("outdir", type=Path)
    parser.add_argument("part", choices=list(PARTS))
    parser.add_argument("--dry-run", action="store_true")
    args = parser.parse_args()
    outdir = args.outdir.resolve()
    write_json(outdir / "parts" / f"{args.part}.json", PARTS[args.part](outdir, args.dry_run))
    return 0


if __name__ == "__main__":
    sys.exit(main())
