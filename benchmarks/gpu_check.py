"""The GPU check: one command that tests sirenpde on a CUDA machine and times the paper-scale problems.

    python benchmarks/gpu_check.py OUTDIR [--dry-run] [--budget SECONDS]

It installs nothing: every part runs this interpreter (``sys.executable``) with the torch it has — the
copied environment or the machine's own CUDA build — and imports sirenpde from this working tree,
whose root goes first on the ``PYTHONPATH`` of every subprocess (no ``pip install -e``). The CLI runs
as ``python -m sirenpde``: that interpreter need not have the ``sirenpde`` script. No network.

Each part is a subprocess under ``timeout`` (SIGTERM, then SIGKILL ``GRACE`` s later), so that a hang
costs one part's limit, not the budget. A part's limit shrinks so that each later part keeps its
``least`` seconds; the two runs with a time budget (``training.until``) take what the quick parts
left. OUTDIR/gpu_check.json is rewritten after every part (a kill keeps what was done), and
OUTDIR/gpu_check.log has every part's output. In order:

  environment    torch, CUDA, the devices, sirenpde's version and where it was imported from
  cuda_tests     the tests marked ``skipif(not torch.cuda.is_available())``, run with pytest
  helmholtz      ``sirenpde solve problems/helmholtz.yaml --device cuda``: times, the Hankel error
  nproc          the same with ``--nproc 2 --steps 50`` (torchrun, NCCL) when there are two GPUs
  step_timing    ms per Adam step of problems/helmholtz_gpu.yaml (256×3 SIREN, 52,900 points), forward
                 and autograd engines, eager and compiled, float32 and TF32; peak memory; the time
                 for 50,000 steps; and the step of problems/wave_gpu.yaml (benchmarks/gpu_check_measure.py)
  helmholtz_gpu  problems/helmholtz_gpu.yaml for ~3 minutes (``until.time``): the Hankel error
  wave_gpu       problems/wave_gpu.yaml for what is left: the error at t = 0.4 against finite
                 differences (801² here, to save a minute of reference; the file has 1601²)

The timed runs size their Adam steps (and so the learning-rate schedule and the wave's time window)
to fit their budget, from step_timing's figure for the recipe as written.

``--dry-run`` runs every part on the CPU with tiny copies of the files in OUTDIR, in well under a
minute (of the step variants only the eager float32 ones), so that tests/test_gpu_check.py runs
this code.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import re
import shlex
import subprocess
import sys
import time
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
GRACE = 10  # SIGTERM to SIGKILL: `sirenpde solve` saves its best iterate on SIGTERM
PAPER_STEPS = 50_000
HELMHOLTZ_MINUTES = 3
SOLVE_OVERHEAD = {"helmholtz_gpu": 45, "wave_gpu": 60}  # start-up, reference, evaluation, writing
STEP_SHARE = 0.8  # of a time budget, for Adam steps at the measured rate (validation takes the rest)


@dataclass(frozen=True)
class Part:
    name: str
    limit: float  # seconds at most, SIGKILL included
    least: float  # skipped with fewer left; the parts before leave this much for it


PARTS = (Part("environment", 40, 15), Part("cuda_tests", 60, 20), Part("helmholtz", 90, 30),
         Part("nproc", 60, 20), Part("step_timing", 120, 40), Part("helmholtz_gpu", 230, 75),
         Part("wave_gpu", 150, 90))  # the last two: at least 30 s of training


def problem_file(outdir: Path, name: str, dry: bool) -> Path:
    """The shipped file ``problems/NAME.yaml``, or its tiny copy in OUTDIR for a dry run."""
    return outdir / f"tiny_{name}.yaml" if dry else ROOT / "problems" / f"{name}.yaml"


class _Loader(yaml.SafeLoader):
    """YAML 1.2 booleans, as sirenpde reads its files: the key ``on:`` stays a string, not ``True``."""


_BOOL = "tag:yaml.org,2002:bool"
_Loader.yaml_implicit_resolvers = {first: [(tag, rx) for tag, rx in resolvers if tag != _BOOL]
                                   for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}
_Loader.add_implicit_resolver(_BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))


def read_problem(name: str) -> dict:
    return yaml.load((ROOT / "problems" / f"{name}.yaml").read_text(encoding="utf-8"), Loader=_Loader)


def write_problem(path: Path, data: dict) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def tiny(data: dict) -> dict:
    """A problem file's mapping shrunk to seconds on a CPU: 8×8 SIREN, tens of points, 3 steps."""
    data = copy.deepcopy(data)
    data["model"] = {**data.get("model", {}), "layers": [8, 8]}
    data["training"] = {**data.get("training", {}), "steps": 3, "lm_steps": 0}
    for key in ("pde", "source_disc", "initial"):
        if key in data:
            data[key]["points"] = 16
    if "initial" in data:
        data["initial"]["focus_points"] = 8
    for condition in data.get("boundary", []):
        condition["points"] = 16
    if isinstance(data.get("reference"), dict):
        data["reference"]["fd"]["resolution"] = 41
    space_time = isinstance(data.get("output", {}).get("resolution"), list)
    data["output"] = {**data.get("output", {}), "resolution": [21, 21, 3] if space_time else 21}
    return data


def write_json(path: Path, data: dict) -> None:
    """Write whole or not at all: a kill mid-write leaves the previous version."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps(data, indent=2))
    partial.replace(path)


class Check:
    """One check's budget, report and log; it runs every part as a subprocess and never imports torch."""

    def __init__(self, outdir: Path, dry: bool, budget: float):
        self.outdir, self.dry, self.deadline = outdir, dry, time.monotonic() + budget
        self.log, self.json = outdir / "gpu_check.log", outdir / "gpu_check.json"
        path = [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
        self.env = {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": os.pathsep.join(path)}
        if dry:  # tiny tensors: a second thread only waits, and on a shared CPU it stalls (4× here)
            self.env.setdefault("OMP_NUM_THREADS", "1")
        self.report = {"command": shlex.join(sys.argv), "dry_run": dry, "budget_s": budget,
                       "started": time.strftime("%Y-%m-%d %H:%M:%S"), "elapsed_s": 0.0,
                       "parts": {p.name: {"status": "not run"} for p in PARTS}}
        self.started = time.monotonic()
        self.log.write_text(f"{self.report['command']}, started {self.report['started']}\n", encoding="utf-8")

    def part(self, name: str) -> dict:
        return self.report["parts"][name]

    def save(self) -> None:
        self.report["elapsed_s"] = round(time.monotonic() - self.started, 1)
        write_json(self.json, self.report)

    def run(self, argv: list[str], seconds: float) -> tuple[int, str]:
        """Run ``argv`` for at most ``seconds``, its output into the log; its exit code and output."""
        limit = ["timeout", f"--kill-after={GRACE}", f"{max(1, seconds - GRACE):.0f}"]
        with open(self.log, "ab") as log:
            log.write(f"\n=== {shlex.join(argv)}  (limit {seconds:.0f} s)\n".encode())
            log.flush()
            start = log.tell()
            code = subprocess.run(limit + argv, cwd=ROOT, env=self.env, stdout=log,
                                  stderr=subprocess.STDOUT).returncode
        return code, self.log.read_bytes()[start:].decode(errors="replace")

    def measure(self, name: str, seconds: float) -> dict:
        """A part of benchmarks/gpu_check_measure.py: its exit status and what it wrote."""
        script, found = ROOT / "benchmarks" / "gpu_check_measure.py", self.outdir / "parts" / f"{name}.json"
        found.unlink(missing_ok=True)  # an earlier check's
        code, _ = self.run([sys.executable, str(script), str(self.outdir), name] + ["--dry-run"] * self.dry,
                           seconds)
        return {"status": status(code), **(json.loads(found.read_text()) if found.exists() else {})}

    def solve(self, path: Path, out: str, seconds: float, *options: str) -> dict:
        """`sirenpde solve PATH` into OUTDIR/OUT: its exit status, wall time and summary."""
        for old in (self.outdir / out, self.outdir / f"{out}.ckpt"):
            old.unlink(missing_ok=True)
        device = "cpu" if self.dry else "cuda"
        start = time.monotonic()
        code, text = self.run([sys.executable, "-m", "sirenpde", "solve", str(path), "--device", device,
                               "--quiet", "--force", "--out", str(self.outdir / out), *options], seconds)
        return {"status": status(code), "file": str(path), "wall_s": round(time.monotonic() - start, 1),
                **summary(text)}

    def derived(self, name: str, until: dict, **changes) -> Path:
        """A copy of problems/NAME.yaml (tiny in a dry run) with ``training.until`` and ``changes``."""
        data = tiny(read_problem(name)) if self.dry else read_problem(name)
        data = {**data, **changes, "training": {**data["training"], "until": until}}
        return write_problem(self.outdir / f"{name}_check.yaml", data)


def status(code: int) -> str:
    """``timeout`` exits 124 when its SIGTERM ended the command; after SIGKILL it dies with its group."""
    return {0: "ok", 124: "timeout", 137: "timeout (killed)", -9: "timeout (killed)"}.get(
        code, f"failed (exit {code})")


WROTE = re.compile(r"^wrote \S+ \((?P<steps>.+?) steps in (?P<seconds>[\d.]+) s on (?P<device>[^;)]+)"
                   r"(?:; stopped by (?P<stopped_by>\w+))?\)", re.M)
ERROR = re.compile(r"^relative L2 error of (\S+) against (.+?): (\S+)$", re.M)
AT_TIME = re.compile(r"^relative L2 error of (\S+) at \w+ = (\S+): (\S+)$", re.M)
INTERRUPTED = re.compile(r"^interrupted at step (\d+)", re.M)  # after SIGTERM: a partial result


def summary(text: str) -> dict:
    """What `sirenpde solve` printed: steps, training time, device, errors (whole, at the last time)."""
    found: dict = {}
    if (wrote := WROTE.search(text)) is not None:
        found.update(steps=wrote["steps"], training_s=float(wrote["seconds"]), device=wrote["device"])
        if wrote["stopped_by"]:
            found["stopped_by"] = wrote["stopped_by"]
    if (interrupted := INTERRUPTED.search(text)) is not None:
        found["interrupted_at_step"] = int(interrupted[1])
    errors = ERROR.findall(text)
    found["relative_l2"] = {field: float(value) for field, _, value in errors}
    found["against"] = errors[0][1] if errors else None
    found["relative_l2_at_last_time"] = {field: {"t": float(t), "value": float(value)}
                                         for field, t, value in AT_TIME.findall(text)}
    return found


CUDA_MARK = re.compile(r"@pytest\.mark\.skipif\(not torch\.cuda\.is_available\(\)[^\n]*\n(?:@[^\n]*\n)*"
                       r"def (\w+)")


def cuda_tests(check: Check, seconds: float) -> dict:
    """The tests marked skipif(not torch.cuda.is_available()), run with pytest (without CUDA: collected)."""
    tests = [f"tests/{path.name}::{name}" for path in sorted((ROOT / "tests").glob("test_*.py"))
             for name in CUDA_MARK.findall(path.read_text(encoding="utf-8"))]
    cuda = check.part("environment").get("cuda_available", False)
    junit = check.outdir / "cuda_tests.xml"
    junit.unlink(missing_ok=True)
    argv = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={junit}", *tests]
    code, text = check.run(argv if cuda else argv + ["--collect-only"], seconds)
    if not cuda:
        collected = re.search(r"(\d+) tests? collected", text)
        return {"status": f"skipped: no CUDA ({'collected' if code == 0 else status(code)})", "tests": tests,
                "collected": int(collected[1]) if collected else 0}
    counts = {}
    if junit.exists():
        suite = ElementTree.parse(junit).getroot().find("testsuite")
        counts = {key: int(suite.get(key, 0)) for key in ("tests", "failures", "errors", "skipped")}
        counts["passed"] = counts["tests"] - counts["failures"] - counts["errors"] - counts["skipped"]
    return {"status": status(code), "tests": tests, **counts}


def nproc(check: Check, seconds: float) -> dict:
    """Two processes (NCCL on two GPUs; Gloo on the CPU in a dry run)."""
    devices = check.part("environment").get("device_count", 0)
    if not check.dry and devices < 2:
        return {"status": f"skipped: {devices} CUDA device(s); --nproc 2 needs two"}
    return check.solve(problem_file(check.outdir, "helmholtz", check.dry), "helmholtz_nproc2.h5", seconds,
                       "--nproc", "2", *([] if check.dry else ["--steps", "50"]))


def timed_solve(check: Check, name: str, seconds: float, until_s: float, **changes) -> dict:
    """problems/NAME.yaml for ``until_s`` s of training, its Adam steps sized to fit when step_timing
    measured the recipe's step."""
    until: dict = {"time": round(until_s)}
    step = check.part("step_timing").get(name, {}).get("variants", {}).get("forward eager float32", {})
    if "ms_per_step" in step:
        until["steps"] = max(1, int(STEP_SHARE * 1000 * until_s / step["ms_per_step"]))
    if check.dry:
        until = {"time": 5, "steps": 3}
    return {"until": until, **check.solve(check.derived(name, until, **changes), f"{name}.h5", seconds)}


def helmholtz_gpu(check: Check, seconds: float) -> dict:
    until_s = min(60 * HELMHOLTZ_MINUTES, seconds - SOLVE_OVERHEAD["helmholtz_gpu"])
    return timed_solve(check, "helmholtz_gpu", seconds, until_s)


def wave_gpu(check: Check, seconds: float) -> dict:
    fd = {} if check.dry else {"reference": {"fd": {"resolution": 801}}}
    return timed_solve(check, "wave_gpu", seconds, seconds - SOLVE_OVERHEAD["wave_gpu"], **fd)


RUNNERS = {
    "environment": lambda check, seconds: check.measure("environment", seconds),
    "cuda_tests": cuda_tests,
    "helmholtz": lambda check, seconds: check.solve(
        problem_file(check.outdir, "helmholtz", check.dry), "helmholtz.h5", seconds),
    "nproc": nproc,
    "step_timing": lambda check, seconds: check.measure("step_timing", seconds),
    "helmholtz_gpu": helmholtz_gpu,
    "wave_gpu": wave_gpu,
}
NEED_NO_CUDA = ("environment", "cuda_tests")


def run_parts(check: Check) -> None:
    for i, part in enumerate(PARTS):
        # Shrunk to leave the later parts their least, but never below its own: the earlier come first.
        left, later = check.deadline - time.monotonic(), sum(p.least for p in PARTS[i + 1:])
        seconds = min(part.limit, left, max(part.least, left - later))
        no_cuda = not (check.dry or part.name in NEED_NO_CUDA
                       or check.part("environment").get("cuda_available", False))
        if no_cuda:
            result = {"status": "skipped: no CUDA (see environment)"}
        elif seconds < part.least:
            result = {"status": f"skipped: {max(0, seconds):.0f} s of the budget left"}
        else:
            check.report["parts"][part.name] = {"status": "running (or killed while running)"}
            check.save()
            start = time.monotonic()
            result = {**RUNNERS[part.name](check, seconds), "limit_s": round(seconds),
                      "seconds": round(time.monotonic() - start, 1)}
        check.report["parts"][part.name] = result
        check.save()
        took = f" in {result['seconds']} s" if "seconds" in result else ""
        print(f"[{i + 1}/{len(PARTS)}] {part.name}: {result['status']}{took}", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("outdir", type=Path, help="where gpu_check.json, gpu_check.log and the results go")
    parser.add_argument("--dry-run", action="store_true", help="on the CPU, tiny sizes (tests the script)")
    parser.add_argument("--budget", type=float, default=470, help="seconds for all parts (default 470)")
    args = parser.parse_args()
    outdir = args.outdir.resolve()
    outdir.mkdir(parents=True, exist_ok=True)
    if args.dry_run:
        for name in ("helmholtz", "helmholtz_gpu", "wave_gpu"):
            write_problem(problem_file(outdir, name, True), tiny(read_problem(name)))
    check = Check(outdir, args.dry_run, args.budget)
    check.save()
    run_parts(check)
    print(f"wrote {check.json} and {check.log}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
