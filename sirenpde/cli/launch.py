"""``sirenpde solve FILE --nproc N``: torchrun's launcher, for one machine, from the command line.

The N workers are ``python -m sirenpde solve FILE …`` (the same options, less ``--nproc``) started by
PyTorch's elastic agent — exactly what ``torchrun --standalone --nproc_per_node=N -m sirenpde solve
FILE`` does — so a job behaves the same whichever way it was started. Several machines need
``torchrun`` itself (docs/scaling.md).
"""

from __future__ import annotations

import logging
import os
import sys
import uuid

__all__ = ["launch", "checked_on_rank0", "resume_hint"]

# The elastic agent logs every start and, on a failure, a page of details; the workers' own one-line
# messages say what happened.
_AGENT_LOGGERS = ("torch.distributed.elastic", "torch.distributed.launcher")


def launch(nproc: int, argv: list[str], file: str) -> int:
    """Run ``sirenpde solve`` with ``argv`` in ``nproc`` processes; the job's exit code.

    Each worker gets ``OMP_NUM_THREADS`` = the machine's cores / nproc (unless set), so that the
    processes do not fight over cores.
    """
    from torch.distributed.elastic.multiprocessing.api import SignalException
    from torch.distributed.elastic.multiprocessing.errors import ChildFailedError
    from torch.distributed.launcher.api import LaunchConfig, elastic_launch

    for name in list(logging.Logger.manager.loggerDict):  # each module's logger has its own level
        if name.startswith(_AGENT_LOGGERS):
            logging.getLogger(name).setLevel(logging.CRITICAL)
    os.environ.setdefault("OMP_NUM_THREADS", str(max(1, (os.cpu_count() or 1) // nproc)))
    config = LaunchConfig(min_nodes=1, max_nodes=1, nproc_per_node=nproc, run_id=str(uuid.uuid4()),
                          rdzv_backend="c10d", rdzv_endpoint="localhost:0", max_restarts=0,
                          monitor_interval=0.1)
    try:
        elastic_launch(config, entrypoint=sys.executable)("-m", "sirenpde", "solve", *argv)
    except ChildFailedError as err:
        return _exit_code(err, nproc, file)
    except SignalException as err:
        # SIGINT/SIGTERM reached the job: the agent relayed it and waited for the workers, which
        # stopped after their step, checkpointed and said so themselves.
        return 128 + int(err.sigval)
    return 0


def _exit_code(err, nproc: int, file: str) -> int:
    """The failed rank's code; a line on stderr when it died without saying why (a signal)."""
    # A rank killed by a signal is the cause: its peers fail after it, on the broken connection,
    # but the agent may see both in one poll and time the peer's exit first.
    killed = {r: f for r, f in err.failures.items() if f.exitcode < 0}
    if killed:
        rank = min(killed, key=lambda r: killed[r].timestamp)
        failure = killed[rank]
    else:
        rank, failure = err.get_first_failure()  # the earliest: the others were stopped because of it
    code = failure.exitcode
    if code < 0:  # killed by a signal: it could not say anything itself
        import signal

        name = signal.Signals(-code).name if -code in signal.Signals._value2member_map_ else str(-code)
        print(f"error: {file}: rank {rank} of the {nproc}-process job was killed ({name}); the other ranks"
              f" were stopped. Continue from the last checkpoint: sirenpde solve {file} --resume"
              f" --nproc {nproc}", file=sys.stderr)
        return 1
    return code


def checked_on_rank0(job, device, check) -> bool:
    """Run ``check`` (the output checks: it raises ConfigError) on rank 0 only — one process probes
    the folder — and tell every rank whether it passed; rank 0 prints the error."""
    from ..config import ConfigError

    job.start(job.device(device))
    failed = None
    if job.main:
        try:
            check()
        except ConfigError as err:
            failed = err
    (refused,) = job.any(failed is not None)
    if failed is not None:
        for line in failed.lines():
            print(f"error: {line}", file=sys.stderr)
    return not refused


def resume_hint(checkpoint, file: str, job) -> str:
    """How to go on after a failed job: from its last checkpoint, if it wrote one."""
    nproc = f" --nproc {job.world_size}" if job is not None else ""
    if checkpoint.exists():
        return f"continue from the last checkpoint {checkpoint}: sirenpde solve {file} --resume{nproc}"
    return f"no checkpoint was written yet: rerun sirenpde solve {file}{nproc}"
