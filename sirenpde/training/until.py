"""Training that stops when it is done: ``training.until``.

Without ``until`` a run takes its configured steps. With it, three criteria, any subset:

* ``tolerance``: the Adam phase ends when the validation loss has stopped improving — the best of the
  last :data:`WINDOW` validations is less than ``tolerance`` (relative) below the best before them —
  but never before :data:`MIN_FRACTION` of its maximum steps.
* ``time``: a wall-time budget for the whole training (seconds; ``"90 s"``, ``"2 min"``, ``"1.5 h"``).
  Adam ends when its share is spent — all of it, or ``1 −`` :data:`POLISH_SHARE` of it when
  Levenberg–Marquardt or L-BFGS steps follow — and every phase ends when the budget is spent, so
  a run ends within the budget plus one step (and one validation of the last iterate).
* ``steps``: the Adam phase's maximum length; it replaces ``training.steps``.

A phase that ends early moves the ones after it forward: they take their configured steps from
where it ended. The rule is checked after every step (:meth:`sirenpde.training.run.Run.record`) and
reads only what the run's state already holds — the step, the validation record and the wall
time — so a checkpoint or a rollback carries the criteria's state with the rest, and a resumed run
stops where the uninterrupted one did (for ``time``, up to the clock).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Annotated, Any, Protocol

from pydantic import BeforeValidator, ConfigDict, Field
from pydantic.dataclasses import dataclass as settings

__all__ = ["Until", "StopRule", "seconds", "short_form", "WINDOW", "MIN_FRACTION", "POLISH_SHARE"]

WINDOW = 5
"""Validations whose best is compared with the best before them. One validation is a noisy
measure of an Adam iterate (the loss jitters from step to step); the best of five
(``5 · validate_every`` steps, 500 by default) is not fooled by one lucky or unlucky iterate, and a
window that long still stops a plateaued run long before the steps run out."""

MIN_FRACTION = 0.1
"""No tolerance stop in the first tenth of Adam's maximum steps: early on, at the highest learning
rate of the schedule, a SIREN's loss often stalls for a while before it drops (the network is still
finding the solution's scale), and a stall there is not convergence."""

POLISH_SHARE = 0.2
"""The share of a ``time`` budget kept for Levenberg–Marquardt and L-BFGS when either is configured.
Their step's cost cannot be predicted from Adam's (an LM step forms a Jacobian over all weights and
factorises it; an L-BFGS step runs a line search), and timing a trial step would spend budget and
points on a step that is thrown away — and would make the run's random streams differ from one
without ``until``. A fixed share is predictable; the polishing phases are cut at the budget all the
same, so the bound holds whatever they cost."""

_UNITS = {"": 1.0, "s": 1.0, "sec": 1.0, "second": 1.0, "seconds": 1.0, "min": 60.0, "minute": 60.0,
          "minutes": 60.0, "h": 3600.0, "hour": 3600.0, "hours": 3600.0}
_DURATION = re.compile(r"\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*([a-z]*)\s*")
_EXPECTED = "expected a duration such as 90, '90 s', '2 min' or '1.5 h'"


def seconds(value: Any) -> float | None:
    """A duration in seconds: a number, or text with a unit (``s``, ``min``, ``h``)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError(f"{_EXPECTED}; found {value!r}")
    given = value
    if isinstance(value, str):
        match = _DURATION.fullmatch(value)
        if match is None or match[2] not in _UNITS:
            raise ValueError(f"{_EXPECTED}; found {given!r}")
        value = float(match[1]) * _UNITS[match[2]]
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{_EXPECTED}, more than 0 s; found {given!r}")
    return float(value)


@settings(frozen=True, config=ConfigDict(extra="forbid", allow_inf_nan=False))
class Until:
    """When training is done (``training.until``); any subset of the three, at least one.

    Attributes:
        tolerance: end Adam once the best of the last 5 validation losses is less than this
            (relative) below the best before them, after at least 10 % of its maximum steps.
        time: the whole training's wall-time budget in seconds (``"90 s"``, ``"2 min"``, ``"1.5 h"``
            in a file); Adam gets all of it, or 80 % when LM or L-BFGS steps follow.
        steps: Adam's maximum steps, replacing ``TrainConfig.steps``.
    """

    tolerance: Annotated[float, Field(gt=0)] | None = None
    time: Annotated[float | None, BeforeValidator(seconds)] = None
    steps: Annotated[int, Field(ge=1)] | None = None

    def __post_init__(self) -> None:
        if self.tolerance is None and self.time is None and self.steps is None:
            raise ValueError("expected at least one of tolerance, time, steps; found none")


def short_form(value: Any) -> Any:
    """``until: 5000`` (a step count) and ``until: "2 min"`` (a time budget) as their mappings."""
    if isinstance(value, bool) or isinstance(value, float):
        raise ValueError("expected a mapping {tolerance, time, steps}, a step count (until: 5000) or a"
                         f" time budget (until: '2 min'); found {value!r}")
    if isinstance(value, int):
        return {"steps": value}
    if isinstance(value, str):
        return {"time": value}
    return value


class Clocked(Protocol):
    """What the rule reads of a run's state (:class:`~sirenpde.training.state.RunState` is one)."""

    step: int
    val_steps: list[int]
    val_losses: list[float]

    def wall_time(self) -> float: ...


@dataclass(frozen=True)
class StopRule:
    """``training.until`` resolved for one configuration: what :meth:`check` compares against."""

    tolerance: float | None
    budget: float | None
    adam_budget: float | None
    min_steps: int

    @classmethod
    def of(cls, until: Until, adam_steps: int, polishing: bool) -> StopRule:
        """The rule of ``until`` for an Adam phase of at most ``adam_steps`` steps, followed by
        Levenberg–Marquardt or L-BFGS steps when ``polishing``."""
        share = None if until.time is None else until.time * (1 - POLISH_SHARE if polishing else 1.0)
        return cls(until.tolerance, until.time, share, math.ceil(MIN_FRACTION * adam_steps))

    def check(self, state: Clocked, phase: str) -> tuple[str | None, bool]:
        """After a step of ``phase``: why it should end now (``"time"``, ``"tolerance"`` or ``None``)
        and whether the whole run should end with it."""
        wall = state.wall_time() if self.budget is not None else 0.0
        if self.budget is not None and wall >= self.budget:
            return "time", True
        if phase != "adam":
            return None, False
        if self.adam_budget is not None and wall >= self.adam_budget:
            return "time", False
        if self.tolerance is not None and self._converged(state):
            return "tolerance", False
        return None, False

    def _converged(self, state: Clocked) -> bool:
        """Judged right after a validation only, so the verdict is a function of the record."""
        losses = state.val_losses
        if not state.val_steps or state.val_steps[-1] != state.step or state.step < self.min_steps:
            return False
        if len(losses) <= WINDOW:
            return False
        before, recent = min(losses[:-WINDOW]), min(losses[-WINDOW:])
        return before - recent <= self.tolerance * abs(before)
