"""Recovering from divergence: back to the last good state, with a smaller learning rate.

Adam keeps a copy of the weights, its own state, the sampler's stream and the record every
``validate_every`` steps. When a step's loss is NaN or infinite — which it is one step after a
weight became NaN — the run goes back to that copy and continues with half the learning rate.
After ``max_retries`` such rollbacks it stops with a :class:`~sirenpde.train.TrainingError`.
"""

from __future__ import annotations

import copy
import logging

import torch

__all__ = ["Rollback", "DivergenceError"]

log = logging.getLogger(__name__)

LR_FACTOR = 0.5
"""Each rollback multiplies the learning rate by this."""


class DivergenceError(RuntimeError):
    """The loss stayed NaN or infinite after every allowed rollback."""


class Rollback:
    """The last good state of an Adam phase, and how often the run went back to it."""

    def __init__(self, max_retries: int):
        self.max_retries = max_retries
        self.retries = 0
        self.lr_scale = 1.0
        self._kept: dict | None = None

    @property
    def empty(self) -> bool:
        return self._kept is None

    def keep(self, run, optimizer) -> None:
        """Copy what a rollback restores (``run`` is the trainer's run state) — unless a weight is
        already NaN or infinite, which would make it no good state to go back to."""
        if not all(bool(torch.isfinite(p).all()) for p in run.weights.parameters()):
            return
        self._kept = copy.deepcopy(dict(
            step=run.step, model=run.weights.state_dict(), optimizer=optimizer.state_dict(),
            sampler=run.sampler.state(), val=len(run.val_steps),
            best=(run.best_loss, run.best_step, run.best_state),
        ))

    def recover(self, run, optimizer, what: str) -> None:
        """Go back to the kept state with a smaller learning rate, or raise :class:`DivergenceError`."""
        if self.retries >= self.max_retries or self._kept is None:
            raise DivergenceError(
                f"{what} at step {run.step + 1}, after {self.retries} rollback(s) each halving the"
                " learning rate; lower training.lr or w0, or enable gradient clipping (training.clip)")
        self.retries += 1
        self.lr_scale *= LR_FACTOR
        kept = self._kept
        log.warning("%s at step %d: back to step %d with the learning rate times %g (rollback %d of %d)",
                    what, run.step + 1, kept["step"], self.lr_scale, self.retries, self.max_retries)
        run.step = kept["step"]
        run.weights.load_state_dict(kept["model"])
        optimizer.load_state_dict(copy.deepcopy(kept["optimizer"]))
        run.sampler.load_state(copy.deepcopy(kept["sampler"]))
        del run.val_steps[kept["val"]:], run.val_losses[kept["val"]:]
        run.best_loss, run.best_step, run.best_state = copy.deepcopy(kept["best"])

    def state(self) -> dict:
        return {"retries": self.retries, "lr_scale": self.lr_scale}

    def load_state(self, state: dict) -> None:
        self.retries, self.lr_scale = int(state["retries"]), float(state["lr_scale"])
