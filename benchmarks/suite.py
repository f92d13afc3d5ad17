"""The speed suite: each problem family, each derivative engine, side by side in one process.

For Poisson 2-D, Helmholtz with a PML 2-D, wave 2-D + t and SDF 3-D — the networks and batch sizes
of their files in problems/ — and for the issue's reference case, Poisson 2-D with a 4×256 SIREN and
4096 interior points, it measures, per engine (`autograd`, `forward`, `auto` — what training uses —
and `compiled`: the forward engine with its jets through torch.compile, as `training.compile`):

* ms per Adam step (sample once, then steps alternated between engines so that both see the same
  machine load; median of 20 after 3 warm-up steps), and the ratio autograd / forward;
* floating-point operations per step (torch.utils.flop_counter's formulas for matmuls, counted by
  a dispatch mode — FlopCounterMode's module hooks break autograd.grad — forward and backward)
  and the achieved GFLOP/s, as a fraction of this machine's own float32 matmul rate (a 2048² ×
  2048² product, measured first);
* the memory kept for the backward pass: the bytes of every distinct storage autograd saves during
  the forward (torch.autograd.graph.saved_tensors_hooks; a storage saved twice counts once) — the
  part of a step's peak that grows with the batch.

With ``--accuracy`` it also trains the manufactured problems (exact solutions known) as their files
say, once per engine, and reports training time and relative L2 error: time to accuracy.

Prints a table and writes JSON. Run with nothing else on the machine:

    python benchmarks/suite.py [--json suite.json] [--repeats 20] [--family NAME ...] [--accuracy]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import platform
import statistics
import time

import torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils.flop_counter import flop_registry

from sirenpde import build_model, load_problem_file
from sirenpde.derivatives.forward import compilable_jets
from sirenpde.domains import make_sampler
from sirenpde.sampling.batch import draw_batches
from sirenpde.training.loss import evaluate_losses


@dataclasses.dataclass(frozen=True)
class Case:
    """A problem file, optionally with other hidden layers, interior points, or its PDE term alone."""

    path: str
    layers: tuple[int, ...] | None = None
    interior: int | None = None
    pde_only: bool = False


FAMILIES = {
    "poisson 2-D 4x256": Case("problems/poisson.yaml", (256, 256, 256, 256), 4096),
    "poisson 4x256 pde": Case("problems/poisson.yaml", (256, 256, 256, 256), 4096, pde_only=True),
    "poisson 2-D": Case("problems/poisson.yaml"),
    "helmholtz PML 2-D": Case("problems/helmholtz.yaml"),
    "wave 2-D + t": Case("problems/wave.yaml"),
    "sdf 3-D": Case("problems/sdf.yaml"),
}
ENGINES = ("autograd", "forward", "auto", "compiled")
MANUFACTURED = ("problems/poisson.yaml", "problems/helmholtz_dirichlet.yaml", "problems/wave_1d.yaml")


def matmul_rate(n: int = 2048, repeats: int = 5) -> float:
    """This machine's float32 matmul rate, GFLOP/s (median of ``repeats``)."""
    a, b = torch.randn(n, n), torch.randn(n, n)
    a @ b
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        a @ b
        times.append(time.perf_counter() - start)
    return 2 * n**3 / statistics.median(times) / 1e9


class CountFlops(TorchDispatchMode):
    """Adds up the flops of every operation torch.utils.flop_counter has a formula for."""

    def __init__(self):
        super().__init__()
        self.total = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        out = func(*args, **kwargs)
        formula = flop_registry.get(func._overloadpacket)
        if formula is not None:
            self.total += formula(*args, **kwargs, out_val=out)
        return out


def loss_of(problem, model, batches, engine: str, jets):
    """The total loss; ``compiled`` is the forward engine with ``jets``."""
    if engine == "compiled":
        return evaluate_losses(problem, model, batches, "forward", jets)[0]
    return evaluate_losses(problem, model, batches, engine)[0]


def one_step(problem, model, optimizer, batches, engine: str, jets=None) -> None:
    optimizer.zero_grad(set_to_none=True)
    loss_of(problem, model, batches, engine, jets).backward()
    optimizer.step()


def saved_bytes(problem, model, batches, engine: str, jets=None) -> int:
    storages: dict[int, int] = {}

    def pack(t):
        storage = t.untyped_storage()
        storages[storage.data_ptr()] = storage.nbytes()
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        loss = loss_of(problem, model, batches, engine, jets)
    loss.backward()
    return sum(storages.values())


def with_sizes(problem, model_config, case: Case):
    """The problem and model configuration as ``case`` changes them."""
    if case.layers is not None:
        model_config = dataclasses.replace(model_config, layers=case.layers)
    constraints = [c for c in problem.constraints if c.name == "pde" or not case.pde_only]
    if case.interior is not None:
        constraints = [dataclasses.replace(c, points=case.interior) if c.name == "pde" else c
                       for c in constraints]
    return dataclasses.replace(problem, constraints=tuple(constraints)), model_config


def measure(case: Case, repeats: int, peak: float) -> dict:
    spec = load_problem_file(case.path)
    problem, model_config = with_sizes(spec.problem, spec.model, case)
    model = build_model(problem, model_config, seed=0)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-7)  # tiny steps: the cost, not the fit
    sampler = make_sampler("uniform", torch.Generator().manual_seed(0), torch.device("cpu"), torch.float32)
    batches = draw_batches(problem, sampler)
    jets = torch.compile(compilable_jets)
    start = time.perf_counter()
    one_step(problem, model, optimizer, batches, "compiled", jets)
    compile_seconds = time.perf_counter() - start
    times: dict[str, list[float]] = {e: [] for e in ENGINES}
    for i in range(repeats + 3):
        order = ENGINES if i % 2 == 0 else ENGINES[::-1]
        for engine in order:
            start = time.perf_counter()
            one_step(problem, model, optimizer, batches, engine, jets)
            if i >= 3:
                times[engine].append(time.perf_counter() - start)
    out = {"file": case.path, "pde_only": case.pde_only, "layers": list(model_config.layers),
           "compile_seconds": compile_seconds,
           "points": {c.name: c.points for c in problem.constraints}, "engines": {}}
    for engine in ENGINES:
        # The compiled pass does the plain pass's matmuls: count those (a dispatch mode sees no
        # operations inside a compiled graph).
        with CountFlops() as counter:
            one_step(problem, model, optimizer, batches, engine, compilable_jets)
        ms = 1000 * statistics.median(times[engine])
        flops = counter.total
        out["engines"][engine] = {
            "ms_per_step": ms, "gflop_per_step": flops / 1e9, "gflop_per_s": flops / ms / 1e6,
            "fraction_of_matmul_peak": flops / ms / 1e6 / peak,
            "saved_for_backward_mb": saved_bytes(problem, model, batches, engine, jets) / 2**20,
        }
    e = out["engines"]
    out["ratio_autograd_over_forward"] = e["autograd"]["ms_per_step"] / e["forward"]["ms_per_step"]
    out["ratio_autograd_over_compiled"] = e["autograd"]["ms_per_step"] / e["compiled"]["ms_per_step"]
    out["memory_ratio_autograd_over_forward"] = (e["autograd"]["saved_for_backward_mb"]
                                                 / e["forward"]["saved_for_backward_mb"])
    return out


def time_to_accuracy(path: str) -> dict:
    """Train the file as it says with each engine: training time and relative L2 error."""
    from sirenpde import train

    spec = load_problem_file(path)
    out = {}
    for engine in ("autograd", "forward"):
        training = dataclasses.replace(spec.training, derivatives=engine)
        solution = train(spec.problem, config=training, model_config=spec.model)
        error = solution.relative_l2(spec.resolution)
        out[engine] = {"seconds": solution.info["wall_time"], "relative_l2": error}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", default="suite.json", help="where to write the results")
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--family", action="append", choices=list(FAMILIES),
                        help="measure only this family (repeatable); all by default")
    parser.add_argument("--accuracy", action="store_true", help="also train the manufactured problems")
    args = parser.parse_args()
    peak = matmul_rate()
    machine = {"torch": torch.__version__, "threads": torch.get_num_threads(), "cpu": platform.processor()
               or platform.machine(), "matmul_gflop_per_s": peak}
    print(f"torch {machine['torch']}, {machine['threads']} threads; float32 matmul {peak:.1f} GFLOP/s")
    print(f"{'family':20s} {'engine':9s} {'ms/step':>8s} {'GFLOP/s':>8s} {'of peak':>8s} {'saved MB':>9s}")
    results = {"machine": machine, "families": {}}
    for name in args.family or FAMILIES:
        r = measure(FAMILIES[name], args.repeats, peak)
        results["families"][name] = r
        for engine, m in r["engines"].items():
            print(f"{name:20s} {engine:9s} {m['ms_per_step']:8.1f} {m['gflop_per_s']:8.2f}"
                  f" {m['fraction_of_matmul_peak']:8.1%} {m['saved_for_backward_mb']:9.1f}")
        print(f"{'':20s} autograd / forward = {r['ratio_autograd_over_forward']:.2f},"
              f" autograd / compiled = {r['ratio_autograd_over_compiled']:.2f},"
              f" memory autograd / forward = {r['memory_ratio_autograd_over_forward']:.2f}"
              f" (first compiled step {r['compile_seconds']:.1f} s)", flush=True)
    if args.accuracy:
        print(f"\n{'time to accuracy':40s} {'engine':9s} {'seconds':>8s} {'rel. L2':>10s}")
        results["time_to_accuracy"] = {}
        for path in MANUFACTURED:
            r = results["time_to_accuracy"][path] = time_to_accuracy(path)
            for engine, m in r.items():
                errors = ", ".join(f"{e:.3e}" for e in m["relative_l2"].values())
                print(f"{path:40s} {engine:9s} {m['seconds']:8.1f} {errors:>10s}", flush=True)
    with open(args.json, "w") as f:
        json.dump(results, f, indent=2)
    print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
