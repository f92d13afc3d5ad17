"""Learning-rate schedules of the Adam phase: the factor that multiplies ``lr`` at each step."""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from dataclasses import dataclass

__all__ = ["Schedule", "Constant", "Cosine", "Exponential", "SCHEDULES", "make_schedule"]


class Schedule(ABC):
    """The learning rate at each Adam step as a fraction of ``lr``."""

    @abstractmethod
    def factor(self, step: int) -> float:
        """The factor at ``step`` (0-based)."""


@dataclass(frozen=True)
class Constant(Schedule):
    """``lr`` throughout."""

    steps: int
    final: float

    def factor(self, step: int) -> float:
        return 1.0


@dataclass(frozen=True)
class Cosine(Schedule):
    """Half a cosine from 1 at step 0 to ``final`` at the last of ``steps``."""

    steps: int
    final: float

    def factor(self, step: int) -> float:
        progress = step / max(1, self.steps - 1)
        return self.final + (1 - self.final) * 0.5 * (1 + math.cos(math.pi * progress))


@dataclass(frozen=True)
class Exponential(Schedule):
    """Geometric decay from 1 at step 0 to ``final`` at the last of ``steps``."""

    steps: int
    final: float

    def factor(self, step: int) -> float:
        return self.final ** (step / max(1, self.steps - 1))


SCHEDULES: dict[str, type[Schedule]] = {"constant": Constant, "cosine": Cosine, "exponential": Exponential}
"""The values of ``training.schedule``."""


def make_schedule(kind: str, steps: int, final: float) -> Schedule:
    """The schedule ``kind`` (a key of :data:`SCHEDULES`) over ``steps`` Adam steps, ending at the
    fraction ``final`` of the initial learning rate."""
    try:
        cls = SCHEDULES[kind]
    except KeyError:
        raise ValueError(f"unknown schedule {kind!r}; expected one of {', '.join(SCHEDULES)}") from None
    return cls(steps, final)
