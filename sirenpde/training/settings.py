"""Optimisation settings, and the device they name."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cached_property
from typing import Annotated, Literal

import torch
from pydantic import AfterValidator, BeforeValidator, ConfigDict, Field
from pydantic.dataclasses import dataclass

from .balancing import BalanceSettings
from .causal import CausalSettings
from .groups import AdamSettings, LBFGSSettings, LevenbergMarquardtSettings, SamplingSettings
from .loss import DERIVATIVES, Engine
from .schedules import make_schedule
from .until import StopRule, Until, short_form

__all__ = ["TrainConfig", "resolve_device"]

_DTYPES = {"float32": torch.float32, "float64": torch.float64}

# Pydantic dataclasses: Python users and YAML files get the same checks, located at the bad key.
_STRICT = ConfigDict(extra="forbid", allow_inf_nan=False)
_Positive = Annotated[float, Field(gt=0)]
_Count = Annotated[int, Field(ge=0)]
_AtLeastOne = Annotated[int, Field(ge=1)]


def _device_name(name: str) -> str:
    # Only the spelling is checked here; whether CUDA exists is known when training starts.
    if name not in ("auto", "cpu", "cuda") and re.fullmatch(r"cuda:\d+", name) is None:
        raise ValueError(f"unknown device {name!r}; expected auto, cpu, cuda or cuda:N")
    return name


@dataclass(frozen=True, config=_STRICT)
class TrainConfig:
    """Optimisation settings.

    The fields are the flat ``training:`` keys of a problem file (and ``TrainConfig(steps=…, lr=…)``
    takes the same names). What the loop and its phases read are the groups built from them once
    per configuration, every name resolved to an object: :attr:`adam` (with its :attr:`schedule`
    object), :attr:`lm`, :attr:`lbfgs`, :attr:`sampling`, :attr:`causal_settings`, :attr:`balancing`,
    :attr:`stopping` and :attr:`choose_engine`.

    Attributes:
        steps: Adam steps, each on fresh samples.
        lr: Adam's initial learning rate.
        schedule: ``constant``, ``cosine`` (to ``lr_final``) or ``exponential`` (to ``lr_final``).
        lr_final: learning rate at the last Adam step (``cosine``/``exponential``); default lr/100.
        lm_steps: Levenberg–Marquardt steps after Adam (0 = none), each on fresh points: a
            damped Gauss–Newton solve over all weights (see :mod:`sirenpde.training.levenberg_marquardt`);
            for SIRENs up to ~10⁴ weights with squared-L2 constraints.
        lm_points_factor: each LM step draws this many times each constraint's points.
        lm_finish_steps: the last this many of the ``lm_steps`` draw ``lm_finish_points_factor``
            times each constraint's points: a step with fewer rows than weights fits its own batch
            almost exactly, and the iterates the phase ends on carry less of its sampling error when
            their batches are larger (see :mod:`sirenpde.training.levenberg_marquardt`).
        lm_finish_points_factor: the factor of those steps; default twice ``lm_points_factor``.
        lbfgs_steps: L-BFGS outer iterations after Adam (0 = none); each runs up to ``lbfgs_inner``
            function evaluations with a strong-Wolfe line search on one fixed batch.
        lbfgs_inner: inner iterations per L-BFGS step.
        lbfgs_points_factor: the fixed L-BFGS batch has this many times each constraint's points.
        clip: maximum gradient norm (``None``: no clipping).
        seed: seeds the network's initialisation and every sample.
        device: ``auto`` (CUDA when present), ``cpu``, ``cuda`` or ``cuda:N``.
        dtype: ``float32`` or ``float64``.
        sampler: ``uniform``, ``sobol`` or ``lhs`` (Latin hypercube: every call's points stratified in
            each dimension); a constraint's own ``sampling`` overrides it (see
            :mod:`sirenpde.sampling.strategies`).
        validate_every: steps between evaluations of the validation loss (best-iterate tracking).
        validation_fraction: the fixed validation batch has this fraction of each constraint's points.
        log_every: steps between progress reports.
        derivatives: the derivative engine: ``forward`` pushes value, gradient and second
            derivatives through a SIREN in closed form (one pass, then one backward); ``autograd``
            nests reverse passes (any network); ``auto`` picks forward for a SIREN.
        causal: causal training of space-time problems during Adam (see :mod:`sirenpde.training.causal`):
            ``none``, ``weights`` (causal weights over time slices), ``window`` (a growing time
            window) or ``both``.
        causal_slices: the number of time slices of the causal weights.
        causal_tolerance: ε in the causal weights exp(−ε·Σ_{k<i} L_k).
        window_fraction: the fraction of the Adam steps over which the time window grows to the
            whole interval.
        compile: compile the forward engine's jet pass (:func:`~sirenpde.derivatives.forward.compilable_jets`)
            with ``torch.compile`` for Adam, validation and L-BFGS (not LM). Each batch shape
            compiles once (10–60 s on a CPU with a cold cache), so it pays off on long runs with
            second derivatives; off by default.
        tf32: on CUDA, let float32 matmuls use TensorFloat-32 (faster on Ampere and later, ~1e-3
            relative rounding per product) while training; no effect on the CPU.
        balance: how the constraints' terms are balanced during Adam (see :mod:`sirenpde.training.balancing`):
            ``fixed`` (Σ w_m L_m, as written), ``gradnorm`` (learning-rate annealing of Wang, Teng &
            Perdikaris: λ_m moves towards max|∇L_first| / mean|∇L_m| every ``balance_every`` steps)
            or ``adaptive`` (self-adaptive λ_m by normalised gradient ascent, Σ λ_m fixed).
        balance_every: Adam steps between ``gradnorm`` updates.
        balance_alpha: ``gradnorm``'s rate α: λ ← (1 − α)·λ + α·λ̂.
        balance_lr: ``adaptive``'s ascent rate η on the terms' shares of the loss.
        max_retries: how often Adam may go back to its last good state (kept every
            ``validate_every`` steps) with half the learning rate when the loss becomes NaN or
            infinite, before training stops with an error (see :mod:`sirenpde.training.rollback`).
        scales: ``none`` (the residuals as written) or ``natural`` (each residual divided by its
            natural scale, measured once before training, so that weight 1 means "as important as
            the rest"; see :mod:`sirenpde.constraints.scales`). A problem file that does not set it
            gets ``natural`` (:mod:`sirenpde.training.auto`).
        until: when training is done (see :mod:`sirenpde.training.until`); ``None`` (the default):
            after the configured steps. An :class:`~sirenpde.training.until.Until`, a mapping of its
            keys, a step count (``until=5000``) or a time budget (``until="2 min"``):

            * ``tolerance``: Adam ends once the best of the last 5 validation losses (one every
              ``validate_every`` steps) is less than this (relative) below the best before them,
              and never before 10 % of its maximum steps;
            * ``time``: a wall-time budget for the whole training, in seconds (``"90 s"``,
              ``"2 min"``, ``"1.5 h"``). Adam ends when its share is spent — all of it, or 80 % when
              LM or L-BFGS steps follow (their cost per step cannot be known before they run) —
              and every phase ends when the budget is spent: the run ends within the budget plus one
              step;
            * ``steps``: Adam's maximum steps; given, it replaces ``steps`` as the Adam phase's
              length (and the learning-rate schedule's).

            A phase that ends early is followed by the next one at once, which takes its
            configured steps. The solution's ``info`` says what ended the run: ``stopped_by`` is
            ``"time"`` when the budget ended a phase, else ``"tolerance"`` when it ended Adam, else
            ``"steps"``; its ``steps``, ``lm_steps`` and ``lbfgs_steps`` are the steps taken.
        windows: time marching (see :mod:`sirenpde.training.marching`): a space-time problem's
            interval split into this many equal windows, trained one after the other — each with
            all the steps above, its network started from the previous window's — and joined
            exactly (u and u_t continuous). The problem must impose its initial conditions exactly.
            1 (the default): the whole interval at once.
        window_overlap: each window of a march trained this fraction of a window past its end (the
            last one to the interval's end), so that the next window starts from a time its
            residual held on both sides of; the solution still switches windows at their edges.
            0 (the default): each window trained on itself.
        window_front: where a march's data leave most of the space at rest, give each window's
            network one more input, the distance to the data less the distance a wave has
            travelled (see :mod:`sirenpde.model.front`). ``False`` by default: measured to help
            the paper's 2-D pulse; on a small 1-D pulse's march within the spread of seeds; not yet
            measured on the other marched cases.
    """

    steps: _Count = 2000
    lr: _Positive = 1e-3
    schedule: Literal["constant", "cosine", "exponential"] = "cosine"
    lr_final: _Positive | None = None
    lbfgs_steps: _Count = 0
    lm_steps: _Count = 0
    lm_points_factor: _Positive = 1.0
    lm_finish_steps: _Count = 0
    lm_finish_points_factor: _Positive | None = None
    lbfgs_inner: _AtLeastOne = 20
    lbfgs_points_factor: _Positive = 2.0
    clip: _Positive | None = None
    seed: Annotated[int, Field(ge=0, le=2**63 - 1)] = 0  # what torch.Generator.manual_seed takes
    device: Annotated[str, AfterValidator(_device_name)] = "auto"
    dtype: Literal["float32", "float64"] = "float32"
    sampler: Literal["uniform", "sobol", "lhs"] = "uniform"  # the keys of sirenpde.domains.SAMPLERS
    validate_every: _AtLeastOne = 100
    validation_fraction: _Positive = 1.0
    log_every: _AtLeastOne = 10
    derivatives: Literal["auto", "forward", "autograd"] = "auto"  # sirenpde.training.loss.DERIVATIVES
    causal: Literal["none", "weights", "window", "both"] = "none"
    causal_slices: _AtLeastOne = 16
    causal_tolerance: _Positive = 1.0
    window_fraction: Annotated[float, Field(gt=0, le=1)] = 0.5
    compile: bool = False
    tf32: bool = False
    max_retries: _Count = 3
    balance: Literal["fixed", "gradnorm", "adaptive"] = "fixed"  # sirenpde.training.balancing.BALANCERS
    balance_every: _AtLeastOne = 100
    balance_alpha: Annotated[float, Field(gt=0, le=1)] = 0.1
    balance_lr: _Positive = 0.01
    scales: Literal["none", "natural"] = "none"
    until: Annotated[Until | None, BeforeValidator(short_form)] = None
    windows: _AtLeastOne = 1
    window_overlap: Annotated[float, Field(ge=0, le=1)] = 0.0
    window_front: bool = False

    def __post_init__(self) -> None:
        if self.adam_steps + self.lm_steps + self.lbfgs_steps == 0:
            raise ValueError("steps + lm_steps + lbfgs_steps must be at least 1")

    @property
    def adam_steps(self) -> int:
        """The Adam phase's (maximum) length: ``until.steps`` when given, else ``steps``."""
        if self.until is not None and self.until.steps is not None:
            return self.until.steps
        return self.steps

    def torch_dtype(self) -> torch.dtype:
        return _DTYPES[self.dtype]

    def lr_factor(self, step: int) -> float:
        """The learning rate at ``step`` (0-based) as a fraction of ``lr``."""
        return self.adam.schedule.factor(step)

    # The groups: cached on the instance (a frozen dataclass still has a __dict__), so each is built
    # once; dataclasses.replace makes a new instance and so new groups.

    @cached_property
    def adam(self) -> AdamSettings:
        final = (self.lr_final if self.lr_final is not None else self.lr / 100) / self.lr
        steps = self.adam_steps
        return AdamSettings(steps, self.lr, make_schedule(self.schedule, steps, final), self.clip,
                            self.max_retries)

    @cached_property
    def lm(self) -> LevenbergMarquardtSettings:
        return LevenbergMarquardtSettings(self.lm_steps, self.lm_points_factor, self.lm_finish_steps,
                                          self.lm_finish_factor)

    @property
    def lm_finish_factor(self) -> float:
        """``lm_finish_points_factor``, or twice ``lm_points_factor`` where it is not given."""
        if self.lm_finish_points_factor is not None:
            return self.lm_finish_points_factor
        return 2 * self.lm_points_factor

    @cached_property
    def lbfgs(self) -> LBFGSSettings:
        return LBFGSSettings(self.lbfgs_steps, self.lbfgs_inner, self.lbfgs_points_factor)

    @cached_property
    def sampling(self) -> SamplingSettings:
        return SamplingSettings.named(self.sampler, self.validation_fraction)

    @cached_property
    def causal_settings(self) -> CausalSettings:
        return CausalSettings.named(self.causal, self.causal_slices, self.causal_tolerance,
                                    self.window_fraction)

    @cached_property
    def balancing(self) -> BalanceSettings:
        return BalanceSettings.named(self.balance, self.balance_every, self.balance_alpha, self.balance_lr)

    @cached_property
    def stopping(self) -> StopRule | None:
        """``until`` resolved (``None``: the configured steps, nothing else, end the run)."""
        if self.until is None:
            return None
        return StopRule.of(self.until, self.adam_steps, self.lm_steps + self.lbfgs_steps > 0)

    @cached_property
    def choose_engine(self) -> Callable[[torch.nn.Module], Engine]:
        """``derivatives`` resolved: the network → its derivative engine."""
        return DERIVATIVES[self.derivatives]


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
