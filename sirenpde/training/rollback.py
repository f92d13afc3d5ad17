"""Recovering from divergence: back to the last good state, with a smaller learning rate.

Adam keeps a :meth:`~sirenpde.training.state.RunState.snapshot` of the run — the weights, its own
state, the sampler's stream and the record, as a checkpoint would — every ``validate_every`` steps.
When a step's loss is NaN or infinite — which it is one step after a weight became NaN — the run
goes back to that snapshot (all but the rollback count, the balancer's multipliers and the time
spent) and continues with half the learning rate.
After ``max_retries`` such rollbacks it stops with a :class:`~sirenpde.TrainingError`.
"""

from __future__ import annotations

import copy
import logging
from typing import Protocol

import torch

__all__ = ["Rollback", "DivergenceError"]

log = logging.getLogger(__name__)

LR_FACTOR = 0.5
"""Each rollback multiplies the learning rate by this."""


class DivergenceError(RuntimeError):
    """The loss stayed NaN or infinite after every allowed rollback."""


class Snapshots(Protocol):
    """What rollback needs of a run's state (:class:`~sirenpde.training.state.RunState` is one)."""

    weights: torch.nn.Module
    step: int

    def snapshot(self) -> dict: ...

    def restore(self, snapshot: dict, rewind: bool = False) -> None: ...


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

    @property
    def kept(self) -> dict | None:
        """The kept snapshot (``None`` before the first)."""
        return self._kept

    def keep(self, state: Snapshots) -> None:
        """Copy the run's ``snapshot()`` — unless a weight is already NaN or infinite,
        which would make it no good state to go back to."""
        if not all(bool(torch.isfinite(p).all()) for p in state.weights.parameters()):
            return
        self._kept = copy.deepcopy(state.snapshot())

    def recover(self, state: Snapshots, what: str) -> None:
        """Go back to the kept state with a smaller learning rate, or raise :class:`DivergenceError`."""
        if self.retries >= self.max_retries or self._kept is None:
            raise DivergenceError(
                f"{what} at step {state.step + 1}, after {self.retries} rollback(s) each halving the"
                " learning rate; lower training.lr or w0, or enable gradient clipping (training.clip)")
        self.retries += 1
        self.lr_scale *= LR_FACTOR
        log.warning("%s at step %d: back to step %d with the learning rate times %g (rollback %d of %d)",
                    what, state.step + 1, self._kept["step"], self.lr_scale, self.retries, self.max_retries)
        state.restore(copy.deepcopy(self._kept), rewind=True)

    def state(self) -> dict:
        return {"retries": self.retries, "lr_scale": self.lr_scale}

    def load_state(self, state: dict) -> None:
        self.retries, self.lr_scale = int(state["retries"]), float(state["lr_scale"])
