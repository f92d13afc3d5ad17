"""Settings for the network, and the builder that turns them and a problem into a model."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Literal

import torch
from pydantic import ConfigDict, Field
from pydantic.dataclasses import dataclass

from ..constraints.problem import Problem
from ..constraints.scales import problem_frequency
from .ansatz import AbstractAnsatz
from .siren import SIREN

__all__ = ["ModelConfig", "build_model", "first_frequency"]

# Pydantic dataclasses: Python users and YAML files get the same checks, located at the bad key.
_STRICT = ConfigDict(extra="forbid", allow_inf_nan=False)
_Positive = Annotated[float, Field(gt=0)]
_AtLeastOne = Annotated[int, Field(ge=1)]
# Far beyond any SIREN of the literature (the paper's largest: 512 × 5), small enough that a typo
# such as layers: [100000, 100000] is refused at check time, not by the allocator in training.
MAX_WIDTH, MAX_HIDDEN_WEIGHTS = 8192, 50_000_000
_Width = Annotated[int, Field(ge=1, le=MAX_WIDTH)]


@dataclass(frozen=True, config=_STRICT)
class ModelConfig:
    """The SIREN: hidden widths, frequencies and initialiser (see :class:`~sirenpde.SIREN`).

    ``w0_initial="auto"`` derives the first layer's frequency from the problem
    (:func:`~sirenpde.constraints.scales.problem_frequency`): for a problem with a characteristic
    wavenumber k (Helmholtz), k times the half-width of the bounding box — the number of radians
    the solution turns through between the centre and the edge of the normalised input cube
    [−1, 1]; otherwise the frequency content of the problem's data, measured the same way.
    """

    layers: Annotated[tuple[_Width, ...], Field(min_length=1, max_length=64)] = (64, 64, 64)
    w0: _Positive = 1.0
    w0_initial: _Positive | Literal["auto"] = "auto"
    initializer: Literal["siren", "siren-torch", "pytorch"] = "siren"  # the keys of INITIALIZERS
    c: _Positive = 6.0
    bias: bool = True

    def __post_init__(self):
        weights = sum(a * b for a, b in zip(self.layers, self.layers[1:], strict=False))
        if weights > MAX_HIDDEN_WEIGHTS:
            raise ValueError(f"layers {list(self.layers)} hold {weights:,} weights between hidden layers;"
                             f" expected at most {MAX_HIDDEN_WEIGHTS:,}")


def build_model(problem: Problem, config: ModelConfig, seed: int = 0, *,
                front: Mapping | None = None) -> SIREN | AbstractAnsatz:
    """A SIREN sized for ``problem``, its inputs normalised by the domain's bounding box (wrapped in
    the problem's closed-form ``ansatz``, if it has one); ``front``: the SIREN's (a march's choice).

    The initialisation is seeded without touching the global random state.
    """
    lo, hi = problem.domain.bounds()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        network = SIREN(config.layers, problem.domain.dim, problem.channels, w0=config.w0,
                        w0_initial=first_frequency(problem, config), bias=config.bias,
                        initializer=config.initializer, c=config.c, bounds=(lo, hi), front=front)
    return network if problem.ansatz is None else problem.ansatz(network)


def first_frequency(problem: Problem, config: ModelConfig) -> float:
    """The first layer's w0: as configured, or derived from the problem for ``"auto"``."""
    if config.w0_initial != "auto":
        return float(config.w0_initial)
    return problem_frequency(problem)
