"""``sirenpde solve FILE``: the library's :class:`~sirenpde.runs.FileRun`, with progress, signals,
processes and exit codes."""

from __future__ import annotations

import sys
from pathlib import Path

from .progress import LOG_SECONDS, LogLines, MetricsCSV, ProgressBar, Reporters, TensorBoardLog, device_line
from .signals import StopOnSignal

__all__ = ["solve"]

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2


def solve(args) -> int:
    """Train on ``args.file`` and write the result; the exit code."""
    from ..config import ConfigError
    from ..runs import BadOverride, FileRun
    from ..training.distributed import from_environment
    from ..training.settings import resolve_device
    from .launch import checked_on_rank0, launch

    job = from_environment()
    if args.nproc is not None and args.nproc < 1:
        raise ConfigError(f"bad command-line option --nproc {args.nproc}: expected a number of processes ≥ 1")
    try:
        run = FileRun.load(args.file, steps=args.steps, device=args.device, seed=args.seed)
    except BadOverride as err:
        raise ConfigError(f"bad command-line option --{err.key} {err.value!r}: {err.reason}") from None
    out = run.result_path(args.out)
    if job is None:
        run.check_output(out, args.force, args.resume)
        _check_logs(args)
        if args.nproc is not None and args.nproc > 1:  # the launcher: all is well, start the workers
            return launch(args.nproc, _worker_argv(args), args.file)
    elif not checked_on_rank0(job, resolve_device(run.training.device),
                              lambda: run.check_output(out, args.force, args.resume)):
        _leave(EXIT_BAD_INPUT)  # rank 0 said why
    code = _train_and_save(run, out, args, job)
    if job is not None:
        _leave(code)
    return code


def _leave(code: int) -> None:
    """End a worker of a job now, its output flushed and its files closed, without the interpreter's
    shutdown: Gloo's threads may still be releasing a collective's tensors, and a release during
    shutdown aborts the process ("terminate called without an active exception"), turning a
    finished run into a failed job. A barrier before leaving the process group made it rarer, not
    impossible."""
    import os

    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _train_and_save(run, out: Path, args, job) -> int:
    from ..training.checkpoint import CheckpointError
    from ..training.distributed import DistributedError
    from ..training.loop import TrainingError, TrainingInterrupted
    from .launch import resume_hint

    main_rank = job is None or job.main
    progress = _reporters(run, args) if main_rank else Reporters([])
    signals = StopOnSignal(announce=main_rank)
    checkpoint = run.checkpoint_path(out)
    try:
        with signals:
            solution = run.train(callback=progress, checkpointing=run.checkpointing(out, args.resume),
                                 stop=signals.requested, distributed=job)
    except TrainingInterrupted as stopped:
        progress.close()
        if job is not None:  # every rank stopped at the same step, with its checkpoint written
            job.stop()
        if not main_rank:
            return signals.code
        again = args.file + ("" if job is None else f" --nproc {job.world_size}")
        return _save_partial(run, stopped.solution, out, again, signals.code)
    except DistributedError as err:
        progress.close()
        if main_rank:
            print(f"error: {args.file}: {_one_line(err)}; {resume_hint(checkpoint, args.file, job)}",
                  file=sys.stderr)
        return EXIT_FAILED
    except (CheckpointError, TrainingError, ValueError) as err:
        progress.close()
        if main_rank:  # every rank of a job meets the same error: one says it
            print(f"error: {args.file}: {_one_line(err)}", file=sys.stderr)
        return EXIT_BAD_INPUT if isinstance(err, CheckpointError) else EXIT_FAILED
    progress.close()
    if job is not None:  # training is over: leave the process group before anything else, so that no
        job.stop()       # rank exits while its communication threads still hold tensors (an abort)
    if not main_rank:
        return EXIT_OK  # rank 0 writes the result
    try:
        saved = run.save(solution, out)
    except (OSError, ValueError) as err:
        print(f"error: cannot write {out}: {_one_line(err)}"
              f" (the checkpoint {checkpoint} is kept: fix this and rerun with --resume)", file=sys.stderr)
        return EXIT_FAILED
    _report(solution, saved)
    if saved.mesh_error is not None:
        print(f"error: {args.file}: no mesh: {_one_line(saved.mesh_error)}", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


def _report(solution, saved) -> None:
    """The summary: what was written, the errors against the reference, fitted parameters, meshes."""
    info = solution.info
    phases = (("Adam", "steps"), ("LM", "lm_steps"), ("L-BFGS", "lbfgs_steps"))
    steps = " + ".join(f"{info[key]} {name}" for name, key in phases if info.get(key)) + " steps"
    stopped = f"; stopped by {info['stopped_by']}" if "stopped_by" in info else ""  # training.until
    print(f"wrote {saved.path} ({steps} in {info['wall_time']:.1f} s on {info['device']}{stopped})")
    c = saved.comparison
    against = ("the exact solution" if solution.error_mask is None and c.kind == "exact"
               else f"the {c.kind} reference" + (" (physical region)" if solution.error_mask else ""))
    for name, e in c.errors.items():
        print(f"relative L2 error of {name} against {against}: {e:.3e}")
    for name, e in (c.by_time or {}).items():  # a space-time result: also the error at the last time
        print(f"relative L2 error of {name} at {solution.time_axis} = {c.times[-1]:g}: {e[-1]:.3e}")
    for name, entry in solution.parameters.items():
        known = (f" (exact {entry['exact']:.6g}, relative error {entry['relative_error']:.3e})"
                 if "exact" in entry else "")
        print(f"fitted {name} = {entry['value']:.6g}{known}")
    for path, mesh in saved.meshes:
        closed = "watertight" if mesh.is_watertight() else "NOT watertight"
        print(f"wrote {path} ({len(mesh.vertices)} vertices, {len(mesh.faces)} faces, {closed})")


def _check_logs(args) -> None:
    """Refuse a ``--log`` or ``--tensorboard`` that cannot be written, before training starts."""
    from ..config import ConfigError

    if args.log is not None:
        log = Path(args.log)
        if log.suffix.lower() != ".csv":
            raise ConfigError(f"bad command-line option --log {args.log!r}: expected a .csv file")
        if not log.parent.is_dir():
            raise ConfigError(f"bad command-line option --log {args.log!r}: no folder {str(log.parent)!r}")
        if log.exists() and not (args.force or args.resume):
            raise ConfigError(f"bad command-line option --log {args.log!r}: the file exists; pass --force"
                              " to overwrite it or --resume to continue it")
    if args.tensorboard is not None:
        try:
            import torch.utils.tensorboard  # noqa: F401
        except ImportError:
            raise ConfigError("bad command-line option --tensorboard: it needs the tensorboard package"
                              " (pip install tensorboard)") from None
    if args.log_seconds is not None and not args.log_seconds >= 0:
        raise ConfigError(f"bad command-line option --log-seconds {args.log_seconds}: expected seconds ≥ 0")


def _reporters(run, args) -> Reporters:
    """The progress bar on a terminal, plain lines where stderr is a file; the metrics asked for."""
    reporters: list = []
    if not args.quiet:
        print(device_line(run.training.device), file=sys.stderr)
        t = run.training
        if sys.stderr.isatty():
            reporters.append(ProgressBar(t.adam_steps + t.lm_steps + t.lbfgs_steps))
        else:
            reporters.append(LogLines(LOG_SECONDS if args.log_seconds is None else args.log_seconds))
    if args.log is not None:
        reporters.append(MetricsCSV(Path(args.log), append=args.resume and Path(args.log).exists()))
    if args.tensorboard is not None:
        reporters.append(TensorBoardLog(Path(args.tensorboard)))
    return Reporters(reporters)


def _worker_argv(args) -> list[str]:
    """The ``solve`` arguments for each worker of a ``--nproc`` job (the same, less ``--nproc``)."""
    argv = [args.file]
    for option in ("steps", "device", "seed", "out", "log", "tensorboard", "log_seconds"):
        if getattr(args, option) is not None:
            argv += [f"--{option.replace('_', '-')}", str(getattr(args, option))]
    return argv + [f"--{flag}" for flag in ("quiet", "resume", "force") if getattr(args, flag)]


def _save_partial(run, solution, out: Path, file: str, code: int) -> int:
    """After SIGINT/SIGTERM: the best iterate so far as a result marked ``complete = false``."""
    step = solution.info["stopped_at"]
    try:
        run.save(solution, out, final=False)
        written = f"wrote the best iterate so far to {out} (complete = false)"
    except (OSError, ValueError) as err:
        written = f"no partial result ({_one_line(err)})"
    print(f"interrupted at step {step}: {written}; the checkpoint {run.checkpoint_path(out)} continues it:"
          f" sirenpde solve {file} --resume", file=sys.stderr)
    return code


def _one_line(err: BaseException) -> str:
    return " ".join(str(err).split())
