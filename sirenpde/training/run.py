"""What the phases of one run share, and the bookkeeping after every step.

A :class:`Run` holds what stays fixed while a run goes on — the problem, the model, the objective
(through DDP in a job), the sampler, the validation batch, the derivative engine, the causal parts,
the hooks — and does what follows every step of every phase: record it in the
:class:`~sirenpde.training.state.RunState`, validate, report progress, honour ``stop()`` and write
checkpoints.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import torch

from ..constraints.problem import Problem
from ..derivatives.forward import compilable_jets
from ..sampling.batch import Batch
from ..sampling.batch_source import BatchSource
from .causal import CausalWeights, TimeWindow
from .checkpoint import Checkpointing, write_checkpoint
from .distributed import Distributed, objective, rank_seed
from .errors import PhaseEnded, Stopped, TrainingError
from .loss import evaluate_losses, pool_scorer
from .rollback import Rollback
from .settings import TrainConfig
from .state import RunState

__all__ = ["Progress", "Run"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Progress:
    """What a progress callback is told: the step (1-based), the total, the loss and the phase; at
    the run's last step, also what ended it (``stopped_by``: ``"steps"``, ``"tolerance"`` or ``"time"``,
    see :mod:`sirenpde.training.until`). ``total`` shrinks when a phase ends early.

    ``terms``: each constraint's loss at this step, unweighted, by name; ``weights``: the weight each
    term enters the total with (a balancer's λ included); ``lr``: Adam's learning rate, LM's damping
    (1 for L-BFGS); ``elapsed``: seconds of training so far (a resumed run's earlier parts included);
    ``window``: ``"k/K"`` while the k-th of K time windows trains (:mod:`sirenpde.training.marching`),
    else empty.
    """

    step: int
    total: int
    loss: float
    phase: str
    stopped_by: str | None = None
    terms: dict[str, float] = field(default_factory=dict)
    weights: dict[str, float] = field(default_factory=dict)
    lr: float = math.nan
    elapsed: float = 0.0
    window: str = ""


class Run:
    """The fixed parts of one training run (see the module docstring)."""

    def __init__(self, problem: Problem, model: torch.nn.Module, config: TrainConfig, *, sampler: BatchSource,
                 validation: list[Batch], causal: tuple[CausalWeights | None, TimeWindow | None],
                 callback: Callable[[Progress], None] | None, checkpointing: Checkpointing | None,
                 stop: Callable[[], bool] | None, job: Distributed | None):
        self.problem, self.model, self.config, self.job = problem, model, config, job
        # Everything trained: the network, and the problem's unknowns when it has some.
        self.weights = model if problem.unknowns is None else torch.nn.ModuleDict(
            {"network": model, "unknowns": problem.unknowns})
        # Losses are evaluated through this (DDP in a job: its backward averages the gradients).
        self.objective = objective(self.weights, job, unused=problem.unknowns is not None)
        self.sampler, self.validation, self.causal = sampler, validation, causal
        self.callback, self.checkpointing, self.stop = callback, checkpointing, stop
        self.engine = config.choose_engine(model)
        # The forward engine's jets compiled once per run, from plain operations that inductor can fuse
        # (LM keeps its own uncompiled pass: torch.func).
        self.jets = torch.compile(compilable_jets) if config.compile else None
        self.score = pool_scorer(problem, model, self.engine, self.jets)  # for RAD pools
        self.last_checkpoint = time.monotonic()

    def new_state(self, total: int) -> RunState:
        """The state of this run at step 0, for ``total`` steps of all phases together."""
        device = next(self.model.parameters()).device
        balancer = self.config.balancing.make(self.problem.constraints, self.config.adam.steps, device)
        return RunState(self.weights, self.sampler, balancer, Rollback(self.config.max_retries),
                        [c.name for c in self.problem.constraints], total)

    def mean(self, total: torch.Tensor, parts: list[torch.Tensor]) -> tuple[torch.Tensor, list]:
        """The loss and its parts as recorded: averaged over the ranks of a job."""
        if self.job is None:
            return total.detach(), [p.detach() for p in parts]
        return self.job.mean_losses(total, parts)

    def record(self, state: RunState, total: torch.Tensor, parts: list[torch.Tensor], lr: float,
               phase: str) -> None:
        """After a step: record it, validate and report when due, end the phase when ``training.until``
        says so, checkpoint and stop when asked."""
        state.record(total, parts, lr)
        cfg = self.config
        if state.step % cfg.validate_every == 0 or state.step == state.total:
            self.validate(state)
        ending = cfg.stopping is not None and self._ends_early(state, phase)
        last = state.step == state.total
        if self.callback is not None and (state.step % cfg.log_every == 0 or last):
            self.callback(self._progress(state, phase, lr, last))
        stopping = self.stop is not None and self.stop()
        due = self.checkpointing is not None and self._checkpoint_due(state.step)
        if self.job is not None:  # every rank stops, and checkpoints, at the same step
            stopping, due = self.job.any(stopping, due)
        if self.checkpointing is not None and (stopping or due):
            self.write_checkpoint(state)
        if stopping:
            raise Stopped
        if ending:
            raise PhaseEnded

    def _progress(self, state: RunState, phase: str, lr: float, last: bool) -> Progress:
        row = state.losses[state.step - 1].tolist()  # one device sync per report
        weights = (state.balancer.effective_weights() if phase == "adam"
                   else [float(c.weight) for c in self.problem.constraints])
        return Progress(state.step, state.total, row[0], phase, state.stopped_by if last else None,
                        terms=dict(zip(state.names, row[1:], strict=True)),
                        weights=dict(zip(state.names, weights, strict=True)), lr=float(lr),
                        elapsed=state.wall_time())

    def _ends_early(self, state: RunState, phase: str) -> bool:
        """End the running phase (or the run) at this step if ``training.until`` says so, before a
        checkpoint is written; the last iterate is validated, as a run's last step always is."""
        reason, whole_run = self.config.stopping.check(state, phase)
        if self.job is not None:  # the clocks of the ranks differ: all end when one does
            late, share, converged = self.job.any(reason == "time" and whole_run, reason == "time",
                                                  reason == "tolerance")
            reason, whole_run = ("time" if share else "tolerance" if converged else None), late
        if reason is None or state.step >= (state.total if whole_run else state.phase_end):
            return False  # nothing left to cut: the configured steps end it
        state.end_early(reason, whole_run)
        if state.val_steps[-1:] != [state.step]:
            self.validate(state)
        return True

    def validation_loss(self) -> float:
        """The loss of the model as it is on the fixed validation batch."""
        return float(evaluate_losses(self.problem, self.model, self.validation, self.engine,
                                     self.jets)[0].detach())

    def validate(self, state: RunState) -> None:
        loss = self.validation_loss()
        if not math.isfinite(loss):
            raise TrainingError(
                f"the loss became {loss} at step {state.step}; lower the learning rate (training.lr)"
                " or w0, or enable gradient clipping (training.clip)"
            )
        state.validated(loss)

    def _checkpoint_due(self, step: int) -> bool:
        c = self.checkpointing
        by_count = c.every_steps is not None and step % c.every_steps == 0
        elapsed = time.monotonic() - self.last_checkpoint
        by_time = c.every_minutes is not None and elapsed >= 60 * c.every_minutes
        return by_count or by_time

    def write_checkpoint(self, state: RunState) -> None:
        """Write the state's snapshot, with every rank's sampling stream (see :mod:`.checkpoint`)."""
        stream = self.sampler.state()
        streams = [stream] if self.job is None else self.job.gather(stream)
        if self.job is None or self.job.main:  # rank 0 writes; the others gave it their streams
            snapshot = {"key": self.checkpointing.key, **state.snapshot(), "sampler": streams}
            write_checkpoint(self.checkpointing.path, snapshot)
        self.last_checkpoint = time.monotonic()

    def resume(self, state: RunState, checkpoint: dict) -> None:
        """Take up a checkpoint written by :meth:`write_checkpoint` for the same configuration."""
        stream = self._own_stream(checkpoint["sampler"])
        state.restore({**checkpoint, "sampler": stream})
        if stream is None:
            seed = rank_seed(self.config.seed + state.step, 0 if self.job is None else self.job.rank)
            self.sampler.reseed(seed)

    def _own_stream(self, streams: list | dict) -> dict | None:
        """This rank's sampling stream; ``None`` for a checkpoint of a job of another size, whose
        ranks get fresh streams instead, seeded from the step so that no points repeat."""
        streams = streams if isinstance(streams, list) else [streams]  # before distributed training
        world, rank = (1, 0) if self.job is None else (self.job.world_size, self.job.rank)
        if len(streams) == world:
            return streams[rank]
        if rank == 0:
            log.warning("the checkpoint was written by %d process(es), this job has %d: each draws fresh"
                        " samples from here on (seed %d + step); the result is not bit-identical to an"
                        " uninterrupted run", len(streams), world, self.config.seed)
        return None

