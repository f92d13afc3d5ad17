"""Which jet pass to compile? The Laplacian jets of a SIREN and their backward, four ways.

A 4×256 SIREN, 2-D, 4096 points, loss mean(Δu²): the jets by the hand-written layers
(``model_jets``, what eager training runs) and by plain tensor operations (``compilable_jets``),
each eager and through ``torch.compile``; median ms of 15 alternated rounds after warm-up.

Run with nothing else on the machine: python benchmarks/jet_pass.py
"""

import statistics
import time

import torch

import sirenpde as sp
from sirenpde.derivatives.forward import compilable_jets, model_jets


def main() -> None:
    torch.manual_seed(0)
    model = sp.SIREN([256] * 4, 2, 1, w0_initial=5.0)
    x = torch.rand(4096, 2) * 2 - 1
    laplacian = ((0, 1),)

    def step(jets):
        return lambda: jets(model, x, laplacian)[2].square().mean().backward()

    variants = {
        "hand-written, eager": step(model_jets),
        "plain, eager": step(compilable_jets),
        "hand-written, compiled": step(torch.compile(model_jets)),
        "plain, compiled": step(torch.compile(compilable_jets)),
    }
    for run in variants.values():  # warm-up, compilation included
        run(), run()
    times: dict[str, list[float]] = {name: [] for name in variants}
    for i in range(15):
        for name, run in (list(variants.items()) if i % 2 else list(variants.items())[::-1]):
            start = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - start)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads;"
          " jets + backward, 4x256 SIREN, 4096 points")
    for name, ts in times.items():
        print(f"{name:24s} {1000 * statistics.median(ts):7.1f} ms")


if __name__ == "__main__":
    main()
