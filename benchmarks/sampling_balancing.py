"""Adaptive sampling and loss balancing against the default, on a problem file (issue 8).

For each seed, every candidate is trained in turn (the candidates alternate, so a slow spell of the
machine hits them alike) with the file's model and training settings plus one change:

    default    the file as it is
    rad        RAD (k = 1, c = 1, every = --rad-every, pool = 10) on the first constraint (the PDE)
    gradnorm   training.balance: gradnorm (every --balance-every steps, α = 0.1)
    adaptive   training.balance: adaptive (η = 0.01)
    lhs        training.sampler: lhs
    rad+gradnorm  both
    NAME-drop  candidate NAME without the constraints named by --drop (e.g. a hand-placed strip of
               extra points that RAD should make unnecessary)

Every ``--eval-every`` steps a callback measures the relative L2 error of the *current* iterate
against the file's exact solution (or its reference) on the file's output grid; the time it takes
is left out of the training seconds. The table gives the training seconds and the final error (the
best iterate, as ``sirenpde solve`` reports it), the error at the last Adam step, and the
time-to-accuracy: the training seconds until the current iterate's error first reached ``--target``
("—" if it never did, at the resolution of ``--eval-every``). ``--from-json`` reprints the table of a
saved run (with another target, say).

Run (2 CPU cores, nothing else running):
    python benchmarks/sampling_balancing.py problems/custom_burgers.yaml --candidates default rad \
        rad-drop --drop shock --seeds 0 1
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import time

import torch

import sirenpde as sp

BASE = ("default", "rad", "gradnorm", "adaptive", "lhs", "rad+gradnorm")
CANDIDATES = (*BASE, *(f"{b}-drop" for b in BASE))


def variant(spec, name: str, args: argparse.Namespace) -> tuple[sp.Problem, sp.TrainConfig]:
    """The file's problem and training settings with candidate ``name``'s change."""
    problem, training = spec.problem, dataclasses.replace(spec.training, seed=args.seed_now, device="cpu")
    if name.endswith("-drop"):
        kept = tuple(c for c in problem.constraints if c.name not in args.drop)
        problem = dataclasses.replace(problem, constraints=kept)
    if "rad" in name:
        first = dataclasses.replace(problem.constraints[0], sampling=sp.RAD(every=args.rad_every))
        problem = dataclasses.replace(problem, constraints=(first, *problem.constraints[1:]))
    if "gradnorm" in name:
        training = dataclasses.replace(training, balance="gradnorm", balance_every=args.balance_every)
    if name.startswith("adaptive"):
        training = dataclasses.replace(training, balance="adaptive")
    if name.startswith("lhs"):
        training = dataclasses.replace(training, sampler="lhs")
    return problem, training


def run(path: str, name: str, args: argparse.Namespace) -> dict:
    spec = sp.load_problem_file(path)
    problem, training = variant(spec, name, args)
    model = sp.build_model(problem, spec.model, seed=training.seed)
    # The same model object: training restores the best iterate into it, so the probe then sees that.
    probe = sp.Solution(model, problem.axes, problem.fields, domain=problem.domain, exact=problem.exact,
                        complex=problem.complex, reference=spec.reference, error_mask=spec.error_mask)
    curve: list[tuple[float, int, float]] = []
    spent = [0.0]   # seconds inside the callback, left out of the training time
    start = time.perf_counter()

    def measure(progress: sp.Progress) -> None:
        if progress.step % args.eval_every and progress.step not in (training.steps, progress.total):
            return
        t0 = time.perf_counter()
        with torch.no_grad():
            error = max(probe.relative_l2(spec.resolution).values())
        curve.append((t0 - start - spent[0], progress.step, error))
        spent[0] += time.perf_counter() - t0

    sp.train(problem, model, training, callback=measure)
    seconds = time.perf_counter() - start - spent[0]
    final = max(probe.relative_l2(spec.resolution).values())
    adam = next((e for _, s, e in curve if s == training.steps), math.nan)
    return {"candidate": name, "seed": args.seed_now, "seconds": seconds, "error": final, "adam": adam,
            "curve": curve}


def time_to(curve: list, target: float) -> float | None:
    """The training seconds until the error first reached ``target``."""
    return next((seconds for seconds, _, error in curve if error <= target), None)


def table(path: str, rows: list[dict], names: list[str], target: float) -> None:
    print(f"\n{path}: relative L2 (best iterate), training seconds, error after Adam, and seconds until"
          f" the error first reached {target:g}")
    heads = ("seed", 4), ("seconds", 8), ("error", 10), ("after Adam", 10), (f"to {target:g}", 10)
    print(f"{'candidate':13s} " + " ".join(f"{h:>{w}s}" for h, w in heads))
    for row in rows:
        reach = time_to(row["curve"], target)
        text = "—" if reach is None else f"{reach:.1f}"
        print(f"{row['candidate']:13s} {row['seed']:4d} {row['seconds']:8.1f} {row['error']:10.3e}"
              f" {row['adam']:10.3e} {text:>10s}")
    for name in names:
        errs = [r["error"] for r in rows if r["candidate"] == name]
        secs = [r["seconds"] for r in rows if r["candidate"] == name]
        if errs:
            geo = math.exp(sum(math.log(e) for e in errs) / len(errs))
            print(f"{name:13s} mean {sum(secs) / len(secs):6.1f} s, geometric-mean error {geo:.3e}")


def main() -> None:
    a = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    a.add_argument("file")
    a.add_argument("--candidates", nargs="+", choices=CANDIDATES, default=["default", "rad", "gradnorm"])
    a.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    a.add_argument("--drop", nargs="*", default=[], help="constraints the -drop candidates leave out")
    a.add_argument("--rad-every", type=int, default=100)
    a.add_argument("--balance-every", type=int, default=100)
    a.add_argument("--eval-every", type=int, default=50)
    a.add_argument("--threads", type=int, default=2)
    a.add_argument("--target", type=float, default=1e-3, help="the error of the time-to-accuracy")
    a.add_argument("--json", help="also write every run's curve here")
    a.add_argument("--from-json", nargs="+", help="print the table of saved runs instead of training")
    args = a.parse_args()
    if args.from_json:
        rows = [row for path in args.from_json for row in json.load(open(path))]
        names = list(dict.fromkeys(r["candidate"] for r in rows))
        table(args.file, sorted(rows, key=lambda r: (r["seed"], names.index(r["candidate"]))), names,
              args.target)
        return
    torch.set_num_threads(args.threads)
    rows = []
    for seed in args.seeds:
        args.seed_now = seed
        for name in args.candidates:
            row = run(args.file, name, args)
            rows.append(row)
            print(f"  {name:13s} seed {seed}: {row['error']:.3e} in {row['seconds']:.1f} s", flush=True)
            if args.json:
                with open(args.json, "w") as f:
                    json.dump(rows, f, indent=1)
    table(args.file, rows, args.candidates, args.target)


if __name__ == "__main__":
    main()
