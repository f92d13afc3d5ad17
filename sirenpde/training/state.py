"""The state of a training run: everything that changes as it goes on, in one object.

:class:`RunState` holds the step, the running phase (and so its optimiser's state), the loss record,
the validation record and best iterate, the causal front, the balancer's multipliers, the rollback
counters, the wall time before a resume, and the phases that ``training.until`` ended early.
:meth:`RunState.snapshot` writes all of it as a dict of tensors, numbers, strings, lists and dicts;
:meth:`RunState.restore` takes one back. Checkpoints
(:mod:`sirenpde.training.checkpoint`) store snapshots, and rollback
(:mod:`sirenpde.training.rollback`) keeps one in memory: there is one list of what a run's state is.
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Sequence
from typing import Protocol

import torch

from ..sampling.batch_source import BatchSource
from .balancing import Balancer
from .rollback import Rollback

__all__ = ["RunState"]

RUN_LONG = ("rollback", "balance", "wall")
"""Snapshot keys that describe the run as a whole rather than its iterate: a rollback does not rewind
them (the count of rollbacks, the balancer's multipliers, the time spent)."""


class Phase(Protocol):
    """What the state keeps of the running phase (:class:`~sirenpde.training.phases.Phase` is one):
    its name and its optimiser's state."""

    name: str

    def state_dict(self) -> dict: ...

    def load_state_dict(self, state: dict) -> None: ...


class RunState:
    """The mutable state of one run (see the module docstring).

    Args:
        weights: everything trained (the network, and the problem's unknowns when it has some).
        sampler: the run's batch source, whose random streams are part of the state.
        balancer: the Adam phase's balancer, whose multipliers are part of the state.
        rollback: the divergence guard; its counters are part of the state.
        names: the constraints' names, in order (the columns of the loss record).
        total: the steps of all phases together (the rows of the loss record); fewer are taken when
            a phase ends early (:meth:`end_early`).
    """

    def __init__(self, weights: torch.nn.Module, sampler: BatchSource, balancer: Balancer, rollback: Rollback,
                 names: Sequence[str], total: int):
        self.weights, self.sampler, self.balancer, self.rollback = weights, sampler, balancer, rollback
        self.names = list(names)
        device = next(weights.parameters()).device
        self.step = 0
        self.phase: Phase | None = None
        # A restored optimiser state waiting for its phase: (phase name, state).
        self._pending: tuple[str, dict] | None = None
        # One row per step: total loss then each constraint's; kept on the device (no sync per step).
        self.losses = torch.zeros(total, len(self.names) + 1, dtype=torch.float64, device=device)
        self.lrs = [0.0] * total
        self.val_steps: list[int] = []
        self.val_losses: list[float] = []
        self.best_loss, self.best_step, self.best_state = math.inf, 0, None
        self.front: torch.Tensor | None = None  # the mean causal weight per Adam step
        self.wall_before, self.started = 0.0, time.perf_counter()
        self.total = total  # the steps of all phases together, less those that ending early skipped
        self.phase_end = total  # where the running phase is to end (set as it starts)
        self.ended: dict[str, int] = {}  # phase name → the step it ended at, for those that ended early
        self.stopped_by = "steps"
        self.lm_ending: str | None = None  # how Levenberg–Marquardt ended: its last iterate or a mean

    def end_early(self, reason: str, whole_run: bool) -> None:
        """The running phase — and with it the run, when ``whole_run`` — ends at this step, for
        ``reason`` (a criterion of ``training.until``); the phases after it move forward."""
        self.total -= (self.total if whole_run else self.phase_end) - self.step
        self.ended[self.phase.name] = self.phase_end = self.step
        self.stopped_by = reason

    def enter(self, phase: Phase) -> None:
        """``phase`` runs from now on; it takes up a restored optimiser state that is its own."""
        self.phase = phase
        if self._pending is not None and self._pending[0] == phase.name:
            phase.load_state_dict(self._pending[1])
            self._pending = None

    def record(self, total: torch.Tensor, parts: Sequence[torch.Tensor], lr: float) -> None:
        """Record this step's loss, each constraint's and the learning rate; move to the next step."""
        i = self.step
        self.losses[i, 0] = total.detach()
        for k, p in enumerate(parts):
            self.losses[i, k + 1] = p.detach()
        self.lrs[i] = lr
        self.step += 1

    def validated(self, loss: float) -> None:
        """Record the validation loss at this step; keep the weights if they are the best so far."""
        self.val_steps.append(self.step)
        self.val_losses.append(loss)
        if loss < self.best_loss:
            self.best_loss, self.best_step = loss, self.step
            self.best_state = copy.deepcopy(self.weights.state_dict())

    def snapshot(self) -> dict:
        """Everything needed to go on from this step (the arrays on the CPU; not copied otherwise)."""
        name, optimizer = ("adam", {}) if self.phase is None else (self.phase.name, self.phase.state_dict())
        return dict(
            step=self.step, phase=name, optimizer=optimizer, model=self.weights.state_dict(),
            sampler=self.sampler.state(), losses=self.losses[: self.step].cpu(), lrs=self.lrs[: self.step],
            val_steps=self.val_steps, val_losses=self.val_losses, best_loss=self.best_loss,
            best_step=self.best_step, best_state=self.best_state,
            front=None if self.front is None else self.front.cpu(),
            rollback=self.rollback.state(), wall=self.wall_time(), balance=self.balancer.state(),
            total=self.total, ended=dict(self.ended), stopped_by=self.stopped_by, lm_ending=self.lm_ending,
        )

    def restore(self, snapshot: dict, rewind: bool = False) -> None:
        """Take up a :meth:`snapshot` of a run with the same configuration (its ``sampler`` may be
        ``None``: the streams are then left as they are). ``rewind``: go back within this run, leaving
        the keys in :data:`RUN_LONG` as they are now."""
        self.step = int(snapshot["step"])
        self.weights.load_state_dict(snapshot["model"])
        if snapshot["sampler"] is not None:
            self.sampler.load_state(snapshot["sampler"])
        self.losses[: self.step] = snapshot["losses"].to(self.losses)
        self.lrs[: self.step] = snapshot["lrs"]
        self.val_steps, self.val_losses = list(snapshot["val_steps"]), list(snapshot["val_losses"])
        self.best_loss, self.best_step = snapshot["best_loss"], snapshot["best_step"]
        self.best_state = snapshot["best_state"]
        if snapshot["front"] is not None:
            self.front = snapshot["front"].to(self.losses.device)
        # A checkpoint written before training.until existed ran every phase to its end.
        self.total = int(snapshot.get("total", self.losses.shape[0]))
        self.ended = dict(snapshot.get("ended", {}))
        self.stopped_by = snapshot.get("stopped_by", "steps")
        self.lm_ending = snapshot.get("lm_ending")
        self._pending = (snapshot["phase"], snapshot["optimizer"])
        if self.phase is not None:
            self.enter(self.phase)
        if not rewind:
            self.rollback.load_state(snapshot["rollback"])
            self.balancer.load_state(snapshot.get("balance", {}))
            self.wall_before = float(snapshot["wall"])

    def start_clock(self) -> None:
        """Training (re)starts now; the wall time of a resumed run's earlier parts is kept."""
        self.started = time.perf_counter()

    def wall_time(self) -> float:
        """Seconds of training so far, the interrupted runs before a resume included."""
        return self.wall_before + time.perf_counter() - self.started

    def restore_best(self) -> None:
        """Load the best iterate's weights (the result)."""
        if self.best_state is not None:
            self.weights.load_state_dict(self.best_state)

    def history(self, adam_steps: int) -> dict:
        """The loss record as the solution's history (``adam_steps``: the Adam steps taken)."""
        losses = self.losses[: self.step].cpu().numpy()
        record = {"step": list(range(1, self.step + 1)), "loss": losses[:, 0], "lr": self.lrs[: self.step]}
        record.update({f"constraint/{n}": losses[:, k + 1] for k, n in enumerate(self.names)})
        record.update({"validation/step": self.val_steps, "validation/loss": self.val_losses})
        if self.front is not None:
            record["causal/front"] = self.front.cpu().numpy()
        record.update(self.balancer.history(min(self.step, adam_steps)))
        return record
