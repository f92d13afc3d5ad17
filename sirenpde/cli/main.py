"""The command line: ``sirenpde solve | check | plot``. The only module that prints.

Exit codes: 0 success, 2 bad input (one line on stderr, no traceback), 1 a failure while running.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from .._version import __version__

__all__ = ["main"]

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse's own usage errors: one line, exit 2
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message}\n")


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="sirenpde", description="Solve PDEs with SIRENs from a YAML problem file.")
    p.add_argument("--version", action="version", version=f"sirenpde {__version__}")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)
    solve = sub.add_parser("solve", help="train on a problem file and write the result to HDF5")
    solve.add_argument("file", help="the problem file (YAML)")
    solve.add_argument("--steps", type=int, help="Adam steps (overrides training.steps)")
    solve.add_argument("--device", help="auto, cpu, cuda or cuda:N (overrides training.device)")
    solve.add_argument("--seed", type=int, help="random seed (overrides training.seed)")
    solve.add_argument("--out", help="result file (overrides output.path)")
    solve.add_argument("--quiet", action="store_true", help="no progress bar, only the summary")
    solve.add_argument("--resume", action="store_true",
                       help="continue from the newest checkpoint of this run (<result>.ckpt), if any")
    solve.add_argument("--force", action="store_true", help="overwrite an existing result file")
    solve.add_argument("--nproc", type=int, metavar="N",
                       help="train with N processes on this machine (torchrun; docs/scaling.md)")
    check = sub.add_parser("check", help="validate a problem file without training")
    check.add_argument("file", help="the problem file (YAML)")
    plot = sub.add_parser("plot", help="draw the fields, errors and loss curves of a result")
    plot.add_argument("result", help="a result file written by `sirenpde solve`")
    plot.add_argument("--out", help="folder for the PNG files (default: next to the result)")
    plot.add_argument("--times", type=float, nargs="+", metavar="T",
                      help="space-time results: snapshot times (default: five, evenly spaced)")
    plot.add_argument("--animation", choices=("gif", "mp4", "none"), default="gif",
                      help="space-time results: animation format (default: gif)")
    return p


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    try:
        args = _parser().parse_args(argv)
    except SystemExit as done:  # --help, --version and usage errors: a code, not an exception
        return done.code if isinstance(done.code, int) else EXIT_BAD_INPUT
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    from ..config import ConfigError  # torch is imported here, after --help/--version

    try:
        return {"solve": _solve, "check": _check, "plot": _plot}[args.command](args)
    except ConfigError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def _check(args) -> int:
    from ..config import load_problem_file

    spec = load_problem_file(args.file)
    names = ", ".join(c.name for c in spec.problem.constraints)
    print(f"{args.file}: ok ({spec.problem.kind}, axes {', '.join(spec.problem.axes)}; constraints: {names})")
    return EXIT_OK


def _solve(args) -> int:
    import dataclasses

    from pydantic import ValidationError

    from ..config import ConfigError, load_problem_file
    from ..results.hdf5 import read_error_by_time, save
    from ..results.meshing import MeshingError
    from ..training.checkpoint import CheckpointError, Checkpointing, remove_checkpoints
    from ..training.distributed import DistributedError, from_environment
    from ..training.loop import TrainingError, TrainingInterrupted, train
    from ..training.settings import resolve_device
    from .launch import checked_on_rank0, launch, resume_hint

    spec = load_problem_file(args.file)
    job = from_environment()
    if args.nproc is not None and args.nproc < 1:
        raise ConfigError(f"bad command-line option --nproc {args.nproc}: expected a number of processes ≥ 1")
    overrides = {k: v for k, v in (("steps", args.steps), ("device", args.device), ("seed", args.seed))
                 if v is not None}
    try:
        training = dataclasses.replace(spec.training, **overrides)
    except ValidationError as err:
        e = err.errors(include_url=False)[0]
        option = f"--{e['loc'][0]} " if e["loc"] else ""
        reason = str(e["ctx"]["error"]) if e["type"] == "value_error" else e["msg"]
        shown = f"{e['input']!r}: " if e["loc"] else ""
        raise ConfigError(f"bad command-line option {option}{shown}{reason}") from None
    try:  # before training: an unusable device is bad input, not a failed run
        resolve_device(training.device)
    except ValueError as err:
        if args.device is not None:
            raise ConfigError(f"--device: {_first_line(err)}") from None
        raise spec.source.error(("training", "device"), _first_line(err)) from None
    out = Path(args.out or spec.output_path)
    checkpoint = out.with_name(out.name + ".ckpt")
    resume = args.resume or spec.output.resume
    if job is None:
        _check_output(out, checkpoint, args.force, resume)
        if args.nproc is not None and args.nproc > 1:  # the launcher: all is well, start the workers
            return launch(args.nproc, _worker_argv(args), args.file)
    elif not checked_on_rank0(job, resolve_device(training.device),
                              lambda: _check_output(out, checkpoint, args.force, resume)):
        return EXIT_BAD_INPUT  # rank 0 said why
    main_rank = job is None or job.main
    checkpointing = Checkpointing(checkpoint, spec.config_key(steps=args.steps, seed=args.seed),
                                  spec.output.checkpoint_every, spec.output.checkpoint_minutes, resume)
    total = training.steps + training.lm_steps + training.lbfgs_steps
    progress = _ProgressBar(total, enabled=not args.quiet and main_rank)
    signals = _StopOnSignal(announce=main_rank)
    try:
        with signals:
            solution = train(spec.problem, config=training, model_config=spec.model, callback=progress,
                             checkpointing=checkpointing, stop=signals.requested, distributed=job)
    except TrainingInterrupted as stopped:
        progress.close()
        if not main_rank:
            return signals.code
        again = args.file + ("" if job is None else f" --nproc {job.world_size}")
        return _save_partial(stopped.solution, spec, out, checkpoint, again, signals.code)
    except DistributedError as err:
        progress.close()
        if main_rank:
            print(f"error: {args.file}: {_first_line(err)}; {resume_hint(checkpoint, args.file, job)}",
                  file=sys.stderr)
        return EXIT_FAILED
    except (CheckpointError, TrainingError, ValueError) as err:
        progress.close()
        if main_rank:  # every rank of a job meets the same error: one says it
            print(f"error: {args.file}: {_first_line(err)}", file=sys.stderr)
        return EXIT_BAD_INPUT if isinstance(err, CheckpointError) else EXIT_FAILED
    progress.close()
    if not main_rank:
        return EXIT_OK  # rank 0 writes the result
    solution.info["title"] = spec.title
    solution.reference, solution.error_mask = spec.reference, spec.error_mask
    meshes, mesh_error = [], None
    if spec.mesh is not None:  # before saving, so that the result file names the meshes
        try:
            meshes = _write_meshes(solution, spec.mesh, out)
            solution.info["mesh_files"] = ", ".join(path.name for path, _ in meshes)
        except (MeshingError, OSError) as err:
            mesh_error = err
    try:
        errors = save(solution, out, resolution=spec.resolution, problem_text=spec.source.text)
    except (OSError, ValueError) as err:
        print(f"error: cannot write {out}: {_first_line(err)}"
              f" (the checkpoint {checkpoint} is kept: fix this and rerun with --resume)", file=sys.stderr)
        return EXIT_FAILED
    remove_checkpoints(checkpoint)  # the result is safely written: nothing left to resume
    info = solution.info
    phases = (("Adam", "steps"), ("LM", "lm_steps"), ("L-BFGS", "lbfgs_steps"))
    steps = " + ".join(f"{info[key]} {name}" for name, key in phases if info.get(key)) + " steps"
    print(f"wrote {out} ({steps} in {info['wall_time']:.1f} s on {info['device']})")
    kind = solution.reference_kind
    against = ("the exact solution" if solution.error_mask is None and kind == "exact"
               else f"the {kind} reference" + (" (physical region)" if solution.error_mask else ""))
    for name, e in errors.items():
        print(f"relative L2 error of {name} against {against}: {e:.3e}")
    curve = read_error_by_time(out)
    if curve is not None:  # a space-time result: also the error at the last time
        times, by_field = curve
        for name, e in by_field.items():
            print(f"relative L2 error of {name} at {solution.time_axis} = {times[-1]:g}: {e[-1]:.3e}")
    for name, entry in solution.parameters.items():
        known = (f" (exact {entry['exact']:.6g}, relative error {entry['relative_error']:.3e})"
                 if "exact" in entry else "")
        print(f"fitted {name} = {entry['value']:.6g}{known}")
    for path, mesh in meshes:
        closed = "watertight" if mesh.is_watertight() else "NOT watertight"
        print(f"wrote {path} ({len(mesh.vertices)} vertices, {len(mesh.faces)} faces, {closed})")
    if mesh_error is not None:
        print(f"error: {args.file}: no mesh: {_first_line(mesh_error)}", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


def _worker_argv(args) -> list[str]:
    """The ``solve`` arguments for each worker of a ``--nproc`` job (the same, less ``--nproc``)."""
    argv = [args.file]
    for option in ("steps", "device", "seed", "out"):
        if getattr(args, option) is not None:
            argv += [f"--{option}", str(getattr(args, option))]
    return argv + [f"--{flag}" for flag in ("quiet", "resume", "force") if getattr(args, flag)]


def _save_partial(solution, spec, out: Path, checkpoint: Path, file: str, code: int) -> int:
    """After SIGINT/SIGTERM: the best iterate so far as a result marked ``complete = false``."""
    from ..results.hdf5 import save

    solution.info["title"] = spec.title
    solution.reference, solution.error_mask = spec.reference, spec.error_mask
    step = solution.info["stopped_at"]
    try:
        save(solution, out, resolution=spec.resolution, problem_text=spec.source.text)
        written = f"wrote the best iterate so far to {out} (complete = false)"
    except (OSError, ValueError) as err:
        written = f"no partial result ({_first_line(err)})"
    print(f"interrupted at step {step}: {written}; the checkpoint {checkpoint} continues it:"
          f" sirenpde solve {file} --resume", file=sys.stderr)
    return code


_RELAYED_S = 2.0  # a second signal this soon after the first is the first, passed on by a launcher


class _StopOnSignal:
    """SIGINT/SIGTERM ask training to stop after the current step (it then writes a checkpoint);
    a second signal stops at once (KeyboardInterrupt) — unless it comes within ``_RELAYED_S`` of the
    first, as when torchrun passes a Ctrl-C on to workers that got it already. Handlers are restored
    on exit."""

    _SIGNALS = ("SIGINT", "SIGTERM")

    def __init__(self, announce: bool = True):
        self.code, self.announce = 0, announce
        self._first = 0.0
        self._previous: dict = {}

    def requested(self) -> bool:
        return self.code != 0

    def _handle(self, signum, frame) -> None:
        import signal
        import time

        if self.code:
            if time.monotonic() - self._first < _RELAYED_S:
                return  # the same request, relayed by a launcher (torchrun passes signals on)
            raise KeyboardInterrupt
        self._first = time.monotonic()
        self.code = 128 + signum
        if self.announce:  # in a job, rank 0 speaks for all
            print(f"\n{signal.Signals(signum).name}: stopping after this step and writing a checkpoint"
                  " (again to quit at once)", file=sys.stderr)

    def __enter__(self):
        import signal
        import threading

        if threading.current_thread() is not threading.main_thread():  # only it may set handlers
            return self
        for name in self._SIGNALS:
            number = getattr(signal, name)
            self._previous[number] = signal.signal(number, self._handle)
        return self

    def __exit__(self, *exc) -> None:
        import signal

        for number, handler in self._previous.items():
            signal.signal(number, handler)


def _check_output(out: Path, checkpoint: Path, force: bool, resume: bool) -> None:
    """Before any training: the result's folder exists and takes a file, and no result or
    interrupted run is lost."""
    import shutil
    import tempfile

    from ..config import ConfigError

    if not out.parent.exists():
        raise ConfigError(f"output folder {str(out.parent)!r} does not exist; create it or pass --out")
    resumable = resume and checkpoint.exists()
    if out.exists() and not (force or resumable):
        raise ConfigError(f"{out} exists; pass --force to overwrite it, or --out for another file")
    if checkpoint.exists() and not (force or resume):
        raise ConfigError(f"{checkpoint} holds an interrupted run; pass --resume to continue it,"
                          " or --force to start afresh")
    if force and not resume:  # starting afresh: a later --resume must not find the old run
        from ..training.checkpoint import remove_checkpoints

        remove_checkpoints(checkpoint)
    for stale in out.parent.glob(f".{out.name}.*.tmp"):  # a killed run's unfinished write
        stale.unlink(missing_ok=True)
    try:
        with tempfile.NamedTemporaryFile(dir=out.parent, prefix=f".{out.name}.", suffix=".probe"):
            pass
    except OSError as err:
        raise ConfigError(f"cannot write to the output folder {str(out.parent)!r}: {_first_line(err)};"
                          " pass --out for a writable place") from None
    free = shutil.disk_usage(out.parent).free
    if free < _MIN_FREE_BYTES:
        raise ConfigError(f"only {free / 2**20:.0f} MiB free in {str(out.parent)!r}; the result and its"
                          f" checkpoints need at least {_MIN_FREE_BYTES / 2**20:.0f} MiB;"
                          " free space or pass --out")


_MIN_FREE_BYTES = 64 * 2**20


def _write_meshes(solution, request, out: Path) -> list:
    """The zero surface of a 3-D solution, written next to the result as <stem>.ply / .obj."""
    from ..results.meshing import mesh_solution

    mesh = mesh_solution(solution, request.resolution, request.level)
    return [(mesh.write(out.with_suffix(f".{fmt}")), mesh) for fmt in request.formats]


def _plot(args) -> int:
    from ..results.plotting import plot_result

    result = Path(args.result)
    if not result.is_file():
        print(f"error: {result}: file not found", file=sys.stderr)
        return EXIT_BAD_INPUT
    folder = Path(args.out) if args.out else result.parent
    folder.mkdir(parents=True, exist_ok=True)
    try:
        written = plot_result(result, folder, args.times, args.animation)
    except (OSError, ValueError, KeyError) as err:
        print(f"error: {result}: {_first_line(err)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    for path in written:
        print(f"wrote {path}")
    return EXIT_OK


def _first_line(err: BaseException) -> str:
    return " ".join(str(err).split())


class _ProgressBar:
    """tqdm on a terminal; silent when quiet or when stderr is not a TTY."""

    def __init__(self, total: int, enabled: bool):
        self.bar = None
        if enabled and sys.stderr.isatty():
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit="step", dynamic_ncols=True)

    def __call__(self, progress) -> None:
        if self.bar is not None:
            self.bar.update(progress.step - self.bar.n)
            self.bar.set_postfix_str(f"loss {progress.loss:.3e} ({progress.phase})", refresh=False)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


if __name__ == "__main__":
    sys.exit(main())
