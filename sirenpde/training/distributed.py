"""Data-parallel training over processes with ``torch.distributed``, as started by ``torchrun``.

Each process (rank) draws its own Monte-Carlo points from a seed derived from the run's seed and its
rank, evaluates the constraint loss on them through a :class:`~torch.nn.parallel.DistributedDataParallel`
module, and DDP averages the gradients: a step sees ``world_size`` times the points of one process,
with one weight update that every rank applies identically. Only rank 0 writes checkpoints, logs,
progress and the result. Backend: NCCL on GPUs, Gloo on CPUs.

Nothing here runs unless the process was started by a launcher (``torchrun``, ``sirenpde solve
--nproc N``): :func:`from_environment` reads ``WORLD_SIZE``, ``RANK`` and ``LOCAL_RANK``.
"""

from __future__ import annotations

import datetime
import os
from dataclasses import dataclass

import torch
import torch.distributed as dist

__all__ = ["Distributed", "from_environment", "DistributedError", "objective", "rank_seed"]

# How long a collective waits for a rank that is gone before the survivors give up. Long enough for
# a slow first step (compilation, a large LM solve on rank 0), short enough to free a cluster slot.
_TIMEOUT = datetime.timedelta(minutes=5)


class DistributedError(RuntimeError):
    """Another process of the job failed, or could not be reached."""


def rank_seed(seed: int, rank: int) -> int:
    """The sampling seed of ``rank``: rank 0 keeps the run's seed (a 1-process run is unchanged);
    others get well-separated seeds (a large odd multiplier, modulo torch's 2**63)."""
    return (seed + rank * 0x9E3779B97F4A7C15) % 2**63


@dataclass(frozen=True)
class Distributed:
    """This process's place in the job.

    Attributes:
        rank: 0 … world_size − 1; rank 0 writes everything.
        world_size: the number of processes.
        local_rank: the rank on this machine (its GPU index).
    """

    rank: int
    world_size: int
    local_rank: int

    @property
    def main(self) -> bool:
        return self.rank == 0

    def device(self, requested: torch.device) -> torch.device:
        """One GPU per process: ``cuda`` becomes ``cuda:<local rank>``."""
        if requested.type == "cuda":
            return torch.device("cuda", self.local_rank)
        return requested

    def start(self, device: torch.device) -> None:
        """Join the process group (NCCL for a GPU, Gloo for a CPU), if not joined yet."""
        if dist.is_initialized():
            return
        backend = "nccl" if device.type == "cuda" else "gloo"
        if device.type == "cuda":
            torch.cuda.set_device(device)
        try:
            dist.init_process_group(backend, timeout=_TIMEOUT)
        except (RuntimeError, ValueError) as err:
            raise DistributedError(f"cannot join the {self.world_size}-process job as rank {self.rank}"
                                   f" ({backend}): {str(err).splitlines()[0]}") from err

    def average(self, value: torch.Tensor) -> torch.Tensor:
        """The mean of a tensor over all ranks (a new tensor; no gradient)."""
        out = value.detach().clone()
        self._collective(dist.all_reduce, out)
        return out / self.world_size

    def broadcast(self, module: torch.nn.Module) -> None:
        """Give every rank rank 0's parameters and buffers."""
        for tensor in [*module.parameters(), *module.buffers()]:
            self._collective(dist.broadcast, tensor.data, src=0)

    def gather(self, obj) -> list | None:
        """Every rank's ``obj`` on rank 0 (``None`` elsewhere)."""
        out = [None] * self.world_size if self.main else None
        self._collective(dist.gather_object, obj, out, dst=0)
        return out

    def scatter(self, objs: list | None):
        """Rank 0's ``objs[r]`` on rank r."""
        out = [None]
        self._collective(dist.scatter_object_list, out, objs if self.main else None, src=0)
        return out[0]

    def any(self, *flags: bool) -> tuple[bool, ...]:
        """Each flag, true if it is true on any rank — one collective for all: a stop asked of one
        process stops them all, and they all write a checkpoint at the same step."""
        t = torch.tensor([1.0 if f else 0.0 for f in flags], device=self._device())
        self._collective(dist.all_reduce, t)
        return tuple(bool(v > 0) for v in t.tolist())

    def mean_losses(self, total: torch.Tensor, parts: list[torch.Tensor]) -> tuple[torch.Tensor, list]:
        """The total and each constraint's loss averaged over the ranks (detached), in one collective:
        what every rank records, checks for divergence, and L-BFGS line-searches on."""
        stacked = self.average(torch.stack([total.detach(), *[p.detach() for p in parts]]))
        return stacked[0], list(stacked[1:])

    def _device(self) -> torch.device:
        if dist.get_backend() == "nccl":
            return torch.device("cuda", torch.cuda.current_device())
        return torch.device("cpu")

    def failed(self, err: RuntimeError) -> bool:
        """Whether ``err`` (from DDP's backward, say) is the backend losing a peer, not a bug."""
        words = ("gloo", "nccl", "connection reset", "connection closed", "broken pipe")
        return isinstance(err, dist.DistError) or any(w in str(err).lower() for w in words)

    def error(self, err: BaseException) -> DistributedError:
        return DistributedError(f"rank {self.rank}: another process of the job stopped or cannot be"
                                f" reached ({_reason(err)})")

    def _collective(self, op, *args, **kwargs) -> None:
        try:
            op(*args, **kwargs)
        except RuntimeError as err:
            raise self.error(err) from err

    def stop(self) -> None:
        """Leave the process group (at the end of a run), once every rank is done with it.

        Gloo's worker threads release a finished collective's tensors after the caller has moved on;
        a release that falls in the interpreter's shutdown aborts the process ("terminate called
        without an active exception"), and the threads outlive ``destroy_process_group`` (DDP keeps
        the group referenced). The barrier, ordered after every earlier collective, makes that rare;
        ``sirenpde solve`` also ends its workers without the shutdown (``cli.solve._leave``).
        """
        if dist.is_initialized():
            self._collective(dist.barrier)
            dist.destroy_process_group()


class _Objective(torch.nn.Module):
    """The module DDP wraps: it owns every trained weight and evaluates whatever loss it is handed,
    so that the derivative engines (which call the network's layers directly, not its ``forward``)
    run inside DDP's forward and DDP averages the gradients of the backward that follows."""

    def __init__(self, weights: torch.nn.Module):
        super().__init__()
        self.weights = weights

    def forward(self, evaluate, *args):
        return evaluate(*args)


def objective(weights: torch.nn.Module, job: Distributed | None, unused: bool = False):
    """``call(evaluate, *args)`` → ``evaluate(*args)``; in a job, through DDP over ``weights``
    (which broadcasts rank 0's weights once, here). ``unused``: some weights may get no gradient in
    a step (learnable unknowns a residual does not use), which DDP must then look for."""
    if job is None:
        return lambda evaluate, *args: evaluate(*args)
    from torch.nn.parallel import DistributedDataParallel

    return DistributedDataParallel(_Objective(weights), find_unused_parameters=unused)


def _reason(err: BaseException) -> str:
    """The gist of a backend's error: ``Connection reset by peer``, not Gloo's source position and
    advice."""
    text = (str(err).splitlines() or [""])[0]
    text = text.split("] ", 1)[-1]  # "[…/pair.cc:537] Read error …"
    return text.split(". ", 1)[0] or type(err).__name__


def from_environment() -> Distributed | None:
    """The job this process belongs to, from the variables ``torchrun`` sets; ``None`` for a plain
    single process (no ``WORLD_SIZE``, or a world of one)."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return None
    return Distributed(int(os.environ["RANK"]), world, int(os.environ.get("LOCAL_RANK", "0")))
