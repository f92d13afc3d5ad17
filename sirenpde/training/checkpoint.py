"""Checkpoints of a training run: written atomically, refused when they belong to another configuration.

A checkpoint holds everything the loop needs to go on as if it had never stopped — the run's
:meth:`~sirenpde.training.state.RunState.snapshot` (the weights, the phase and its optimiser state,
the loss record, the best iterate so far …) with every rank's sampling stream and the key of its
configuration. On the CPU a resumed run ends with the same weights, bit for bit, as
one never interrupted (tests/test_checkpoint.py).

Only tensors, numbers, strings, lists and dicts are stored, and they are read back with
``torch.load(weights_only=True)``: loading a checkpoint cannot execute code. The previous
checkpoint is kept beside the newest (``<name>.prev``) until the newest is complete, so a kill at
any moment leaves one readable checkpoint.
"""

from __future__ import annotations

import glob
import logging
import os
from dataclasses import dataclass
from pathlib import Path

import torch

from ..results.atomic import atomic_path

__all__ = ["CheckpointError", "Checkpointing", "read_checkpoint", "remove_checkpoints", "write_checkpoint"]

log = logging.getLogger(__name__)

FORMAT = 1


class CheckpointError(ValueError):
    """A checkpoint cannot be used: it belongs to another configuration or another format."""


@dataclass(frozen=True)
class Checkpointing:
    """Where and when a run writes checkpoints, and whether it starts from one.

    Args:
        path: the checkpoint file.
        key: identifies the configuration; a checkpoint with another key is refused.
        every_steps: write after every this many steps (``None``: never by count).
        every_minutes: write when this many minutes have passed since the last one (``None``: never).
        resume: continue from the newest readable checkpoint at ``path``, if there is one.
    """

    path: Path
    key: str
    every_steps: int | None = 500
    every_minutes: float | None = 10.0
    resume: bool = False

    def previous(self) -> Path:
        return previous_path(self.path)


def previous_path(path: Path) -> Path:
    return path.with_name(path.name + ".prev")


def write_checkpoint(path: str | os.PathLike, state: dict) -> None:
    """Write ``state`` to ``path`` atomically, keeping the checkpoint it replaces as ``<path>.prev``."""
    path = Path(path)
    with atomic_path(path) as tmp:
        torch.save({"format": FORMAT, **state}, tmp)
        if path.exists():
            os.replace(path, previous_path(path))


def read_checkpoint(path: str | os.PathLike, key: str) -> dict | None:
    """The newest readable checkpoint at ``path`` (or its ``.prev``), or ``None`` if there is none.

    Raises:
        CheckpointError: the checkpoint was written for another configuration or format.
    """
    path = Path(path)
    for candidate in (path, previous_path(path)):
        if not candidate.exists():
            continue
        try:
            state = torch.load(candidate, map_location="cpu", weights_only=True)
        except Exception as err:  # a torn or foreign file: fall back to the previous one
            log.warning("%s: unreadable checkpoint skipped (%s)", candidate, " ".join(str(err).split()))
            continue
        if not isinstance(state, dict) or state.get("format") != FORMAT:
            raise CheckpointError(f"{candidate}: not a sirenpde checkpoint of format {FORMAT};"
                                  " delete it to start afresh")
        if state.get("key") != key:
            raise CheckpointError(f"{candidate}: a checkpoint of another configuration (the problem or"
                                  " its training settings changed); delete it to start afresh, or"
                                  " restore the configuration it was written with")
        return state
    return None


WINDOW_SUFFIX = ".window"
"""A marched run's windows keep their checkpoints and finished networks at ``<path>.window<k>…``."""


def remove_checkpoints(path: str | os.PathLike) -> None:
    """Delete the checkpoint at ``path``, its ``.prev`` and a marched run's window files (after the
    result is safely written)."""
    path = Path(path)
    windows = path.parent.glob(f"{glob.escape(path.name)}{WINDOW_SUFFIX}*") if path.parent.exists() else ()
    for candidate in (path, previous_path(path), *windows):
        candidate.unlink(missing_ok=True)
