"""The training settings grouped by what uses them, with every name resolved to an object.

:class:`~sirenpde.training.settings.TrainConfig` mirrors the flat ``training:`` keys of a problem file;
these groups are what the loop and its phases read (``config.adam``, ``config.lm`` …), built once per
configuration. The causal and balancing groups live beside what they name
(:class:`~sirenpde.training.causal.CausalSettings`, :class:`~sirenpde.training.balancing.BalanceSettings`).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ..domains.sampling import SAMPLERS, Sampler
from .schedules import Schedule

__all__ = ["AdamSettings", "LevenbergMarquardtSettings", "LBFGSSettings", "SamplingSettings"]


@dataclass(frozen=True)
class AdamSettings:
    """Adam on fresh samples each step: ``steps`` steps at ``lr · schedule.factor(step)``, the
    gradient norm clipped to ``clip`` (``None``: not), and up to ``max_retries`` rollbacks."""

    steps: int
    lr: float
    schedule: Schedule
    clip: float | None
    max_retries: int


@dataclass(frozen=True)
class LevenbergMarquardtSettings:
    """``steps`` Levenberg–Marquardt steps, each on ``points_factor`` times each constraint's points,
    the last ``finish_steps`` of them on ``finish_points_factor`` times."""

    steps: int
    points_factor: float
    finish_steps: int
    finish_points_factor: float

    def points_factor_at(self, left: int) -> float:
        """The factor of a step with ``left`` steps of the phase left, itself included."""
        return self.finish_points_factor if left <= self.finish_steps else self.points_factor

    @property
    def largest_points_factor(self) -> float:
        """The largest factor any of the steps draws."""
        return max(self.points_factor, self.finish_points_factor if self.finish_steps else 0.0)


@dataclass(frozen=True)
class LBFGSSettings:
    """``steps`` L-BFGS steps of up to ``inner`` evaluations each, on one fixed batch of
    ``points_factor`` times each constraint's points."""

    steps: int
    inner: int
    points_factor: float


@dataclass(frozen=True)
class SamplingSettings:
    """The run's sampler (a class of :data:`~sirenpde.domains.SAMPLERS`) and the size of the fixed
    validation batch, as a fraction of each constraint's points."""

    sampler: type[Sampler]
    validation_fraction: float

    @classmethod
    def named(cls, kind: str, validation_fraction: float) -> SamplingSettings:
        """The settings of ``training.sampler: <kind>`` (a key of :data:`~sirenpde.domains.SAMPLERS`)."""
        try:
            sampler = SAMPLERS[kind]
        except KeyError:
            expected = ", ".join(sorted(SAMPLERS))
            raise ValueError(f"unknown sampler {kind!r}; expected one of {expected}") from None
        return cls(sampler, validation_fraction)

    def make(self, generator: torch.Generator, device: torch.device, dtype: torch.dtype) -> Sampler:
        """A fresh sampler drawing from ``generator``."""
        return self.sampler(generator=generator, device=device, dtype=dtype)
