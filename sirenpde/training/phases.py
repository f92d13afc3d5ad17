"""The optimiser phases of a run, in order: Adam, then Levenberg–Marquardt, then L-BFGS.

Each phase is one class: its name (as checkpoints record it), its length in steps (from the
configuration), the steps themselves, and its optimiser's state for checkpoints. A phase is built
when the run reaches it, so it starts from the weights the phases before it left. Adding a phase
means adding a class here and an entry in :data:`PHASES`.

A phase may end before its length when ``training.until`` says so (:mod:`sirenpde.training.until`):
``run.record`` then raises :class:`~sirenpde.training.errors.PhaseEnded` after the step, and the next
phase starts right after it.
"""

from __future__ import annotations

import dataclasses
import logging
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from typing import ClassVar

import torch

from .errors import PhaseEnded, TrainingError
from .levenberg_marquardt import LevenbergMarquardt
from .loss import evaluate_losses, evaluate_terms
from .rollback import DivergenceError
from .run import Run
from .settings import TrainConfig
from .state import RunState
from .tail_average import TailAverage

__all__ = ["Phase", "AdamPhase", "LevenbergMarquardtPhase", "LBFGSPhase", "PHASES", "run_phases",
           "steps_taken"]

log = logging.getLogger(__name__)


class Phase(ABC):
    """One optimiser phase; built with the :class:`~sirenpde.training.run.Run` when the run reaches it."""

    name: ClassVar[str]
    """The phase's name in checkpoints and progress reports."""

    @staticmethod
    @abstractmethod
    def length(config: TrainConfig) -> int:
        """The phase's number of steps (0: skipped)."""

    @abstractmethod
    def run(self, state: RunState, run: Run, end: int) -> None:
        """Take steps, each recorded with ``run.record`` (its last act in a step: it may raise
        :class:`~sirenpde.training.errors.PhaseEnded`), until ``state.step`` reaches ``end``."""

    @abstractmethod
    def state_dict(self) -> dict:
        """The optimiser's state for a checkpoint."""

    @abstractmethod
    def load_state_dict(self, state: dict) -> None:
        """Continue from a :meth:`state_dict`."""


class AdamPhase(Phase):
    """Adam on fresh samples each step, with the schedule, causal parts, balancer and rollback."""

    name = "adam"

    def __init__(self, run: Run):
        self.optimizer = torch.optim.Adam(run.weights.parameters(), lr=run.config.adam.lr)

    @staticmethod
    def length(config: TrainConfig) -> int:
        return config.adam.steps

    def run(self, state: RunState, run: Run, end: int) -> None:
        cfg, (causal, window) = run.config.adam, run.causal
        if causal is not None and state.front is None:
            state.front = torch.zeros(cfg.steps, dtype=torch.float64, device=state.losses.device)
        while state.step < end:
            step = state.step
            if step % run.config.validate_every == 0 or state.rollback.empty:
                state.rollback.keep(state)
            lr = cfg.lr * cfg.schedule.factor(step) * state.rollback.lr_scale
            for group in self.optimizer.param_groups:
                group["lr"] = lr
            self.optimizer.zero_grad(set_to_none=True)
            batches = run.sampler.draw_adam(step, run.score)
            if window is not None:
                batches = window.apply(batches, window.fraction(step))
            terms, parts, weights = run.objective(evaluate_terms, run.problem, run.model, batches, run.engine,
                                                  causal, run.jets)
            total = state.balancer.total(step, terms, list(run.model.parameters()))
            seen, parts = run.mean(total, parts)  # over the ranks of a job
            if not bool(torch.isfinite(seen)):  # within one step of a NaN weight, too
                try:
                    state.rollback.recover(state, f"the loss became {float(seen)}")
                except DivergenceError as err:
                    raise TrainingError(str(err)) from None
                continue
            if weights is not None:
                state.front[step] = weights.mean()
            total.backward()
            if cfg.clip is not None:
                torch.nn.utils.clip_grad_norm_(run.weights.parameters(), cfg.clip)
            self.optimizer.step()
            run.record(state, seen, parts, lr, self.name)

    def state_dict(self) -> dict:
        return self.optimizer.state_dict()

    def load_state_dict(self, state: dict) -> None:
        self.optimizer.load_state_dict(state)


class LevenbergMarquardtPhase(Phase):
    """Levenberg–Marquardt on fresh points each step; the damping is recorded as the learning rate.
    The phase's last planned step ends on the mean of the last iterates when that validates better
    (:mod:`sirenpde.training.tail_average`)."""

    name = "lm"

    def __init__(self, run: Run):
        self.optimizer = LevenbergMarquardt(run.problem, run.model)
        self.tail = TailAverage(self.optimizer.trained)

    @staticmethod
    def length(config: TrainConfig) -> int:
        return config.lm.steps

    def run(self, state: RunState, run: Run, end: int) -> None:
        state.lm_ending = state.lm_ending or "last iterate"  # unless it reaches its last planned step
        while state.step < end:
            factor = run.config.lm.points_factor_at(end - state.step)
            batches = run.sampler.draw(scale=factor, score=run.score)
            total, parts = self.optimizer.step(batches)
            self.tail.add()
            if state.step + 1 == end:
                state.lm_ending = self._end_on_the_mean(run)
            if run.job is not None:  # LM is not data-parallel: every rank takes rank 0's step
                run.job.broadcast(run.model)
            run.record(state, total, parts, self.optimizer.damping, self.name)

    def _end_on_the_mean(self, run: Run) -> str:
        """Replace the last iterate by the tail's mean if the mean's validation loss is lower; say
        which one the phase ended on, with both losses."""
        if len(self.tail.values) < 2:
            return "last iterate"
        last, last_loss = self.tail.current(), run.validation_loss()
        self.tail.assign(self.tail.mean())
        mean_loss = run.validation_loss()
        losses = f"validation loss {mean_loss:.3e} for the mean, {last_loss:.3e} for the last iterate"
        if mean_loss < last_loss:
            ending = f"mean of the last {len(self.tail.values)} iterates ({losses})"
        else:
            self.tail.assign(last)
            ending = f"last iterate ({losses})"
        log.info("lm: ended on the %s", ending)
        return ending

    def state_dict(self) -> dict:
        return {"damping": self.optimizer.damping, "tail": self.tail.state_dict()}

    def load_state_dict(self, state: dict) -> None:
        self.optimizer.damping = state["damping"]
        self.tail.load_state_dict(state.get("tail", []))  # none in checkpoints from before the mean


class LBFGSPhase(Phase):
    """L-BFGS with a strong-Wolfe line search on one fixed batch (the same objective from one line-search
    evaluation to the next), drawn when the phase starts."""

    name = "lbfgs"

    def __init__(self, run: Run):
        cfg = run.config.lbfgs
        self.batches = run.sampler.draw(scale=cfg.points_factor, score=run.score)
        self.optimizer = torch.optim.LBFGS(run.weights.parameters(), lr=1.0, max_iter=cfg.inner,
                                           history_size=50, line_search_fn="strong_wolfe",
                                           tolerance_grad=0.0, tolerance_change=0.0)

    @staticmethod
    def length(config: TrainConfig) -> int:
        return config.lbfgs.steps

    def run(self, state: RunState, run: Run, end: int) -> None:
        last: dict = {}

        def closure():
            self.optimizer.zero_grad(set_to_none=True)
            total, parts = run.objective(evaluate_losses, run.problem, run.model, self.batches, run.engine,
                                         run.jets)
            total.backward()
            seen, parts = run.mean(total, parts)  # every rank line-searches the same objective
            last.update(total=seen, parts=parts)
            return seen

        while state.step < end:
            self.optimizer.step(closure)
            run.record(state, last["total"], last["parts"], 1.0, self.name)

    def state_dict(self) -> dict:
        return {"lbfgs": self.optimizer.state_dict(),
                "batches": [[b.x, b.normals, dict(b.data)] for b in self.batches]}

    def load_state_dict(self, state: dict) -> None:
        """The fixed batch it was polishing, and its history."""
        self.batches = [dataclasses.replace(b, x=x.to(b.x), normals=None if n is None else n.to(b.x),
                                            data={k: v.to(b.x.device) for k, v in data.items()})
                        for b, (x, n, data) in zip(self.batches, state["batches"], strict=True)]
        self.optimizer.load_state_dict(state["lbfgs"])


PHASES: tuple[type[Phase], ...] = (AdamPhase, LevenbergMarquardtPhase, LBFGSPhase)
"""The phases in the order a run takes them."""


def run_phases(state: RunState, run: Run, phases: Sequence[type[Phase]] = PHASES) -> None:
    """Each of ``phases`` that the run has not finished yet, in order, from ``state.step``: phase k
    covers its length's steps after the ones before it took."""
    for kind, _, end in _spans(state, run.config, phases):
        if state.step < end:
            phase = kind(run)
            state.phase_end = end
            state.enter(phase)
            try:
                phase.run(state, run, end)
            except PhaseEnded:  # state.ended says where: the next span starts there
                pass


def steps_taken(state: RunState, config: TrainConfig,
                phases: Sequence[type[Phase]] = PHASES) -> dict[str, int]:
    """Phase name → the steps it has taken so far."""
    spans = _spans(state, config, phases)
    return {kind.name: max(0, min(end, state.step) - start) for kind, start, end in spans}


def _spans(state: RunState, config: TrainConfig, phases: Sequence[type[Phase]]) -> Iterator[tuple]:
    """(phase, first step, end) of each phase: its configured length after the one before it
    ended, unless it ended early itself (``state.ended``), and never past the run's total (a time
    budget that ran out ends them all). Lazy: a phase that ends early while it is being run moves
    the start of the next."""
    start = 0
    for kind in phases:
        planned = start + kind.length(config)
        yield kind, start, min(state.ended.get(kind.name, planned), state.total)
        start = min(state.ended.get(kind.name, planned), state.total)
