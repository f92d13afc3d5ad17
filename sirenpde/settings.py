"""Settings for the network and the optimiser, and the helpers that turn them into objects."""

from __future__ import annotations

import math
import torch
from pydantic import ConfigDict
from pydantic.dataclasses import dataclass

from .problem import Problem
from .siren import INITIALIZERS, SIREN

__all__ = ["ModelConfig", "TrainConfig", "build_model", "resolve_device"]

_DTYPES = {"float32": torch.float32, "float64": torch.float64}
_SCHEDULES = ("constant", "cosine", "exponential")


# Pydantic dataclasses: Python users and YAML files get the same type checks and messages.
_STRICT = ConfigDict(extra="forbid")


@dataclass(frozen=True, config=_STRICT)
class ModelConfig:
    """The SIREN: hidden widths, frequencies and initialiser (see :class:`~sirenpde.SIREN`)."""

    layers: tuple[int, ...] = (64, 64, 64)
    w0: float = 1.0
    w0_initial: float = 30.0
    initializer: str = "siren"
    c: float = 6.0
    bias: bool = True

    def __post_init__(self) -> None:
        if self.initializer not in INITIALIZERS:
            raise ValueError(f"unknown initializer {self.initializer!r}; expected one of {', '.join(INITIALIZERS)}")


@dataclass(frozen=True, config=_STRICT)
class TrainConfig:
    """Optimisation settings.

    Attributes:
        steps: Adam steps, each on fresh samples.
        lr: Adam's initial learning rate.
        schedule: ``constant``, ``cosine`` (to ``lr_final``) or ``exponential`` (to ``lr_final``).
        lr_final: learning rate at the last Adam step (``cosine``/``exponential``); default lr/100.
        lbfgs_steps: L-BFGS outer iterations after Adam (0 = none); each runs up to ``lbfgs_inner``
            function evaluations with a strong-Wolfe line search on one fixed batch.
        lbfgs_inner: inner iterations per L-BFGS step.
        lbfgs_points_factor: the fixed L-BFGS batch has this many times each constraint's points.
        clip: maximum gradient norm (``None``: no clipping).
        seed: seeds the network's initialisation and every sample.
        device: ``auto`` (CUDA when present), ``cpu``, ``cuda`` or ``cuda:N``.
        dtype: ``float32`` or ``float64``.
        sampler: ``uniform`` or ``sobol``.
        validate_every: steps between evaluations of the validation loss (best-iterate tracking).
        validation_fraction: the fixed validation batch has this fraction of each constraint's points.
        log_every: steps between progress reports.
    """

    steps: int = 2000
    lr: float = 1e-3
    schedule: str = "cosine"
    lr_final: float | None = None
    lbfgs_steps: int = 0
    lbfgs_inner: int = 20
    lbfgs_points_factor: float = 2.0
    clip: float | None = None
    seed: int = 0
    device: str = "auto"
    dtype: str = "float32"
    sampler: str = "uniform"
    validate_every: int = 100
    validation_fraction: float = 1.0
    log_every: int = 10

    def __post_init__(self) -> None:
        if self.schedule not in _SCHEDULES:
            raise ValueError(f"unknown schedule {self.schedule!r}; expected one of {', '.join(_SCHEDULES)}")
        if self.dtype not in _DTYPES:
            raise ValueError(f"unknown dtype {self.dtype!r}; expected one of {', '.join(_DTYPES)}")
        if self.steps < 0 or self.lbfgs_steps < 0 or self.steps + self.lbfgs_steps == 0:
            raise ValueError(f"need steps + lbfgs_steps ≥ 1; found steps={self.steps}, lbfgs_steps={self.lbfgs_steps}")
        if not (self.lr > 0 and math.isfinite(self.lr)):
            raise ValueError(f"lr must be a positive finite number; found {self.lr}")
        if self.validate_every < 1 or self.log_every < 1:
            raise ValueError("validate_every and log_every must be ≥ 1")

    def torch_dtype(self) -> torch.dtype:
        return _DTYPES[self.dtype]

    def lr_factor(self, step: int) -> float:
        """The learning rate at ``step`` (0-based) as a fraction of ``lr``."""
        final = (self.lr_final if self.lr_final is not None else self.lr / 100) / self.lr
        progress = step / max(1, self.steps - 1)
        if self.schedule == "cosine":
            return final + (1 - final) * 0.5 * (1 + math.cos(math.pi * progress))
        if self.schedule == "exponential":
            return final**progress
        return 1.0


def resolve_device(name: str) -> torch.device:
    """``auto`` → CUDA when available, else CPU; a CUDA request without CUDA is a clear error."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except RuntimeError as err:
        raise ValueError(f"unknown device {name!r}; expected auto, cpu, cuda or cuda:N") from err
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {name!r} was requested but CUDA is not available; use device: auto or cpu")
    if device.type not in ("cpu", "cuda"):
        raise ValueError(f"unsupported device {name!r}; expected auto, cpu, cuda or cuda:N")
    return device


def build_model(problem: Problem, config: ModelConfig, seed: int = 0) -> SIREN:
    """A SIREN sized for ``problem``, its inputs normalised by the domain's bounding box.

    The initialisation is seeded without touching the global random state.
    """
    lo, hi = problem.domain.bounds()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return SIREN(config.layers, problem.domain.dim, len(problem.fields), w0=config.w0,
                     w0_initial=config.w0_initial, bias=config.bias, initializer=config.initializer,
                     c=config.c, bounds=(lo, hi))
