"""Does `training.compile` pay off? Adam-only training of a problem file with and without it.

Trains FILE for STEPS Adam steps (no LM/L-BFGS) twice in one process — plain, then with the forward
engine's jet pass compiled by torch.compile (compilation time included) — and prints the wall time
and the best validation loss of each (they agree: the compiled pass computes the same numbers).

Run: python benchmarks/compile_step.py FILE STEPS, e.g. problems/wave.yaml 1500
"""

import dataclasses
import sys
import time

import sirenpde as sp


def main(path: str, steps: int) -> None:
    spec = sp.load_problem_file(path)
    for compiled in (False, True):
        config = dataclasses.replace(spec.training, steps=steps, lm_steps=0, lbfgs_steps=0, compile=compiled)
        start = time.perf_counter()
        solution = sp.train(spec.problem, config=config, model_config=spec.model)
        print(f"{path} {steps} Adam steps, {'compiled' if compiled else 'plain'}:"
              f" {time.perf_counter() - start:.1f} s, best validation loss"
              f" {solution.info['best_validation_loss']:.4e}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
