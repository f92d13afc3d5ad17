"""How training ends early: an error, an interruption asked for by ``stop()``, a phase that is done."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..results.solution import Solution

__all__ = ["TrainingError", "TrainingInterrupted", "Stopped", "PhaseEnded"]


class TrainingError(RuntimeError):
    """Training cannot go on (e.g. the loss stayed NaN or infinite after every rollback)."""


class TrainingInterrupted(Exception):
    """Training stopped early because ``stop()`` said so; ``solution`` is the best iterate so far,
    with ``info["complete"] = False`` (a checkpoint was written first, when checkpointing)."""

    def __init__(self, solution: Solution):
        super().__init__(f"training interrupted at step {solution.info['stopped_at']}")
        self.solution = solution


class Stopped(Exception):
    """Raised inside the loop when ``stop()`` returns true."""


class PhaseEnded(Exception):
    """Raised after a step when ``training.until`` ends the running phase (the state says so already:
    :meth:`~sirenpde.training.state.RunState.end_early`); the next phase, if any, takes over."""
